/**
 * The fleet-wide reads and snapshotDiff over HTTP under load, without any cache: the service next to
 * (b) plain graphql-yoga + pg sending the service's statements (bench/read-queries/yoga-server.ts),
 * and PostGraphile v5 where it can express the query (an optional peer: bench/postgraphile/). Each
 * server is a process of its own, so /proc gives each one's CPU time per request.
 *
 * Data: the service's own machine (5,000 apps, 100 snapshots at 1% churn, written through the store)
 * and 1,000 enrolled hosts written with SQL (200 apps each from 2,000 titles, openssl on 900).
 * Queries, pages of 100: hosts (first page, and after #900), software (first page, and after #5,000
 * of about 7,000 titles, with each title's versions), softwareHosts of openssl (first page), and
 * snapshotDiff of the two newest snapshots (45 changes). Every server's pages are checked against the
 * service's before timing. Run: npm run bench -- read-queries
 *   BENCH_DATABASE_URL      the PostgreSQL server (a scratch database is created on it and dropped)
 *   BENCH_DURATION_SECONDS  length of each timed run (default 10)
 *   BENCH_CPU_PROFILE_DIR   write a --cpu-prof profile of every server there (inflates the CPU numbers)
 *   BENCH_SERVICE_<NAME>    sets <NAME> for the service only (its caches are off unless set here)
 *   BENCH_POSTGRAPHILE=0    leaves PostGraphile out
 *   BENCH_READ_QUERIES      only the cases whose key starts with one of these (comma-separated: hosts,
 *                           software-0, software-hosts, snapshot-diff, ...), e.g. to profile one query
 */
import { encodeGlobalID } from "@pothos/plugin-relay";
import { loadavg } from "node:os";
import {
  grouped,
  LOAD_HEADER,
  loadBenchMain,
  loadCells,
  measure,
  ratio,
  serviceOverrides,
  SERVICE_ENV_PREFIX,
  startBaseline,
  startService,
  type Measured,
} from "./latest-data/harness.js";
import { globalIdKey, instant, lastRowMarker, PAGE, walkTo, type Contender, type Dialect, type Page } from "./latest-data/pages.js";
import { seedLocalHost } from "./latest-data/seed.js";
import { assert, formatTable } from "./measure.js";
import { PGL_SCHEMA, READ_QUERY_OBJECTS } from "./postgraphile/objects.js";
import { createObjects, optionalPostGraphile, startPostGraphile } from "./postgraphile/peer.js";
import { FLEET_HOSTS, seedFleet, WIDE_APP, WIDE_APP_HOSTS } from "./read-queries/fleet.js";

/** Service settings of this benchmark: every read computed (no response cache, no diff cache). */
const UNCACHED = { RESPONSE_CACHE_TTL_SECONDS: "0", DIFF_CACHE_BYTES: "0" } as const;
const TARGET_VS_YOGA = 1.0;

