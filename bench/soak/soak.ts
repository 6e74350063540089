/**
 * Soak benchmark (not part of CI): the real service process, compiled as `npm start` runs it, on
 * PostgreSQL (or PGlite with --pglite), against a fake osqueryi with ~2,000 deb packages, collecting
 * every 10 s, with 1% of the inventory changed before each collection, 1,000 graphql-ws subscribers in
 * two worker processes and a mixed query load from this one. With --fleet it is also a fleet server:
 * simulated osqueryd agents (test/helpers/agent-simulator) enroll, check in every 10 s, send their
 * inventories every minute and their logs, half the subscribers listen to the service's own host and
 * half to every host, and the query load adds the fleet's reads (hosts, other hosts' apps, software).
 *
 * Every 10 s it samples the server's RSS and, through the inspector it starts the service with
 * (loopback, a random port), forces a full garbage collection and reads process.memoryUsage(): the heap
 * that is still reachable. It ends with a summary and exits non-zero on any error, any missed
 * subscription event, RSS that grew more than 20%, or a heap that kept growing after the warm-up.
 *
 * Run: npm run bench:soak [-- --pglite] [-- --fleet]
 *   SOAK_SECONDS         how long the load runs (default 600)
 *   SOAK_AGENTS          simulated agents with --fleet (default 100)
 *   SOAK_HEAP_SNAPSHOTS  a directory: a heap snapshot is written there after the warm-up and another at
 *                        the end of the load (compare them: npm run bench:heap-diff -- A B)
 *   BENCH_DATABASE_URL   PostgreSQL server for the scratch database (default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LogLine, ServiceProcess } from "../../test/helpers/service.js";
import { startService } from "../../test/helpers/service.js";
import { createFakeMachine, ubuntu } from "../../test/helpers/machine.js";
import { makeTempDir } from "../../test/helpers/temp.js";
import type { AppRecord } from "../../src/inventory/types.js";
import { redactUrl } from "../../src/logger.js";
import { createChurn } from "../churn.js";
import { buildService } from "../compiled.js";
import { startSimulator, type Simulator } from "../fleet/simulator.js";
import type { StatsReport } from "../../test/helpers/agent-simulator/stats.js";
import { ENDPOINTS } from "../../test/helpers/agent-simulator/stats.js";
import { connectInspector, inspectorUrl, isInspectorNotice, type HeapProbe } from "./inspector.js";
import { formatTable, percentile } from "../measure.js";
import { createScratchDatabase } from "../scratch-database.js";
import { createLoadStats, runQueryLoad, type FleetLoad, type LoadStats } from "./load.js";
import { startSubscriberPool, type PoolReport, type SubscriberPool } from "./pool.js";

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_SECONDS = 600;

const INVENTORY = 2000;
// 20 of 2,000 identities change per step (1%): 5 removed, 5 added, 10 upgraded. An upgrade closes one
// row and opens another, so each collection should report added 15, removed 15.
const CHURN = { removedPerStep: 5, addedPerStep: 5, upgradedPerStep: 10, seed: 20261123 } as const;
const COLLECT_EVERY_MS = 10_000;
/** Seconds-first cron: the service's 6-field form. */
const COLLECT_SCHEDULE = "*/10 * * * * *";
/** The inventory changes halfway between two collections, never while one may be reading it. */
const CHURN_OFFSET_MS = 5_000;

const SUBSCRIBER_WORKERS = 2;
const SUBSCRIBERS_PER_WORKER = 500;
const QUERY_LOOPS = 8;

const SAMPLE_EVERY_MS = 10_000;
const MINUTE_S = 60;
const RSS_GROWTH_LIMIT = 0.2;
/**
 * The heap after a forced full GC, from this many seconds on, must not grow faster than the limit: the
 * first minutes fill what the service fills once (code compiled on first use, the response cache, the
 * software catalog's name index, connection pools), a leak keeps going.
 */
const HEAP_WARMUP_S = 120;
const HEAP_SLOPE_LIMIT_MB_PER_MIN = 0.1;
/** The first heap snapshot (SOAK_HEAP_SNAPSHOTS) is taken once the warm-up is over. */
const FIRST_HEAP_SNAPSHOT_S = HEAP_WARMUP_S;

const AGENT_SECRET = "soak-enroll-secret-000000000001";
const DEFAULT_AGENTS = 100;
/** The fastest the service allows (AGENT_INVENTORY_INTERVAL_SECONDS): each agent sends its inventory every minute. */
const AGENT_INVENTORY_INTERVAL_S = 60;
const AGENT_DISTRIBUTED_INTERVAL_S = 10;
const AGENT_LOGGER_PERIOD_S = 10;
const AGENT_RAMP_UP_S = 20;
/**
 * Scheduled queries, so the agents also send result logs (the TLS logger, every
 * AGENT_LOGGER_PERIOD_S): a snapshot query, and a differential one whose answer changes every run.
 */
