import { isIP } from "node:net";
import { resolve } from "node:path";
import { z } from "zod";
import { parseSchedule } from "./jobs/schedule.js";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const integer = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`));

const boolean = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ["true", "false", "1", "0", "yes", "no"].includes(v), `${name} must be true or false`)
    .transform((v) => v === "true" || v === "1" || v === "yes");

/** An origin as browsers send it: scheme://host[:port], nothing after. */
function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value.replace(/\/$/, "");
}

export interface HostAndPort {
  /** Lower case; an IPv6 address keeps its brackets, as in a Host header. */
  hostname: string;
  port: number | null;
}

/** A Host header (or an ALLOWED_HOSTS entry) taken apart; null when it is not host[:port]. */
export function parseHostHeader(value: string): HostAndPort | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(value);
  if (!match) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65535) return null;
  return { hostname: match[1]!.toLowerCase(), port };
}

/** Names a browser on this machine uses for a loopback HOST; a DNS-rebinding page has its own. */
const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}

const envSchema = z.object({
  PORT: integer("PORT", 0, 65535).default(4000),
  LISTEN_SOCKETS: integer("LISTEN_SOCKETS", 1, 64).optional(),
  HOST: z
    .string()
    .trim()
    .min(1, "HOST must not be empty")
    .refine((h) => isIP(h) !== 0 || /^[a-zA-Z0-9.-]+$/.test(h), "HOST must be an IP address or a host name")
    .default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((u) => /^postgres(ql)?:\/\//.test(u), "DATABASE_URL must start with postgres:// or postgresql://")
    .refine((u) => URL.canParse(u), "DATABASE_URL is not a valid URL")
    .optional(),
  DATABASE_POOL_SIZE: integer("DATABASE_POOL_SIZE", 1, 1000).default(10),
  REDIS_URL: z
    .string()
    .trim()
    .refine((u) => /^rediss?:\/\//.test(u) && URL.canParse(u), "REDIS_URL must be a redis:// or rediss:// URL")
    .optional(),
  LEADER_CHECK_SECONDS: integer("LEADER_CHECK_SECONDS", 1, 3600).default(5),
  RESPONSE_CACHE_TTL_SECONDS: integer("RESPONSE_CACHE_TTL_SECONDS", 0, 86_400).default(60),
  RESPONSE_CACHE_MAX_ENTRIES: integer("RESPONSE_CACHE_MAX_ENTRIES", 1, 1_000_000).default(1000),
  RESPONSE_CACHE_MAX_BYTES: integer("RESPONSE_CACHE_MAX_BYTES", 1024, 16 * 1024 ** 3).default(32 * 1024 * 1024),
  RESPONSE_CACHE_MAX_ENTRY_BYTES: integer("RESPONSE_CACHE_MAX_ENTRY_BYTES", 1024, 16 * 1024 ** 3).default(1024 * 1024),
  DIFF_CACHE_BYTES: integer("DIFF_CACHE_BYTES", 0, 16 * 1024 ** 3).default(16 * 1024 * 1024),
  DATA_DIR: z.string().trim().min(1, "DATA_DIR must not be empty").default("./data"),
  OSQUERY_BIN: z.string().trim().min(1, "OSQUERY_BIN must not be empty").default("osqueryi"),
  OSQUERY_TIMEOUT_MS: integer("OSQUERY_TIMEOUT_MS", 100, 3_600_000).default(60_000),
  OSQUERY_MAX_OUTPUT_BYTES: integer("OSQUERY_MAX_OUTPUT_BYTES", 1024, 1024 * 1024 * 1024).default(16 * 1024 * 1024),
  OSQUERY_MAX_ROWS: integer("OSQUERY_MAX_ROWS", 1, 10_000_000).default(200_000),
  COLLECT_SCHEDULE: z
    .string()
    .trim()
    .default("*/5 * * * *")
    .superRefine((value, ctx) => {
      const parsed = parseSchedule(value);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
    }),
  RETAIN_DAYS: integer("RETAIN_DAYS", 1, 36_500).default(90),
  RETAIN_FAILED_DAYS: integer("RETAIN_FAILED_DAYS", 1, 36_500).default(7),
  LOG_LEVEL: z.string().trim().toLowerCase().pipe(z.enum(logLevels, { message: `LOG_LEVEL must be one of ${logLevels.join(", ")}` })).default("info"),
  API_TOKEN: z.string().trim().min(16, "API_TOKEN must be at least 16 characters").optional(),
  API_TOKEN_FILE: z.string().trim().min(1).optional(),
  AUTH_READS: boolean("AUTH_READS").default(false),
  ALLOW_UNAUTHENTICATED: boolean("ALLOW_UNAUTHENTICATED").default(false),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(",").map((o) => o.trim()).filter(Boolean))
    .superRefine((origins, ctx) => {
      for (const origin of origins) {
        if (origin === "*") ctx.addIssue({ code: "custom", message: "CORS_ORIGINS must list origins; * is not allowed" });
        else if (!isOrigin(origin)) {
          ctx.addIssue({ code: "custom", message: `CORS_ORIGINS: "${origin}" is not an origin like https://dashboard.example.com` });
        }
      }
    })
    .default([]),
  ALLOWED_HOSTS: z
    .string()
    .transform((v) => v.split(",").map((h) => h.trim()).filter(Boolean))
    .superRefine((hosts, ctx) => {
      for (const host of hosts) {
        if (host !== "*" && parseHostHeader(host) === null) {
          ctx.addIssue({ code: "custom", message: `ALLOWED_HOSTS: "${host}" is not a host name with an optional port, like inventory.example.com or localhost:4000` });
        }
      }
    })
    .optional(),
  GRAPHIQL: boolean("GRAPHIQL").optional(),
  CONSOLE: boolean("CONSOLE").default(true),
  CONSOLE_SOURCE_MAPS: boolean("CONSOLE_SOURCE_MAPS").optional(),
  INTROSPECTION: boolean("INTROSPECTION").optional(),
  MAX_BODY_BYTES: integer("MAX_BODY_BYTES", 1024, 64 * 1024 * 1024).default(100 * 1024),
  HTTP_KEEP_ALIVE_SECONDS: integer("HTTP_KEEP_ALIVE_SECONDS", 1, 3600).optional(),
  MAX_DEPTH: integer("MAX_DEPTH", 2, 100).default(8),
  MAX_ALIASES: integer("MAX_ALIASES", 0, 1000).default(15),
  MAX_DIRECTIVES: integer("MAX_DIRECTIVES", 0, 1000).default(10),
  MAX_TOKENS: integer("MAX_TOKENS", 100, 100_000).default(2000),
  MAX_COST: integer("MAX_COST", 10, 10_000_000).default(20_000),
  COLLECT_RATE_PER_MINUTE: integer("COLLECT_RATE_PER_MINUTE", 1, 10_000).default(6),
  DEMO: boolean("DEMO").default(false),
  ENROLL_SECRET: z.string().optional(),
  ENROLL_SECRET_FILE: z.string().trim().min(1).optional(),
  COLLECT_LOCAL: boolean("COLLECT_LOCAL").default(true),
  AGENT_INVENTORY_INTERVAL_SECONDS: integer("AGENT_INVENTORY_INTERVAL_SECONDS", 60, 30 * 86_400).default(3600),
  AGENT_COLLECT_WAIT_SECONDS: integer("AGENT_COLLECT_WAIT_SECONDS", 1, 600).default(30),
  AGENT_INVENTORY_CONCURRENCY: integer("AGENT_INVENTORY_CONCURRENCY", 1, 10_000).default(32),
  AGENT_HANDOUT_WAIT_SECONDS: integer("AGENT_HANDOUT_WAIT_SECONDS", 0, 10).default(5),
  AGENT_DISTRIBUTED_INTERVAL_SECONDS: integer("AGENT_DISTRIBUTED_INTERVAL_SECONDS", 1, 86_400).default(10),
  AGENT_CONFIG_REFRESH_SECONDS: integer("AGENT_CONFIG_REFRESH_SECONDS", 10, 86_400).default(300),
  AGENT_LOGGER_PERIOD_SECONDS: integer("AGENT_LOGGER_PERIOD_SECONDS", 1, 86_400).default(60),
  AGENT_ONLINE_SECONDS: integer("AGENT_ONLINE_SECONDS", 1, 86_400).optional(),
  AGENT_CONFIG_FILE: z.string().trim().min(1).optional(),
  AGENT_MAX_BODY_BYTES: integer("AGENT_MAX_BODY_BYTES", 64 * 1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  AGENT_ERRORS_KEPT: integer("AGENT_ERRORS_KEPT", 1, 10_000).default(100),
  AGENT_TLS_HOSTNAME: z
    .string()
    .trim()
    .refine((h) => /^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9.-]+)(:\d{1,5})?$/.test(h), "AGENT_TLS_HOSTNAME must be host[:port], without a scheme or path")
    .optional(),
  ENROLL_RATE_PER_MINUTE: integer("ENROLL_RATE_PER_MINUTE", 1, 1_000_000).default(60),
  TLS_CERT_FILE: z.string().trim().min(1).optional(),
  TLS_KEY_FILE: z.string().trim().min(1).optional(),
  MAX_SOCKETS_PER_CLIENT: integer("MAX_SOCKETS_PER_CLIENT", 1, 1_000_000).default(32),
  MAX_SUBSCRIPTIONS_PER_SOCKET: integer("MAX_SUBSCRIPTIONS_PER_SOCKET", 1, 100_000).default(100),
  WS_MAX_BUFFERED_BYTES: integer("WS_MAX_BUFFERED_BYTES", 16 * 1024, 1024 ** 3).default(4 * 1024 * 1024),
  NODE_ENV: z.string().optional(),
});