type Row = Record<string, unknown>;
type Connection = { totalCount: number; edges: { cursor: string; node: Row }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** A dialect for a Relay connection at `field`: the same shape on every server, nodes read by `node`. */
function relayDialect(query: string, variables: Record<string, unknown>, field: string, node: (row: Row) => Row, extra?: (connection: Row) => unknown): Dialect {
  return {
    body: (cursor) => JSON.stringify({ query, variables: { ...variables, first: PAGE, ...(cursor ? { after: cursor } : {}) } }),
    read(data) {
      const connection = (data as Record<string, Connection | undefined>)[field];
      assert(connection, `no ${field} in the response`);
      const page: Page = {
        rows: connection.edges.map((edge) => node(edge.node)),
        totalCount: connection.totalCount,
        hasNextPage: connection.pageInfo.hasNextPage,
        extra: extra ? extra(connection as unknown as Row) : null,
      };
      return { page, endCursor: connection.pageInfo.endCursor };
    },
  };
}

const HOST_FIELDS = "hostname platform osName osVersion osqueryVersion hardwareVendor hardwareModel cpuBrand enrolledAt lastSeenAt createdAt";
const SOFTWARE_HOST_FIELDS = "hostname platform osName osVersion lastSeenAt";

/** A host as every server shows it: the record id, text as is, times as instants. */
function host(fields: string, id: (row: Row) => number) {
  const names = fields.split(" ");
  return (row: Row): Row => {
    const out: Row = { rowId: id(row) };
    for (const name of names) out[name] = name.endsWith("At") ? instant(row[name]) : row[name];
    return out;
  };
}

const HOSTS = `query BenchHosts($first: Int, $after: String) {
  hosts(first: $first, after: $after) { totalCount edges { cursor node { id ${HOST_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;
const PGL_HOSTS = `query BenchHosts($first: Int, $after: Cursor) {
  allHosts(first: $first, after: $after, orderBy: PRIMARY_KEY_ASC) { totalCount edges { cursor node { rowId ${HOST_FIELDS} } } pageInfo { hasNextPage endCursor } }
}`;

const SOFTWARE = `query BenchSoftware($first: Int, $after: String) {
  software(first: $first, after: $after) {
    totalCount edges { cursor node { name source hostCount versions { version hostCount } } } pageInfo { hasNextPage endCursor }
  }
}`;
const PGL_SOFTWARE = `query BenchSoftware($first: Int, $after: Cursor) {
  allFleetTitles(first: $first, after: $after, orderBy: [SORT_NAME_ASC, NAME_ASC, SOURCE_ASC]) {
    totalCount
    edges { cursor node { name source hostCount versions(orderBy: [HOST_COUNT_DESC, VERSION_ASC]) { nodes { version hostCount } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const title = (versions: (row: Row) => unknown) => (row: Row): Row => ({ name: row["name"], source: row["source"], hostCount: row["hostCount"], versions: versions(row) });

const SOFTWARE_HOSTS = `query BenchSoftwareHosts($name: String!, $source: String, $first: Int, $after: String) {
  softwareHosts(name: $name, source: $source, first: $first, after: $after) {
    totalCount edges { cursor node { id ${SOFTWARE_HOST_FIELDS} } } pageInfo { hasNextPage endCursor }
  }
}`;
const PGL_SOFTWARE_HOSTS = `query BenchSoftwareHosts($name: String!, $source: String, $first: Int, $after: Cursor) {
  softwareHosts(name: $name, source: $source, first: $first, after: $after) {
    totalCount edges { cursor node { rowId ${SOFTWARE_HOST_FIELDS} } } pageInfo { hasNextPage endCursor }
  }
}`;

const SNAPSHOT_DIFF = `query BenchSnapshotDiff($from: ID!, $to: ID!, $first: Int, $after: String) {
  snapshotDiff(from: $from, to: $to, first: $first, after: $after) {
    totalCount
    counts { added removed upgraded downgraded }
    edges { cursor node { kind name source path fromVersion toVersion app { id firstSeenAt } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const change = (row: Row): Row => {
  const app = row["app"] as Row;
  return { ...row, app: { id: globalIdKey(app["id"]), firstSeenAt: instant(app["firstSeenAt"]) } };
};

interface QueryCase {
  key: string;
  label: string;
  /** Where the timed page starts (0: the first page). */
  position: number;
  /** The service's and the yoga baseline's dialect. */
  dialect: Dialect;
  /** PostGraphile's, or why it has none. */
  postgraphile: Dialect | string;
  /** The field of the last row that every answer must contain. */
  marker: string;
  /** What the service's page must say, whatever the other servers say. */
  check(page: Page): void;
}

function cases(seeded: { snapshotId: number; previousSnapshotId: number }, titles: number): QueryCase[] {
  const serviceHost = host(HOST_FIELDS, (row) => globalIdKey(row["id"]));
  const pglHost = host(HOST_FIELDS, (row) => Number(row["rowId"]));
  const hosts = (position: number): QueryCase => ({
    key: `hosts-${position}`,
    label: position === 0 ? "hosts, first page" : `hosts, after #${position}`,
    position,
    dialect: relayDialect(HOSTS, {}, "hosts", serviceHost),
    postgraphile: relayDialect(PGL_HOSTS, {}, "allHosts", pglHost),
    marker: "hostname",
    check: (page) => assert(page.totalCount === FLEET_HOSTS + 1 && page.rows.length === PAGE, `hosts: ${page.totalCount} hosts, ${page.rows.length} on the page`),
  });
  const software = (position: number): QueryCase => ({
    key: `software-${position}`,
    label: position === 0 ? "software, first page" : `software, after #${position}`,
    position,
    dialect: relayDialect(SOFTWARE, {}, "software", title((row) => row["versions"])),
    postgraphile: relayDialect(PGL_SOFTWARE, {}, "allFleetTitles", title((row) => (row["versions"] as { nodes: unknown[] }).nodes)),
    marker: "name",
    check: (page) => assert(page.totalCount === titles && page.rows.length === PAGE, `software: ${page.totalCount} titles (expected ${titles}), ${page.rows.length} on the page`),
  });
  return [
    hosts(0),
    hosts(FLEET_HOSTS - 100),
    software(0),
    software(5000),
    {
      key: "software-hosts",
      label: `softwareHosts(${WIDE_APP.name}), first page`,
      position: 0,
      dialect: relayDialect(SOFTWARE_HOSTS, WIDE_APP, "softwareHosts", host(SOFTWARE_HOST_FIELDS, (row) => globalIdKey(row["id"]))),
      postgraphile: relayDialect(PGL_SOFTWARE_HOSTS, WIDE_APP, "softwareHosts", host(SOFTWARE_HOST_FIELDS, (row) => Number(row["rowId"]))),
      marker: "hostname",
      check: (page) => assert(page.totalCount === WIDE_APP_HOSTS && page.rows.length === PAGE, `softwareHosts: ${page.totalCount} hosts`),
    },
    {
      key: "snapshot-diff",
      label: "snapshotDiff, adjacent snapshots",
      position: 0,
      dialect: relayDialect(
        SNAPSHOT_DIFF,
        { from: encodeGlobalID("Snapshot", seeded.previousSnapshotId), to: encodeGlobalID("Snapshot", seeded.snapshotId) },
        "snapshotDiff",
        change,
        (connection) => connection["counts"],
      ),
      postgraphile: "not expressible: UPGRADED or DOWNGRADED follows each package system's version order (dpkg, rpm), which the service computes in JavaScript",
      marker: "name",
      check: (page) =>
        assert(isExpectedDiff(page.extra), `snapshotDiff: counts ${JSON.stringify(page.extra)}, expected ${JSON.stringify(DIFF_COUNTS)}`),
    },
  ];
}

/** What one step of the seed's churn changes (bench/latest-data/seed.ts). */
const DIFF_COUNTS = { added: 20, removed: 20, upgraded: 5, downgraded: 0 };
const isExpectedDiff = (counts: unknown) => JSON.stringify(counts) === JSON.stringify(DIFF_COUNTS);

loadBenchMain("read-queries", async ({ url, profileDir, started, out, monitor, measureOptions, describeLoad }) => {
  const seeded = await seedLocalHost(url);
  process.stderr.write(`seeding: ${FLEET_HOSTS} fleet hosts\n`);
  await seedFleet(monitor);
  const [{ n: titles } = { n: 0 }] = (await monitor.query<{ n: number }>("SELECT count(*)::int AS n FROM software_title_hosts WHERE host_count > 0")).rows;

  const peer = await optionalPostGraphile();
  if (peer.ok) await createObjects(monitor, PGL_SCHEMA, READ_QUERY_OBJECTS);

  const serviceEnv = { ...UNCACHED, ...serviceOverrides() };
  const options = { url, profileDir, started };
  const service = await startService("service", { ...options, env: serviceEnv });
  const yoga = await startBaseline("yoga", "(b) yoga + pg", "bench/read-queries/yoga-server.ts", options);
  const postgraphile = peer.ok ? await startPostGraphile(peer.peer, "postgraphile", [PGL_SCHEMA], options) : null;

  const only = (process.env["BENCH_READ_QUERIES"] ?? "").split(",").map((key) => key.trim()).filter(Boolean);
  const all = cases(seeded, titles).filter((query) => only.length === 0 || only.some((key) => query.key.startsWith(key)));
  assert(all.length > 0, `BENCH_READ_QUERIES=${only.join(",")} names none of ${cases(seeded, titles).map((query) => query.key).join(", ")}`);
  const results: { query: QueryCase; measured: Map<string, Measured> }[] = [];
  for (const query of all) {
    const contenders: Contender[] = [
      { key: "service", label: "service", running: service, dialect: query.dialect },
      { key: "yoga", label: "(b) yoga + pg", running: yoga, dialect: query.dialect },
      ...(postgraphile && typeof query.postgraphile !== "string" ? [{ key: "postgraphile", label: "PostGraphile", running: postgraphile, dialect: query.postgraphile }] : []),
    ];
    process.stderr.write(`checking that the servers return the same pages: ${query.label}\n`);
    const reference: Page[] = [];
    const bodies = new Map<string, string>();
    let expect = "";
    for (const contender of contenders) {
      const { cursor, page } = await walkTo(contender, query.position, reference);
      if (contender.key === "service") {
        query.check(page);
        expect = lastRowMarker(page, query.marker);
      }
      bodies.set(contender.key, contender.dialect.body(cursor));
    }
    const measured = new Map<string, Measured>();
    for (const contender of contenders) {
      process.stderr.write(`loading ${contender.label}, ${query.label}\n`);
      measured.set(contender.label, await measure(contender.running, bodies.get(contender.key)!, expect, `${contender.key}-${query.key}`, measureOptions));
    }
    results.push({ query, measured });
  }

  out("== hosts, software, softwareHosts, snapshotDiff over HTTP: service vs (b) plain graphql-yoga + pg (same SQL) and PostGraphile v5 ==");
  out(
    `data: the service's own host (5,000 apps, 100 snapshots at 1% churn) + ${grouped(FLEET_HOSTS)} fleet hosts by SQL (200 apps each, ` +
      `${grouped(titles)} titles on some host, ${WIDE_APP.name} on ${grouped(WIDE_APP_HOSTS)}); pages of ${PAGE}; every server checked to return the same pages`,
  );
  out(describeLoad);
  out(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (shared machine: expect noise)`);
  out(`service settings: ${Object.entries(serviceEnv).map(([k, v]) => `${k}=${v}`).join(" ")} (change with ${SERVICE_ENV_PREFIX}<NAME>)`);
  out(
    peer.ok
      ? `PostGraphile ${peer.peer.postgraphileVersion} (Amber preset) on Node ${peer.peer.nodeVersion}: allHosts as is; software through views of the ` +
          `titles and versions with their counts, softwareHosts through a SQL function (bench/postgraphile/objects.ts)`
      : `PostGraphile skipped: ${peer.reason}`,
  );
  if (profileDir) out(`note: servers ran under --cpu-prof (profiles in ${profileDir}/<server>/); CPU numbers are inflated`);
  out();
  const rows = results.flatMap(({ query, measured }) => {
    const cpu = (label: string) => measured.get(label)?.cpuUsPerRequest;
    const yogaCpu = cpu("(b) yoga + pg")!;
    const pglCpu = cpu("PostGraphile");
    return [...measured].map(([label, m]) => [
      query.label,
      label,
      ...loadCells(m),
      ratio(m.cpuUsPerRequest / yogaCpu),
      pglCpu === undefined ? "-" : ratio(m.cpuUsPerRequest / pglCpu),
    ]);
  });
  out(formatTable(["query", "server", ...LOAD_HEADER, "CPU ÷ (b) yoga", "CPU ÷ PostGraphile"], rows));
  out();
  out(`target (issue): service CPU per request ≤ ${TARGET_VS_YOGA}× the yoga baseline without a cache, and no more than PostGraphile's`);
  for (const { query, measured } of results) {
    const ours = measured.get("service")!.cpuUsPerRequest;
    const vsYoga = ours / measured.get("(b) yoga + pg")!.cpuUsPerRequest;
    const pgl = measured.get("PostGraphile");
    const vsPgl = pgl ? `, ÷ PostGraphile ${ratio(ours / pgl.cpuUsPerRequest)}: ${ours <= pgl.cpuUsPerRequest ? "met" : "NOT met"}` : typeof query.postgraphile === "string" ? `; PostGraphile: ${query.postgraphile}` : "";
    out(`  ${query.label}: ÷ yoga ${ratio(vsYoga)}: ${vsYoga <= TARGET_VS_YOGA ? "met" : "NOT met"}${vsPgl}`);
  }
});
