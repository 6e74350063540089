import { describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createLogger } from "../../src/logger.js";
import { createAgentHosts } from "../../src/sources/agent/agent-hosts.js";

/**
 * A database whose last-seen writes wait until the test lets them finish; it records the ids of each
 * and answers that none of them was busy (held by a collection).
 */
function slowDb() {
  const writes: number[][] = [];
  const gates: Array<() => void> = [];
  const db = {
    $queryRaw: (_strings: TemplateStringsArray, ids: number[]) => {
      writes.push([...ids]);
      return new Promise<{ id: number }[]>((resolve) => gates.push(() => resolve([])));
    },
  } as unknown as PrismaClient;
  const release = async () => {
    await new Promise((r) => setImmediate(r));
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { db, writes, release, gates };
}

describe("last-seen times held between writes", () => {
  it("when a time is pending or being written, then lastSeen reports it; once written, the database has it and memory lets go", async () => {
    const { db, release, gates } = slowDb();
    const hosts = createAgentHosts({ db, logger: createLogger({ level: "silent" }), flushIntervalMs: 3_600_000 });
    const t1 = new Date("2026-12-01T00:00:01Z");
    const t2 = new Date("2026-12-01T00:00:02Z");
    expect(hosts.lastSeen(1)).toBeNull();
    hosts.seen(1, t1);
    expect(hosts.lastSeen(1)).toEqual(t1);
    const flushed = hosts.flush();
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(1);
    // In the write: still this instance's to report.
    expect(hosts.lastSeen(1)).toEqual(t1);
    hosts.seen(1, t2);
    expect(hosts.lastSeen(1)).toEqual(t2);
    await release();
    await flushed;
    expect(hosts.lastSeen(1)).toEqual(t2);
    const again = hosts.flush();
    await release();
    await again;
    expect(hosts.lastSeen(1)).toBeNull();
    await hosts.stop();
  });

  it("when many flushes are asked for while one is being written, then they share one more write, which has every time seen before them", async () => {
    const { db, writes, release, gates } = slowDb();
    const hosts = createAgentHosts({ db, logger: createLogger({ level: "silent" }), flushIntervalMs: 3_600_000 });
    hosts.seen(1, new Date());
    const first = hosts.flush();
    await new Promise((r) => setImmediate(r));
    hosts.seen(2, new Date());
    const burst = Array.from({ length: 50 }, () => hosts.flush());
    hosts.seen(3, new Date());
    // Agents keep polling while the writes go: with one write per flush asked for, each would write these.
    for (let host = 4; host < 10; host++) {
      hosts.seen(host, new Date());
      await new Promise((r) => setImmediate(r));
      const gate = gates.shift();
      gate?.();
    }
    await release();
    await Promise.all([first, ...burst]);
    expect(writes).toHaveLength(2);
    expect(writes[0]).toEqual([1]);
    expect(writes[1]).toEqual(expect.arrayContaining([2, 3]));
    expect(hosts.lastSeen(9)).not.toBeNull();
    const stopped = hosts.stop();
    await release();
    await stopped;
  });
});
