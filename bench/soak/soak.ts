/**
 * Soak benchmark (not part of CI): the real service process, on PostgreSQL (or PGlite with --pglite),
 * against a fake osqueryi with ~2,000 deb packages, collecting every 10 s, with 1% of the inventory
 * changed before each collection, 1,000 graphql-ws subscribers in two worker processes and a mixed
 * query load from this one. It samples the server's RSS every 10 s and ends with a summary; it exits
 * non-zero on any error, any missed subscription event, or RSS that grew more than 20%.
 *
 * Run: node --import tsx bench/soak/soak.ts [--pglite]
 *   SOAK_SECONDS        how long the load runs (default 600)
 *   BENCH_DATABASE_URL  PostgreSQL server for the scratch database (default postgres://postgres@127.0.0.1:5432/postgres)
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LogLine, ServiceProcess } from "../../test/helpers/service.js";
import { startService } from "../../test/helpers/service.js";
import { createFakeMachine, ubuntu } from "../../test/helpers/machine.js";
import { makeTempDir } from "../../test/helpers/temp.js";
import type { AppRecord } from "../../src/inventory/types.js";
import { redactUrl } from "../../src/logger.js";
import { createChurn } from "../churn.js";
import { formatTable, percentile } from "../measure.js";
import { createScratchDatabase } from "../scratch-database.js";
import { createLoadStats, runQueryLoad, type LoadStats } from "./load.js";
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
/** Once the load stops, how long every subscriber gets to hear the last collection. */
const DELIVERY_WAIT_MS = 15_000;

interface Options {
  seconds: number;
  backend: "postgres" | "pglite";
  adminUrl: string;
}

interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  fds: number;
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
}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const unknown = argv.filter((a) => a !== "--pglite");
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(" ")} (the only flag is --pglite)`);
  const seconds = Number(env["SOAK_SECONDS"] ?? DEFAULT_SECONDS);
  if (!Number.isInteger(seconds) || seconds < 30) throw new Error(`SOAK_SECONDS must be a whole number of seconds, at least 30 (got ${env["SOAK_SECONDS"]})`);
  return { seconds, backend: argv.includes("--pglite") ? "pglite" : "postgres", adminUrl: env["BENCH_DATABASE_URL"] || DEFAULT_DATABASE_URL };
}

const scenarioOf = (apps: AppRecord[]) => ubuntu(apps.map((app) => ({ name: app.name, version: app.version ?? "" })));

async function sampleProcess(pid: number, t: number): Promise<Sample> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return { t, rssMb: kb / 1024, fds: (await readdir(`/proc/${pid}/fd`)).length };
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
    `[${String(Math.round(sample.t)).padStart(4)} s] rss ${mb(sample.rssMb)} MB, fds ${sample.fds}` +
    ` | queries ${grouped(load.requests)} (${rate}, p99 ${p99}), errors ${load.errors}` +
    ` | collections ${collections.length}${failed ? ` (${failed} FAILED)` : ""}` +
    ` | subscriber events ${grouped(subs.events)}, open ${subs.open}, problems ${subs.problems}`
  );
}

async function soak(options: Options, service: ServiceProcess, advanceInventory: () => Promise<void>, stopEarly: AbortSignal): Promise<SoakResult> {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const pid = service.child.pid!;
  let interrupted: string | null = null;

  const pool = startSubscriberPool(service.endpoint, SUBSCRIBER_WORKERS, SUBSCRIBERS_PER_WORKER);
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
    const querying = runQueryLoad(service.endpoint, QUERY_LOOPS, loadPhase.signal, load);

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
        const sample = await sampleProcess(pid, (Date.now() - readyAt) / 1000).catch(() => null);
        if (!sample) break;
        out(progressLine(sample, load, from, samples.at(-1), service, readyAt, pool));
        from = load.latencies.length;
        samples.push(sample);
      }
    })();

    await Promise.all([querying, sampling]);
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

    out("stopping: SIGTERM to the service with every subscriber still connected");
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
  row("query errors", grouped(load.errors), load.errors === 0);
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
    row("RSS growth first → last minute", `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}% (limit +${RSS_GROWTH_LIMIT * 100}%)`, growth <= RSS_GROWTH_LIMIT);
    row("RSS max", `${mb(maxOf(samples.map((s) => s.rssMb)))} MB`);
    row("RSS slope after the first minute", steady.length >= 2 ? `${slope(steady) >= 0 ? "+" : ""}${slope(steady).toFixed(2)} MB/min (${steady.length} samples)` : "-");
    row("open file descriptors first → last", `${samples[0]!.fds} → ${samples.at(-1)!.fds}`);
  } else {
    row("RSS", "fewer than 2 samples", false);
  }

  // ---- the server's own view, and its shutdown ----------------------------------------------------
  const serverErrors = result.logsBeforeStop.filter((l) => l.level === "error" || l.level === "fatal");
  const warnings = result.logsBeforeStop.filter((l) => l.level === "warn");
  row("server error logs", grouped(serverErrors.length), serverErrors.length === 0);
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
  }
  if (load.errorSamples.length > 0) lines.push("", "query errors (first ones):", ...load.errorSamples.map((e) => `  ${e}`));
  if (result.subscriberProblems.length > 0) lines.push("", "subscriber problems (first ones):", ...result.subscriberProblems.slice(0, 20).map((p) => `  ${p}`));
  if (serverErrors.length > 0) lines.push("", "server error logs:", ...serverErrors.slice(0, 10).map((l) => `  ${JSON.stringify(l).slice(0, 500)}`));
  const missedBy = window.filter((c) => (delivery.bySnapshot.get(c.snapshotId!) ?? 0) < result.subscribers.wanted);
  if (missedBy.length > 0) {
    lines.push("", "collections not heard by every subscriber:", ...missedBy.map((c) => `  snapshot ${c.snapshotId} at ${new Date(c.at).toISOString()}: ${delivery.bySnapshot.get(c.snapshotId!) ?? 0} of ${result.subscribers.wanted}`));
  }
  if (result.stderr.trim()) lines.push("", "service stderr:", result.stderr.trim().slice(-2000));
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
      `${SUBSCRIBER_WORKERS * SUBSCRIBERS_PER_WORKER} subscribers, ${QUERY_LOOPS} query loops`);
    const service = await startService({
      ...databaseEnv,
      OSQUERY_BIN: machine.binary,
      COLLECT_SCHEDULE,
      COLLECT_RATE_PER_MINUTE: "10000",
      // Every subscriber connects from 127.0.0.1.
      MAX_SOCKETS_PER_CLIENT: "1000000",
      // At info the service logs nothing per request, only its lifecycle and one line per collection,
      // which is what the summary counts collections from (and how startService learns the port); warn
      // would hide both.
      LOG_LEVEL: "info",
    });
    cleanup.push(["stop the service", () => service.stop("SIGKILL")]);
    await service.waitForLog((l) => l.msg === "collection succeeded" || l.msg === "collection failed", 60_000);
    out(`service pid ${service.child.pid} at ${service.endpoint}; first collection done`);

    result = await soak(options, service, () => machine.set(scenarioOf(churn.step())), stopEarly.signal);
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
