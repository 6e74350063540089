import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { APP_COLUMNS, APPS, escapeLike, exactApps, exactText, exactTextColumn, type AppFilter, type StoredApp } from "./app-queries.js";
import { computeDiff, type AppChange } from "./history.js";
import { PENDING_TITLE_COUNTS, PENDING_VERSION_COUNTS } from "./software-catalog.js";
import { sortKeyOf } from "./sort-key.js";

/** A piece of software across the fleet: every version of one name from one source. */
export interface SoftwareTitle {
  source: string;
  name: string;
  /** Hosts whose newest inventory has any version of it. */
  hostCount: number;
}

export interface SoftwareVersionCount {
  version: string | null;
  hostCount: number;
}

/** A title's place in the fleet-wide order: by name (case-insensitive, as latestData), then name (by code point) and source. */
export interface TitlePosition {
  source: string;
  name: string;
}

/** Which hosts have an app: its exact name, optionally one source and one version. */
export interface SoftwareHostFilter {
  name: string;
  source?: string | undefined;
  /** undefined: any version; null: apps without a version. */
  version?: string | null | undefined;
}

/** What one snapshot of a host changed in an app: its copies that came, went or changed version there. */
export interface TitleChange {
  /** The snapshot where it happened (the position in the fleet-wide order, newest first). */
  snapshotId: number;
  hostId: number;
  /** When that snapshot was collected. */
  at: Date;
  /** Ordered as in a diff; an app's version change is one UPGRADED or DOWNGRADED. */
  changes: AppChange[];
}

export interface SoftwareQueries {
  /** A page of titles after or before a position, in order; one more than asked tells whether there are more. */
  titles(filter: AppFilter, range: { after: TitlePosition | null; before: TitlePosition | null }, direction: "asc" | "desc", take: number): Promise<SoftwareTitle[]>;
  countTitles(filter: AppFilter): Promise<number>;
  /** Versions of each title, with host counts, most hosts first. */
  versions(titles: TitlePosition[]): Promise<Map<string, SoftwareVersionCount[]>>;
  /** Ids of hosts whose newest inventory has the app, within `range`, in `direction`, at most `take`. */
  hostIds(filter: SoftwareHostFilter, range: { gt?: number; lt?: number }, direction: "asc" | "desc", take: number): Promise<number[]>;
  countHosts(filter: SoftwareHostFilter): Promise<number>;
  /**
   * The snapshots at which hosts gained, lost or changed the version of an app since `since`, newest
   * (largest snapshot id) first, within `range` of snapshot ids, in `direction`, at most `take`.
   */
  changes(filter: Omit<SoftwareHostFilter, "version">, since: Date, range: { gt?: number; lt?: number }, direction: "asc" | "desc", take: number): Promise<TitleChange[]>;
  /** How many snapshots `changes` lists since `since`, and on how many hosts. */
  countChanges(filter: Omit<SoftwareHostFilter, "version">, since: Date): Promise<{ snapshots: number; hosts: number }>;
}

export const titleKey = (t: TitlePosition) => JSON.stringify([t.source, t.name]);

/** Titles with their host counts including the changes not folded yet (software-catalog.ts). */
const COUNTED_TITLES = Prisma.sql`(SELECT t.id, t.source, t.name, t.sort_key, coalesce(c.host_count, 0) + coalesce(p.delta, 0) AS host_count
  FROM software_titles t
    LEFT JOIN software_title_hosts c ON c.title_id = t.id
    LEFT JOIN (${Prisma.raw(PENDING_TITLE_COUNTS)}) p ON p.title_id = t.id) AS t`;

/**
 * Fleet-wide reads of the hosts' newest inventories. Host counts are kept per title and per version
 * as collections land (software-catalog.ts), so a page of titles reads about as many rows as it
 * shows, whatever the size of the fleet.
 */
