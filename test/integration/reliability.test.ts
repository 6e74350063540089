import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, testDatabaseUrl, type Backend } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

describe.runIf(backends.includes("postgres"))("database connections killed mid-collection (postgres)", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let admin: pg.Client;
  const name = () => new URL(database.env["DATABASE_URL"]!).pathname.slice(1);
  const kill = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name()]);
  const counts = async () => {
    const { rows } = await admin.query(`SELECT (SELECT count(*) FROM apps)::int AS apps, (SELECT count(*) FROM snapshots WHERE status = 'SUCCEEDED')::int AS succeeded`);
    return rows[0] as { apps: number; succeeded: number };
  };
  const latest = async () => expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, { first: 100 })).latestData;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    machine = await createFakeMachine(ubuntu(generatedPackages(300)));
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary });
    await service.waitForLog((l) => l.msg === "collection succeeded");
    admin = new pg.Client({ connectionString: database.env["DATABASE_URL"] });
    await admin.connect();
    // Holds every app insert for two seconds, so the test can cut the connection inside the transaction.
    await admin.query(`CREATE FUNCTION slow_apps() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$ LANGUAGE plpgsql`);
  });
  afterAll(async () => {
    await admin?.end().catch(() => {});
    const cleanup = new pg.Client({ connectionString: testDatabaseUrl });
    await cleanup.connect();
    await cleanup.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`).catch(() => {});
    await cleanup.end();
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when the service's connections are terminated inside the write, then the run is FAILED, nothing partial is visible, and the next run succeeds", async () => {
    const before = await latest();
    const rows = await counts();
    await admin.query(`CREATE TRIGGER slow_apps BEFORE INSERT ON apps FOR EACH STATEMENT EXECUTE FUNCTION slow_apps()`);
    await machine.set(ubuntu([...generatedPackages(300), ...generatedPackages(50, "late")]));
    const pending = execute(service.endpoint, CollectSnapshotMutation, {});
    // Wait until the write is in flight (the insert sleeps in the trigger), then cut every connection.
    for (let i = 0; i < 50; i++) {
      const { rows: active } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE 'INSERT INTO%apps%'`,
        [name()],
      );
      if ((active[0] as { n: number }).n > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await kill();
    await admin.query(`DROP TRIGGER slow_apps ON apps`);
    const result = expectNoGraphQLErrors(await pending).collectSnapshot;
    expect(result.status).toBe("FAILED");
    expect(result.error).toMatch(/^\[DATABASE_ERROR\] the snapshot could not be stored: /);
    expect(await counts()).toEqual(rows);
    expect(await latest()).toEqual(before);
    expect(service.child.exitCode).toBeNull();

    const next = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
    expect(next).toMatchObject({ status: "SUCCEEDED", added: 50, removed: 0 });
  });

  it("when the database refuses every connection during a run, then /health is 503, the caller learns nothing was stored, and the process stays up", async () => {
    const outside = new pg.Client({ connectionString: testDatabaseUrl });
    await outside.connect();
    try {
      await outside.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS false`);
      await kill();
      expect((await fetch(`${service.origin}/health`)).status).toBe(503);
      const during = await execute(service.endpoint, CollectSnapshotMutation, {});
      expect(during.status).toBeLessThan(500);
      expect(during.errors?.[0]?.extensions).toMatchObject({ code: "COLLECTION_FAILED", reason: "DATABASE_ERROR" });
      expect(service.child.exitCode).toBeNull();
    } finally {
      await outside.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`);
      await outside.end();
    }
    expect((await fetch(`${service.origin}/health`)).status).toBe(200);
    expect(expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot.status).toBe("SUCCEEDED");
  });
});

describe.each(backends)("concurrency and crashes on %s", (backend: Backend) => {
  let database: TestDatabase;
  let machine: FakeMachine;
  const services: ServiceProcess[] = [];
  const start = async () => {
    const s = await startService({ ...database.env, OSQUERY_BIN: machine.binary });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    machine = await createFakeMachine(ubuntu(generatedPackages(200)));
  });
  afterAll(async () => {
    for (const s of services) await s.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when 100 clients call collectSnapshot at once, then exactly one run happens and every caller gets its snapshot", async () => {
    const service = await start();
    await service.waitForLog((l) => l.msg === "collection succeeded");
    const slow = ubuntu(generatedPackages(200));
    slow.tables["osquery_info"] = { ...slow.tables["osquery_info"]!, delayMs: 500 };
    await machine.set(slow);
    const runsBefore = (await machine.invocations()).length;
    const succeededBefore = service.logs.filter((l) => l.msg === "collection succeeded").length;
    const results = await Promise.all(Array.from({ length: 100 }, () => execute(service.endpoint, CollectSnapshotMutation, {})));
    const ids = new Set(results.map((r) => expectNoGraphQLErrors(r).collectSnapshot.id));
    expect(ids.size).toBe(1);
    expect((await machine.invocations()).length - runsBefore).toBe(4);
    expect(service.logs.filter((l) => l.msg === "collection succeeded").length - succeededBefore).toBe(1);
    await service.stop("SIGTERM");
  });

  it("when the process is SIGKILLed during a large ingest, then a restart finds no partial snapshot, migrates nothing, and collects again", async () => {
    await machine.set(ubuntu(generatedPackages(30_000, "big")));
    const service = await start();
    const runs = (await machine.invocations()).length;
    // Kill once osquery has answered the software query, i.e. while the snapshot is being written.
    for (let i = 0; i < 200 && (await machine.invocations()).length < runs + 4; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 150));
    expect(await service.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });

    const restarted = await start();
    await restarted.waitForLog((l) => l.msg === "collection succeeded" || l.msg === "collection failed", 120_000);
    expect(restarted.logs.some((l) => l.msg === "migration applied")).toBe(false);
    const latest = expectNoGraphQLErrors(await execute(restarted.endpoint, LatestDataQuery, { first: 1 })).latestData;
    expect(latest.snapshot).toMatchObject({ status: "SUCCEEDED", appCount: 30_000 });
    expect(latest.totalCount).toBe(30_000);
    await restarted.stop("SIGTERM");

    // Every SUCCEEDED snapshot has exactly the rows it says it has; a half-written one would not.
    const db = await database.open({ migrate: false });
    try {
      const snapshots = await db.prisma.snapshot.findMany({ where: { status: "SUCCEEDED" } });
      for (const s of snapshots) {
        const alive = await db.prisma.app.count({
          where: { hostId: s.hostId, firstSeenSnapshotId: { lte: s.id }, OR: [{ removedSnapshotId: null }, { removedSnapshotId: { gt: s.id } }] },
        });
        expect(alive).toBe(s.appCount);
      }
      const orphans = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM apps a WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.id = a.first_seen_snapshot_id)`,
      );
      expect(orphans[0]!.n).toBe(0);
    } finally {
      await db.close();
    }
  });
});
