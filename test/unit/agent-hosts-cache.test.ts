import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createLogger } from "../../src/logger.js";
import { createAgentHosts } from "../../src/sources/agent/agent-hosts.js";
import { hashNodeKey } from "../../src/sources/agent/node-keys.js";

/** The one query authenticate makes on a miss, answered from a table of keys; every lookup is counted. */
function fakeHostsTable(keys: Record<string, number>) {
  const byHash = new Map(Object.entries(keys).map(([key, id]) => [hashNodeKey(key).toString("hex"), id]));
  const lookups: number[] = [];
  // While set, a lookup answers only once this promise resolves (a read still in flight).
  const gate: { open?: Promise<void> } = {};
  const db = {
    host: {
      findUnique: async ({ where }: { where: { nodeKeyHash: Uint8Array } }) => {
        const id = byHash.get(Buffer.from(where.nodeKeyHash).toString("hex"));
        lookups.push(id ?? -1);
        await gate.open;
        return id === undefined ? null : { id, platform: "ubuntu", platformLike: "debian", inventoryAt: null, inventorySentAt: null, inventoryRequestedAt: null };
      },
    },
  } as unknown as PrismaClient;
  return { db, lookups, gate };
}

const silent = createLogger({ level: "error", destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

describe("the agent hosts cache", () => {
  it("when a known key comes again, then it is answered from memory, synchronously, without a query", async () => {
    const { db, lookups } = fakeHostsTable({ a: 1 });
    const hosts = createAgentHosts({ db, logger: silent });
    try {
      expect(await hosts.authenticate("a")).toMatchObject({ hostId: 1, softwareSource: "deb_packages" });
      const again = hosts.authenticate("a");
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toMatchObject({ hostId: 1 });
      expect(lookups).toEqual([1]);
    } finally {
      await hosts.stop();
    }
  });

  it("when an unknown key comes again within its 30 s, then it is refused from memory; after that it is looked up again", async () => {
    const { db, lookups } = fakeHostsTable({});
    let t = 1_000_000;
    const hosts = createAgentHosts({ db, logger: silent, now: () => t });
    try {
      expect(await hosts.authenticate("nope")).toBeNull();
      expect(hosts.authenticate("nope")).toBeNull();
      t += 30_001;
      expect(await hosts.authenticate("nope")).toBeNull();
      expect(lookups).toEqual([-1, -1]);
    } finally {
      await hosts.stop();
    }
  });

  it.each([
    // Moving on every hit costs V8's Map time that grows with the map; order is kept to the touch interval.
    ["within the touch interval", "a", 1000, [1, 2, 3, 1]],
    ["after the touch interval", "b", 60_000, [1, 2, 3, 2]],
  ])("when the cache is full and a was polled again %s, then the one evicted for c is %s", async (_when, evicted, after, expected) => {
    const { db, lookups } = fakeHostsTable({ a: 1, b: 2, c: 3 });
    let t = 1_000_000;
    const hosts = createAgentHosts({ db, logger: silent, maxHosts: 2, touchIntervalMs: 60_000, now: () => t });
    try {
      await hosts.authenticate("a");
      t += 1;
      await hosts.authenticate("b");
      t += after;
      expect(hosts.authenticate("a")).toMatchObject({ hostId: 1 });
      await hosts.authenticate("c");
      expect(hosts.size()).toBe(2);
      expect(await hosts.authenticate(evicted)).not.toBeNull();
      expect(lookups).toEqual(expected);
    } finally {
      await hosts.stop();
    }
  });

  it("when an entry is older than its TTL, then the next request reads the host again", async () => {
    const { db, lookups } = fakeHostsTable({ a: 1 });
    let t = 1_000_000;
    const hosts = createAgentHosts({ db, logger: silent, ttlMs: 10_000, now: () => t });
    try {
      await hosts.authenticate("a");
      t += 10_001;
      expect(await hosts.authenticate("a")).toMatchObject({ hostId: 1 });
      expect(lookups).toEqual([1, 1]);
    } finally {
      await hosts.stop();
    }
  });

  it.each([
    ["another host is forgotten", true, (hosts: ReturnType<typeof createAgentHosts>) => hosts.forget(2)],
    ["the same host is forgotten", false, (hosts: ReturnType<typeof createAgentHosts>) => hosts.forget(1)],
    ["everything is forgotten", false, (hosts: ReturnType<typeof createAgentHosts>) => hosts.forgetAll()],
  ])("when %s while a host is read from the database, then the host read is kept: %s", async (_when, kept, forget) => {
    const { db, lookups, gate } = fakeHostsTable({ a: 1, b: 2 });
    const hosts = createAgentHosts({ db, logger: silent });
    try {
      let open!: () => void;
      gate.open = new Promise((resolve) => (open = resolve));
      const reading = hosts.authenticate("a");
      forget(hosts);
      open();
      expect(await reading).toMatchObject({ hostId: 1 });
      // Used once either way; kept only when nothing about host 1 may have changed during the read.
      const again = hosts.authenticate("a");
      expect(again instanceof Promise).toBe(!kept);
      await again;
      expect(lookups).toEqual(kept ? [1] : [1, 1]);
    } finally {
      await hosts.stop();
    }
  });

  it("when a host was forgotten before its read started, while another host's read was in flight, then its read is kept", async () => {
    const { db, lookups, gate } = fakeHostsTable({ a: 1, b: 2 });
    const hosts = createAgentHosts({ db, logger: silent });
    try {
      let open!: () => void;
      gate.open = new Promise((resolve) => (open = resolve));
      const readingB = hosts.authenticate("b");
      // Remembered (a read is in flight), but it precedes a's read: nothing a's read returns is older.
      hosts.forget(1);
      const readingA = hosts.authenticate("a");
      open();
      await Promise.all([readingA, readingB]);
      expect(hosts.authenticate("a")).toMatchObject({ hostId: 1 });
      expect(hosts.authenticate("b")).toMatchObject({ hostId: 2 });
      expect(lookups).toEqual([2, 1]);
    } finally {
      await hosts.stop();
    }
  });
});
