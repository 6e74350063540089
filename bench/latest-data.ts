/**
 * latestData over HTTP under load: the service next to two baselines that send the same statements to
 * the database, (a) node:http + pg with no GraphQL (the floor) and (b) plain graphql-yoga + pg (the
 * yardstick), and PostGraphile v5 as an optional peer (installed with a Node 22 into
 * node_modules/.cache on first use; skipped with the reason when it cannot be). Each server is a
 * process of its own, so /proc gives each one's CPU time per request. Seeds a scratch PostgreSQL
 * database with one host of 5,000 apps and 100 snapshots at 1% churn, checks that every server returns
 * the same pages, then loads each with wrk on the first page and on a deep page.
 *
 * PostGraphile serves two views of its own (bench/postgraphile/objects.ts): the newest SUCCEEDED
 * snapshot of the service's own machine, whose app count is latestData's totalCount, and that
 * snapshot's apps ordered as latestData orders them, paged with PostGraphile's keyset cursors. Both
 * are asked for in one request. Run: npm run bench:latest-data
 *   BENCH_DATABASE_URL      the PostgreSQL server (a scratch database is created on it and dropped)
 *   BENCH_DURATION_SECONDS  length of each timed run (default 10)
 *   BENCH_CPU_PROFILE_DIR   write a --cpu-prof profile of every server there (inflates the CPU numbers)
 *   BENCH_SERVICE_<NAME>    sets <NAME> for the service only, e.g. BENCH_SERVICE_RESPONSE_CACHE_TTL_SECONDS=0
 *   BENCH_POSTGRAPHILE=0    leaves PostGraphile out
 */
import { loadavg } from "node:os";
import { isDeepStrictEqual } from "node:util";
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
import { INITIAL_APPS, seedLocalHost, SNAPSHOTS, type Seeded } from "./latest-data/seed.js";
import { assert, formatTable } from "./measure.js";
import { LATEST_DATA_OBJECTS, PGL_SCHEMA } from "./postgraphile/objects.js";
import { createObjects, optionalPostGraphile, startPostGraphile } from "./postgraphile/peer.js";

const DEEP_POSITION = 4900;
/** Service CPU ÷ yoga's: answered from the response cache, and computed (a miss, or the cache off). */
const TARGETS = { cachedVsYoga: 0.25, uncachedVsYoga: 1.0, deepVsFirst: 1.1, uncachedVsPostGraphile: 1.0 } as const;
/** Below this share of the floor's database CPU per request, the service is taken to answer from a cache. */
const CACHED_DB_SHARE = 0.1;

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

const PGL_LATEST_DATA = /* GraphQL */ `
  query BenchLatestData($first: Int, $after: Cursor) {
    allLatestSnapshots { nodes { rowId collectedAt appCount } }
    allLatestApps(first: $first, after: $after, orderBy: [SORT_NAME_ASC, PRIMARY_KEY_ASC]) {
      edges { cursor node { rowId name version source publisher firstSeenAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

type Row = Record<string, unknown>;
interface Edges {
  edges: { cursor: string; node: Row }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const app = (id: number, node: Row) => ({
  id,
  name: node["name"],
  version: node["version"],
  source: node["source"],
  publisher: node["publisher"],
  firstSeenAt: instant(node["firstSeenAt"]),
});

const body = (query: string) => (cursor: string | null) => JSON.stringify({ query, variables: cursor ? { first: PAGE, after: cursor } : { first: PAGE } });

/** The service's document, also what the two baselines answer. */
const serviceDialect: Dialect = {
  body: body(LATEST_DATA),
  read(data) {
    const connection = (data as { latestData?: Edges & { totalCount: number; snapshot: Row | null } }).latestData;
    assert(connection, "no latestData in the response");
    const { snapshot } = connection;
    const page: Page = {
      rows: connection.edges.map((edge) => app(globalIdKey(edge.node["id"]), edge.node)),
      totalCount: connection.totalCount,
      hasNextPage: connection.pageInfo.hasNextPage,
      extra: snapshot && { id: globalIdKey(snapshot["id"]), collectedAt: instant(snapshot["collectedAt"]) },
    };
    return { page, endCursor: connection.pageInfo.endCursor };
  },
};

const postgraphileDialect: Dialect = {
  body: body(PGL_LATEST_DATA),
  read(data) {
    const { allLatestSnapshots, allLatestApps } = data as { allLatestSnapshots?: { nodes: Row[] }; allLatestApps?: Edges };
    assert(allLatestSnapshots && allLatestApps, "no allLatestSnapshots or allLatestApps in the response");
    const [snapshot] = allLatestSnapshots.nodes;
    const page: Page = {
      rows: allLatestApps.edges.map((edge) => app(Number(edge.node["rowId"]), edge.node)),
      totalCount: Number(snapshot?.["appCount"] ?? 0),
      hasNextPage: allLatestApps.pageInfo.hasNextPage,
      extra: snapshot ? { id: Number(snapshot["rowId"]), collectedAt: instant(snapshot["collectedAt"]) } : null,
    };
    return { page, endCursor: allLatestApps.pageInfo.endCursor };
  },
};

const CASES = {
  first: { label: "first page", after: 0 },
  deep: { label: `deep page (after #${DEEP_POSITION})`, after: DEEP_POSITION },
} as const;
type CaseKey = keyof typeof CASES;
const CASE_KEYS = Object.keys(CASES) as CaseKey[];

