import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import type { AppRecord } from "../inventory/types.js";
import { CATALOG_LOCK } from "../db/locks.js";
import type { Logger } from "../logger.js";
import { sortKeyOf } from "./sort-key.js";

type Tx = Prisma.TransactionClient;

/**
 * Holds the catalog lock shared until the transaction ends: retention deletes no catalog row
 * meanwhile (it takes the lock exclusive), so a row this transaction has found stays until it is
 * linked and committed. Shared holders never wait for each other. Row locks (FOR KEY SHARE on every
 * row a collection links) did the same per row, at 7 ms of PostgreSQL CPU a first inventory: a row
 * locked by several collections at once takes a MultiXact, written to its page.
 */
export async function lockCatalogShared(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${CATALOG_LOCK[0]}::int, ${CATALOG_LOCK[1]}::int)`;
}

/** Holds the catalog lock exclusive until the transaction ends: for retention's deletes of unlinked rows. */
export async function lockCatalogExclusive(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CATALOG_LOCK[0]}::int, ${CATALOG_LOCK[1]}::int)`;
}

/**
 * Marks every cached catalog entry of every instance as doubtful: retention calls it in each
 * transaction that deletes catalog rows, under the catalog lock held exclusive. Recreates the row
 * should it be missing.
 */
export async function bumpCatalogEpoch(tx: Tx): Promise<void> {
  await tx.$executeRaw`INSERT INTO software_catalog_epoch (id, epoch) VALUES (1, 1)
    ON CONFLICT (id) DO UPDATE SET epoch = software_catalog_epoch.epoch + 1`;
}

/** Never an epoch (they count up from 0): an entry that must be looked up before it is linked. */
const UNSEEN = -1;

/**
 * The catalog's epoch, read under the catalog lock (held shared): until this transaction ends, no
 * catalog row is deleted, and every deletion before it bumped the epoch. A statement of its own, after
 * the lock's: a statement's snapshot is taken when it starts, before its lock would be granted. UNSEEN
 * when the row is missing: no cached entry is trusted then.
 */
async function catalogEpoch(tx: Tx): Promise<number> {
  const [row] = await tx.$queryRaw<{ epoch: number }[]>`SELECT epoch FROM software_catalog_epoch WHERE id = 1`;
  return row?.epoch ?? UNSEEN;
}

// Hex text decoded by the server: a text[] parameter asks nothing of either driver adapter but strings.
const sortKeyHex = (name: string) => Buffer.from(sortKeyOf(name)).toString("hex");

/** Where one app record is stored in the shared catalog. */
export interface CatalogEntry {
  softwareId: number;
  titleId: number;
  versionId: number;
}

// Under the catalog lock no row vanishes between our INSERT ... DO NOTHING and our SELECT; a value
// still missing after this many rounds means something is wrong.
const ENSURE_ROUNDS = 3;

/**
 * Finds or creates the catalog rows for each value and returns their ids, in input order. `insert`
 * and `select` take the unique values; `select` answers [index into them, id]. The caller holds the
 * catalog lock (lockCatalogShared), so the rows stay until this transaction has linked them.
 */
async function ensure<T>(
  values: T[],
  key: (value: T) => string,
  insert: (unique: T[]) => Promise<unknown>,
  select: (unique: T[]) => Promise<{ i: number; id: number }[]>,
  what: string,
): Promise<number[]> {
  const indexOf = new Map<string, number>();
  const unique: T[] = [];
  const positions = values.map((value) => {
    const k = key(value);
    let i = indexOf.get(k);
    if (i === undefined) {
      i = unique.length;
      indexOf.set(k, i);
      unique.push(value);
    }
    return i;
  });
  const ids = new Array<number | undefined>(unique.length);
  let missing = unique.map((_, i) => i);
  for (let round = 0; round < ENSURE_ROUNDS && missing.length > 0; round++) {
    const batch = missing.map((i) => unique[i]!);
    await insert(batch);
    for (const row of await select(batch)) ids[missing[row.i]!] = row.id;
    missing = missing.filter((i) => ids[i] === undefined);
  }
  if (missing.length > 0) throw new Error(`${missing.length} ${what} rows vanished while recording a snapshot`);
  return positions.map((i) => ids[i]!);
}

/**
 * A catalog entry as the cache holds it. `epoch`: the catalog epoch at which its row was seen
 * committed, UNSEEN for a row inserted by a transaction not known to have committed.
 */
