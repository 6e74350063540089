import { gzipSync } from "node:zlib";
import { JsonDouble, JsonObject, JsonParseError, parseJson, RawJson, writeJson, type JsonValue } from "./json.js";
import { batchLine, byteOrder, eventLines, rowObject, Severity, snapshotLine, statusLineJson, type StatusLine } from "./log-lines.js";
import type { SimulatedHost } from "./host.js";
import { hashUuid, mix } from "./random.js";
import type { SqlRow } from "./sql.js";
import { createStats, type AgentStats, type Endpoint } from "./stats.js";
import { createTransport, type Lane, type Transport } from "./transport.js";
import { featuresOf } from "./version.js";

/**
 * One osqueryd, as seen from the server: enrollment, config, the distributed read/execute/write loop, the
 * buffered TLS logger and the scheduler, with osquery's retry rules and byte-exact bodies. Each piece names
 * the osquery source it follows; the README lists what is left out.
 */

export const FLEET_ENDPOINTS = {
  enroll: "/api/osquery/enroll",
  config: "/api/osquery/config",
  log: "/api/osquery/log",
  distributed_read: "/api/osquery/distributed/read",
  distributed_write: "/api/osquery/distributed/write",
} as const satisfies Record<Endpoint, string>;

export type HostIdentifierMode = "hostname" | "uuid" | "instance" | "ephemeral" | "specified";

export interface AgentOptions {
  host: SimulatedHost;
  /** `https://host:port` (or `http://…` for a TLS-terminating proxy); endpoint paths are appended. */
  url: string;
  /** PEM the server certificate must chain to (--tls_server_certs). */
  ca?: string | Buffer;
  /** Share one transport between agents (the fleet does, to bound requests in flight). */
  transport?: Transport;
  /** Trimmed like osquery trims --enroll_secret_path content. @default "" */
  enrollSecret?: string;
  /** --host_identifier. @default "hostname" */
  hostIdentifier?: HostIdentifierMode;
  /** --specified_identifier, for hostIdentifier "specified". */
  specifiedIdentifier?: string;
  endpoints?: Partial<Record<Endpoint, string>>;
  /** --distributed_interval, seconds. @default 60 */
  distributedInterval?: number;
  /** --logger_tls_period, seconds. @default 4 */
  loggerTlsPeriod?: number;
  /** --logger_tls_compress. @default false */
  loggerTlsCompress?: boolean;
  /** --config_refresh, seconds; 0 loads the config once. @default 0 */
  configRefresh?: number;
  /** --config_accelerated_refresh after a failed refresh, seconds. @default 300 */
  configAcceleratedRefresh?: number;
  /** --tls_accept_gzip (osquery ≥ 5.21). @default false */
  tlsAcceptGzip?: boolean;
  /** @default 3 */
  distributedTlsMaxAttempts?: number;
  /** @default 3 */
  configTlsMaxAttempts?: number;
  /** 0 is unlimited. @default 12 */
  tlsEnrollMaxAttempts?: number;
  /** Seconds. @default 600 */
  tlsEnrollMaxInterval?: number;
  /** Lines scanned per logger check, results and statuses together. @default 1024 */
  loggerTlsMaxLines?: number;
  /** @default 1048576 */
  loggerTlsMaxLinesize?: number;
  /** Seconds; 0 disables the logger backoff. @default 3600 */
  loggerTlsBackoffMax?: number;
  /** Lines kept while the server is unreachable; the oldest go first. @default 1000000 */
  bufferedLogMax?: number;
  /** @default true */
  loggerEventType?: boolean;
  /** @default false */
  loggerSnapshotEventType?: boolean;
  /** @default false */
  disableReenrollment?: boolean;
  /** @default false */
  tlsDisableStatusLog?: boolean;
  /** Multiplies every wait (retry waits, intervals, periods); 0.001 runs a minute in 60 ms. @default 1 */
  timeScale?: number;
  /** Per-request deadline; not scaled. @default 16000 */
  requestTimeoutMs?: number;
  /** The agent's clock in unix milliseconds (log lines, scheduler, accelerate, the host's time table). @default wall time, sped up by 1/timeScale */
  now?: () => number;
  /** Counters to add to (a fleet shares one object). */
  stats?: AgentStats;
}

