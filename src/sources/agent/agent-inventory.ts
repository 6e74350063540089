import { randomBytes } from "node:crypto";
import type { PrismaClient, Snapshot } from "../../generated/prisma/client.js";
import { createLimiter } from "../../concurrency.js";
import { CollectionError, CollectionErrorCode } from "../../errors.js";
import { failureReason, unsupportedPlatform } from "../../inventory/failure.js";
import { badOutput, logAlterations, parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo } from "../../inventory/rows.js";
import { inventoryQueries } from "../../inventory/statements.js";
import { softwareSourceFor, type Inventory, type OsqueryResult, type SoftwareSource } from "../../inventory/types.js";
import type { Logger } from "../../logger.js";
import type { AgentOutcome, InventoryStore } from "../../store/inventory-store.js";
import type { AgentHost } from "./agent-hosts.js";
import { parseRows, type DistributedWrite } from "./protocol.js";

/** The statements of one inventory, by the name they carry in a distributed query id. */
const PARTS = ["osquery_info", "os_version", "system_info", "software"] as const;
type Part = (typeof PARTS)[number];

/**
 * Distributed query ids: `osquery-inventory:<batch>:<part>`. The batch names one hand-out; the
 * agent sends it back with the rows, which is how a resent write is recognised.
 */
const ID_PREFIX = "osquery-inventory";
const ID = /^osquery-inventory:([A-Za-z0-9_-]{1,64}):(osquery_info|os_version|system_info|software)$/;

export function statementsFor(source: SoftwareSource | null): Partial<Record<Part, string>> {
  return {
    osquery_info: inventoryQueries.osqueryInfo,
    os_version: inventoryQueries.osVersion,
    system_info: inventoryQueries.systemInfo,
    ...(source ? { software: inventoryQueries.software[source] } : {}),
  };
}

export interface AgentInventoryOptions {
  db: PrismaClient;
  store: InventoryStore;
  logger: Logger;
  /** A host's inventory is asked for again when older than this, plus its jitter. */
  intervalMs: number;
  /** How long a hand-out waits for its answer before the queries are handed out again. */
  pendingMs: number;
  /** Rows a write may hold, over all its queries (OSQUERY_MAX_ROWS). */
  maxRows: number;
  /**
   * Inventories this instance hands out and has not had answered yet, at most (a collectSnapshot
   * request is handed out regardless, and counts). A host due beyond it is asked at a later check-in.
   */
  maxOutstanding: number;
  /** A hand-out stops counting against maxOutstanding after this long without an answer. @default 60000 */
  outstandingMs?: number;
  /**
   * How long a due host's poll waits for a place when every one is taken, before it is answered with
   * no queries. Answered at once, the hosts refused together poll again together one interval later,
   * and only as many as there are places get one each time: a burst's last hosts trickled in at a
   * few a second while the machine stood idle. Waiting, each place goes to the next host the moment
   * it frees. Well under osquery's 16 s request deadline (AGENT_HANDOUT_WAIT_SECONDS).
   */
  handOutWaitMs: number;
  /**
   * Inventory writes stored at once, at most; the others wait their turn in memory (each is already
   * read and parsed, and there are at most about maxOutstanding of them). A write holds a pooled
   * database connection for its transactions: with every connection taken by writes, an enrollment, a
   * hand-out or a last-seen write waited behind them, past the agent's 16 s deadline (3,781 timed-out
   * enrollments in a 3,000-host burst). Below the pool's size, they always find one. @default Infinity
   */
  maxStoring?: number;
  now?: () => Date;
}

/**
 * The connection a poll came on. Once the agent has given up on its request (osquery closes the
 * connection at its 16 s deadline), nothing is handed out on it: the queries would hold a place and
 * the host's claim for the pending window while its agent never saw them.
 */
export interface AgentConnection {
  readonly destroyed: boolean;
}

