import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.js";
import { SoftwareSource, type AppRecord, type Inventory } from "../../src/inventory/types.js";
import { createLogger } from "../../src/logger.js";
import { createInventoryStore, hostIdentifier, type InventoryStore } from "../../src/store/inventory-store.js";
import { createRetention } from "../../src/store/retention.js";
import { createSoftwareCounts, type SoftwareCounts } from "../../src/store/software-catalog.js";
import { createSoftwareQueries, titleKey } from "../../src/store/software-queries.js";
import { appRecord } from "../helpers/app-record.js";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";

const quiet = createLogger({ level: "silent" });
const DAY_MS = 24 * 60 * 60 * 1000;

const deb = (name: string, version: string | null): AppRecord => appRecord(SoftwareSource.deb_packages, name, version);

function inventory(host: number, apps: AppRecord[]): Inventory {
  return {
    osqueryVersion: "5.12.1",
    os: { name: "Debian GNU/Linux", version: "12", platform: "debian", platformLike: null, build: null, arch: "x86_64" },
    system: { hostname: `host-${host}`, uuid: `00000000-0000-4000-8000-${String(host).padStart(12, "0")}` },
    source: SoftwareSource.deb_packages,
    apps,
  };
}

/** What the counts must be: per title and per version, the hosts whose newest inventory has it. */
function truth(inventories: Map<number, AppRecord[]>) {
  const titles = new Map<string, Set<number>>();
  const versions = new Map<string, Map<string | null, Set<number>>>();
  for (const [host, apps] of inventories) {
    for (const app of apps) {
      const key = titleKey(app);
      titles.set(key, (titles.get(key) ?? new Set()).add(host));
      const byVersion = versions.get(key) ?? new Map<string | null, Set<number>>();
      byVersion.set(app.version, (byVersion.get(app.version) ?? new Set()).add(host));
      versions.set(key, byVersion);
    }
  }
  return {
    titles: new Map([...titles].map(([k, hosts]) => [k, hosts.size])),
    versions: new Map([...versions].map(([k, v]) => [k, new Map([...v].map(([version, hosts]) => [version, hosts.size]))])),
  };
}

