import { Prisma, type PrismaClient, type Snapshot } from "../generated/prisma/client.js";
import { SnapshotStatus, type AppAlteration } from "../generated/prisma/enums.js";

/**
 * One piece of software on a host (an `apps` row) with the record it links to (its `software` row):
 * what latestData, diffs and app history show.
 */
export interface StoredApp {
  id: number;
  hostId: number;
  softwareId: number;
  source: string;
  name: string;
  version: string | null;
  path: string | null;
  bundleIdentifier: string | null;
  publisher: string | null;
  alterations: AppAlteration[];
  sortKey: Uint8Array<ArrayBuffer>;
  firstSeenSnapshotId: number;
  firstSeenAt: Date;
  removedSnapshotId: number | null;
  removedAt: Date | null;
}

export interface AppFilter {
  /** Case-insensitive substring of the name. */
  nameContains?: string | null | undefined;
  /** osquery table the app came from (apps, deb_packages, rpm_packages, programs). */
  source?: string | null | undefined;
}

/** A row's place in the (sortKey, id) order. */
export interface AppPosition {
  sortKey: Uint8Array;
  id: number;
}

export interface AppPageRequest {
  snapshot: Pick<Snapshot, "id" | "hostId">;
  filter: AppFilter;
  after: AppPosition | null;
  before: AppPosition | null;
  /** Exactly one of first/last is set. */
  first: number | null;
  last: number | null;
}

