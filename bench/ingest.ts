/**
 * Ingest benchmark: times recordSuccess on a 5,000-app deb_packages inventory in a scratch PostgreSQL
 * database (first collection, unchanged re-collection, 1% churn) against a naive store that writes
 * every app row again, measured in the same run. Run: npm run bench:ingest (BENCH_DATABASE_URL picks
 * the server).
 */
import { fileURLToPath } from "node:url";
import type { AppRecord } from "../src/inventory/types.js";
import { openDatabase, type Database } from "../src/db/client.js";
import { applyMigrations } from "../src/db/migrate.js";
import { SnapshotStatus } from "../src/generated/prisma/enums.js";
import { createLogger, type Logger } from "../src/logger.js";
import { createInventoryStore, type InventoryStore } from "../src/store/inventory-store.js";
import type { Inventory } from "../src/inventory/types.js";
import { ensureSoftware } from "../src/store/software-catalog.js";
import { createChurn, expectedCounts, inventoryOf as benchInventory } from "./churn.js";
import { assert, formatTable, summarize, type Timing } from "./measure.js";
import { benchMain, withConnection } from "./scratch-database.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));

const APPS = 5000;
// 1% churn: 20 removed + 20 added + 5 upgraded, as in bench/history.ts.
const CHURN = { initialApps: APPS, removedPerStep: 20, addedPerStep: 20, upgradedPerStep: 5, seed: 20261123 } as const;
const ROUNDS = { warmups: 3, iterations: 15 } as const;

const TARGET_FIRST_MS = 300;
const TARGET_UNCHANGED_RATIO = 0.1;

const STEADY_UUID = "6f1c2a3e-1d4b-4c5e-9f60-7a8b9c0d1e2f";
const NAIVE_UUID = "00000000-0000-4000-8000-00000000ffff";
// A different machine per round, so every first-ingest run really is a host's first collection.
const freshUuid = (round: number) => `00000000-0000-4000-8000-${String(round).padStart(12, "0")}`;

const HOUR_MS = 60 * 60_000;

const inventoryOf = (apps: AppRecord[], uuid: string): Inventory => benchInventory(apps, { hostname: `bench-${uuid.slice(-4)}`, uuid });

type Measurement = "first" | "unchanged" | "churn" | "naive" | "naiveRaw";

interface Row {
  label: string;
  timing: Timing;
}

async function timed(samples: number[] | null, work: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await work();
  samples?.push(performance.now() - started);
}

async function appRowsOf(db: Database, hostId: number): Promise<{ total: number; open: number }> {
  const [row] = await db.prisma.$queryRaw<{ total: number; open: number }[]>`
    SELECT count(*)::int AS total, (count(*) FILTER (WHERE removed_snapshot_id IS NULL))::int AS open
    FROM apps WHERE host_id = ${hostId}`;
  assert(row, "app row count query returned nothing");
  return row;
}

/**
 * What a store without change detection does per collection: a snapshot row and every app again, in one
 * transaction, through the same Prisma client and into the same tables (software records shared, one apps row per app).
 */
function naiveIngest(db: Database, hostId: number, apps: AppRecord[], collectedAt: Date): Promise<number> {
  return db.prisma.$transaction(async (tx) => {
    const snapshot = await tx.snapshot.create({
      data: { hostId, status: SnapshotStatus.SUCCEEDED, collectedAt, durationMs: 1000, appCount: apps.length, added: apps.length },
    });
    const catalog = await ensureSoftware(tx, apps);
    // One call: Prisma splits it into statements under PostgreSQL's bind-parameter limit by itself.
    const { count } = await tx.app.createMany({
      data: catalog.map(({ softwareId }) => ({ hostId, softwareId, firstSeenSnapshotId: snapshot.id, firstSeenAt: collectedAt })),
    });
    return count;
  });
}

/**
 * The same naive store written the way the real store writes rows (one INSERT from array parameters).
 * Most of createMany's time is Prisma's client-side work, so this shows what the unchanged re-ingest
 * saves against the rows themselves rather than against that overhead.
 */
