/**
 * First inventories (npm run bench -- first-inventories): how fast the service stores the first
 * inventories of a fleet, without the polling load of `fleet`. Simulated agents
 * (test/helpers/agent-simulator) enroll with the service on a scratch PostgreSQL database; then each
 * runs one distributed cycle (read the inventory statements, answer them, write), with a fixed number
 * of agents in flight. Measured over the cycles: hosts stored per second, the service's CPU and its
 * PostgreSQL backends' CPU per inventory, and the simulator's own CPU (this process) per inventory.
 *
 *   BENCH_FIRST_HOSTS        hosts (default 600)
 *   BENCH_FIRST_CONCURRENCY  agents in their cycle at once (default 16)
 *   BENCH_CPU_PROFILE_DIR    write a --cpu-prof profile of the service there
 *   BENCH_FIRST_EXPLAIN=1    log every statement's plan, timings and triggers (auto_explain) to the
 *                            PostgreSQL server's log; slows everything, for finding where the time goes
 */
import pg from "pg";
import { createFleet, createLimiter } from "../test/helpers/agent-simulator/index.js";
import { backendIsLocal, clockTicksPerSecond, cpuTicks } from "./latest-data/processes.js";
import { startFleetService } from "./fleet/service.js";
import { createBackendMeter } from "./fleet/backends.js";
import { formatTable } from "./measure.js";
import { benchMain } from "./scratch-database.js";

const positive = (name: string, fallback: number) => {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${value}`);
  return n;
};
const HOSTS = positive("BENCH_FIRST_HOSTS", 600);
const CONCURRENCY = positive("BENCH_FIRST_CONCURRENCY", 16);
const SECRET = "bench-first-inventories-secret-01";
const APPLICATION = "first-inventories";

benchMain(async (databaseUrl, out) => {
  const monitor = new pg.Client({ connectionString: databaseUrl });
  // Dropping the scratch database at the end terminates this connection.
  monitor.on("error", () => undefined);
  await monitor.connect();
  const countBackends = await backendIsLocal(monitor);
  if (process.env["BENCH_FIRST_EXPLAIN"] === "1") {
    const name = new URL(databaseUrl).pathname.slice(1);
    for (const setting of ["session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0", "auto_explain.log_analyze = on", "auto_explain.log_triggers = on", "auto_explain.log_timing = off"])
      await monitor.query(`ALTER DATABASE "${name}" SET ${setting}`);
  }
  const url = new URL(databaseUrl);
  url.searchParams.set("application_name", APPLICATION);
  const service = await startFleetService(url.toString(), SECRET, { NODE_ENV: "production", RESPONSE_CACHE_TTL_SECONDS: "0" });
  try {
    const fleet = createFleet({ url: service.origin, hosts: HOSTS, seed: 7, concurrency: 4 * CONCURRENCY, agent: { enrollSecret: SECRET, hostIdentifier: "uuid" } });
    const limit = createLimiter(CONCURRENCY);
    await Promise.all(fleet.agents.map((agent) => limit(() => agent.enroll())));
    const rows = fleet.hosts.reduce((sum, host) => sum + host.truthOf(host.softwareTable).length, 0);
    out(`== first inventories: ${HOSTS.toLocaleString("en-US")} simulated hosts (${rows.toLocaleString("en-US")} software rows), ${CONCURRENCY} in flight, PostgreSQL`);

    const ticks = clockTicksPerSecond();
    const results: string[][] = [];
    let warm = 0;
    // The first half's hosts bring most of the fleet's software into the catalog; the second half's
    // find most of theirs there, as nearly every host of a real fleet does.
    const half = Math.ceil(HOSTS / 2);
    for (const [label, agents] of [
      ["first half (catalog filling)", fleet.agents.slice(0, half)],
      ["second half (catalog warm)", fleet.agents.slice(half)],
    ] as const) {
      const node0 = await cpuTicks(service.pid);
      const backends = countBackends ? createBackendMeter(monitor, APPLICATION) : null;
      const own0 = process.cpuUsage();
      const started = performance.now();
      await Promise.all(agents.map((agent) => limit(() => agent.distributedCycle())));
      const wall = (performance.now() - started) / 1000;
      const own = process.cpuUsage(own0);
      const node = ((await cpuTicks(service.pid)) - node0) / ticks;
      const db = backends ? (await backends.stop()) / ticks : null;
      const n = agents.length;
      const ms = (seconds: number) => ((seconds * 1000) / n).toFixed(2);
      warm = ((node + (db ?? 0)) * 1000) / n;
      results.push([label, String(n), (n / wall).toFixed(1), ms(node), db === null ? "n/a" : ms(db), ms((own.user + own.system) / 1e6), wall.toFixed(1)]);
    }
    const { rows: stored } = await monitor.query<{ n: number; failed: number }>(
      "SELECT count(*) FILTER (WHERE status = 'SUCCEEDED')::int AS n, count(*) FILTER (WHERE status = 'FAILED')::int AS failed FROM snapshots",
    );
    if (stored[0]!.n !== HOSTS) throw new Error(`${stored[0]!.n} of ${HOSTS} inventories stored (${stored[0]!.failed} failed)`);
    out(formatTable(["hosts", "n", "inventories/s", "service ms CPU/inv", "PostgreSQL ms CPU/inv", "simulator ms CPU/inv", "wall s"], results));
    out(
      `warm catalog: one core of service + PostgreSQL CPU stores ${(1000 / warm).toFixed(1)} inventories/s ` +
        "(10,000 within 300 s on two cores shared with the agents needs well over 33/s)",
    );
    await fleet.stop();
  } finally {
    await service.stop();
    await monitor.end();
  }
});
