import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Database } from "../src/db/client.js";
import { redactUrl } from "../src/logger.js";

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops the database, cutting off any session still in it; safe to call more than once. */
  drop(): Promise<void>;
}

async function adminClient(adminUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is unreachable at ${redactUrl(adminUrl)} (${(error as Error).message}); ` +
        "start it or point BENCH_DATABASE_URL at a server where this user may CREATE DATABASE",
    );
  }
  return client;
}

/** A new, empty database next to the one adminUrl names, so a run never touches existing data. */
export async function createScratchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const name = `osqinv_bench_${randomBytes(4).toString("hex")}`;
  const admin = await adminClient(adminUrl);
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = await adminClient(adminUrl);
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A benchmark's main: runs `run` on a scratch database (BENCH_DATABASE_URL's server, default the
 * local one), drops it afterwards, on failure and on Ctrl-C, prints the total runtime, and turns a
 * failure into exit code 1.
 */
export function benchMain(run: (url: string, out: (line?: string) => void) => Promise<void>): void {
  const main = async () => {
    const started = performance.now();
    const adminUrl = process.env["BENCH_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const out = (line = "") => process.stdout.write(`${line}\n`);
    const scratch = await createScratchDatabase(adminUrl);
    process.stderr.write(`scratch database ${scratch.name}\n`);
    // Ctrl-C mid-build would otherwise leave a multi-megabyte database behind.
    const onSignal = () => {
      process.stderr.write("\ninterrupted: dropping the scratch database\n");
      void scratch.drop().finally(() => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    try {
      await run(scratch.url, out);
    } finally {
      process.off("SIGINT", onSignal);
      await scratch.drop();
    }
    out();
    out(`total runtime ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}

/** Runs `work` on a session of its own (migrations, raw statements), released afterwards. */
export async function withConnection<T>(db: Database, work: (conn: Awaited<ReturnType<Database["connect"]>>) => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    return await work(conn);
  } finally {
    await conn.release();
  }
}
