import type { Exchange } from "./transport.js";

export type Endpoint = "enroll" | "config" | "log" | "distributed_read" | "distributed_write";
export const ENDPOINTS: readonly Endpoint[] = ["enroll", "config", "log", "distributed_read", "distributed_write"];

// Latency buckets in milliseconds, growing by 25 %: mergeable across processes, ±12 % on a percentile.
const BUCKET_GROWTH = 1.25;
const FIRST_BUCKET_MS = 0.1;
const BUCKETS = 80;

function bucketOf(ms: number): number {
  if (ms <= FIRST_BUCKET_MS) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_BUCKET_MS) / Math.log(BUCKET_GROWTH)));
}

const bucketUpperMs = (bucket: number) => FIRST_BUCKET_MS * BUCKET_GROWTH ** bucket;

/** Counters of one agent or a whole fleet; `record` is called for every HTTP exchange. */
export interface AgentStats {
  /** Requests sent (redirects followed count once). */
  requests: Record<Endpoint, number>;
  /** Attempts osquery judged failed: transport errors, non-JSON, `error`, `node_invalid`, no node key. */
  failures: Record<Endpoint, number>;
  /** Exchanges that got no HTTP answer (refused, reset, TLS, the 16 s deadline). */
  transportErrors: Record<Endpoint, number>;
  /** The same, by kind (transportErrorKind): "endpoint: kind" → count. */
  transportErrorKinds: Record<string, number>;
  /** HTTP status codes seen (osquery ignores them; the benchmark does not). */
  httpStatus: Record<string, number>;
  latencyBuckets: Record<Endpoint, number[]>;
  bytesSent: number;
  bytesReceived: number;
  enrollments: number;
  /** Enrollments of a host that had been enrolled before in this run (after node_invalid). */
  reenrollments: number;
  nodeInvalid: number;
  distributedQueries: number;
  /** Results sent again because an earlier write failed (duplicates at the server). */
  distributedResultsResent: number;
  scheduledQueries: number;
  logLinesSent: number;
  logLinesPurged: number;
  /** Agents that stopped like osqueryd does without a node key for the TLS logger (exit 78). */
  fatalExits: number;
  /** Loops that ended on an unexpected exception (a simulator bug). */
  crashes: number;
  record(endpoint: Endpoint, exchange: Exchange): void;
}

// Kinds kept apart, at most; the rest are counted as "other".
const MAX_ERROR_KINDS = 24;

/**
 * What kind of transport failure an exchange's error is, without what varies between hosts (addresses,
 * ports): the deadline, a system error code (ECONNRESET, ECONNREFUSED, EPIPE…), or the message.
 */
export function transportErrorKind(error: string): string {
  if (/timeout/i.test(error)) return "timeout";
  const code = /\bE[A-Z]{3,}\b/.exec(error);
  if (code) return code[0];
  return error.replace(/^Request error: /, "").replace(/\d+(\.\d+)*(:\d+)?/g, "#").slice(0, 60);
}

function countKind(kinds: Record<string, number>, kind: string, n: number) {
  const key = kind in kinds || Object.keys(kinds).length < MAX_ERROR_KINDS ? kind : "other";
  kinds[key] = (kinds[key] ?? 0) + n;
}

const perEndpoint = <T>(make: () => T): Record<Endpoint, T> =>
  Object.fromEntries(ENDPOINTS.map((e) => [e, make()])) as Record<Endpoint, T>;

export function createStats(): AgentStats {
  const stats: AgentStats = {
    requests: perEndpoint(() => 0),
    failures: perEndpoint(() => 0),
    transportErrors: perEndpoint(() => 0),
    transportErrorKinds: {},
    httpStatus: {},
    latencyBuckets: perEndpoint(() => new Array<number>(BUCKETS).fill(0)),
    bytesSent: 0,
    bytesReceived: 0,
    enrollments: 0,
    reenrollments: 0,
    nodeInvalid: 0,
    distributedQueries: 0,
    distributedResultsResent: 0,
    scheduledQueries: 0,
    logLinesSent: 0,
    logLinesPurged: 0,
    fatalExits: 0,
    crashes: 0,
    record(endpoint, exchange) {
      stats.requests[endpoint]++;
      stats.bytesSent += exchange.bytesSent;
      stats.bytesReceived += exchange.bytesReceived;
      stats.latencyBuckets[endpoint][bucketOf(exchange.ms)]!++;
      if (exchange.ok) stats.httpStatus[exchange.status] = (stats.httpStatus[exchange.status] ?? 0) + 1;
      else {
        stats.transportErrors[endpoint]++;
        countKind(stats.transportErrorKinds, `${endpoint}: ${transportErrorKind(exchange.error)}`, 1);
      }
    },
  };
  return stats;
}

/** Plain JSON for printing and for adding up the reports of several processes. */
export interface StatsReport {
  requests: Record<Endpoint, number>;
  failures: Record<Endpoint, number>;
  transportErrors: Record<Endpoint, number>;
  transportErrorKinds: Record<string, number>;
  httpStatus: Record<string, number>;
  latencyMs: Record<Endpoint, { p50: number; p95: number; p99: number; max: number }>;
  latencyBuckets: Record<Endpoint, number[]>;
  bytesSent: number;
  bytesReceived: number;
  enrollments: number;
  reenrollments: number;
  nodeInvalid: number;
  distributedQueries: number;
  distributedResultsResent: number;
  scheduledQueries: number;
  logLinesSent: number;
  logLinesPurged: number;
  fatalExits: number;
  crashes: number;
  /** CPU used by the simulator process(es), from process.cpuUsage(). */
  cpu: { userMs: number; systemMs: number };
  wallMs: number;
  hosts: number;
}