export interface Agent {
  readonly host: SimulatedHost;
  readonly stats: AgentStats;
  /** The node key held now ("" when not enrolled). */
  readonly nodeKey: string;
  /** 78 (EXIT_CATASTROPHIC) when the TLS logger could not start without a node key, as osqueryd exits. */
  readonly exitCode: number | undefined;
  /** The last config accepted from the server (its JSON text). */
  readonly configText: string | undefined;
  /** Distributed results waiting to be (re)sent. */
  readonly pendingResults: number;
  /** Log lines buffered, results and statuses. */
  readonly bufferedLines: number;
  /** The first unexpected exception a loop ended with (none expected). */
  readonly error: unknown;
  /** The identifier sent at enrollment and in every log line. */
  hostIdentifier(): string;
  /** Runs osqueryd's threads until stop(): enroll, config, logger, distributed loop, scheduler, config refresh. */
  start(): Promise<void>;
  /** Interrupts every wait and in-flight request, then waits for the loops to end. */
  stop(): Promise<void>;
  // ---- single steps, for tests
  /** getNodeKey: the cached key, or an enrollment (with its retries). */
  enroll(): Promise<string>;
  /** Fetches and applies the config once (with its retries); true on success. */
  loadConfig(): Promise<boolean>;
  /** One distributed loop iteration without the pause: read, discovery, run, write. */
  distributedCycle(): Promise<void>;
  /** One logger check: send buffered results, then statuses. */
  flushLogs(): Promise<void>;
  /** Runs one scheduled query now (its name as in the config: `pack_<pack>_<query>` for packs). */
  runScheduledQuery(name: string): void;
  /** Buffers a status line as if osqueryd logged it (glog severity 0 INFO, 1 WARNING, 2 ERROR). */
  emitStatus(severity: Severity, message: string, where?: { filename: string; line: number }): void;
}

interface ScheduledQuery {
  name: string;
  query: string;
  interval: number;
  snapshot: boolean;
  removed: boolean;
  startup: boolean;
}

interface DistributedResult {
  id: string;
  /**
   * The rows as the write will carry them, serialised when the query ran: kept until a write succeeds
   * (osquery resends them otherwise), one string holds far less for the garbage collector to copy than
   * thousands of row objects waiting on a slow server.
   */
  rows: JsonValue;
  code: number;
  message: string;
}

interface QueryPerformance {
  wall_time_ms: number;
  user_time: number;
  system_time: number;
  memory: number;
}

interface BufferedLine {
  kind: "result" | "status";
  text: string;
  seq: number;
}

type GoResult = { ok: true; response: JsonValue } | { ok: false; message: string };

class Stopped extends Error {}

/** Distributed queries run for at least this long between polls while `accelerate` holds (distributed_runner.cpp). */
const ACCELERATION_INTERVAL_SECONDS = 5;

