import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, testDatabaseUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, type Harness } from "../helpers/harness.js";
import { createFakeMachine, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

describe.runIf(backends.includes("postgres"))("health on postgres", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let admin: pg.Client;
  const name = () => new URL(database.env["DATABASE_URL"]!).pathname.slice(1);
  const health = async () => (await fetch(`${service.origin}/health`)).status;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary });
    await service.waitForLog((l) => l.msg === "collection succeeded");
    admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`).catch(() => {});
    await admin?.end();
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when PostgreSQL drops the service's connections and refuses new ones, then /health is 503 and the process stays up; when it is back, 200 and collections succeed", async () => {
    expect(await health()).toBe(200);
    const before = expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, { first: 100 })).latestData;
    await admin.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name()]);
    expect(await health()).toBe(503);
    expect(await health()).toBe(503);
    const during = await execute(service.endpoint, CollectSnapshotMutation, {});
    expect(during.status).toBeLessThan(500);
    expect(during.errors?.[0]).toMatchObject({
      // The host's lock and its last snapshot are read before osquery runs: that read is what fails now.
      message: expect.stringMatching(/^the collection could not start: the database is unavailable \(.+\)$/),
      extensions: { code: "COLLECTION_FAILED", reason: "DATABASE_ERROR" },
    });
    expect(service.child.exitCode).toBeNull();

    await admin.query(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`);
    expect(await health()).toBe(200);
    expect(expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, { first: 100 })).latestData).toEqual(before);
    const after = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {}));
    expect(after.collectSnapshot.status).toBe("SUCCEEDED");
  });
});

describe("health on pglite", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu());
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when the embedded database is gone, then /health is 503", async () => {
    const port = await h.server.listen(0, "127.0.0.1");
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    await h.db.close();
    const response = await fetch(`http://127.0.0.1:${port}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable", database: "down" });
    expect(h.logs.some((l) => l.msg === "health check failed: database unreachable")).toBe(true);
  });
});
