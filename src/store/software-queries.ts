import type { Read } from "../db/read.js";
import { SoftwareSource } from "../inventory/types.js";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { APP_COLUMNS, APPS, exactApps, exactText, type AppFilter, type StoredApp } from "./app-queries.js";
import { computeDiff, type AppChange } from "./history.js";
import { HOST_COLUMN_SETS } from "./host-queries.js";
import { HOST_COLUMNS, type HostColumnSet, type ListedHost } from "./host-statements.js";
import {
  SOFTWARE_STATEMENTS,
  softwareHostCountStatement,
  softwareHostsStatement,
  titleCountStatement,
  titlePageStatement,
  type SoftwareHostFilter,
  type TitleFilterValues,
  type TitlePosition,
} from "./software-statements.js";
import { sortKeyOf } from "./sort-key.js";

export type { SoftwareHostFilter, TitlePosition };

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
  titles(filter: TitleFilterValues, range: { after: TitlePosition | null; before: TitlePosition | null }, direction: "asc" | "desc", take: number): Promise<SoftwareTitle[]>;
  countTitles(filter: AppFilter): Promise<number>;
  /**
   * The titles of this exact name that some host has now: the one of `source`, or one per source that
   * has it, in the order of `titles` (by source, as the name is the same).
   */
  titlesNamed(name: string, source: string | undefined): Promise<SoftwareTitle[]>;
  /** Versions of each title, with host counts, most hosts first. */
  versions(titles: TitlePosition[]): Promise<Map<string, SoftwareVersionCount[]>>;
  /** Hosts whose newest inventory has the app, within `range` of ids, in `direction`, at most `take`. */
  hosts(filter: SoftwareHostFilter, columns: HostColumnSet, range: { gt?: number; lt?: number }, direction: "asc" | "desc", take: number): Promise<ListedHost[]>;
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

/**
 * Fleet-wide reads of the hosts' newest inventories. Host counts are kept per title and per version
 * as collections land (software-catalog.ts), so a page of titles reads about as many rows as it
 * shows, whatever the size of the fleet. software, softwareTitles and softwareHosts go through Database.read
 * (software-statements.ts); softwareChanges through Prisma's $queryRaw.
 */
export function createSoftwareQueries({ db, read }: { db: PrismaClient; read: Read }): SoftwareQueries {
  // The software rows of an app (every version) on any host: titles found through their sort key
  // index. softwareChanges has no version argument: a version given here would be ignored.
  const hostColumns = HOST_COLUMNS.bounded(HOST_COLUMN_SETS);
  type ChangeFilter = Omit<SoftwareHostFilter, "version">;
  const softwareIds = (filter: ChangeFilter) => Prisma.sql`SELECT s.id FROM software_titles t
      JOIN software_versions v ON v.title_id = t.id
      JOIN software s ON s.version_id = v.id
    WHERE t.sort_key = ${Buffer.from(sortKeyOf(filter.name))}::bytea AND t.name = ${filter.name}
      ${filter.source ? Prisma.sql`AND t.source = ${filter.source}` : Prisma.empty}`;
  /**
   * Where the app's rows began or ended since `since`: each row's first snapshot and its last. Rows
   * change only at SUCCEEDED snapshots, so these are exactly the snapshots that changed it.
   */
  const events = (filter: ChangeFilter, since: Date) => Prisma.sql`(SELECT a.host_id, e.snapshot_id, e.at
      FROM apps a CROSS JOIN LATERAL (VALUES (a.first_seen_snapshot_id, a.first_seen_at), (a.removed_snapshot_id, a.removed_at)) AS e(snapshot_id, at)
      WHERE a.software_id IN (${softwareIds(filter)}) AND (a.first_seen_at >= ${since}::timestamptz OR a.removed_at >= ${since}::timestamptz)
        AND e.at >= ${since}::timestamptz) AS e`;
  const count = async (statement: Parameters<Read>) => (await read<{ n: number }>(...statement))[0]?.n ?? 0;
  const titles: SoftwareQueries["titles"] = async (filter, range, direction, take) => {
    const rows = await read<SoftwareTitle>(...titlePageStatement(filter, range, direction, take));
    for (const row of rows) row.name = exactText(row.name);
    return rows;
  };
  // A title is one (source, name): a name has at most one per source.
  const sourceCount = Object.keys(SoftwareSource).length;
  return {
    titles,
    titlesNamed: (name, source) => titles({ name, source }, { after: null, before: null }, "asc", sourceCount),
    countTitles: (filter) => count(titleCountStatement(filter)),
    async versions(titles) {
      const result = new Map<string, SoftwareVersionCount[]>();
      if (titles.length === 0) return result;
      const rows = await read<SoftwareVersionCount & TitlePosition>(SOFTWARE_STATEMENTS.versions, [titles.map((t) => t.source), titles.map((t) => t.name)]);
      for (const row of rows) {
        const key = titleKey({ source: row.source, name: exactText(row.name) });
        const list = result.get(key);
        const version = { version: exactText(row.version), hostCount: row.hostCount };
        if (list) list.push(version);
        else result.set(key, [version]);
      }
      return result;
    },
    hosts: (filter, columns, range, direction, take) => read<ListedHost>(...softwareHostsStatement(filter, hostColumns(columns), range, direction, take)),
    countHosts: (filter) => count(softwareHostCountStatement(filter)),
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
