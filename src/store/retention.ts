import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { Logger } from "../logger.js";
import { bumpCatalogEpoch, lockCatalogExclusive } from "./software-catalog.js";

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

type Tx = Prisma.TransactionClient;

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
   * Deletes catalog rows nothing links to, a batch at a time: software rows no app links to, then
   * versions no software row has, then titles no version has. apps.software_id has no foreign key,
   * and a version's or title's delete cascades to the rows under it, so this is what keeps every link
   * pointing at a row. Each batch holds the catalog lock exclusive (see lockCatalogShared): it waits
   * for the collections finding or linking catalog rows to commit, and they wait for it, so a row it
   * finds unlinked stays unlinked until it is deleted, and a collection that then looks for the row
   * finds it gone and inserts it again. Batches are short, so collections wait little. A batch
   * that deletes anything bumps the catalog epoch, so no instance links a cached entry of it unchecked.
   */
  const unlinked = (remove: (tx: Tx) => Promise<number>) => () =>
    db.$transaction(async (tx) => {
      await lockCatalogExclusive(tx);
      const deleted = await remove(tx);
      if (deleted > 0) await bumpCatalogEpoch(tx);
      return deleted;
    });
  const pruneSoftwareRows = unlinked(
    (tx) => tx.$executeRaw`DELETE FROM software WHERE id IN (
      SELECT id FROM software s WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.software_id = s.id) ORDER BY id LIMIT ${batchSize})`,
  );
  const pruneVersions = unlinked(
    (tx) => tx.$executeRaw`DELETE FROM software_versions WHERE id IN (
      SELECT id FROM software_versions v WHERE NOT EXISTS (SELECT 1 FROM software s WHERE s.version_id = v.id) ORDER BY id LIMIT ${batchSize})`,
  );
  const pruneTitles = unlinked(
    (tx) => tx.$executeRaw`DELETE FROM software_titles WHERE id IN (
      SELECT id FROM software_titles t WHERE NOT EXISTS (SELECT 1 FROM software_versions v WHERE v.title_id = t.id) ORDER BY id LIMIT ${batchSize})`,
  );

  /** Software records pruned (their versions and titles go with them, uncounted). */
  async function pruneSoftware(): Promise<number> {
    const pruned = await inBatches(pruneSoftwareRows);
    await inBatches(pruneVersions);
    await inBatches(pruneTitles);
    return pruned;
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