export interface AppPage {
  apps: StoredApp[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface AppQueries {
  newestSucceeded(hostId: number): Promise<Snapshot | null>;
  /** The position of an app when it is part of the snapshot's app set, else null. */
  positionIn(snapshot: Pick<Snapshot, "id" | "hostId">, appId: number): Promise<AppPosition | null>;
  page(request: AppPageRequest): Promise<AppPage>;
  count(snapshot: Pick<Snapshot, "id" | "hostId" | "appCount">, filter: AppFilter): Promise<number>;
  /** Apps by id, in the order asked; null where there is none (node(id:)). */
  byIds(ids: number[]): Promise<(StoredApp | null)[]>;
}

/**
 * PGlite (0.5.16, 0.5.17) decodes each text value with a TextDecoder that drops a leading U+FEFF as a
 * byte order mark, where osquery reported it as part of the value. Read behind one character, which
 * exactText takes off again, no value starts with one on the wire. (5,000 rows × 3 columns on
 * PostgreSQL: about as fast as plain text; as bytea, 3 to 4 times slower.) `column` is SQL, never input.
 */
export function exactTextColumn(column: string, alias: string): Prisma.Sql {
  return Prisma.raw(`'.' || ${column} AS "${alias}"`);
}

/** A text column read with exactTextColumn, as it is stored. */
export function exactText(value: string): string;
export function exactText(value: string | null): string | null;
export function exactText(value: string | null): string | null {
  return value === null ? null : value.slice(1);
}

/** The apps of hosts (`a`) with their software records (`s`): select APP_COLUMNS from it. */
export const APPS = Prisma.sql`apps a JOIN software s ON s.id = a.software_id`;

/** Every StoredApp column, for raw queries FROM ${APPS} (read the rows with exactApps). */
export const APP_COLUMNS = Prisma.sql`a.id, a.host_id AS "hostId", a.software_id AS "softwareId", s.source,
  ${exactTextColumn("s.name", "name")}, ${exactTextColumn("s.version", "version")}, ${exactTextColumn("s.path", "path")},
  ${exactTextColumn("s.bundle_identifier", "bundleIdentifier")}, ${exactTextColumn("s.publisher", "publisher")},
  s.alterations::text[] AS alterations, s.sort_key AS "sortKey",
  a.first_seen_snapshot_id AS "firstSeenSnapshotId", a.first_seen_at AS "firstSeenAt",
  a.removed_snapshot_id AS "removedSnapshotId", a.removed_at AS "removedAt"`;

/** App rows selected with APP_COLUMNS, their text as stored. */
export function exactApps(rows: StoredApp[]): StoredApp[] {
  for (const row of rows) {
    row.name = exactText(row.name);
    row.version = exactText(row.version);
    row.path = exactText(row.path);
    row.bundleIdentifier = exactText(row.bundleIdentifier);
    row.publisher = exactText(row.publisher);
  }
  return rows;
}

/** Apps alive at a snapshot: first seen at or before it, not yet removed at it. */
function visibleAt(snapshot: Pick<Snapshot, "id" | "hostId">): Prisma.Sql {
  return Prisma.sql`a.host_id = ${snapshot.hostId}
    AND a.first_seen_snapshot_id <= ${snapshot.id}
    AND (a.removed_snapshot_id IS NULL OR a.removed_snapshot_id > ${snapshot.id})`;
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filterSql(filter: AppFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (filter.nameContains) parts.push(Prisma.sql`AND s.name ILIKE ${`%${escapeLike(filter.nameContains)}%`} ESCAPE '\\'`);
  if (filter.source) parts.push(Prisma.sql`AND s.source = ${filter.source}`);
  return parts.length ? Prisma.join(parts, " ") : Prisma.empty;
}

const bytes = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const after = (p: AppPosition) => Prisma.sql`AND (s.sort_key, a.id) > (${bytes(p.sortKey)}::bytea, ${p.id}::int)`;
const before = (p: AppPosition) => Prisma.sql`AND (s.sort_key, a.id) < (${bytes(p.sortKey)}::bytea, ${p.id}::int)`;

export function createAppQueries(db: PrismaClient): AppQueries {
  const exists = async (where: Prisma.Sql): Promise<boolean> => {
    const rows = await db.$queryRaw<{ found: number }[]>`SELECT 1 AS found FROM ${APPS} WHERE ${where} LIMIT 1`;
    return rows.length > 0;
  };

  return {
    newestSucceeded(hostId) {
      return db.snapshot.findFirst({
        where: { hostId, status: SnapshotStatus.SUCCEEDED },
        orderBy: { id: "desc" },
      });
    },

    async positionIn(snapshot, appId) {
      const rows = await db.$queryRaw<{ sortKey: Uint8Array; id: number }[]>`
        SELECT s.sort_key AS "sortKey", a.id FROM ${APPS} WHERE a.id = ${appId} AND ${visibleAt(snapshot)}`;
      return rows[0] ?? null;
    },

    async page({ snapshot, filter, after: a, before: b, first, last }) {
      const where = Prisma.sql`${visibleAt(snapshot)} ${filterSql(filter)}`;
      const bounds = Prisma.sql`${a ? after(a) : Prisma.empty} ${b ? before(b) : Prisma.empty}`;
      if (first !== null) {
        const rows = exactApps(await db.$queryRaw<StoredApp[]>`
          SELECT ${APP_COLUMNS} FROM ${APPS} WHERE ${where} ${bounds}
          ORDER BY s.sort_key, a.id LIMIT ${first + 1}`);
        const hasNextPage = rows.length > first;
        const apps = rows.slice(0, first);
        // Relay lets hasPreviousPage be false when it is costly; one indexed probe makes it exact.
        const hasPreviousPage = a ? await exists(Prisma.sql`${where} AND (s.sort_key, a.id) <= (${bytes(a.sortKey)}::bytea, ${a.id}::int)`) : false;
        return { apps, hasNextPage, hasPreviousPage };
      }
      const count = last ?? 0;
      const rows = exactApps(await db.$queryRaw<StoredApp[]>`
        SELECT ${APP_COLUMNS} FROM ${APPS} WHERE ${where} ${bounds}
        ORDER BY s.sort_key DESC, a.id DESC LIMIT ${count + 1}`);
      const hasPreviousPage = rows.length > count;
      const apps = rows.slice(0, count).reverse();
      const hasNextPage = b ? await exists(Prisma.sql`${where} AND (s.sort_key, a.id) >= (${bytes(b.sortKey)}::bytea, ${b.id}::int)`) : false;
      return { apps, hasNextPage, hasPreviousPage };
    },

    async count(snapshot, filter) {
      if (!filter.nameContains && !filter.source) return snapshot.appCount;
      const rows = await db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM ${APPS} WHERE ${visibleAt(snapshot)} ${filterSql(filter)}`;
      return rows[0]?.n ?? 0;
    },

    async byIds(ids) {
      if (ids.length === 0) return [];
      const rows = exactApps(await db.$queryRaw<StoredApp[]>`SELECT ${APP_COLUMNS} FROM ${APPS} WHERE a.id = ANY(${ids}::int[])`);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  };
}