const AGENT_CONFIG = {
  schedule: {
    soak_info: { query: "SELECT version, build_platform FROM osquery_info", interval: 60, snapshot: true },
    soak_clock: { query: "SELECT unix_time FROM time", interval: 30 },
  },
};
const FIRST_INVENTORIES_TIMEOUT_MS = 180_000;
/** Once the load stops, how long every subscriber gets to hear the last collection. */
const DELIVERY_WAIT_MS = 15_000;

interface Options {
  seconds: number;
  backend: "postgres" | "pglite";
  adminUrl: string;
  /** Simulated agents, 0 without --fleet. */
  agents: number;
  heapSnapshots: string | null;
}

interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  fds: number;
  /** process.memoryUsage() after a full GC, in MB; null when the inspector did not answer. */
  heap: { usedMb: number; totalMb: number; externalMb: number; arrayBuffersMb: number } | null;
}

/** Fleet mode: the agents and what the service logged of them. */
interface FleetResult {
  agents: number;
  report: StatsReport | null;
  reportError: string | null;
  /** "agent inventory stored" lines during the load, and how many hosts they came from. */
  inventories: number;
  inventoryHosts: number;
  failedInventories: number;
}

interface Collection {
  at: number;
  ok: boolean;
  snapshotId: number | null;
  added: number | null;
  removed: number | null;
  durationMs: number | null;
}

interface SoakResult {
  options: Options;
  seconds: number;
  interrupted: string | null;
  subscribers: { wanted: number; subscribed: number; failed: number };
  load: LoadStats;
  samples: Sample[];
  churnSteps: number;
  collections: Collection[];
  window: Collection[];
  delivery: PoolReport;
  subscriberProblems: string[];
  logsBeforeStop: LogLine[];
  stray: string[];
  stderr: string;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stopMs: number;
  closeCodes: Map<number, number>;
  fleet: FleetResult | null;
  heapSnapshots: string[];
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const unknown = argv.filter((a) => a !== "--pglite" && a !== "--fleet");
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(" ")} (the flags are --pglite and --fleet)`);
  const seconds = Number(env["SOAK_SECONDS"] ?? DEFAULT_SECONDS);
  if (!Number.isInteger(seconds) || seconds < 30) throw new Error(`SOAK_SECONDS must be a whole number of seconds, at least 30 (got ${env["SOAK_SECONDS"]})`);
  const agents = Number(env["SOAK_AGENTS"] ?? DEFAULT_AGENTS);
  if (!Number.isInteger(agents) || agents < 1) throw new Error(`SOAK_AGENTS must be a whole number, at least 1 (got ${env["SOAK_AGENTS"]})`);
  return {
    seconds,
    backend: argv.includes("--pglite") ? "pglite" : "postgres",
    adminUrl: env["BENCH_DATABASE_URL"] || DEFAULT_DATABASE_URL,
    agents: argv.includes("--fleet") ? agents : 0,
    heapSnapshots: env["SOAK_HEAP_SNAPSHOTS"] || null,
  };
}

const scenarioOf = (apps: AppRecord[]) => ubuntu(apps.map((app) => ({ name: app.name, version: app.version ?? "" })));

const MB = 1024 * 1024;

/** RSS first, as the process has it; then the forced GC the heap figures need. */
async function sampleProcess(pid: number, t: number, probe: HeapProbe): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`);
  const fds = (await readdir(`/proc/${pid}/fd`)).length;
  const usage = await probe.usageAfterGc().catch(() => null);
  const heap = usage && { usedMb: usage.heapUsed / MB, totalMb: usage.heapTotal / MB, externalMb: usage.external / MB, arrayBuffersMb: usage.arrayBuffers / MB };
  return { t, rssMb: kb / 1024, fds, heap };
}

const timeOf = (line: LogLine) => Date.parse(String(line["time"]));