export interface CachedEntry extends CatalogEntry {
  epoch: number;
}

/**
 * Where records already are in the catalog, as one instance has seen them: a record's software row
 * never changes (its fingerprint is unique) and ids are never reused, so an entry is either right or
 * its row is gone (retention deleted it). Retention bumps the catalog epoch whenever it deletes
 * rows, so an entry seen at the current epoch is right; ensureSoftware looks up the others. Bounded;
 * the oldest entries go first.
 */
export interface CatalogCache {
  get(key: string): CachedEntry | undefined;
  set(key: string, entry: CachedEntry): void;
  delete(key: string): void;
  readonly size: number;
}

/**
 * `maxEntries`: 100,000 by default, a few times the distinct records of a 10,000-host fleet
 * (bench/fleet.ts: 65,000), about 25 MB when full.
 */
export function createCatalogCache(maxEntries = 100_000): CatalogCache {
  const entries = new Map<string, CachedEntry>();
  return {
    get: (key) => entries.get(key),
    set(key, entry) {
      if (entries.size >= maxEntries && !entries.has(key)) {
        // A tenth at a time, oldest first (insertion order): eviction is rare, and hits never reorder.
        let drop = Math.max(1, Math.floor(maxEntries / 10));
        for (const old of entries.keys()) {
          entries.delete(old);
          if (--drop === 0) break;
        }
      }
      entries.set(key, entry);
    },
    delete: (key) => void entries.delete(key),
    get size() {
      return entries.size;
    },
  };
}

/** What makes a record one software row: its fingerprint's fields, as a cache key. */
export function softwareKey(r: AppRecord): string {
  return JSON.stringify([r.source, r.name, r.version, r.path, r.bundleIdentifier, r.publisher, r.alterations]);
}

/**
 * The catalog ids of each record (titles, versions and software rows inserted where new), in input
 * order, under the catalog lock (taken here, held to the end of `tx`). Records the cache knows at
 * the current epoch cost nothing; the other cached ones one statement for all of them, and any whose
 * row is found gone (retention deleted it since) are looked up again. In a fleet most of a new host's
 * software is already in the catalog, so a first inventory sends ids, not its text three times over.
 */
export async function ensureSoftware(tx: Tx, records: AppRecord[], cache?: CatalogCache, primed?: Primed): Promise<CatalogEntry[]> {
  await lockCatalogShared(tx);
  if (!cache) return insertSoftware(tx, records);
  const epoch = await catalogEpoch(tx);
  const keys = records.map((record) => primed?.get(record)?.key ?? softwareKey(record));
  const found: (CachedEntry | undefined)[] = records.map((record, i) => primed?.get(record)?.entry ?? cache.get(keys[i]!));
  const seen = (entry: CachedEntry) => epoch !== UNSEEN && entry.epoch === epoch;
  const doubtful = [...new Set(found.flatMap((entry) => (entry && !seen(entry) ? [entry.softwareId] : [])))];
  if (doubtful.length > 0) {
    const present = new Set(
      (await tx.$queryRaw<{ id: number }[]>`SELECT id FROM software WHERE id = ANY(${doubtful}::int[])`).map((row) => row.id),
    );
    found.forEach((entry, i) => {
      if (!entry || seen(entry)) return;
      if (present.has(entry.softwareId)) {
        // Committed, and kept until this transaction ends: right at this epoch.
        cache.set(keys[i]!, (found[i] = { ...entry, epoch }));
      } else {
        cache.delete(keys[i]!);
        found[i] = undefined;
      }
    });
  }
  const missing = found.flatMap((entry, i) => (entry ? [] : [i]));
  if (missing.length > 0) {
    // Cached before the transaction commits, as unseen: should it roll back, the next use finds the rows gone.
    const inserted = await insertSoftware(tx, missing.map((i) => records[i]!));
    missing.forEach((i, j) => {
      found[i] = { ...inserted[j]!, epoch: UNSEEN };
      cache.set(keys[i]!, found[i]);
    });
  }
  return found as CatalogEntry[];
}

// Records per transaction when priming the catalog: a short transaction holds its new rows briefly.
const PRIME_CHUNK = 2000;

/**
 * Where primeCatalog found or put each record (by the record object), for ensureSoftware: each
 * record's cache key is made and looked up once per collection (the two were 8% of the service's CPU
 * in a fleet's first inventories, each done twice).
 */
