import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeWs } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { startService, type LogLine, type ServiceProcess } from "../helpers/service.js";

/** Every two seconds: short enough to see takeover within one period in a test. */
const SCHEDULE = "*/2 * * * * *";
const PERIOD_MS = 2000;
const CHECK_SECONDS = 1;

const isLeader = (service: ServiceProcess) => {
  const changes = service.logs.filter((l) => l.msg === "leadership acquired: this instance runs the schedule" || l.msg === "leadership lost" || l.msg === "leadership released");
  return changes.at(-1)?.msg === "leadership acquired: this instance runs the schedule";
};
const collections = (service: ServiceProcess, since = 0) =>
  service.logs.slice(since).filter((l: LogLine) => l.msg === "collection succeeded" || l.msg === "collection failed").length;

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

describe.runIf(testDatabaseUrl && testRedisUrl)("three instances on one PostgreSQL and Redis", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let instances: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    machine = await createFakeMachine(ubuntu(generatedPackages(30)));
    const env = {
      ...database.env,
      OSQUERY_BIN: machine.binary,
      REDIS_URL: testRedisUrl!,
      COLLECT_SCHEDULE: SCHEDULE,
      LEADER_CHECK_SECONDS: String(CHECK_SECONDS),
    };
    // One by one: the first applies the migrations, the others find them done.
    for (let i = 0; i < 3; i++) instances.push(await startService(env));
  });
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.stop("SIGKILL")));
    await machine?.dispose();
    await database?.dispose();
  });

  it("when three instances run, then exactly one leads and only it runs the schedule", async () => {
    await until(() => instances.filter(isLeader).length === 1, 10_000, "a leader");
    const marks = instances.map((s) => s.logs.length);
    // Several schedule periods and leadership checks.
    await new Promise((r) => setTimeout(r, 3 * PERIOD_MS + 500));
    expect(instances.filter(isLeader)).toHaveLength(1);
    const leader = instances.find(isLeader)!;
    expect(collections(leader, marks[instances.indexOf(leader)])).toBeGreaterThanOrEqual(2);
    for (const [i, follower] of instances.entries()) {
      if (follower === leader) continue;
      expect(collections(follower, marks[i])).toBe(0);
    }
  });

  it("when the leader is killed, then another takes over within one schedule period and a third instance's subscribers hear its collections", async () => {
    const leader = instances.find(isLeader)!;
    const survivors = instances.filter((s) => s !== leader);
    // A subscriber on each survivor: one will become the leader, the other only hears through Redis.
    const clients = survivors.map((s) => createWebSocketClient(s.endpoint));
    const subs = clients.map((c) => subscribeWs(c, SnapshotUpdatedSubscription));
    try {
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = Date.now();
      expect(await leader.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
      const marks = survivors.map((s) => s.logs.length);
      await until(() => survivors.some(isLeader), PERIOD_MS + CHECK_SECONDS * 1000 + 2000, "takeover");
      const takeoverMs = Date.now() - killedAt;
      const newLeader = survivors.find(isLeader)!;
      const other = survivors.find((s) => s !== newLeader)!;
      expect(isLeader(other)).toBe(false);
      await until(() => collections(newLeader, marks[survivors.indexOf(newLeader)]) > 0, PERIOD_MS + 8000, "first collection of the new leader");
      const firstCollectionMs = Date.now() - killedAt;
      // Takeover costs at most one leadership check; then the next tick collects. Slack for osquery runs on a busy machine.
      expect(takeoverMs).toBeLessThanOrEqual(CHECK_SECONDS * 1000 + 2000);
      expect(firstCollectionMs).toBeLessThanOrEqual(takeoverMs + PERIOD_MS + 3000);
      // The new leader's collections reach the other instance's subscriber through Redis. Other test
      // files share this Redis, so an event counts only if it names a snapshot of this database
      // stored after the kill, which only the new leader can have collected.
      const db = await database.open({ migrate: false });
      const collectedHere = async (id: string) => {
        const [type, n] = Buffer.from(id, "base64").toString("utf8").split(":");
        const snapshot = type === "Snapshot" ? await db.prisma.snapshot.findUnique({ where: { id: Number(n) } }) : null;
        return snapshot !== null && snapshot.collectedAt.getTime() >= killedAt;
      };
      const otherSub = subs[survivors.indexOf(other)]!;
      let heard = false;
      for (let i = 0; i < 50 && !heard; i++) {
        const event = await otherSub.next(10_000);
        const id = event.data?.snapshotUpdated.id;
        heard = id !== undefined && (await collectedHere(id));
      }
      expect(heard).toBe(true);
      expect(collections(other, marks[survivors.indexOf(other)])).toBe(0);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
      await Promise.all(clients.map((c) => c.dispose()));
    }
    instances = survivors;
  });

  it("when collectSnapshot is called on every instance at once, then they all answer and no two runs of the host overlap", async () => {
    const slow = ubuntu(generatedPackages(31));
    slow.tables["deb_packages"]!.delayMs = 1200;
    await machine.set(slow);
    const results = await Promise.all(instances.map((s) => execute(s.endpoint, CollectSnapshotMutation, {})));
    for (const result of results) {
      const snapshot = expectNoGraphQLErrors(result).collectSnapshot;
      expect(snapshot.status, snapshot.error ?? "").toBe("SUCCEEDED");
    }
    const db = await database.open({ migrate: false });
    const runs = await db.prisma.snapshot.findMany({ orderBy: { collectedAt: "asc" } });
    expect(runs.length).toBeGreaterThan(3);
    for (let i = 1; i < runs.length; i++) {
      const previousEnd = runs[i - 1]!.collectedAt.getTime() + runs[i - 1]!.durationMs;
      expect(runs[i]!.collectedAt.getTime()).toBeGreaterThanOrEqual(previousEnd);
    }
  });
});
