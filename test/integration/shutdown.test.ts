import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

const SUBSCRIBERS = 500;

/** A graphql-ws subscriber on a raw socket (cheap enough for hundreds); resolves once subscribed. */
function subscriber(url: string): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
    const closed = new Promise<number>((r) => socket.once("close", (code) => r(code)));
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type !== "connection_ack") return;
      socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { snapshotUpdated { id status } }" } }));
      // The server has no "subscribed" message; a moment later the subscription is registered.
      setTimeout(() => resolve({ closed }), 20);
    });
  });
}

describe.each(backends)("graceful shutdown under load on %s", (backend) => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    machine = await createFakeMachine(ubuntu(generatedPackages(500)));
    // Every subscriber connects from 127.0.0.1.
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, MAX_SOCKETS_PER_CLIENT: String(SUBSCRIBERS) });
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when SIGTERM arrives with 500 subscribers and requests in flight, then the requests finish, subscribers are closed with 1001, and it exits 0 within 10 s", async () => {
    const subscribers: { closed: Promise<number> }[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      subscribers.push(...(await Promise.all(Array.from({ length: 50 }, () => subscriber(service.endpoint)))));
    }

    // A collection that is still in osquery when the signal comes, and a stream of queries.
    const slow = ubuntu(generatedPackages(500));
    slow.tables["deb_packages"] = { ...slow.tables["deb_packages"]!, delayMs: 3000 };
    await machine.set(slow);
    const collecting = execute(service.endpoint, CollectSnapshotMutation, {}).then(
      (r) => ({ status: r.status, code: r.errors?.[0]?.extensions?.["code"] ?? null }),
      (error: Error) => ({ status: 0, code: error.message }),
    );
    let stop = false;
    let signalledAt = Number.POSITIVE_INFINITY;
    const outcomes: string[] = [];
    const queries = Array.from({ length: 10 }, async () => {
      while (!stop) {
        const sentAt = Date.now();
        try {
          const result = await execute(service.endpoint, LatestDataQuery, { first: 100 });
          outcomes.push(result.errors ? `error ${result.errors[0]?.message}` : `ok ${result.status}`);
        } catch (error) {
          // A request sent after the signal may meet a closing socket or a closed port; only
          // requests already in flight when the signal came must finish.
          if (sentAt >= signalledAt) return;
          outcomes.push(`broken ${String((error as Error & { cause?: Error }).cause ?? error)}`);
        }
      }
    });
    await new Promise((r) => setTimeout(r, 500));

    const started = Date.now();
    signalledAt = started;
    const exit = await service.stop("SIGTERM");
    const elapsed = Date.now() - started;
    stop = true;
    await Promise.all(queries);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(10_000);
    const codes = await Promise.all(subscribers.map((s) => s.closed));
    expect(codes.filter((c) => c !== 1001)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => !o.startsWith("ok 200"))).toEqual([]);
    // The run in progress is abandoned cleanly: its caller gets an answer, not a reset connection.
    expect(await collecting).toEqual({ status: 200, code: "COLLECTION_FAILED" });
    expect(service.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["collection abandoned: the service is shutting down", "stopped"]));
    // Hundreds of subscribers are expected load, not a listener leak worth a warning on stderr.
    expect(service.stderr()).not.toMatch(/MaxListenersExceededWarning/);
  }, 60_000);
});

// How a stream ends does not depend on the database: PGlite only.
describe("graceful shutdown with an SSE subscriber", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary });
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when SIGTERM arrives with an SSE subscription open, then the client gets event: complete on a cleanly ended stream, and the process exits well under a second later", async () => {
    const response = await fetch(service.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { snapshotUpdated { id status } }" }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? "";
    // The server has no "subscribed" message; a moment later the subscription is registered.
    await new Promise((r) => setTimeout(r, 300));

    const signalledAt = Date.now();
    const exited = service.stop("SIGTERM").then((exit) => ({ ...exit, at: Date.now() }));
    let completedAt: number | null = null;
    // A stream cut without an end makes read() reject ("terminated"), failing the test.
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      if (completedAt === null && text.includes("event: complete")) completedAt = Date.now();
    }
    const exit = await exited;

    expect(text).toMatch(/event: complete\ndata:\n\n$/);
    expect(text).not.toContain("event: next");
    expect(completedAt).not.toBeNull();
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.at - completedAt!).toBeLessThan(500);
    expect(completedAt! - signalledAt).toBeLessThan(2000);
  });
});
