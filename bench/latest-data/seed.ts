import { openDatabase } from "../../src/db/client.js";
import { applyMigrations } from "../../src/db/migrate.js";
import { createLogger } from "../../src/logger.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { createChurn, inventoryOf } from "../churn.js";
import { assert } from "../measure.js";
import { withConnection } from "../scratch-database.js";
import { MIGRATIONS_DIR } from "./harness.js";

export const INITIAL_APPS = 5000;
/** Churned snapshots after the initial one. */
export const SNAPSHOTS = 99;
// history.ts's churn: 20 identities gone, 20 new and 5 upgraded per step, 1% of the inventory.
const CHURN = { removedPerStep: 20, addedPerStep: 20, upgradedPerStep: 5, seed: 20261123 } as const;
const HOUR_MS = 3_600_000;

export interface Seeded {
  hostId: number;
  snapshotId: number;
  /** The SUCCEEDED snapshot before the newest. */
  previousSnapshotId: number;
  collectedAt: Date;
  /** The newest snapshot's app names in latestData order. */
  names: string[];
}

/**
 * Migrates the scratch database and writes the service's own machine: 5,000 apps and 100 hourly
 * snapshots at 1% churn, through the real store as collections would have.
 */
export async function seedLocalHost(url: string): Promise<Seeded> {
  const logger = createLogger({ level: "silent" });
  const db = await openDatabase({ kind: "postgres", url }, logger);
  try {
    return await withConnection(db, async (conn) => {
      await applyMigrations(conn, MIGRATIONS_DIR, logger);
      const store = createInventoryStore({ db: db.prisma, fallbackHostname: "bench-host" });
      const churn = createChurn({ initialApps: INITIAL_APPS, ...CHURN });
      // Hourly up to a minute ago: well inside the service's retention, so its prune at start keeps everything.
      const end = Date.now() - 60_000;
      let apps = churn.initial;
      const written = [];
      for (let i = 0; i <= SNAPSHOTS; i++) {
        if (i > 0) apps = churn.step();
        const snapshot = await store.recordSuccess(inventoryOf(apps), { collectedAt: new Date(end - (SNAPSHOTS - i) * HOUR_MS), durationMs: 1000 });
        assert(snapshot.appCount === apps.length, `snapshot ${i} stored appCount ${snapshot.appCount}, expected ${apps.length}`);
        written.push(snapshot);
        if (i % 25 === 0) process.stderr.write(`seeding: ${i + 1}/${SNAPSHOTS + 1} snapshots\n`);
      }
      const newest = written.at(-1);
      const previous = written.at(-2);
      assert(newest && previous, "no snapshot was written");
      // Planner statistics as autovacuum would leave them, so plans do not depend on when it last ran.
      await conn.exec("VACUUM ANALYZE apps");
      await conn.exec("VACUUM ANALYZE snapshots");
      // Generated names are lower-case ASCII, so latestData's bytewise order is plain string order.
      const names = apps.map((app) => app.name).sort();
      return { hostId: newest.hostId, snapshotId: newest.id, previousSnapshotId: previous.id, collectedAt: newest.collectedAt, names };
    });
  } finally {
    await db.close();
  }
}
