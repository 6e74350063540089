import type { Snapshot } from "../../generated/prisma/client.js";
import { CollectionError, CollectionErrorCode, isExpectedCollectionError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { toSnapshotEvent, type PubSub } from "../../events/pubsub.js";
import type { Locks } from "../../db/locks.js";
import type { HostSnapshots } from "../../store/host-snapshots.js";
import { hostIdentifier, type InventoryStore } from "../../store/inventory-store.js";
import { causeOf, failureReason, MAX_REASON_LENGTH, unsupportedPlatform } from "../../inventory/failure.js";
import { inventoryQueries } from "../../inventory/statements.js";
import type { OsqueryRunner } from "./osqueryi.js";
import { logAlterations, parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo } from "../../inventory/rows.js";
import { softwareSourceFor, type Inventory, type SystemInfo } from "../../inventory/types.js";

export interface Collector {
  /** Collects now, or joins the run already in progress; resolves with that run's snapshot. */
  collect(): Promise<Snapshot>;
  /** Cancels the osquery part of a run in progress and waits for the run to settle. */
  stop(): Promise<void>;
}

export interface CollectorDeps {
  runner: OsqueryRunner;
  store: InventoryStore;
  pubsub: PubSub;
  logger: Logger;
  /** Keeps instances sharing a database from collecting one host at once. */
  locks: Pick<Locks, "withCollectionLock">;
  hostSnapshots: HostSnapshots;
  /** Lock key while osquery cannot say which machine this is (the run will fail anyway). */
  fallbackHostname: string;
  now?: () => Date;
}

async function gatherInventory(runner: OsqueryRunner, system: SystemInfo, signal: AbortSignal, logger: Logger): Promise<Inventory> {
  const info = await runner.query(inventoryQueries.osqueryInfo, signal);
  const osqueryVersion = parseOsqueryVersion(info.rows, info.invalidUtf8Rows);
  const osVersion = await runner.query(inventoryQueries.osVersion, signal);
  const os = parseOsVersion(osVersion.rows, osVersion.invalidUtf8Rows);
  const source = softwareSourceFor(os);
  if (!source) throw unsupportedPlatform(os);
  const software = await runner.query(inventoryQueries.software[source], signal);
  const parsed = parseApps(source, software.rows, software.invalidUtf8Rows);
  logAlterations(logger, { source }, parsed.apps);
  if (parsed.skippedUnnamed > 0 || parsed.duplicates > 0) {
    logger.debug({ source, skippedUnnamed: parsed.skippedUnnamed, duplicates: parsed.duplicates }, "rows left out of the inventory");
  }
  return { osqueryVersion, os, system, source, apps: parsed.apps };
}

export function createCollector({ runner, store, pubsub, logger, locks, hostSnapshots, fallbackHostname, now = () => new Date() }: CollectorDeps): Collector {
  let inflight: Promise<Snapshot> | null = null;
  let abort: AbortController | null = null;

  /**
   * The host is known before anything else runs (system_info), so the lock can be per host: a second
   * instance that finds it taken waits, then answers with the snapshot the first one stored, as a
   * second caller inside one process joins the run in progress.
   */
  async function runOnce(): Promise<Snapshot> {
    const controller = new AbortController();
    abort = controller;
    try {
      let system: SystemInfo | Error;
      try {
        const result = await runner.query(inventoryQueries.systemInfo, controller.signal);
        system = parseSystemInfo(result.rows, result.invalidUtf8Rows);
      } catch (error) {
        system = error as Error;
      }
      const identifier = system instanceof Error ? null : hostIdentifier(system);
      const lockKey = identifier ?? `hostname:${fallbackHostname.toLowerCase()}`;
      const newestBefore = identifier ? await hostSnapshots.newestId(identifier) : null;
      return await locks.withCollectionLock(
        lockKey,
        async (waited) => {
          if (waited && identifier) {
            const theirs = await hostSnapshots.newestAfter(identifier, newestBefore);
            if (theirs) {
              logger.info({ snapshotId: theirs.id, hostId: theirs.hostId }, "joined the collection another instance ran");
              return theirs;
            }
          }
          return collectAndStore(system, controller);
        },
        controller.signal,
      );
    } catch (error) {
      if (controller.signal.aborted) {
        logger.warn("collection abandoned: the service is shutting down");
        // Shutdown can land in osquery, in the lock wait or in a query: callers get one answer for all.
        if (error instanceof CollectionError) throw error;
        throw new CollectionError(CollectionErrorCode.OSQUERY_ABORTED, "the collection was abandoned: the service is shutting down", { cause: error });
      }
      if (error instanceof CollectionError) throw error;
      // Only the lock and the reads before it get here: the database is what failed.
      logger.error({ err: error }, "collection could not start");
      throw new CollectionError(
        CollectionErrorCode.DATABASE_ERROR,
        `the collection could not start: the database is unavailable (${causeOf(error)})`.slice(0, MAX_REASON_LENGTH),
        { cause: error },
      );
    } finally {
      abort = null;
    }
  }

  /** Runs under the host's lock; the snapshot's time span is the lock's, so no two of a host overlap. */
  async function collectAndStore(system: SystemInfo | Error, controller: AbortController): Promise<Snapshot> {
    const collectedAt = now();
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let snapshot: Snapshot;
    try {
      if (system instanceof Error) throw system;
      const inventory = await gatherInventory(runner, system, controller.signal, logger);
      snapshot = await store.recordSuccess(inventory, { collectedAt, durationMs: elapsed() });
      logger.info(
        { snapshotId: snapshot.id, hostId: snapshot.hostId, apps: snapshot.appCount, added: snapshot.added, removed: snapshot.removed, durationMs: snapshot.durationMs },
        "collection succeeded",
      );
    } catch (error) {
      if (controller.signal.aborted) throw error;
      const reason = failureReason(error);
      if (isExpectedCollectionError(error)) logger.warn({ code: error.code, reason }, "collection failed");
      else logger.error({ err: error, reason }, "collection failed");
      try {
        snapshot = await store.recordFailure(reason, { collectedAt, durationMs: elapsed() });
      } catch (storeError) {
        logger.error({ err: storeError }, "the failed run could not be recorded either");
        throw new CollectionError(
          CollectionErrorCode.DATABASE_ERROR,
          `the collection failed and could not be recorded: the database is unavailable (${reason})`,
          { cause: storeError },
        );
      }
    }
    pubsub.publish("snapshotUpdated", toSnapshotEvent(snapshot));
    return snapshot;
  }

  return {
    collect() {
      inflight ??= runOnce().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    async stop() {
      abort?.abort();
      await inflight?.catch(() => {});
    },
  };
}