function collectionsOf(logs: readonly LogLine[]): Collection[] {
  const num = (value: unknown) => (typeof value === "number" ? value : null);
  return logs
    .filter((l) => l.msg === "collection succeeded" || l.msg === "collection failed")
    .map((l) => ({
      at: timeOf(l),
      ok: l.msg === "collection succeeded",
      snapshotId: num(l["snapshotId"]),
      added: num(l["added"]),
      removed: num(l["removed"]),
      durationMs: num(l["durationMs"]),
    }));
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Like formatTable, but every cell left-aligned: the values here are mostly prose with numbers in it. */
function formatRows(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}

/** Math.max(...values) overflows the call stack at a few hundred thousand values; a soak has that many latencies. */
const maxOf = (values: readonly number[]) => values.reduce((max, v) => (v > max ? v : max), Number.NEGATIVE_INFINITY);
const average = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const grouped = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const mb = (value: number) => value.toFixed(1);

function missingDeliveries(window: readonly Collection[], report: PoolReport, subscribers: number): number {
  return window.reduce((missing, c) => missing + Math.max(0, subscribers - (report.bySnapshot.get(c.snapshotId!) ?? 0)), 0);
}

function progressLine(sample: Sample, load: LoadStats, from: number, previous: Sample | undefined, service: ServiceProcess, readyAt: number, pool: SubscriberPool): string {
  const recent = load.latencies.slice(from);
  const seconds = previous ? sample.t - previous.t : 0;
  const rate = seconds > 0 ? `${grouped(recent.length / seconds)}/s` : "-";
  const p99 = recent.length > 0 ? `${ms(percentile(recent, 99))} ms` : "-";
  const collections = collectionsOf(service.logs).filter((c) => c.at > readyAt);
  const failed = collections.filter((c) => !c.ok).length;
  const subs = pool.latest();
  return (
    `[${String(Math.round(sample.t)).padStart(4)} s] rss ${mb(sample.rssMb)} MB, heap ${sample.heap ? `${mb(sample.heap.usedMb)} MB` : "?"}, fds ${sample.fds}` +
    ` | queries ${grouped(load.requests)} (${rate}, p99 ${p99}), errors ${load.errors}` +
    ` | collections ${collections.length}${failed ? ` (${failed} FAILED)` : ""}` +
    ` | subscriber events ${grouped(subs.events)}, open ${subs.open}, problems ${subs.problems}`
  );
}

interface SoakDeps {
  service: ServiceProcess;
  advanceInventory: () => Promise<void>;
  stopEarly: AbortSignal;
  probe: HeapProbe;
  /** Fleet mode: the service's own host, and the agents already running. */
  fleet: (FleetLoad & { simulator: Simulator }) | null;
}

async function soak(options: Options, { service, advanceInventory, stopEarly, probe, fleet }: SoakDeps): Promise<SoakResult> {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const pid = service.child.pid!;
  let interrupted: string | null = null;
  const heapSnapshots: string[] = [];
  const heapSnapshot = async (name: string) => {
    if (!options.heapSnapshots) return;
    const path = join(options.heapSnapshots, `soak-${process.pid}-${name}.heapsnapshot`);
    const started = Date.now();
    await probe.snapshot(path);
    heapSnapshots.push(path);
    out(`heap snapshot ${path} (${((Date.now() - started) / 1000).toFixed(1)} s, the service paused meanwhile)`);
  };

  // Half the subscribers listen to the service's own host, half to every host: both paths of the fan-out.
  const pool = startSubscriberPool(service.endpoint, SUBSCRIBER_WORKERS, SUBSCRIBERS_PER_WORKER, fleet ? [fleet.localHostId] : []);
  try {
    const connectStarted = Date.now();
    const ready = await pool.ready;
    out(`${grouped(ready.subscribed)} of ${grouped(pool.size)} subscribers subscribed in ${((Date.now() - connectStarted) / 1000).toFixed(1)} s`);
    // Events published from here on must reach every subscriber; anything earlier is a bonus.
    const readyAt = Date.now();

    const loadPhase = new AbortController();
    const end = (reason: string | null) => {
      if (reason && !interrupted) interrupted = reason;
      loadPhase.abort();
    };
    const timer = setTimeout(() => end(null), options.seconds * 1000);
    stopEarly.addEventListener("abort", () => end("SIGINT"), { once: true });
    if (stopEarly.aborted) end("SIGINT");
    const onExit = () => end("the service exited during the soak");
    service.child.once("exit", onExit);

    const load = createLoadStats();
    const querying = runQueryLoad(service.endpoint, QUERY_LOOPS, loadPhase.signal, load, fleet && { localHostId: fleet.localHostId });

    const churning = (async () => {
      let steps = 0;
      while (!loadPhase.signal.aborted) {
        const wait = COLLECT_EVERY_MS - ((Date.now() - CHURN_OFFSET_MS) % COLLECT_EVERY_MS);
        await sleep(wait, undefined, { signal: loadPhase.signal }).catch(() => {});
        if (loadPhase.signal.aborted) break;
        await advanceInventory();
        steps++;
      }
      return steps;
    })();

    const samples: Sample[] = [];
    const sampling = (async () => {
      let from = 0;
      for (let k = 0; ; k++) {
        const due = readyAt + k * SAMPLE_EVERY_MS;
        if (due > readyAt + options.seconds * 1000) break;
        await sleep(Math.max(0, due - Date.now()), undefined, { signal: stopEarly }).catch(() => {});
        if (stopEarly.aborted || interrupted) break;
        const sample = await sampleProcess(pid, (Date.now() - readyAt) / 1000, probe).catch(() => null);
        if (!sample) break;
        out(progressLine(sample, load, from, samples.at(-1), service, readyAt, pool));
        from = load.latencies.length;
        samples.push(sample);
        if (heapSnapshots.length === 0 && sample.t >= FIRST_HEAP_SNAPSHOT_S) await heapSnapshot(`${Math.round(sample.t)}s`);
      }
    })();

    await Promise.all([querying, sampling]);
    if (heapSnapshots.length > 0 && !stopEarly.aborted && !interrupted) await heapSnapshot(`${Math.round((Date.now() - readyAt) / 1000)}s-end`);
    const churnSteps = await churning;
    clearTimeout(timer);
    service.child.off("exit", onExit);
    const cutoff = Date.now();
    const seconds = (cutoff - readyAt) / 1000;

    // The last collection's log line can trail its publish by a moment; give both time to arrive.
    await sleep(1000);
    const window = collectionsOf(service.logs).filter((c) => c.ok && c.at > readyAt && c.at <= cutoff);
    let delivery = await pool.report();
    for (const deadline = Date.now() + DELIVERY_WAIT_MS; missingDeliveries(window, delivery, pool.size) > 0 && Date.now() < deadline; ) {
      await sleep(500);
      delivery = await pool.report();
    }

    let fleetResult: FleetResult | null = null;
    if (fleet) {
      // The agents stop first: a check-in cut off by the service's shutdown would count as their failure.
      let report: StatsReport | null = null;
      let reportError: string | null = null;
      try {
        report = await fleet.simulator.stop();
      } catch (error) {
        reportError = (error as Error).message;
      }
      const stored = service.logs.filter((l) => (l.msg === "agent inventory stored" || l.msg === "agent inventory failed") && timeOf(l) > readyAt && timeOf(l) <= cutoff);
      fleetResult = {
        agents: options.agents,
        report,
        reportError,
        inventories: stored.filter((l) => l.msg === "agent inventory stored").length,
        inventoryHosts: new Set(stored.map((l) => l["hostId"])).size,
        failedInventories: stored.filter((l) => l.msg === "agent inventory failed").length,
      };
    }

    out("stopping: SIGTERM to the service with every subscriber still connected");
    // A process with an inspector session attached waits at exit until the session goes.
    probe.close();
    await pool.expectClose();
    const stopAt = Date.now();
    const exit = await service.stop("SIGTERM");
    const stopMs = Date.now() - stopAt;
    const closeCodes = await pool.close();

    return {
      options,
      seconds,
      interrupted,
      subscribers: { wanted: pool.size, ...ready },
      load,
      samples,
      churnSteps,
      collections: collectionsOf(service.logs.filter((l) => timeOf(l) < stopAt)),
      window,
      delivery,
      subscriberProblems: pool.problems(),
      logsBeforeStop: service.logs.filter((l) => timeOf(l) < stopAt),
      stray: service.stray,
      stderr: service.stderr(),
      exit,
      stopMs,
      closeCodes,
      fleet: fleetResult,
      heapSnapshots,
    };
  } finally {
    pool.kill();
  }
}

interface Verdict {
  lines: string[];
  failures: string[];
}

function summarize(result: SoakResult, cleanupFailures: string[]): Verdict {
  const lines: string[] = [];
  const failures: string[] = [];
  const rows: string[][] = [];
  const row = (measure: string, value: string, ok?: boolean, failure?: string) => {
    rows.push([measure, value, ok === undefined ? "" : ok ? "ok" : "FAIL"]);
    if (ok === false) failures.push(failure ?? `${measure}: ${value}`);
  };
  const { load, window, delivery, samples } = result;
  // Each heap snapshot stops the service for seconds (20 s at a 50 MB heap) and V8 keeps the memory it
  // used for it: requests time out, agents retry, RSS jumps. A run that takes them is for finding what
  // grows; those checks are shown but not judged.
  const paused = result.heapSnapshots.length > 0;
  const pausable = (ok: boolean) => (paused && !ok ? undefined : ok);
  if (paused) row("heap snapshots taken", "errors, agent failures and RSS growth are not judged in this run (each snapshot paused the service)");

  // ---- the run ----------------------------------------------------------------------------------
  row("backend", result.options.backend === "postgres" ? `PostgreSQL (${redactUrl(result.options.adminUrl)}, scratch database)` : "PGlite (in the service process)");
  row("duration", `${result.seconds.toFixed(0)} s of load (asked for ${result.options.seconds} s)`, result.interrupted === null, `the soak ended early: ${result.interrupted}`);

  // ---- collections --------------------------------------------------------------------------------
  const succeeded = result.collections.filter((c) => c.ok);
  const failed = result.collections.filter((c) => !c.ok);
  const ticks = Math.floor((result.seconds * 1000) / COLLECT_EVERY_MS);
  row("collections seen by the server (logs)", `${succeeded.length} succeeded, ${failed.length} failed (${window.length} during the load, ~${ticks} ticks)`, failed.length === 0 && window.length > 0);
  const durations = succeeded.map((c) => c.durationMs).filter((d): d is number => d !== null);
  if (durations.length > 0) row("collection duration", `p50 ${ms(percentile(durations, 50))} ms, max ${ms(maxOf(durations))} ms`);
  // The first collection of the window can come before the first change, so this one is informational.
  const churned = groupBy(window, (c) => `+${c.added}/-${c.removed}`);
  row(
    "collections by change (1% churn: +15/-15)",
    [...churned].map(([change, cs]) => `${cs.length}× ${change}`).join(", ") + ` (${result.churnSteps} inventory changes made)`,
  );

  // ---- queries ------------------------------------------------------------------------------------
  row("query requests", grouped(load.requests));
  row("query errors", grouped(load.errors), pausable(load.errors === 0));
  if (load.requests > 0) {
    row("query latency", `p50 ${ms(percentile(load.latencies, 50))} ms, p99 ${ms(percentile(load.latencies, 99))} ms, max ${ms(maxOf(load.latencies))} ms`);
    row("query throughput", `${grouped(load.requests / result.seconds)}/s over ${QUERY_LOOPS} loops`);
  }

  // ---- subscribers --------------------------------------------------------------------------------
  const expected = window.length * result.subscribers.wanted;
  const received = window.reduce((sum, c) => sum + Math.min(result.subscribers.wanted, delivery.bySnapshot.get(c.snapshotId!) ?? 0), 0);
  row("subscribers", `${grouped(result.subscribers.subscribed)} of ${grouped(result.subscribers.wanted)} subscribed`, result.subscribers.failed === 0);
  row("subscriber events received / expected", `${grouped(received)} / ${grouped(expected)} (${window.length} collections × ${grouped(result.subscribers.wanted)})`, received === expected, `subscribers missed ${grouped(expected - received)} events`);
  row("subscriber events in total", `${grouped(delivery.events)} (including collections before they all subscribed)`);
  // Workers count every problem but describe only the first few; dead workers are only in the descriptions.
  const subscriberProblems = Math.max(delivery.problems, result.subscriberProblems.length);
  row("subscriber problems", grouped(subscriberProblems), subscriberProblems === 0);

  // ---- memory -------------------------------------------------------------------------------------
  if (samples.length >= 2) {
    const last = samples.at(-1)!.t;
    const first = samples.filter((s) => s.t < MINUTE_S).map((s) => s.rssMb);
    const final = samples.filter((s) => s.t > last - MINUTE_S).map((s) => s.rssMb);
    const firstAvg = average(first);
    const lastAvg = average(final);
    const growth = lastAvg / firstAvg - 1;
    const steady = samples.filter((s) => s.t >= MINUTE_S).map((s) => ({ x: s.t / MINUTE_S, y: s.rssMb }));
    row("RSS first minute avg", `${mb(firstAvg)} MB (${first.length} samples)`);
    row("RSS last minute avg", `${mb(lastAvg)} MB (${final.length} samples)`);
    row("RSS growth first → last minute", `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}% (limit +${RSS_GROWTH_LIMIT * 100}%)`, pausable(growth <= RSS_GROWTH_LIMIT));
    row("RSS max", `${mb(maxOf(samples.map((s) => s.rssMb)))} MB`);
    row("RSS slope after the first minute", steady.length >= 2 ? `${slope(steady) >= 0 ? "+" : ""}${slope(steady).toFixed(2)} MB/min (${steady.length} samples)` : "-");
    row("open file descriptors first → last", `${samples[0]!.fds} → ${samples.at(-1)!.fds}`);
  } else {
    row("RSS", "fewer than 2 samples", false);
  }
  const heaps = samples.filter((s): s is Sample & { heap: NonNullable<Sample["heap"]> } => s.heap !== null);
  const settled = heaps.filter((s) => s.t >= HEAP_WARMUP_S);
  if (settled.length >= 3) {
    const perMinute = (value: (s: (typeof settled)[number]) => number) => slope(settled.map((s) => ({ x: s.t / MINUTE_S, y: value(s) })));
    const signed = (n: number, digits = 3) => `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`;
    const used = perMinute((s) => s.heap.usedMb);
    const at = (t: number) => heaps.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
    const [from, to] = [at(HEAP_WARMUP_S), heaps.at(-1)!];
    row("heap used after GC (forced, every 10 s)", `${mb(heaps[0]!.heap.usedMb)} MB at ${Math.round(heaps[0]!.t)} s, ${mb(from.heap.usedMb)} MB at ${Math.round(from.t)} s, ${mb(to.heap.usedMb)} MB at ${Math.round(to.t)} s`);
    row(
      `heap used slope from ${HEAP_WARMUP_S} s`,
      `${signed(used)} MB/min (${settled.length} samples; limit +${HEAP_SLOPE_LIMIT_MB_PER_MIN} MB/min)`,
      used <= HEAP_SLOPE_LIMIT_MB_PER_MIN,
      `the heap kept growing after the warm-up: ${signed(used)} MB/min`,
    );
    row("external / array buffers slope", `${signed(perMinute((s) => s.heap.externalMb))} / ${signed(perMinute((s) => s.heap.arrayBuffersMb))} MB/min`);
  } else {
    // A soak asked to be shorter than the warm-up cannot judge the slope; one cut short can.
    const tooShort = result.options.seconds < HEAP_WARMUP_S + 3 * (SAMPLE_EVERY_MS / 1000);
    row("heap used after GC", `${heaps.length} samples (${tooShort ? `SOAK_SECONDS is too short to judge: the slope starts at ${HEAP_WARMUP_S} s` : "the inspector did not answer, or the soak ended early"})`, tooShort ? undefined : false);
  }
  if (result.heapSnapshots.length > 0) row("heap snapshots", result.heapSnapshots.join(", "));

  // ---- agents -------------------------------------------------------------------------------------
  if (result.fleet) {
    const f = result.fleet;
    row("agents", `${f.agents} simulated, inventories every ${AGENT_INVENTORY_INTERVAL_S} s, check-ins every ${AGENT_DISTRIBUTED_INTERVAL_S} s, logs every ${AGENT_LOGGER_PERIOD_S} s`);
    row("agent inventories stored during the load", `${grouped(f.inventories)} from ${f.inventoryHosts} hosts, ${f.failedInventories} failed`, f.inventories > 0 && f.failedInventories === 0);
    if (f.report) {
      const r = f.report;
      const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
      const perEndpoint = ENDPOINTS.filter((e) => r.requests[e] > 0).map((e) => `${e} ${grouped(r.requests[e])} (p99 ${ms(r.latencyMs[e].p99)} ms)`);
      row("agent requests", perEndpoint.join(", "));
      const statuses = Object.entries(r.httpStatus).map(([code, n]) => `${code} ×${grouped(n)}`).join(", ");
      row("agent HTTP statuses", statuses || "none", pausable(Object.keys(r.httpStatus).every((code) => code === "200")));
      row(
        "agent failures / transport errors / re-enrollments",
        `${sum(r.failures)} / ${sum(r.transportErrors)} / ${r.reenrollments}`,
        pausable(sum(r.failures) === 0 && sum(r.transportErrors) === 0 && r.reenrollments === 0),
      );
    } else {
      row("agent report", f.reportError ?? "none", false);
    }
  }

  // ---- the server's own view, and its shutdown ----------------------------------------------------
  const serverErrors = result.logsBeforeStop.filter((l) => l.level === "error" || l.level === "fatal");
  const warnings = result.logsBeforeStop.filter((l) => l.level === "warn");
  row("server error logs", grouped(serverErrors.length), pausable(serverErrors.length === 0));
  row("server warning logs", warnings.length === 0 ? "0" : [...groupBy(warnings, (l) => l.msg)].map(([msg, ls]) => `${ls.length}× ${msg}`).join("; "));
  row("service exit on SIGTERM", `code ${result.exit.code}${result.exit.signal ? `, signal ${result.exit.signal}` : ""} after ${result.stopMs} ms`, result.exit.code === 0);
  const closes = [...result.closeCodes].sort(([a], [b]) => a - b);
  const closedWell = closes.every(([code]) => code === 1001) && closes.reduce((s, [, n]) => s + n, 0) === result.subscribers.subscribed;
  row("subscriber close codes", closes.map(([code, n]) => `${code} ×${grouped(n)}`).join(", ") || "none", closedWell);
  row("non-JSON log lines", grouped(result.stray.length), result.stray.length === 0);
  row("cleanup", cleanupFailures.length === 0 ? `service stopped, subscribers closed, ${result.options.backend === "postgres" ? "database dropped" : "PGlite directory removed"}` : cleanupFailures.join("; "), cleanupFailures.length === 0);

  lines.push(formatRows(["measure", "value", "check"], rows));

  // ---- details -------------------------------------------------------------------------------------
  const opRows = [...load.byOp]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, s]) => {
      const timing = s.latencies.length > 0 ? [ms(percentile(s.latencies, 50)), ms(percentile(s.latencies, 99)), ms(maxOf(s.latencies))] : ["-", "-", "-"];
      return [op, grouped(s.latencies.length), grouped(s.errors), ...timing];
    });
  if (opRows.length > 0) lines.push("", formatTable(["operation", "requests", "errors", "p50 ms", "p99 ms", "max ms"], opRows));

  if (samples.length > 0) {
    const byMinute = groupBy(samples, (s) => Math.min(Math.floor(s.t / MINUTE_S), Math.floor((samples.at(-1)!.t - 1) / MINUTE_S)));
    lines.push("", `RSS by minute (avg MB): ${[...byMinute.values()].map((ss) => mb(average(ss.map((s) => s.rssMb)))).join("  ")}`);
    const heapOf = (ss: Sample[]) => ss.map((s) => s.heap?.usedMb).filter((v): v is number => v !== undefined);
    lines.push(`heap used after GC by minute (avg MB): ${[...byMinute.values()].map((ss) => (heapOf(ss).length > 0 ? mb(average(heapOf(ss))) : "?")).join("  ")}`);
  }
  if (load.errorSamples.length > 0) lines.push("", "query errors (first ones):", ...load.errorSamples.map((e) => `  ${e}`));
  if (result.subscriberProblems.length > 0) lines.push("", "subscriber problems (first ones):", ...result.subscriberProblems.slice(0, 20).map((p) => `  ${p}`));
  if (serverErrors.length > 0) lines.push("", "server error logs:", ...serverErrors.slice(0, 10).map((l) => `  ${JSON.stringify(l).slice(0, 500)}`));
  const missedBy = window.filter((c) => (delivery.bySnapshot.get(c.snapshotId!) ?? 0) < result.subscribers.wanted);
  if (missedBy.length > 0) {
    lines.push("", "collections not heard by every subscriber:", ...missedBy.map((c) => `  snapshot ${c.snapshotId} at ${new Date(c.at).toISOString()}: ${delivery.bySnapshot.get(c.snapshotId!) ?? 0} of ${result.subscribers.wanted}`));
  }
  const stderr = result.stderr
    .split("\n")
    .filter((line) => !isInspectorNotice(line.trim()))
    .join("\n")
    .trim();
  if (stderr) lines.push("", "service stderr:", stderr.slice(-2000));
  return { lines, failures };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const stopEarly = new AbortController();
  process.once("SIGINT", () => {
    out("SIGINT: ending the soak early (summary and cleanup follow)");
    stopEarly.abort();
  });

  // Undone in reverse order whatever happens, each step on its own so one failure does not strand the rest.
  const cleanup: [string, () => Promise<unknown>][] = [];
  let result: SoakResult | null = null;
  let failure: unknown = null;
  try {
    let databaseEnv: Record<string, string>;
    if (options.backend === "pglite") {
      const dir = await makeTempDir("soak-pglite");
      cleanup.push(["remove the PGlite directory", dir.remove]);
      databaseEnv = { DATA_DIR: join(dir.path, "data") };
    } else {
      const database = await createScratchDatabase(options.adminUrl);
      cleanup.push([`drop database ${database.name}`, database.drop]);
      databaseEnv = { DATABASE_URL: database.url };
    }

    const churn = createChurn({ initialApps: INVENTORY, ...CHURN });
    const machine = await createFakeMachine(scenarioOf(churn.initial));
    cleanup.push(["remove the fake osqueryi", machine.dispose]);

    out(`soak: ${options.seconds} s on ${options.backend}, ${INVENTORY} packages, a collection every ${COLLECT_EVERY_MS / 1000} s, ` +
      `${SUBSCRIBER_WORKERS * SUBSCRIBERS_PER_WORKER} subscribers, ${QUERY_LOOPS} query loops` +
      (options.agents > 0 ? `, ${options.agents} simulated agents` : ""));
    if (options.heapSnapshots) await mkdir(options.heapSnapshots, { recursive: true });
    let fleetEnv: Record<string, string> = {};
    let agentDir = "";
    if (options.agents > 0) {
      const dir = await makeTempDir("soak-agents");
      cleanup.push(["remove the agents' secret and config", dir.remove]);
      agentDir = dir.path;
      await writeFile(join(agentDir, "secret"), `${AGENT_SECRET}\n`);
      await writeFile(join(agentDir, "agent-config.json"), JSON.stringify(AGENT_CONFIG));
      fleetEnv = {
        ENROLL_SECRET: AGENT_SECRET,
        // Every simulated agent enrolls from 127.0.0.1.
        ENROLL_RATE_PER_MINUTE: "1000000",
        AGENT_INVENTORY_INTERVAL_SECONDS: String(AGENT_INVENTORY_INTERVAL_S),
        AGENT_DISTRIBUTED_INTERVAL_SECONDS: String(AGENT_DISTRIBUTED_INTERVAL_S),
        AGENT_LOGGER_PERIOD_SECONDS: String(AGENT_LOGGER_PERIOD_S),
        AGENT_CONFIG_FILE: join(agentDir, "agent-config.json"),
      };
    }
    buildService();
    const service = await startService({
      ...databaseEnv,
      ...fleetEnv,
      OSQUERY_BIN: machine.binary,
      COLLECT_SCHEDULE,
      COLLECT_RATE_PER_MINUTE: "10000",
      // Every subscriber connects from 127.0.0.1.
      MAX_SOCKETS_PER_CLIENT: "1000000",
      // At info the service logs nothing per request, only its lifecycle and one line per collection,
      // which is what the summary counts collections from (and how startService learns the port); warn
      // would hide both.
      LOG_LEVEL: "info",
    }, "compiled", ["--inspect=127.0.0.1:0"]);
    cleanup.push(["stop the service", () => service.stop("SIGKILL")]);
    const probe = await connectInspector(await inspectorUrl(service.stderr, 10_000));
    cleanup.push(["close the inspector", async () => probe.close()]);
    await service.waitForLog((l) => l.msg === "collection succeeded" || l.msg === "collection failed", 60_000);
    out(`service pid ${service.child.pid} at ${service.endpoint}; first collection done`);

    let fleet: SoakDeps["fleet"] = null;
    if (options.agents > 0) {
      // Before any agent enrolls, the only host is the service's own.
      const answer = await fetch(service.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ hosts(first: 2) { edges { node { id } } } }" }),
      });
      const hosts = ((await answer.json()) as { data?: { hosts: { edges: { node: { id: string } }[] } } }).data?.hosts.edges ?? [];
      if (hosts.length !== 1) throw new Error(`expected the service's own host alone before the agents, found ${hosts.length} hosts`);
      const simulator = startSimulator({
        url: service.origin,
        secretFile: join(agentDir, "secret"),
        hosts: options.agents,
        processes: 1,
        durationSeconds: options.seconds + 600,
        distributedIntervalSeconds: AGENT_DISTRIBUTED_INTERVAL_S,
        rampUpSeconds: AGENT_RAMP_UP_S,
        args: ["--host-identifier", "uuid"],
      });
      cleanup.push(["stop the agents", () => simulator.stop().catch(() => undefined)]);
      fleet = { localHostId: hosts[0]!.node.id, simulator };
      // The load starts from a fleet whose first inventories are in: those are a one-time cost, not the steady state.
      const started = Date.now();
      for (;;) {
        const reported = new Set(service.logs.filter((l) => l.msg === "agent inventory stored").map((l) => l["hostId"])).size;
        if (reported >= options.agents) break;
        if (Date.now() - started > FIRST_INVENTORIES_TIMEOUT_MS) throw new Error(`only ${reported} of ${options.agents} agents' first inventories were stored within ${FIRST_INVENTORIES_TIMEOUT_MS / 1000} s`);
        await sleep(1000);
      }
      out(`${options.agents} agents enrolled and their first inventories stored in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    result = await soak(options, { service, advanceInventory: () => machine.set(scenarioOf(churn.step())), stopEarly: stopEarly.signal, probe, fleet });
  } catch (error) {
    failure = error;
  }

  const cleanupFailures: string[] = [];
  for (const [what, undo] of cleanup.reverse()) {
    await undo().catch((error: unknown) => cleanupFailures.push(`${what} failed: ${(error as Error).message}`));
  }

  if (!result) {
    process.stderr.write(`soak failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
    for (const problem of cleanupFailures) process.stderr.write(`${problem}\n`);
    return 1;
  }
  const verdict = summarize(result, cleanupFailures);
  out();
  out("== soak summary ==");
  for (const line of verdict.lines) out(line);
  out();
  if (verdict.failures.length > 0) {
    out(`FAILED: ${verdict.failures.join("; ")}`);
    return 1;
  }
  out("PASSED");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