const NUMBER_FIELDS = [
  "bytesSent",
  "bytesReceived",
  "enrollments",
  "reenrollments",
  "nodeInvalid",
  "distributedQueries",
  "distributedResultsResent",
  "scheduledQueries",
  "logLinesSent",
  "logLinesPurged",
  "fatalExits",
  "crashes",
] as const;

function percentiles(buckets: readonly number[]) {
  const total = buckets.reduce((a, b) => a + b, 0);
  const at = (q: number) => {
    if (total === 0) return 0;
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i]!;
      if (seen >= q * total) return Number(bucketUpperMs(i).toPrecision(3));
    }
    return Number(bucketUpperMs(buckets.length - 1).toPrecision(3));
  };
  let max = 0;
  for (let i = 0; i < buckets.length; i++) if (buckets[i]! > 0) max = i;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: total === 0 ? 0 : Number(bucketUpperMs(max).toPrecision(3)) };
}

export function reportOf(stats: AgentStats, extra: { cpu: { userMs: number; systemMs: number }; wallMs: number; hosts: number }): StatsReport {
  const report = {
    requests: { ...stats.requests },
    failures: { ...stats.failures },
    transportErrors: { ...stats.transportErrors },
    transportErrorKinds: { ...stats.transportErrorKinds },
    httpStatus: { ...stats.httpStatus },
    latencyBuckets: perEndpoint(() => [] as number[]),
    latencyMs: perEndpoint(() => ({ p50: 0, p95: 0, p99: 0, max: 0 })),
    ...extra,
  } as StatsReport;
  for (const field of NUMBER_FIELDS) report[field] = stats[field];
  for (const endpoint of ENDPOINTS) {
    report.latencyBuckets[endpoint] = [...stats.latencyBuckets[endpoint]];
    report.latencyMs[endpoint] = percentiles(stats.latencyBuckets[endpoint]);
  }
  return report;
}

/** Adds reports from several processes; CPU adds up, wall time is the longest. */
export function mergeReports(reports: readonly StatsReport[]): StatsReport {
  const stats = createStats();
  let userMs = 0;
  let systemMs = 0;
  let wallMs = 0;
  let hosts = 0;
  for (const report of reports) {
    for (const endpoint of ENDPOINTS) {
      stats.requests[endpoint] += report.requests[endpoint];
      stats.failures[endpoint] += report.failures[endpoint];
      stats.transportErrors[endpoint] += report.transportErrors[endpoint];
      report.latencyBuckets[endpoint].forEach((count, i) => (stats.latencyBuckets[endpoint][i]! += count));
    }
    for (const [status, count] of Object.entries(report.httpStatus)) stats.httpStatus[status] = (stats.httpStatus[status] ?? 0) + count;
    for (const [kind, count] of Object.entries(report.transportErrorKinds ?? {})) countKind(stats.transportErrorKinds, kind, count);
    for (const field of NUMBER_FIELDS) stats[field] += report[field];
    userMs += report.cpu.userMs;
    systemMs += report.cpu.systemMs;
    wallMs = Math.max(wallMs, report.wallMs);
    hosts += report.hosts;
  }
  return reportOf(stats, { cpu: { userMs, systemMs }, wallMs, hosts });
}

/**
 * What happened between two reports of the same fleet (an interim report and a later one): counters,
 * latency histograms and CPU subtracted, percentiles recomputed over the window alone.
 */
export function reportBetween(earlier: StatsReport, later: StatsReport): StatsReport {
  const stats = createStats();
  for (const endpoint of ENDPOINTS) {
    stats.requests[endpoint] = later.requests[endpoint] - earlier.requests[endpoint];
    stats.failures[endpoint] = later.failures[endpoint] - earlier.failures[endpoint];
    stats.transportErrors[endpoint] = later.transportErrors[endpoint] - earlier.transportErrors[endpoint];
    stats.latencyBuckets[endpoint] = later.latencyBuckets[endpoint].map((count, i) => count - (earlier.latencyBuckets[endpoint][i] ?? 0));
  }
  for (const [status, count] of Object.entries(later.httpStatus)) {
    const n = count - (earlier.httpStatus[status] ?? 0);
    if (n > 0) stats.httpStatus[status] = n;
  }
  for (const [kind, count] of Object.entries(later.transportErrorKinds ?? {})) {
    const n = count - (earlier.transportErrorKinds?.[kind] ?? 0);
    if (n > 0) stats.transportErrorKinds[kind] = n;
  }
  for (const field of NUMBER_FIELDS) stats[field] = later[field] - earlier[field];
  return reportOf(stats, {
    cpu: { userMs: later.cpu.userMs - earlier.cpu.userMs, systemMs: later.cpu.systemMs - earlier.cpu.systemMs },
    wallMs: later.wallMs - earlier.wallMs,
    hosts: later.hosts,
  });
}
