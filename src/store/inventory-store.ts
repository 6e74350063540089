import { createHash } from "node:crypto";
import type { Prisma, PrismaClient, Snapshot } from "../generated/prisma/client.js";
import { SnapshotSource, SnapshotStatus, type AppAlteration as StoredAlteration } from "../generated/prisma/enums.js";
import type { AppAlteration, AppRecord, Inventory, OsVersion, SystemInfo } from "../inventory/types.js";
import { APPS, exactText, exactTextColumn } from "./app-queries.js";
import { appIdentity } from "./identity.js";
import {
  appendCountChanges,
  countChanges,
  createCatalogCache,
  ensureSoftware,
  primeCatalog,
  type CatalogCache,
  type CatalogEntry,
  type Primed,
  type SoftwareCounts,
} from "./software-catalog.js";

export interface RunMeta {
  collectedAt: Date;
  durationMs: number;
}

/** What an agent answered to one batch of inventory queries. */
export type AgentOutcome = { ok: true; inventory: Inventory } | { ok: false; error: string };

export interface InventoryStore {
  /**
   * Writes one SUCCEEDED snapshot of this service's own machine (found by its identity, created at
   * the first collection) and the app changes since the host's previous one, in one transaction.
   */
  recordSuccess(inventory: Inventory, meta: RunMeta): Promise<Snapshot>;
  /** Writes one FAILED snapshot of this service's own machine with the reason; nothing else changes. */
  recordFailure(error: string, meta: RunMeta): Promise<Snapshot>;
  /**
   * Writes what an enrolled agent answered to the inventory batch `batch`, as a snapshot of its host,
   * through the same code as a local collection. Agents resend writes after a timeout: only the first
   * write of the batch the host is waiting for is stored; any other resolves null and writes nothing.
   */
  recordAgentResult(hostId: number, batch: string, outcome: AgentOutcome, meta: RunMeta): Promise<Snapshot | null>;
  /** This service's own host, null before its first collection. */
  localHostId(): Promise<number | null>;
}

export interface InventoryStoreOptions {
  db: PrismaClient;
  /** Names the host of a failed first collection, before osquery has said what the machine is. */
  fallbackHostname: string;
  /** Told after each committed collection, to fold the fleet's software counts. */
  counts?: SoftwareCounts;
  /** Where software already is in the catalog; a cache of its own by default. */
  catalogCache?: CatalogCache;
}

// Rows per INSERT: the rows travel as arrays (a fixed number of bind parameters), so this only bounds
// the size of one statement for inventories far larger than any real machine's.
const WRITE_CHUNK = 20_000;
// Generous, because the first collection of a large inventory inserts thousands of rows.
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

/** An app row alive at the host's newest snapshot; its text read with exactTextColumn. */
interface OpenApp {
  id: number;
  source: string;
  name: string;
  version: string | null;
  path: string | null;
  altered: boolean;
  titleId: number;
  versionId: number;
}

// The database's enum and the inventory's must name the same alterations (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const alterationsAgree: Same<AppAlteration, StoredAlteration> = true;
void alterationsAgree;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function versionFingerprint(osqueryVersion: string, os: OsVersion): string {
  return createHash("sha256")
    .update(JSON.stringify([osqueryVersion, os.name, os.version, os.platform, os.platformLike, os.arch, os.build]))
    .digest("hex");
}

/** Identity of the machine: the hardware UUID, or its hostname where osquery reports no UUID. */
export function hostIdentifier(system: SystemInfo): string {
  return system.uuid ? `uuid:${system.uuid.toLowerCase()}` : `hostname:${system.hostname.toLowerCase()}`;
}

/** Reuses the row of a machine whose versions are unchanged; inserts one otherwise. */
async function versionIdOf(tx: Prisma.TransactionClient, inventory: Inventory): Promise<number> {
  const fingerprint = versionFingerprint(inventory.osqueryVersion, inventory.os);
  const [existing] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM versions WHERE fingerprint = ${fingerprint}`;
  if (existing) return existing.id;
  const { os } = inventory;
  const [inserted] = await tx.$queryRaw<{ id: number }[]>`INSERT INTO versions (fingerprint, osquery_version, os_name, os_version, platform, platform_like, arch, build)
    VALUES (${fingerprint}, ${inventory.osqueryVersion}, ${os.name}, ${os.version}, ${os.platform}, ${os.platformLike}, ${os.arch}, ${os.build})
    ON CONFLICT (fingerprint) DO NOTHING
    RETURNING id`;
  if (inserted) return inserted.id;
  // Another host's collection inserted the same versions after our SELECT; its row is committed by now.
  const [raced] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM versions WHERE fingerprint = ${fingerprint}`;
  if (!raced) throw new Error(`versions row ${fingerprint} vanished while recording a snapshot`);
  return raced.id;
}

