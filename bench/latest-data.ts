/**
 * latestData over HTTP under load: the service next to two baselines that send the same statements to
 * the database, (a) node:http + pg with no GraphQL (the floor) and (b) plain graphql-yoga + pg (the
 * yardstick). Each server is a process of its own, so /proc gives each one's CPU time per request.
 * Seeds a scratch PostgreSQL database with one host of 5,000 apps and 100 snapshots at 1% churn, checks
 * that the three servers return the same pages, then loads each with wrk on the first page and on a
 * deep page. Run: npm run bench:latest-data
 *   BENCH_DATABASE_URL      the PostgreSQL server (a scratch database is created on it and dropped)
 *   BENCH_DURATION_SECONDS  length of each timed run (default 10)
 *   BENCH_CPU_PROFILE_DIR   write a --cpu-prof profile of every server there (inflates the CPU numbers)
 *   BENCH_SERVICE_<NAME>    sets <NAME> for the service only, e.g. BENCH_SERVICE_RESPONSE_CACHE_TTL_SECONDS=0
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { encodeGlobalID } from "@pothos/plugin-relay";
import pg from "pg";
import { SoftwareSource, type AppRecord } from "../src/inventory/types.js";
import { openDatabase } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrate.js";
import { createLogger } from "../src/logger.js";
import { createInventoryStore } from "../src/store/inventory-store.js";
import type { Inventory } from "../src/inventory/types.js";
import { createChurn } from "./churn.js";
import {
  backendIsLocal,
  backendTicks,
  clockTicksPerSecond,
  cpuTicks,
  startChildServer,
  ticksBetween,
  type ChildServer,
} from "./latest-data/processes.js";
import { LISTENING } from "./latest-data/serve-baseline.js";
import { runWrk, wrkFailure, type WrkResult } from "./latest-data/wrk.js";
import { assert, formatTable } from "./measure.js";
import { createScratchDatabase } from "./scratch-database.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const MIGRATIONS_DIR = join(ROOT, "prisma/migrations");

const INITIAL_APPS = 5000;
/** Churned snapshots after the initial one. */
const SNAPSHOTS = 99;
// history.ts's churn: 25 identities gone and 25 new per step, 1% of the inventory.
const CHURN = { removedPerStep: 20, addedPerStep: 20, upgradedPerStep: 5, seed: 20261123 } as const;
const PAGE = 100;
const DEEP_POSITION = 4900;

const WRK = { connections: 10, threads: 2 } as const;
const WARMUP_SECONDS = 3;
const DURATION_SECONDS = 10;
const STARTUP_TIMEOUT_MS = 90_000;
/** The startup collection and prune the service runs at start; they must be over before timing. */
const STARTUP_JOBS_TIMEOUT_MS = 30_000;
/** Service CPU ÷ yoga's: answered from the response cache, and computed (a miss, or the cache off). */
const TARGETS = { cachedVsYoga: 0.25, uncachedVsYoga: 1.0, deepVsFirst: 1.1 } as const;
/** Below this share of the floor's database CPU per request, the service is taken to answer from a cache. */
const CACHED_DB_SHARE = 0.1;

const HOUR_MS = 3_600_000;
const SERVICE_ENV_PREFIX = "BENCH_SERVICE_";

const LATEST_DATA = /* GraphQL */ `
  query BenchLatestData($first: Int, $after: String) {
    latestData(first: $first, after: $after) {
      totalCount
      snapshot { id collectedAt }
      edges { cursor node { id name version source publisher firstSeenAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface Page {
  totalCount: number;
  snapshot: { id: string; collectedAt: string } | null;
  edges: {
    cursor: string;
    node: { id: string; name: string; version: string | null; source: string; publisher: string | null; firstSeenAt: string };
  }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const SERVERS = {
  service: { label: "service", script: "src/main.ts" },
  yoga: { label: "(b) yoga + pg", script: "bench/latest-data/yoga-server.ts" },
  floor: { label: "(a) node:http + pg", script: "bench/latest-data/floor-server.ts" },
} as const;
type ServerKey = keyof typeof SERVERS;
const SERVER_KEYS = Object.keys(SERVERS) as ServerKey[];

const CASES = {
  first: { label: "first page", after: 0 },
  deep: { label: `deep page (after #${DEEP_POSITION})`, after: DEEP_POSITION },
} as const;
type CaseKey = keyof typeof CASES;
const CASE_KEYS = Object.keys(CASES) as CaseKey[];

