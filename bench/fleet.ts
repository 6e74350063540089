/**
 * Fleet benchmark (npm run bench -- fleet): simulated osqueryd agents (test/helpers/agent-simulator)
 * enroll with the service on a scratch PostgreSQL database, report their first inventories
 * (real-sized: hundreds to thousands of apps) and then poll distributed/read every 10 s.
 *
 * Measures, in one run:
 *  - the time until every first inventory is stored, with the server's and the simulator's CPU;
 *  - the steady state at the fleet's own rate (hosts / 10 s check-ins): the agents' p50/p99, server CPU
 *    per check-in, the simulator's own CPU (two interim reports of the simulator, subtracted);
 *  - server CPU per empty check-in under wrk, against a node:http server that looks the node key up in
 *    PostgreSQL (the baseline), in alternating rounds with the same load, counted twice: the node
 *    process alone, and the node process plus its PostgreSQL backends (found by application_name);
 *  - storage per (host, app), indexes included;
 *  - fleet-wide software queries at that size.
 *
 * Size: 1,000 hosts by default (a few minutes). BENCH_FLEET_FULL=1 runs the issue's scale, 10,000 hosts
 * polling every 10 s (1,000 check-ins/s). BENCH_FLEET_HOSTS sets any size; BENCH_FLEET_SIM_PROCESSES,
 * BENCH_FLEET_SIM_CONCURRENCY (requests in flight per simulator process; every host's by default),
 * BENCH_FLEET_RAMP_SECONDS, BENCH_FLEET_STEADY_SECONDS, BENCH_FLEET_WRK_ROUNDS and
 * BENCH_FLEET_WRK_SECONDS tune the phases. AGENT_INVENTORY_CONCURRENCY, DATABASE_POOL_SIZE and
 * LISTEN_SOCKETS, when set, are passed to the service (the run prints them); BENCH_SERVICE_NODE runs it
 * with another node binary (bench/fleet/service.ts). BENCH_CPU_PROFILE_DIR and BENCH_SIM_CPU_PROFILE_DIR write
 * --cpu-prof profiles of the service and of each simulator process. BENCH_FLEET_PROXY=nginx puts nginx
 * in front of the service, as the production layout does (bench/fleet/proxy.ts): the agents connect to
 * it, and its CPU is reported apart; wrk's check-ins still go to the service and the baseline directly.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { backendIsLocal, clockTicksPerSecond, cpuTicks, startChildServer, type ChildServer, type LogLine } from "./latest-data/processes.js";
import { createBackendMeter } from "./fleet/backends.js";
import { startAgentProxy, type AgentProxy } from "./fleet/proxy.js";
import { startFleetService } from "./fleet/service.js";
import { startSimulator, type Simulator } from "./fleet/simulator.js";
import { LISTENING } from "./latest-data/serve-baseline.js";
import { runWrk, wrkFailure } from "./latest-data/wrk.js";
import { formatTable, percentile } from "./measure.js";
import { benchMain } from "./scratch-database.js";
import { reportBetween, type StatsReport } from "../test/helpers/agent-simulator/stats.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const env = (name: string, fallback: number) => {
  const value = process.env[`BENCH_FLEET_${name}`];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCH_FLEET_${name} must be a positive number, got ${value}`);
  return n;
};
const FULL = process.env["BENCH_FLEET_FULL"] === "1";
const HOSTS = env("HOSTS", FULL ? 10_000 : 1000);
// ulimit -n and one event loop per process: each simulated host keeps up to three connections.
const SIM_PROCESSES = env("SIM_PROCESSES", Math.max(2, Math.ceil(HOSTS / 2500)));
// Requests in flight per simulator process: every host's three lanes at once. osqueryd's threads each
// wait only for their own requests; the simulator's default cap (256 per process) made hosts queue
// behind each other's: during the ramp an answer to a hand-out waited seconds in the simulator before
// it was sent, which a real fleet does not do.
const SIM_CONCURRENCY = env("SIM_CONCURRENCY", Math.ceil(HOSTS / SIM_PROCESSES) * 3);
const RAMP_S = env("RAMP_SECONDS", Math.min(60, Math.max(20, Math.ceil(HOSTS / 150))));
const STEADY_S = env("STEADY_SECONDS", FULL ? 60 : 40);
const WRK_ROUNDS = env("WRK_ROUNDS", 5);
const WRK_SECONDS = env("WRK_SECONDS", 5);
const INVENTORY_TIMEOUT_S = FULL ? 1800 : 600;
const QUERY_SAMPLES = HOSTS > 2000 ? 3 : 7;
const SECRET = "bench-fleet-enroll-secret-0001";
const INTERVAL_S = 10;
const PROXY = process.env["BENCH_FLEET_PROXY"] ?? "";
if (PROXY !== "" && PROXY !== "nginx") throw new Error(`BENCH_FLEET_PROXY must be nginx or unset, got ${PROXY}`);

const serviceKnobs = Object.fromEntries(
  ["AGENT_INVENTORY_CONCURRENCY", "DATABASE_POOL_SIZE", "LISTEN_SOCKETS", "LOG_LEVEL"].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withApplicationName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return parsed.toString();
}

/** CPU of a node process and of its PostgreSQL backends, in seconds, between start() and the call it returns. */
/** The machine's busy CPU ticks (user, nice, system, irq, softirq, steal) since boot, from /proc/stat. */
async function machineTicks(): Promise<{ busy: number }> {
  const line = (await readFile("/proc/stat", "utf8")).split("\n")[0]!;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq + steal };
}

