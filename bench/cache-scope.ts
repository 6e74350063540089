/**
 * Response cache under a reporting fleet (npm run bench -- cache-scope): simulated agents enroll with
 * the service on a scratch PostgreSQL database; then every second the bench asks another host for a
 * fresh inventory (collectSnapshot), so a snapshot lands somewhere in the fleet about every second.
 * Meanwhile a client reads pages of a few named hosts' apps (host-scoped reads) and fleet-wide pages of
 * software titles, each about once a second, as dashboards would.
 *
 * A read is a hit when its ETag is the one the same read got before: the cache hands out a new ETag
 * whenever it stores a response again. Target: ≥ 90% hits for the host-scoped reads while other hosts
 * report. The fleet-wide reads show what every read got before responses were scoped by host: any
 * snapshot anywhere drops them.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startFleetService } from "./fleet/service.js";
import { assert, formatTable } from "./measure.js";
import { benchMain } from "./scratch-database.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOSTS = Number(process.env["BENCH_CACHE_HOSTS"] ?? 30);
const READ_SECONDS = Number(process.env["BENCH_CACHE_SECONDS"] ?? 60);
const SECRET = "bench-cache-scope-secret-0001";
const READ_HOSTS = 4;
const PAGES = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

benchMain(async (databaseUrl, out) => {
  const dir = await mkdtemp(join(tmpdir(), "osqinv-bench-cache-"));
  await writeFile(join(dir, "secret"), `${SECRET}\n`);
  const db = new pg.Client({ connectionString: databaseUrl });
  // The scratch database is dropped with FORCE when the run ends, however it ends.
  db.on("error", () => {});
  await db.connect();
  const service = await startFleetService(databaseUrl, SECRET, {
    AGENT_DISTRIBUTED_INTERVAL_SECONDS: "2",
    // No scheduled refresh during the run: the bench asks for them, one a second.
    AGENT_INVENTORY_INTERVAL_SECONDS: "86400",
    COLLECT_RATE_PER_MINUTE: "600",
    RESPONSE_CACHE_TTL_SECONDS: "600",
  });
  const { origin } = service;
  const simulator = spawn(
    process.execPath,
    [
      "--import", "tsx", "test/helpers/agent-simulator/cli.ts",
      "--url", origin, "--enroll-secret-file", join(dir, "secret"), "--hosts", String(HOSTS), "--processes", "1",
      "--duration", String(READ_SECONDS + 120), "--distributed-interval", "2", "--ramp-up", "5", "--host-identifier", "uuid", "--churn", "0.01",
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  const post = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(service.endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return { etag: response.headers.get("etag"), data: body.data! };
  };
  try {
    // Every host's first inventory, before reading.
    for (;;) {
      const { rows } = await db.query<{ n: number }>("SELECT count(DISTINCT host_id)::int AS n FROM snapshots WHERE status = 'SUCCEEDED'");
      if (rows[0]!.n >= HOSTS) break;
      await sleep(1000);
    }
    const { data } = await post("{ hosts(first: 100) { edges { node { id } } } }", {});
    const allHosts = (data["hosts"] as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);
    const hostIds = allHosts.slice(0, READ_HOSTS);
    const others = allHosts.slice(READ_HOSTS);
    assert(hostIds.length === READ_HOSTS && others.length > 0, "not enough hosts");

    // The reads: pages of apps of a few named hosts, and pages of the fleet's software titles.
    const appsQuery = `query ($hostId: ID!, $after: String) { latestData(hostId: $hostId, first: 50, after: $after) {
      pageInfo { endCursor } edges { node { name version } } } }`;
    const titlesQuery = `query ($after: String) { software(first: 50, after: $after) { pageInfo { endCursor } edges { node { name hostCount } } } }`;
    const reads: { kind: "host" | "fleet"; query: string; variables: Record<string, unknown> }[] = [];
    for (const hostId of hostIds) {
      let after: string | null = null;
      for (let page = 0; page < PAGES; page++) {
        reads.push({ kind: "host", query: appsQuery, variables: { hostId, after } });
        const result = await post(appsQuery, { hostId, after });
        after = (result.data["latestData"] as { pageInfo: { endCursor: string | null } }).pageInfo.endCursor;
      }
    }
    let titlesAfter: string | null = null;
    for (let page = 0; page < PAGES; page++) {
      reads.push({ kind: "fleet", query: titlesQuery, variables: { after: titlesAfter } });
      titlesAfter = ((await post(titlesQuery, { after: titlesAfter })).data["software"] as { pageInfo: { endCursor: string | null } }).pageInfo.endCursor;
    }

    const [{ n: snapshotsBefore }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots")).rows as [{ n: number }];
    const last = new Map<number, string | null>();
    const counts = { host: { hits: 0, reads: 0 }, fleet: { hits: 0, reads: 0 } };
    const until = performance.now() + READ_SECONDS * 1000;
    // Another host's refresh every second; each answer arrives at that agent's next check-in.
    const collect = "mutation ($hostId: ID) { collectSnapshot(hostId: $hostId) { id } }";
    const refreshing: Promise<unknown>[] = [];
    const refresher = setInterval(() => {
      const hostId = others[refreshing.length % others.length]!;
      refreshing.push(post(collect, { hostId }).catch(() => undefined));
    }, 1000);
    try {
      while (performance.now() < until) {
        const round = performance.now();
        for (const [i, read] of reads.entries()) {
          const { etag } = await post(read.query, read.variables);
          const count = counts[read.kind];
          count.reads++;
          if (etag !== null && last.get(i) === etag) count.hits++;
          last.set(i, etag);
        }
        // Each read about once a second.
        await sleep(Math.max(0, 1000 - (performance.now() - round)));
      }
    } finally {
      clearInterval(refresher);
      await Promise.all(refreshing);
    }
    const [{ n: snapshotsAfter }] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots")).rows as [{ n: number }];
    const landed = snapshotsAfter - snapshotsBefore;

    out(`== cache-scope: ${HOSTS} simulated hosts, ${landed} snapshots landed in ${READ_SECONDS} s (${(landed / READ_SECONDS).toFixed(2)}/s) while reading`);
    const rate = (c: { hits: number; reads: number }) => (c.reads === 0 ? 0 : c.hits / c.reads);
    out(
      formatTable(
        ["reads", "keys", "requests", "hits", "hit rate"],
        [
          [`latestData(hostId) pages of ${READ_HOSTS} hosts`, String(READ_HOSTS * PAGES), String(counts.host.reads), String(counts.host.hits), `${(100 * rate(counts.host)).toFixed(1)}%`],
          ["software pages (fleet-wide)", String(PAGES), String(counts.fleet.reads), String(counts.fleet.hits), `${(100 * rate(counts.fleet)).toFixed(1)}%`],
        ],
      ),
    );
    out(`target: host-scoped hit rate ≥ 90% with snapshots landing on other hosts: ${rate(counts.host) >= 0.9 ? "met" : "NOT met"}`);
  } finally {
    simulator.kill("SIGTERM");
    await service.stop();
    await db.end();
    await rm(dir, { recursive: true, force: true });
  }
});