export function createAgent(options: AgentOptions): Agent {
  const host = options.host;
  const version = host.osqueryVersion;
  const features = featuresOf(version);
  const endpoints = { ...FLEET_ENDPOINTS, ...options.endpoints };
  const timeScale = options.timeScale ?? 1;
  // The agent's clock runs at 1/timeScale speed, so log times, the scheduler and `accelerate` expiry agree
  // with the scaled waits: an hour-long interval at 0.001 is 3.6 s of wall time and 3600 s of log time.
  const wallStart = Date.now();
  const perfStart = performance.now();
  const nowMs = options.now ?? (() => wallStart + (performance.now() - perfStart) / timeScale);
  host.setClock(nowMs);
  const stats = options.stats ?? createStats();
  const transport =
    options.transport ??
    createTransport({ baseUrl: options.url, ca: options.ca, timeoutMs: options.requestTimeoutMs, acceptGzip: options.tlsAcceptGzip });
  const ownTransport = options.transport === undefined;
  const userAgent = `osquery/${version}`;
  const baseUri = options.url.replace(/\/+$/, "");

  // Runtime flags: the config's `options` may change these (options.cpp), CLI-only ones it may not.
  const flags = {
    distributed_interval: options.distributedInterval ?? 60,
    logger_tls_period: options.loggerTlsPeriod ?? 4,
    logger_tls_compress: options.loggerTlsCompress ?? false,
    logger_tls_max_lines: options.loggerTlsMaxLines ?? 1024,
    logger_tls_max_linesize: options.loggerTlsMaxLinesize ?? 1024 * 1024,
    logger_tls_backoff_max: options.loggerTlsBackoffMax ?? 3600,
    buffered_log_max: options.bufferedLogMax ?? 1_000_000,
    logger_event_type: options.loggerEventType ?? true,
    logger_snapshot_event_type: options.loggerSnapshotEventType ?? false,
    distributed_tls_max_attempts: options.distributedTlsMaxAttempts ?? 3,
    tls_disable_status_log: options.tlsDisableStatusLog ?? false,
    host_identifier: options.hostIdentifier ?? "hostname",
    pack_delimiter: "_",
  };
  const cli = {
    config_refresh: options.configRefresh ?? 0,
    config_accelerated_refresh: options.configAcceleratedRefresh ?? 300,
    config_tls_max_attempts: options.configTlsMaxAttempts ?? 3,
    tls_enroll_max_attempts: options.tlsEnrollMaxAttempts ?? 12,
    tls_enroll_max_interval: options.tlsEnrollMaxInterval ?? 600,
    disable_reenrollment: options.disableReenrollment ?? false,
  };
  const enrollSecret = (options.enrollSecret ?? "").trim();
  let ephemeralId: string | undefined;

  let nodeKey = "";
  let enrolledBefore = false;
  let enrolling: Promise<string> | undefined;
  let writeFailedBefore = false;
  let crash: unknown;
  let exitCode: number | undefined;
  let configText: string | undefined;
  let schedule: ScheduledQuery[] = [];
  let decorators: { load: string[]; always: string[] } = { load: [], always: [] };
  let decorations = new Map<string, string>();
  const results: DistributedResult[] = [];
  const performance_ = new Map<string, QueryPerformance>();
  let pending = new Map<string, string>();
  let accelerateUntil = -Infinity;
  const buffer: BufferedLine[] = [];
  let seq = 0;
  let resultsBackoff = 0;
  let resultsBackoffPeriod = 0;
  let statusesBackoff = 0;
  let statusesBackoffPeriod = 0;
  const previousResults = new Map<string, { rows: Set<string>; counter: number }>();

  let controller = new AbortController();
  let loops: Array<Promise<void>> = [];
  let started = false;

  const unixNow = () => Math.floor(nowMs() / 1000);

  /** Waits `seconds` of agent time; `wake`, when given, may end the wait early (a new config). */
  const sleep = (seconds: number, wake?: { resolve?: () => void }): Promise<void> =>
    new Promise((resolve, reject) => {
      const signal = controller.signal;
      if (signal.aborted) return reject(new Stopped());
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (wake) delete wake.resolve;
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000 * timeScale);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Stopped());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (wake) wake.resolve = done;
    });
  const schedulerWake: { resolve?: () => void } = {};

  const hostIdentifier = (): string => {
    switch (flags.host_identifier) {
      case "uuid":
        return host.osqueryUuid;
      case "instance":
        return host.instanceId;
      case "ephemeral":
        return (ephemeralId ??= hashUuid(host.index, nowMs() & 0x7fffffff));
      case "specified":
        return options.specifiedIdentifier ?? host.hostname;
      default:
        return host.hostname;
    }
  };

  const emitStatus = (severity: Severity, message: string, where = { filename: "osquery", line: 0 }) => {
    const line: StatusLine = { severity, message, ...where };
    buffer.push({ kind: "status", text: statusLineJson(line, { hostIdentifier: hostIdentifier(), unixTime: unixNow(), version, decorations }), seq: seq++ });
  };

  const logResultLine = (text: string) => {
    if (text.length > flags.logger_tls_max_linesize) {
      emitStatus(Severity.WARNING, `Linesize exceeds TLS logger maximum: ${text.length}`, { filename: "tls_logger.cpp", line: 141 });
      return;
    }
    buffer.push({ kind: "result", text, seq: seq++ });
  };

  /**
   * BufferedLogForwarder::purge, after each check: beyond buffered_log_max the oldest lines of either kind
   * go. Between checks the buffer may grow past the limit, as RocksDB does.
   */
  const purge = () => {
    const max = flags.buffered_log_max;
    if (max <= 0 || buffer.length <= max) return;
    const count = buffer.length - max;
    const oldest = [...buffer].sort((a, b) => a.seq - b.seq).slice(0, count);
    const drop = new Set(oldest.map((line) => line.seq));
    const kept = buffer.filter((line) => !drop.has(line.seq));
    buffer.length = 0;
    buffer.push(...kept);
    stats.logLinesPurged += count;
    // Logged after the purge, so the warning itself waits for the next one (buffered.cpp).
    const warning: StatusLine = { severity: Severity.WARNING, filename: "buffered.cpp", line: 160, message: `Purging buffered logs limit (${max}) exceeded: ${max + count}` };
    buffer.push({ kind: "status", text: statusLineJson(warning, { hostIdentifier: hostIdentifier(), unixTime: unixNow(), version, decorations }), seq: seq++ });
  };

  // ------------------------------------------------------------------------------------------ transport

  const exchange = async (endpoint: Endpoint, lane: Lane, body: string, key: string | undefined, gzip: boolean) => {
    const raw = Buffer.from(body, "utf8");
    // osquery's compressString: zlib level 9, windowBits 15+16 (gzip), memLevel 9.
    const payload = gzip ? gzipSync(raw, { level: 9, memLevel: 9, windowBits: 15 }) : raw;
    const result = await transport.post(endpoints[endpoint], payload, {
      lane,
      userAgent,
      authorization: features.nodeKeyHeader && key ? key : undefined,
      gzip,
      signal: controller.signal,
    });
    if (!result.ok && result.aborted) throw new Stopped();
    stats.record(endpoint, result);
    return result;
  };

  /** JSONSerializer::deserialize: an empty body is an empty object; anything else must parse. */
  const deserialize = (body: string): { ok: true; value: JsonValue } | { ok: false; message: string } => {
    if (body === "") return { ok: true, value: new JsonObject() };
    try {
      return { ok: true, value: parseJson(body) };
    } catch (error) {
      if (error instanceof JsonParseError) return { ok: false, message: "Error parsing JSON" };
      throw error;
    }
  };

  /** TLSRequestHelper::go (osquery/remote/utility.h), one attempt. */
  const goOnce = async (endpoint: Endpoint, lane: Lane, params: JsonObject): Promise<GoResult> => {
    const key = await getNodeKey(lane);
    params.addCopy("node_key", key);
    const compress = params.removeMember("_compress");
    const forcePost = params.get("_verb") === "POST";
    params.removeMember("_verb");
    const body = writeJson(params);
    if (forcePost) params.addCopy("_verb", "POST");
    if (compress) params.addCopy("_compress", true);
    const result = await exchange(endpoint, lane, body, key, compress);
    if (!result.ok) return fail(endpoint, result.error);
    const parsed = deserialize(result.body);
    if (!parsed.ok) return fail(endpoint, parsed.message);
    const response = parsed.value;
    if (response instanceof JsonObject) {
      if (response.get("node_invalid") === true) {
        if (!cli.disable_reenrollment) nodeKey = "";
        stats.nodeInvalid++;
        const error = response.get("error");
        return fail(endpoint, `Request failed: Invalid node key${response.has("error") ? `: ${typeof error === "string" ? error : "<unknown>"}` : ""}`);
      }
      if (response.has("error")) {
        const error = response.get("error");
        return fail(endpoint, `Request failed: ${typeof error === "string" ? error : "<unknown>"}`);
      }
    }
    return { ok: true, response };
  };

  const fail = (endpoint: Endpoint, message: string): GoResult => {
    stats.failures[endpoint]++;
    return { ok: false, message };
  };

  /** The retrying go(): attempt i failing waits i² seconds before the next. */
  const go = async (endpoint: Endpoint, lane: Lane, params: JsonObject, attempts: number): Promise<GoResult> => {
    let result: GoResult = { ok: false, message: "no attempt" };
    for (let i = 1; i <= attempts; i++) {
      result = await goOnce(endpoint, lane, params);
      if (result.ok || i === attempts) return result;
      await sleep(i * i);
    }
    return result;
  };

  // ------------------------------------------------------------------------------------------ enroll

  /** EnrollPlugin::genHostDetails: the first row of SELECT * of each table, keys in std::map order. */
  const hostDetails = (): JsonObject => {
    const details = new JsonObject();
    for (const table of ["os_version", "osquery_info", "platform_info", "system_info"]) {
      const first = host.truthOf(table)[0];
      if (!first) continue;
      const row = new JsonObject();
      for (const column of Object.keys(first).sort(byteOrder)) row.addCopy(column, first[column]!);
      details.addCopy(table, row);
    }
    return details;
  };

  const platformType = () => (host.platform === "darwin" ? "21" : host.platform === "windows" ? "2" : "9");

  /** TLSEnrollPlugin::requestKey: reads only node_key (or id); ignores node_invalid, error and the status. */
  const requestKey = async (lane: Lane): Promise<{ ok: true; key: string } | { ok: false; message: string }> => {
    const params = new JsonObject()
      .addCopy("enroll_secret", enrollSecret)
      .addCopy("host_identifier", hostIdentifier())
      .addCopy("platform_type", platformType())
      .addCopy("host_details", hostDetails());
    const result = await exchange("enroll", lane, writeJson(params), undefined, false);
    if (!result.ok) return { ok: false, message: result.error };
    const parsed = deserialize(result.body);
    if (!parsed.ok) return { ok: false, message: parsed.message };
    let key = "";
    if (parsed.value instanceof JsonObject) {
      const member = parsed.value.has("node_key") ? parsed.value.get("node_key") : parsed.value.get("id");
      key = typeof member === "string" ? member : "";
    }
    if (key === "") return { ok: false, message: "No node key returned from TLS enroll plugin" };
    return { ok: true, key };
  };

  /** TLSEnrollPlugin::enroll: up to tls_enroll_max_attempts, waiting min(k², max interval) after the k-th failure. */
  const enrollWithRetries = async (lane: Lane): Promise<string> => {
    const max = cli.tls_enroll_max_attempts;
    let step = 1;
    for (let attempt = 1; max === 0 || attempt <= max; ) {
      const result = await requestKey(lane);
      if (result.ok) return result.key;
      stats.failures.enroll++;
      if (attempt === max) break;
      if (max > 0) attempt++;
      emitStatus(Severity.WARNING, `Failed enrollment request to ${baseUri}${endpoints.enroll} (${result.message}) retrying...`, { filename: "tls_enroll.cpp", line: 101 });
      const interval = Math.min(step * step, cli.tls_enroll_max_interval);
      if (interval < cli.tls_enroll_max_interval) step++;
      await sleep(interval);
    }
    return "";
  };

  /** getNodeKey (enroll.cpp): the cached key, or one enrollment shared by every caller waiting on it. */
  const getNodeKey = async (lane: Lane): Promise<string> => {
    if (nodeKey !== "") return nodeKey;
    enrolling ??= enrollWithRetries(lane)
      .then((key) => {
        if (key !== "") {
          nodeKey = key;
          stats.enrollments++;
          if (enrolledBefore) stats.reenrollments++;
          enrolledBefore = true;
        }
        return key;
      })
      .finally(() => {
        enrolling = undefined;
      });
    return enrolling;
  };

  // ------------------------------------------------------------------------------------------ config

  const applyOptions = (config: JsonObject) => {
    const given = config.get("options");
    if (!(given instanceof JsonObject)) return;
    for (const [name, raw] of given.members) {
      const value =
        typeof raw === "string" ? raw : typeof raw === "boolean" ? String(raw) : typeof raw === "number" ? String(Math.trunc(raw)) : raw instanceof JsonDouble ? String(Math.trunc(raw.value)) : "";
      if (value === "") continue;
      const runtime = name in flags;
      if (!runtime && (name in cli || name.startsWith("tls_") || name.startsWith("enroll_") || name.startsWith("config_") || name === "logger_plugin")) {
        emitStatus(Severity.WARNING, `The CLI only flag --${name} set via config file will be ignored, please use a flagfile or pass it to the process at startup`, {
          filename: "options.cpp",
          line: 106,
        });
        continue;
      }
      // Runtime flags the simulator does not model are accepted and change nothing.
      if (!runtime) continue;
      const key = name as keyof typeof flags;
      if (typeof flags[key] === "number") {
        const n = Number(value);
        if (Number.isFinite(n)) (flags[key] as number) = n;
      } else if (typeof flags[key] === "boolean") {
        (flags[key] as boolean) = value === "true" || value === "1";
      } else {
        (flags[key] as string) = value;
      }
    }
  };

  const scheduledFrom = (name: string, spec: JsonValue | undefined): ScheduledQuery | undefined => {
    if (!(spec instanceof JsonObject)) return undefined;
    const query = spec.get("query");
    if (typeof query !== "string" || query === "") return undefined;
    const platform = spec.get("platform");
    if (typeof platform === "string" && !platformMatches(platform)) return undefined;
    const interval = numberOf(spec.get("interval")) ?? 3600;
    return {
      name,
      query,
      interval: Math.max(1, Math.min(604_800, interval)),
      snapshot: spec.get("snapshot") === true,
      removed: spec.get("removed") !== false,
      startup: spec.has("startup_priority"),
    };
  };

  const platformMatches = (list: string): boolean => {
    const mine = host.platform === "darwin" ? ["darwin", "posix"] : host.platform === "windows" ? ["windows"] : ["linux", "posix", host.platform];
    return list.split(",").some((p) => {
      const t = p.trim();
      return t === "" || t === "any" || t === "all" || mine.includes(t);
    });
  };

  const applyConfig = (text: string, config: JsonObject) => {
    applyOptions(config);
    const queries: ScheduledQuery[] = [];
    const top = config.get("schedule");
    if (top instanceof JsonObject) for (const [name, spec] of top.members) pushDefined(queries, scheduledFrom(name, spec));
    const packs = config.get("packs");
    if (packs instanceof JsonObject) {
      for (const [packName, pack] of packs.members) {
        if (!(pack instanceof JsonObject)) continue;
        const platform = pack.get("platform");
        if (typeof platform === "string" && !platformMatches(platform)) continue;
        const packQueries = pack.get("queries");
        if (!(packQueries instanceof JsonObject)) continue;
        const d = flags.pack_delimiter;
        for (const [queryName, spec] of packQueries.members) pushDefined(queries, scheduledFrom(`pack${d}${packName}${d}${queryName}`, spec));
      }
    }
    schedule = queries;
    const decorate = config.get("decorators");
    const list = (key: string) => {
      const value = decorate instanceof JsonObject ? decorate.get(key) : undefined;
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
    };
    decorators = { load: [...list("load"), ...list("interval")], always: list("always") };
    configText = text;
    host.setConfig(text);
    decorations = runDecorators([...decorators.load, ...decorators.always]);
    schedulerWake.resolve?.();
  };

  /** Decorators: the first row of each query, later queries overriding earlier keys. */
  const runDecorators = (queries: string[]): Map<string, string> => {
    const found = new Map<string, string>();
    for (const sql of queries) {
      const result = host.query(sql);
      const first = result.ok ? result.rows[0] : undefined;
      if (first) for (const [key, value] of first) found.set(key, value);
    }
    return found;
  };

  const loadConfig = async (): Promise<boolean> => {
    const result = await go("config", "config", new JsonObject(), cli.config_tls_max_attempts);
    if (!result.ok) return false;
    if (!(result.response instanceof JsonObject)) return false;
    applyConfig(writeJson(result.response), result.response);
    return true;
  };

  // ------------------------------------------------------------------------------------------ distributed

  /** Distributed::acceptWork (osquery/distributed/distributed.cpp), with the pre-5.8 discovery rule. */
  const acceptWork = (work: JsonValue): void => {
    if (!(work instanceof JsonObject)) return;
    host.beginBatch();
    const discovery = work.get("discovery");
    const discovered = new Map<string, boolean>();
    if (discovery instanceof JsonObject) {
      for (const [name, sql] of discovery.members) {
        if (typeof sql !== "string" || sql === "" || name === "") return;
        const result = host.query(sql);
        // One discovery query that does not compile rejects the whole response.
        if (!result.ok) return;
        discovered.set(name, result.rows.length > 0);
      }
    }
    const anyDiscovered = [...discovered.values()].some(Boolean);
    const queries = work.get("queries");
    if (queries instanceof JsonObject) {
      for (const [name, sql] of queries.members) {
        // A bad entry stops the parsing (and skips accelerate); what was stored before it still runs.
        if (typeof sql !== "string" || sql === "" || name === "") return;
        const runs = features.discoveryOptional
          ? discovered.get(name) !== false
          : // osquery < 5.8: run when no discovery query matched at all, or when this one's did.
            !anyDiscovered || discovered.get(name) === true;
        if (runs) pending.set(name, sql);
      }
    }
    const accelerate = work.get("accelerate");
    if (typeof accelerate === "number" && Number.isInteger(accelerate) && Math.abs(accelerate) < 2 ** 31) {
      emitStatus(Severity.INFO, `Accelerating distributed query checkins for ${accelerate} seconds`, { filename: "distributed.cpp", line: 352 });
      accelerateUntil = unixNow() + accelerate;
    }
  };
  // DistributedRunner::start: the short interval while getUnixTime() has not passed the expiry.
  const accelerated = () => unixNow() <= accelerateUntil;

  const runQueries = () => {
    // Pending queries are read back from RocksDB, in key order.
    const names = [...pending.keys()].sort(byteOrder);
    for (const id of names) {
      const sql = pending.get(id)!;
      pending.delete(id);
      const cpu = process.cpuUsage();
      const rss = process.memoryUsage.rss();
      const t0 = performance.now();
      const result = host.query(sql);
      const wall = performance.now() - t0;
      const used = process.cpuUsage(cpu);
      performance_.set(id, {
        wall_time_ms: Math.floor(wall),
        user_time: Math.floor(used.user / 1000),
        system_time: Math.floor(used.system / 1000),
        memory: Math.max(0, process.memoryUsage.rss() - rss),
      });
      stats.distributedQueries++;
      if (!result.ok) {
        emitStatus(Severity.ERROR, `Error executing distributed query: ${id}: ${result.message}`, { filename: "distributed.cpp", line: 187 });
        results.push({ id, rows: [], code: 1, message: result.message });
      } else {
        results.push({ id, rows: rowsJson(result.columns, result.rows), code: 0, message: "" });
      }
    }
  };

  /** Distributed::serializeResults: a repeated id replaces the earlier member (rapidjson's swap-with-last). */
  const serializeResults = (): JsonObject => {
    const queries = new JsonObject();
    const statuses = new JsonObject();
    const messages = new JsonObject();
    const statsObject = new JsonObject();
    for (const result of results) {
      queries.addCopy(result.id, result.rows);
      statuses.addCopy(result.id, result.code);
      messages.addCopy(result.id, result.message);
      const perf = performance_.get(result.id);
      statsObject.addCopy(result.id, perf ? JsonObject.of(Object.entries(perf)) : new JsonObject());
    }
    const doc = new JsonObject().addCopy("queries", queries).addCopy("statuses", statuses);
    if (features.distributedMessages) doc.addCopy("messages", messages);
    if (features.distributedStats) doc.addCopy("stats", statsObject);
    return doc;
  };

  let resendable = 0;
  const flushCompleted = async () => {
    if (results.length === 0) return;
    if (writeFailedBefore) stats.distributedResultsResent += resendable;
    // osquery serialises the results and the plugin parses them back into its params (tls_distributed.cpp);
    // the object built here is what that round trip yields, so it is used directly.
    const result = await go("distributed_write", "distributed", serializeResults(), flags.distributed_tls_max_attempts);
    if (result.ok) {
      results.length = 0;
      performance_.clear();
      writeFailedBefore = false;
      resendable = 0;
    } else {
      writeFailedBefore = true;
      resendable = results.length;
    }
  };

  const distributedCycle = async () => {
    const read = await go("distributed_read", "distributed", new JsonObject().addCopy("_verb", "POST"), flags.distributed_tls_max_attempts);
    if (read.ok) acceptWork(read.response);
    runQueries();
    await flushCompleted();
  };

  // ------------------------------------------------------------------------------------------ logger

  const send = async (lines: BufferedLine[], logType: "result" | "status"): Promise<boolean> => {
    if (flags.tls_disable_status_log && logType === "status") return true;
    const params = new JsonObject()
      .addCopy("node_key", await getNodeKey("logger"))
      .addCopy("log_type", logType)
      .addCopy(
        "data",
        lines.map((line) => new RawJson(line.text)),
      );
    if (flags.logger_tls_compress) params.addCopy("_compress", true);
    const result = await goOnce("log", "logger", params);
    if (result.ok) stats.logLinesSent += lines.length;
    return result.ok;
  };

  /** BufferedLogForwarder::check: RocksDB returns result keys before status keys, at most max_lines in all. */
  const check = async (sendResults: boolean, sendStatuses: boolean) => {
    const scanned = [...buffer.filter((l) => l.kind === "result"), ...buffer.filter((l) => l.kind === "status")].slice(0, flags.logger_tls_max_lines);
    const resultLines = scanned.filter((l) => l.kind === "result");
    const statusLines = scanned.filter((l) => l.kind === "status");
    const remove = (sent: BufferedLine[]) => {
      const gone = new Set(sent.map((l) => l.seq));
      const kept = buffer.filter((l) => !gone.has(l.seq));
      buffer.length = 0;
      buffer.push(...kept);
    };
    const period = flags.logger_tls_period;
    const maxBackoff = flags.logger_tls_backoff_max;
    if (sendResults && resultLines.length > 0) {
      if (await send(resultLines, "result")) {
        remove(resultLines);
        resultsBackoff = 0;
        resultsBackoffPeriod = 0;
      } else if (maxBackoff > 0) {
        resultsBackoff++;
        resultsBackoffPeriod = period * resultsBackoff * resultsBackoff;
        if (resultsBackoffPeriod > maxBackoff) {
          resultsBackoffPeriod = maxBackoff;
          resultsBackoff--;
        }
      }
    }
    if (sendStatuses && statusLines.length > 0) {
      if (await send(statusLines, "status")) {
        remove(statusLines);
        statusesBackoff = 0;
        statusesBackoffPeriod = 0;
      } else if (maxBackoff > 0) {
        statusesBackoff++;
        statusesBackoffPeriod = period * statusesBackoff * statusesBackoff;
        if (statusesBackoffPeriod > maxBackoff) {
          statusesBackoffPeriod = maxBackoff;
          statusesBackoff--;
        }
      }
    }
    purge();
  };

  const backoffTick = () => {
    const period = flags.logger_tls_period;
    if (flags.logger_tls_backoff_max <= period) {
      resultsBackoffPeriod = 0;
      statusesBackoffPeriod = 0;
      resultsBackoff = 0;
      statusesBackoff = 0;
    } else {
      if (resultsBackoffPeriod > 0) resultsBackoffPeriod -= period;
      if (statusesBackoffPeriod > 0) statusesBackoffPeriod -= period;
    }
  };

  // ------------------------------------------------------------------------------------------ scheduler

  /** launchQuery (osquery/dispatcher/scheduler.cpp): snapshot lines, or the differential against the last run. */
  const launchQuery = (query: ScheduledQuery) => {
    host.beginBatch();
    if (decorators.always.length > 0) decorations = new Map([...decorations, ...runDecorators(decorators.always)]);
    const result = host.query(query.query);
    if (!result.ok) {
      emitStatus(Severity.ERROR, `Error executing scheduled query ${query.name}: ${result.message}`, { filename: "scheduler.cpp", line: 128 });
      return;
    }
    stats.scheduledQueries++;
    const context = { name: query.name, hostIdentifier: hostIdentifier(), unixTime: unixNow(), epoch: 0, counter: 0, decorations };
    if (query.snapshot) {
      if (flags.logger_snapshot_event_type) for (const line of eventLines({ removed: [], added: result.rows }, context, true)) logResultLine(line);
      else logResultLine(snapshotLine(result.rows, context));
      return;
    }
    const keyOf = (row: SqlRow) => writeJson(rowObject(row));
    const current = new Map(result.rows.map((row) => [keyOf(row), row]));
    const previous = previousResults.get(query.name);
    const added: SqlRow[] = [];
    const removed: SqlRow[] = [];
    let counter = 0;
    if (previous) {
      for (const [key, row] of current) if (!previous.rows.has(key)) added.push(row);
      for (const key of previous.rows) if (!current.has(key)) removed.push(new Map(Object.entries(JSON.parse(key) as Record<string, string>)));
      counter = previous.counter;
      if (added.length > 0 || removed.length > 0) counter++;
    } else {
      added.push(...result.rows);
    }
    previousResults.set(query.name, { rows: new Set(current.keys()), counter });
    const diff = { added, removed: query.removed ? removed : [] };
    const first = previous === undefined;
    if (diff.added.length === 0 && diff.removed.length === 0 && !first) return;
    const withCounter = { ...context, counter };
    if (flags.logger_event_type) for (const line of eventLines(diff, withCounter)) logResultLine(line);
    else logResultLine(batchLine(diff, withCounter));
  };

  /** Each query runs when the (simulated) unix time is a multiple of its splayed interval. */
  const schedulerLoop = async () => {
    const simulatedNow = () => nowMs() / 1000;
    const nextRun = new Map<string, number>();
    const ranOnce = new Set<string>();
    for (;;) {
      // startup_priority: run once as soon as the scheduler sees the query (scheduler.cpp first_query_runs).
      for (const query of schedule) {
        if (query.startup && !ranOnce.has(query.name)) {
          ranOnce.add(query.name);
          launchQuery(query);
        }
      }
      if (schedule.length === 0) {
        // Nothing to run until a config brings queries; applyConfig wakes this up.
        await sleep(3600, schedulerWake);
        continue;
      }
      const now = simulatedNow();
      let earliest = Infinity;
      for (const query of schedule) {
        const splay = splayed(query);
        let due = nextRun.get(query.name);
        if (due === undefined) {
          due = Math.floor(now / splay + 1) * splay;
          nextRun.set(query.name, due);
        }
        if (due <= now) {
          ranOnce.add(query.name);
          launchQuery(query);
          due = Math.floor(now / splay + 1) * splay;
          nextRun.set(query.name, due);
        }
        earliest = Math.min(earliest, due);
      }
      await sleep(Math.max(0.001, earliest - simulatedNow()), schedulerWake);
    }
  };

  /** osquery splays each interval by up to ±10 % (schedule_splay_percent), once per query. */
  const splayed = (query: ScheduledQuery) => {
    const range = Math.floor(query.interval * 0.1);
    if (range === 0) return query.interval;
    return query.interval - range + (mix(host.index, query.interval, query.name.length, query.name.charCodeAt(0)) % (2 * range + 1));
  };

  // ------------------------------------------------------------------------------------------ lifecycle

  const distributedLoop = async () => {
    for (;;) {
      await distributedCycle();
      await sleep(accelerated() ? ACCELERATION_INTERVAL_SECONDS : flags.distributed_interval);
    }
  };

  const loggerLoop = async () => {
    for (;;) {
      await check(resultsBackoffPeriod <= 0, statusesBackoffPeriod <= 0);
      do {
        await sleep(flags.logger_tls_period);
        backoffTick();
      } while (resultsBackoffPeriod > 0 && statusesBackoffPeriod > 0);
    }
  };

  const configLoop = async () => {
    if (cli.config_refresh <= 0) return;
    let wait = cli.config_refresh;
    for (;;) {
      await sleep(wait);
      wait = (await loadConfig()) ? cli.config_refresh : cli.config_accelerated_refresh;
    }
  };

  const ignoreStop = (loop: () => Promise<void>) =>
    loop().catch((error: unknown) => {
      if (error instanceof Stopped) return;
      // Kept, not thrown: one broken host must not take a fleet of thousands down with it.
      crash ??= error;
      stats.crashes++;
    });

  const agent: Agent = {
    host,
    stats,
    get nodeKey() {
      return nodeKey;
    },
    get exitCode() {
      return exitCode;
    },
    get configText() {
      return configText;
    },
    get pendingResults() {
      return results.length;
    },
    get bufferedLines() {
      return buffer.length;
    },
    get error() {
      return crash;
    },
    hostIdentifier,
    start: async () => {
      if (started) throw new Error("agent already started");
      started = true;
      controller = new AbortController();
      host.markStarted(unixNow());
      const startup = async () => {
        // TLSConfigPlugin::setUp → makeURI → getNodeKey, then Config::load.
        await getNodeKey("config");
        const loaded = await loadConfig();
        if (!loaded) host.setConfig(undefined);
        // TLSLoggerPlugin::setUp: no node key means osqueryd exits with EXIT_CATASTROPHIC (78).
        if ((await getNodeKey("logger")) === "") {
          exitCode = 78;
          stats.fatalExits++;
          return;
        }
        loops = [ignoreStop(distributedLoop), ignoreStop(loggerLoop), ignoreStop(schedulerLoop), ignoreStop(configLoop)];
        await Promise.all(loops);
      };
      loops = [ignoreStop(startup)];
    },
    stop: async () => {
      controller.abort();
      const running = loops;
      await Promise.all(running);
      // The startup promise resolves before the loops it started; wait for those too.
      if (loops !== running) await Promise.all(loops);
      loops = [];
      started = false;
      if (ownTransport) transport.close();
    },
    enroll: () => getNodeKey("config"),
    loadConfig,
    distributedCycle,
    flushLogs: () => check(true, true),
    runScheduledQuery: (name) => {
      const query = schedule.find((q) => q.name === name);
      if (!query) throw new Error(`no scheduled query ${name}`);
      launchQuery(query);
    },
    emitStatus: (severity, message, where) => emitStatus(severity, message, where),
  };
  return agent;
}

