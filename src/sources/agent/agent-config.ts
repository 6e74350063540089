import type { FleetConfig } from "../../config.js";

/** osquery ≤ 5.23.1 refuses a config larger than 1 MiB (kMaxConfigSize). */
export const MAX_AGENT_CONFIG_BYTES = 1024 * 1024;

export const AGENT_PATHS = {
  enroll: "/api/osquery/enroll",
  config: "/api/osquery/config",
  log: "/api/osquery/log",
  read: "/api/osquery/distributed/read",
  write: "/api/osquery/distributed/write",
} as const;

/**
 * Options the inventory depends on. They are runtime flags, so the config sets them even when the
 * flagfile does not (disable_distributed=false in the first config turns distributed queries on).
 */
function requiredOptions(fleet: Pick<FleetConfig, "distributedIntervalSeconds">): Record<string, string | number | boolean> {
  return {
    disable_distributed: false,
    distributed_plugin: "tls",
    distributed_interval: fleet.distributedIntervalSeconds,
    distributed_tls_read_endpoint: AGENT_PATHS.read,
    distributed_tls_write_endpoint: AGENT_PATHS.write,
  };
}

export type AgentConfigResult = { ok: true; json: string } | { ok: false; error: string };

/**
 * The config every agent gets: the user's AGENT_CONFIG_FILE (schedule, packs, decorators, options),
 * with the options the inventory needs, and our logger defaults where the user set none.
 */
export function buildAgentConfig(fleet: Pick<FleetConfig, "distributedIntervalSeconds" | "loggerPeriodSeconds">, userText: string | null, source = "AGENT_CONFIG_FILE"): AgentConfigResult {
  let user: Record<string, unknown> = {};
  if (userText !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(userText);
    } catch (error) {
      return { ok: false, error: `${source} is not valid JSON: ${(error as Error).message.slice(0, 200)}` };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { ok: false, error: `${source} must hold a JSON object (an osquery config)` };
    user = parsed as Record<string, unknown>;
    for (const key of ["node_invalid", "error", "node_key"]) {
      // osquery reads these in any answer: an "error" key makes every config request a failure.
      if (key in user) return { ok: false, error: `${source} must not have a top-level "${key}" key` };
    }
    if (user["options"] !== undefined && (typeof user["options"] !== "object" || user["options"] === null || Array.isArray(user["options"]))) {
      return { ok: false, error: `${source}: "options" must be an object` };
    }
  }
  const userOptions = (user["options"] ?? {}) as Record<string, unknown>;
  const required = requiredOptions(fleet);
  for (const [name, value] of Object.entries(required)) {
    if (name in userOptions && userOptions[name] !== value) {
      return { ok: false, error: `${source}: options.${name} must be ${JSON.stringify(value)} (the inventory depends on it) or left out` };
    }
  }
  const options = { logger_tls_endpoint: AGENT_PATHS.log, logger_tls_period: fleet.loggerPeriodSeconds, ...userOptions, ...required };
  const json = JSON.stringify({ ...user, options });
  if (Buffer.byteLength(json) > MAX_AGENT_CONFIG_BYTES) {
    return { ok: false, error: `${source} makes a config of ${Buffer.byteLength(json)} bytes; osquery accepts at most ${MAX_AGENT_CONFIG_BYTES}` };
  }
  return { ok: true, json };
}

export interface FlagfileOptions {
  /** host[:port] the agents connect to. */
  tlsHostname: string;
  fleet: Pick<FleetConfig, "distributedIntervalSeconds" | "configRefreshSeconds" | "loggerPeriodSeconds">;
  /** Where the agents keep the CA certificate and the enroll secret. */
  caPath?: string;
  secretPath?: string;
}

/** The osqueryd flagfile for this server: every endpoint, the intervals, host_identifier=uuid. */
export function flagfile({ tlsHostname, fleet, caPath = "/etc/osquery/inventory-ca.pem", secretPath = "/etc/osquery/enroll_secret" }: FlagfileOptions): string {
  return [
    `--tls_hostname=${tlsHostname}`,
    `--tls_server_certs=${caPath}`,
    `--enroll_secret_path=${secretPath}`,
    // Hardware UUID: hostnames collide, and the server identifies hosts by UUID anyway.
    "--host_identifier=uuid",
    `--enroll_tls_endpoint=${AGENT_PATHS.enroll}`,
    "--config_plugin=tls",
    `--config_tls_endpoint=${AGENT_PATHS.config}`,
    `--config_refresh=${fleet.configRefreshSeconds}`,
    "--logger_plugin=tls",
    `--logger_tls_endpoint=${AGENT_PATHS.log}`,
    `--logger_tls_period=${fleet.loggerPeriodSeconds}`,
    "--disable_distributed=false",
    "--distributed_plugin=tls",
    `--distributed_interval=${fleet.distributedIntervalSeconds}`,
    `--distributed_tls_read_endpoint=${AGENT_PATHS.read}`,
    `--distributed_tls_write_endpoint=${AGENT_PATHS.write}`,
    "",
  ].join("\n");
}