describe.each(backends)("the shared software catalog on %s", (backend) => {
  let database: TestDatabase;
  let db: Database;
  let store: InventoryStore;
  let counts: SoftwareCounts;
  const reported = new Map<number, AppRecord[]>();
  let clock = Date.now() - 30 * DAY_MS;
  const meta = () => ({ collectedAt: new Date((clock += 60_000)), durationMs: 10 });

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = await database.open();
    // A long delay: these tests fold by hand, so they read counts both pending and folded.
    counts = createSoftwareCounts({ db: db.prisma, logger: quiet, delayMs: 60_000, shrinkBytes: 3 * 8192 });
    store = createInventoryStore({ db: db.prisma, fallbackHostname: "catalog-test", counts });
  });
  afterAll(async () => {
    await counts?.close();
    await database?.dispose();
  });

  const record = async (host: number, apps: AppRecord[]) => {
    reported.set(host, apps);
    return store.recordSuccess(inventory(host, apps), meta());
  };

  const dangling = async () =>
    (await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM apps a WHERE NOT EXISTS (SELECT 1 FROM software s WHERE s.id = a.software_id)`)[0]!.n;

  async function expectCountsMatch() {
    const fleet = createSoftwareQueries({ db: db.prisma, read: db.read });
    const expected = truth(reported);
    const titles = await fleet.titles({}, { after: null, before: null }, "asc", 10_000);
    expect(new Map(titles.map((t) => [titleKey(t), t.hostCount]))).toEqual(expected.titles);
    expect(await fleet.countTitles({})).toBe(expected.titles.size);
    const versions = await fleet.versions(titles);
    for (const title of titles) {
      const listed = versions.get(titleKey(title)) ?? [];
      expect(new Map(listed.map((v) => [v.version, v.hostCount])), title.name).toEqual(expected.versions.get(titleKey(title)));
    }
  }

  it("when a statement computes fingerprints, then PostgreSQL inlines the functions into it instead of calling each one per row", async () => {
    // Not inlined, each call runs as a statement of its own (about 800 per first inventory): the
    // functions must be no less volatile than json_build_array (STABLE), or the planner keeps the call.
    const plan = await db.prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(`EXPLAIN (VERBOSE, COSTS OFF)
      SELECT software_title_fingerprint(u.source, u.name), software_version_fingerprint(u.n, u.name),
        software_fingerprint(u.n, u.name, u.source, NULL, '{}')
      FROM unnest(ARRAY['deb_packages'], ARRAY['curl'], ARRAY[1]) AS u(source, name, n)`);
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/_fingerprint\(/);
    expect(text.match(/sha256\(/g)).toHaveLength(3);
  });

  it("when many hosts first report overlapping software at once, then every record is stored once and counts are exact, pending or folded", async () => {
    const shared = Array.from({ length: 200 }, (_, i) => deb(`lib-${i}`, `1.${i % 7}`));
    const writes = Array.from({ length: 12 }, (_, host) =>
      // Each host has the shared set in its own order, a few of its own, and some shared versions of its own.
      record(host + 1, [
        ...shared.slice(host * 10).concat(shared.slice(0, host * 10)),
        deb(`own-${host}`, "1"),
        deb("lib-0", `9.${host % 3}`),
      ]),
    );
    const snapshots = await Promise.all(writes);
    expect(snapshots.every((s) => s.status === "SUCCEEDED")).toBe(true);
    // 200 shared + 12 own + 3 extra versions of lib-0.
    expect(await db.prisma.software.count()).toBe(215);
    expect(await db.prisma.softwareTitle.count()).toBe(212);
    expect(await db.prisma.app.count()).toBe(12 * 202);
    expect(await db.prisma.softwareCountChange.count()).toBeGreaterThan(0);
    await expectCountsMatch();
    // One row per collection, however many changes it made.
    expect(await db.prisma.softwareCountChange.count()).toBe(12);
    const queueBytes = async () =>
      (await db.prisma.$queryRawUnsafe<{ bytes: number }[]>(`SELECT pg_total_relation_size('software_count_changes')::float8 AS bytes`))[0]!.bytes;
    expect(await queueBytes()).toBeGreaterThan(3 * 8192);
    // Each host: +1 for 201 titles (200 shared, its own) and for 202 versions (lib-0 twice).
    expect(await counts.fold()).toBe(12 * (201 + 202));
    expect(await db.prisma.softwareCountChange.count()).toBe(0);
    // Drained, and over the threshold: truncated, so the space is given back at once.
    expect(await queueBytes()).toBeLessThanOrEqual(3 * 8192);
    await expectCountsMatch();
  });

  it.runIf(backend === "postgres")("when a collection is appending to the queue as it drains, then folding neither waits for it nor truncates under it", async () => {
    const other = await database.open({ migrate: false });
    // Tries to truncate whatever the size of the queue's index.
    const eager = createSoftwareCounts({ db: db.prisma, logger: quiet, delayMs: 60_000, shrinkBytes: 0 });
    try {
      await other.prisma.$transaction(async (tx) => {
        // A collection's changes, not committed yet: the queue is locked against TRUNCATE.
        await tx.$executeRawUnsafe(`INSERT INTO software_count_changes (title_ids, title_deltas, version_ids, version_deltas) SELECT ARRAY[id], ARRAY[0], '{}', '{}' FROM software_titles LIMIT 1`);
        const started = performance.now();
        await eager.fold();
        expect(performance.now() - started).toBeLessThan(5_000);
      });
      // Committed after the fold: still queued, folded (and the queue emptied) by the next one.
      expect(await db.prisma.softwareCountChange.count()).toBe(1);
      await eager.fold();
      expect(await db.prisma.softwareCountChange.count()).toBe(0);
      await expectCountsMatch();
    } finally {
      await eager.close();
      await other.close();
    }
  });

  it("when hosts upgrade, remove and keep two records of one title, then titles count hosts once and versions follow", async () => {
    // Host 1 upgrades lib-1, drops lib-2, and gets a second record of lib-3 (another path).
    const apps = reported.get(1)!.filter((a) => a.name !== "lib-2").map((a) => (a.name === "lib-1" ? deb("lib-1", "2.0") : a));
    apps.push({ ...deb("lib-3", "1.3"), path: "/opt/lib-3" });
    const snapshot = await record(1, apps);
    expect(snapshot).toMatchObject({ added: 2, removed: 2 });
    await expectCountsMatch();
    // Folding while other hosts report keeps every count exact.
    const folding = counts.fold();
    await record(2, reported.get(2)!.filter((a) => !a.name.startsWith("lib-1")));
    await record(3, [...reported.get(3)!, deb("brand-new", "0.1")]);
    await folding;
    await expectCountsMatch();
    await counts.fold();
    await expectCountsMatch();
  });

  it("when retention deletes the last rows that link a software record, then the record, its version and its title go too", async () => {
    await record(4, reported.get(4)!.filter((a) => a.name !== "own-3"));
    // Removed before the newest snapshot: no retained snapshot's app set has it.
    await record(4, reported.get(4)!);
    expect(await db.prisma.softwareTitle.count({ where: { name: "own-3" } })).toBe(1);
    // Everything is older than the window: each host keeps only its newest snapshot.
    const retention = createRetention({ db: db.prisma, policy: { retainDays: 1, retainFailedDays: 1 }, logger: quiet, batchSize: 7 });
    const pruned = await retention.prune(new Date(Date.now() + 3 * DAY_MS));
    expect(pruned.software).toBeGreaterThan(0);
    expect(await db.prisma.softwareTitle.count({ where: { name: "own-3" } })).toBe(0);
    // Nothing linked is gone, and nothing unlinked is left.
    const [left] = await db.prisma.$queryRawUnsafe<{ unlinked: number; versions: number; titles: number }[]>(`SELECT
      (SELECT count(*) FROM software s WHERE NOT EXISTS (SELECT 1 FROM apps a WHERE a.software_id = s.id))::int AS unlinked,
      (SELECT count(*) FROM software_versions v WHERE NOT EXISTS (SELECT 1 FROM software s WHERE s.version_id = v.id))::int AS versions,
      (SELECT count(*) FROM software_titles t WHERE NOT EXISTS (SELECT 1 FROM software_versions v WHERE v.title_id = t.id))::int AS titles`);
    expect(left).toEqual({ unlinked: 0, versions: 0, titles: 0 });
    await expectCountsMatch();
    // Retention bumped the catalog epoch, so the store's cached entry of the pruned record is looked
    // up, found gone, and the record reported again is stored again: no link left dangling.
    expect((await db.prisma.softwareCatalogEpoch.findUniqueOrThrow({ where: { id: 1 } })).epoch).toBeGreaterThan(0);
    await record(4, [...reported.get(4)!, deb("own-3", "1")]);
    await expectCountsMatch();
    expect(await dangling()).toBe(0);
  });

  it("when the epoch row is missing, then cached entries are looked up before they are linked, and the next retention brings the row back", async () => {
    await db.prisma.softwareCatalogEpoch.deleteMany({});
    await record(5, [deb("epochless", "1"), ...reported.get(4)!.slice(0, 5)]);
    await expectCountsMatch();
    expect(await dangling()).toBe(0);
    await record(5, [deb("epochless", "2"), ...reported.get(4)!.slice(0, 5)]);
    const retention = createRetention({ db: db.prisma, policy: { retainDays: 1, retainFailedDays: 1 }, logger: quiet });
    expect((await retention.prune(new Date(Date.now() + 3 * DAY_MS))).software).toBeGreaterThan(0);
    // Recreated by the first batch that deleted rows, bumped by each later one (versions, titles).
    expect((await db.prisma.softwareCatalogEpoch.findUniqueOrThrow({ where: { id: 1 } })).epoch).toBeGreaterThanOrEqual(1);
    await record(5, [deb("epochless", "1"), ...reported.get(4)!.slice(0, 5)]);
    await expectCountsMatch();
    expect(await dangling()).toBe(0);
  });

  it("when every pooled connection is busy for longer than Prisma's default wait, then a fold waits for one and folds", async () => {
    await record(6, [deb("fold-wait", "1")]);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = 0;
    const held = Array.from({ length: db.connections }, () =>
      db.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1`;
        holding++;
        await released;
      }, { maxWait: 10_000, timeout: 30_000 }),
    );
    await expect.poll(() => holding).toBe(db.connections);
    const folding = counts.fold();
    // Prisma gives up on a connection after 2 s unless told otherwise (P2028).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    release();
    await Promise.all(held);
    expect(await folding).toBeGreaterThan(0);
    await expectCountsMatch();
  }, 30_000);

  it("when a host is deleted, then its apps go with it (apps.host_id has no foreign key: a statement trigger on hosts)", async () => {
    const host = await db.prisma.host.findUniqueOrThrow({ where: { identifier: hostIdentifier(inventory(5, []).system) } });
    const appsOf = async (id: number) =>
      (await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM apps WHERE host_id = ${id}`)[0]!.n;
    const others = (await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM apps WHERE host_id <> ${host.id}`)[0]!.n;
    expect(await appsOf(host.id)).toBeGreaterThan(0);
    await db.prisma.host.delete({ where: { id: host.id } });
    expect(await appsOf(host.id)).toBe(0);
    expect((await db.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM apps`)[0]!.n).toBe(others);
    reported.delete(5);
  });
});

// apps.software_id has no foreign key: retention's locking is all that keeps links pointing at rows.
// Needs real concurrency, so PostgreSQL only.
describe.skipIf(!backends.includes("postgres"))("retention racing first reports of new software on postgres", () => {
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    db = await database.open();
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it("when retention prunes while collections link software they have just added to the catalog, then no link is left dangling", async () => {
    // Each new record is primed (committed, linked by nothing) before the collection that links it:
    // exactly what retention deletes, unless it sees the link or the collection's lock.
    const store = createInventoryStore({ db: db.prisma, fallbackHostname: "race-test" });
    const retention = createRetention({ db: db.prisma, policy: { retainDays: 3650, retainFailedDays: 3650 }, logger: quiet, batchSize: 50 });
    const base = Array.from({ length: 40 }, (_, i) => deb(`race-base-${i}`, "1"));
    const HOSTS = 6;
    const ROUNDS = 25;
    let reporting = true;
    let prunes = 0;
    const pruning = (async () => {
      while (reporting) {
        await retention.prune(new Date());
        prunes++;
      }
    })();
    let clock = Date.now() - DAY_MS;
    await Promise.all(
      Array.from({ length: HOSTS }, async (_, host) => {
        for (let round = 0; round < ROUNDS; round++) {
          const fresh = Array.from({ length: 20 }, (_, i) => deb(`race-${host}-${round}-${i}`, String(round)));
          await store.recordSuccess(inventory(100 + host, [...base, ...fresh]), { collectedAt: new Date((clock += 1000)), durationMs: 1 });
        }
      }),
    ).finally(() => (reporting = false));
    await pruning;
    expect(prunes).toBeGreaterThan(1);
    const [left] = await db.prisma.$queryRawUnsafe<{ dangling: number; open: number }[]>(`SELECT
      (SELECT count(*) FROM apps a WHERE NOT EXISTS (SELECT 1 FROM software s WHERE s.id = a.software_id))::int AS dangling,
      (SELECT count(*) FROM apps WHERE removed_snapshot_id IS NULL)::int AS open`);
    expect(left).toEqual({ dangling: 0, open: HOSTS * 60 });
  }, 120_000);
});
