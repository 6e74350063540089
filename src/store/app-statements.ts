/**
 * The statements of the latestData read path, as text: the store sends them through Database.read
 * (src/db/read.ts), and bench/latest-data's baselines import the same text, so the benchmark compares
 * servers that ask PostgreSQL for exactly the same work.
 */
import { columns, type ColumnSet } from "../db/column-set.js";
import type { Statement } from "../db/read.js";
import type { StoredApp } from "./app-queries.js";

/**
 * PGlite (0.5.16, 0.5.17) decodes each text value with a TextDecoder that drops a leading U+FEFF as a
 * byte order mark, where osquery reported it as part of the value. Read behind one character, which
 * exactText takes off again, no value starts with one on the wire. (5,000 rows × 3 columns on
 * PostgreSQL: about as fast as plain text; as bytea, 3 to 4 times slower.) `column` is SQL, never input.
 */
export const exactTextSql = (column: string, alias: string): string => `${exactTextValue(column)} AS "${alias}"`;
const exactTextValue = (column: string) => `'.' || ${column}`;

/** The apps of hosts (`a`) with their software records (`s`). */
export const APPS_SQL = `apps a JOIN software s ON s.id = a.software_id`;

/** Every StoredApp column's SQL, FROM APPS_SQL (text columns as exactTextSql reads them). */
const APP_COLUMN_SQL = {
  id: "a.id",
  hostId: "a.host_id",
  softwareId: "a.software_id",
  source: "s.source",
  name: exactTextValue("s.name"),
  version: exactTextValue("s.version"),
  path: exactTextValue("s.path"),
  bundleIdentifier: exactTextValue("s.bundle_identifier"),
  publisher: exactTextValue("s.publisher"),
  alterations: "s.alterations::text[]",
  sortKey: "s.sort_key",
  firstSeenSnapshotId: "a.first_seen_snapshot_id",
  firstSeenAt: "a.first_seen_at",
  removedSnapshotId: "a.removed_snapshot_id",
  removedAt: "a.removed_at",
} as const satisfies Record<keyof StoredApp, string>;

/** Column sets of app rows; every row has its id (cursors, node ids). */
export const APP_COLUMN_SETS = columns(APP_COLUMN_SQL, ["id"]);
export type AppColumnSet = ColumnSet<keyof StoredApp>;

/** Every StoredApp column, FROM APPS_SQL. */
export const APP_COLUMNS_SQL = APP_COLUMN_SETS.all.sql;

/** Every Snapshot column of `snapshots` as `table`, named as Prisma's model names them. */
const snapshotColumnsSql = (table: string) => `${table}.id, ${table}.host_id AS "hostId", ${table}.status, ${table}.collected_at AS "collectedAt",
  ${table}.duration_ms AS "durationMs", ${table}.error, ${table}.app_count AS "appCount", ${table}.added, ${table}.removed, ${table}.source,
  ${table}.altered_apps AS "alteredApps", ${table}.version_id AS "versionId"`;
const SNAPSHOT_COLUMNS_SQL = snapshotColumnsSql("snapshots");

/** The newest local host: this service's own machine (HOST_STATEMENTS.local). */
const LOCAL_HOST_SQL = `SELECT id FROM hosts WHERE local ORDER BY id DESC LIMIT 1`;

/** Apps alive at a snapshot: first seen at or before it, not yet removed at it. */
const visibleAt = (host: string, snapshot: string) =>
  `a.host_id = ${host} AND a.first_seen_snapshot_id <= ${snapshot} AND (a.removed_snapshot_id IS NULL OR a.removed_snapshot_id > ${snapshot})`;

export const HOST_STATEMENTS = {
  /** This service's own machine: the newest local host. */
  local: { name: "host_local", text: LOCAL_HOST_SQL },
  /** Two hosts tell whether there is only one. */
  firstTwo: { name: "host_first_two", text: `SELECT id FROM hosts ORDER BY id ASC LIMIT 2` },
  exists: { name: "host_exists", text: `SELECT id FROM hosts WHERE id = $1` },
} as const satisfies Record<string, Statement>;

export const SNAPSHOT_STATEMENTS = {
  byId: { name: "snapshot_by_id", text: `SELECT ${SNAPSHOT_COLUMNS_SQL} FROM snapshots WHERE id = $1` },
  /** One descent of the (host_id, status, id) index. */
  newestSucceeded: {
    name: "snapshot_newest_succeeded",
    text: `SELECT ${SNAPSHOT_COLUMNS_SQL} FROM snapshots WHERE host_id = $1 AND status = 'SUCCEEDED' ORDER BY id DESC LIMIT 1`,
  },
  /**
   * The same for the newest local host, in one statement instead of two: latestData's first page
   * without a hostId (the single-machine service) reads it on every request.
   */
  newestSucceededOfLocal: {
    name: "snapshot_newest_succeeded_local",
    text: `SELECT ${SNAPSHOT_COLUMNS_SQL} FROM snapshots WHERE host_id = (${LOCAL_HOST_SQL}) AND status = 'SUCCEEDED' ORDER BY id DESC LIMIT 1`,
  },
  /**
   * A cursor's two halves in one statement: $1 the snapshot, whatever its status, with the place of
   * app $2 in the order (positionSortKey and positionId, null unless the snapshot's app set has it).
   */
  byIdWithPosition: {
    name: "snapshot_by_id_with_position",
    text: `SELECT ${snapshotColumnsSql("sn")}, p.sort_key AS "positionSortKey", p.id AS "positionId"
      FROM snapshots sn LEFT JOIN LATERAL (SELECT s.sort_key, a.id FROM ${APPS_SQL} WHERE a.id = $2 AND ${visibleAt("sn.host_id", "sn.id")}) p ON true
      WHERE sn.id = $1`,
  },
} as const satisfies Record<string, Statement>;

