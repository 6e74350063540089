/**
 * The statements of the hosts read path, as text: the store sends them through Database.read, and
 * bench/read-queries' baseline imports the same text.
 */
import type { Statement } from "../db/read.js";

/**
 * The Host columns that Host's GraphQL fields read, named as Prisma's model names them (int8 columns
 * as text: see hostRows). The agent's bookkeeping (identifier, platform_like, agent_instance_id,
 * inventory_batch, inventory_sent_at, inventory_at, updated_at) is left out: a list of hosts never
 * shows it, and each column of each row costs parsing.
 */
export const HOST_COLUMNS_SQL = `id, hostname, platform, local, os_name AS "osName",
  os_version AS "osVersion", osquery_version AS "osqueryVersion", hardware_vendor AS "hardwareVendor",
  hardware_model AS "hardwareModel", hardware_serial AS "hardwareSerial", cpu_brand AS "cpuBrand",
  physical_memory::text AS "physicalMemory", agent_identifier AS "agentIdentifier",
  node_key_hash AS "nodeKeyHash", enrolled_at AS "enrolledAt", last_seen_at AS "lastSeenAt",
  inventory_requested_at AS "inventoryRequestedAt", result_lines::text AS "resultLines", created_at AS "createdAt"`;

/** The Host fields HOST_COLUMNS_SQL leaves out. */
export type UnlistedHostKey = "identifier" | "platformLike" | "agentInstanceId" | "inventoryBatch" | "inventorySentAt" | "inventoryAt" | "updatedAt";

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
  range: { gt?: number | undefined; lt?: number | undefined },
  direction: "asc" | "desc",
  take: number,
): [Statement, unknown[]] {
  const { where, values, variant, param } = hostSet(filter, range);
  const text = `SELECT ${HOST_COLUMNS_SQL} FROM hosts ${where} ORDER BY id ${direction === "asc" ? "ASC" : "DESC"} LIMIT ${param(take)}`;
  return [{ name: `host_page_${direction}${variant}`, text, isoInstants: true }, values];
}

export function hostCountStatement(filter: HostFilterValues): [Statement, unknown[]] {
  const { where, values, variant } = hostSet(filter, {});
  return [{ name: `host_count${variant}`, text: `SELECT count(*)::int AS n FROM hosts ${where}` }, values];
}
