import { randomBytes } from "node:crypto";
import pg from "pg";
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