/**
 * One INSERT per batch, each column one array parameter. Prisma's createMany spent about 90% of a
 * 5,000-app first collection in the client, building and binding parameters per row (bench/ingest.ts).
 */
async function insertApps(tx: Prisma.TransactionClient, softwareIds: number[], hostId: number, snapshotId: number, collectedAt: Date): Promise<void> {
  // The text starts with "INSERT INTO": pg_stat_activity filters (and reliability.test.ts) look for that prefix.
  await tx.$executeRaw`INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
    SELECT ${hostId}::int, software_id, ${snapshotId}::int, ${collectedAt}::timestamptz
    FROM unnest(${softwareIds}::int[]) AS a(software_id)`;
}

/** The agent resent a batch already stored, or one the host no longer waits for: nothing to write. */
class StaleBatch extends Error {}

type Tx = Prisma.TransactionClient;

/** The local machine's host: by identity, else the placeholder left by failed first runs, else a new one. */
async function localHost(tx: Tx, inventory: Inventory): Promise<number> {
  const identifier = hostIdentifier(inventory.system);
  const host = await tx.host.findUnique({ where: { identifier }, select: { id: true, local: true } });
  if (host) {
    if (!host.local) await tx.host.update({ where: { id: host.id }, data: { local: true } });
    return host.id;
  }
  const placeholder = await tx.host.findFirst({ where: { identifier: null, local: true }, orderBy: { id: "asc" }, select: { id: true } });
  if (placeholder) {
    await tx.host.update({ where: { id: placeholder.id }, data: { identifier } });
    return placeholder.id;
  }
  const created = await tx.host.create({
    data: { identifier, hostname: inventory.system.hostname, platform: inventory.os.platform, local: true },
    select: { id: true },
  });
  return created.id;
}

/** Writes the snapshot of one successful collection of `hostId`, under a row lock on the host. */
async function writeSuccess(tx: Tx, hostId: number, inventory: Inventory, meta: RunMeta & { source: SnapshotSource }, cache: CatalogCache, primed: Primed): Promise<Snapshot> {
  // Serialises collections of one host (also across service instances sharing a database), so two
  // runs never compute their changes against the same previous state. NO KEY UPDATE, the lock an
  // UPDATE of the row takes anyway: FOR UPDATE would also wait for every transaction holding the
  // KEY SHARE lock a foreign key check takes (an agent's log batch inserting its lines, then
  // counting them on the row), and that one waiting for us in turn is a deadlock.
  await tx.$queryRaw`SELECT id FROM hosts WHERE id = ${hostId} FOR NO KEY UPDATE`;
  const { os } = inventory;
  await tx.host.update({
    where: { id: hostId },
    data: {
      hostname: inventory.system.hostname,
      platform: os.platform,
      platformLike: os.platformLike,
      osName: os.name,
      osVersion: os.version,
      osqueryVersion: inventory.osqueryVersion,
    },
  });
  const versionId = await versionIdOf(tx, inventory);

  const open = await tx.$queryRaw<OpenApp[]>`SELECT a.id, s.source, ${exactTextColumn("s.name", "name")},
      ${exactTextColumn("s.version", "version")}, ${exactTextColumn("s.path", "path")},
      coalesce(cardinality(s.alterations), 0) > 0 AS altered, s.title_id AS "titleId", s.version_id AS "versionId"
    FROM ${APPS} WHERE a.host_id = ${hostId} AND a.removed_snapshot_id IS NULL`;
  const openByIdentity = new Map(
    open.map((app) => [appIdentity({ source: app.source, name: exactText(app.name), version: exactText(app.version), path: exactText(app.path) }), app]),
  );
  const added: AppRecord[] = [];
  const kept: OpenApp[] = [];
  // Counted as latestData will show them: a kept app keeps the alterations it was stored with.
  let alteredApps = 0;
  for (const app of inventory.apps) {
    // A first inventory has nothing to match against: no identity to make.
    const key = openByIdentity.size > 0 ? appIdentity(app) : null;
    const keptApp = key === null ? undefined : openByIdentity.get(key);
    if (keptApp) {
      openByIdentity.delete(key!);
      kept.push(keptApp);
    } else added.push(app);
    if (keptApp ? keptApp.altered : app.alterations.length > 0) alteredApps++;
  }
  const removedIds = [...openByIdentity.values()].map((app) => app.id);
  const catalog: CatalogEntry[] = [];
  for (const batch of chunks(added, WRITE_CHUNK)) catalog.push(...(await ensureSoftware(tx, batch, cache, primed)));

  const snapshot = await tx.snapshot.create({
    data: {
      hostId,
      status: SnapshotStatus.SUCCEEDED,
      source: meta.source,
      collectedAt: meta.collectedAt,
      durationMs: meta.durationMs,
      appCount: inventory.apps.length,
      added: added.length,
      removed: removedIds.length,
      alteredApps,
      versionId,
    },
  });
  for (const batch of chunks(catalog, WRITE_CHUNK)) {
    await insertApps(tx, batch.map((entry) => entry.softwareId), hostId, snapshot.id, meta.collectedAt);
  }
  if (removedIds.length > 0) {
    await tx.$executeRaw`UPDATE apps SET removed_snapshot_id = ${snapshot.id}, removed_at = ${meta.collectedAt}
      WHERE id = ANY(${removedIds}::int[])`;
  }
  if (added.length > 0 || removedIds.length > 0) await appendCountChanges(tx, countChanges(open, [...kept, ...catalog]));
  return snapshot;
}