export type LogLevel = (typeof logLevels)[number];

export interface Config {
  /** `sockets`: listening sockets bound to the port (SO_REUSEPORT when more than one). */
  server: { host: string; port: number; sockets: number };
  /** poolSize: connections one instance opens at most (DATABASE_POOL_SIZE; 10 when not given), plus the leader lock's. */
  database: { kind: "postgres"; url: string; poolSize?: number } | { kind: "pglite"; dataDir: string };
  /** Subscription events go through Redis pub/sub (several instances); null keeps them in-process. */
  redisUrl: string | null;
  /** How often a follower instance tries to become the leader that runs the schedule (PostgreSQL only). */
  leaderCheckMs: number;
  /**
   * Query responses kept per instance until a snapshot lands; ttlMs 0 turns the cache off. Sizes are
   * of the serialised responses.
   */
  responseCache: { ttlMs: number; maxEntries: number; maxBytes: number; maxEntryBytes: number };
  /** Heap for computed snapshot diffs (HistoryOptions.cacheBytes); 0 turns that cache off. */
  diffCacheBytes: number;
  osquery: { binary: string; timeoutMs: number; maxOutputBytes: number; maxRows: number };
  /** node-schedule cron expression; null when the schedule is off (one collection still runs at start). */
  collectSchedule: string | null;
  retention: { retainDays: number; retainFailedDays: number };
  auth: {
    /** Bearer token; null when unset (main reads tokenFile into it). */
    token: string | null;
    tokenFile: string | null;
    /** Queries and subscriptions need the token too, not only mutations. */
    authReads: boolean;
  };
  http: {
    /** Origins allowed by CORS; empty means no cross-origin access. */
    corsOrigins: string[];
    /** Host header values served (a null port matches any port); null serves any Host. */
    allowedHosts: HostAndPort[] | null;
    maxBodyBytes: number;
    /** How long an idle keep-alive connection stays open for the client's next request. */
    keepAliveMs: number;
    graphiql: boolean;
    introspection: boolean;
  };
  limits: { maxDepth: number; maxAliases: number; maxDirectives: number; maxTokens: number; maxCost: number };
  /** What one client may hold over websockets: sockets per address, operations per socket, unread bytes per socket. */
  websocket: { maxSocketsPerClient: number; maxSubscriptionsPerSocket: number; maxBufferedBytes: number };
  /** collectSnapshot calls per client and minute. */
  collectRatePerMinute: number;
  /** Run osqueryi on this machine on the schedule (the local source). */
  collectLocal: boolean;
  /** The web console at `/` (web/dist); null serves none. */
  console: { sourceMaps: boolean; immutableAssets: boolean } | null;
  /** Demo mode (npm run demo): every host is simulated, and the API and the log say so. */
  demo: boolean;
  /** Enrolled osquery agents report over osquery's TLS remote API; null when no enroll secret is set. */
  fleet: FleetConfig | null;
  /** Serve HTTPS (GraphQL, websockets and the agent API on one port); null serves plain HTTP. */
  tls: { certFile: string; keyFile: string } | null;
  log: { level: LogLevel };
}

