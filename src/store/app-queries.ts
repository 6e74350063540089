import { Prisma, type App, type PrismaClient, type Snapshot } from "../generated/prisma/client.js";
import { SnapshotStatus } from "../generated/prisma/enums.js";

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
  apps: App[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface AppQueries {
  newestSucceeded(hostId: number): Promise<Snapshot | null>;
  /** The position of an app when it is part of the snapshot's app set, else null. */
  positionIn(snapshot: Pick<Snapshot, "id" | "hostId">, appId: number): Promise<AppPosition | null>;
  page(request: AppPageRequest): Promise<AppPage>;
  count(snapshot: Pick<Snapshot, "id" | "hostId" | "appCount">, filter: AppFilter): Promise<number>;
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

/** Every App column, named as Prisma names them, for raw queries that return App rows (read them with exactApps). */
export const APP_COLUMNS = Prisma.sql`id, host_id AS "hostId", source, ${exactTextColumn("name", "name")},
  ${exactTextColumn("version", "version")}, ${exactTextColumn("path", "path")},
  ${exactTextColumn("bundle_identifier", "bundleIdentifier")}, ${exactTextColumn("publisher", "publisher")},
  alterations::text[] AS alterations, sort_key AS "sortKey",
  first_seen_snapshot_id AS "firstSeenSnapshotId", first_seen_at AS "firstSeenAt",
  removed_snapshot_id AS "removedSnapshotId", removed_at AS "removedAt"`;

/** App rows selected with APP_COLUMNS, their text as stored. */
export function exactApps(rows: App[]): App[] {
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
  return Prisma.sql`host_id = ${snapshot.hostId}
    AND first_seen_snapshot_id <= ${snapshot.id}
    AND (removed_snapshot_id IS NULL OR removed_snapshot_id > ${snapshot.id})`;
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filterSql(filter: AppFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (filter.nameContains) parts.push(Prisma.sql`AND name ILIKE ${`%${escapeLike(filter.nameContains)}%`} ESCAPE '\\'`);
  if (filter.source) parts.push(Prisma.sql`AND source = ${filter.source}`);
  return parts.length ? Prisma.join(parts, " ") : Prisma.empty;
}

const bytes = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const after = (p: AppPosition) => Prisma.sql`AND (sort_key, id) > (${bytes(p.sortKey)}::bytea, ${p.id}::int)`;
const before = (p: AppPosition) => Prisma.sql`AND (sort_key, id) < (${bytes(p.sortKey)}::bytea, ${p.id}::int)`;

export function createAppQueries(db: PrismaClient): AppQueries {
  const exists = async (where: Prisma.Sql): Promise<boolean> => {
    const rows = await db.$queryRaw<{ found: number }[]>`SELECT 1 AS found FROM apps WHERE ${where} LIMIT 1`;
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
        SELECT sort_key AS "sortKey", id FROM apps WHERE id = ${appId} AND ${visibleAt(snapshot)}`;
      return rows[0] ?? null;
    },

    async page({ snapshot, filter, after: a, before: b, first, last }) {
      const where = Prisma.sql`${visibleAt(snapshot)} ${filterSql(filter)}`;
      const bounds = Prisma.sql`${a ? after(a) : Prisma.empty} ${b ? before(b) : Prisma.empty}`;
      if (first !== null) {
        const rows = exactApps(await db.$queryRaw<App[]>`
          SELECT ${APP_COLUMNS} FROM apps WHERE ${where} ${bounds}
          ORDER BY sort_key, id LIMIT ${first + 1}`);
        const hasNextPage = rows.length > first;
        const apps = rows.slice(0, first);
        // Relay lets hasPreviousPage be false when it is costly; one indexed probe makes it exact.
        const hasPreviousPage = a ? await exists(Prisma.sql`${where} AND (sort_key, id) <= (${bytes(a.sortKey)}::bytea, ${a.id}::int)`) : false;
        return { apps, hasNextPage, hasPreviousPage };
      }
      const count = last ?? 0;
      const rows = exactApps(await db.$queryRaw<App[]>`
        SELECT ${APP_COLUMNS} FROM apps WHERE ${where} ${bounds}
        ORDER BY sort_key DESC, id DESC LIMIT ${count + 1}`);
      const hasPreviousPage = rows.length > count;
      const apps = rows.slice(0, count).reverse();
      const hasNextPage = b ? await exists(Prisma.sql`${where} AND (sort_key, id) >= (${bytes(b.sortKey)}::bytea, ${b.id}::int)`) : false;
      return { apps, hasNextPage, hasPreviousPage };
    },

    async count(snapshot, filter) {
      if (!filter.nameContains && !filter.source) return snapshot.appCount;
      const rows = await db.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM apps WHERE ${visibleAt(snapshot)} ${filterSql(filter)}`;
      return rows[0]?.n ?? 0;
    },
  };
}
