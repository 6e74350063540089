/**
 * What the HTTP read benchmarks (latest-data.ts, read-queries.ts) share: a scratch database and a
 * temporary folder dropped whatever happens, the servers as child processes (the service, baselines,
 * PostGraphile), a wrk run per server with its CPU and its PostgreSQL backends' CPU per request, and
 * the table cells.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { buildService } from "../compiled.js";
import { assert } from "../measure.js";
import { createScratchDatabase } from "../scratch-database.js";
import { backendIsLocal, backendTicks, clockTicksPerSecond, cpuTicks, startChildServer, ticksBetween, type ChildServer } from "./processes.js";
import { LISTENING } from "./serve-baseline.js";
import { runWrk, wrkFailure, type WrkResult } from "./wrk.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MIGRATIONS_DIR = join(ROOT, "prisma/migrations");
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const WRK = { connections: 10, threads: 2 } as const;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const STARTUP_TIMEOUT_MS = 90_000;
/** The startup collection and prune the service runs at start; they must be over before timing. */
const STARTUP_JOBS_TIMEOUT_MS = 30_000;
export const SERVICE_ENV_PREFIX = "BENCH_SERVICE_";

export interface Running {
  server: ChildServer;
  /** application_name of its database sessions, to find its PostgreSQL backends. */
  applicationName: string;
}

export interface Measured {
  wrk: WrkResult;
  cpuUsPerRequest: number;
  /** CPU of its PostgreSQL backends; null when PostgreSQL runs on another machine. */
  dbUsPerRequest: number | null;
}

/** Only what node needs: nothing in the caller's environment (tokens, Redis, NODE_OPTIONS) reconfigures a server. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, NODE_ENV: "production", ...extra };
}

export function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

/** The service's settings given as BENCH_SERVICE_<NAME>; the report prints them next to the numbers. */
export function serviceOverrides(): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith(SERVICE_ENV_PREFIX) && value !== undefined) overrides[key.slice(SERVICE_ENV_PREFIX.length)] = value;
  }
  return overrides;
}

/** --cpu-prof flags for a server, a directory each: tsx's loader thread writes a profile of its own. */
const profileArgs = (profileDir: string | null, key: string) => (profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, key)}`] : []);

export interface StartOptions {
  url: string;
  profileDir: string | null;
  /** Every server started, for the caller to stop whatever happens. */
  started: Running[];
}

/**
 * The service as `npm start` runs it (dist/main.js, rebuilt first when a source changed), on `url`,
 * with no scheduled collection: the one collection it runs at start fails (no osqueryi) and stores a
 * FAILED snapshot of the local host. Waits for that and for the startup prune, so neither is timed.
 */
export async function startService(key: string, options: StartOptions & { env: Record<string, string> }): Promise<Running> {
  buildService();
  const applicationName = `bench-${key}`;
  process.stderr.write(`starting the service\n`);
  const server = await startChildServer({
    label: "service",
    nodeArgs: [...profileArgs(options.profileDir, key), "dist/main.js"],
    cwd: ROOT,
    env: childEnv({
      DATABASE_URL: withApplicationName(options.url, applicationName),
      PORT: "0",
      HOST: "127.0.0.1",
      COLLECT_SCHEDULE: "off",
      OSQUERY_BIN: "/nonexistent/osqueryi",
      LOG_LEVEL: "info",
      ...options.env,
    }),
    listening: LISTENING,
    timeoutMs: STARTUP_TIMEOUT_MS,
  });
  const running = { server, applicationName };
  options.started.push(running);
  for (const msg of ["collection failed", "history pruned"]) {
    await server.waitForLog((line) => line.msg === msg, STARTUP_JOBS_TIMEOUT_MS).catch(() => {
      process.stderr.write(`note: the service never logged "${msg}"; its startup jobs may still be running\n`);
    });
  }
  return running;
}

/** A baseline script (serveBaseline) through tsx, on `url`. */
export async function startBaseline(key: string, label: string, script: string, options: StartOptions): Promise<Running> {
  const applicationName = `bench-${key}`;
  process.stderr.write(`starting ${label}\n`);
  const server = await startChildServer({
    label,
    nodeArgs: [...profileArgs(options.profileDir, key), "--import", "tsx", script],
    cwd: ROOT,
    env: childEnv({ DATABASE_URL: withApplicationName(options.url, applicationName) }),
    listening: LISTENING,
    timeoutMs: STARTUP_TIMEOUT_MS,
  });
  const running = { server, applicationName };
  options.started.push(running);
  return running;
}

export async function post(endpoint: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** One GraphQL request that must succeed, and must contain `expect` as the load will require of every answer. */
export async function fetchData<T>(label: string, endpoint: string, body: string, expect: string): Promise<T> {
  const { status, text } = await post(endpoint, body);
  const parsed = JSON.parse(text) as { data?: T; errors?: { message: string }[] };
  assert(status === 200 && !parsed.errors, `${label} answered HTTP ${status}: ${text.slice(0, 500)}`);
  assert(parsed.data, `${label} returned no data`);
  assert(text.includes(expect), `${label}'s response does not contain ${expect}`);
  return parsed.data;
}

export interface MeasureOptions {
  warmupSeconds: number;
  durationSeconds: number;
  tmp: string;
  ticksPerSecond: number;
  /** A session on the scratch database to find each server's backends; null when PostgreSQL is remote. */
  monitor: pg.Client | null;
}

/**
 * Loads one server with wrk on one request body: a warm-up, then the timed run, with the server's
 * CPU (utime + stime from /proc) and its PostgreSQL backends' read before and after. Every response
 * must be a 2xx without errors that contains `expect`.
 */
