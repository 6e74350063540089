import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../logger.js";
import type { SqlConnection } from "./sql-connection.js";

/** The lock `prisma migrate deploy` takes, so our runner and Prisma's never migrate at once. */
export const PRISMA_MIGRATE_LOCK = 72707369;

// Exactly the table Prisma's migrate engine creates, so `prisma migrate status/deploy` accept our rows.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
);`;

export interface LocalMigration {
  name: string;
  sql: string;
  /** Lowercase hex SHA-256 of migration.sql's bytes, as Prisma computes it. */
  checksum: string;
}

export async function readMigrations(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Applies pending migrations from prisma/migrations and records them in `_prisma_migrations` the way
 * `prisma migrate deploy` does. Each migration runs in one transaction together with its record, so a
 * crash or an error leaves neither half behind and the next start simply tries again.
 */
export async function applyMigrations(conn: SqlConnection, dir: string, logger: Logger): Promise<string[]> {
  const local = await readMigrations(dir);
  await conn.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
  try {
    await conn.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await conn.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed) {
      throw new MigrationError(
        `migration ${failed.migration_name} failed earlier and was not resolved; fix the database, then run ` +
          `\`prisma migrate resolve --rolled-back ${failed.migration_name}\` (or --applied) and start again`,
      );
    }
    const applied = new Map(rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const localNames = new Set(local.map((m) => m.name));
    for (const name of applied.keys()) {
      if (!localNames.has(name)) logger.warn({ migration: name }, "database has a migration this version does not know (newer code ran here?)");
    }
    const done: string[] = [];
    for (const migration of local) {
      const existing = applied.get(migration.name);
      if (existing) {
        if (existing.checksum !== migration.checksum) {
          logger.warn({ migration: migration.name }, "migration.sql was edited after it was applied; the database keeps the applied version");
        }
        continue;
      }
      const started = performance.now();
      await conn.exec("BEGIN");
      try {
        await conn.exec(migration.sql);
        await conn.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await conn.exec("COMMIT");
      } catch (error) {
        await conn.exec("ROLLBACK").catch(() => {});
        throw new MigrationError(`migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, { cause: error });
      }
      logger.info({ migration: migration.name, ms: Math.round(performance.now() - started) }, "migration applied");
      done.push(migration.name);
    }
    return done;
  } finally {
    await conn.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
  }
}
