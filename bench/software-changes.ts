/**
 * "Which hosts changed this app in the last N days" at fleet size (npm run bench -- software-changes):
 * softwareChanges against softwareHosts (the hosts of the same app, read from the same apps link table)
 * as the baseline, through the GraphQL schema in-process, on a scratch PostgreSQL database.
 *
 * The fleet is written with SQL, not collected: BENCH_CHANGES_HOSTS hosts (default 10,000), each with
 * BENCH_CHANGES_APPS other apps (default 200) and a history of curl: 7.0 80 days ago, 7.1 from 40 days
 * ago, then in the last 7 days 30% of the hosts upgrade to 7.2 and 5% remove it.
 */
import { fileURLToPath } from "node:url";
import { createContext } from "../src/context.js";
import { openDatabase } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrate.js";
import { createPubSub } from "../src/events/pubsub.js";
import { createLogger } from "../src/logger.js";
import { schema } from "../src/schema/index.js";
import { createServer } from "../src/server/server.js";
import type { Collector } from "../src/sources/local/collector.js";
import { createInventoryStore } from "../src/store/inventory-store.js";
import { assert, formatTable, graphqlClient, timeIt, type Timing } from "./measure.js";
import { benchMain, withConnection } from "./scratch-database.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const env = (name: string, fallback: number) => {
  const value = Number(process.env[`BENCH_CHANGES_${name}`] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`BENCH_CHANGES_${name} must be a positive integer`);
  return value;
};
const HOSTS = env("HOSTS", 10_000);
const APPS = env("APPS", 200);
const TITLES = 2000;
const TIMING = { warmups: 2, iterations: 15 };

/** The fleet in SQL: hosts, three snapshots each, the catalog, and the apps links. */
const BUILD = `
INSERT INTO hosts (hostname, platform, updated_at) SELECT 'host-' || h, 'ubuntu', now() FROM generate_series(1, ${HOSTS}) h;
CREATE TABLE bench_snapshots AS
  SELECT h AS host_id, k, date_trunc('milliseconds', CASE k WHEN 1 THEN now() - interval '80 days' WHEN 2 THEN now() - interval '40 days'
    ELSE now() - (h % 600) * interval '15 minutes' END) + h * interval '1 millisecond' AS at
  FROM generate_series(1, ${HOSTS}) h CROSS JOIN generate_series(1, 3) k;
INSERT INTO snapshots (host_id, status, source, collected_at, app_count)
  SELECT host_id, 'SUCCEEDED', 'AGENT', at, ${APPS + 1} FROM bench_snapshots ORDER BY at, host_id;
ALTER TABLE bench_snapshots ADD COLUMN id int;
UPDATE bench_snapshots b SET id = s.id FROM snapshots s WHERE s.host_id = b.host_id AND s.collected_at = b.at;
INSERT INTO software_titles (fingerprint, source, name, sort_key)
  SELECT software_title_fingerprint('deb_packages', n), 'deb_packages', n, convert_to(lower(n), 'UTF8')
  FROM (SELECT 'lib-' || i AS n FROM generate_series(1, ${TITLES}) i UNION ALL SELECT 'curl') t;
INSERT INTO software_versions (fingerprint, title_id, version)
  SELECT software_version_fingerprint(t.id, v), t.id, v FROM software_titles t
    CROSS JOIN LATERAL unnest(CASE WHEN t.name = 'curl' THEN ARRAY['7.0', '7.1', '7.2'] ELSE ARRAY['1.0'] END) v;
INSERT INTO software (fingerprint, version_id, title_id, source, name, version, sort_key)
  SELECT software_fingerprint(v.id, NULL, NULL, NULL, '{}'), v.id, t.id, t.source, t.name, v.version, t.sort_key
  FROM software_versions v JOIN software_titles t ON t.id = v.title_id;
CREATE TABLE bench_software AS
  SELECT s.id, s.name, s.version, row_number() OVER (ORDER BY s.id) AS n FROM software s;
-- Every host's other apps, alive since its first snapshot.
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
  SELECT b.host_id, s.id, b.id, b.at FROM bench_snapshots b
    CROSS JOIN generate_series(1, ${APPS}) j
    JOIN bench_software s ON s.name = 'lib-' || ((b.host_id * 7 + j) % ${TITLES} + 1)
  WHERE b.k = 1;
-- curl: 7.0 until the second snapshot, then 7.1; in the third, 30% upgrade to 7.2 and 5% remove it.
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at, removed_snapshot_id, removed_at)
  SELECT s1.host_id, (SELECT id FROM bench_software WHERE name = 'curl' AND version = '7.0'), s1.id, s1.at, s2.id, s2.at
  FROM bench_snapshots s1 JOIN bench_snapshots s2 ON s2.host_id = s1.host_id AND s2.k = 2 WHERE s1.k = 1;
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at, removed_snapshot_id, removed_at)
  SELECT s2.host_id, (SELECT id FROM bench_software WHERE name = 'curl' AND version = '7.1'), s2.id, s2.at,
    CASE WHEN s2.host_id % 100 < 35 THEN s3.id END, CASE WHEN s2.host_id % 100 < 35 THEN s3.at END
  FROM bench_snapshots s2 JOIN bench_snapshots s3 ON s3.host_id = s2.host_id AND s3.k = 3 WHERE s2.k = 2;
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
  SELECT s3.host_id, (SELECT id FROM bench_software WHERE name = 'curl' AND version = '7.2'), s3.id, s3.at
  FROM bench_snapshots s3 WHERE s3.k = 3 AND s3.host_id % 100 < 30;
DROP TABLE bench_snapshots;
DROP TABLE bench_software;
`;

