import type { Collector } from "./collector/collector.js";
import type { PrismaClient } from "./generated/prisma/client.js";
import type { Logger } from "./logger.js";
import type { PubSub } from "./pubsub.js";
import { createAppQueries, type AppQueries } from "./store/app-queries.js";
import { createHistory, type History } from "./store/history.js";
import type { InventoryStore } from "./store/inventory-store.js";

/** What resolvers may use; built once by main and shared by every request. */
export interface Context {
  db: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  collector: Collector;
  apps: AppQueries;
  history: History;
  inventory: Pick<InventoryStore, "localHostId">;
}

export interface ContextDeps {
  db: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  collector: Collector;
  inventory: Pick<InventoryStore, "localHostId">;
  /** See HistoryOptions.cacheSize. */
  historyCacheSize?: number;
}

export function createContext({ db, historyCacheSize, ...deps }: ContextDeps): Context {
  return {
    ...deps,
    db,
    apps: createAppQueries(db),
    history: createHistory({ db, ...(historyCacheSize !== undefined ? { cacheSize: historyCacheSize } : {}) }),
  };
}
