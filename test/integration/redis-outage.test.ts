import { createServer, connect, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createPubSub } from "../../src/events/pubsub.js";
import { connectRedis, type RedisEvents } from "../../src/events/redis.js";
import { testRedisUrl } from "../helpers/backends.js";
import type { LogLine } from "../helpers/service.js";

/** A TCP relay in front of the real Redis that the test can cut and restore, as an outage would. */
function createRelay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("error", () => {});
          s.on("close", () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  return {
    start: listen,
    url: () => `redis://127.0.0.1:${port}`,
    async cut() {
      const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      for (const s of sockets) s.destroy();
      await closing;
      server = null;
    },
    restore: listen,
  };
}

describe.runIf(testRedisUrl)("a Redis outage after start", () => {
  const logs: LogLine[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
        done();
      },
    }),
  });
  const relay = createRelay(new URL(testRedisUrl ?? "redis://127.0.0.1:6379"));
  let redis: RedisEvents;

  beforeAll(async () => {
    await relay.start();
    redis = await connectRedis(relay.url(), logger);
  });
  afterAll(async () => {
    await redis?.close();
    await relay.cut();
  });

  it("when Redis goes away and an event is published, then the event is lost and logged, the process carries on, and a reconnect is announced", async () => {
    const pubsub = createPubSub({ eventTarget: redis.eventTarget });
    const reconnects = vi.fn();
    redis.onReconnect(reconnects);
    const heard: unknown[] = [];
    pubsub.listen("historyPruned", (event) => heard.push(event));
    await new Promise((r) => setTimeout(r, 200));

    await relay.cut();
    // Unhandled rejections fail a vitest run: this publish must not leave one behind.
    pubsub.publish("historyPruned", { snapshots: 1 });
    await vi.waitFor(() => expect(logs.some((l) => l.msg === "redis publish failed; the event is lost")).toBe(true), { timeout: 20_000 });
    expect(heard).toEqual([]);

    await relay.restore();
    await vi.waitFor(() => expect(reconnects).toHaveBeenCalled(), { timeout: 20_000 });
    pubsub.publish("historyPruned", { snapshots: 2 });
    await vi.waitFor(() => expect(heard).toContainEqual({ snapshots: 2 }), { timeout: 10_000 });
  }, 60_000);
});