export type Primed = ReadonlyMap<AppRecord, { key: string; entry: CachedEntry }>;

/**
 * Puts the records the cache does not know into the catalog in short transactions of their own,
 * before a collection's transaction, and caches where they are. Inside a collection's transaction, a
 * row it inserted stays uncommitted until the whole snapshot is written, and every concurrent
 * collection inserting the same new software waited for it (ON CONFLICT waits for the inserter): a
 * fleet's first inventories, which all bring the same new software at once, ran one at a time. Rows
 * primed and then not linked (the collection fails) are unreferenced and go with retention.
 * `options`: the collection's own transaction options; with Prisma's defaults (2 s to get a
 * connection), a loaded database failed the prime, and so the collection, where the collection's
 * transaction would have waited.
 */
export async function primeCatalog(
  db: PrismaClient,
  records: AppRecord[],
  cache: CatalogCache,
  options?: { maxWait: number; timeout: number },
): Promise<Primed> {
  const primed = new Map<AppRecord, { key: string; entry: CachedEntry }>();
  const unknown: AppRecord[] = [];
  const keys: string[] = [];
  // Records of the same key (the same app reported twice) share the first one's entry.
  const pending = new Map<string, AppRecord[]>();
  for (const record of records) {
    const key = softwareKey(record);
    const entry = cache.get(key);
    if (entry) {
      primed.set(record, { key, entry });
      continue;
    }
    const same = pending.get(key);
    if (same) {
      same.push(record);
      continue;
    }
    pending.set(key, [record]);
    unknown.push(record);
    keys.push(key);
  }
  for (let i = 0; i < unknown.length; i += PRIME_CHUNK) {
    const entries = await db.$transaction(async (tx) => {
      // Retention must not delete a title between our insert of it and of a version under it.
      await lockCatalogShared(tx);
      const epoch = await catalogEpoch(tx);
      // Cached once committed, at this epoch: nothing is deleted before the commit.
      return (await insertSoftware(tx, unknown.slice(i, i + PRIME_CHUNK))).map((entry) => ({ ...entry, epoch }));
    }, options);
    entries.forEach((entry, j) => {
      const key = keys[i + j]!;
      cache.set(key, entry);
      for (const record of pending.get(key)!) primed.set(record, { key, entry });
    });
  }
  return primed;
}

/**
 * Finds or creates the catalog rows of each record; the caller holds the catalog lock. Rows are
 * inserted in fingerprint order, so two collections adding the same new software wait for each other
 * in one order and never deadlock.
 */
