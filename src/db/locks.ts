import pg from "pg";
import type { Logger } from "../logger.js";

/**
 * Coordination between service instances that share one database, on PostgreSQL advisory locks:
 * nothing to deploy beyond the database itself, and a lock dies with the session that held it, so a
 * killed instance can never leave one behind.
 */
export interface Locks {
  /** Who runs the scheduled jobs. */
  createLeadership(options: LeadershipOptions): Leadership;
  /**
   * Runs `run` while holding the collection lock of `key` (one host). `waited` tells whether another
   * holder had it first, so the caller can reuse that holder's result instead of collecting again.
   */
  withCollectionLock<T>(key: string, run: (waited: boolean) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

export interface LeadershipOptions {
  /** Called with true when this instance becomes the leader, false when it stops being it. */
  onChange(leader: boolean): void;
  /** How often a follower retries the lock and the leader checks that its session is alive. @default 5000 */
  checkIntervalMs?: number;
}

export interface Leadership {
  isLeader(): boolean;
  start(): void;
  /** Gives leadership up (another instance takes over at its next check) and closes the session. */
  stop(): Promise<void>;
}

// Two-key advisory locks live in a key space apart from one-key ones such as Prisma's migration lock
// (72707369), so only our own namespace can collide with us.
const NAMESPACE_LEADER = 0x6f_73_71_01;
const NAMESPACE_COLLECTION = 0x6f_73_71_02;
/**
 * The software catalog's transaction-level lock: every transaction that finds, inserts or links
 * catalog rows holds it shared; retention's deletes of unlinked rows hold it exclusive
 * (src/store/software-catalog.ts, src/store/retention.ts).
 */
export const CATALOG_LOCK = [0x6f_73_71_03, 1] as const;
const LEADER_KEY = 1;
const DEFAULT_CHECK_MS = 5000;

/** The embedded database serves one process (its data directory is claimed), which is always the leader. */
export function createLocalLocks(): Locks {
  const tails = new Map<string, Promise<unknown>>();
  return {
    createLeadership({ onChange }) {
      let leader = false;
      return {
        isLeader: () => leader,
        start() {
          if (leader) return;
          leader = true;
          onChange(true);
        },
        async stop() {
          if (!leader) return;
          leader = false;
          onChange(false);
        },
      };
    },
    async withCollectionLock(key, run) {
      const previous = tails.get(key);
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = (previous ?? Promise.resolve()).then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await run(previous !== undefined);
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}

export interface PostgresLocksOptions {
  url: string;
  logger: Logger;
}

/** Each lock holder gets a session of its own: a pooled connection could hand the lock to someone else. */
export function createPostgresLocks({ url, logger }: PostgresLocksOptions): Locks {
  async function session(what: string, queryTimeoutMs?: number): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: 5000,
      // A peer that vanished without closing the socket is noticed by the kernel, not only at our next query.
      keepAlive: true,
      application_name: `osquery-inventory ${what}`,
      ...(queryTimeoutMs !== undefined ? { query_timeout: queryTimeoutMs } : {}),
    });
    client.on("error", (error) => logger.warn({ err: error, session: what }, "lock session failed"));
    await client.connect();
    return client;
  }

  return {
    createLeadership({ onChange, checkIntervalMs = DEFAULT_CHECK_MS }) {
      let client: pg.Client | null = null;
      let leader = false;
      let timer: NodeJS.Timeout | null = null;
      let stopped = true;
      let checking: Promise<void> | null = null;

      const lose = (reason: string) => {
        const lost = client;
        client = null;
        lost?.removeAllListeners("end");
        lost?.end().catch(() => {});
        if (!leader) return;
        leader = false;
        logger.warn({ reason }, "leadership lost");
        onChange(false);
      };

      async function check() {
        try {
          if (!client) {
            const fresh = await session("leader", Math.max(1000, checkIntervalMs));
            if (stopped) {
              await fresh.end();
              return;
            }
            // PostgreSQL frees the lock when this session ends, whatever the cause; so must we.
            fresh.once("end", () => {
              if (client === fresh) lose("database session ended");
            });
            client = fresh;
          }
          if (leader) {
            await client.query("SELECT 1");
            return;
          }
          const { rows } = await client.query<{ acquired: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS acquired", [
            NAMESPACE_LEADER,
            LEADER_KEY,
          ]);
          if (rows[0]?.acquired && !stopped) {
            leader = true;
            logger.info("leadership acquired: this instance runs the schedule");
            onChange(true);
          }
        } catch (error) {
          if (stopped) return;
          logger.warn({ err: error }, "leadership check failed; retrying");
          lose(`check failed: ${(error as Error).message}`);
        }
      }

      const loop = () => {
        checking = check().finally(() => {
          checking = null;
          if (!stopped) {
            timer = setTimeout(loop, checkIntervalMs);
            timer.unref();
          }
        });
      };

      return {
        isLeader: () => leader,
        start() {
          if (!stopped) return;
          stopped = false;
          loop();
        },
        async stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
          await checking;
          const last = client;
          client = null;
          if (last) {
            last.removeAllListeners("end");
            if (leader) await last.query("SELECT pg_advisory_unlock($1, $2)", [NAMESPACE_LEADER, LEADER_KEY]).catch(() => {});
            await last.end().catch(() => {});
          }
          if (leader) {
            leader = false;
            logger.info("leadership released");
            onChange(false);
          }
        },
      };
    },

    async withCollectionLock(key, run, signal) {
      signal?.throwIfAborted();
      const client = await session("collection");
      // Ending the session is the only way to stop waiting on pg_advisory_lock; shutdown must not wait
      // for another instance's collection.
      let ended = false;
      const end = async () => {
        if (ended) return;
        ended = true;
        await client.end().catch(() => {});
      };
      const cancel = () => void end();
      signal?.addEventListener("abort", cancel, { once: true });
      const params = [NAMESPACE_COLLECTION, key];
      try {
        const { rows } = await client.query<{ acquired: boolean }>(
          "SELECT pg_try_advisory_lock($1, hashtext($2)) AS acquired",
          params,
        );
        const waited = !rows[0]?.acquired;
        if (waited) {
          logger.info({ key }, "another instance is collecting this host; waiting for it");
          await client.query("SELECT pg_advisory_lock($1, hashtext($2))", params);
        }
        try {
          return await run(waited);
        } finally {
          // A session that was ended (on abort) has released its locks already.
          if (!ended) await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", params).catch(() => {});
        }
      } finally {
        signal?.removeEventListener("abort", cancel);
        await end();
      }
    },
  };
}