/** Checks the reference pages against the seeded inventory: page i holds positions [i × PAGE, (i + 1) × PAGE) of the newest snapshot. */
function checkPages(pages: Page[], seeded: Seeded): void {
  pages.forEach((page, index) => {
    const label = `page at #${index * PAGE}`;
    const expected = seeded.names.slice(index * PAGE, (index + 1) * PAGE);
    const names = page.rows.map((row) => (row as { name: string }).name);
    assert(isDeepStrictEqual(names, expected), `${label}: names ${names[0]}..${names.at(-1)} (${names.length}), expected ${expected[0]}..${expected.at(-1)} (${expected.length})`);
    assert(page.totalCount === seeded.names.length, `${label}: totalCount ${page.totalCount}, expected ${seeded.names.length}`);
    assert(isDeepStrictEqual(page.extra, { id: seeded.snapshotId, collectedAt: seeded.collectedAt.getTime() }), `${label}: read snapshot ${JSON.stringify(page.extra)}`);
    assert(page.hasNextPage === (index + 1) * PAGE < seeded.names.length, `${label}: hasNextPage ${page.hasNextPage}`);
  });
}

interface Result {
  contenders: Contender[];
  measured: Record<CaseKey, Map<string, Measured>>;
}

function report({ contenders, measured }: Result, out: (line?: string) => void): void {
  const cpu = (c: CaseKey, key: string) => measured[c].get(key)?.cpuUsPerRequest;
  const hasPgl = contenders.some((s) => s.key === "postgraphile");
  const rows = CASE_KEYS.flatMap((c) =>
    contenders.map((s) => {
      const own = cpu(c, s.key)!;
      const pgl = cpu(c, "postgraphile");
      return [
        s.label,
        CASES[c].label,
        ...loadCells(measured[c].get(s.key)!),
        ratio(own / cpu(c, "yoga")!),
        ratio(own / cpu(c, "floor")!),
        ...(hasPgl ? [ratio(own / pgl!)] : []),
        c === "first" ? "-" : ratio(own / cpu("first", s.key)!),
      ];
    }),
  );
  out(formatTable(["server", "case", ...LOAD_HEADER, "CPU ÷ (b) yoga", "CPU ÷ (a) floor", ...(hasPgl ? ["CPU ÷ PostGraphile"] : []), "deep ÷ first"], rows));
  out();
  // A cache is fair game (the data changes only at collections), but the reader should know which path ran.
  const cached = CASE_KEYS.filter((c) => {
    const service = measured[c].get("service")!.dbUsPerRequest;
    const floor = measured[c].get("floor")!.dbUsPerRequest;
    return service !== null && floor !== null && service < CACHED_DB_SHARE * floor;
  });
  out(
    `targets (issue): CPU per request ≤ ${TARGETS.cachedVsYoga}× the yoga baseline from the response cache, ` +
      `≤ ${TARGETS.uncachedVsYoga}× without it and no more than PostGraphile's; deep ≤ ${TARGETS.deepVsFirst}× first`,
  );
  const verdict = (value: number, target: number) => `${ratio(value)} (target ≤ ${ratio(target)}): ${value <= target ? "met" : "NOT met"}`;
  for (const c of CASE_KEYS) {
    const isCached = cached.includes(c);
    const target = isCached ? TARGETS.cachedVsYoga : TARGETS.uncachedVsYoga;
    out(`  service ÷ yoga, ${CASES[c].label}${isCached ? " (cached)" : ""}: ${verdict(cpu(c, "service")! / cpu(c, "yoga")!, target)}`);
    const pgl = cpu(c, "postgraphile");
    if (pgl !== undefined) {
      const vs = cpu(c, "service")! / pgl;
      out(`  service ÷ PostGraphile, ${CASES[c].label}${isCached ? " (cached)" : ""}: ${isCached ? ratio(vs) : verdict(vs, TARGETS.uncachedVsPostGraphile)}`);
    }
  }
  out(`  service deep ÷ first: ${verdict(cpu("deep", "service")! / cpu("first", "service")!, TARGETS.deepVsFirst)}`);
  if (cached.length > 0) {
    out();
    out(
      `note: on the ${cached.map((c) => CASES[c].label).join(" and the ")} the service did next to no database work while loaded: ` +
        "it answered from a cache, so those rows are the cost of a cache hit",
    );
  }
}

