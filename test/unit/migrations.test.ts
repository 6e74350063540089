import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readMigrations } from "../../src/db/migrate.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

const folders = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe("readMigrations", () => {
  it("when reading prisma/migrations, then it returns every folder in sorted order", async () => {
    const migrations = await readMigrations(MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual([...folders].sort());
  });

  it.each(folders)("when reading %s, then its name is <14 digits>_<name>", (folder) => {
    expect(folder).toMatch(/^\d{14}_[a-z0-9_]+$/);
  });

  it.each(folders)("when reading %s, then sql and checksum come from migration.sql's bytes", async (folder) => {
    const bytes = readFileSync(join(MIGRATIONS_DIR, folder, "migration.sql"));
    const migration = (await readMigrations(MIGRATIONS_DIR)).find((m) => m.name === folder);
    expect(migration?.sql).toBe(bytes.toString("utf8"));
    expect(migration?.checksum).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(migration?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("when the migration lock is read, then its provider is postgresql", () => {
    const lock = readFileSync(join(MIGRATIONS_DIR, "migration_lock.toml"), "utf8");
    expect(lock).toMatch(/^provider = "postgresql"$/m);
  });
});
