import type { Collector } from "./sources/local/collector.js";
import type { AgentRefresh } from "./sources/agent/refresh.js";
import type { Read } from "./db/read.js";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { Logger } from "./logger.js";
import type { PubSub } from "./events/pubsub.js";
import { createRateLimiter, type RateLimiter } from "./server/rate-limit.js";
import { createAppQueries, type AppQueries } from "./store/app-queries.js";
import { createHistory, type History } from "./store/history.js";
import { createHostQueries, type HostQueries } from "./store/host-queries.js";
import { createNewestSnapshots, type NewestSnapshots } from "./store/newest-snapshots.js";
import type { InventoryStore } from "./store/inventory-store.js";
import { createSoftwareQueries, type SoftwareQueries } from "./store/software-queries.js";

/** Who is asking: set per request (HTTP) or per connection (graphql-ws) by the server. */
export interface Viewer {
  /** Presented the configured API token. Always false when no token is configured. */
  authenticated: boolean;
  /** Rate-limiting key: the peer's address. */
  client: string;
}

/** What resolvers say about the response they are part of; a new one per request. */
export interface ResponseHints {
  /**
   * The response depends on the clock or on this instance's memory (Host.lastSeenAt, Host.online),
   * not only on the stored history: the response cache must not keep it.
   */
  volatile: boolean;
  /**
   * Root fields (by response key) whose answer depends on the stored data of some hosts only, and
   * those hosts: a snapshot of another host leaves the cached response in place. A root field that
   * says nothing depends on every host.
   */
  scope: { fields: Set<string>; hosts: Set<number> };
}

/** A new ResponseHints for one request or operation. */
export function responseHints(): ResponseHints {
  return { volatile: false, scope: { fields: new Set(), hosts: new Set() } };
}

/** What resolvers may use: the shared services built once by main, plus the viewer of the request. */
export interface Context extends SharedContext {
  viewer: Viewer;
  response: ResponseHints;
}

/** What the API needs of fleet mode. */
export interface FleetContext {
  refresh: AgentRefresh;
  /** How long collectSnapshot waits for an agent (AGENT_COLLECT_WAIT_SECONDS). */
  refreshWaitMs: number;
  /** A host seen within this window is online. */
  onlineWindowMs: number;
  /** A request of the host this instance has seen and the database may not have yet (AgentHosts.lastSeen). */
  lastSeenAt(hostId: number): Date | null;
  /** Stores every last-seen time this instance holds, so a query of the database agrees with lastSeenAt. */
  flushLastSeen(): Promise<void>;
}

export interface SharedContext {
  db: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  /** The local osqueryi collector; null with COLLECT_LOCAL=false. */
  collector: Collector | null;
  /** Null when fleet mode is off (no enroll secret). */
  fleet: FleetContext | null;
  /** Demo mode: every host is simulated (npm run demo). */
  demo: boolean;
  apps: AppQueries;
  hosts: HostQueries;
  snapshots: NewestSnapshots;
  software: SoftwareQueries;
  history: History;
  inventory: Pick<InventoryStore, "localHostId">;
  /** Budget of collectSnapshot calls per client. */
  collectLimiter: RateLimiter;
}

export interface ContextDeps {
  db: PrismaClient;
  /** The hot read path's statements (Database.read). */
  read: Read;
  pubsub: PubSub;
  logger: Logger;
  collector: Collector | null;
  /** @default null */
  fleet?: FleetContext | null;
  /** @default false */
  demo?: boolean;
  inventory: Pick<InventoryStore, "localHostId">;
  /** See HistoryOptions.cacheBytes. */
  historyCacheBytes?: number;
  /** collectSnapshot calls per client and minute. @default 6 */
  collectRatePerMinute?: number;
}

export function createContext({ db, read, historyCacheBytes, collectRatePerMinute = 6, fleet = null, demo = false, ...deps }: ContextDeps): SharedContext {
  return {
    ...deps,
    fleet,
    demo,
    db,
    apps: createAppQueries(read),
    hosts: createHostQueries(read),
    snapshots: createNewestSnapshots(db),
    software: createSoftwareQueries({ db, read }),
    history: createHistory({ db, read, ...(historyCacheBytes !== undefined ? { cacheBytes: historyCacheBytes } : {}) }),
    collectLimiter: createRateLimiter({ perMinute: collectRatePerMinute }),
  };
}