export interface AgentInventory {
  /**
   * The queries a distributed/read answers: the inventory statements when the host's inventory is
   * due (never collected, older than the interval plus the host's jitter, or asked for by
   * collectSnapshot) and not already handed out; none otherwise. Handing out is a compare-and-set
   * on the host row, so two instances answering the same agent never both hand out a batch.
   * Synchronous when nothing is due (nearly every check-in): no promise on the hot path.
   */
  queriesFor(host: AgentHost, connection?: AgentConnection): Record<string, string> | Promise<Record<string, string>>;
  /**
   * Stores the inventory batch in a distributed/write as a snapshot of the host. Null when the write
   * holds none of ours, or repeats a batch already stored (agents resend after a timeout).
   */
  accept(host: AgentHost, write: DistributedWrite, invalidUtf8?: ReadonlySet<object>): Promise<Snapshot | null>;
  /** Answers every poll waiting for a place with no queries, at once and from now on (the service is stopping). */
  stopWaiting(): void;
}

/** Up to 10% of the interval, fixed per host: a fleet enrolled at once does not report at once. */
export function jitterMs(hostId: number, intervalMs: number): number {
  return ((Math.imul(hostId, 2654435761) >>> 0) % 1000) * intervalMs * 0.0001;
}

/**
 * How long a hand-out waits for its answer before a poll gets the queries again. osqueryd polls again
 * only once it has run what it was handed and tried to write it, and resends a failed write at the end
 * of its next cycle (distributed.cpp flushCompleted): a poll after a minute and three cycles without
 * an answer means the hand-out was lost (its read response never arrived). Five minutes, as before,
 * kept the last hosts of a 10,000-host burst waiting that long. A late answer to the old batch is
 * refused as stale; the new one is stored.
 */
export function pendingWindowMs(distributedIntervalSeconds: number): number {
  return Math.max(60_000, 3 * distributedIntervalSeconds * 1000);
}

/**
 * Whether a poll means the host never received the batch it was handed: osqueryd polls again only
 * after it has run and tried to write what it was handed, and retries a read that failed (a timeout,
 * a reset connection) 1 s and 4 s later, so a poll from a host whose batch is unanswered is one whose
 * read response was lost, or one whose write failed (its results are resent at the end of this new
 * cycle). Either way the same batch is handed out again, once per hand-out: a lost response costs the
 * host one poll instead of the pending window, and an agent whose writes keep failing (a body over
 * AGENT_MAX_BODY_BYTES) runs its inventory at most twice a window. Only the instance that handed the
 * batch out repeats it (AgentHost.batch); another waits for the window.
 */
export function isLost(host: AgentHost, now: Date, pendingMs: number): boolean {
  return host.batch !== null && !host.resent && host.sentAt !== null && now.getTime() - host.sentAt.getTime() < pendingMs;
}

export function isDue(host: AgentHost, now: Date, intervalMs: number, pendingMs: number): boolean {
  const t = now.getTime();
  if (host.sentAt && t - host.sentAt.getTime() < pendingMs) {
    // Handed out and not answered yet; a refresh asked for since then waits for the answer.
    return false;
  }
  if (host.requestedAt) return true;
  if (!host.inventoryAt) return true;
  return t >= host.inventoryAt.getTime() + intervalMs + jitterMs(host.hostId, intervalMs);
}

function wallTimeMs(stats: Record<string, unknown>, ids: string[]): number | null {
  let total = 0;
  let found = false;
  for (const id of ids) {
    const wall = (stats[id] as { wall_time_ms?: unknown } | undefined)?.wall_time_ms;
    if (typeof wall === "number" && Number.isFinite(wall) && wall >= 0) {
      total += wall;
      found = true;
    }
  }
  return found ? Math.min(Math.round(total), 2_147_483_647) : null;
}

