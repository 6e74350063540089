import type { PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";

export interface RetentionPolicy {
  /** SUCCEEDED snapshots older than this are deleted, except each host's newest. */
  retainDays: number;
  /** FAILED snapshots older than this are deleted. */
  retainFailedDays: number;
}

export interface PruneResult {
  failedSnapshots: number;
  succeededSnapshots: number;
  apps: number;
  versions: number;
  /** Software records (and their versions and titles) no host has any more, in any retained snapshot. */
  software: number;
}

export interface Retention {
  prune(now: Date): Promise<PruneResult>;
}

export interface RetentionOptions {
  db: PrismaClient;
  policy: RetentionPolicy;
  logger: Logger;
  /** Rows per DELETE: each batch is its own short transaction, so pruning never holds long locks. @default 1000 */
  batchSize?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** PostgreSQL's foreign_key_violation, as Prisma reports it through either driver adapter. */
function isForeignKeyViolation(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "P2003" || (typeof message === "string" && /foreign key/i.test(message));
}

export function createRetention({ db, policy, logger, batchSize = 1000 }: RetentionOptions): Retention {
  async function inBatches(remove: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await remove();
      total += n;
      if (n < batchSize) return total;
    }
  }

  /**
   * Deletes software rows no app links to, a batch at a time. apps.software_id has no foreign key, so
   * this is what keeps every link pointing at a row: a collection locks each row it is about to link
   * FOR KEY SHARE and links it before it commits. Candidates are locked FOR UPDATE first, skipping
   * rows a collection holds; a second statement, with a snapshot taken after those locks, deletes
   * only candidates still unlinked, so a collection that committed in between keeps its rows. A
   * collection that comes to lock a row after that waits, finds it gone and inserts it again
   * (software-catalog.ts).
   */
  const pruneUnlinkedSoftware = () =>
    db.$transaction(async (tx) => {
      const candidates = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM software s
        WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.software_id = s.id)
        ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`;
      if (candidates.length === 0) return 0;
      await tx.$executeRaw`DELETE FROM software s WHERE s.id = ANY(${candidates.map((c) => c.id)}::int[])
        AND NOT EXISTS (SELECT 1 FROM apps a WHERE a.software_id = s.id)`;
      // The batch's size, not the rows deleted, decides whether another batch follows.
      return candidates.length;
    });

  /**
   * Deletes catalog rows nothing links to: software rows (above), then versions and titles. Those
   * keep their foreign keys: a collection locks each version and title it links FOR KEY SHARE, and
   * locked rows are skipped here; a row linked after this statement chose it makes the delete fail
   * its foreign key check, and that batch is left for the next prune.
   */
  async function pruneSoftware(): Promise<number> {
    const software = await inBatches(pruneUnlinkedSoftware);
    const unlinked = [
      () => db.$executeRaw`DELETE FROM software_versions WHERE id IN (
        SELECT id FROM software_versions v WHERE NOT EXISTS (SELECT 1 FROM software s WHERE s.version_id = v.id)
        ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`,
      () => db.$executeRaw`DELETE FROM software_titles WHERE id IN (
        SELECT id FROM software_titles t WHERE NOT EXISTS (SELECT 1 FROM software_versions v WHERE v.title_id = t.id)
        ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`,
    ];
    for (const remove of unlinked) {
      try {
        await inBatches(remove);
      } catch (error) {
        if (!isForeignKeyViolation(error)) throw error;
        logger.debug({ err: error }, "software linked while pruning; left for the next prune");
        return software;
      }
    }
    return software;
  }

  return {
    async prune(now) {
      const started = performance.now();
      const failedCutoff = new Date(now.getTime() - policy.retainFailedDays * DAY_MS);
      const succeededCutoff = new Date(now.getTime() - policy.retainDays * DAY_MS);
      const result: PruneResult = { failedSnapshots: 0, succeededSnapshots: 0, apps: 0, versions: 0, software: 0 };

      result.failedSnapshots = await inBatches(
        () => db.$executeRaw`DELETE FROM snapshots WHERE id IN (
          SELECT id FROM snapshots WHERE status = 'FAILED' AND collected_at < ${failedCutoff} ORDER BY id LIMIT ${batchSize})`,
      );

      for (const { id: hostId } of await db.host.findMany({ select: { id: true }, orderBy: { id: "asc" } })) {
        // The oldest snapshot that stays: the oldest one inside the window, or else the newest one,
        // which is never pruned.
        const kept = await db.$queryRaw<{ id: number | null }[]>`
          SELECT min(id) AS id FROM snapshots
          WHERE host_id = ${hostId} AND status = 'SUCCEEDED'
            AND (collected_at >= ${succeededCutoff}
                 OR id = (SELECT max(id) FROM snapshots WHERE host_id = ${hostId} AND status = 'SUCCEEDED'))`;
        const oldestKept = kept[0]?.id;
        if (oldestKept == null) continue;
        // Apps removed before the oldest kept snapshot are in no retained snapshot's app set. Those removed
        // at it stay: they are what that snapshot changed.
        result.apps += await inBatches(
          () => db.$executeRaw`DELETE FROM apps WHERE id IN (
            SELECT id FROM apps WHERE host_id = ${hostId} AND removed_snapshot_id < ${oldestKept} LIMIT ${batchSize})`,
        );
        result.succeededSnapshots += await inBatches(
          () => db.$executeRaw`DELETE FROM snapshots WHERE id IN (
            SELECT id FROM snapshots WHERE host_id = ${hostId} AND status = 'SUCCEEDED' AND id < ${oldestKept}
            ORDER BY id LIMIT ${batchSize})`,
        );
      }
      result.versions = await db.$executeRaw`DELETE FROM versions v
        WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.version_id = v.id)`;
      result.software = await pruneSoftware();
      logger.info({ ...result, ms: Math.round(performance.now() - started) }, "history pruned");
      return result;
    },
  };
}
