import type { Instant } from "../db/instant.js";
import type { Read, Statement } from "../db/read.js";
import { Prisma, type Snapshot } from "../generated/prisma/client.js";
import type { AppAlteration } from "../generated/prisma/enums.js";
import {
  APP_COLUMN_SETS,
  APP_COLUMNS_SQL,
  APP_STATEMENTS,
  APPS_SQL,
  appCountStatement,
  appExistsStatement,
  appPageStatement,
  escapeLike,
  exactTextSql,
  SNAPSHOT_STATEMENTS,
  type AppColumnSet,
  type AppFilterValues,
  type AppOrder,
  type AppPosition,
} from "./app-statements.js";

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
  firstSeenAt: Instant;
  removedSnapshotId: number | null;
  removedAt: Instant | null;
}

export type AppFilter = AppFilterValues;
export type { AppOrder, AppPosition };

export interface AppPageRequest {
  snapshot: Pick<Snapshot, "id" | "hostId">;
  filter: AppFilter;
  /** The listing's order; after and before are positions in it. */
  order: AppOrder;
  after: AppPosition | null;
  before: AppPosition | null;
  /** Exactly one of first/last is set. */
  first: number | null;
  last: number | null;
  /** The columns to read (the page's apps have these, and maybe more). */
  columns: AppColumnSet;
}

export interface AppPage {
  apps: StoredApp[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface AppQueries {
  newestSucceeded(hostId: number): Promise<Snapshot | null>;
  /** The newest SUCCEEDED snapshot of the newest local host (this machine); null when it has none or there is no such host. */
  newestSucceededOfLocal(): Promise<Snapshot | null>;
  /** A snapshot by id, whatever its status. */
  snapshot(id: number): Promise<Snapshot | null>;
  /**
   * A snapshot by id, whatever its status, with the position of an app when it is part of the
   * snapshot's app set (else null): what a cursor names, read in one statement.
   */
  snapshotWithPosition(snapshotId: number, appId: number): Promise<{ snapshot: Snapshot; position: AppPosition | null } | null>;
  page(request: AppPageRequest): Promise<AppPage>;
  count(snapshot: Pick<Snapshot, "id" | "hostId" | "appCount">, filter: AppFilter): Promise<number>;
  /** Apps by id, in the order asked; null where there is none (node(id:)). */
  byIds(ids: number[]): Promise<(StoredApp | null)[]>;
}

/** A text column read as exactTextSql reads it (app-statements.ts). `column` is SQL, never input. */
export function exactTextColumn(column: string, alias: string): Prisma.Sql {
  return Prisma.raw(exactTextSql(column, alias));
}

/** A text column read with exactTextColumn, as it is stored. */
export function exactText(value: string): string;
export function exactText(value: string | null): string | null;
export function exactText(value: string | null): string | null {
  return value === null ? null : value.slice(1);
}

/** The apps of hosts (`a`) with their software records (`s`): select APP_COLUMNS from it. */
export const APPS = Prisma.raw(APPS_SQL);

/** Every StoredApp column, for raw queries FROM ${APPS} (read the rows with exactApps). */
export const APP_COLUMNS = Prisma.raw(APP_COLUMNS_SQL);

const EXACT_TEXT_KEYS = ["name", "version", "path", "bundleIdentifier", "publisher"] as const satisfies (keyof StoredApp)[];

/** App rows selected with APP_COLUMNS (or `read`, a set of them), their text as stored. */
export function exactApps(rows: StoredApp[], read: AppColumnSet = APP_COLUMN_SETS.all): StoredApp[] {
  const keys = EXACT_TEXT_KEYS.filter((key) => read.keys.includes(key));
  for (const row of rows) for (const key of keys) row[key] = exactText(row[key]) as string;
  return rows;
}

export { escapeLike };

/**
 * The latestData read path. Its statements go through Database.read, past Prisma's client: a page is
 * three or four statements, and Prisma's per-query work (building the request, mapping each column of
 * each row) cost more CPU than the rest of the request (README "Performance").
 */
/** Column sets of latestData's pages with a statement of their own (Columns.bounded). */
const APP_PAGE_COLUMN_SETS = 64;

export function createAppQueries(read: Read): AppQueries {
  const exists = async (statement: [Statement, unknown[]]) => (await read(...statement)).length > 0;
  const first = async <Row>(statement: Statement, values: unknown[]) => (await read<Row>(statement, values))[0] ?? null;
  const pageColumns = APP_COLUMN_SETS.bounded(APP_PAGE_COLUMN_SETS);

  return {
    newestSucceeded: (hostId) => first<Snapshot>(SNAPSHOT_STATEMENTS.newestSucceeded, [hostId]),

    newestSucceededOfLocal: () => first<Snapshot>(SNAPSHOT_STATEMENTS.newestSucceededOfLocal, []),

    snapshot: (id) => first<Snapshot>(SNAPSHOT_STATEMENTS.byId, [id]),

    async snapshotWithPosition(snapshotId, appId) {
      const row = await first<Snapshot & { positionSortKey: Uint8Array | null; positionId: number | null }>(SNAPSHOT_STATEMENTS.byIdWithPosition, [snapshotId, appId]);
      if (!row) return null;
      const { positionSortKey: sortKey, positionId: id, ...snapshot } = row;
      return { snapshot, position: sortKey !== null && id !== null ? { sortKey, id } : null };
    },

    async page({ snapshot, filter, order, after: a, before: b, first: size, last, columns: asked }) {
      const columns = pageColumns(asked);
      const set = { hostId: snapshot.hostId, snapshotId: snapshot.id, filter };
      const forward = size !== null;
      const count = size ?? last ?? 0;
      // A backward page reads the order in reverse, from `before` towards `after`, and is turned round.
      const page = forward
        ? { direction: order, after: a, before: b }
        : { direction: order === "asc" ? ("desc" as const) : ("asc" as const), after: b, before: a };
      const rows = exactApps(await read<StoredApp>(...appPageStatement({ ...set, ...page, columns, limit: count + 1 })), columns);
      const more = rows.length > count;
      const apps = rows.slice(0, count);
      // At or before / at or after a position in the listing's order, as bounds on (sortKey, id).
      const [atOrBefore, atOrAfter] = order === "asc" ? (["<=", ">="] as const) : ([">=", "<="] as const);
      if (forward) {
        // Relay lets hasPreviousPage be false when it is costly; one indexed probe makes it exact.
        const hasPreviousPage = a ? await exists(appExistsStatement({ ...set, op: atOrBefore, position: a })) : false;
        return { apps, hasNextPage: more, hasPreviousPage };
      }
      apps.reverse();
      const hasNextPage = b ? await exists(appExistsStatement({ ...set, op: atOrAfter, position: b })) : false;
      return { apps, hasNextPage, hasPreviousPage: more };
    },

    async count(snapshot, filter) {
      if (!filter.nameContains && !filter.source) return snapshot.appCount;
      const row = await first<{ n: number }>(...appCountStatement({ hostId: snapshot.hostId, snapshotId: snapshot.id, filter }));
      return row?.n ?? 0;
    },

    async byIds(ids) {
      if (ids.length === 0) return [];
      const rows = exactApps(await read<StoredApp>(APP_STATEMENTS.byIds, [ids]));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
  };
}
