import type { Snapshot } from "../generated/prisma/client.js";
import { CollectionError, CollectionErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";
import { toSnapshotEvent, type PubSub } from "../pubsub.js";
import type { Inventory, InventoryStore } from "../store/inventory-store.js";
import { inventoryQueries } from "./jobs.js";
import type { OsqueryRunner } from "./osquery.js";
import { parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo, softwareSourceFor } from "./parse.js";

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
  now?: () => Date;
}

async function gatherInventory(runner: OsqueryRunner, signal: AbortSignal, logger: Logger): Promise<Inventory> {
  const osqueryVersion = parseOsqueryVersion(await runner.query(inventoryQueries.osqueryInfo, signal));
  const os = parseOsVersion(await runner.query(inventoryQueries.osVersion, signal));
  const system = parseSystemInfo(await runner.query(inventoryQueries.systemInfo, signal));
  const source = softwareSourceFor(os);
  if (!source) {
    throw new CollectionError(
      CollectionErrorCode.UNSUPPORTED_PLATFORM,
      `installed software is not collected on platform "${os.platform}"${os.platformLike ? ` (like "${os.platformLike}")` : ""}: ` +
        "supported are macOS (apps), Debian/Ubuntu (deb_packages), RHEL/Fedora/CentOS/SUSE/Amazon Linux (rpm_packages) and Windows (programs)",
    );
  }
  const parsed = parseApps(source, await runner.query(inventoryQueries.software[source], signal));
  if (parsed.skippedOversized > 0) {
    logger.warn({ source, skippedOversized: parsed.skippedOversized }, "rows with an oversized name or field left out of the inventory");
  }
  if (parsed.skippedUnnamed > 0 || parsed.duplicates > 0) {
    logger.debug({ source, skippedUnnamed: parsed.skippedUnnamed, duplicates: parsed.duplicates }, "rows left out of the inventory");
  }
  return { osqueryVersion, os, system, source, apps: parsed.apps };
}

const MAX_REASON_LENGTH = 2000;

function describe(error: unknown): string {
  if (error instanceof CollectionError) return `[${error.code}] ${error.message}`.slice(0, MAX_REASON_LENGTH);
  // Database errors can span lines (query excerpts); the cause is on the last one.
  const message = error instanceof Error ? error.message : String(error);
  const cause = message.split("\n").map((line) => line.trim()).filter(Boolean).at(-1) ?? "unknown error";
  return `[${CollectionErrorCode.DATABASE_ERROR}] the snapshot could not be stored: ${cause}`.slice(0, MAX_REASON_LENGTH);
}

export function createCollector({ runner, store, pubsub, logger, now = () => new Date() }: CollectorDeps): Collector {
  let inflight: Promise<Snapshot> | null = null;
  let abort: AbortController | null = null;

  async function runOnce(): Promise<Snapshot> {
    const controller = new AbortController();
    abort = controller;
    const collectedAt = now();
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let snapshot: Snapshot;
    try {
      const inventory = await gatherInventory(runner, controller.signal, logger);
      snapshot = await store.recordSuccess(inventory, { collectedAt, durationMs: elapsed() });
      logger.info(
        { snapshotId: snapshot.id, hostId: snapshot.hostId, apps: snapshot.appCount, added: snapshot.added, removed: snapshot.removed, durationMs: snapshot.durationMs },
        "collection succeeded",
      );
    } catch (error) {
      if (controller.signal.aborted) {
        logger.warn("collection abandoned: the service is shutting down");
        throw error;
      }
      const reason = describe(error);
      logger.error({ err: error, reason }, "collection failed");
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
    } finally {
      abort = null;
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
