import { spawnSync } from "node:child_process";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, MigrationError, readMigrations } from "../../src/db/migrate.js";
import type { Database } from "../../src/db/client.js";
import { createLogger } from "../../src/logger.js";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from "../helpers/database.js";
import { makeTempDir } from "../helpers/temp.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DRIFT = join(ROOT, "test", "drift");
const quiet = createLogger({ level: "silent" });

/** Runs Prisma 6's `migrate diff` (WASM engine, PGlite shadow database), fully offline. */
function prismaDiff(args: string[], schemaFile: string) {
  const dir = spawnSync("node", ["-e", "console.log(require.resolve('prisma/build/index.js'))"], { cwd: DRIFT, encoding: "utf8" });
  const cli = dir.stdout.trim();
  const placeholder = join(DRIFT, "package.json");
  return spawnSync(process.execPath, [cli, "migrate", "diff", "--config", join(DRIFT, "prisma.config.mjs"), ...args], {
    cwd: DRIFT,
    encoding: "utf8",
    env: {
      ...process.env,
      DRIFT_SCHEMA: schemaFile,
      // Prisma 6 checks that its native engines exist even when it runs the WASM one.
      PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
      PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
    timeout: 120_000,
  });
}

/** schema.prisma as Prisma 6 reads it: no Prisma 7 generators, and a datasource url. */
async function prisma6Schema(dir: string, extra = ""): Promise<string> {
  const source = await readFile(join(ROOT, "prisma", "schema.prisma"), "utf8");
  const withoutGenerators = source.replace(/generator \w+ \{[^}]*\}\n?/g, "");
  const withUrl = withoutGenerators.replace(/datasource db \{/, 'datasource db {\n  url = "postgresql://offline/unused"');
  const file = join(dir, "schema.prisma");
  await writeFile(file, withUrl + extra);
  return file;
}

describe("prisma/migrations against prisma/schema.prisma", () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    tmp = await makeTempDir("drift");
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it("when the migrations are replayed, then they produce exactly what the schema declares (no drift)", async () => {
    const schema = await prisma6Schema(tmp.path);
    const result = prismaDiff(["--from-migrations", MIGRATIONS_DIR, "--to-schema-datamodel", schema, "--exit-code"], schema);
    expect(result.stderr + result.stdout).toContain("No difference detected");
    expect(result.status).toBe(0);
  });

  it("when the schema declares something no migration creates, then the check reports drift", async () => {
    const dir = join(tmp.path, "drifted");
    await mkdir(dir);
    const schema = await prisma6Schema(dir, "\nmodel Drift {\n  id Int @id\n}\n");
    const result = prismaDiff(["--from-migrations", MIGRATIONS_DIR, "--to-schema-datamodel", schema, "--exit-code"], schema);
    expect(result.status).toBe(2);
    expect(result.stdout).toMatch(/Drift/);
  });
});

describe.each(backends)("applying migrations on %s", (backend) => {
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = await database.open({ migrate: false });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const rows = () =>
    db.prisma.$queryRawUnsafe<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }[]>(
      `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name`,
    );

  it("when run twice, then the second run applies nothing and records nothing new", async () => {
    const local = (await readMigrations(MIGRATIONS_DIR)).map((m) => m.name);
    const conn = await db.connect();
    try {
      expect(await applyMigrations(conn, MIGRATIONS_DIR, quiet)).toEqual(local);
      const afterFirst = await rows();
      expect(afterFirst.map((r) => r.migration_name)).toEqual(local);
      expect(afterFirst.every((r) => r.finished_at instanceof Date && r.rolled_back_at === null)).toBe(true);
      expect(await applyMigrations(conn, MIGRATIONS_DIR, quiet)).toEqual([]);
      expect(await rows()).toEqual(afterFirst);
    } finally {
      await conn.release();
    }
    expect(await db.prisma.snapshot.count()).toBe(0);
  });

  it("when a migration fails, then it is rolled back whole, nothing is recorded, and the error names it", async () => {
    const temp = await makeTempDir("migrations");
    const dir = join(temp.path, "migrations");
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(join(dir, "29990101000000_broken"));
    await writeFile(join(dir, "29990101000000_broken", "migration.sql"), 'CREATE TABLE "half_done" (id int);\nALTER TABLE "no_such_table" ADD COLUMN x int;\n');
    const before = await rows();
    const conn = await db.connect();
    try {
      await expect(applyMigrations(conn, dir, quiet)).rejects.toThrow(MigrationError);
      await expect(applyMigrations(conn, dir, quiet)).rejects.toThrow(/migration 29990101000000_broken failed and was rolled back: .*no_such_table/);
    } finally {
      await conn.release();
      await temp.remove();
    }
    expect(await rows()).toEqual(before);
    const tables = await db.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(tables[0]!.n).toBe(0);
  });

  it("when a migration failed half-way under prisma migrate deploy, then start-up refuses with the way out", async () => {
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('00000000-0000-4000-8000-000000000000', 'x', '29990101000000_manual', now(), 0)`,
    );
    const conn = await db.connect();
    try {
      await expect(applyMigrations(conn, MIGRATIONS_DIR, quiet)).rejects.toThrow(/29990101000000_manual failed earlier.*prisma migrate resolve/);
    } finally {
      await conn.release();
      await db.prisma.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE migration_name = '29990101000000_manual'`);
    }
  });
});