/**
 * A distributed query's rows as serializeQueryDataJSON writes them: each row an object with the first
 * statement's columns in order, every value a string (a column a row lacks is left out). Built as plain
 * objects for JSON.stringify, which writes what rapidjson's Writer does for them (compact, members in
 * insertion order, `"`, `\\` and the short escapes alike), except in three cases that take the general
 * path instead: a `\\u` escape (JSON.stringify writes lower-case hex and escapes lone surrogates, rapidjson
 * upper-case hex and the bytes), a column name a JS object would reorder (an array index) or treat
 * specially (`__proto__`), and a name given twice (addCopy moves the member, as rapidjson's RemoveMember
 * does). A first inventory is hundreds to thousands of rows: this is several times cheaper than a
 * JsonObject per row.
 */
function rowsJson(columns: readonly string[], rows: readonly SqlRow[]): JsonValue {
  const plain = columns.length > 0 && new Set(columns).size === columns.length && columns.every((column) => column !== "__proto__" && !ARRAY_INDEX.test(column));
  if (plain) {
    const objects = new Array<Record<string, string | undefined>>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const object: Record<string, string | undefined> = {};
      for (const column of columns) object[column] = row.get(column);
      objects[r] = object;
    }
    const text = JSON.stringify(objects);
    if (!text.includes("\\u")) return new RawJson(text);
  }
  return rows.map((row) => {
    if (columns.length === 0) return rowObject(row);
    const object = new JsonObject();
    for (const column of columns) {
      const value = row.get(column);
      if (value !== undefined) object.addCopy(column, value);
    }
    return object;
  });
}

/** A canonical array index ("0", "17"): JS objects list such keys first, in numeric order. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

function pushDefined<T>(list: T[], item: T | undefined) {
  if (item !== undefined) list.push(item);
}

function numberOf(value: JsonValue | undefined): number | undefined {
  if (typeof value === "number") return value;
  if (value instanceof JsonDouble) return value.value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