export interface FleetConfig {
  /** Secrets given inline (ENROLL_SECRET); main adds those of secretFile. Any of them enrolls. */
  secrets: string[];
  secretFile: string | null;
  /** A host's inventory is asked for again when it is older than this (plus up to 10% jitter per host). */
  inventoryIntervalMs: number;
  /** How long collectSnapshot on an agent host waits for the agent's answer. */
  collectWaitMs: number;
  /** Inventories one instance hands out and has not had answered, at most (collectSnapshot's are always handed out). */
  inventoryConcurrency: number;
  /** How long a due host's poll waits for one of those places before it is answered with none (0: not at all). */
  handOutWaitMs: number;
  /** Sent to agents as osquery options and printed in the flagfile. */
  distributedIntervalSeconds: number;
  configRefreshSeconds: number;
  loggerPeriodSeconds: number;
  /** A host is online while its last request is at most this old. */
  onlineWindowMs: number;
  /** User osquery config (schedule, packs, options) served to every agent; null serves ours only. */
  configFile: string | null;
  /** Largest agent request body, compressed and after gunzip. */
  maxBodyBytes: number;
  /** Recent status lines of severity warning or error kept per host. */
  errorsKept: number;
  /** host[:port] agents connect to, for the printed flagfile; null derives it from HOST and PORT. */
  tlsHostname: string | null;
  enrollRatePerMinute: number;
}

