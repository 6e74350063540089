import { createLogger } from "../../src/logger.js";
import { createAgentInventory, type AgentInventoryOptions } from "../../src/sources/agent/agent-inventory.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { TEST_FLEET, type Harness } from "./harness.js";

/**
 * An inventory source of the test's own over the harness's database (beside the service's, which it
 * does not touch): an hour's interval, 32 places, the test fleet's wait for a place and a silent log
 * unless `options` say otherwise.
 */
export function inventoryOn(h: Harness, options: Partial<AgentInventoryOptions> = {}) {
  return createAgentInventory({
    db: h.db.prisma,
    store: createInventoryStore({ db: h.db.prisma, fallbackHostname: "unused" }),
    logger: createLogger({ level: "silent" }),
    intervalMs: 3_600_000,
    pendingMs: 300_000,
    maxRows: 200_000,
    maxOutstanding: 32,
    handOutWaitMs: TEST_FLEET.handOutWaitMs,
    ...options,
  });
}
