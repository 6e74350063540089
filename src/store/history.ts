import { LRUCache } from "lru-cache";
import { Prisma, type PrismaClient, type Snapshot } from "../generated/prisma/client.js";
import { appIdentity } from "./identity.js";
import type { Read } from "../db/read.js";
import { APP_COLUMNS, APPS, exactApps, type StoredApp } from "./app-queries.js";
import { DIFF_STATEMENTS } from "./app-statements.js";
import { compareVersions, versionSchemeFor } from "./version-order.js";

export const ChangeKind = {
  ADDED: "ADDED",
  REMOVED: "REMOVED",
  UPGRADED: "UPGRADED",
  DOWNGRADED: "DOWNGRADED",
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];
export const CHANGE_KINDS: readonly ChangeKind[] = [ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.UPGRADED, ChangeKind.DOWNGRADED];

export interface AppChange {
  kind: ChangeKind;
  name: string;
  source: string;
  path: string | null;
  fromVersion: string | null;
  toVersion: string | null;
  /** The app as it is at the "to" side (ADDED, UPGRADED, DOWNGRADED) or as it was (REMOVED). */
  app: StoredApp;
}

export interface Diff {
  /** Ordered like latestData: by name (case-insensitive), then source, path and kind. */
  changes: AppChange[];
  counts: Record<ChangeKind, number>;
}

type SnapshotRef = Pick<Snapshot, "id" | "hostId">;

const KIND_ORDER: Record<ChangeKind, number> = { REMOVED: 0, DOWNGRADED: 1, UPGRADED: 2, ADDED: 3 };
const compareText = (a: string | null, b: string | null) => ((a ?? "") < (b ?? "") ? -1 : (a ?? "") > (b ?? "") ? 1 : 0);

function compareChanges(a: AppChange, b: AppChange): number {
  return (
    // sortKey already holds the lower-cased name's bytes: no allocation per comparison.
    Buffer.compare(a.app.sortKey, b.app.sortKey) ||
    compareText(a.name, b.name) ||
    compareText(a.source, b.source) ||
    compareText(a.path, b.path) ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    compareText(a.fromVersion, b.fromVersion) ||
    compareText(a.toVersion, b.toVersion) ||
    a.app.id - b.app.id
  );
}

/**
 * The changes between two app sets, given only the rows that differ: `before` holds the apps present
 * at the "from" side only, `after` those present at the "to" side only. An identity on both sides
 * (removed and installed again in between) is no change. An app whose source, name and path stay
 * while the version changes is one UPGRADED or DOWNGRADED change, ordered the way its package system
 * orders versions; anything else is ADDED or REMOVED.
 */
export function computeDiff(before: StoredApp[], after: StoredApp[]): Diff {
  const afterByIdentity = new Map<string, StoredApp[]>();
  for (const app of after) {
    const key = appIdentity(app);
    afterByIdentity.set(key, [...(afterByIdentity.get(key) ?? []), app]);
  }
  const removed: StoredApp[] = [];
  for (const app of before) {
    const same = afterByIdentity.get(appIdentity(app));
    if (same?.length) same.pop();
    else removed.push(app);
  }
  const added = [...afterByIdentity.values()].flat();

  const slot = (app: StoredApp) => JSON.stringify([app.source, app.name, app.path]);
  const groups = new Map<string, { from: StoredApp[]; to: StoredApp[] }>();
  for (const app of removed) {
    const g = groups.get(slot(app)) ?? { from: [], to: [] };
    g.from.push(app);
    groups.set(slot(app), g);
  }
  for (const app of added) {
    const g = groups.get(slot(app)) ?? { from: [], to: [] };
    g.to.push(app);
    groups.set(slot(app), g);
  }

  const changes: AppChange[] = [];
  const change = (kind: ChangeKind, app: StoredApp, fromVersion: string | null, toVersion: string | null) =>
    changes.push({ kind, name: app.name, source: app.source, path: app.path, fromVersion, toVersion, app });
  for (const { from, to } of groups.values()) {
    const [f] = from;
    const [t] = to;
    if (from.length === 1 && to.length === 1 && f && t) {
      const order = compareVersions(versionSchemeFor(t.source), f.version ?? "", t.version ?? "");
      change(order <= 0 ? ChangeKind.UPGRADED : ChangeKind.DOWNGRADED, t, f.version, t.version);
      continue;
    }
    for (const app of from) change(ChangeKind.REMOVED, app, app.version, null);
    for (const app of to) change(ChangeKind.ADDED, app, null, app.version);
  }
  changes.sort(compareChanges);
  const counts = { ADDED: 0, REMOVED: 0, UPGRADED: 0, DOWNGRADED: 0 };
  for (const c of changes) counts[c.kind]++;
  return { changes, counts };
}

export interface History {
  /** What changed from one SUCCEEDED snapshot to another of the same host (either may be the newer). */
  diff(from: SnapshotRef, to: SnapshotRef): Promise<Diff>;
  /** What a SUCCEEDED snapshot changed against the host's previous SUCCEEDED one. */
  changesAt(snapshot: SnapshotRef): Promise<Diff>;
  /** The host's SUCCEEDED snapshot before this one, if it is still retained. */
  previous(snapshot: SnapshotRef): Promise<Snapshot | null>;
  /** Every version of one app the host had, oldest first (name compared case-insensitively). */
  appHistory(hostId: number, name: string, source: string | null): Promise<StoredApp[]>;
}

