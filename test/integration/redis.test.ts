import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeWs, type Subscription } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { spawnService, startService, type ServiceProcess } from "../helpers/service.js";
import type { SnapshotUpdatedSubscription as SnapshotUpdatedResult } from "../gql/graphql.js";

/** Skips events of other test files that share this Redis server until the one with `id` comes. */
async function eventWithId(sub: Subscription<SnapshotUpdatedResult>, id: string) {
  for (let i = 0; i < 20; i++) {
    const event = await sub.next();
    if (event.data?.snapshotUpdated.id === id) return event;
  }
  throw new Error(`no event for snapshot ${id}`);
}

describe.runIf(testDatabaseUrl && testRedisUrl)("two instances sharing PostgreSQL and Redis", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let a: ServiceProcess;
  let b: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    machine = await createFakeMachine(ubuntu(generatedPackages(50)));
    const env = { ...database.env, OSQUERY_BIN: machine.binary, REDIS_URL: testRedisUrl! };
    a = await startService(env);
    await a.waitForLog((l) => l.msg === "collection succeeded" || l.msg === "collection failed");
    // B is a follower: A holds the leadership, so only A runs the schedule (and its start-up collection).
    b = await startService(env);
  });
  afterAll(async () => {
    await a?.stop("SIGKILL");
    await b?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when instance A collects, then a subscriber on instance B hears it, with every field intact", async () => {
    expect(b.logs.some((l) => l.msg === "subscription events go through Redis")).toBe(true);
    const ws = createWebSocketClient(b.endpoint);
    const sub = subscribeWs(ws, SnapshotUpdatedSubscription);
    try {
      await new Promise((r) => setTimeout(r, 500));
      await machine.set(ubuntu(generatedPackages(52)));
      const collected = expectNoGraphQLErrors(await execute(a.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
      expect(collected).toMatchObject({ status: "SUCCEEDED", added: 2 });
      const event = await eventWithId(sub, collected.id);
      expect(event.errors).toBeUndefined();
      expect(event.data?.snapshotUpdated).toEqual(collected);
    } finally {
      await sub.close();
      await ws.dispose();
    }
  });

  it("when the instances stop, then each exits 0 after closing its Redis connections", async () => {
    expect(await b.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(b.logs.some((l) => l.msg === "stopping" && l["step"] === "redis")).toBe(true);
  });
});

describe("a Redis that cannot be reached", () => {
  it("when REDIS_URL points nowhere, then the service refuses to start and says so", async () => {
    const database = await createTestDatabase("pglite");
    try {
      const service = spawnService({ ...database.env, REDIS_URL: "redis://127.0.0.1:1" });
      const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
      expect(exit).toBe(1);
      const fatal = service.logs.find((l) => l.msg === "failed to start");
      expect(JSON.stringify(fatal)).toMatch(/Redis is unreachable at redis:\/\/127\.0\.0\.1:1/);
    } finally {
      await database.dispose();
    }
  });
});