interface Seeded {
  snapshotId: number;
  collectedAt: Date;
  /** The newest snapshot's app names in latestData order. */
  names: string[];
}

interface Running {
  server: ChildServer;
  /** application_name of its database sessions, to find its PostgreSQL backends. */
  applicationName: string;
}

interface Measured {
  wrk: WrkResult;
  cpuUsPerRequest: number;
  /** CPU of its PostgreSQL backends; null when PostgreSQL runs on another machine. */
  dbUsPerRequest: number | null;
}

function inventoryOf(apps: AppRecord[]): Inventory {
  return {
    osqueryVersion: "5.12.1",
    os: { name: "Ubuntu", version: "22.04.4 LTS (Jammy Jellyfish)", platform: "ubuntu", platformLike: "debian", build: null, arch: "x86_64" },
    system: { hostname: "bench-host", uuid: "6f1c2a3e-1d4b-4c5e-9f60-7a8b9c0d1e2f" },
    source: SoftwareSource.deb_packages,
    apps,
  };
}

/** Writes the history through the real store, as collections would have. */
async function seed(url: string): Promise<Seeded> {
  const logger = createLogger({ level: "silent" });
  const db = await openDatabase({ kind: "postgres", url }, logger);
  try {
    const conn = await db.connect();
    try {
      await applyMigrations(conn, MIGRATIONS_DIR, logger);
      const store = createInventoryStore({ db: db.prisma, fallbackHostname: "bench-host" });
      const churn = createChurn({ initialApps: INITIAL_APPS, ...CHURN });
      // Hourly up to a minute ago: well inside the service's retention, so its prune at start keeps everything.
      const end = Date.now() - 60_000;
      let apps = churn.initial;
      let newest = null;
      for (let i = 0; i <= SNAPSHOTS; i++) {
        if (i > 0) apps = churn.step();
        newest = await store.recordSuccess(inventoryOf(apps), { collectedAt: new Date(end - (SNAPSHOTS - i) * HOUR_MS), durationMs: 1000 });
        assert(newest.appCount === apps.length, `snapshot ${i} stored appCount ${newest.appCount}, expected ${apps.length}`);
        if (i % 25 === 0) process.stderr.write(`seeding: ${i + 1}/${SNAPSHOTS + 1} snapshots\n`);
      }
      assert(newest, "no snapshot was written");
      // Planner statistics as autovacuum would leave them, so plans do not depend on when it last ran.
      await conn.exec("VACUUM ANALYZE apps");
      await conn.exec("VACUUM ANALYZE snapshots");
      // Generated names are lower-case ASCII, so latestData's bytewise order is plain string order.
      const names = apps.map((app) => app.name).sort();
      return { snapshotId: newest.id, collectedAt: newest.collectedAt, names };
    } finally {
      await conn.release();
    }
  } finally {
    await db.close();
  }
}

/** Only what node needs: nothing in the caller's environment (tokens, Redis, NODE_OPTIONS) reconfigures a server. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "LANG"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, NODE_ENV: "production", ...extra };
}

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

/** The service's settings given as BENCH_SERVICE_<NAME>; the report prints them next to the numbers. */
function serviceOverrides(): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith(SERVICE_ENV_PREFIX) && value !== undefined) overrides[key.slice(SERVICE_ENV_PREFIX.length)] = value;
  }
  return overrides;
}