function naiveRawIngest(db: Database, hostId: number, apps: AppRecord[], collectedAt: Date): Promise<number> {
  return db.prisma.$transaction(async (tx) => {
    const snapshot = await tx.snapshot.create({
      data: { hostId, status: SnapshotStatus.SUCCEEDED, collectedAt, durationMs: 1000, appCount: apps.length, added: apps.length },
    });
    const catalog = await ensureSoftware(tx, apps);
    return tx.$executeRaw`
      INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
      SELECT ${hostId}::int, a.software_id, ${snapshot.id}::int, ${collectedAt}::timestamptz
      FROM unnest(${catalog.map((entry) => entry.softwareId)}::int[]) AS a(software_id)`;
  });
}

async function run(url: string, logger: Logger, out: (line?: string) => void): Promise<void> {
  const db = await openDatabase({ kind: "postgres", url }, logger);
  const store: InventoryStore = createInventoryStore({ db: db.prisma, fallbackHostname: "bench-host" });
  try {
    await withConnection(db, (conn) => applyMigrations(conn, MIGRATIONS_DIR, logger));

    const churn = createChurn(CHURN);
    const initial = churn.initial;
    const rounds = ROUNDS.warmups + ROUNDS.iterations;
    // Every collection (five a round, plus the seed) gets its own hour, ending before now, as a scheduler would space them.
    const start = Date.now() - (5 * rounds + 2) * HOUR_MS;
    let clock = 0;
    const meta = () => ({ collectedAt: new Date(start + clock++ * HOUR_MS), durationMs: 1000 });

    // The steady host carries the re-collections; it starts with the same inventory the first ingest stores.
    const seeded = await store.recordSuccess(inventoryOf(initial, STEADY_UUID), meta());
    const steadyHostId = seeded.hostId;
    const naiveHost = await db.prisma.host.create({ data: { identifier: `uuid:${NAIVE_UUID}`, hostname: "bench-naive" } });
    // Autovacuum would analyze a real deployment's tables sooner or later; now, so every run plans alike.
    await withConnection(db, (conn) => conn.exec("VACUUM ANALYZE apps"));

    const samples: Record<Measurement, number[]> = { first: [], unchanged: [], churn: [], naive: [], naiveRaw: [] };
    let current = initial;
    // Interleaved rounds: every measurement sees the same database state, caches and autovacuum timing.
    for (let round = 0; round < rounds; round++) {
      const keep = (m: Measurement) => (round >= ROUNDS.warmups ? samples[m] : null);
      process.stderr.write(`round ${round + 1}/${rounds}${round < ROUNDS.warmups ? " (warm-up)" : ""}\n`);

      // (1) first collection of a new host
      let first = seeded;
      const firstInventory = inventoryOf(initial, freshUuid(round));
      const firstMeta = meta();
      await timed(keep("first"), async () => {
        first = await store.recordSuccess(firstInventory, firstMeta);
      });
      assert(first.hostId !== steadyHostId, "first ingest reused the steady host");
      assert(first.appCount === APPS && first.added === APPS && first.removed === 0, `first ingest stored ${first.added} added, ${first.removed} removed`);
      const stored = await appRowsOf(db, first.hostId);
      assert(stored.total === APPS && stored.open === APPS, `first ingest left ${stored.total} app rows (${stored.open} open)`);
      // Dropped again, so the apps table stays the same size from round to round.
      await db.prisma.host.delete({ where: { id: first.hostId } });

      // (2) unchanged re-collection
      let unchanged = seeded;
      const unchangedInventory = inventoryOf(current, STEADY_UUID);
      const unchangedMeta = meta();
      await timed(keep("unchanged"), async () => {
        unchanged = await store.recordSuccess(unchangedInventory, unchangedMeta);
      });
      assert(unchanged.hostId === steadyHostId, "unchanged re-ingest went to another host");
      assert(unchanged.appCount === current.length && unchanged.added === 0 && unchanged.removed === 0, `unchanged re-ingest stored ${unchanged.added} added, ${unchanged.removed} removed`);

      // (3) 1% churn
      const next = churn.step();
      const expected = expectedCounts(current, next);
      let churned = seeded;
      const churnInventory = inventoryOf(next, STEADY_UUID);
      const churnMeta = meta();
      await timed(keep("churn"), async () => {
        churned = await store.recordSuccess(churnInventory, churnMeta);
      });
      // An upgrade stores one new row and closes one, so it counts on both sides of the snapshot.
      assert(churned.added === expected.added + expected.upgraded, `churn stored ${churned.added} added`);
      assert(churned.removed === expected.removed + expected.upgraded, `churn stored ${churned.removed} removed`);
      assert(churned.appCount === next.length, `churn stored appCount ${churned.appCount}`);
      current = next;

      // (4) naive baseline
      let inserted = 0;
      const naiveMeta = meta();
      await timed(keep("naive"), async () => {
        inserted = await naiveIngest(db, naiveHost.id, initial, naiveMeta.collectedAt);
      });
      assert(inserted === APPS, `naive ingest inserted ${inserted} rows`);
      await db.prisma.$executeRaw`DELETE FROM apps WHERE host_id = ${naiveHost.id}`;

      // (5) naive baseline without Prisma's createMany overhead
      const naiveRawMeta = meta();
      await timed(keep("naiveRaw"), async () => {
        inserted = await naiveRawIngest(db, naiveHost.id, initial, naiveRawMeta.collectedAt);
      });
      assert(inserted === APPS, `naive raw ingest inserted ${inserted} rows`);
      await db.prisma.$executeRaw`DELETE FROM apps WHERE host_id = ${naiveHost.id}`;

      await withConnection(db, (conn) => conn.exec("VACUUM apps"));
    }
    const steadyRows = await appRowsOf(db, steadyHostId);
    assert(steadyRows.open === current.length, `steady host has ${steadyRows.open} open apps, expected ${current.length}`);

    const timing = {
      first: summarize(samples.first),
      unchanged: summarize(samples.unchanged),
      churn: summarize(samples.churn),
      naive: summarize(samples.naive),
      naiveRaw: summarize(samples.naiveRaw),
    };
    const rows: Row[] = [
      { label: `naive: snapshot + all ${APPS.toLocaleString("en-US")} app rows again, createMany (baseline)`, timing: timing.naive },
      { label: "naive, rows as one raw INSERT from arrays (reference)", timing: timing.naiveRaw },
      { label: `first collection of ${APPS.toLocaleString("en-US")} apps (new host)`, timing: timing.first },
      { label: "unchanged re-collection", timing: timing.unchanged },
      { label: "1% churn re-collection (20 added, 20 removed, 5 upgraded)", timing: timing.churn },
    ];
    const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
    out(`== ingest (recordSuccess on PostgreSQL, ${ROUNDS.warmups} warm-up + ${ROUNDS.iterations} timed rounds, interleaved) ==`);
    out(
      formatTable(
        ["measurement", "median ms", "p95 ms", "vs naive"],
        rows.map(({ label, timing: t }) => [label, fmt(t.medianMs), fmt(t.p95Ms), `${(t.medianMs / timing.naive.medianMs).toFixed(2)}x`]),
      ),
    );
    out(
      `database: steady host ${steadyRows.total.toLocaleString("en-US")} app rows (${steadyRows.open.toLocaleString("en-US")} open); ` +
        "each round's new host and naive rows are deleted (and the table vacuumed) after the round, untimed",
    );
    out();
    const firstMet = timing.first.medianMs <= TARGET_FIRST_MS;
    const ratio = timing.unchanged.medianMs / timing.naive.medianMs;
    const ratioMet = ratio <= TARGET_UNCHANGED_RATIO;
    out("targets (medians):");
    out(`  first ingest of ${APPS.toLocaleString("en-US")} apps <= ${TARGET_FIRST_MS} ms on PostgreSQL: ${fmt(timing.first.medianMs)} ms -> ${firstMet ? "met" : "NOT met"}`);
    out(`  unchanged re-ingest <= ${TARGET_UNCHANGED_RATIO}x the naive baseline: ${ratio.toFixed(3)}x -> ${ratioMet ? "met" : "NOT met"}`);
    out(`  (against the raw-INSERT naive store instead: ${(timing.unchanged.medianMs / timing.naiveRaw.medianMs).toFixed(2)}x)`);
  } finally {
    await db.close();
  }
}

benchMain((url, out) => run(url, createLogger({ level: "silent" }), out));