async function cpuMeter(server: ChildServer, monitor: pg.Client, applicationName: string, countBackends: boolean) {
  const ticks = clockTicksPerSecond();
  const node0 = await cpuTicks(server.pid);
  const backends = countBackends ? createBackendMeter(monitor, applicationName) : null;
  return async () => {
    const node = ((await cpuTicks(server.pid)) - node0) / ticks;
    const db = backends ? (await backends.stop()) / ticks : null;
    return { node, db };
  };
}

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

benchMain(async (databaseUrl, out) => {
  const dir = await mkdtemp(join(tmpdir(), "osqinv-bench-fleet-"));
  await writeFile(join(dir, "secret"), `${SECRET}\n`);
  const monitor = new pg.Client({ connectionString: databaseUrl });
  await monitor.connect();
  // PostgreSQL's own CPU is read from /proc: only when its backends run on this machine.
  const countBackends = await backendIsLocal(monitor);
  const analyzer = await startAnalyzer(databaseUrl, monitor);
  const childEnv = { PATH: process.env["PATH"] ?? "", NODE_ENV: "production" };
  const service = await startFleetService(withApplicationName(databaseUrl, "fleet-service"), SECRET, {
    ...childEnv,
    AGENT_DISTRIBUTED_INTERVAL_SECONDS: String(INTERVAL_S),
    RESPONSE_CACHE_TTL_SECONDS: "0",
    ...serviceKnobs,
  });
  const { origin } = service;
  let simulator: Simulator | undefined;
  let proxy: AgentProxy | undefined;
  try {
    if (PROXY === "nginx") proxy = await startAgentProxy(origin, dir);
    const proxyTicks = proxy ? await proxy.ticks() : 0;
    const proxySeconds = async () => (proxy ? ((await proxy.ticks()) - proxyTicks) / clockTicksPerSecond() : 0);
    out(`== fleet: ${fmt(HOSTS, 0)} simulated hosts over ${SIM_PROCESSES} simulator processes (at most ${fmt(SIM_CONCURRENCY, 0)} requests in flight each), distributed_interval ${INTERVAL_S} s (${fmt(HOSTS / INTERVAL_S, 0)} check-ins/s), PostgreSQL`);
    if (analyzer) out(`autovacuum is off on this server: the bench runs ANALYZE every ${ANALYZE_EVERY_S} s in its place, so plans follow the tables as they grow`);
    out(`service: ${service.runtime}`);
    if (Object.keys(serviceKnobs).length > 0) out(`service settings: ${Object.entries(serviceKnobs).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    if (proxy) out(`agents connect to nginx at ${proxy.origin}, which forwards to the service at ${origin} (the production layout's settings, without TLS)`);
    out(`PostgreSQL's own CPU: ${countBackends ? "counted where marked (+ pg), from /proc of the backends serving each server" : "not counted (the database runs elsewhere)"}`);

    // ---- first inventories
    const inventoryCpu = await cpuMeter(service, monitor, "fleet-service", countBackends);
    const started = performance.now();
    simulator = startSimulator({
      url: proxy?.origin ?? origin,
      secretFile: join(dir, "secret"),
      hosts: HOSTS,
      processes: SIM_PROCESSES,
      durationSeconds: INVENTORY_TIMEOUT_S + 1200,
      distributedIntervalSeconds: INTERVAL_S,
      rampUpSeconds: RAMP_S,
      args: ["--host-identifier", "uuid", "--logger-tls-period", "60", "--concurrency", String(SIM_CONCURRENCY)],
    });
    let storedAt = 0;
    let stored = 0;
    let lastProgress = started;
    let progressCpu = { machine: await machineTicks(), service: await cpuTicks(service.pid) };
    while (performance.now() - started < INVENTORY_TIMEOUT_S * 1000) {
      const { rows } = await monitor.query<{ n: number }>("SELECT count(DISTINCT host_id)::int AS n FROM snapshots WHERE status = 'SUCCEEDED'");
      stored = rows[0]!.n;
      if (stored >= HOSTS) {
        storedAt = performance.now() - started;
        break;
      }
      if (performance.now() - lastProgress > 15_000) {
        const seconds = (performance.now() - lastProgress) / 1000;
        lastProgress = performance.now();
        // Where the hosts still without an inventory are: never handed one, or handed one not yet answered.
        const { rows: waiting } = await monitor.query<{ never: number; out: number }>(
          `SELECT count(*) FILTER (WHERE inventory_sent_at IS NULL)::int AS never, count(*) FILTER (WHERE inventory_batch IS NOT NULL)::int AS out
             FROM hosts h WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.host_id = h.id AND s.status = 'SUCCEEDED')`,
        );
        const cpu = { machine: await machineTicks(), service: await cpuTicks(service.pid) };
        const share = (ticks: number) => `${Math.round((100 * ticks) / clockTicksPerSecond() / seconds)}%`;
        process.stderr.write(
          `first inventories: ${stored}/${HOSTS} after ${((lastProgress - started) / 1000).toFixed(0)} s; enrolled without one: ${waiting[0]!.never} never handed out, ` +
            `${waiting[0]!.out} awaiting an answer; CPU over the last ${seconds.toFixed(0)} s: machine ${share(cpu.machine.busy - progressCpu.machine.busy)} of ${cpus().length} cores, service ${share(cpu.service - progressCpu.service)}\n`,
        );
        progressCpu = cpu;
      }
      await sleep(500);
    }
    if (stored < HOSTS) throw new Error(`only ${stored} of ${HOSTS} first inventories were stored within ${INVENTORY_TIMEOUT_S} s`);
    const logFile = process.env["BENCH_FLEET_SERVICE_LOG"];
    if (logFile) await writeFile(logFile, service.logs.map((line) => JSON.stringify(line)).join("\n") + "\n");
    const inventory = await inventoryCpu();
    const inventoryProxy = await proxySeconds();
    const atInventories = await simulator.interim();
    const { rows: failedRows } = await monitor.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots WHERE status = 'FAILED'");
    out(
      `first inventories: ${fmt(stored, 0)}/${fmt(HOSTS, 0)} stored ${fmt(storedAt / 1000)} s after the first host started (hosts start over ${RAMP_S} s; ${failedRows[0]!.n} failed snapshots); ` +
        `server CPU ${fmt(inventory.node)} s${inventory.db === null ? "" : ` + its PostgreSQL backends ${fmt(inventory.db)} s`}; ` +
        `${proxy ? `nginx CPU ${fmt(inventoryProxy)} s; ` : ""}simulator CPU ${fmt((atInventories.cpu.userMs + atInventories.cpu.systemMs) / 1000)} s`,
    );

    // ---- steady state: every inventory is in; the agents poll at the fleet's rate (empty check-ins, logs)
    const steadyCpu = await cpuMeter(service, monitor, "fleet-service", countBackends);
    const steadyStart = await simulator.interim();
    const steadyProxy0 = await proxySeconds();
    await sleep(STEADY_S * 1000);
    const steadyEnd = (await simulator.interim()) as StatsReport & { loopDelayMs?: { p99: number; max: number } };
    const steady = await steadyCpu();
    const steadyProxy = (await proxySeconds()) - steadyProxy0;
    const window = reportBetween(steadyStart, steadyEnd);
    const report = await simulator.stop();
    simulator = undefined;
    const windowSeconds = window.wallMs / 1000;
    const windowRequests = Object.values(window.requests).reduce((a, b) => a + b, 0);
    const read = window.latencyMs.distributed_read;
    const simSteady = (window.cpu.userMs + window.cpu.systemMs) / 1000;
    const simTotal = (report.cpu.userMs + report.cpu.systemMs) / 1000;
    const windowFailures = Object.values(window.failures).reduce((a, b) => a + b, 0) + Object.values(window.transportErrors).reduce((a, b) => a + b, 0);

    // ---- CPU per empty check-in: the service against the baseline, with wrk and one enrolled key
    // The burst left PostgreSQL with hundreds of megabytes of dirty pages, which its checkpointer would
    // otherwise write out during the rounds below, beside the servers they measure.
    const checkpoint = await monitor.query("CHECKPOINT").then(
      () => null,
      (error: unknown) => (error as Error).message,
    );
    if (checkpoint !== null) out(`(CHECKPOINT before the check-in rounds failed: ${checkpoint}; the burst's writes may overlap them)`);
    const key = await enrollOne(origin);
    const body = JSON.stringify({ node_key: key });
    const baseline = await startChildServer({
      label: "baseline",
      // The same Node as the service's, so the ratio compares handlers, not runtimes.
      ...(process.env["BENCH_SERVICE_NODE"] ? { node: process.env["BENCH_SERVICE_NODE"] } : {}),
      nodeArgs: ["--import", "tsx", "bench/fleet/serve-checkin-baseline.ts"],
      cwd: ROOT,
      env: { ...childEnv, DATABASE_URL: withApplicationName(databaseUrl, "fleet-baseline") },
      listening: LISTENING,
      timeoutMs: 60_000,
    });
    const servers = [
      { label: "service", server: service, applicationName: "fleet-service", url: `${origin}/api/osquery/distributed/read` },
      { label: "node:http + pg lookup (baseline)", server: baseline, applicationName: "fleet-baseline", url: baseline.endpoint.replace(/\/graphql$/, "/api/osquery/distributed/read") },
    ];
    const rounds = servers.map(() => ({ node: [] as number[], total: [] as number[], rps: [] as number[], p99: [] as number[] }));
    try {
      for (const { label, url } of servers) {
        // Warm-up: JIT, the pool's connections, the node key cache.
        const warm = await runWrk({ url, body, expect: '"queries":{}', connections: 10, threads: 1, durationSeconds: 2, dir, name: "warmup" });
        const failure = wrkFailure(warm);
        if (failure) throw new Error(`${label} warm-up: ${failure}`);
      }
      // Rounds alternate between the servers so a neighbour's burst on this shared machine hits both.
      for (let round = 0; round < WRK_ROUNDS; round++) {
        for (const [i, { label, server, applicationName, url }] of servers.entries()) {
          const meter = await cpuMeter(server, monitor, applicationName, countBackends);
          const result = await runWrk({ url, body, expect: '"queries":{}', connections: 10, threads: 1, durationSeconds: WRK_SECONDS, dir, name: `round-${i}` });
          const cpu = await meter();
          const failure = wrkFailure(result);
          if (failure) throw new Error(`${label}: ${failure}`);
          rounds[i]!.node.push((cpu.node * 1e6) / result.requests);
          rounds[i]!.total.push(((cpu.node + (cpu.db ?? 0)) * 1e6) / result.requests);
          rounds[i]!.rps.push(result.rps);
          rounds[i]!.p99.push(result.p99Ms);
        }
      }
    } finally {
      await baseline.stop();
    }
    const median = (values: number[]) => percentile(values, 50);
    const [svc, base] = rounds.map((r) => ({ node: median(r.node), total: median(r.total), rps: median(r.rps), p99: median(r.p99), spread: [Math.min(...r.node), Math.max(...r.node)] }));
    const nodeRatio = svc!.node / base!.node;
    const totalRatio = svc!.total / base!.total;
    const cpuRows = servers.map(({ label }, i) => {
      const r = [svc, base][i]!;
      return [
        label,
        fmt(r.rps, 0),
        r.p99.toFixed(2),
        fmt(r.node),
        `${fmt(r.spread[0]!)}–${fmt(r.spread[1]!)}`,
        `${(r.node / base!.node).toFixed(2)}×`,
        ...(countBackends ? [fmt(r.total), `${(r.total / base!.total).toFixed(2)}×`] : []),
      ];
    });

    // ---- storage and fleet-wide queries
    // Everything stored per (host, app): the apps links and the shared software catalog, indexes included,
    // after the VACUUM autovacuum would run (the folded count changes leave dead rows behind).
    const catalog = ["apps", "software", "software_versions", "software_titles", "software_title_hosts", "software_version_hosts", "software_count_changes"];
    await monitor.query(`VACUUM ANALYZE ${catalog.join(", ")}`);
    const { rows: size } = await monitor.query<{ bytes: string; rows: string }>(
      `SELECT (${catalog.map((t) => `pg_total_relation_size('${t}')`).join(" + ")})::text AS bytes, (SELECT count(*) FROM apps)::text AS rows`,
    );
    const perApp = Number(size[0]!.bytes) / Number(size[0]!.rows);
    const { rows: relations } = await monitor.query<{ relation: string; rows: string; heap: string; indexes: string }>(
      `SELECT c.relname AS relation, c.reltuples::bigint::text AS rows, pg_relation_size(c.oid)::text AS heap, pg_indexes_size(c.oid)::text AS indexes
       FROM pg_class c WHERE c.relname = ANY($1) ORDER BY c.relname`,
      [catalog],
    );
    const timings: string[][] = [];
    for (const [label, query] of [
      ["software(first: 100)", "{ software(first: 100) { totalCount edges { node { name hostCount versions { version hostCount } } } } }"],
      ["software(filter: nameContains \"lib\")", '{ software(first: 100, filter: { nameContains: "lib" }) { totalCount edges { node { name hostCount } } } }'],
      ["softwareHosts(name: \"bash\")", '{ softwareHosts(name: "bash", first: 100) { totalCount edges { node { hostname } } } }'],
      ["hosts(first: 100)", "{ hosts(first: 100) { totalCount edges { node { hostname online latestSucceededSnapshot { appCount } } } } }"],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < QUERY_SAMPLES; i++) {
        const t = performance.now();
        const response = await fetch(service.endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
        const json = (await response.json()) as { errors?: unknown };
        if (json.errors) throw new Error(`${label}: ${JSON.stringify(json.errors)}`);
        samples.push(performance.now() - t);
      }
      timings.push([label, percentile(samples, 50).toFixed(1), percentile(samples, 95).toFixed(1)]);
    }

    out();
    out(`steady state, ${fmt(windowSeconds)} s at the fleet's rate once every inventory was stored:`);
    out(`  agents' distributed/read: ${fmt(window.requests.distributed_read, 0)} (${fmt(window.requests.distributed_read / windowSeconds, 0)}/s), p50 ${read.p50} ms, p99 ${read.p99} ms, max ${read.max} ms; all requests ${fmt(windowRequests, 0)}, failed ${windowFailures}`);
    out(
      `  server CPU ${fmt(steady.node)} s (${fmt((steady.node / windowSeconds) * 100, 0)}% of a core) = ${fmt((steady.node * 1e6) / windowRequests)} µs per request` +
        (steady.db === null ? "" : `; its PostgreSQL backends ${fmt(steady.db)} s`),
    );
    if (proxy) out(`  nginx CPU ${fmt(steadyProxy)} s (${fmt((steadyProxy / windowSeconds) * 100, 0)}% of a core) = ${fmt((steadyProxy * 1e6) / windowRequests)} µs per request`);
    if (steadyEnd.loopDelayMs) {
      out(`  the simulator's own event-loop delay (worst of its processes), part of the agents' latency: p99 ${steadyEnd.loopDelayMs.p99} ms, max ${steadyEnd.loopDelayMs.max} ms`);
    }
    out(`  simulator CPU ${fmt(simSteady)} s (${fmt((simSteady / windowSeconds) * 100, 0)}% of a core) = ${fmt((simSteady * 1e6) / windowRequests)} µs per request`);
    out(`whole run: simulator CPU ${fmt(simTotal)} s for ${fmt(Object.values(report.requests).reduce((a, b) => a + b, 0), 0)} requests; failures ${JSON.stringify(report.failures)}; transport errors ${JSON.stringify(report.transportErrors)}, by kind ${JSON.stringify(report.transportErrorKinds)}`);
    out(`the service's warnings and errors: ${serviceTroubles(service.logs)}`);
    out();
    out(`empty check-ins (distributed/read) under wrk, 10 connections, ${WRK_ROUNDS} alternating rounds of ${WRK_SECONDS} s, medians:`);
    out(
      formatTable(
        ["server", "req/s", "p99 ms", "CPU µs/check-in", "rounds", "÷ baseline", ...(countBackends ? ["+ pg µs/check-in", "÷ baseline"] : [])],
        cpuRows,
      ),
    );
    out();
    out(formatTable(["relation", "rows (estimate)", "heap MB", "indexes MB"], relations.map((r) => [r.relation, r.rows, (Number(r.heap) / 1e6).toFixed(1), (Number(r.indexes) / 1e6).toFixed(1)])));
    out(`storage: ${fmt(Number(size[0]!.rows), 0)} (host, app) rows, ${fmt(Number(size[0]!.bytes) / 1e6)} MB with indexes = ${perApp.toFixed(0)} bytes per (host, app) (target ≤ 150)`);
    out();
    out(`fleet-wide queries over HTTP (response cache off), ${QUERY_SAMPLES} samples, ms:`);
    out(formatTable(["query", "median", "p95"], timings));
    out();
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    out("targets:");
    out(`  CPU per empty check-in ≤ 0.5× baseline: node process ${nodeRatio.toFixed(2)}× ${verdict(nodeRatio <= 0.5)}${countBackends ? `; with PostgreSQL's CPU on both sides ${totalRatio.toFixed(2)}× ${verdict(totalRatio <= 0.5)}` : ""}`);
    out(`  p99 ≤ 50 ms at ${fmt(HOSTS / INTERVAL_S, 0)} check-ins/s: ${read.p99} ms ${verdict(read.p99 <= 50)}${HOSTS < 10_000 ? " (below the issue's 1,000/s: BENCH_FLEET_FULL=1)" : ""}`);
    out(`  all first inventories within 5 minutes: ${fmt(storedAt / 1000)} s ${verdict(storedAt <= 300_000)}${HOSTS < 10_000 ? ` (for ${fmt(HOSTS, 0)} hosts, not 10,000)` : ""}`);
    out(`  storage ≤ 150 bytes per (host, app): ${perApp.toFixed(0)} ${verdict(perApp <= 150)}`);
  } finally {
    await analyzer?.stop();
    if (simulator) await simulator.stop().catch(() => undefined);
    await proxy?.stop();
    await service.stop();
    await monitor.end();
    await rm(dir, { recursive: true, force: true });
  }
});

/** Log lines at warn or above (and any that is not JSON), counted by message, most frequent first. */
function serviceTroubles(logs: readonly LogLine[]): string {
  const counts = new Map<string, number>();
  for (const line of logs) {
    if (line["level"] !== undefined && !["warn", "error", "fatal"].includes(String(line["level"]))) continue;
    const err = line["err"] as { code?: unknown; message?: unknown } | undefined;
    const key = `${String(line.msg)}${err ? ` (${String(err.code ?? err.message ?? "").slice(0, 80)})` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size === 0 ? "none" : [...counts].sort((a, b) => b[1] - a[1]).map(([msg, n]) => `${fmt(n, 0)} × ${msg}`).join("; ");
}

const ANALYZE_EVERY_S = 15;

/**
 * With autovacuum off (this machine's CI server has it off), nothing ever ANALYZEs the scratch
 * database: PostgreSQL plans for the empty tables it started with while `apps` grows to millions of
 * rows, and a run measures that, not the service (PostgreSQL's CPU per first inventory went from 14
 * to 40 ms). In autovacuum's place, ANALYZE every ANALYZE_EVERY_S seconds on a session of its own (its
 * CPU, as autovacuum's, is not counted as the service's). Null when autovacuum is on.
 */
async function startAnalyzer(databaseUrl: string, monitor: pg.Client): Promise<{ stop(): Promise<void> } | null> {
  const { rows } = await monitor.query<{ autovacuum: string }>("SHOW autovacuum");
  if (rows[0]?.autovacuum !== "off") return null;
  const client = new pg.Client({ connectionString: withApplicationName(databaseUrl, "fleet-bench-analyze") });
  await client.connect();
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => client.query("ANALYZE")).catch((error: unknown) => process.stderr.write(`ANALYZE failed: ${String(error)}\n`));
  }, ANALYZE_EVERY_S * 1000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await client.end();
    },
  };
}

/** One more enrolled host for wrk's check-ins, enrolled as an agent would. */
async function enrollOne(origin: string): Promise<string> {
  const response = await fetch(`${origin}/api/osquery/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      enroll_secret: SECRET,
      host_identifier: "bench-wrk",
      platform_type: "9",
      host_details: { system_info: { hostname: "bench-wrk", uuid: "0b0b0b0b-0000-4000-8000-000000000001" }, os_version: { platform: "ubuntu", platform_like: "debian", name: "Ubuntu", version: "22.04" }, osquery_info: { version: "5.23.1" } },
    }),
  });
  const { node_key: key } = (await response.json()) as { node_key?: string };
  if (!key) throw new Error("enrollment for wrk failed");
  // The first read hands the inventory out and the second hands the same batch out again (an agent that
  // polls without answering lost it); every later one is an empty check-in.
  for (let i = 0; i < 2; i++) await fetch(`${origin}/api/osquery/distributed/read`, { method: "POST", body: JSON.stringify({ node_key: key }) });
  return key;
}
