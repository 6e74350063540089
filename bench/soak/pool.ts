import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FromWorker, ToWorker } from "./protocol.js";

const WORKER = fileURLToPath(new URL("./subscribers.ts", import.meta.url));
const REPLY_TIMEOUT_MS = 30_000;

export interface PoolCounts {
  events: number;
  problems: number;
  open: number;
}

export interface PoolReport extends PoolCounts {
  /** Numeric snapshot id → how many subscribers, over all workers, received its event. */
  bySnapshot: Map<number, number>;
}

/** The parent's handle on the subscriber worker processes. */
export interface SubscriberPool {
  readonly size: number;
  /** Resolves when every worker has connected and subscribed all it could. */
  ready: Promise<{ subscribed: number; failed: number }>;
  /** The counts the workers pushed last: cheap, a few seconds old. */
  latest(): PoolCounts;
  /** Problems in detail (the first few per worker), including workers that died. */
  problems(): string[];
  /** Asks every worker for its counts now. */
  report(): Promise<PoolReport>;
  /** Tells the workers that closures from here on are the server going away, and waits until they know. */
  expectClose(): Promise<void>;
  /** Closes every client, waits for the workers to exit, and returns the close codes they saw ([code, count]). */
  close(): Promise<Map<number, number>>;
  /** Last resort on a failed run: kills the workers without asking. */
  kill(): void;
}

interface Worker {
  child: ChildProcess;
  counts: PoolCounts;
  ready: Promise<{ subscribed: number; failed: number }>;
  closed: Promise<[number, number][]>;
  exited: Promise<number | null>;
  request<T extends FromWorker>(message: ToWorker & { requestId: number }, type: T["type"]): Promise<T>;
}

/** `hostFilters[i]`: the host ID worker i's clients subscribe to, or undefined for every host's snapshots. */
export function startSubscriberPool(endpoint: string, workers: number, perWorker: number, hostFilters: readonly (string | undefined)[] = []): SubscriberPool {
  const problems: string[] = [];
  let closing = false;
  let nextRequest = 1;

  const startWorker = (label: string, hostId: string | undefined): Worker => {
    const child = fork(WORKER, [endpoint, String(perWorker), label, ...(hostId === undefined ? [] : [hostId])], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const counts: PoolCounts = { events: 0, problems: 0, open: 0 };
    const pending = new Map<number, (message: FromWorker) => void>();
    let onReady: (value: { subscribed: number; failed: number }) => void = () => {};
    let onClosed: (codes: [number, number][]) => void = () => {};
    const ready = new Promise<{ subscribed: number; failed: number }>((resolve) => (onReady = resolve));
    const closed = new Promise<[number, number][]>((resolve) => (onClosed = resolve));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    child.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "ready":
          onReady({ subscribed: message.subscribed, failed: message.failed });
          break;
        case "stats":
          Object.assign(counts, { events: message.events, problems: message.problems, open: message.open });
          break;
        case "problem":
          problems.push(`${message.kind}: ${message.detail}`);
          break;
        case "report":
        case "expecting-close":
          pending.get(message.requestId)?.(message);
          pending.delete(message.requestId);
          break;
        case "closed":
          onClosed(message.closeCodes);
          break;
      }
    });
    void exited.then((code) => {
      if (!closing || code !== 0) problems.push(`${label} exited with code ${code}`);
      // Nobody waits forever on a worker that is gone.
      onReady({ subscribed: 0, failed: perWorker });
      onClosed([]);
      for (const reply of pending.values()) reply({ type: "closed", closeCodes: [] });
      pending.clear();
    });

    const request = <T extends FromWorker>(message: ToWorker & { requestId: number }, type: T["type"]): Promise<T> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label} did not answer ${message.type} within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
        pending.set(message.requestId, (reply) => {
          clearTimeout(timer);
          if (reply.type === type) resolve(reply as T);
          else reject(new Error(`${label} is gone (asked for ${message.type})`));
        });
        child.send(message);
      });

    return { child, counts, ready, closed, exited, request };
  };

  const pool = Array.from({ length: workers }, (_, i) => startWorker(`subscribers-${i + 1}`, hostFilters[i]));

  return {
    size: workers * perWorker,
    ready: Promise.all(pool.map((w) => w.ready)).then((all) => ({
      subscribed: all.reduce((sum, r) => sum + r.subscribed, 0),
      failed: all.reduce((sum, r) => sum + r.failed, 0),
    })),
    latest() {
      return pool.reduce((sum, w) => ({ events: sum.events + w.counts.events, problems: sum.problems + w.counts.problems, open: sum.open + w.counts.open }), {
        events: 0,
        problems: 0,
        open: 0,
      });
    },
    problems: () => [...problems],
    async report() {
      const replies = await Promise.all(
        pool.map((w) => w.request<Extract<FromWorker, { type: "report" }>>({ type: "report", requestId: nextRequest++ }, "report")),
      );
      const bySnapshot = new Map<number, number>();
      for (const reply of replies) for (const [id, n] of reply.bySnapshot) bySnapshot.set(id, (bySnapshot.get(id) ?? 0) + n);
      return {
        events: replies.reduce((sum, r) => sum + r.events, 0),
        problems: replies.reduce((sum, r) => sum + r.problems, 0),
        open: replies.reduce((sum, r) => sum + r.open, 0),
        bySnapshot,
      };
    },
    async expectClose() {
      closing = true;
      await Promise.all(pool.map((w) => w.request({ type: "expect-close", requestId: nextRequest++ }, "expecting-close")));
    },
    async close() {
      closing = true;
      for (const w of pool) if (w.child.connected) w.child.send({ type: "close" } satisfies ToWorker);
      const codes = new Map<number, number>();
      for (const w of pool) {
        for (const [code, n] of await w.closed) codes.set(code, (codes.get(code) ?? 0) + n);
        await w.exited;
      }
      return codes;
    },
    kill() {
      for (const w of pool) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    },
  };
}