async function insertSoftware(tx: Tx, records: AppRecord[]): Promise<CatalogEntry[]> {
  if (records.length === 0) return [];
  const titleIds = await ensure(
    records,
    (r) => JSON.stringify([r.source, r.name]),
    (titles) => tx.$executeRaw`INSERT INTO software_titles (fingerprint, source, name, sort_key)
      SELECT software_title_fingerprint(u.source, u.name), u.source, u.name, decode(u.sort_key, 'hex')
      FROM unnest(${titles.map((t) => t.source)}::text[], ${titles.map((t) => t.name)}::text[],
        ${titles.map((t) => sortKeyHex(t.name))}::text[]) AS u(source, name, sort_key)
      ORDER BY 1
      ON CONFLICT (fingerprint) DO NOTHING`,
    (titles) => tx.$queryRaw<{ i: number; id: number }[]>`SELECT (u.i - 1)::int AS i, t.id
      FROM unnest(${titles.map((t) => t.source)}::text[], ${titles.map((t) => t.name)}::text[]) WITH ORDINALITY AS u(source, name, i)
      JOIN software_titles t ON t.fingerprint = software_title_fingerprint(u.source, u.name)`,
    "software_titles",
  );

  const versions = records.map((r, i) => ({ titleId: titleIds[i]!, version: r.version }));
  const versionIds = await ensure(
    versions,
    (v) => JSON.stringify([v.titleId, v.version]),
    (unique) => tx.$executeRaw`INSERT INTO software_versions (fingerprint, title_id, version)
      SELECT software_version_fingerprint(u.title_id, u.version), u.title_id, u.version
      FROM unnest(${unique.map((v) => v.titleId)}::int[], ${unique.map((v) => v.version)}::text[]) AS u(title_id, version)
      ORDER BY 1
      ON CONFLICT (fingerprint) DO NOTHING`,
    (unique) => tx.$queryRaw<{ i: number; id: number }[]>`SELECT (u.i - 1)::int AS i, v.id
      FROM unnest(${unique.map((v) => v.titleId)}::int[], ${unique.map((v) => v.version)}::text[]) WITH ORDINALITY AS u(title_id, version, i)
      JOIN software_versions v ON v.fingerprint = software_version_fingerprint(u.title_id, u.version)`,
    "software_versions",
  );

  // Comma-joined (the names have no commas): unnest would flatten an array of arrays.
  const items = records.map((r, i) => ({ record: r, titleId: titleIds[i]!, versionId: versionIds[i]!, alterations: r.alterations.join(",") }));
  const column = <K extends keyof AppRecord>(list: typeof items, k: K) => list.map((item) => item.record[k]);
  const softwareIds = await ensure(
    items,
    (item) => JSON.stringify([item.versionId, item.record.path, item.record.bundleIdentifier, item.record.publisher, item.alterations]),
    (unique) => tx.$executeRaw`INSERT INTO software (fingerprint, version_id, title_id, source, name, version, path, bundle_identifier, publisher, alterations, sort_key)
      SELECT software_fingerprint(u.version_id, u.path, u.bundle_identifier, u.publisher, u.alterations::text),
        u.version_id, u.title_id, u.source, u.name, u.version, u.path, u.bundle_identifier, u.publisher, u.alterations, u.sort_key
      FROM (SELECT version_id, title_id, source, name, version, path, bundle_identifier, publisher,
              string_to_array(alterations, ',')::"AppAlteration"[] AS alterations, decode(sort_key, 'hex') AS sort_key
            FROM unnest(${unique.map((item) => item.versionId)}::int[], ${unique.map((item) => item.titleId)}::int[],
              ${column(unique, "source")}::text[], ${column(unique, "name")}::text[], ${column(unique, "version")}::text[],
              ${column(unique, "path")}::text[], ${column(unique, "bundleIdentifier")}::text[], ${column(unique, "publisher")}::text[],
              ${unique.map((item) => item.alterations)}::text[], ${unique.map((item) => sortKeyHex(item.record.name))}::text[])
              AS v(version_id, title_id, source, name, version, path, bundle_identifier, publisher, alterations, sort_key)) AS u
      ORDER BY 1
      ON CONFLICT (fingerprint) DO NOTHING`,
    (unique) => tx.$queryRaw<{ i: number; id: number }[]>`SELECT (u.i - 1)::int AS i, s.id
      FROM unnest(${unique.map((item) => item.versionId)}::int[], ${column(unique, "path")}::text[],
        ${column(unique, "bundleIdentifier")}::text[], ${column(unique, "publisher")}::text[], ${unique.map((item) => item.alterations)}::text[])
        WITH ORDINALITY AS u(version_id, path, bundle_identifier, publisher, alterations, i)
      JOIN software s ON s.fingerprint = software_fingerprint(u.version_id, u.path, u.bundle_identifier, u.publisher,
        string_to_array(u.alterations, ',')::"AppAlteration"[]::text)`,
    "software",
  );
  return items.map((item, i) => ({ softwareId: softwareIds[i]!, titleId: item.titleId, versionId: item.versionId }));
}

/** A title or version a host gained (+1) or lost (-1) with one snapshot. */
export interface CountChange {
  titleId: number;
  /** null: the title's count. */
  versionId: number | null;
  delta: 1 | -1;
}

/**
 * What one snapshot changes in the fleet's host counts: a host counts once for each title and each
 * version it has, however many records of it (paths, architectures) it has.
 */
export function countChanges(before: Iterable<Omit<CatalogEntry, "softwareId">>, after: Iterable<Omit<CatalogEntry, "softwareId">>): CountChange[] {
  const titles = (entries: Iterable<Omit<CatalogEntry, "softwareId">>) => {
    const t = new Set<number>();
    const v = new Map<number, number>();
    for (const e of entries) {
      t.add(e.titleId);
      v.set(e.versionId, e.titleId);
    }
    return { t, v };
  };
  const was = titles(before);
  const is = titles(after);
  const changes: CountChange[] = [];
  for (const titleId of is.t) if (!was.t.has(titleId)) changes.push({ titleId, versionId: null, delta: 1 });
  for (const titleId of was.t) if (!is.t.has(titleId)) changes.push({ titleId, versionId: null, delta: -1 });
  for (const [versionId, titleId] of is.v) if (!was.v.has(versionId)) changes.push({ titleId, versionId, delta: 1 });
  for (const [versionId, titleId] of was.v) if (!is.v.has(versionId)) changes.push({ titleId, versionId, delta: -1 });
  return changes;
}

