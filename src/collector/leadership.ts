import type { SqlConnection } from "../db/sql-connection.js";
import type { Logger } from "../logger.js";

/** Advisory lock keys of this service (Prisma migrate uses 72707369). */
export const LockKey = {
  /** Held by the instance that runs the schedules. */
  SCHEDULER_LEADER: 0x6f73_7131,
  /** Held while a collection runs, so instances never collect this machine twice at once. */
  COLLECTION: 0x6f73_7132,
} as const;

export interface Leadership {
  /** Campaigns until stop(): onLead when this instance takes the lock, onLose when it loses it. */
  start(handlers: { onLead(): void; onLose(): Promise<void> | void }): void;
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  /** A session of its own: the lock lives exactly as long as this connection. */
  connect(): Promise<SqlConnection>;
  logger: Logger;
  /** How often a follower tries to take the lock and a leader checks its connection. @default 5000 */
  intervalMs?: number;
}

/**
 * Leadership through a PostgreSQL session-level advisory lock held on a dedicated connection: when
 * the leader dies its session ends, PostgreSQL releases the lock, and the next attempt of another
 * instance takes it. No lease to renew, no clock to trust.
 */
export function createLeadership({ connect, logger, intervalMs = 5000 }: LeadershipOptions): Leadership {
  let timer: NodeJS.Timeout | undefined;
  let conn: SqlConnection | null = null;
  let leading = false;
  let stopped = false;
  let handlers: { onLead(): void; onLose(): Promise<void> | void } | undefined;
  let tick: Promise<void> = Promise.resolve();

  const drop = async () => {
    const old = conn;
    conn = null;
    await old?.release().catch(() => {});
  };

  async function attempt(): Promise<void> {
    if (stopped) return;
    try {
      if (leading) {
        // A lost connection means a lost lock: another instance may already lead.
        await conn!.query("SELECT 1");
        return;
      }
      conn ??= await connect();
      const [row] = await conn.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [LockKey.SCHEDULER_LEADER]);
      if (row?.ok && !stopped) {
        leading = true;
        logger.info("this instance leads: it runs the schedules");
        handlers?.onLead();
      }
    } catch (error) {
      if (leading) {
        leading = false;
        logger.warn({ err: error }, "lost the leader connection; schedules stop here until the lock is taken again");
        await handlers?.onLose();
      } else {
        logger.warn({ err: error }, "could not campaign for leadership; retrying");
      }
      await drop();
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick = attempt().finally(schedule);
    }, intervalMs);
    timer.unref();
  };

  return {
    start(h) {
      handlers = h;
      tick = attempt().finally(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tick;
      if (leading) {
        leading = false;
        await handlers?.onLose();
      }
      // Ending the session releases the lock at once, so a follower can take over on its next try.
      await drop();
    },
  };
}