export const APP_STATEMENTS = {
  byIds: { name: "app_by_ids", text: `SELECT ${APP_COLUMNS_SQL} FROM ${APPS_SQL} WHERE a.id = ANY($1::int[])`, isoInstants: true },
} as const satisfies Record<string, Statement>;

/**
 * snapshotDiff's two sides, from the rows that differ: $1 host, $2 the older snapshot, $3 the newer.
 * Apps that were removed or added in between and are back are on both sides (computeDiff pairs them).
 */
export const DIFF_STATEMENTS = {
  /** Alive at the older snapshot, removed by the newer. */
  onlyOlder: {
    name: "diff_only_older",
    text: `SELECT ${APP_COLUMNS_SQL} FROM ${APPS_SQL}
      WHERE a.host_id = $1 AND a.removed_snapshot_id > $2 AND a.removed_snapshot_id <= $3 AND a.first_seen_snapshot_id <= $2`,
    isoInstants: true,
  },
  /** Added after the older snapshot, alive at the newer. */
  onlyNewer: {
    name: "diff_only_newer",
    text: `SELECT ${APP_COLUMNS_SQL} FROM ${APPS_SQL}
      WHERE a.host_id = $1 AND a.first_seen_snapshot_id > $2 AND a.first_seen_snapshot_id <= $3
        AND (a.removed_snapshot_id IS NULL OR a.removed_snapshot_id > $3)`,
    isoInstants: true,
  },
} as const satisfies Record<string, Statement>;

export interface AppFilterValues {
  /** Case-insensitive substring of the name. */
  nameContains?: string | null | undefined;
  source?: string | null | undefined;
}

/** Which way a read runs through the (sortKey, id) order: "desc" is the exact reverse of "asc". */
export type AppOrder = "asc" | "desc";

/** A row's place in the (sortKey, id) order. */
export interface AppPosition {
  sortKey: Uint8Array;
  id: number;
}

/** An app set (the host's apps alive at a snapshot), narrowed by a filter. */
export interface AppSetQuery {
  hostId: number;
  snapshotId: number;
  filter: AppFilterValues;
}

export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A Buffer over the same bytes: node-postgres sends Buffers as bytea, other Uint8Arrays as JSON. */
export const bytes = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/**
 * The statement's WHERE for an app set and its values, numbered from $1. The statement's name says
 * which optional parts it has, so each variant is prepared once.
 */
function appSet(query: AppSetQuery, bounds: { op: "<" | ">" | "<=" | ">="; position: AppPosition }[]) {
  const values: unknown[] = [query.hostId, query.snapshotId];
  const parts = [visibleAt("$1", "$2")];
  const name: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (query.filter.nameContains) {
    parts.push(`s.name ILIKE ${param(`%${escapeLike(query.filter.nameContains)}%`)} ESCAPE '\\'`);
    name.push("n");
  }
  if (query.filter.source) {
    parts.push(`s.source = ${param(query.filter.source)}`);
    name.push("s");
  }
  for (const { op, position } of bounds) {
    parts.push(`(s.sort_key, a.id) ${op} (${param(bytes(position.sortKey))}::bytea, ${param(position.id)}::int)`);
    name.push({ "<": "lt", ">": "gt", "<=": "le", ">=": "ge" }[op]);
  }
  return { where: parts.join(" AND "), values, variant: name.map((part) => `_${part}`).join(""), param };
}

/**
 * Up to `limit` apps of the set, read in (sortKey, id) order (`direction` "asc") or its reverse
 * ("desc"), strictly after `after` and before `before` as that direction runs: reading "desc" after a
 * position yields the rows below it.
 */
export function appPageStatement(
  query: AppSetQuery & { columns: AppColumnSet; after: AppPosition | null; before: AppPosition | null; direction: AppOrder; limit: number },
): [Statement, unknown[]] {
  const [further, nearer] = query.direction === "asc" ? ([">", "<"] as const) : (["<", ">"] as const);
  const bounds = [...(query.after ? [{ op: further, position: query.after }] : []), ...(query.before ? [{ op: nearer, position: query.before }] : [])];
  const { where, values, variant, param } = appSet(query, bounds);
  const order = query.direction === "asc" ? "s.sort_key, a.id" : "s.sort_key DESC, a.id DESC";
  const text = `SELECT ${query.columns.sql} FROM ${APPS_SQL} WHERE ${where} ORDER BY ${order} LIMIT ${param(query.limit)}`;
  return [{ name: `app_page_${query.direction}${variant}_c${query.columns.tag}`, text, isoInstants: true }, values];
}

/** Whether the set has an app at or before (`<=`) / at or after (`>=`) a position. */
export function appExistsStatement(query: AppSetQuery & { op: "<=" | ">="; position: AppPosition }): [Statement, unknown[]] {
  const { where, values, variant } = appSet(query, [{ op: query.op, position: query.position }]);
  return [{ name: `app_exists${variant}`, text: `SELECT 1 AS found FROM ${APPS_SQL} WHERE ${where} LIMIT 1` }, values];
}

/** How many apps the set has. */
export function appCountStatement(query: AppSetQuery): [Statement, unknown[]] {
  const { where, values, variant } = appSet(query, []);
  return [{ name: `app_count${variant}`, text: `SELECT count(*)::int AS n FROM ${APPS_SQL} WHERE ${where}` }, values];
}