/** Appends one collection's count changes to the queue: one row, whatever their number. */
export async function appendCountChanges(tx: Tx, changes: CountChange[]): Promise<void> {
  if (changes.length === 0) return;
  const titles = changes.filter((c) => c.versionId === null);
  const versions = changes.filter((c) => c.versionId !== null);
  await tx.$executeRaw`INSERT INTO software_count_changes (title_ids, title_deltas, version_ids, version_deltas)
    VALUES (${titles.map((c) => c.titleId)}::int[], ${titles.map((c) => c.delta)}::int[],
      ${versions.map((c) => c.versionId)}::int[], ${versions.map((c) => c.delta)}::int[])`;
}

/** SQL: the changes to title and version host counts not folded yet. */
export const PENDING_TITLE_COUNTS = `SELECT u.title_id, sum(u.delta)::int AS delta
  FROM software_count_changes c, unnest(c.title_ids, c.title_deltas) AS u(title_id, delta) GROUP BY u.title_id`;
export const PENDING_VERSION_COUNTS = `SELECT u.version_id, sum(u.delta)::int AS delta
  FROM software_count_changes c, unnest(c.version_ids, c.version_deltas) AS u(version_id, delta) GROUP BY u.version_id`;

export interface SoftwareCounts {
  /** Folds every pending change into the counts; resolves the number of changes folded. */
  fold(): Promise<number>;
  /** A collection committed count changes: fold them soon (at most one fold per `delayMs`). */
  changed(): void;
  /** Stops the timer; a fold in progress finishes. */
  close(): Promise<void>;
}

export interface SoftwareCountsOptions {
  db: PrismaClient;
  logger: Logger;
  /** Wait after a change before folding, so that a burst of collections folds once. @default 1000 */
  delayMs?: number;
  /**
   * The wait grows with the last fold's duration, so that folding takes at most about a tenth of the
   * time (9 × the fold), up to this. @default 10000
   */
  maxDelayMs?: number;
  /** Collections' changes (queue rows) folded per transaction. @default 200 */
  batchSize?: number;
  /** Size of the emptied queue (table, TOAST and index) above which it is truncated. @default 8 MiB */
  shrinkBytes?: number;
}

/** Another transaction holds the queue: it is truncated at a later fold. */
class Busy extends Error {}

// A fold waits for a pooled connection like a collection does: with Prisma's 2 s, folds failed (P2028)
// during a fleet's enrollment burst, when every connection was busy, and the queue grew meanwhile.
const FOLD_TRANSACTION = { maxWait: 30_000, timeout: 60_000 } as const;

// One folder at a time across instances sharing the database (pg_try_advisory_xact_lock); the other
// instances' changes are folded by whichever holds it, or at their own next fold.
const FOLD_LOCK = 72707370;

/**
 * Keeps software_title_hosts and software_version_hosts current. Collections append
 * changes (no lock on a shared counter); this folds them in short transactions. Readers add the
 * pending changes to the folded counts, so every answer is exact whether or not a fold has run.
 */