/** The answers of one batch → the inventory, through the same row normalisation as a local collection. */
function inventoryOf(
  answers: Map<Part, { rows: unknown; status: number; message: string }>,
  expected: SoftwareSource | null,
  maxRows: number,
  invalidUtf8: ReadonlySet<object>,
): Inventory {
  const resultOf = (part: Part): OsqueryResult => {
    const answer = answers.get(part);
    if (!answer) throw badOutput(`the agent's answer has no result for ${part}`);
    if (answer.status !== 0) {
      throw new CollectionError(
        CollectionErrorCode.AGENT_QUERY_FAILED,
        `the agent could not run the ${part} statement (status ${answer.status})${answer.message ? `: ${answer.message.slice(0, 500)}` : ""}`,
      );
    }
    if (answer.rows === "") return { rows: [], invalidUtf8Rows: new Set() };
    const parsed = parseRows(answer.rows);
    if (!parsed.success) throw badOutput(`the agent's rows for ${part} are not rows of strings: ${parsed.message}`);
    const invalidUtf8Rows = new Set<number>();
    if (invalidUtf8.size > 0) parsed.data.forEach((row, index) => invalidUtf8.has(row) && invalidUtf8Rows.add(index));
    return { rows: parsed.data, invalidUtf8Rows };
  };
  let total = 0;
  for (const answer of answers.values()) total += Array.isArray(answer.rows) ? answer.rows.length : 0;
  if (total > maxRows) throw badOutput(`the agent returned more than ${maxRows} rows (OSQUERY_MAX_ROWS)`);
  const info = resultOf("osquery_info");
  const osqueryVersion = parseOsqueryVersion(info.rows, info.invalidUtf8Rows);
  const osVersion = resultOf("os_version");
  const os = parseOsVersion(osVersion.rows, osVersion.invalidUtf8Rows);
  const systemInfo = resultOf("system_info");
  const system = parseSystemInfo(systemInfo.rows, systemInfo.invalidUtf8Rows);
  const source = softwareSourceFor(os);
  if (!source) throw unsupportedPlatform(os);
  if (source !== expected) {
    // The statement was chosen from what the host said at enrollment; the OS changed since.
    throw badOutput(`the host now reports platform "${os.platform}", whose software table was not asked for; it is asked again at the next check-in`);
  }
  const software = resultOf("software");
  const parsed = parseApps(source, software.rows, software.invalidUtf8Rows);
  return { osqueryVersion, os, system, source, apps: parsed.apps };
}

/**
 * The inventories one instance has handed out and not had answered: hostId → when, oldest first.
 *
 * Without a bound, a fleet enrolling at once is handed every first inventory in the same minute; the
 * writes then queue for the database longer than agents wait (16 s), fail, are resent, and the server
 * spends its time on work the agents have given up on. Bounded, the hosts beyond it wait for a place
 * (`wait`) or are asked at a later check-in, and each write is stored while its agent still waits for
 * the answer.
 */
function createOutstanding(max: number, expireMs: number, maxWaiting: number) {
  const handedOut = new Map<number, number>();
  // Polls waiting for a place, first come first served: hostId → how to answer it.
  const waiting = new Map<number, (granted: boolean) => void>();
  let stopped = false;
  return {
    /** Takes a place for the host's hand-out; false when every place is taken (unless `force`). */
    take(hostId: number, t: number, force: boolean): boolean {
      if (handedOut.size >= max && !force) {
        // Insertion order is hand-out order: the expired ones are at the front.
        for (const [id, at] of handedOut) {
          if (t - at < expireMs) break;
          handedOut.delete(id);
        }
        if (handedOut.size >= max) return false;
      }
      handedOut.delete(hostId);
      handedOut.set(hostId, t);
      return true;
    },
    /**
     * Waits up to `ms` for a place; true when one was given to the host. False at once when as many
     * polls wait already as may (each holds a request open), when the host waits already, or after
     * stop().
     */
    wait(hostId: number, ms: number): Promise<boolean> {
      if (stopped || ms <= 0 || waiting.size >= maxWaiting || waiting.has(hostId)) return Promise.resolve(false);
      return new Promise((resolve) => {
        const answer = (granted: boolean) => {
          clearTimeout(timer);
          waiting.delete(hostId);
          resolve(granted);
        };
        const timer = setTimeout(() => answer(false), ms);
        waiting.set(hostId, answer);
      });
    },
    /** Frees the host's place, and gives it to the poll that has waited longest. */
    release(hostId: number, t: number): void {
      handedOut.delete(hostId);
      for (const [waiter, answer] of waiting) {
        if (handedOut.size >= max) break;
        handedOut.set(waiter, t);
        answer(true);
      }
    },
    stop(): void {
      stopped = true;
      for (const answer of waiting.values()) answer(false);
    },
  };
}

