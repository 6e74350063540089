import type { Prisma } from "../../generated/prisma/client.js";
import { softwareSourceFor, type SoftwareSource } from "../../inventory/types.js";
import { storableText } from "../../text.js";
import type { EnrollRequest } from "./protocol.js";

/** SMBIOS placeholders many virtual machines share, and osquery's own: not an identity. */
const PLACEHOLDER_UUID = /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}|03000200-0400-0500-0006-000700080009)$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const MAX_FIELD = 1024;

/** A reported value as stored: "" (SQL NULL) is null; C-string padding NULs dropped; bounded. */
function field(value: string | undefined): string | null {
  if (value === undefined) return null;
  // cpu_brand arrives padded with NULs (osquery copies a fixed-size CPUID buffer), which PostgreSQL
  // text cannot hold; trailing ones are padding, any others become U+FFFD.
  const text = storableText(value.replace(/\0+$/, "")).slice(0, MAX_FIELD);
  return text.trim() === "" ? null : text;
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
}

export function enrolledHost(request: EnrollRequest): EnrolledHost {
  const details = request.host_details ?? {};
  const system = details.system_info ?? {};
  const os = details.os_version ?? {};
  const osquery = details.osquery_info ?? {};
  const uuid = validUuid(system["uuid"]) ?? validUuid(osquery["uuid"]);
  const identifier = uuid ? `uuid:${uuid}` : `agent:${request.host_identifier.slice(0, 255) || "unknown"}`;
  const platform = field(os["platform"])?.toLowerCase() ?? null;
  const platformLike = field(os["platform_like"])?.toLowerCase() ?? null;
  const memory = system["physical_memory"]?.trim();
  const serial = field(system["hardware_serial"]);
  return {
    identifier,
    instanceId: field(osquery["instance_id"]),
    softwareSource: platform ? softwareSourceFor({ platform, platformLike }) : null,
    fields: {
      hostname: field(system["hostname"]) ?? (field(request.host_identifier) || "unknown"),
      platform,
      platformLike,
      osName: field(os["name"]),
      osVersion: field(os["version"]),
      osqueryVersion: field(osquery["version"]),
      hardwareVendor: field(system["hardware_vendor"]),
      hardwareModel: field(system["hardware_model"]),
      // "-1" and "0" are what some firmware reports for "no serial" (Fleet ignores "-1" too).
      hardwareSerial: serial === "-1" || serial === "0" ? null : serial,
      cpuBrand: field(system["cpu_brand"]),
      physicalMemory: memory && /^\d{1,19}$/.test(memory) ? BigInt(memory) : null,
      agentIdentifier: field(request.host_identifier),
      agentInstanceId: field(osquery["instance_id"]),
    },
  };
}