function writeFailure(tx: Tx, hostId: number, error: string, meta: RunMeta & { source: SnapshotSource }): Promise<Snapshot> {
  return tx.snapshot.create({
    data: { hostId, status: SnapshotStatus.FAILED, source: meta.source, collectedAt: meta.collectedAt, durationMs: meta.durationMs, error },
  });
}

export function createInventoryStore({ db, fallbackHostname, counts, catalogCache = createCatalogCache() }: InventoryStoreOptions): InventoryStore {
  const local = { source: SnapshotSource.LOCAL };
  const committed = <T>(result: T): T => {
    counts?.changed();
    return result;
  };
  return {
    async recordSuccess(inventory, meta) {
      const primed = await primeCatalog(db, inventory.apps, catalogCache, TRANSACTION_OPTIONS);
      return committed(
        await db.$transaction(
          async (tx) => writeSuccess(tx, await localHost(tx, inventory), inventory, { ...meta, ...local }, catalogCache, primed),
          TRANSACTION_OPTIONS,
        ),
      );
    },

    recordFailure(error, meta) {
      return db.$transaction(async (tx) => {
        const hostId =
          (await tx.host.findFirst({ where: { local: true }, orderBy: { id: "desc" }, select: { id: true } }))?.id ??
          (await tx.host.create({ data: { hostname: fallbackHostname, local: true }, select: { id: true } })).id;
        return writeFailure(tx, hostId, error, { ...meta, ...local });
      }, TRANSACTION_OPTIONS);
    },

    async recordAgentResult(hostId, batch, outcome, meta) {
      const agent = { ...meta, source: SnapshotSource.AGENT };
      const primed = outcome.ok ? await primeCatalog(db, outcome.inventory.apps, catalogCache, TRANSACTION_OPTIONS) : new Map();
      try {
        return committed(await db.$transaction(async (tx) => {
          // Claims the batch: a resent write finds it gone and stores nothing. A refresh asked for after
          // the batch was handed out stays asked for.
          const claimed = await tx.$executeRaw`UPDATE hosts SET inventory_batch = NULL, inventory_sent_at = NULL, inventory_at = ${meta.collectedAt},
              inventory_requested_at = CASE WHEN inventory_requested_at <= inventory_sent_at THEN NULL ELSE inventory_requested_at END
            WHERE id = ${hostId} AND inventory_batch = ${batch}`;
          if (claimed === 0) throw new StaleBatch();
          return outcome.ok ? writeSuccess(tx, hostId, outcome.inventory, agent, catalogCache, primed) : writeFailure(tx, hostId, outcome.error, agent);
        }, TRANSACTION_OPTIONS));
      } catch (error) {
        if (error instanceof StaleBatch) return null;
        throw error;
      }
    },

    async localHostId() {
      const host = await db.host.findFirst({ where: { local: true }, orderBy: { id: "desc" }, select: { id: true } });
      return host?.id ?? null;
    },
  };
}
