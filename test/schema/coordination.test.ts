import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCollector, type Collector } from "../../src/sources/local/collector.js";
import { createOsqueryRunner } from "../../src/sources/local/osqueryi.js";
import type { Database } from "../../src/db/client.js";
import { createLogger } from "../../src/logger.js";
import { createPubSub } from "../../src/events/pubsub.js";
import { createHostSnapshots } from "../../src/store/host-snapshots.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { backends, testDatabaseUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";

const quiet = createLogger({ level: "silent" });

/** A collector as one service instance builds it: its own database handle, so its own pool and locks. */
function instanceCollector(db: Database, machine: FakeMachine): Collector {
  return createCollector({
    runner: createOsqueryRunner({ binary: machine.binary, timeoutMs: 20_000, maxOutputBytes: 8 * 1024 * 1024 }),
    store: createInventoryStore({ db: db.prisma, fallbackHostname: "coordination-test" }),
    pubsub: createPubSub(),
    logger: quiet,
    locks: db.locks,
    hostSnapshots: createHostSnapshots(db.prisma),
    fallbackHostname: "coordination-test",
  });
}

/** The software query is the one a real collection makes once; system_info runs before the lock. */
const softwareRuns = async (machine: FakeMachine) => (await machine.invocations()).filter((run) => /deb_packages/.test(run.sql)).length;

describe.each(backends)("collection lock on %s", (backend) => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let handles: Database[];

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const slow = ubuntu(generatedPackages(40));
    // Long enough that every caller arrives while the first run still holds the lock.
    slow.tables["deb_packages"]!.delayMs = 1500;
    machine = await createFakeMachine(slow);
    // PGlite is one process: a second handle on its data directory is refused, so there is one instance.
    handles = backend === "postgres" ? [await database.open(), await database.open(), await database.open()] : [await database.open()];
  });
  afterAll(async () => {
    await machine?.dispose();
    await database?.dispose();
  });

  it("when every instance collects the same host at once, then one collection runs and all get its snapshot", async () => {
    const collectors = handles.map((db) => instanceCollector(db, machine));
    const before = await softwareRuns(machine);
    const snapshots = await Promise.all(collectors.flatMap((c) => [c.collect(), c.collect()]));
    expect(new Set(snapshots.map((s) => s.id)).size).toBe(1);
    expect(snapshots[0]).toMatchObject({ status: "SUCCEEDED", appCount: 40 });
    expect(await softwareRuns(machine)).toBe(before + 1);
    expect(await handles[0]!.prisma.snapshot.count()).toBe(1);
  });

  it("when instances collect one after another, then each runs its own collection", async () => {
    const [first, second] = [instanceCollector(handles[0]!, machine), instanceCollector(handles.at(-1)!, machine)];
    const a = await first.collect();
    const b = await second.collect();
    expect(b.id).toBeGreaterThan(a.id);
    expect(b).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0 });
  });

  it("when collections overlap in every way, then no two stored runs of the host overlap in time", async () => {
    const collectors = handles.map((db) => instanceCollector(db, machine));
    await Promise.all(collectors.map(async (c, i) => {
      await new Promise((r) => setTimeout(r, i * 700));
      await c.collect();
      await c.collect();
    }));
    const runs = await handles[0]!.prisma.snapshot.findMany({ orderBy: { collectedAt: "asc" } });
    for (let i = 1; i < runs.length; i++) {
      const previousEnd = runs[i - 1]!.collectedAt.getTime() + runs[i - 1]!.durationMs;
      expect(runs[i]!.collectedAt.getTime()).toBeGreaterThanOrEqual(previousEnd);
    }
  });
});

describe.runIf(testDatabaseUrl)("leadership on PostgreSQL", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const waitFor = async (condition: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("when three instances compete, then exactly one leads, and when it steps down another takes over", async () => {
    const handles = [await database.open({ migrate: false }), await database.open({ migrate: false }), await database.open({ migrate: false })];
    const changes: [number, boolean][] = [];
    const leaders = handles.map((db, i) =>
      db.locks.createLeadership({ checkIntervalMs: 100, onChange: (leader) => changes.push([i, leader]) }),
    );
    try {
      for (const leadership of leaders) leadership.start();
      await waitFor(() => leaders.some((l) => l.isLeader()));
      // Several check rounds: the followers keep trying and keep failing.
      await new Promise((r) => setTimeout(r, 500));
      expect(leaders.filter((l) => l.isLeader())).toHaveLength(1);
      const first = leaders.findIndex((l) => l.isLeader());
      await leaders[first]!.stop();
      await waitFor(() => leaders.some((l, i) => i !== first && l.isLeader()));
      expect(leaders.filter((l) => l.isLeader())).toHaveLength(1);
      expect(changes.filter(([, leader]) => leader)).toHaveLength(2);
      expect(changes).toContainEqual([first, false]);
    } finally {
      await Promise.all(leaders.map((l) => l.stop()));
    }
  });

  it("when the leader's database session is cut, then it stops leading and the freed lock is taken by exactly one instance", async () => {
    const handles = [await database.open({ migrate: false }), await database.open({ migrate: false })];
    const changes: [number, boolean][] = [];
    const leaders = handles.map((db, i) => db.locks.createLeadership({ checkIntervalMs: 100, onChange: (leader) => changes.push([i, leader]) }));
    const admin = await database.open({ migrate: false });
    // Another test file's leader on the same server: same application name, an advisory lock of its
    // own, in its own database. Cutting this file's leader must leave it alone.
    const elsewhere = await createTestDatabase("postgres");
    const bystanderUrl = new URL(elsewhere.env["DATABASE_URL"]!);
    bystanderUrl.searchParams.set("application_name", "osquery-inventory leader");
    const bystander = new pg.Client({ connectionString: bystanderUrl.toString() });
    await bystander.connect();
    let bystanderError: unknown = null;
    bystander.on("error", (error) => (bystanderError = error));
    await bystander.query("SELECT pg_advisory_lock(1)");
    try {
      leaders[0]!.start();
      await waitFor(() => leaders[0]!.isLeader());
      leaders[1]!.start();
      await new Promise((r) => setTimeout(r, 300));
      expect(leaders[1]!.isLeader()).toBe(false);
      const before = changes.length;
      // What a crashed process or a network cut looks like from the database: the session is gone.
      const conn = await admin.connect();
      await conn.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND application_name = 'osquery-inventory leader' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)`,
      );
      await conn.release();
      // The cut leader notices and steps down; then one of the two (both compete again) holds the lock.
      await waitFor(() => changes.slice(before).some(([i, leader]) => i === 0 && !leader));
      await waitFor(() => leaders.filter((l) => l.isLeader()).length === 1);
      // Several check rounds later there is still exactly one.
      await new Promise((r) => setTimeout(r, 300));
      expect(leaders.filter((l) => l.isLeader())).toHaveLength(1);
      expect((await bystander.query("SELECT 1 AS alive")).rows).toEqual([{ alive: 1 }]);
      expect(bystanderError).toBeNull();
    } finally {
      await Promise.all(leaders.map((l) => l.stop()));
      await bystander.end().catch(() => {});
      await elsewhere.dispose();
    }
  });
});
