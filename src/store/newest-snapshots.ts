import DataLoader from "dataloader";
import { Prisma, type PrismaClient, type Snapshot } from "../generated/prisma/client.js";

/** Each host's newest snapshot, and its newest SUCCEEDED one: what a page of hosts shows per row. */
export interface NewestSnapshots {
  newest(hostId: number): Promise<Snapshot | null>;
  newestSucceeded(hostId: number): Promise<Snapshot | null>;
}

const SNAPSHOT_COLUMNS = Prisma.sql`id, host_id AS "hostId", status, collected_at AS "collectedAt", duration_ms AS "durationMs", error,
  app_count AS "appCount", added, removed, source, altered_apps AS "alteredApps", version_id AS "versionId"`;

/**
 * Asks once for all the hosts a tick asks about (a page of 100 hosts is one query, not 100). Nothing is
 * cached: a load always reads the database, so the loaders are shared by every request.
 */
export function createNewestSnapshots(db: PrismaClient): NewestSnapshots {
  const loader = (succeededOnly: boolean) =>
    new DataLoader<number, Snapshot | null>(
      async (hostIds) => {
        // One index descent per host on (host_id, id) or (host_id, status, id).
        const rows = await db.$queryRaw<Snapshot[]>`SELECT s.* FROM unnest(${[...hostIds]}::int[]) AS h(id)
          CROSS JOIN LATERAL (SELECT ${SNAPSHOT_COLUMNS} FROM snapshots
            WHERE host_id = h.id ${succeededOnly ? Prisma.sql`AND status = 'SUCCEEDED'` : Prisma.empty}
            ORDER BY id DESC LIMIT 1) AS s`;
        const byHost = new Map(rows.map((row) => [row.hostId, row]));
        return hostIds.map((id) => byHost.get(id) ?? null);
      },
      { cache: false, maxBatchSize: 1000 },
    );
  const newest = loader(false);
  const succeeded = loader(true);
  return {
    newest: (hostId) => newest.load(hostId),
    newestSucceeded: (hostId) => succeeded.load(hostId),
  };
}
