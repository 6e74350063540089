import type { ExecutionResult } from "graphql";
import { describe, expect, it, vi } from "vitest";
import { createSubscriptionFanout } from "../../src/server/subscription-fanout.js";

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

type Deliver = (json: string) => void;
/** Each subscriber's target is the function that receives its frames. */
const callTarget = { deliver: (target: Deliver, json: string) => target(json) };

/** A subscriber that records what it is handed. */
function inbox() {
  const received: unknown[] = [];
  return { received, deliver: (json: string) => void received.push(JSON.parse(json)) };
}

describe("subscription fan-out", () => {
  it("when many subscribe with the same key, then the source starts once, each event is serialised once, and each subscriber hears it once", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const source = manualSource();
    let starts = 0;
    const start = () => {
      starts++;
      return source.iterator;
    };
    const inboxes = Array.from({ length: 5 }, inbox);
    const delivered: string[] = [];
    await Promise.all(inboxes.map((box) => fanout.subscribe("k", start, (json) => (delivered.push(json), box.deliver(json)))));
    expect(starts).toBe(1);
    expect(fanout.size()).toBe(1);
    const stringify = vi.spyOn(JSON, "stringify");
    source.emit({ data: { n: 1 } });
    source.emit({ data: { n: 2 } });
    await vi.waitFor(() => expect(inboxes[4]!.received).toHaveLength(2));
    expect(stringify).toHaveBeenCalledTimes(2);
    stringify.mockRestore();
    for (const box of inboxes) expect(box.received).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }]);
    // Not equal strings: the very same one, framed per socket by the transport.
    expect(new Set(delivered).size).toBe(2);
  });

  it("when subscribers leave, then the others keep hearing, and the last one closes the source", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const source = manualSource();
    const [a, b] = [inbox(), inbox()];
    const [streamA, streamB] = await Promise.all([fanout.subscribe("k", () => source.iterator, a.deliver), fanout.subscribe("k", () => source.iterator, b.deliver)]);
    await asStream(streamA).return!();
    source.emit({ data: { n: 1 } });
    await vi.waitFor(() => expect(b.received).toEqual([{ data: { n: 1 } }]));
    expect(a.received).toEqual([]);
    expect(source.state.closed).toBe(false);
    await asStream(streamB).return!();
    expect(source.state.closed).toBe(true);
    expect(fanout.size()).toBe(0);
    expect(await asStream(streamA).next()).toEqual({ value: undefined, done: true });
  });

  it("when the source ends, then every subscriber's stream ends, so the transport can say complete", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const source = manualSource();
    const stream = await fanout.subscribe("k", () => source.iterator, inbox().deliver);
    const next = asStream(stream).next();
    await source.iterator.return!();
    expect(await next).toEqual({ value: undefined, done: true });
    await vi.waitFor(() => expect(fanout.size()).toBe(0));
  });

  it("when keys differ, then each key has its own source", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const one = manualSource();
    const two = manualSource();
    const [a, b] = [inbox(), inbox()];
    await fanout.subscribe("one", () => one.iterator, a.deliver);
    await fanout.subscribe("two", () => two.iterator, b.deliver);
    two.emit({ data: { from: "two" } });
    one.emit({ data: { from: "one" } });
    await vi.waitFor(() => expect([a.received, b.received]).toEqual([[{ data: { from: "one" } }], [{ data: { from: "two" } }]]));
  });

  it("when the subscription is refused with a result, then that result goes to the caller and is not shared", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const refused = { errors: [] };
    let starts = 0;
    const start = () => {
      starts++;
      return refused;
    };
    expect(await fanout.subscribe("k", start, inbox().deliver)).toBe(refused);
    expect(await fanout.subscribe("k", start, inbox().deliver)).toBe(refused);
    expect(starts).toBe(2);
    expect(fanout.size()).toBe(0);
  });

  it("when the source fails, then every subscriber's stream fails and a new subscriber starts afresh", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const broken = manualSource();
    const [a, b] = await Promise.all([fanout.subscribe("k", () => broken.iterator, inbox().deliver), fanout.subscribe("k", () => broken.iterator, inbox().deliver)]);
    broken.fail(new Error("source broke"));
    await expect(asStream(a).next()).rejects.toThrow("source broke");
    await expect(asStream(b).next()).rejects.toThrow("source broke");
    await vi.waitFor(() => expect(fanout.size()).toBe(0));
    const fresh = manualSource();
    const c = inbox();
    await fanout.subscribe("k", () => fresh.iterator, c.deliver);
    fresh.emit({ data: { ok: true } });
    await vi.waitFor(() => expect(c.received).toEqual([{ data: { ok: true } }]));
  });

  it("when one subscriber's delivery throws, then only its stream fails and the others keep hearing", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const source = manualSource();
    const good = inbox();
    const broken = await fanout.subscribe("k", () => source.iterator, () => {
      throw new Error("socket gone");
    });
    await fanout.subscribe("k", () => source.iterator, good.deliver);
    source.emit({ data: { n: 1 } });
    await expect(asStream(broken).next()).rejects.toThrow("socket gone");
    source.emit({ data: { n: 2 } });
    await vi.waitFor(() => expect(good.received).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }]));
    expect(source.state.closed).toBe(false);
  });

  it("when an event has more subscribers than a slice, then it goes out a slice at a time with the event loop free in between, and events keep their order", async () => {
    const log: string[] = [];
    const fanout = createSubscriptionFanout<string>({ sliceSize: 2, deliver: (name, json) => void log.push(`${name}:${(JSON.parse(json) as { data: { n: number } }).data.n}`) });
    const source = manualSource();
    for (const name of ["a", "b", "c", "d", "e"]) await fanout.subscribe("k", () => source.iterator, name);
    source.emit({ data: { n: 1 } });
    source.emit({ data: { n: 2 } });
    // Queued behind the first slice: it runs before the rest of the event goes out.
    setImmediate(() => log.push("loop"));
    await vi.waitFor(() => expect(log).toHaveLength(11));
    expect(log.slice(0, 3)).toEqual(["a:1", "b:1", "loop"]);
    expect(log.filter((l) => l !== "loop")).toEqual(["a:1", "b:1", "c:1", "d:1", "e:1", "a:2", "b:2", "c:2", "d:2", "e:2"]);
  });

  it("when a subscriber leaves while an event is going out, then it does not get it; one that arrives meanwhile hears only the next", async () => {
    const log: string[] = [];
    const streams = new Map<string, AsyncIterableIterator<ExecutionResult>>();
    const source = manualSource();
    let joined: Promise<unknown> | null = null;
    const fanout = createSubscriptionFanout<string>({
      sliceSize: 1,
      deliver: (name, json) => {
        const n = (JSON.parse(json) as { data: { n: number } }).data.n;
        log.push(`${name}:${n}`);
        // Between this slice and the next: c goes, and "late" comes.
        if (name === "a" && n === 1) {
          void streams.get("c")!.return!();
          joined = fanout.subscribe("k", () => source.iterator, "late");
        }
      },
    });
    for (const name of ["a", "b", "c"]) streams.set(name, asStream(await fanout.subscribe("k", () => source.iterator, name)));
    source.emit({ data: { n: 1 } });
    await vi.waitFor(() => expect(log).toEqual(["a:1", "b:1"]));
    await joined;
    source.emit({ data: { n: 2 } });
    await vi.waitFor(() => expect(log).toEqual(["a:1", "b:1", "a:2", "b:2", "late:2"]));
  });

  it("when sliceSize is not a positive whole number, then it is refused", () => {
    expect(() => createSubscriptionFanout({ ...callTarget, sliceSize: 0 })).toThrow(/sliceSize/);
  });

  it("when the only subscriber's delivery throws, then the source is closed", async () => {
    const fanout = createSubscriptionFanout(callTarget);
    const source = manualSource();
    await fanout.subscribe("k", () => source.iterator, () => {
      throw new Error("socket gone");
    });
    source.emit({ data: { n: 1 } });
    await vi.waitFor(() => expect(source.state.closed).toBe(true));
    expect(fanout.size()).toBe(0);
  });
});
