import type { PrismaClient } from "../../generated/prisma/client.js";
import { softwareSourceFor, type SoftwareSource } from "../../inventory/types.js";
import type { Logger } from "../../logger.js";
import { nodeKeyDigest } from "./node-keys.js";

/** What the agent API needs of an enrolled host on every request, kept in memory. */
export interface AgentHost {
  hostId: number;
  /** Which software statement this host is sent; null on a platform without one. */
  softwareSource: SoftwareSource | null;
  /** When the agent last answered the inventory queries; null before the first time. */
  inventoryAt: Date | null;
  /** When inventory queries were handed out and not yet answered. */
  sentAt: Date | null;
  /**
   * The batch those queries carry when this instance handed them out; null otherwise (none out, or
   * handed out by another instance, which alone hands it out again: see AgentInventory.queriesFor).
   */
  batch: string | null;
  /** Whether that batch was handed out a second time (at most once: see AgentInventory.queriesFor). */
  resent: boolean;
  /** When collectSnapshot asked for a fresh inventory; null when nothing is asked. */
  requestedAt: Date | null;
}

export interface AgentHosts {
  /**
   * The host a node key belongs to, from memory or else the database; null for an unknown or revoked
   * key. Only the key's hash is looked up and kept. Answers synchronously when the answer is in memory,
   * as it is for nearly every check-in: no promise on the agents' hot path.
   */
  authenticate(nodeKey: string): AgentHost | null | Promise<AgentHost | null>;
  /** Drops what this instance keeps of a host, so the next request reads it again (it changed elsewhere). */
  forget(hostId: number): void;
  /** Drops everything (events may have been lost, e.g. while Redis was away). */
  forgetAll(): void;
  /** Records a request of the host; written to the database in batches, not once per poll. */
  seen(hostId: number, at: Date): void;
  /**
   * The host's last request on this instance that the database may not have yet (pending or being
   * written); null when there is none.
   */
  lastSeen(hostId: number): Date | null;
  /** Writes the pending last-seen times now; resolves once they and any write under way are stored. */
  flush(): Promise<void>;
  /** Flushes and stops the flush timer. */
  stop(): Promise<void>;
  /** Hosts held in memory (for tests and metrics). */
  size(): number;
}

export interface AgentHostsOptions {
  db: PrismaClient;
  logger: Logger;
  /** How often last-seen times are written. @default 5000 */
  flushIntervalMs?: number;
  /** An entry is read again after this long even without an event: bounds the effect of a lost one. @default 600000 */
  ttlMs?: number;
  /** Hosts kept in memory; the least recently used go first. @default 200000 */
  maxHosts?: number;
  /** Unknown keys remembered, so a flood of wrong keys does not become a flood of queries. @default 10000 */
  maxUnknown?: number;
  /**
   * A hit moves its host to the recent end of the eviction order at most this often. @default 60000
   *
   * A move is a Map delete and set, and V8 makes that cost grow with the map when the same key moves
   * again and again (21 µs per check-in at 10,000 hosts, measured): eviction order is kept to the
   * minute rather than to the request.
   */
  touchIntervalMs?: number;
  now?: () => number;
}

interface Cached {
  host: AgentHost;
  hash: string;
  expiresAt: number;
  touchedAt: number;
}

const UNKNOWN_TTL_MS = 30_000;