export function createSoftwareQueries(db: PrismaClient): SoftwareQueries {
  const where = (filter: AppFilter) => {
    const parts = [Prisma.sql`t.host_count > 0`];
    if (filter.nameContains) parts.push(Prisma.sql`t.name ILIKE ${`%${escapeLike(filter.nameContains)}%`} ESCAPE '\\'`);
    if (filter.source) parts.push(Prisma.sql`t.source = ${filter.source}`);
    return Prisma.join(parts, " AND ");
  };
  // The sort key as stored (the lower-cased name's bytes, computed here as at ingest), then names that
  // differ only in case by code point ("C"): the same order on every database, whatever its collation.
  const position = (p: TitlePosition) => Prisma.sql`(${Buffer.from(sortKeyOf(p.name))}::bytea, ${p.name}, ${p.source})`;
  // The software rows of an app on any host: titles found through their sort key index.
  const softwareIds = (filter: SoftwareHostFilter) => Prisma.sql`SELECT s.id FROM software_titles t
      JOIN software_versions v ON v.title_id = t.id
      JOIN software s ON s.version_id = v.id
    WHERE t.sort_key = ${Buffer.from(sortKeyOf(filter.name))}::bytea AND t.name = ${filter.name}
      ${filter.source ? Prisma.sql`AND t.source = ${filter.source}` : Prisma.empty}
      ${filter.version === undefined ? Prisma.empty : filter.version === null ? Prisma.sql`AND v.version IS NULL` : Prisma.sql`AND v.version = ${filter.version}`}`;
  /**
   * Where the app's rows began or ended since `since`: each row's first snapshot and its last. Rows
   * change only at SUCCEEDED snapshots, so these are exactly the snapshots that changed it.
   */
  const events = (filter: SoftwareHostFilter, since: Date) => Prisma.sql`(SELECT a.host_id, e.snapshot_id, e.at
      FROM apps a CROSS JOIN LATERAL (VALUES (a.first_seen_snapshot_id, a.first_seen_at), (a.removed_snapshot_id, a.removed_at)) AS e(snapshot_id, at)
      WHERE a.software_id IN (${softwareIds(filter)}) AND (a.first_seen_at >= ${since}::timestamptz OR a.removed_at >= ${since}::timestamptz)
        AND e.at >= ${since}::timestamptz) AS e`;
  return {
    async titles(filter, { after, before }, direction, take) {
      const bounds = [
        ...(after ? [Prisma.sql`AND (t.sort_key, t.name COLLATE "C", t.source) > ${position(after)}`] : []),
        ...(before ? [Prisma.sql`AND (t.sort_key, t.name COLLATE "C", t.source) < ${position(before)}`] : []),
      ];
      const order = direction === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
      return db.$queryRaw<SoftwareTitle[]>`SELECT t.source, ${exactTextColumn("t.name", "name")}, t.host_count::int AS "hostCount"
        FROM ${COUNTED_TITLES} WHERE ${where(filter)} ${bounds.length ? Prisma.join(bounds, " ") : Prisma.empty}
        ORDER BY t.sort_key ${order}, t.name COLLATE "C" ${order}, t.source ${order} LIMIT ${take}`.then((rows) =>
        rows.map((row) => ({ ...row, name: exactText(row.name) })),
      );
    },
    async countTitles(filter) {
      const [row] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ${COUNTED_TITLES} WHERE ${where(filter)}`;
      return row?.n ?? 0;
    },
    async versions(titles) {
      const result = new Map<string, SoftwareVersionCount[]>();
      if (titles.length === 0) return result;
      const rows = await db.$queryRaw<(SoftwareVersionCount & TitlePosition)[]>`SELECT t.source, ${exactTextColumn("t.name", "name")},
          ${exactTextColumn("v.version", "version")}, (coalesce(c.host_count, 0) + coalesce(p.delta, 0))::int AS "hostCount"
        FROM software_titles t
          JOIN software_versions v ON v.title_id = t.id
          LEFT JOIN software_version_hosts c ON c.version_id = v.id
          LEFT JOIN (${Prisma.raw(PENDING_VERSION_COUNTS)}) p ON p.version_id = v.id
        WHERE t.fingerprint IN (SELECT software_title_fingerprint(u.source, u.name)
                                FROM unnest(${titles.map((t) => t.source)}::text[], ${titles.map((t) => t.name)}::text[]) AS u(source, name))
          AND coalesce(c.host_count, 0) + coalesce(p.delta, 0) > 0
        ORDER BY 4 DESC, v.version`;
      for (const row of rows) {
        const title = { source: row.source, name: exactText(row.name) };
        const key = titleKey(title);
        result.set(key, [...(result.get(key) ?? []), { version: exactText(row.version), hostCount: row.hostCount }]);
      }
      return result;
    },
    async hostIds(filter, range, direction, take) {
      const bounds = [
        ...(range.gt !== undefined ? [Prisma.sql`AND a.host_id > ${range.gt}`] : []),
        ...(range.lt !== undefined ? [Prisma.sql`AND a.host_id < ${range.lt}`] : []),
      ];
      const order = direction === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
      const rows = await db.$queryRaw<{ id: number }[]>`SELECT DISTINCT a.host_id AS id FROM apps a
        WHERE a.software_id IN (${softwareIds(filter)}) AND a.removed_snapshot_id IS NULL ${bounds.length ? Prisma.join(bounds, " ") : Prisma.empty}
        ORDER BY 1 ${order} LIMIT ${take}`;
      return rows.map((row) => row.id);
    },
    async countHosts(filter) {
      const [row] = await db.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT a.host_id)::int AS n FROM apps a
        WHERE a.software_id IN (${softwareIds(filter)}) AND a.removed_snapshot_id IS NULL`;
      return row?.n ?? 0;
    },
    async changes(filter, since, range, direction, take) {
      const bounds = [
        ...(range.gt !== undefined ? [Prisma.sql`AND e.snapshot_id > ${range.gt}`] : []),
        ...(range.lt !== undefined ? [Prisma.sql`AND e.snapshot_id < ${range.lt}`] : []),
      ];
      const order = direction === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
      // A snapshot belongs to one host: grouping by it groups by host too.
      const snapshots = await db.$queryRaw<{ snapshotId: number; hostId: number; at: Date }[]>`SELECT e.snapshot_id AS "snapshotId",
          min(e.host_id) AS "hostId", max(e.at) AS at
        FROM ${events(filter, since)} WHERE true ${bounds.length ? Prisma.join(bounds, " ") : Prisma.empty}
        GROUP BY e.snapshot_id ORDER BY 1 ${order} LIMIT ${take}`;
      if (snapshots.length === 0) return [];
      const ids = snapshots.map((s) => s.snapshotId);
      const rows = exactApps(await db.$queryRaw<StoredApp[]>`SELECT ${APP_COLUMNS} FROM ${APPS}
        WHERE a.software_id IN (${softwareIds(filter)})
          AND (a.first_seen_snapshot_id = ANY(${ids}::int[]) OR a.removed_snapshot_id = ANY(${ids}::int[]))`);
      const at = new Map(ids.map((id) => [id, { removed: [] as StoredApp[], added: [] as StoredApp[] }]));
      for (const row of rows) {
        at.get(row.firstSeenSnapshotId)?.added.push(row);
        if (row.removedSnapshotId !== null) at.get(row.removedSnapshotId)?.removed.push(row);
      }
      return snapshots.map((s) => {
        const { removed, added } = at.get(s.snapshotId)!;
        return { ...s, changes: computeDiff(removed, added).changes };
      });
    },
    async countChanges(filter, since) {
      const [row] = await db.$queryRaw<{ snapshots: number; hosts: number }[]>`SELECT count(DISTINCT e.snapshot_id)::int AS snapshots,
          count(DISTINCT e.host_id)::int AS hosts FROM ${events(filter, since)}`;
      return row ?? { snapshots: 0, hosts: 0 };
    },
  };
}