export function createSoftwareCounts({ db, logger, delayMs = 1000, maxDelayMs = 10_000, batchSize = 200, shrinkBytes = 8 * 1024 * 1024 }: SoftwareCountsOptions): SoftwareCounts {
  let timer: NodeJS.Timeout | null = null;
  // A fold's cost is mostly one update per counter its changes touch, however many collections
  // brought them: during a fleet's first inventories a fold a second took 289 ms for about 17
  // inventories (17 ms of PostgreSQL CPU each, the largest part of storing one). Waiting longer when
  // folds are long lets more collections share each counter update; readers add what is pending, so
  // counts stay exact, at the cost of a larger queue for them to add.
  let lastFoldMs = 0;
  let running: Promise<number> | null = null;
  let again = false;
  let closed = false;

  const foldBatch = () =>
    db.$transaction(async (tx) => {
      const [{ locked } = { locked: false }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${FOLD_LOCK}) AS locked`;
      if (!locked) return { rows: 0, n: 0 };
      // Changes of a title or version that retention has deleted since are dropped with it (the joins).
      // Counters that exist are updated in place and new ones inserted: an INSERT ... ON CONFLICT of
      // every counter tries and fails an insert per existing row first (twice the time, measured).
      const [{ rows, n } = { rows: 0, n: 0 }] = await tx.$queryRaw<{ rows: number; n: number }[]>`WITH moved AS (
          DELETE FROM software_count_changes WHERE id IN (SELECT id FROM software_count_changes ORDER BY id LIMIT ${batchSize})
          RETURNING title_ids, title_deltas, version_ids, version_deltas),
        title_changes AS (
          SELECT u.title_id, sum(u.delta)::int AS delta FROM moved, unnest(moved.title_ids, moved.title_deltas) AS u(title_id, delta)
          GROUP BY u.title_id),
        version_changes AS (
          SELECT u.version_id, sum(u.delta)::int AS delta FROM moved, unnest(moved.version_ids, moved.version_deltas) AS u(version_id, delta)
          GROUP BY u.version_id),
        titles_kept AS (
          UPDATE software_title_hosts h SET host_count = h.host_count + c.delta FROM title_changes c WHERE h.title_id = c.title_id),
        titles_new AS (
          INSERT INTO software_title_hosts (title_id, host_count)
          SELECT c.title_id, c.delta FROM title_changes c JOIN software_titles t ON t.id = c.title_id
          WHERE NOT EXISTS (SELECT 1 FROM software_title_hosts h WHERE h.title_id = c.title_id)
          ORDER BY 1),
        versions_kept AS (
          UPDATE software_version_hosts h SET host_count = h.host_count + c.delta FROM version_changes c WHERE h.version_id = c.version_id),
        versions_new AS (
          INSERT INTO software_version_hosts (version_id, host_count)
          SELECT c.version_id, c.delta FROM version_changes c JOIN software_versions v ON v.id = c.version_id
          WHERE NOT EXISTS (SELECT 1 FROM software_version_hosts h WHERE h.version_id = c.version_id)
          ORDER BY 1)
        SELECT count(*)::int AS rows, coalesce(sum(cardinality(title_ids) + cardinality(version_ids)), 0)::int AS n FROM moved`;
      return { rows, n };
    }, FOLD_TRANSACTION);

  /**
   * The queue is appended to and emptied all the time, so its pages (the arrays are TOASTed) keep the
   * size of what passed through them until VACUUM recycles them (when it was a row per change, its
   * index alone reached 250 MB after 10,000 first inventories). Once drained, and only when it has
   * grown, the table is emptied with TRUNCATE, which gives the space back at once; if a collection is
   * appending right then, the next fold tries again.
   */
  const shrink = () =>
    db.$transaction(async (tx) => {
      const [{ bytes } = { bytes: 0 }] = await tx.$queryRaw<{ bytes: number }[]>`SELECT pg_total_relation_size('software_count_changes')::float8 AS bytes`;
      if (bytes < shrinkBytes) return;
      try {
        await tx.$executeRaw`LOCK TABLE software_count_changes IN ACCESS EXCLUSIVE MODE NOWAIT`;
      } catch {
        throw new Busy();
      }
      const [{ empty } = { empty: false }] = await tx.$queryRaw<{ empty: boolean }[]>`SELECT NOT EXISTS (SELECT 1 FROM software_count_changes) AS empty`;
      if (empty) await tx.$executeRaw`TRUNCATE software_count_changes`;
    }, FOLD_TRANSACTION).catch((error: unknown) => {
      if (!(error instanceof Busy)) throw error;
    });

  const fold = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rows, n } = await foldBatch();
      total += n;
      if (rows < batchSize) break;
    }
    await shrink();
    return total;
  };

  const run = () => {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    const started = performance.now();
    running = fold()
      .then((n) => {
        lastFoldMs = performance.now() - started;
        return n;
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, "folding software counts failed; the changes stay pending and are folded at the next collection");
        return 0;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          counts.changed();
        }
      });
  };

  const counts: SoftwareCounts = {
    fold: () => fold(),
    changed() {
      if (closed || timer) return;
      timer = setTimeout(run, Math.min(maxDelayMs, Math.max(delayMs, 9 * lastFoldMs)));
      timer.unref();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
  return counts;
}