export async function measure(running: Running, body: string, expect: string, name: string, options: MeasureOptions): Promise<Measured> {
  const { server, applicationName } = running;
  const wrk = (durationSeconds: number, suffix: string) =>
    runWrk({ url: server.endpoint, body, expect, ...WRK, durationSeconds, dir: options.tmp, name: `${name}${suffix}` });
  const fail = (result: WrkResult, what: string) => {
    const failure = wrkFailure(result);
    assert(failure === null, `${server.label}, ${what}: ${failure}`);
  };
  fail(await wrk(options.warmupSeconds, "-warmup"), `${name} warm-up`);

  const dbBefore = options.monitor && (await backendTicks(options.monitor, applicationName));
  const cpuBefore = await cpuTicks(server.pid);
  const result = await wrk(options.durationSeconds, "");
  const cpuAfter = await cpuTicks(server.pid);
  const dbAfter = options.monitor && (await backendTicks(options.monitor, applicationName));
  fail(result, name);

  const usPerRequest = (ticks: number) => ((ticks / options.ticksPerSecond) * 1e6) / result.requests;
  return {
    wrk: result,
    cpuUsPerRequest: usPerRequest(cpuAfter - cpuBefore),
    dbUsPerRequest: dbBefore && dbAfter ? usPerRequest(ticksBetween(dbBefore, dbAfter)) : null,
  };
}

export const grouped = (n: number) => Math.round(n).toLocaleString("en-US");
export const ms = (n: number) => n.toFixed(2);
export const ratio = (n: number) => `${n.toFixed(2)}x`;

/** The table cells every load table starts with: req/s, p50, p99, CPU and DB CPU per request. */
export function loadCells(m: Measured): string[] {
  return [grouped(m.wrk.rps), ms(m.wrk.p50Ms), ms(m.wrk.p99Ms), grouped(m.cpuUsPerRequest), m.dbUsPerRequest === null ? "-" : grouped(m.dbUsPerRequest)];
}
export const LOAD_HEADER = ["req/s", "p50 ms", "p99 ms", "CPU µs/req", "DB CPU µs/req"];

export function loadDescription(options: { warmupSeconds: number; durationSeconds: number; ticksPerSecond: number; local: boolean }): string {
  return (
    `load: wrk -c ${WRK.connections} -t ${WRK.threads}, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s per row; ` +
    `CPU = utime+stime of the server process (/proc, ${options.ticksPerSecond} ticks/s)` +
    (options.local ? ", DB CPU = its PostgreSQL backends" : "; PostgreSQL is remote, so no DB CPU")
  );
}

function durationFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DURATION_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`BENCH_DURATION_SECONDS must be a whole number of seconds ≥ 1, got "${value}"`);
  return seconds;
}

export interface LoadBenchContext {
  /** The scratch database. */
  url: string;
  profileDir: string | null;
  tmp: string;
  started: Running[];
  out: (line?: string) => void;
  /** A session on the scratch database for the benchmark's own checks; the monitor of measure(). */
  monitor: pg.Client;
  measureOptions: MeasureOptions;
  /** loadDescription for these options. */
  describeLoad: string;
}

/**
 * A load benchmark's main: a scratch database on BENCH_DATABASE_URL's server, a temporary folder,
 * and every server `run` starts, all stopped and dropped afterwards, on failure and on Ctrl-C.
 * BENCH_DURATION_SECONDS sets the length of each timed run, BENCH_CPU_PROFILE_DIR a --cpu-prof
 * profile of each server.
 */
export function loadBenchMain(name: string, run: (context: LoadBenchContext) => Promise<void>): void {
  const main = async () => {
    const startedAt = performance.now();
    const adminUrl = process.env["BENCH_DATABASE_URL"] ?? DEFAULT_DATABASE_URL;
    const durationSeconds = durationFromEnv(process.env["BENCH_DURATION_SECONDS"]);
    const profileDir = process.env["BENCH_CPU_PROFILE_DIR"] ? resolve(process.env["BENCH_CPU_PROFILE_DIR"]) : null;
    const out = (line = "") => process.stdout.write(`${line}\n`);

    const scratch = await createScratchDatabase(adminUrl);
    process.stderr.write(`scratch database ${scratch.name}\n`);
    const tmp = await mkdtemp(join(tmpdir(), `bench-${name}-`));
    const started: Running[] = [];
    let monitor: pg.Client | null = null;
    let cleaning: Promise<void> | null = null;
    // Servers first: dropping the database under them would make them log connection errors.
    const cleanup = () =>
      (cleaning ??= (async () => {
        await Promise.allSettled(started.map(({ server }) => server.stop()));
        await monitor?.end().catch(() => {});
        await scratch.drop();
        await rm(tmp, { recursive: true, force: true });
      })());
    const onSignal = (signal: NodeJS.Signals) => {
      process.stderr.write(`\n${signal}: stopping the servers and dropping the scratch database\n`);
      void cleanup().finally(() => process.exit(130));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      monitor = new pg.Client({ connectionString: withApplicationName(scratch.url, `bench-${name}`) });
      monitor.on("error", (error) => process.stderr.write(`monitoring connection failed: ${error.message}\n`));
      await monitor.connect();
      const local = await backendIsLocal(monitor);
      const ticksPerSecond = clockTicksPerSecond();
      const warmupSeconds = Math.min(WARMUP_SECONDS, durationSeconds);
      await run({
        url: scratch.url,
        profileDir,
        tmp,
        started,
        out,
        monitor,
        measureOptions: { warmupSeconds, durationSeconds, tmp, ticksPerSecond, monitor: local ? monitor : null },
        describeLoad: loadDescription({ warmupSeconds, durationSeconds, ticksPerSecond, local }),
      });
    } finally {
      await cleanup();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    out();
    out(`total runtime ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  };
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