async function startServers(
  url: string,
  options: { profileDir: string | null; serviceEnv: Record<string, string> },
  started: Running[],
): Promise<Record<ServerKey, Running>> {
  const running = {} as Record<ServerKey, Running>;
  for (const key of SERVER_KEYS) {
    const applicationName = `latest-data-${key}`;
    const databaseUrl = withApplicationName(url, applicationName);
    // COLLECT_SCHEDULE=off still collects once at start; with no osqueryi that run fails and stores a FAILED snapshot.
    const env =
      key === "service"
        ? {
            DATABASE_URL: databaseUrl,
            PORT: "0",
            HOST: "127.0.0.1",
            COLLECT_SCHEDULE: "off",
            OSQUERY_BIN: "/nonexistent/osqueryi",
            LOG_LEVEL: "info",
            ...options.serviceEnv,
          }
        : { DATABASE_URL: databaseUrl };
    // A directory per server, default file names: tsx's loader thread writes a profile of its own.
    const profile = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(options.profileDir, key)}`] : [];
    process.stderr.write(`starting ${SERVERS[key].label}\n`);
    const server = await startChildServer({
      label: SERVERS[key].label,
      nodeArgs: [...profile, "--import", "tsx", SERVERS[key].script],
      cwd: ROOT,
      env: childEnv(env),
      listening: LISTENING,
      timeoutMs: STARTUP_TIMEOUT_MS,
    });
    running[key] = { server, applicationName };
    started.push(running[key]);
  }
  const service = running.service.server;
  for (const msg of ["collection failed", "history pruned"]) {
    await service.waitForLog((line) => line.msg === msg, STARTUP_JOBS_TIMEOUT_MS).catch(() => {
      process.stderr.write(`note: the service never logged "${msg}"; its startup jobs may still be running\n`);
    });
  }
  return running;
}

async function post(endpoint: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body,
  });
  return { status: response.status, text: await response.text() };
}

const requestBody = (after: string | null) => JSON.stringify({ query: LATEST_DATA, variables: after ? { first: PAGE, after } : { first: PAGE } });
/** What every response to a page must contain: its last app, as JSON.stringify writes it. */
const lastNameMarker = (names: string[]) => `"name":${JSON.stringify(names.at(-1))}`;

async function fetchPage(label: string, endpoint: string, body: string, expect: string): Promise<Page> {
  const { status, text } = await post(endpoint, body);
  const parsed = JSON.parse(text) as { data?: { latestData?: Page }; errors?: { message: string }[] };
  assert(status === 200 && !parsed.errors, `${label} answered HTTP ${status}: ${text.slice(0, 500)}`);
  assert(parsed.data?.latestData, `${label} returned no latestData`);
  assert(text.includes(expect), `${label}'s response does not contain ${expect}`);
  return parsed.data.latestData;
}

/** Checks a page against the seeded inventory: positions [from, from + PAGE) of the newest snapshot. */
function checkPage(label: string, page: Page, seeded: Seeded, from: number): void {
  const expected = seeded.names.slice(from, from + PAGE);
  const names = page.edges.map((e) => e.node.name);
  assert(isDeepStrictEqual(names, expected), `${label}: names ${names[0]}..${names.at(-1)} (${names.length}), expected ${expected[0]}..${expected.at(-1)} (${expected.length})`);
  assert(page.totalCount === seeded.names.length, `${label}: totalCount ${page.totalCount}, expected ${seeded.names.length}`);
  assert(page.snapshot?.id === encodeGlobalID("Snapshot", seeded.snapshotId), `${label}: read snapshot ${page.snapshot?.id}, expected ${seeded.snapshotId}`);
  assert(page.snapshot.collectedAt === seeded.collectedAt.toISOString(), `${label}: snapshot collectedAt ${page.snapshot.collectedAt}`);
  assert(page.pageInfo.hasNextPage === from + PAGE < seeded.names.length, `${label}: hasNextPage ${page.pageInfo.hasNextPage}`);
  assert(page.pageInfo.endCursor === page.edges.at(-1)?.cursor, `${label}: endCursor is not the last edge's cursor`);
}

/** A page without its cursors, which each server may format its own way. */
const withoutCursors = (page: Page) => ({ ...page, edges: page.edges.map((e) => e.node), pageInfo: { hasNextPage: page.pageInfo.hasNextPage } });

/**
 * Walks every server page by page to the app at DEEP_POSITION, checking each page against the seeded
 * inventory and against the service's page, and returns each server's cursor of that app.
 */
