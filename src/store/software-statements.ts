/**
 * The statements of the fleet-wide software reads (software, softwareTitles, softwareHosts), as text: the store sends
 * them through Database.read, and bench/read-queries' baseline imports the same text.
 */
import type { Statement } from "../db/read.js";
import { escapeLike, exactTextSql } from "./app-statements.js";
import type { HostColumnSet } from "./host-statements.js";
import { PENDING_TITLE_COUNTS, PENDING_VERSION_COUNTS } from "./software-catalog.js";
import { sortKeyOf } from "./sort-key.js";

/** Titles with their host counts including the changes not folded yet (software-catalog.ts), as `t`. */
export const COUNTED_TITLES_SQL = `(SELECT t.id, t.source, t.name, t.sort_key, coalesce(c.host_count, 0) + coalesce(p.delta, 0) AS host_count
  FROM software_titles t
    LEFT JOIN software_title_hosts c ON c.title_id = t.id
    LEFT JOIN (${PENDING_TITLE_COUNTS}) p ON p.title_id = t.id) AS t`;

export interface TitleFilterValues {
  /** Case-insensitive substring of the name. */
  nameContains?: string | null | undefined;
  /** The exact name, byte for byte (found through its sort key, as softwareHosts finds it). */
  name?: string | null | undefined;
  source?: string | null | undefined;
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

export const SOFTWARE_STATEMENTS = {
  /** $1 sources, $2 names: the versions of these titles on any host, most hosts first. */
  versions: {
    name: "software_versions_of_titles",
    text: `SELECT t.source, ${exactTextSql("t.name", "name")}, ${exactTextSql("v.version", "version")},
        (coalesce(c.host_count, 0) + coalesce(p.delta, 0))::int AS "hostCount"
      FROM software_titles t
        JOIN software_versions v ON v.title_id = t.id
        LEFT JOIN software_version_hosts c ON c.version_id = v.id
        LEFT JOIN (${PENDING_VERSION_COUNTS}) p ON p.version_id = v.id
      WHERE t.fingerprint IN (SELECT software_title_fingerprint(u.source, u.name) FROM unnest($1::text[], $2::text[]) AS u(source, name))
        AND coalesce(c.host_count, 0) + coalesce(p.delta, 0) > 0
      ORDER BY 4 DESC, v.version`,
  },
} as const satisfies Record<string, Statement>;

/** The WHERE of a filtered title list over COUNTED_TITLES_SQL, numbered from $1, and its variant name. */
function titleSet(filter: TitleFilterValues, bounds: { op: "<" | ">"; position: TitlePosition }[]) {
  const values: unknown[] = [];
  const parts = ["t.host_count > 0"];
  const name: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (filter.nameContains) {
    parts.push(`t.name ILIKE ${param(`%${escapeLike(filter.nameContains)}%`)} ESCAPE '\\'`);
    name.push("n");
  }
  if (filter.name != null) {
    parts.push(`t.sort_key = ${param(Buffer.from(sortKeyOf(filter.name)))}::bytea AND t.name = ${param(filter.name)}`);
    name.push("e");
  }
  if (filter.source) {
    parts.push(`t.source = ${param(filter.source)}`);
    name.push("s");
  }
  // The sort key as stored (the lower-cased name's bytes, computed here as at ingest), then names that
  // differ only in case by code point ("C"): the same order on every database, whatever its collation.
  for (const { op, position } of bounds) {
    parts.push(`(t.sort_key, t.name COLLATE "C", t.source) ${op} (${param(Buffer.from(sortKeyOf(position.name)))}::bytea, ${param(position.name)}, ${param(position.source)})`);
    name.push(op === ">" ? "gt" : "lt");
  }
  return { where: parts.join(" AND "), values, variant: name.map((part) => `_${part}`).join(""), param };
}

/** Up to `take` titles of the filter after/before the positions, in order or its reverse. */
export function titlePageStatement(
  filter: TitleFilterValues,
  range: { after: TitlePosition | null; before: TitlePosition | null },
  direction: "asc" | "desc",
  take: number,
): [Statement, unknown[]] {
  const bounds = [...(range.after ? [{ op: ">" as const, position: range.after }] : []), ...(range.before ? [{ op: "<" as const, position: range.before }] : [])];
  const { where, values, variant, param } = titleSet(filter, bounds);
  const order = direction === "asc" ? "ASC" : "DESC";
  const text = `SELECT t.source, ${exactTextSql("t.name", "name")}, t.host_count::int AS "hostCount" FROM ${COUNTED_TITLES_SQL}
    WHERE ${where} ORDER BY t.sort_key ${order}, t.name COLLATE "C" ${order}, t.source ${order} LIMIT ${param(take)}`;
  return [{ name: `software_titles_${direction}${variant}`, text }, values];
}

export function titleCountStatement(filter: TitleFilterValues): [Statement, unknown[]] {
  const { where, values, variant } = titleSet(filter, []);
  return [{ name: `software_title_count${variant}`, text: `SELECT count(*)::int AS n FROM ${COUNTED_TITLES_SQL} WHERE ${where}` }, values];
}

/** The software rows of an app on any host (titles found through their sort key index), numbered from $1. */
function softwareIds(filter: SoftwareHostFilter) {
  const values: unknown[] = [Buffer.from(sortKeyOf(filter.name)), filter.name];
  const name: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  let text = `SELECT s.id FROM software_titles t
      JOIN software_versions v ON v.title_id = t.id
      JOIN software s ON s.version_id = v.id
    WHERE t.sort_key = $1::bytea AND t.name = $2`;
  if (filter.source) {
    text += ` AND t.source = ${param(filter.source)}`;
    name.push("s");
  }
  if (filter.version === null) {
    text += " AND v.version IS NULL";
    name.push("vnull");
  } else if (filter.version !== undefined) {
    text += ` AND v.version = ${param(filter.version)}`;
    name.push("v");
  }
  return { text, values, variant: name.map((part) => `_${part}`).join(""), param };
}

/**
 * Hosts whose newest inventory has the app, within the id range, in `direction` of id, at most
 * `take`: one statement, where ids then rows would be two round trips.
 */
export function softwareHostsStatement(
  filter: SoftwareHostFilter,
  columns: HostColumnSet,
  range: { gt?: number | undefined; lt?: number | undefined },
  direction: "asc" | "desc",
  take: number,
): [Statement, unknown[]] {
  const { text: ids, values, variant, param } = softwareIds(filter);
  const bounds = [...(range.gt !== undefined ? [`AND h.id > ${param(range.gt)}`] : []), ...(range.lt !== undefined ? [`AND h.id < ${param(range.lt)}`] : [])];
  const rangeVariant = `${range.gt !== undefined ? "_gt" : ""}${range.lt !== undefined ? "_lt" : ""}`;
  const text = `SELECT ${columns.sql} FROM hosts h
    WHERE h.id IN (SELECT a.host_id FROM apps a WHERE a.software_id IN (${ids}) AND a.removed_snapshot_id IS NULL) ${bounds.join(" ")}
    ORDER BY h.id ${direction === "asc" ? "ASC" : "DESC"} LIMIT ${param(take)}`;
  return [{ name: `software_hosts_${direction}${variant}${rangeVariant}_c${columns.tag}`, text, isoInstants: true }, values];
}

export function softwareHostCountStatement(filter: SoftwareHostFilter): [Statement, unknown[]] {
  const { text: ids, values, variant } = softwareIds(filter);
  const text = `SELECT count(DISTINCT a.host_id)::int AS n FROM apps a WHERE a.software_id IN (${ids}) AND a.removed_snapshot_id IS NULL`;
  return [{ name: `software_host_count${variant}`, text }, values];
}
