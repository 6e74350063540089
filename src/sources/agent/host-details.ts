import type { Prisma } from "../../generated/prisma/client.js";
import { APP_ALTERATIONS, AppAlteration, softwareSourceFor, type SoftwareSource } from "../../inventory/types.js";
import { storedText } from "../../text.js";
import type { EnrollRequest } from "./protocol.js";

/** SMBIOS placeholders many virtual machines share, and osquery's own: not an identity. */
const PLACEHOLDER_UUID = /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}|03000200-0400-0500-0006-000700080009)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Longest host detail stored, in UTF-16 code units (README: enrollment); a longer one is cut. */
export const MAX_HOST_DETAIL_LENGTH = 1024;

/** The host_details tables a value is read from, or the request itself (host_identifier). */
type Table = "os_version" | "osquery_info" | "system_info" | "request";

/** A stored host field that differs from what the agent reported, and how. */
export interface AlteredDetail {
  /** The Host field (hostname, cpuBrand, ...). */
  field: string;
  alterations: AppAlteration[];
}

function validUuid(value: string | undefined): string | null {
  const v = value?.trim();
  return v && UUID.test(v) && !PLACEHOLDER_UUID.test(v) ? v.toLowerCase() : null;
}

export interface EnrolledHost {
  /**
   * What makes two enrollments the same machine: the hardware UUID (system_info.uuid), else the UUID
   * osquery generated and persisted for a machine without one (osquery_info.uuid), else the
   * host_identifier the agent sent (by default its hostname, which can collide). The local collector
   * names a machine "uuid:<hardware uuid>" too, so the machine the service runs on is one host
   * whether its inventory comes from osqueryi or from its own osqueryd.
   */
  identifier: string;
  /** osquery_info.instance_id: a new one on the same identifier means another osquery database. */
  instanceId: string | null;
  softwareSource: SoftwareSource | null;
  fields: Omit<Prisma.HostUncheckedCreateInput, "identifier">;
  /** Fields stored other than reported; empty when every one is exactly what the agent sent. */
  altered: AlteredDetail[];
}

/** Which parts of an enrollment body held strings with bytes that are not UTF-8 (JsonBody.invalidUtf8). */
export function invalidUtf8Tables(body: unknown, holders: ReadonlySet<object>): Set<Table> {
  const tables = new Set<Table>();
  if (holders.size === 0 || typeof body !== "object" || body === null) return tables;
  if (holders.has(body)) tables.add("request");
  const details = (body as { host_details?: unknown }).host_details;
  if (typeof details !== "object" || details === null) return tables;
  for (const table of ["os_version", "osquery_info", "system_info"] as const) {
    const row = (details as Record<string, unknown>)[table];
    if (typeof row === "object" && row !== null && holders.has(row)) tables.add(table);
  }
  return tables;
}

/**
 * `invalidUtf8`: the tables (and "request" for host_identifier) whose values held bytes that are not
 * UTF-8 in the request (JsonBody); their U+FFFD are marked as an app's would be.
 */
export function enrolledHost(request: EnrollRequest, invalidUtf8: ReadonlySet<Table> = new Set()): EnrolledHost {
  const altered = new Map<string, Set<AppAlteration>>();
  /**
   * A reported value as stored: "" (SQL NULL) is null; C-string padding NULs dropped; what PostgreSQL
   * cannot hold replaced and the length bounded, each noted under the field's name.
   */
  const field = (name: string, table: Table, value: string | undefined): string | null => {
    if (value === undefined) return null;
    // cpu_brand arrives padded with NULs (osquery copies a fixed-size CPUID buffer): trailing ones are
    // padding, not an alteration; any others become U+FFFD.
    const stored = storedText(value.replace(/\0+$/, ""), MAX_HOST_DETAIL_LENGTH);
    const marks = new Set<AppAlteration>();
    if (stored.nulReplaced) marks.add(AppAlteration.NUL_REPLACED);
    if (stored.surrogateReplaced) marks.add(AppAlteration.UNPAIRED_SURROGATE_REPLACED);
    if (invalidUtf8.has(table) && stored.reported.includes("\uFFFD")) marks.add(AppAlteration.INVALID_UTF8_REPLACED);
    if (stored.truncated) marks.add(AppAlteration.TRUNCATED);
    if (stored.text.trim() === "") return null;
    if (marks.size > 0) altered.set(name, new Set([...(altered.get(name) ?? []), ...marks]));
    return stored.text;
  };
  const details = request.host_details ?? {};
  const system = details.system_info ?? {};
  const os = details.os_version ?? {};
  const osquery = details.osquery_info ?? {};
  const uuid = validUuid(system["uuid"]) ?? validUuid(osquery["uuid"]);
  // As the key of the host row, the identifier must be storable too: a NUL in it would fail every enrollment.
  const identifier = uuid ? `uuid:${uuid}` : `agent:${storedText(request.host_identifier, 255).text || "unknown"}`;
  const platform = field("platform", "os_version", os["platform"])?.toLowerCase() ?? null;
  const platformLike = field("platformLike", "os_version", os["platform_like"])?.toLowerCase() ?? null;
  const memory = system["physical_memory"]?.trim();
  const serial = field("hardwareSerial", "system_info", system["hardware_serial"]);
  const agentIdentifier = field("agentIdentifier", "request", request.host_identifier);
  const instanceId = field("agentInstanceId", "osquery_info", osquery["instance_id"]);
  const fields = {
    hostname: field("hostname", "system_info", system["hostname"]) ?? (agentIdentifier || "unknown"),
    platform,
    platformLike,
    osName: field("osName", "os_version", os["name"]),
    osVersion: field("osVersion", "os_version", os["version"]),
    osqueryVersion: field("osqueryVersion", "osquery_info", osquery["version"]),
    hardwareVendor: field("hardwareVendor", "system_info", system["hardware_vendor"]),
    hardwareModel: field("hardwareModel", "system_info", system["hardware_model"]),
    // "-1" and "0" are what some firmware reports for "no serial" (Fleet ignores "-1" too).
    hardwareSerial: serial === "-1" || serial === "0" ? null : serial,
    cpuBrand: field("cpuBrand", "system_info", system["cpu_brand"]),
    physicalMemory: memory && /^\d{1,19}$/.test(memory) ? BigInt(memory) : null,
    agentIdentifier,
    agentInstanceId: instanceId,
  };
  return {
    identifier,
    instanceId,
    softwareSource: platform ? softwareSourceFor({ platform, platformLike }) : null,
    fields,
    altered: [...altered].map(([name, marks]) => ({ field: name, alterations: APP_ALTERATIONS.filter((a) => marks.has(a)) })),
  };
}