export interface HistoryOptions {
  db: PrismaClient;
  /** snapshotDiff's two statements go through it (DIFF_STATEMENTS). */
  read: Read;
  /**
   * Bytes of heap that diffs kept in memory may take, as `diffBytes` estimates them (a diff of two
   * snapshots never changes, and clients page through it); least recently used diffs go first, and a
   * diff larger than this is not kept. 0 turns the cache off. @default 16 MiB (a first inventory of
   * 8,000 apps)
   */
  cacheBytes?: number;
  /** A diff nobody asked for in this long is dropped: paging through one takes seconds. @default 60000 */
  cacheIdleMs?: number;
  /** Diffs kept at most, however small. @default 1000 */
  cacheEntries?: number;
  /** Milliseconds on a monotonic clock, for cacheIdleMs. @default performance.now */
  now?: () => number;
}

/**
 * What a diff holds on the heap, estimated: each change keeps a stored app (its strings, sort key,
 * dates and alterations) and its own object. Measured at 0.7 KB a change for diffs built in a test
 * and about 2.5 KB in heap snapshots of the soak (rows as pg parses them); the larger figure is used,
 * so the bound errs towards keeping less. An empty diff still costs its own objects.
 */
export const DIFF_BYTES = { perDiff: 1024, perChange: 2560 } as const;
export const diffBytes = (diff: Diff) => DIFF_BYTES.perDiff + diff.changes.length * DIFF_BYTES.perChange;

export function createHistory({ db, read, cacheBytes = 16 * 1024 * 1024, cacheIdleMs = 60_000, cacheEntries = 1000, now = () => performance.now() }: HistoryOptions): History {
  // Kept until unused for cacheIdleMs: bounded in bytes alone, a cache that every collection adds a
  // diff to grows for hours before the bound is reached (the soak's heap grew 0.44 MB a minute with a
  // bound of 50,000 changes, and a diff of no changes counted for nothing).
  const cache =
    cacheBytes > 0
      ? new LRUCache<string, Diff>({
          max: cacheEntries,
          maxSize: cacheBytes,
          maxEntrySize: cacheBytes,
          sizeCalculation: diffBytes,
          ttl: cacheIdleMs,
          updateAgeOnGet: true,
          ttlAutopurge: true,
          perf: { now },
        })
      : null;
  /** Diffs being computed: a second request for one waits for the first instead of querying again. */
  const computing = new Map<string, Promise<Diff>>();
  const remember = (key: string, compute: () => Promise<Diff>): Promise<Diff> => {
    const hit = cache?.get(key);
    if (hit) return Promise.resolve(hit);
    const pending = computing.get(key);
    if (pending) return pending;
    const diff = compute();
    computing.set(key, diff);
    diff.then(
      (d) => {
        computing.delete(key);
        cache?.set(key, d);
      },
      () => computing.delete(key),
    );
    return diff;
  };

  return {
    diff(from, to) {
      return remember(`${from.id}:${to.id}`, async () => {
        const lo = Math.min(from.id, to.id);
        const hi = Math.max(from.id, to.id);
        const [onlyLo, onlyHi] = await Promise.all([
          read<StoredApp>(DIFF_STATEMENTS.onlyOlder, [from.hostId, lo, hi]).then(exactApps),
          read<StoredApp>(DIFF_STATEMENTS.onlyNewer, [from.hostId, lo, hi]).then(exactApps),
        ]);
        return from.id <= to.id ? computeDiff(onlyLo, onlyHi) : computeDiff(onlyHi, onlyLo);
      });
    },

    changesAt(snapshot) {
      // Rows change only at SUCCEEDED snapshots, so the rows first seen or removed exactly here are the
      // diff against the previous one, even after retention has deleted that previous snapshot.
      return remember(`at:${snapshot.id}`, async () => {
        const [removed, added] = await Promise.all([
          db.$queryRaw<StoredApp[]>`SELECT ${APP_COLUMNS} FROM ${APPS} WHERE a.host_id = ${snapshot.hostId} AND a.removed_snapshot_id = ${snapshot.id}`.then(exactApps),
          db.$queryRaw<StoredApp[]>`SELECT ${APP_COLUMNS} FROM ${APPS} WHERE a.host_id = ${snapshot.hostId} AND a.first_seen_snapshot_id = ${snapshot.id}`.then(exactApps),
        ]);
        return computeDiff(removed, added);
      });
    },

    previous(snapshot) {
      return db.snapshot.findFirst({
        where: { hostId: snapshot.hostId, status: "SUCCEEDED", id: { lt: snapshot.id } },
        orderBy: { id: "desc" },
      });
    },

    appHistory(hostId, name, source) {
      const key = Buffer.from(name.toLowerCase(), "utf8");
      return db.$queryRaw<StoredApp[]>`SELECT ${APP_COLUMNS} FROM ${APPS}
        WHERE a.host_id = ${hostId} AND s.sort_key = ${key}::bytea ${source ? Prisma.sql`AND s.source = ${source}` : Prisma.empty}
        ORDER BY a.first_seen_snapshot_id, a.id`.then(exactApps);
    },
  };
}