async function deepCursors(running: Record<ServerKey, Running>, seeded: Seeded): Promise<Record<ServerKey, string>> {
  const cursors = {} as Record<ServerKey, string>;
  const reference: ReturnType<typeof withoutCursors>[] = [];
  for (const key of SERVER_KEYS) {
    let after: string | null = null;
    for (let from = 0; from < DEEP_POSITION; from += PAGE) {
      const label = `${SERVERS[key].label}, walk at #${from}`;
      const page: Page = await fetchPage(label, running[key].server.endpoint, requestBody(after), lastNameMarker(seeded.names.slice(from, from + PAGE)));
      checkPage(label, page, seeded, from);
      const bare = withoutCursors(page);
      reference[from / PAGE] ??= bare;
      assert(isDeepStrictEqual(bare, reference[from / PAGE]), `${label}: page differs from the service's (fields other than cursors)`);
      after = page.pageInfo.endCursor;
    }
    assert(after, `${SERVERS[key].label}: the walk ended without a cursor`);
    cursors[key] = after;
  }
  return cursors;
}

async function measure(
  running: Running,
  body: string,
  expect: string,
  name: string,
  options: { warmupSeconds: number; durationSeconds: number; tmp: string; ticksPerSecond: number; monitor: pg.Client | null },
): Promise<Measured> {
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

const grouped = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => n.toFixed(2);
const ratio = (n: number) => `${n.toFixed(2)}x`;

function report(results: Record<CaseKey, Record<ServerKey, Measured>>, out: (line?: string) => void): void {
  const cpu = (c: CaseKey, s: ServerKey) => results[c][s].cpuUsPerRequest;
  const rows = CASE_KEYS.flatMap((c) =>
    SERVER_KEYS.map((s) => {
      const { wrk, dbUsPerRequest } = results[c][s];
      return [
        SERVERS[s].label,
        CASES[c].label,
        grouped(wrk.rps),
        ms(wrk.p50Ms),
        ms(wrk.p99Ms),
        grouped(cpu(c, s)),
        dbUsPerRequest === null ? "-" : grouped(dbUsPerRequest),
        ratio(cpu(c, s) / cpu(c, "yoga")),
        ratio(cpu(c, s) / cpu(c, "floor")),
        c === "first" ? "-" : ratio(cpu(c, s) / cpu("first", s)),
      ];
    }),
  );
  out(
    formatTable(
      ["server", "case", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "DB CPU µs/req", "CPU ÷ (b) yoga", "CPU ÷ (a) floor", "deep ÷ first"],
      rows,
    ),
  );
  out();
  // A cache is fair game (the data changes only at collections), but the reader should know which path ran.
  const cached = CASE_KEYS.filter((c) => {
    const service = results[c].service.dbUsPerRequest;
    const floor = results[c].floor.dbUsPerRequest;
    return service !== null && floor !== null && service < CACHED_DB_SHARE * floor;
  });
  out(
    `targets (issue): CPU per request ≤ ${TARGETS.cachedVsYoga}× the yoga baseline from the response cache, ` +
      `≤ ${TARGETS.uncachedVsYoga}× without it; deep ≤ ${TARGETS.deepVsFirst}× first`,
  );
  const verdict = (value: number, target: number) => `${ratio(value)} (target ≤ ${ratio(target)}): ${value <= target ? "met" : "NOT met"}`;
  for (const c of CASE_KEYS) {
    const target = cached.includes(c) ? TARGETS.cachedVsYoga : TARGETS.uncachedVsYoga;
    out(`  service ÷ yoga, ${CASES[c].label}${cached.includes(c) ? " (cached)" : ""}: ${verdict(cpu(c, "service") / cpu(c, "yoga"), target)}`);
  }
  out(`  service deep ÷ first: ${verdict(cpu("deep", "service") / cpu("first", "service"), TARGETS.deepVsFirst)}`);
  if (cached.length > 0) {
    out();
    out(
      `note: on the ${cached.map((c) => CASES[c].label).join(" and the ")} the service did next to no database work while loaded: ` +
        "it answered from a cache, so those rows are the cost of a cache hit",
    );
  }
}

function durationFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DURATION_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`BENCH_DURATION_SECONDS must be a whole number of seconds ≥ 1, got "${value}"`);
  return seconds;
}

interface RunOptions {
  url: string;
  durationSeconds: number;
  profileDir: string | null;
  tmp: string;
  /** Every server started, for the caller to stop whatever happens. */
  started: Running[];
  out: (line?: string) => void;
}

