import type { PrismaClient, Snapshot } from "../../generated/prisma/client.js";
import { snapshotFromEvent, type PubSub, type SnapshotEvent } from "../../events/pubsub.js";

export type RefreshResult = { ok: true; snapshot: Snapshot } | { ok: false; reason: "not-enrolled" | "timeout"; lastSeenAt: Date | null };

export interface AgentRefresh {
  /**
   * Asks the host's agent for its inventory at its next distributed read and resolves with the
   * snapshot that answer produces. Like a local collection in progress, an inventory already handed
   * out when the refresh was asked for answers it. After the wait the request stays queued.
   */
  request(hostId: number): Promise<RefreshResult>;
}

export function createAgentRefresh({ db, pubsub, waitMs, now = () => new Date() }: { db: PrismaClient; pubsub: PubSub; waitMs: number; now?: () => Date }): AgentRefresh {
  return {
    async request(hostId) {
      // Listening before asking: the answer can land on any instance, and quickly.
      const events = pubsub.subscribe("snapshotUpdated");
      const iterator = events[Symbol.asyncIterator]();
      let timer: NodeJS.Timeout | undefined;
      try {
        // The earliest outstanding request is kept: an answer to it answers every later one too.
        const rows = await db.$queryRaw<{ requested: Date; lastSeenAt: Date | null }[]>`UPDATE hosts
          SET inventory_requested_at = COALESCE(inventory_requested_at, ${now()})
          WHERE id = ${hostId} AND node_key_hash IS NOT NULL
          RETURNING inventory_requested_at AS requested, last_seen_at AS "lastSeenAt"`;
        const mine = rows[0];
        if (!mine) return { ok: false, reason: "not-enrolled", lastSeenAt: null };
        pubsub.publish("agentChanged", { hostId, change: "inventoryRequested" });
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), waitMs);
        });
        for (;;) {
          const next = await Promise.race([iterator.next(), timeout]);
          if (next === "timeout" || next.done) break;
          const event = next.value as SnapshotEvent;
          if (event.hostId !== hostId) continue;
          const [current] = await db.$queryRaw<{ requested: Date | null }[]>`SELECT inventory_requested_at AS requested FROM hosts WHERE id = ${hostId}`;
          if (!current || current.requested === null || current.requested > mine.requested) return { ok: true, snapshot: snapshotFromEvent(event) };
        }
        const [seen] = await db.$queryRaw<{ lastSeenAt: Date | null }[]>`SELECT last_seen_at AS "lastSeenAt" FROM hosts WHERE id = ${hostId}`;
        return { ok: false, reason: "timeout", lastSeenAt: seen?.lastSeenAt ?? mine.lastSeenAt };
      } finally {
        clearTimeout(timer);
        await iterator.return?.();
      }
    },
  };
}
