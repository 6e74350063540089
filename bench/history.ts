/**
 * Change-history benchmark: builds 1,000 snapshots of a 5,000-app host at 1% churn in a scratch
 * PostgreSQL database, then times point-in-time reads, diffs and pruning through the real GraphQL
 * schema. Run: node --import tsx bench/history.ts  (BENCH_DATABASE_URL picks the server).
 */
import { fileURLToPath } from "node:url";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Collector } from "../src/sources/local/collector.js";
import type { AppRecord } from "../src/inventory/types.js";
import { createContext } from "../src/context.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrate.js";
import { createLogger, type Logger } from "../src/logger.js";
import { createPubSub } from "../src/events/pubsub.js";
import { schema } from "../src/schema/index.js";
import { createServer } from "../src/server/server.js";
import { createInventoryStore, type InventoryStore } from "../src/store/inventory-store.js";
import { createRetention } from "../src/store/retention.js";
import { createChurn, expectedCounts, inventoryOf, type ExpectedCounts } from "./churn.js";
import { assert, formatTable, graphqlClient, summarize, timeIt, type Gql, type Timing } from "./measure.js";
import { benchMain, withConnection } from "./scratch-database.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const INITIAL_APPS = 5000;
/** Churned snapshots after the initial one. */
const SNAPSHOTS = 1000;
// 25 identities gone (20 removed + 5 old versions) and 25 new (20 added + 5 new versions) per step.
const CHURN = { removedPerStep: 20, addedPerStep: 20, upgradedPerStep: 5, seed: 20261123 } as const;
/** How far back the "old" snapshot is, and how many snapshots retention deletes. */
const BACK = 500;
const PAGE = 100;
const DEEP_POSITION = 4900;
const TIMING = { warmups: 5, iterations: 30 } as const;
const RECOLLECTIONS = 15;
/** Measurements slower than this multiple of their baseline get investigated (EXPLAIN ANALYZE). */
const SUSPICIOUS_RATIO = 10;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const LATEST_DATA = /* GraphQL */ `
  query BenchLatestData($snapshotId: ID, $first: Int, $after: String) {
    latestData(snapshotId: $snapshotId, first: $first, after: $after) {
      totalCount
      snapshot { id appCount }
      edges { cursor node { id name version source } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
`;

const DIFF_FIELDS = /* GraphQL */ `
  totalCount
  counts { added removed upgraded downgraded }
  edges { cursor node { kind name source fromVersion toVersion app { id } } }
  pageInfo { hasNextPage endCursor }
`;

const SNAPSHOT_DIFF = /* GraphQL */ `
  query BenchSnapshotDiff($from: ID!, $to: ID!, $first: Int) {
    snapshotDiff(from: $from, to: $to, first: $first) { ${DIFF_FIELDS} }
  }
`;

const SNAPSHOT_CHANGES = /* GraphQL */ `
  query BenchSnapshotChanges($id: ID!, $first: Int) {
    node(id: $id) { id ... on Snapshot { changes(first: $first) { ${DIFF_FIELDS} } } }
  }
`;

interface LatestDataResult {
  latestData: {
    totalCount: number;
    snapshot: { id: string; appCount: number } | null;
    edges: { cursor: string; node: { id: string; name: string; version: string | null; source: string } }[];
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
  };
}

