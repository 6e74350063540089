import type { PrismaClient, Snapshot } from "../generated/prisma/client.js";

/** Reads a collection needs when it waited for another instance collecting the same host. */
export interface HostSnapshots {
  /** The id of the newest snapshot of the host with this identifier, or null. */
  newestId(identifier: string): Promise<number | null>;
  /** The newest snapshot of the host stored after the one with id `afterId` (any, when null). */
  newestAfter(identifier: string, afterId: number | null): Promise<Snapshot | null>;
}

export function createHostSnapshots(db: PrismaClient): HostSnapshots {
  return {
    async newestId(identifier) {
      const newest = await db.snapshot.findFirst({ where: { host: { identifier } }, orderBy: { id: "desc" }, select: { id: true } });
      return newest?.id ?? null;
    },
    newestAfter(identifier, afterId) {
      return db.snapshot.findFirst({
        where: { host: { identifier }, ...(afterId !== null ? { id: { gt: afterId } } : {}) },
        orderBy: { id: "desc" },
      });
    },
  };
}