/**
 * Polls that may wait for a place at once, per place. Agents that were answered together poll together
 * (each sleeps exactly its interval): after a stall a fleet's polls come in bunches of hundreds, and
 * the places must stay busy from one bunch to the next. With 4 per place, a 10,000-host burst still
 * found no host waiting at one sample in two while thousands were due. A waiting poll holds only its
 * request, on a connection the agent keeps anyway.
 */
const WAITING_PER_PLACE = 32;

export function createAgentInventory({
  db,
  store,
  logger,
  intervalMs,
  pendingMs,
  maxRows,
  maxOutstanding,
  outstandingMs = 60_000,
  handOutWaitMs,
  maxStoring = Infinity,
  now = () => new Date(),
}: AgentInventoryOptions): AgentInventory {
  const outstanding = createOutstanding(maxOutstanding, outstandingMs, maxOutstanding * WAITING_PER_PLACE);
  const storing = createLimiter(maxStoring);

  async function handOut(host: AgentHost, at: Date, connection: AgentConnection | undefined): Promise<Record<string, string>> {
    const batch = randomBytes(9).toString("base64url");
    const staleBefore = new Date(at.getTime() - pendingMs);
    let claimed: number;
    try {
      claimed = await db.$executeRaw`UPDATE hosts SET inventory_batch = ${batch}, inventory_sent_at = ${at}
        WHERE id = ${host.hostId} AND (inventory_sent_at IS NULL OR inventory_sent_at < ${staleBefore})`;
    } catch (error) {
      outstanding.release(host.hostId, now().getTime());
      throw error;
    }
    // Whether or not another instance got there first, this one now knows a batch is out.
    host.sentAt = at;
    host.resent = false;
    if (claimed === 0) {
      // Which batch is the other instance's to know: this one never hands it out again.
      host.batch = null;
      outstanding.release(host.hostId, now().getTime());
      return {};
    }
    host.batch = batch;
    if (connection?.destroyed) return takeBack(host, batch, at);
    logger.debug({ hostId: host.hostId, batch }, "inventory queries handed out");
    return batchQueries(host, batch);
  }

  /**
   * Undoes a hand-out whose agent went away while it was made: the claim is cleared (if it is still
   * this batch's), so the host is due again at its next poll on any instance, and the place goes to
   * the next host. This instance forgets the batch before the claim is cleared, so a retried poll
   * arriving meanwhile is not handed a batch that is about to stop being awaited (it finds the claim
   * still set and gets nothing this time). When the claim cannot be cleared, the batch stays out and
   * this instance hands it out again at the host's next poll (isLost).
   */
  async function takeBack(host: AgentHost, batch: string, at: Date): Promise<Record<string, string>> {
    host.batch = null;
    host.sentAt = null;
    try {
      await db.$executeRaw`UPDATE hosts SET inventory_batch = NULL, inventory_sent_at = NULL WHERE id = ${host.hostId} AND inventory_batch = ${batch}`;
      logger.debug({ hostId: host.hostId, batch }, "inventory hand-out taken back: the agent closed its request");
    } catch (error) {
      if (host.sentAt === null) {
        host.batch = batch;
        host.sentAt = at;
        host.resent = false;
      }
      logger.warn({ err: error, hostId: host.hostId, batch }, "an inventory hand-out whose agent went away could not be taken back; it is handed out again at the host's next poll");
    } finally {
      outstanding.release(host.hostId, now().getTime());
    }
    return {};
  }

  const batchQueries = (host: AgentHost, batch: string) => {
    const queries: Record<string, string> = {};
    for (const [part, sql] of Object.entries(statementsFor(host.softwareSource))) queries[`${ID_PREFIX}:${batch}:${part}`] = sql;
    return queries;
  };

  return {
    queriesFor(host, connection) {
      // Nobody is left to read the answer.
      if (connection?.destroyed) return {};
      const at = now();
      if (isLost(host, at, pendingMs)) {
        // Same ids: whichever write comes first is stored, and a repeat is refused as already stored.
        host.resent = true;
        logger.debug({ hostId: host.hostId, batch: host.batch }, "inventory queries handed out again: the agent polled without answering them");
        return batchQueries(host, host.batch!);
      }
      if (!isDue(host, at, intervalMs, pendingMs)) return {};
      if (outstanding.take(host.hostId, at.getTime(), host.requestedAt !== null)) return handOut(host, at, connection);
      return outstanding.wait(host.hostId, handOutWaitMs).then((granted) => {
        if (!granted) return {};
        const t = now();
        // The agent gave up while its poll waited, or another request of the host's (a resent read)
        // was handed the batch meanwhile: the place goes on to the next poll waiting.
        if (connection?.destroyed || !isDue(host, t, intervalMs, pendingMs)) {
          outstanding.release(host.hostId, t.getTime());
          return {};
        }
        return handOut(host, t, connection);
      });
    },
    stopWaiting: () => outstanding.stop(),
    async accept(host, write, invalidUtf8 = new Set()) {
      const batches = new Map<string, Map<Part, { rows: unknown; status: number; message: string }>>();
      const ids = new Map<string, string[]>();
      for (const id of new Set([...Object.keys(write.queries), ...Object.keys(write.statuses)])) {
        const match = ID.exec(id);
        if (!match) continue;
        const [, batch, part] = match as unknown as [string, string, Part];
        const answers = batches.get(batch) ?? new Map();
        answers.set(part, { rows: write.queries[id] ?? [], status: write.statuses[id] ?? 0, message: write.messages[id] ?? "" });
        batches.set(batch, answers);
        ids.set(batch, [...(ids.get(batch) ?? []), id]);
      }
      if (batches.size === 0) return null;
      try {
        return await storing(() => storeBatches(host, write, batches, ids, invalidUtf8));
      } finally {
        // Answered (stored, failed or resent): the place goes to the next host due.
        outstanding.release(host.hostId, now().getTime());
      }
    },
  };

  /** Stores the awaited batch of a write (one, however many the write names). */
  async function storeBatches(
    host: AgentHost,
    write: DistributedWrite,
    batches: Map<string, Map<Part, { rows: unknown; status: number; message: string }>>,
    ids: Map<string, string[]>,
    invalidUtf8: ReadonlySet<object>,
  ): Promise<Snapshot | null> {
    if (batches.size > 1) {
      logger.warn({ hostId: host.hostId, batches: batches.size }, "a distributed write answered several inventory batches; only the awaited one can be stored");
      // Only the batch the host row awaits can be stored: the others are neither parsed nor each a
      // transaction, however many a write names.
      const [row] = await db.$queryRaw<{ batch: string | null }[]>`SELECT inventory_batch AS batch FROM hosts WHERE id = ${host.hostId}`;
      const awaited = row?.batch ? batches.get(row.batch) : undefined;
      if (!awaited) return null;
      batches.clear();
      batches.set(row!.batch!, awaited);
    }
    const at = now();
    let stored: Snapshot | null = null;
    for (const [batch, answers] of batches) {
      let outcome: AgentOutcome;
      try {
        outcome = { ok: true, inventory: inventoryOf(answers, host.softwareSource, maxRows, invalidUtf8) };
        logAlterations(logger, { hostId: host.hostId, source: outcome.inventory.source }, outcome.inventory.apps);
      } catch (error) {
        outcome = { ok: false, error: failureReason(error) };
      }
      const durationMs = wallTimeMs(write.stats, ids.get(batch)!) ?? (host.sentAt ? Math.max(0, at.getTime() - host.sentAt.getTime()) : 0);
      const snapshot = await store.recordAgentResult(host.hostId, batch, outcome, { collectedAt: at, durationMs });
      if (!snapshot) {
        logger.debug({ hostId: host.hostId, batch }, "inventory batch already stored or no longer awaited; ignored");
        continue;
      }
      // As the store just did to the row (the snapshotUpdated event makes every instance re-read it).
      if (host.requestedAt && host.sentAt && host.requestedAt <= host.sentAt) host.requestedAt = null;
      host.sentAt = null;
      host.batch = null;
      host.inventoryAt = at;
      if (snapshot.status === "FAILED") logger.warn({ hostId: host.hostId, snapshotId: snapshot.id, reason: snapshot.error }, "agent inventory failed");
      else logger.info({ hostId: host.hostId, snapshotId: snapshot.id, apps: snapshot.appCount, added: snapshot.added, removed: snapshot.removed }, "agent inventory stored");
      stored = snapshot;
    }
    return stored;
  }
}