const CHANGES = `query ($days: Int!, $after: String) {
  softwareChanges(name: "curl", source: "deb_packages", days: $days, first: 50, after: $after) {
    totalCount hostCount
    edges { cursor node { at host { id hostname platform osName osVersion } snapshot { id } changes { kind path fromVersion toVersion } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const HOSTS_OF = `{ softwareHosts(name: "curl", source: "deb_packages", first: 50) { totalCount edges { node { id hostname online latestSnapshot { id status } } } } }`;

type ChangesResult = {
  softwareChanges: { totalCount: number; hostCount: number; edges: { cursor: string; node: { changes: { kind: string }[] } }[]; pageInfo: { endCursor: string | null } };
};

benchMain(async (url, out) => {
  const logger = createLogger({ level: "warn" });
  const db = await openDatabase({ kind: "postgres", url }, logger);
  const collector: Collector = { collect: () => Promise.reject(new Error("not collecting")), stop: async () => {} };
  const context = createContext({ db: db.prisma, read: db.read, pubsub: createPubSub(), logger, collector, inventory: createInventoryStore({ db: db.prisma, fallbackHostname: "bench" }) });
  const server = createServer({ schema, context, logger, checkHealth: () => db.ping() });
  try {
    await withConnection(db, (conn) => applyMigrations(conn, MIGRATIONS_DIR, logger));
    const built = performance.now();
    await withConnection(db, async (conn) => {
      for (const statement of BUILD.split(/;\s*\n/).map((s) => s.replace(/^--.*$/gm, "").trim()).filter(Boolean)) await conn.exec(statement);
      await conn.exec("VACUUM ANALYZE apps");
      await conn.exec("VACUUM ANALYZE snapshots");
    });
    const [{ n: appRows } = { n: 0 }] = await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM apps`;
    out(`== softwareChanges: ${HOSTS.toLocaleString("en")} hosts, ${appRows.toLocaleString("en")} app links, built in ${((performance.now() - built) / 1000).toFixed(1)} s`);

    const gql = graphqlClient(server.fetch);
    const upgraded = Math.floor(HOSTS / 100) * 30 + Math.min(HOSTS % 100, 30);
    const removed = Math.floor(HOSTS / 100) * 5 + Math.max(0, Math.min(HOSTS % 100, 35) - 30);
    const week = await gql<ChangesResult>(CHANGES, { days: 7 });
    assert(week.softwareChanges.totalCount === upgraded + removed, `7 days: ${week.softwareChanges.totalCount} changes, expected ${upgraded + removed}`);
    const rows: [string, Timing][] = [];
    const time = async <T>(label: string, run: () => Promise<T>, check: (result: T) => void) => {
      process.stderr.write(`measuring: ${label}\n`);
      rows.push([label, await timeIt(run, check, TIMING)]);
    };
    await time("softwareHosts(curl, first: 50) — baseline", () => gql<{ softwareHosts: { totalCount: number } }>(HOSTS_OF), (r) => assert(r.softwareHosts.totalCount === HOSTS - removed, "softwareHosts count"));
    await time("softwareChanges(curl, days: 7, first: 50)", () => gql<ChangesResult>(CHANGES, { days: 7 }), (r) => assert(r.softwareChanges.edges.length === 50, "a full page"));
    const after = week.softwareChanges.pageInfo.endCursor;
    await time("  its second page (after)", () => gql<ChangesResult>(CHANGES, { days: 7, after }), (r) => assert(r.softwareChanges.edges[0]?.cursor !== week.softwareChanges.edges[0]?.cursor, "another page"));
    // Every row of curl is in the window: each host's first inventory, its upgrade to 7.1, and the last week.
    await time("softwareChanges(curl, days: 90, first: 50)", () => gql<ChangesResult>(CHANGES, { days: 90 }), (r) => assert(r.softwareChanges.totalCount === 2 * HOSTS + upgraded + removed, "90 days"));
    const base = rows[0]![1].medianMs;
    out(formatTable(["query", "median ms", "p95 ms", "× baseline"], rows.map(([label, t]) => [label, t.medianMs.toFixed(1), t.p95Ms.toFixed(1), (t.medianMs / base).toFixed(2)])));
    out(`7 days: ${week.softwareChanges.totalCount.toLocaleString("en")} snapshots changed curl on ${week.softwareChanges.hostCount.toLocaleString("en")} hosts`);
  } finally {
    await db.close();
  }
});
