import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { Config } from "../../src/config.js";
import { openDatabase, type Database } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrate.js";
import { createLogger } from "../../src/logger.js";
import { testDatabaseUrl, type Backend } from "./backends.js";
import { makeTempDir } from "./temp.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

export interface TestDatabase {
  backend: Backend;
  config: Config["database"];
  /** Environment that points a service process at this database (DATA_DIR or DATABASE_URL). */
  env: Record<string, string>;
  /** Opens a client and applies the migrations; close it before the service process opens a PGlite dir. */
  open(options?: { migrate?: boolean }): Promise<Database>;
  dispose(): Promise<void>;
}

const quiet = createLogger({ level: "silent" });

async function adminClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is unreachable at it: ${(error as Error).message}`);
  }
  return client;
}

/** A fresh, empty database for one test file: a new PGlite data dir, or a new PostgreSQL database. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const opened: Database[] = [];
  const open = async ({ migrate = true } = {}) => {
    const db = await openDatabase(config, quiet);
    opened.push(db);
    if (migrate) {
      const conn = await db.connect();
      try {
        await applyMigrations(conn, MIGRATIONS_DIR, quiet);
      } finally {
        await conn.release();
      }
    }
    return db;
  };
  let config: Config["database"];
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  if (backend === "pglite") {
    const dir = await makeTempDir("pglite");
    const dataDir = join(dir.path, "data");
    config = { kind: "pglite", dataDir };
    env = { DATA_DIR: dataDir };
    cleanup = dir.remove;
  } else {
    const adminUrl = testDatabaseUrl;
    if (!adminUrl) throw new Error("the postgres backend needs TEST_DATABASE_URL");
    const name = `osqinv_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const admin = await adminClient(adminUrl);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    config = { kind: "postgres", url: url.toString() };
    env = { DATABASE_URL: url.toString() };
    cleanup = async () => {
      const a = await adminClient(adminUrl);
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    };
  }
  return {
    backend,
    config,
    env,
    open,
    async dispose() {
      await Promise.allSettled(opened.map((db) => db.close()));
      await cleanup();
    },
  };
}

type PrismaClientOf = Database["prisma"];

/**
 * Ids of the catalog's software rows that apps link to: of open apps only (the newest snapshot's) unless
 * `open` is false, of one host when `hostId` is given. apps.software_id has no foreign key, hence no
 * Prisma relation to filter software by.
 */
export async function linkedSoftwareIds(prisma: PrismaClientOf, { hostId, open = true }: { hostId?: number; open?: boolean } = {}): Promise<number[]> {
  const apps = await prisma.app.findMany({
    where: { ...(hostId !== undefined ? { hostId } : {}), ...(open ? { removedSnapshotId: null } : {}) },
    select: { softwareId: true },
    distinct: ["softwareId"],
  });
  return apps.map((a) => a.softwareId);
}
