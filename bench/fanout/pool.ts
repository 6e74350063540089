import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ClientReport, FromClient, ToClient } from "./protocol.js";

const CLIENT = fileURLToPath(new URL("./client.ts", import.meta.url));
const READY_TIMEOUT_MS = 180_000;
const REPLY_TIMEOUT_MS = 30_000;

export interface PoolReady {
  subscribed: number;
  failed: number;
  examples: string[];
  /** The largest |Date.now() − (timeOrigin + now())| any worker saw: the receipt clock's error against the wall clock. */
  clockSkewMs: number;
}

/** Every worker's report for one round, added up; times from all of them in one array. */
export type RoundReport = Omit<ClientReport, "type">;

/** The parent's handle on the subscriber workers of one measurement. */
export interface SubscriberPool {
  readonly size: number;
  readonly workers: number;
  ready: Promise<PoolReady>;
  /** Resolves once every worker counts frames for `round`; call before triggering the event. */
  arm(round: number): Promise<void>;
  /** After arm: resolves true once every socket has heard a frame in `round`, false after timeoutMs. */
  delivered(round: number, timeoutMs: number): Promise<boolean>;
  report(round: number, expectedId: string): Promise<RoundReport>;
  /** Ends the workers (their sockets close with them) and waits until they are gone. */
  close(): Promise<void>;
}

interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
  /** Resolves with the next message of this type; rejects if the worker dies first or timeoutMs passes. */
  next<T extends FromClient["type"]>(type: T, timeoutMs?: number): Promise<Extract<FromClient, { type: T }>>;
  send(message: ToClient): void;
}

/** Splits `total` as evenly as possible into parts of at most `max`. */
function split(total: number, max: number): number[] {
  const parts = Math.ceil(total / max);
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export function startSubscriberPool(wsUrl: string, total: number, maxPerWorker: number): SubscriberPool {
  let closing = false;

  const startWorker = (count: number, label: string): Worker => {
    const child = fork(CLIENT, [wsUrl, String(count)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const waiting = new Map<string, { resolve(message: FromClient): void; reject(error: Error): void }>();
    child.on("message", (message: FromClient) => {
      const waiter = waiting.get(message.type);
      waiting.delete(message.type);
      waiter?.resolve(message);
    });
    const exited = new Promise<void>((resolve) =>
      child.once("exit", (code, signal) => {
        const error = new Error(`${label} exited (${code ?? signal}) while the bench waited for it`);
        for (const waiter of waiting.values()) waiter.reject(error);
        waiting.clear();
        if (!closing) process.stderr.write(`${error.message}\n`);
        resolve();
      }),
    );
    return {
      child,
      exited,
      next(type, timeoutMs) {
        return new Promise((resolve, reject) => {
          if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${label} is gone`));
          waiting.get(type)?.reject(new Error(`${label}: a newer wait for ${type} replaced this one`));
          const timer =
            timeoutMs === undefined
              ? undefined
              : setTimeout(() => {
                  waiting.delete(type);
                  reject(new Error(`${label} sent no ${type} within ${timeoutMs} ms`));
                }, timeoutMs);
          waiting.set(type, {
            resolve: (message) => {
              clearTimeout(timer);
              resolve(message as never);
            },
            reject: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          });
        });
      },
      send(message) {
        child.send(message);
      },
    };
  };

  const sizes = split(total, maxPerWorker);
  const pool = sizes.map((count, i) => startWorker(count, `subscriber worker ${i + 1}/${sizes.length}`));
  const deliveredBy = new Map<number, Promise<unknown>>();

  const ready = Promise.all(pool.map((w) => w.next("ready", READY_TIMEOUT_MS))).then((all) => ({
    subscribed: all.reduce((sum, r) => sum + r.subscribed, 0),
    failed: all.reduce((sum, r) => sum + r.failed, 0),
    examples: all.flatMap((r) => r.examples),
    clockSkewMs: Math.max(...all.map((r) => Math.abs(r.clockSkewMs))),
  }));
  // A worker that dies during the connect phase rejects `ready`; nobody may be awaiting it yet.
  ready.catch(() => {});

  return {
    size: total,
    workers: pool.length,
    ready,
    async arm(round) {
      const armed = Promise.all(pool.map((w) => w.next("armed", REPLY_TIMEOUT_MS)));
      for (const w of pool) w.send({ type: "arm", round });
      await armed;
      // Listening for "delivered" starts before the event exists, so the fastest worker is not missed.
      const all = Promise.all(pool.map((w) => w.next("delivered")));
      all.catch(() => {});
      deliveredBy.set(round, all);
    },
    async delivered(round, timeoutMs) {
      const all = deliveredBy.get(round);
      if (!all) throw new Error(`round ${round} was not armed`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      try {
        return await Promise.race([all.then(() => true), timeout]);
      } finally {
        clearTimeout(timer);
        deliveredBy.delete(round);
      }
    },
    async report(round, expectedId) {
      const replies = Promise.all(pool.map((w) => w.next("report", REPLY_TIMEOUT_MS)));
      for (const w of pool) w.send({ type: "report", round, expectedId });
      const all = await replies;
      const sum = (key: "missing" | "duplicates" | "wrong" | "closed" | "stray") => all.reduce((s, r) => s + r[key], 0);
      return {
        round,
        times: all.flatMap((r) => r.times),
        missing: sum("missing"),
        duplicates: sum("duplicates"),
        wrong: sum("wrong"),
        closed: sum("closed"),
        stray: sum("stray"),
        examples: all.flatMap((r) => r.examples),
      };
    },
    async close() {
      closing = true;
      for (const w of pool) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await Promise.all(pool.map((w) => w.exited));
    },
  };
}
