import { createHash } from "node:crypto";
import type { PrismaClient, Snapshot } from "../generated/prisma/client.js";
import { SnapshotStatus } from "../generated/prisma/enums.js";
import type { AppRecord, OsVersion, SoftwareSource, SystemInfo } from "../collector/parse.js";
import { appIdentity } from "./identity.js";
import { sortKeyOf } from "./sort-key.js";

/** What one successful collection saw. */
export interface Inventory {
  osqueryVersion: string;
  os: OsVersion;
  system: SystemInfo;
  source: SoftwareSource;
  apps: AppRecord[];
}

export interface RunMeta {
  collectedAt: Date;
  durationMs: number;
}

export interface InventoryStore {
  /** Writes one SUCCEEDED snapshot and the app changes since the host's previous one, in one transaction. */
  recordSuccess(inventory: Inventory, meta: RunMeta): Promise<Snapshot>;
  /** Writes one FAILED snapshot with the reason; nothing else changes. */
  recordFailure(error: string, meta: RunMeta): Promise<Snapshot>;
  /** The host this service collects from: the host of its newest snapshot, null before the first. */
  localHostId(): Promise<number | null>;
}

export interface InventoryStoreOptions {
  db: PrismaClient;
  /** Names the host of a failed first collection, before osquery has said what the machine is. */
  fallbackHostname: string;
}

// Rows per INSERT/UPDATE statement: PostgreSQL takes at most 65535 bind parameters per statement.
const WRITE_CHUNK = 2000;
// Generous, because the first collection of a large inventory inserts thousands of rows.
const TRANSACTION_OPTIONS = { maxWait: 30_000, timeout: 120_000 } as const;

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

export function createInventoryStore({ db, fallbackHostname }: InventoryStoreOptions): InventoryStore {
  return {
    recordSuccess(inventory, meta) {
      return db.$transaction(async (tx) => {
        const identifier = hostIdentifier(inventory.system);
        const hostData = { hostname: inventory.system.hostname, platform: inventory.os.platform };
        let host = await tx.host.findUnique({ where: { identifier } });
        if (!host) {
          // A host that only has failed runs (osquery was missing at first) becomes this machine.
          const placeholder = await tx.host.findFirst({ where: { identifier: null }, orderBy: { id: "asc" } });
          host = placeholder
            ? await tx.host.update({ where: { id: placeholder.id }, data: { identifier, ...hostData } })
            : await tx.host.create({ data: { identifier, ...hostData } });
        } else if (host.hostname !== hostData.hostname || host.platform !== hostData.platform) {
          host = await tx.host.update({ where: { id: host.id }, data: hostData });
        }
        // Serialises collections of one host (also across service instances sharing a database), so two
        // runs never compute their changes against the same previous state.
        await tx.$queryRaw`SELECT id FROM hosts WHERE id = ${host.id} FOR UPDATE`;

        const fingerprint = versionFingerprint(inventory.osqueryVersion, inventory.os);
        const version = await tx.version.upsert({
          where: { fingerprint },
          update: {},
          create: {
            fingerprint,
            osqueryVersion: inventory.osqueryVersion,
            osName: inventory.os.name,
            osVersion: inventory.os.version,
            platform: inventory.os.platform,
            platformLike: inventory.os.platformLike,
            arch: inventory.os.arch,
            build: inventory.os.build,
          },
        });

        const open = await tx.app.findMany({
          where: { hostId: host.id, removedSnapshotId: null },
          select: { id: true, source: true, name: true, version: true, path: true },
        });
        const openByIdentity = new Map(open.map((app) => [appIdentity(app), app.id]));
        const added: AppRecord[] = [];
        for (const app of inventory.apps) {
          const key = appIdentity(app);
          if (openByIdentity.has(key)) openByIdentity.delete(key);
          else added.push(app);
        }
        const removedIds = [...openByIdentity.values()];

        const snapshot = await tx.snapshot.create({
          data: {
            hostId: host.id,
            status: SnapshotStatus.SUCCEEDED,
            collectedAt: meta.collectedAt,
            durationMs: meta.durationMs,
            appCount: inventory.apps.length,
            added: added.length,
            removed: removedIds.length,
            versionId: version.id,
          },
        });
        for (const batch of chunks(added, WRITE_CHUNK)) {
          await tx.app.createMany({
            data: batch.map((app) => ({
              hostId: host.id,
              source: app.source,
              name: app.name,
              version: app.version,
              path: app.path,
              bundleIdentifier: app.bundleIdentifier,
              publisher: app.publisher,
              sortKey: sortKeyOf(app.name),
              firstSeenSnapshotId: snapshot.id,
              firstSeenAt: meta.collectedAt,
            })),
          });
        }
        for (const batch of chunks(removedIds, WRITE_CHUNK)) {
          await tx.app.updateMany({
            where: { id: { in: batch } },
            data: { removedSnapshotId: snapshot.id, removedAt: meta.collectedAt },
          });
        }
        return snapshot;
      }, TRANSACTION_OPTIONS);
    },

    recordFailure(error, meta) {
      return db.$transaction(async (tx) => {
        const lastSucceeded = await tx.snapshot.findFirst({
          where: { status: SnapshotStatus.SUCCEEDED },
          orderBy: { id: "desc" },
          select: { hostId: true },
        });
        const hostId =
          lastSucceeded?.hostId ??
          (await tx.host.findFirst({ where: { identifier: null }, orderBy: { id: "asc" }, select: { id: true } }))?.id ??
          (await tx.host.create({ data: { hostname: fallbackHostname }, select: { id: true } })).id;
        return tx.snapshot.create({
          data: {
            hostId,
            status: SnapshotStatus.FAILED,
            collectedAt: meta.collectedAt,
            durationMs: meta.durationMs,
            error,
          },
        });
      }, TRANSACTION_OPTIONS);
    },

    async localHostId() {
      const newest = await db.snapshot.findFirst({ orderBy: { id: "desc" }, select: { hostId: true } });
      return newest?.hostId ?? null;
    },
  };
}
