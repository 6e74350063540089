import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { escapeLike, type AppFilter } from "./app-queries.js";
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

/** A title's place in the fleet-wide order: by name (case-insensitive, as latestData), then name and source. */
export interface TitlePosition {
  source: string;
  name: string;
}

export interface SoftwareQueries {
  /** A page of titles after or before a position, in order; one more than asked tells whether there are more. */
  titles(filter: AppFilter, range: { after: TitlePosition | null; before: TitlePosition | null }, direction: "asc" | "desc", take: number): Promise<SoftwareTitle[]>;
  countTitles(filter: AppFilter): Promise<number>;
  /** Versions of each title, with host counts, most hosts first. */
  versions(titles: TitlePosition[]): Promise<Map<string, SoftwareVersionCount[]>>;
}

export const titleKey = (t: TitlePosition) => JSON.stringify([t.source, t.name]);

/**
 * Fleet-wide reads over the apps of each host's newest inventory (the rows no snapshot has removed).
 * Counting happens per query; it is exact, and grows with the number of (host, app) rows it counts.
 */
export function createSoftwareQueries(db: PrismaClient): SoftwareQueries {
  const where = (filter: AppFilter) => {
    const parts = [Prisma.sql`removed_snapshot_id IS NULL`];
    if (filter.nameContains) parts.push(Prisma.sql`name ILIKE ${`%${escapeLike(filter.nameContains)}%`} ESCAPE '\\'`);
    if (filter.source) parts.push(Prisma.sql`source = ${filter.source}`);
    return Prisma.join(parts, " AND ");
  };
  // The sort key as stored (the lower-cased name's bytes, computed here as at ingest): the same order on every database.
  const position = (p: TitlePosition) => Prisma.sql`(${Buffer.from(sortKeyOf(p.name))}::bytea, ${p.name}, ${p.source})`;
  return {
    async titles(filter, { after, before }, direction, take) {
      const bounds = [
        ...(after ? [Prisma.sql`(sort_key, name, source) > ${position(after)}`] : []),
        ...(before ? [Prisma.sql`(sort_key, name, source) < ${position(before)}`] : []),
      ];
      const having = bounds.length ? Prisma.sql`HAVING ${Prisma.join(bounds, " AND ")}` : Prisma.empty;
      const order = direction === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
      return db.$queryRaw<SoftwareTitle[]>`SELECT source, name, count(DISTINCT host_id)::int AS "hostCount"
        FROM apps WHERE ${where(filter)}
        GROUP BY sort_key, name, source ${having}
        ORDER BY sort_key ${order}, name ${order}, source ${order} LIMIT ${take}`;
    },
    async countTitles(filter) {
      const [row] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM (SELECT 1 FROM apps WHERE ${where(filter)} GROUP BY source, name) AS t`;
      return row?.n ?? 0;
    },
    async versions(titles) {
      const result = new Map<string, SoftwareVersionCount[]>();
      if (titles.length === 0) return result;
      const rows = await db.$queryRaw<(SoftwareVersionCount & TitlePosition)[]>`SELECT source, name, version, count(DISTINCT host_id)::int AS "hostCount"
        FROM apps WHERE removed_snapshot_id IS NULL
          AND (source, name) IN (SELECT * FROM unnest(${titles.map((t) => t.source)}::text[], ${titles.map((t) => t.name)}::text[]))
        GROUP BY source, name, version
        ORDER BY count(DISTINCT host_id) DESC, version`;
      for (const row of rows) {
        const key = titleKey(row);
        result.set(key, [...(result.get(key) ?? []), { version: row.version, hostCount: row.hostCount }]);
      }
      return result;
    },
  };
}