async function run({ url, durationSeconds, profileDir, tmp, started, out }: RunOptions): Promise<void> {
  const seeded = await seed(url);
  const serviceEnv = serviceOverrides();
  const running = await startServers(url, { profileDir, serviceEnv }, started);
  process.stderr.write("checking that the three servers return the same pages\n");
  const cursors = await deepCursors(running, seeded);

  const monitor = new pg.Client({ connectionString: withApplicationName(url, "latest-data-bench") });
  monitor.on("error", (error) => process.stderr.write(`monitoring connection failed: ${error.message}\n`));
  await monitor.connect();
  try {
    const local = await backendIsLocal(monitor);
    const ticksPerSecond = clockTicksPerSecond();
    const warmupSeconds = Math.min(WARMUP_SECONDS, durationSeconds);
    const results = {} as Record<CaseKey, Record<ServerKey, Measured>>;
    for (const c of CASE_KEYS) {
      const from = CASES[c].after;
      const expect = lastNameMarker(seeded.names.slice(from, from + PAGE));
      const bodies = {} as Record<ServerKey, string>;
      const pages: ReturnType<typeof withoutCursors>[] = [];
      for (const s of SERVER_KEYS) {
        bodies[s] = requestBody(from === 0 ? null : cursors[s]);
        const label = `${SERVERS[s].label}, ${CASES[c].label}`;
        const page = await fetchPage(label, running[s].server.endpoint, bodies[s], expect);
        checkPage(label, page, seeded, from);
        pages.push(withoutCursors(page));
        assert(isDeepStrictEqual(pages[0], pages.at(-1)), `${label}: page differs from the service's (fields other than cursors)`);
      }
      results[c] = {} as Record<ServerKey, Measured>;
      for (const s of SERVER_KEYS) {
        process.stderr.write(`loading ${SERVERS[s].label}, ${CASES[c].label}: ${warmupSeconds} s warm-up + ${durationSeconds} s\n`);
        results[c][s] = await measure(running[s], bodies[s], expect, `${s}-${c}`, {
          warmupSeconds,
          durationSeconds,
          tmp,
          ticksPerSecond,
          monitor: local ? monitor : null,
        });
      }
    }

    out(`== latestData over HTTP: ${SERVERS.service.label} vs (b) plain graphql-yoga and (a) node:http, same SQL ==`);
    out(
      `data: 1 host, ${grouped(INITIAL_APPS)} apps, ${SNAPSHOTS + 1} snapshots at 1% churn; page ${PAGE}; ` +
        `deep page = after the app at #${DEEP_POSITION}; all three checked to return the same pages`,
    );
    out(
      `load: wrk -c ${WRK.connections} -t ${WRK.threads}, ${warmupSeconds} s warm-up + ${durationSeconds} s per row; ` +
        `CPU = utime+stime of the server process (/proc, ${ticksPerSecond} ticks/s)` +
        (local ? ", DB CPU = its PostgreSQL backends" : "; PostgreSQL is remote, so no DB CPU"),
    );
    out(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (shared machine: expect noise)`);
    const overrides = Object.entries(serviceEnv).map(([k, v]) => `${k}=${v}`);
    if (overrides.length > 0) out(`service settings from ${SERVICE_ENV_PREFIX}*: ${overrides.join(" ")}`);
    if (profileDir) out(`note: servers ran under --cpu-prof (profiles in ${profileDir}/<server>/, CPU.*.<pid>.0.* is the main thread); CPU numbers are inflated`);
    out();
    report(results, out);
  } finally {
    await monitor.end();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const adminUrl = process.env["BENCH_DATABASE_URL"] ?? DEFAULT_DATABASE_URL;
  const durationSeconds = durationFromEnv(process.env["BENCH_DURATION_SECONDS"]);
  const profileDir = process.env["BENCH_CPU_PROFILE_DIR"] ? resolve(process.env["BENCH_CPU_PROFILE_DIR"]) : null;
  const out = (line = "") => process.stdout.write(`${line}\n`);

  const scratch = await createScratchDatabase(adminUrl);
  process.stderr.write(`scratch database ${scratch.name}\n`);
  const tmp = await mkdtemp(join(tmpdir(), "bench-latest-data-"));
  const servers: Running[] = [];
  let cleaning: Promise<void> | null = null;
  // Servers first: dropping the database under them would make them log connection errors.
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.allSettled(servers.map(({ server }) => server.stop()));
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
    await run({ url: scratch.url, durationSeconds, profileDir, tmp, started: servers, out });
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  out();
  out(`total runtime ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