loadBenchMain("latest-data", async ({ url, profileDir, started, out, monitor, measureOptions, describeLoad }) => {
  const seeded = await seedLocalHost(url);
  const peer = await optionalPostGraphile();
  if (peer.ok) await createObjects(monitor, PGL_SCHEMA, LATEST_DATA_OBJECTS);

  const serviceEnv = serviceOverrides();
  const options = { url, profileDir, started };
  const contenders: Contender[] = [
    { key: "service", label: "service", running: await startService("service", { ...options, env: serviceEnv }), dialect: serviceDialect },
    { key: "yoga", label: "(b) yoga + pg", running: await startBaseline("yoga", "(b) yoga + pg", "bench/latest-data/yoga-server.ts", options), dialect: serviceDialect },
    { key: "floor", label: "(a) node:http + pg", running: await startBaseline("floor", "(a) node:http + pg", "bench/latest-data/floor-server.ts", options), dialect: serviceDialect },
  ];
  if (peer.ok) {
    contenders.push({ key: "postgraphile", label: "PostGraphile", running: await startPostGraphile(peer.peer, "postgraphile", [PGL_SCHEMA], options), dialect: postgraphileDialect });
  }

  // Every server walks page by page to the deep position, each page compared with the service's.
  process.stderr.write(`checking that the ${contenders.length} servers return the same pages\n`);
  const reference: Page[] = [];
  const cursors = new Map<string, Record<CaseKey, string | null>>();
  for (const contender of contenders) {
    const deep = await walkTo(contender, DEEP_POSITION, reference);
    if (contender.key === "service") checkPages(reference, seeded);
    cursors.set(contender.key, { first: null, deep: deep.cursor });
  }

  const measured = {} as Record<CaseKey, Map<string, Measured>>;
  for (const c of CASE_KEYS) {
    const expect = lastRowMarker(reference[CASES[c].after / PAGE]!, "name");
    measured[c] = new Map();
    for (const contender of contenders) {
      process.stderr.write(`loading ${contender.label}, ${CASES[c].label}\n`);
      const requestBody = contender.dialect.body(cursors.get(contender.key)![c]);
      measured[c].set(contender.key, await measure(contender.running, requestBody, expect, `${contender.key}-${c}`, measureOptions));
    }
  }

  out(`== latestData over HTTP: service vs (b) plain graphql-yoga and (a) node:http, same SQL, and PostGraphile v5 ==`);
  out(
    `data: 1 host, ${grouped(INITIAL_APPS)} apps, ${SNAPSHOTS + 1} snapshots at 1% churn; page ${PAGE}; ` +
      `deep page = after the app at #${DEEP_POSITION}; all ${contenders.length} checked to return the same pages`,
  );
  out(describeLoad);
  out(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (shared machine: expect noise)`);
  const overrides = Object.entries(serviceEnv).map(([k, v]) => `${k}=${v}`);
  if (overrides.length > 0) out(`service settings from ${SERVICE_ENV_PREFIX}*: ${overrides.join(" ")}`);
  out(
    peer.ok
      ? `PostGraphile ${peer.peer.postgraphileVersion} (Amber preset) on Node ${peer.peer.nodeVersion}: views of the newest snapshot ` +
          "and its apps (bench/postgraphile/objects.ts), keyset cursors not pinned to a snapshot"
      : `PostGraphile skipped: ${peer.reason}`,
  );
  if (profileDir) out(`note: servers ran under --cpu-prof (profiles in ${profileDir}/<server>/, CPU.*.<pid>.0.* is the main thread); CPU numbers are inflated`);
  out();
  report({ contenders, measured }, out);
});
