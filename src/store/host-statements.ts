/**
 * The statements of the hosts read path, as text: the store sends them through Database.read, and
 * bench/read-queries' baseline imports the same text.
 */
import { columns, type ColumnSet } from "../db/column-set.js";
import type { Instant } from "../db/instant.js";
import type { Statement } from "../db/read.js";
import type { Host } from "../generated/prisma/client.js";

/**
 * The Host columns a listed host can be read with, named as Prisma's model names them, and their SQL
 * (int8 columns as text: the same on PostgreSQL and PGlite, and exact). The agent's bookkeeping
 * (UnlistedHostKey) is left out: a list of hosts never shows it. A page reads only the columns its
 * selection needs (HOST_COLUMNS).
 */
export const LISTED_HOST_COLUMNS = {
  id: "id",
  hostname: "hostname",
  platform: "platform",
  local: "local",
  osName: "os_name",
  osVersion: "os_version",
  osqueryVersion: "osquery_version",
  hardwareVendor: "hardware_vendor",
  hardwareModel: "hardware_model",
  hardwareSerial: "hardware_serial",
  cpuBrand: "cpu_brand",
  physicalMemory: "physical_memory::text",
  agentIdentifier: "agent_identifier",
  nodeKeyHash: "node_key_hash",
  enrolledAt: "enrolled_at",
  lastSeenAt: "last_seen_at",
  inventoryRequestedAt: "inventory_requested_at",
  resultLines: "result_lines::text",
  createdAt: "created_at",
} as const satisfies Partial<Record<keyof Host, string>>;

export type ListedHostKey = keyof typeof LISTED_HOST_COLUMNS;
/** The Host fields a listed host is never read with. */
export type UnlistedHostKey = Exclude<keyof Host, ListedHostKey>;

type HostInstantKey = "enrolledAt" | "lastSeenAt" | "inventoryRequestedAt" | "createdAt";
type HostInt8Key = "physicalMemory" | "resultLines";

/**
 * A listed host as the read path gives it: int8 as text, times as Instants (the statements set
 * isoInstants), the rest as Prisma's client types it. A page has only the columns of its
 * HostColumnSet: Host's fields each say which they read (src/schema/host.ts).
 */
export type ListedHost = {
  [K in ListedHostKey]: K extends HostInstantKey ? Instant | Extract<Host[K], null> : K extends HostInt8Key ? string | Extract<Host[K], null> : Host[K];
};

/** Column sets of listed hosts; every page reads the id (cursors). */
export const HOST_COLUMNS = columns(LISTED_HOST_COLUMNS, ["id"]);
export type HostColumnSet = ColumnSet<ListedHostKey>;

export interface HostFilterValues {
  /** Case-insensitive substring of the hostname, LIKE-escaped by the caller. */
  hostnameLike?: string | undefined;
  platform?: string | undefined;
  /**
   * Online: the local host, or seen at or after `seenSince` (null: no host but the local one is ever
   * online); offline: the others, hosts never seen included, as Host.online says.
   */
  online?: { value: boolean; seenSince: Date | null } | undefined;
}

/**
 * The WHERE of a filtered host list and its values, numbered from $1, and a variant name per set of
 * optional parts, so each variant is prepared once.
 */
function hostSet(filter: HostFilterValues, range: { gt?: number | undefined; lt?: number | undefined }) {
  const values: unknown[] = [];
  const parts: string[] = [];
  const name: string[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  if (filter.hostnameLike !== undefined) {
    parts.push(`hostname ILIKE ${param(filter.hostnameLike)} ESCAPE '\\'`);
    name.push("n");
  }
  if (filter.platform !== undefined) {
    parts.push(`platform = ${param(filter.platform)}`);
    name.push("p");
  }
  if (filter.online !== undefined) {
    const { value, seenSince } = filter.online;
    const online = seenSince === null ? "local" : `(local OR last_seen_at >= ${param(seenSince)}::timestamptz)`;
    // NOT of a NULL (never seen) is NULL, which would leave such a host out of both lists.
    parts.push(value ? online : `NOT coalesce(${online}, false)`);
    name.push(`${value ? "on" : "off"}${seenSince === null ? "" : "_since"}`);
  }
  if (range.gt !== undefined) {
    parts.push(`id > ${param(range.gt)}`);
    name.push("gt");
  }
  if (range.lt !== undefined) {
    parts.push(`id < ${param(range.lt)}`);
    name.push("lt");
  }
  return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", values, variant: name.map((part) => `_${part}`).join(""), param };
}

/** Up to `take` hosts of the filter within the id range, in id order or its reverse. */
export function hostPageStatement(
  filter: HostFilterValues,
  columns: HostColumnSet,
  range: { gt?: number | undefined; lt?: number | undefined },
  direction: "asc" | "desc",
  take: number,
): [Statement, unknown[]] {
  const { where, values, variant, param } = hostSet(filter, range);
  const text = `SELECT ${columns.sql} FROM hosts ${where} ORDER BY id ${direction === "asc" ? "ASC" : "DESC"} LIMIT ${param(take)}`;
  return [{ name: `host_page_${direction}${variant}_c${columns.tag}`, text, isoInstants: true }, values];
}

export function hostCountStatement(filter: HostFilterValues): [Statement, unknown[]] {
  const { where, values, variant } = hostSet(filter, {});
  return [{ name: `host_count${variant}`, text: `SELECT count(*)::int AS n FROM hosts ${where}` }, values];
}
