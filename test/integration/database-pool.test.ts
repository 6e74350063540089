import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.js";
import { createLogger } from "../../src/logger.js";
import { backends, testDatabaseUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

describe.runIf(backends.includes("postgres"))("DATABASE_POOL_SIZE on postgres", () => {
  let database: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await database?.dispose();
  });

  it.each([2, 5])("when the pool holds %d connections and more statements than that run at once, then the instance opens that many and no more", async (poolSize) => {
    if (database.config.kind !== "postgres") throw new Error("postgres only");
    const db = await openDatabase({ ...database.config, poolSize }, createLogger({ level: "silent" }));
    try {
      const name = new URL(database.config.url).pathname.slice(1);
      const sleep = { name: "pool-test-sleep", text: "SELECT pg_sleep(0.5) AS slept" };
      const running = Promise.all(Array.from({ length: 8 }, () => db.read(sleep, [])));
      let peak = 0;
      for (let i = 0; i < 10; i++) {
        const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [name]);
        peak = Math.max(peak, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await running;
      expect(peak).toBe(poolSize);
    } finally {
      await db.close();
    }
  });
});
