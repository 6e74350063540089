import type { FleetConfig } from "../../config.js";
import type { FleetContext } from "../../context.js";
import type { PubSub } from "../../events/pubsub.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import type { Logger } from "../../logger.js";
import { createRateLimiter } from "../../server/rate-limit.js";
import type { InventoryStore } from "../../store/inventory-store.js";
import { createAgentApi } from "./agent-api.js";
import { createAgentHosts, type AgentHosts } from "./agent-hosts.js";
import { createAgentInventory, pendingWindowMs } from "./agent-inventory.js";
import { createAgentLogs, type AgentLogs } from "./agent-logs.js";
import { createAgentHttp, type AgentHttp } from "./http.js";
import { createAgentRefresh } from "./refresh.js";

export interface FleetDeps {
  db: PrismaClient;
  store: InventoryStore;
  pubsub: PubSub;
  logger: Logger;
  config: FleetConfig;
  /** Every enroll secret accepted (ENROLL_SECRET and the lines of ENROLL_SECRET_FILE). */
  secrets: readonly string[];
  /** The osquery config agents get (buildAgentConfig). */
  agentConfig: string;
  /** Rows an inventory may hold (OSQUERY_MAX_ROWS). */
  maxRows: number;
  /** Called back when events may have been lost (Redis reconnected): everything cached is read again. */
  onEventsLost?: (listener: () => void) => void;
  /** How often last-seen times are written. @default 5000 */
  lastSeenFlushMs?: number;
  /** The database's connections (Database.connections): inventory writes take at most half of them. */
  connections: number;
}

export interface Fleet {
  /** The agent endpoints, for the server. */
  http: AgentHttp;
  /** What GraphQL resolvers need (collectSnapshot on agent hosts, the online rule). */
  context: FleetContext;
  logs: AgentLogs;
  hosts: AgentHosts;
  /** Answers the polls waiting for an inventory place with no queries; call before the server closes. */
  stopWaiting(): void;
  /** Writes pending last-seen times; call after the server stopped taking requests. */
  stop(): Promise<void>;
}

/** The agent source: osquery's TLS remote API, wired to the store, the events and the cache of hosts. */
export function createFleet({ db, store, pubsub, logger, config, secrets, agentConfig, maxRows, onEventsLost, lastSeenFlushMs, connections }: FleetDeps): Fleet {
  const hosts = createAgentHosts({ db, logger, ...(lastSeenFlushMs !== undefined ? { flushIntervalMs: lastSeenFlushMs } : {}) });
  // Whatever another instance (or this one) changed about a host, its cached state is read again.
  pubsub.listen("agentChanged", (event) => hosts.forget(event.hostId));
  pubsub.listen("snapshotUpdated", (event) => hosts.forget(event.hostId));
  onEventsLost?.(() => hosts.forgetAll());
  const logs = createAgentLogs({ db, errorsKept: config.errorsKept });
  const inventory = createAgentInventory({
    db,
    store,
    logger,
    intervalMs: config.inventoryIntervalMs,
    pendingMs: pendingWindowMs(config.distributedIntervalSeconds),
    maxRows,
    maxOutstanding: config.inventoryConcurrency,
    handOutWaitMs: config.handOutWaitMs,
    // The other half serves enrollments, hand-outs, last-seen writes and reads.
    maxStoring: Math.max(1, Math.floor(connections / 2)),
  });
  const api = createAgentApi({
    db,
    pubsub,
    logger,
    hosts,
    inventory,
    logs,
    secrets,
    agentConfig,
    enrollLimiter: createRateLimiter({ perMinute: config.enrollRatePerMinute }),
    onlineWindowMs: config.onlineWindowMs,
  });
  return {
    http: createAgentHttp({ api, logger, maxBodyBytes: config.maxBodyBytes }),
    context: {
      refresh: createAgentRefresh({ db, pubsub, waitMs: config.collectWaitMs }),
      refreshWaitMs: config.collectWaitMs,
      onlineWindowMs: config.onlineWindowMs,
      lastSeenAt: (hostId) => hosts.lastSeen(hostId),
      flushLastSeen: () => hosts.flush(),
    },
    logs,
    hosts,
    stopWaiting: () => inventory.stopWaiting(),
    stop: () => hosts.stop(),
  };
}