interface DiffConnection {
  totalCount: number;
  counts: ExpectedCounts;
  edges: { cursor: string; node: { kind: string; name: string; source: string; fromVersion: string | null; toVersion: string | null } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

interface SnapshotDiffResult {
  snapshotDiff: DiffConnection;
}

interface SnapshotChangesResult {
  node: { id: string; changes?: DiffConnection } | null;
}

interface Row {
  measurement: string;
  timing: Timing;
  baseline: Timing | null;
}

interface BuiltHistory {
  /** Snapshot ids in collection order: [0] is the initial inventory, [SNAPSHOTS] the newest. */
  ids: number[];
  collectedAt: Date[];
  /** Inventories kept for computing expected diffs, by position in `ids`. */
  states: Map<number, AppRecord[]>;
  newest: AppRecord[];
  initialMs: number;
  ingestMs: number[];
  buildMs: number;
}

const snapshotGid = (id: number) => encodeGlobalID("Snapshot", id);

async function buildHistory(store: InventoryStore, end: Date, keep: ReadonlySet<number>): Promise<BuiltHistory> {
  const churn = createChurn({ initialApps: INITIAL_APPS, ...CHURN });
  const collectedAtOf = (i: number) => new Date(end.getTime() - (SNAPSHOTS - i) * HOUR_MS);
  const ids: number[] = [];
  const collectedAt: Date[] = [];
  const states = new Map<number, AppRecord[]>();
  const ingestMs: number[] = [];
  const started = performance.now();

  let apps = churn.initial;
  let previous: AppRecord[] = [];
  let initialMs = 0;
  for (let i = 0; i <= SNAPSHOTS; i++) {
    if (i > 0) apps = churn.step();
    if (keep.has(i)) states.set(i, apps);
    const when = collectedAtOf(i);
    const t0 = performance.now();
    const snapshot = await store.recordSuccess(inventoryOf(apps), { collectedAt: when, durationMs: 1000 });
    const ms = performance.now() - t0;
    if (i === 0) initialMs = ms;
    else ingestMs.push(ms);

    // An upgrade stores one new row and closes one, so it counts on both sides of the snapshot.
    const expected = expectedCounts(previous, apps);
    assert(snapshot.appCount === apps.length, `snapshot ${i} stored appCount ${snapshot.appCount}, expected ${apps.length}`);
    assert(snapshot.added === expected.added + expected.upgraded, `snapshot ${i} added ${snapshot.added}`);
    assert(snapshot.removed === expected.removed + expected.upgraded, `snapshot ${i} removed ${snapshot.removed}`);
    ids.push(snapshot.id);
    collectedAt.push(when);
    previous = apps;
    if (i % 100 === 0) process.stderr.write(`building history: ${i}/${SNAPSHOTS} snapshots\n`);
  }
  return { ids, collectedAt, states, newest: apps, initialMs, ingestMs, buildMs: performance.now() - started };
}

async function rowCounts(db: Database): Promise<{ apps: number; snapshots: number }> {
  const [row] = await db.prisma.$queryRaw<{ apps: number; snapshots: number }[]>`
    SELECT (SELECT count(*)::int FROM apps) AS apps, (SELECT count(*)::int FROM snapshots) AS snapshots`;
  assert(row, "row counts query returned nothing");
  return row;
}

function checkLatestPage(
  data: LatestDataResult,
  expect: { snapshotId: number; totalCount: number; edges: number; hasNextPage: boolean; hasPreviousPage: boolean },
): void {
  const { latestData: page } = data;
  assert(page.snapshot?.id === snapshotGid(expect.snapshotId), `latestData read snapshot ${page.snapshot?.id}, expected ${expect.snapshotId}`);
  assert(page.totalCount === expect.totalCount, `latestData totalCount ${page.totalCount}, expected ${expect.totalCount}`);
  assert(page.edges.length === expect.edges, `latestData returned ${page.edges.length} edges, expected ${expect.edges}`);
  assert(page.pageInfo.hasNextPage === expect.hasNextPage, `latestData hasNextPage ${page.pageInfo.hasNextPage}`);
  assert(page.pageInfo.hasPreviousPage === expect.hasPreviousPage, `latestData hasPreviousPage ${page.pageInfo.hasPreviousPage}`);
  // Generated names are lower-case ASCII, so their case-insensitive order is plain string order.
  page.edges.forEach((edge, i) => {
    const prior = page.edges[i - 1];
    assert(!prior || prior.node.name < edge.node.name, `latestData out of order at ${prior?.node.name} / ${edge.node.name}`);
  });
}

function checkDiff(diff: DiffConnection | undefined, expected: ExpectedCounts, what: string): void {
  assert(diff, `${what}: no diff returned`);
  const total = expected.added + expected.removed + expected.upgraded + expected.downgraded;
  assert(total > 0, `${what}: the generator produced no change`);
  assert(JSON.stringify(diff.counts) === JSON.stringify(expected), `${what}: counts ${JSON.stringify(diff.counts)}, expected ${JSON.stringify(expected)}`);
  assert(diff.totalCount === total, `${what}: totalCount ${diff.totalCount}, expected ${total}`);
  assert(diff.edges.length === Math.min(PAGE, total), `${what}: ${diff.edges.length} edges`);
  assert(diff.pageInfo.hasNextPage === total > PAGE, `${what}: hasNextPage ${diff.pageInfo.hasNextPage}`);
}

/** Walks the old snapshot page by page to the cursor of the app at DEEP_POSITION, checking the walk. */
async function cursorAt(gql: Gql, snapshotId: number): Promise<string> {
  const seen = new Set<string>();
  let after: string | null = null;
  let lastName = "";
  while (seen.size < DEEP_POSITION) {
    const data: LatestDataResult = await gql<LatestDataResult>(LATEST_DATA, { snapshotId: snapshotGid(snapshotId), first: PAGE, after });
    for (const { node } of data.latestData.edges) {
      assert(!seen.has(node.id) && node.name > lastName, `page walk repeated or reordered ${node.name}`);
      seen.add(node.id);
      lastName = node.name;
    }
    after = data.latestData.pageInfo.endCursor;
    assert(after && data.latestData.pageInfo.hasNextPage, "page walk ended before the deep position");
  }
  assert(seen.size === DEEP_POSITION && after, `page walk stopped at ${seen.size}`);
  return after;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const grouped = (n: number) => n.toLocaleString("en-US");

async function run(url: string, logger: Logger, out: (line?: string) => void): Promise<void> {
  const db = await openDatabase({ kind: "postgres", url }, logger);
  const store = createInventoryStore({ db: db.prisma, fallbackHostname: "bench-host" });
  // Wired as main wires it, but with no diff cache, so every read below is real work.
  const collector: Collector = {
    collect: () => Promise.reject(new Error("the benchmark does not collect through osquery")),
    stop: async () => {},
  };
  const context = createContext({ db: db.prisma, read: db.read, pubsub: createPubSub(), logger, collector, inventory: store, historyCacheBytes: 0 });
  const server = createServer({ schema, context, logger, checkHealth: () => db.ping() });
  try {
    await withConnection(db, (conn) => applyMigrations(conn, MIGRATIONS_DIR, logger));

    // ---- build ------------------------------------------------------------------------------------
    const old = SNAPSHOTS - BACK;
    const keep = new Set([old - 1, old, SNAPSHOTS - 1, SNAPSHOTS]);
    // The last churned snapshot an hour ago leaves room for the re-collections to land before "now".
    const built = await buildHistory(store, new Date(Date.now() - HOUR_MS), keep);
    const ids = built.ids;
    const state = (i: number) => {
      const apps = built.states.get(i);
      assert(apps, `inventory ${i} was not kept`);
      return apps;
    };
    // Autovacuum would analyze these tables in a real deployment sooner or later; doing it now makes the
    // planner's choices the same on every run instead of depending on when autovacuum happened to wake.
    // Separate statements: a multi-statement script runs as one implicit transaction, which VACUUM refuses.
    await withConnection(db, async (conn) => {
      await conn.exec("VACUUM ANALYZE apps");
      await conn.exec("VACUUM ANALYZE snapshots");
    });
    const counts = await rowCounts(db);
    const ingest = summarize(built.ingestMs);
    out("== build ==");
    out(`built ${SNAPSHOTS + 1} snapshots (1 initial of ${grouped(INITIAL_APPS)} apps + ${SNAPSHOTS} at 1% churn) in ${(built.buildMs / 1000).toFixed(1)} s`);
    out(`ingest: initial snapshot ${fmt(built.initialMs)} ms; churned snapshot median ${fmt(ingest.medianMs)} ms, p95 ${fmt(ingest.p95Ms)} ms`);
    out(
      `rows: apps ${grouped(counts.apps)}, snapshots ${grouped(counts.snapshots)} ` +
        `(full copies would be ${grouped(INITIAL_APPS * (SNAPSHOTS + 1))} app rows)`,
    );
    assert(counts.snapshots === SNAPSHOTS + 1, `expected ${SNAPSHOTS + 1} snapshots, found ${counts.snapshots}`);
    assert(counts.apps === INITIAL_APPS + SNAPSHOTS * (CHURN.addedPerStep + CHURN.upgradedPerStep), `unexpected app row count ${counts.apps}`);

    // ---- GraphQL ----------------------------------------------------------------------------------
    const gql = graphqlClient(server.fetch);
    const rows: Row[] = [];
    const measure = async <T>(measurement: string, baseline: Timing | null, request: () => Promise<T>, check: (result: T) => void) => {
      process.stderr.write(`measuring: ${measurement}\n`);
      const timing = await timeIt(request, check, TIMING);
      rows.push({ measurement, timing, baseline });
      return timing;
    };

    const newest = ids[SNAPSHOTS]!;
    const oldId = ids[old]!;
    const total = INITIAL_APPS;

    // ---- 1. point-in-time reads ---------------------------------------------------------------------
    const latestNewest = await measure(
      "A  latestData newest, first 100 (baseline A)",
      null,
      () => gql<LatestDataResult>(LATEST_DATA, { first: PAGE }),
      (d) => checkLatestPage(d, { snapshotId: newest, totalCount: total, edges: PAGE, hasNextPage: true, hasPreviousPage: false }),
    );
    let oldFirstPage: string[] = [];
    await measure(
      `A  latestData ${BACK} back, first 100`,
      latestNewest,
      () => gql<LatestDataResult>(LATEST_DATA, { snapshotId: snapshotGid(oldId), first: PAGE }),
      (d) => {
        checkLatestPage(d, { snapshotId: oldId, totalCount: total, edges: PAGE, hasNextPage: true, hasPreviousPage: false });
        oldFirstPage = d.latestData.edges.map((e) => e.node.id);
      },
    );
    const deepCursor = await cursorAt(gql, oldId);
    await measure(
      `A  latestData ${BACK} back, deep page (after #${DEEP_POSITION})`,
      latestNewest,
      () => gql<LatestDataResult>(LATEST_DATA, { snapshotId: snapshotGid(oldId), first: PAGE, after: deepCursor }),
      (d) => checkLatestPage(d, { snapshotId: oldId, totalCount: total, edges: total - DEEP_POSITION, hasNextPage: false, hasPreviousPage: true }),
    );

    // ---- 2. diffs -----------------------------------------------------------------------------------
    const adjacentNewest = expectedCounts(state(SNAPSHOTS - 1), state(SNAPSHOTS));
    const adjacentOld = expectedCounts(state(old - 1), state(old));
    const apart = expectedCounts(state(old), state(SNAPSHOTS));
    const diff = (from: number, to: number) => gql<SnapshotDiffResult>(SNAPSHOT_DIFF, { from: snapshotGid(from), to: snapshotGid(to), first: PAGE });
    const diffNewest = await measure(
      "B  snapshotDiff adjacent at newest (baseline B)",
      null,
      () => diff(ids[SNAPSHOTS - 1]!, newest),
      (d) => checkDiff(d.snapshotDiff, adjacentNewest, "adjacent diff at newest"),
    );
    await measure(
      `B  snapshotDiff adjacent, ${BACK} back`,
      diffNewest,
      () => diff(ids[old - 1]!, oldId),
      (d) => checkDiff(d.snapshotDiff, adjacentOld, "adjacent diff 500 back"),
    );
    await measure(
      `B  snapshotDiff ${BACK} apart (${BACK} back -> newest)`,
      diffNewest,
      () => diff(oldId, newest),
      (d) => checkDiff(d.snapshotDiff, apart, "500-apart diff"),
    );
    await measure(
      "B  Snapshot.changes of newest via node(id)",
      diffNewest,
      () => gql<SnapshotChangesResult>(SNAPSHOT_CHANGES, { id: snapshotGid(newest), first: PAGE }),
      (d) => checkDiff(d.node?.changes, adjacentNewest, "Snapshot.changes of newest"),
    );

    // ---- 3. pruning, next to the cost of one ordinary collection --------------------------------------
    const recollectMs: number[] = [];
    const lastCollected = built.collectedAt[SNAPSHOTS]!;
    for (let k = 1; k <= RECOLLECTIONS; k++) {
      const t0 = performance.now();
      const snapshot = await store.recordSuccess(inventoryOf(built.newest), {
        collectedAt: new Date(lastCollected.getTime() + k * MINUTE_MS),
        durationMs: 1000,
      });
      recollectMs.push(performance.now() - t0);
      assert(snapshot.added === 0 && snapshot.removed === 0 && snapshot.appCount === total, "an unchanged re-collection stored changes");
    }
    const recollect = summarize(recollectMs);
    rows.push({ measurement: `-  recordSuccess, unchanged re-collection (n=${RECOLLECTIONS}, reference)`, timing: recollect, baseline: null });

    const [expectedAppsGone] = await db.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM apps WHERE removed_snapshot_id < ${oldId}`;
    // The cutoff falls half an hour before the snapshot BACK from the newest churned one, so exactly the
    // BACK oldest snapshots are older than the window and everything from `old` on stays.
    const pruneNow = new Date();
    const cutoff = built.collectedAt[old]!.getTime() - HOUR_MS / 2;
    const retainDays = (pruneNow.getTime() - cutoff) / DAY_MS;
    const retention = createRetention({ db: db.prisma, policy: { retainDays, retainFailedDays: 7 }, logger, batchSize: 1000 });
    process.stderr.write("pruning\n");
    const pruneStarted = performance.now();
    const pruned = await retention.prune(pruneNow);
    const pruneMs = performance.now() - pruneStarted;
    const after = await rowCounts(db);
    assert(pruned.succeededSnapshots === BACK, `prune deleted ${pruned.succeededSnapshots} snapshots, expected ${BACK}`);
    assert(pruned.apps === expectedAppsGone?.n, `prune deleted ${pruned.apps} apps, expected ${expectedAppsGone?.n}`);
    assert(after.snapshots === SNAPSHOTS + 1 + RECOLLECTIONS - BACK, `${after.snapshots} snapshots left after pruning`);
    const [oldest] = await db.prisma.$queryRaw<{ id: number }[]>`SELECT min(id)::int AS id FROM snapshots`;
    assert(oldest?.id === oldId, `oldest snapshot left is ${oldest?.id}, expected ${oldId}`);

    // ---- the history that is left still reads the same ----------------------------------------------
    await measure(
      `A  after prune: latestData ${BACK} back (oldest kept), first 100`,
      latestNewest,
      () => gql<LatestDataResult>(LATEST_DATA, { snapshotId: snapshotGid(oldId), first: PAGE }),
      (d) => {
        checkLatestPage(d, { snapshotId: oldId, totalCount: total, edges: PAGE, hasNextPage: true, hasPreviousPage: false });
        assert(d.latestData.edges.map((e) => e.node.id).join() === oldFirstPage.join(), "the old snapshot's first page changed after pruning");
      },
    );
    await measure(
      `B  after prune: snapshotDiff ${BACK} apart (oldest kept -> newest churned)`,
      diffNewest,
      () => diff(oldId, newest),
      (d) => checkDiff(d.snapshotDiff, apart, "500-apart diff after pruning"),
    );

    // ---- report ---------------------------------------------------------------------------------------
    out();
    out("== prune ==");
    out(
      `prune of ${pruned.succeededSnapshots} snapshots (retainDays ${retainDays.toFixed(3)}): ${fmt(pruneMs)} ms total, ` +
        `${(pruneMs / pruned.succeededSnapshots).toFixed(2)} ms per snapshot; rows deleted: ${grouped(pruned.apps)} apps, ` +
        `${pruned.succeededSnapshots + pruned.failedSnapshots} snapshots, ${pruned.versions} versions`,
    );
    out(
      `reference: unchanged re-collection (recordSuccess) median ${fmt(recollect.medianMs)} ms, p95 ${fmt(recollect.p95Ms)} ms ` +
        `-> prune = ${(pruneMs / recollect.medianMs).toFixed(1)} re-collections`,
    );
    out(`rows after prune: apps ${grouped(after.apps)}, snapshots ${grouped(after.snapshots)}`);
    out();
    out(`== queries (GraphQL in-process, ${TIMING.warmups} warm-ups + ${TIMING.iterations} timed runs each, no diff cache) ==`);
    out(
      formatTable(
        ["measurement", "median ms", "p95 ms", "ratio vs baseline"],
        rows.map(({ measurement, timing, baseline }) => [
          measurement,
          fmt(timing.medianMs),
          fmt(timing.p95Ms),
          baseline ? `${(timing.medianMs / baseline.medianMs).toFixed(2)}x` : measurement.includes("baseline") ? "1.00x" : "-",
        ]),
      ),
    );
    const suspicious = rows.filter((r) => r.baseline && r.timing.medianMs > SUSPICIOUS_RATIO * r.baseline.medianMs);
    for (const r of suspicious) out(`note: "${r.measurement.trim()}" is over ${SUSPICIOUS_RATIO}x its baseline`);
  } finally {
    await server.close();
    await db.close();
  }
}

benchMain((url, out) => run(url, createLogger({ level: "silent" }), out));