export function createAgentHosts({
  db,
  logger,
  flushIntervalMs = 5000,
  ttlMs = 600_000,
  maxHosts = 200_000,
  maxUnknown = 10_000,
  touchIntervalMs = 60_000,
  now = Date.now,
}: AgentHostsOptions): AgentHosts {
  const byHash = new Map<string, Cached>();
  const hashOfHost = new Map<number, string>();
  const unknown = new Map<string, number>();
  const lastSeen = new Map<number, Date>();
  // Times handed to a write that has not committed: still this instance's to report until it does.
  const writing = new Map<number, Date>();
  let flushes: Promise<void> = Promise.resolve();
  // A read from the database that a forget of its host overtook is used once, not kept. Per host: with
  // one counter for all, every enrollment and every stored inventory (hundreds a second while a fleet
  // enrolls) made every read in flight at that moment go unkept, and the new hosts' check-ins were
  // each a database lookup for as long as the enrollments lasted.
  let epoch = 0;
  /** Bumped by forgetAll: every read in flight is overtaken. */
  let allEpoch = 0;
  /** hostId → the epoch of its latest forget, kept only while some read is in flight. */
  const forgotten = new Map<number, number>();
  let reading = 0;

  const drop = (hash: string) => {
    const cached = byHash.get(hash);
    if (!cached) return;
    byHash.delete(hash);
    if (hashOfHost.get(cached.host.hostId) === hash) hashOfHost.delete(cached.host.hostId);
  };

  async function load(hash: string): Promise<AgentHost | null> {
    const row = await db.host.findUnique({
      where: { nodeKeyHash: new Uint8Array(Buffer.from(hash, "base64")) },
      select: { id: true, platform: true, platformLike: true, inventoryAt: true, inventorySentAt: true, inventoryRequestedAt: true },
    });
    if (!row) return null;
    return {
      hostId: row.id,
      softwareSource: row.platform ? softwareSourceFor({ platform: row.platform, platformLike: row.platformLike }) : null,
      inventoryAt: row.inventoryAt,
      sentAt: row.inventorySentAt,
      // Not the row's batch: a batch another instance handed out is repeated by that instance only, so
      // an agent polling each instance in turn is not handed it again by every one.
      batch: null,
      resent: false,
      requestedAt: row.inventoryRequestedAt,
    };
  }

  async function loadAndKeep(hash: string, t: number): Promise<AgentHost | null> {
    const startedAt = epoch;
    const startedAll = allEpoch;
    let host: AgentHost | null;
    let overtaken: boolean;
    reading++;
    try {
      host = await load(hash);
      overtaken = allEpoch !== startedAll || (host !== null && (forgotten.get(host.hostId) ?? -1) > startedAt);
    } finally {
      if (--reading === 0) forgotten.clear();
    }
    if (!host) {
      unknown.set(hash, t + UNKNOWN_TTL_MS);
      if (unknown.size > maxUnknown) unknown.delete(unknown.keys().next().value!);
      return null;
    }
    if (!overtaken) {
      const previous = hashOfHost.get(host.hostId);
      if (previous !== undefined) drop(previous);
      byHash.set(hash, { host, hash, expiresAt: t + ttlMs, touchedAt: t });
      hashOfHost.set(host.hostId, hash);
      if (byHash.size > maxHosts) drop(byHash.keys().next().value!);
    }
    return host;
  }

  async function write() {
    if (lastSeen.size === 0) return;
    const ids = [...lastSeen.keys()];
    const times = ids.map((id) => lastSeen.get(id)!);
    lastSeen.clear();
    ids.forEach((id, i) => writing.set(id, times[i]!));
    try {
      // Rows a collection holds (for the length of its write) are skipped, not waited for: waiting,
      // this statement would hold every row it had updated so far, and every hand-out and every
      // collection of those hosts would queue behind it (at 10,000 hosts, first inventories slowed to
      // a few a second). Their times are written at a later flush. Answers the hosts skipped.
      const busy = await db.$queryRaw<{ id: number }[]>`WITH free AS (
          SELECT id FROM hosts WHERE id = ANY(${ids}::int[]) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED),
        written AS (
          UPDATE hosts AS h SET last_seen_at = GREATEST(h.last_seen_at, v.at)
          FROM unnest(${ids}::int[], ${times}::timestamptz[]) AS v(id, at) WHERE h.id = v.id AND h.id IN (SELECT id FROM free)
          RETURNING h.id)
        SELECT id FROM hosts WHERE id = ANY(${ids}::int[]) AND id NOT IN (SELECT id FROM written)`;
      const timeOf = new Map(ids.map((id, i) => [id, times[i]!]));
      for (const { id } of busy) if (!lastSeen.has(id)) lastSeen.set(id, timeOf.get(id)!);
    } catch (error) {
      // Kept for the next flush unless newer times arrived meanwhile.
      ids.forEach((id, i) => {
        if (!lastSeen.has(id)) lastSeen.set(id, times[i]!);
      });
      logger.warn({ err: error, hosts: ids.length }, "last-seen times could not be written; retrying at the next flush");
    } finally {
      ids.forEach((id, i) => {
        if (writing.get(id) === times[i]) writing.delete(id);
      });
    }
  }

  /**
   * One write at a time, in order, so a flush that resolves has every time seen before it stored.
   * Callers that arrive while a write waits to start share it: a burst of hosts(filter: {online})
   * queries costs one write, not one each.
   */
  let waiting: Promise<void> | null = null;
  const flush = () =>
    (waiting ??= flushes = flushes.then(() => {
      waiting = null;
      return write();
    }));

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref();

  return {
    authenticate(nodeKey) {
      const hash = nodeKeyDigest(nodeKey);
      const t = now();
      const cached = byHash.get(hash);
      if (cached && cached.expiresAt > t) {
        if (t - cached.touchedAt >= touchIntervalMs) {
          // Re-inserted so the map's first key is the least recently used (to touchIntervalMs).
          cached.touchedAt = t;
          byHash.delete(hash);
          byHash.set(hash, cached);
        }
        return cached.host;
      }
      if (cached) drop(hash);
      const unknownUntil = unknown.get(hash);
      if (unknownUntil !== undefined && unknownUntil > t) return null;
      unknown.delete(hash);
      return loadAndKeep(hash, t);
    },
    forget(hostId) {
      if (reading > 0) {
        forgotten.set(hostId, ++epoch);
        // At most one entry per host, and cleared whenever no read is in flight; a bound all the same.
        if (forgotten.size > maxHosts) {
          forgotten.clear();
          allEpoch++;
        }
      }
      const hash = hashOfHost.get(hostId);
      if (hash !== undefined) drop(hash);
    },
    forgetAll() {
      allEpoch++;
      byHash.clear();
      hashOfHost.clear();
      unknown.clear();
    },
    seen(hostId, at) {
      lastSeen.set(hostId, at);
    },
    lastSeen(hostId) {
      const pending = lastSeen.get(hostId);
      const inWrite = writing.get(hostId);
      if (!pending) return inWrite ?? null;
      return inWrite && inWrite > pending ? inWrite : pending;
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
    size: () => byHash.size,
  };
}
