import type { Database } from "./client.js";

export type AcquireLock = () => Promise<() => Promise<void>>;

/**
 * A PostgreSQL advisory lock on a session of its own, held until released (or until the process
 * dies and the session with it). Waits while another instance holds it.
 */
export function advisoryLock(db: Pick<Database, "connect">, key: number): AcquireLock {
  return async () => {
    const conn = await db.connect();
    try {
      await conn.query("SELECT pg_advisory_lock($1)", [key]);
    } catch (error) {
      await conn.release().catch(() => {});
      throw error;
    }
    return async () => {
      await conn.query("SELECT pg_advisory_unlock($1)", [key]).catch(() => {});
      await conn.release().catch(() => {});
    };
  };
}
