import type { ExecutionResult } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { createSubscriptionFanout } from "../../src/subscription-fanout.js";

/** A source the test feeds by hand, recording whether it was closed. */
function manualSource() {
  const queue: ExecutionResult[] = [];
  let wake: (() => void) | null = null;
  let failWith: Error | null = null;
  const state = { closed: false };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      for (;;) {
        if (failWith) throw failWith;
        if (state.closed) return { value: undefined, done: true };
        if (queue.length > 0) return { value: queue.shift()!, done: false };
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async return() {
      state.closed = true;
      wake?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return {
    iterator,
    state,
    emit(result: ExecutionResult) {
      queue.push(result);
      wake?.();
    },
    fail(error: Error) {
      failWith = error;
      wake?.();
    },
  };
}

const asStream = (value: unknown) => value as AsyncIterableIterator<ExecutionResult>;

describe("subscription fan-out", () => {
  it("when many subscribe with the same key, then the source starts once and each hears every event once", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    let starts = 0;
    const start = () => {
      starts++;
      return source.iterator;
    };
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => fanout.subscribe("k", start)));
    expect(starts).toBe(1);
    expect(fanout.size()).toBe(1);
    const first = { data: { n: 1 } };
    source.emit(first);
    source.emit({ data: { n: 2 } });
    for (const subscriber of subscribers) {
      // The very same object: executed and masked once, shared by all.
      expect((await asStream(subscriber).next()).value).toBe(first);
      expect((await asStream(subscriber).next()).value).toEqual({ data: { n: 2 } });
    }
  });

  it("when subscribers leave, then the others keep hearing, and the last one closes the source", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    const [a, b] = await Promise.all([fanout.subscribe("k", () => source.iterator), fanout.subscribe("k", () => source.iterator)]);
    await asStream(a).return!();
    source.emit({ data: { n: 1 } });
    expect((await asStream(b).next()).value).toEqual({ data: { n: 1 } });
    expect(source.state.closed).toBe(false);
    await asStream(b).return!();
    expect(source.state.closed).toBe(true);
    expect(fanout.size()).toBe(0);
    expect(await asStream(a).next()).toEqual({ value: undefined, done: true });
  });

  it("when keys differ, then each key has its own source", async () => {
    const fanout = createSubscriptionFanout();
    const one = manualSource();
    const two = manualSource();
    const a = await fanout.subscribe("one", () => one.iterator);
    const b = await fanout.subscribe("two", () => two.iterator);
    two.emit({ data: { from: "two" } });
    one.emit({ data: { from: "one" } });
    expect((await asStream(a).next()).value).toEqual({ data: { from: "one" } });
    expect((await asStream(b).next()).value).toEqual({ data: { from: "two" } });
  });

  it("when the subscription is refused with a result, then that result goes to the caller and is not shared", async () => {
    const fanout = createSubscriptionFanout();
    const refused = { errors: [] };
    let starts = 0;
    const start = () => {
      starts++;
      return refused;
    };
    expect(await fanout.subscribe("k", start)).toBe(refused);
    expect(await fanout.subscribe("k", start)).toBe(refused);
    expect(starts).toBe(2);
    expect(fanout.size()).toBe(0);
  });

  it("when the source fails, then every subscriber's stream fails and a new subscriber starts afresh", async () => {
    const fanout = createSubscriptionFanout();
    const broken = manualSource();
    const [a, b] = await Promise.all([fanout.subscribe("k", () => broken.iterator), fanout.subscribe("k", () => broken.iterator)]);
    broken.fail(new Error("source broke"));
    await expect(asStream(a).next()).rejects.toThrow("source broke");
    await expect(asStream(b).next()).rejects.toThrow("source broke");
    await new Promise((r) => setImmediate(r));
    expect(fanout.size()).toBe(0);
    const fresh = manualSource();
    const c = await fanout.subscribe("k", () => fresh.iterator);
    fresh.emit({ data: { ok: true } });
    expect((await asStream(c).next()).value).toEqual({ data: { ok: true } });
  });

  it("when a subscriber reads slowly, then events wait for it in order and others are not held up", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    const [slow, fast] = await Promise.all([fanout.subscribe("k", () => source.iterator), fanout.subscribe("k", () => source.iterator)]);
    for (let n = 0; n < 3; n++) {
      source.emit({ data: { n } });
      expect((await asStream(fast).next()).value).toEqual({ data: { n } });
    }
    for (let n = 0; n < 3; n++) expect((await asStream(slow).next()).value).toEqual({ data: { n } });
  });

  it("when subscribers take results as JSON, then each event is serialised once and every subscriber gets that same string", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    const received: string[][] = [[], [], []];
    const streams = await Promise.all(received.map((into) => fanout.subscribe("k", () => source.iterator, (json) => into.push(json))));
    const stringify = vi.spyOn(JSON, "stringify");
    source.emit({ data: { n: 1 } });
    source.emit({ data: { n: 2 } });
    await vi.waitFor(() => expect(received[2]).toHaveLength(2));
    expect(stringify).toHaveBeenCalledTimes(2);
    stringify.mockRestore();
    for (const into of received) expect(into).toEqual(['{"data":{"n":1}}', '{"data":{"n":2}}']);
    // Their streams carry nothing but the end of the source.
    source.state.closed = true;
    await asStream(streams[0]).return!();
    await asStream(streams[1]).return!();
    await asStream(streams[2]).return!();
    expect(fanout.size()).toBe(0);
  });

  it("when one subscriber's delivery throws, then only its stream fails and the others keep hearing", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    const good: string[] = [];
    const broken = await fanout.subscribe("k", () => source.iterator, () => {
      throw new Error("socket gone");
    });
    await fanout.subscribe("k", () => source.iterator, (json) => good.push(json));
    source.emit({ data: { n: 1 } });
    await expect(asStream(broken).next()).rejects.toThrow("socket gone");
    source.emit({ data: { n: 2 } });
    await vi.waitFor(() => expect(good).toEqual(['{"data":{"n":1}}', '{"data":{"n":2}}']));
    expect(source.state.closed).toBe(false);
  });

  it("when the only subscriber's delivery throws, then the source is closed", async () => {
    const fanout = createSubscriptionFanout();
    const source = manualSource();
    await fanout.subscribe("k", () => source.iterator, () => {
      throw new Error("socket gone");
    });
    source.emit({ data: { n: 1 } });
    await vi.waitFor(() => expect(source.state.closed).toBe(true));
    expect(fanout.size()).toBe(0);
  });
});