/** Secrets are separated by commas or newlines; blank entries are ignored. */
export function splitSecrets(text: string): string[] {
  return text
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export const MIN_SECRET_LENGTH = 16;

/** What the listening sockets can do here: SO_REUSEPORT through Node's `reusePort`. */
export interface Runtime {
  /** process.versions.node */
  node: string;
  platform: NodeJS.Platform;
}

/** Node's listen() takes `reusePort` from 22.12 (and 23.1), where the system load-balances a port's sockets. */
export function reusePortAvailable({ node, platform }: Runtime): boolean {
  const [major = 0, minor = 0] = node.split(".").map(Number);
  const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  return supported && (platform === "linux" || platform === "freebsd");
}

/**
 * Listening sockets in fleet mode where SO_REUSEPORT is available: agents that start together (a
 * fleet rolled out, or every agent back after the server restarted) open hundreds of connections a
 * second, and one socket accepts one per turn of a busy event loop.
 */
const FLEET_LISTEN_SOCKETS = 4;

export type ParseConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Treats empty variables as unset, so `PORT= npm start` means the default rather than an error. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== "") out[key] = value;
  }
  return out;
}

export function parseConfig(
  env: Record<string, string | undefined>,
  cwd = process.cwd(),
  runtime: Runtime = { node: process.versions.node, platform: process.platform },
): ParseConfigResult {
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
    };
  }
  const e = parsed.data;
  const errors: string[] = [];
  const hasToken = e.API_TOKEN !== undefined || e.API_TOKEN_FILE !== undefined;
  if (e.API_TOKEN !== undefined && e.API_TOKEN_FILE !== undefined) {
    errors.push("API_TOKEN_FILE: set API_TOKEN or API_TOKEN_FILE, not both");
  }
  if (e.RESPONSE_CACHE_MAX_ENTRY_BYTES > e.RESPONSE_CACHE_MAX_BYTES) {
    errors.push("RESPONSE_CACHE_MAX_ENTRY_BYTES: must not be larger than RESPONSE_CACHE_MAX_BYTES");
  }
  if (e.AUTH_READS && !hasToken) errors.push("AUTH_READS: AUTH_READS=true needs API_TOKEN or API_TOKEN_FILE");
  if (!isLoopback(e.HOST) && !hasToken && !e.ALLOW_UNAUTHENTICATED) {
    errors.push(
      `HOST: ${e.HOST} exposes the API beyond this machine without authentication; set API_TOKEN (or API_TOKEN_FILE), ` +
        "or ALLOW_UNAUTHENTICATED=true to accept that anyone who reaches it can read the inventory and trigger collections",
    );
  }
  const secrets = e.ENROLL_SECRET === undefined ? [] : splitSecrets(e.ENROLL_SECRET);
  if (secrets.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    errors.push(`ENROLL_SECRET: each enroll secret must be at least ${MIN_SECRET_LENGTH} characters (osquery sends it in every enrollment)`);
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    errors.push(`${e.TLS_CERT_FILE === undefined ? "TLS_CERT_FILE" : "TLS_KEY_FILE"}: set TLS_CERT_FILE and TLS_KEY_FILE together`);
  }
  const fleetOn = secrets.length > 0 || e.ENROLL_SECRET_FILE !== undefined;
  if (!fleetOn) {
    for (const name of ["AGENT_CONFIG_FILE", "AGENT_TLS_HOSTNAME"] as const) {
      if (e[name] !== undefined) errors.push(`${name}: ${name} is for fleet mode, which needs ENROLL_SECRET or ENROLL_SECRET_FILE`);
    }
  }
  const reusePort = reusePortAvailable(runtime);
  if (e.LISTEN_SOCKETS !== undefined && e.LISTEN_SOCKETS > 1 && !reusePort) {
    errors.push(`LISTEN_SOCKETS: more than one listening socket needs SO_REUSEPORT, which Node offers from 22.12 on Linux and FreeBSD (this is Node ${runtime.node} on ${runtime.platform})`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const production = e.NODE_ENV === "production";
  // With no list, a loopback HOST answers only to loopback names (against DNS rebinding); a HOST
  // reachable from elsewhere is addressed by names this process cannot guess, so it answers any.
  const allowedHosts =
    e.ALLOWED_HOSTS !== undefined
      ? e.ALLOWED_HOSTS.includes("*")
        ? null
        : e.ALLOWED_HOSTS.map((h) => parseHostHeader(h)!)
      : isLoopback(e.HOST)
        ? [...new Set([...LOOPBACK_HOSTS, isIP(e.HOST) === 6 ? `[${e.HOST}]` : e.HOST])].map((h) => parseHostHeader(h)!)
        : null;
  const schedule = parseSchedule(e.COLLECT_SCHEDULE);
  return {
    ok: true,
    config: {
      server: { host: e.HOST, port: e.PORT, sockets: e.LISTEN_SOCKETS ?? (fleetOn && reusePort ? FLEET_LISTEN_SOCKETS : 1) },
      database: e.DATABASE_URL
        ? { kind: "postgres", url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
        : { kind: "pglite", dataDir: resolve(cwd, e.DATA_DIR) },
      redisUrl: e.REDIS_URL ?? null,
      leaderCheckMs: e.LEADER_CHECK_SECONDS * 1000,
      responseCache: {
        ttlMs: e.RESPONSE_CACHE_TTL_SECONDS * 1000,
        maxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
        maxBytes: e.RESPONSE_CACHE_MAX_BYTES,
        maxEntryBytes: e.RESPONSE_CACHE_MAX_ENTRY_BYTES,
      },
      diffCacheBytes: e.DIFF_CACHE_BYTES,
      osquery: {
        binary: e.OSQUERY_BIN,
        timeoutMs: e.OSQUERY_TIMEOUT_MS,
        maxOutputBytes: e.OSQUERY_MAX_OUTPUT_BYTES,
        maxRows: e.OSQUERY_MAX_ROWS,
      },
      collectSchedule: schedule.ok ? schedule.cron : null,
      retention: { retainDays: e.RETAIN_DAYS, retainFailedDays: e.RETAIN_FAILED_DAYS },
      auth: { token: e.API_TOKEN ?? null, tokenFile: e.API_TOKEN_FILE ?? null, authReads: e.AUTH_READS },
      http: {
        corsOrigins: e.CORS_ORIGINS,
        allowedHosts,
        maxBodyBytes: e.MAX_BODY_BYTES,
        // Node's 5 s closes a polling agent's connection between two polls, so that every check-in
        // paid a new TCP connection and TLS handshake; a little over one poll keeps it, while the
        // logger and config connections osqueryd uses rarely still close.
        keepAliveMs: (e.HTTP_KEEP_ALIVE_SECONDS ?? (fleetOn ? e.AGENT_DISTRIBUTED_INTERVAL_SECONDS + 5 : 5)) * 1000,
        graphiql: e.GRAPHIQL ?? !production,
        introspection: e.INTROSPECTION ?? !production,
      },
      // Hashed assets never change under their name, so production lets browsers keep them for a
      // year; in development a rebuilt console must show on reload.
      console: e.CONSOLE ? { sourceMaps: e.CONSOLE_SOURCE_MAPS ?? !production, immutableAssets: production } : null,
      limits: {
        maxDepth: e.MAX_DEPTH,
        maxAliases: e.MAX_ALIASES,
        maxDirectives: e.MAX_DIRECTIVES,
        maxTokens: e.MAX_TOKENS,
        maxCost: e.MAX_COST,
      },
      websocket: {
        maxSocketsPerClient: e.MAX_SOCKETS_PER_CLIENT,
        maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
        maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      },
      collectRatePerMinute: e.COLLECT_RATE_PER_MINUTE,
      collectLocal: e.COLLECT_LOCAL,
      demo: e.DEMO,
      fleet: fleetOn
        ? {
            secrets,
            secretFile: e.ENROLL_SECRET_FILE ?? null,
            inventoryIntervalMs: e.AGENT_INVENTORY_INTERVAL_SECONDS * 1000,
            collectWaitMs: e.AGENT_COLLECT_WAIT_SECONDS * 1000,
            inventoryConcurrency: e.AGENT_INVENTORY_CONCURRENCY,
            handOutWaitMs: e.AGENT_HANDOUT_WAIT_SECONDS * 1000,
            distributedIntervalSeconds: e.AGENT_DISTRIBUTED_INTERVAL_SECONDS,
            configRefreshSeconds: e.AGENT_CONFIG_REFRESH_SECONDS,
            loggerPeriodSeconds: e.AGENT_LOGGER_PERIOD_SECONDS,
            // Two missed polls and a minute of slack (a read that waits on a slow write, a restart).
            onlineWindowMs: (e.AGENT_ONLINE_SECONDS ?? 2 * e.AGENT_DISTRIBUTED_INTERVAL_SECONDS + 60) * 1000,
            configFile: e.AGENT_CONFIG_FILE ?? null,
            maxBodyBytes: e.AGENT_MAX_BODY_BYTES,
            errorsKept: e.AGENT_ERRORS_KEPT,
            tlsHostname: e.AGENT_TLS_HOSTNAME ?? null,
            enrollRatePerMinute: e.ENROLL_RATE_PER_MINUTE,
          }
        : null,
      tls: e.TLS_CERT_FILE !== undefined && e.TLS_KEY_FILE !== undefined ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
      log: { level: e.LOG_LEVEL },
    },
  };
}

export interface EnvironmentVariable {
  name: string;
  /** As it would be written in the environment; null when the variable has no default (unset). */
  defaultValue: string | null;
}

/** Every variable parseConfig reads, with its default, straight from the schema (for --help). */
export function environmentVariables(): EnvironmentVariable[] {
  return Object.entries(envSchema.shape).map(([name, field]) => {
    if (!(field instanceof z.ZodDefault)) return { name, defaultValue: null };
    const value: unknown = field.def.defaultValue;
    if (Array.isArray(value)) return { name, defaultValue: value.length > 0 ? value.join(",") : null };
    return { name, defaultValue: String(value) };
  });
}
