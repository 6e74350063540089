import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import type { AgentHost } from "../../src/sources/agent/agent-hosts.js";
import type { AgentConnection } from "../../src/sources/agent/agent-inventory.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { inventoryOn } from "../helpers/agent-inventory.js";
import { macAnswer, macEnrollment, postAgent } from "../helpers/agent-requests.js";
import { backends } from "../helpers/backends.js";
import { createHarness, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";

const PARTS = ["osquery_info", "os_version", "system_info", "software"];

/** The write an agent sends back for the queries it was handed. */
function answer(queries: Record<string, string>) {
  const write = { queries: {} as Record<string, unknown[]>, statuses: {} as Record<string, number>, messages: {}, stats: {} };
  for (const id of Object.keys(queries)) {
    write.queries[id] = macAnswer(id.split(":")[2]!);
    write.statuses[id] = 0;
  }
  return write;
}

describe.each(backends)("inventories handed out at once are bounded per instance, on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown) => postAgent(origin, path, body, { ca: h.pki!.ca });
  let uuids = 0;
  async function enroll(hostname: string) {
    const uuid = `ad015510-0000-4000-8000-${String(++uuids).padStart(12, "0")}`;
    const key = (await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, hostname))).json!["node_key"] as string;
    const host = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
    return { key, hostId: host.id };
  }
  const read = async (key: string) => (await post("/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: { inventoryConcurrency: 2, handOutWaitMs: 10_000 }, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when more new hosts check in than AGENT_INVENTORY_CONCURRENCY, then the others' polls wait and get a place the moment an answer is stored", async () => {
    const [a, b, c] = [await enroll("adm-a"), await enroll("adm-b"), await enroll("adm-c")];
    const handedA = await read(a.key);
    const handedB = await read(b.key);
    expect(Object.keys(handedA)).toHaveLength(PARTS.length);
    expect(Object.keys(handedB)).toHaveLength(PARTS.length);
    // Two are out: the third's poll is held, not answered, and c is not marked as handed out.
    let answeredC = false;
    const pollC = read(c.key).finally(() => (answeredC = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answeredC).toBe(false);
    expect(await h.db.prisma.host.findUniqueOrThrow({ where: { id: c.hostId }, select: { inventorySentAt: true } })).toEqual({ inventorySentAt: null });

    expect((await post("/api/osquery/distributed/write", { node_key: a.key, ...answer(handedA) })).json).toEqual({});
    expect(await h.db.prisma.snapshot.count({ where: { hostId: a.hostId, status: "SUCCEEDED" } })).toBe(1);
    // a's place went to c's waiting poll, long before the 10 s it may wait.
    expect(Object.keys(await pollC)).toHaveLength(PARTS.length);
    expect((await h.db.prisma.host.findUniqueOrThrow({ where: { id: c.hostId }, select: { inventorySentAt: true } })).inventorySentAt).not.toBeNull();
  });

  it("when a host that was handed its inventory never answers, then its place is given to another host after outstandingMs", async () => {
    const [x, y, z] = [await enroll("adm-x"), await enroll("adm-y"), await enroll("adm-z")];
    let t = Date.parse("2026-12-01T00:00:00Z");
    const inventory = inventoryOn(h, {
      maxOutstanding: 1,
      outstandingMs: 60_000,
      // Answered at once when every place is taken: this is about places, not waiting for one.
      handOutWaitMs: 0,
      now: () => new Date(t),
    });
    const agentHost = (hostId: number): AgentHost => ({ hostId, softwareSource: "apps", inventoryAt: null, sentAt: null, batch: null, resent: false, requestedAt: null });
    const [hx, hy, hz] = [agentHost(x.hostId), agentHost(y.hostId), agentHost(z.hostId)];

    const handedX = await inventory.queriesFor(hx);
    expect(Object.keys(handedX)).toHaveLength(PARTS.length);
    t += 59_999;
    expect(await inventory.queriesFor(hy)).toEqual({});
    t += 1;
    const handedY = await inventory.queriesFor(hy);
    expect(Object.keys(handedY)).toHaveLength(PARTS.length);

    // collectSnapshot's request is handed out even with every place taken, and takes one itself.
    hz.requestedAt = new Date(t);
    expect(Object.keys(await inventory.queriesFor(hz))).toHaveLength(PARTS.length);

    // x answers late: its batch is still the awaited one (pendingMs), so it is stored.
    expect(await inventory.accept(hx, answer(handedX))).toMatchObject({ hostId: x.hostId, status: "SUCCEEDED" });
    // y and z still hold the places: a fourth host waits until one answers.
    const w = await enroll("adm-w");
    const hw = agentHost(w.hostId);
    expect(await inventory.queriesFor(hw)).toEqual({});
    expect(await inventory.accept(hy, answer(handedY))).toMatchObject({ hostId: y.hostId, status: "SUCCEEDED" });
    expect(await inventory.queriesFor(hw)).toEqual({});
    // y's place went to z's forced hand-out; once z answers (here: its write fails to parse), w is asked.
    const batchZ = (await h.db.prisma.host.findUniqueOrThrow({ where: { id: z.hostId } })).inventoryBatch!;
    const failed = await inventory.accept(hz, { queries: { [`osquery-inventory:${batchZ}:software`]: [] }, statuses: { [`osquery-inventory:${batchZ}:software`]: 1 }, messages: {}, stats: {} });
    expect(failed).toMatchObject({ hostId: z.hostId, status: "FAILED" });
    expect(Object.keys(await inventory.queriesFor(hw))).toHaveLength(PARTS.length);
  });
});

describe.each(backends)("polls waiting for an inventory place, on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown) => postAgent(origin, path, body, { ca: h.pki!.ca });
  let uuids = 0;
  async function enrolled(): Promise<AgentHost> {
    const uuid = `ad015510-3333-4000-8000-${String(++uuids).padStart(12, "0")}`;
    await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, `waiting-${uuids}`));
    const { id } = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
    return { hostId: id, softwareSource: "apps", inventoryAt: null, sentAt: null, batch: null, resent: false, requestedAt: null };
  }
  const inventoryWith = (handOutWaitMs: number) => inventoryOn(h, { maxOutstanding: 1, handOutWaitMs });
  const sentAt = async (host: AgentHost) => (await h.db.prisma.host.findUniqueOrThrow({ where: { id: host.hostId }, select: { inventorySentAt: true } })).inventorySentAt;

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: {}, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when no place frees within handOutWaitMs, then the poll is answered with no queries and nothing is handed out", async () => {
    const inventory = inventoryWith(300);
    const [holder, waiter] = [await enrolled(), await enrolled()];
    expect(Object.keys(await inventory.queriesFor(holder))).toHaveLength(PARTS.length);
    const started = performance.now();
    expect(await inventory.queriesFor(waiter)).toEqual({});
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await sentAt(waiter)).toBeNull();
  });

  it("when more polls wait than 32 per place, then the others are answered at once; places go first come, first served; stopWaiting answers the rest", async () => {
    const inventory = inventoryWith(60_000);
    const holder = await enrolled();
    const handed = await inventory.queriesFor(holder);
    const waiters = [];
    for (let i = 0; i < 32; i++) waiters.push(await enrolled());
    const answered: (Record<string, string> | null)[] = waiters.map(() => null);
    const polls = waiters.map((host, i) => Promise.resolve(inventory.queriesFor(host)).then((queries) => (answered[i] = queries)));
    // A 33rd is not held: 32 polls per place wait already.
    expect(await inventory.queriesFor(await enrolled())).toEqual({});
    expect(answered.every((a) => a === null)).toBe(true);

    expect(await inventory.accept(holder, answer(handed))).toMatchObject({ status: "SUCCEEDED" });
    await polls[0];
    expect(Object.keys(answered[0]!)).toHaveLength(PARTS.length);
    expect(answered.slice(1).every((a) => a === null)).toBe(true);
    expect(await sentAt(waiters[0]!)).not.toBeNull();

    // The service stops: the polls still waiting are answered with no queries, and none waits again.
    inventory.stopWaiting();
    await Promise.all(polls);
    expect(answered.slice(1)).toEqual(Array(31).fill({}));
    const started = performance.now();
    expect(await inventory.queriesFor(await enrolled())).toEqual({});
    expect(performance.now() - started).toBeLessThan(5_000);
    for (const waiter of waiters.slice(1)) expect(await sentAt(waiter)).toBeNull();
  });
});

/** A connection open when the poll arrives and closed at every later look (by the time the claim is written). */
function closesOnceLookedAt(): AgentConnection {
  let looks = 0;
  return {
    get destroyed() {
      return ++looks > 1;
    },
  };
}

describe.each(backends)("polls whose agents have given up, on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown, signal?: AbortSignal) => postAgent(origin, path, body, { ca: h.pki!.ca, ...(signal ? { signal } : {}) });
  let uuids = 0;
  async function enroll(): Promise<{ key: string; host: AgentHost }> {
    const uuid = `ad015510-4444-4000-8000-${String(++uuids).padStart(12, "0")}`;
    const key = (await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, `gone-${uuids}`))).json!["node_key"] as string;
    const { id } = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
    return { key, host: { hostId: id, softwareSource: "apps", inventoryAt: null, sentAt: null, batch: null, resent: false, requestedAt: null } };
  }
  const claim = async (host: AgentHost) =>
    h.db.prisma.host.findUniqueOrThrow({ where: { id: host.hostId }, select: { inventorySentAt: true, inventoryBatch: true } });
  const unclaimed = { inventorySentAt: null, inventoryBatch: null };

  beforeAll(async () => {
    // One place, so whoever holds it decides who is asked next.
    h = await createHarness(backend, ubuntu(), { fleet: { inventoryConcurrency: 1, handOutWaitMs: 10_000 }, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when an agent closes its poll while it waits for a place, then the place goes on to the next poll, and the gone host is not marked handed out", async () => {
    const [holder, gone, next] = [await enroll(), await enroll(), await enroll()];
    const read = async (key: string, signal?: AbortSignal) => (await post("/api/osquery/distributed/read", { node_key: key }, signal)).json!["queries"] as Record<string, string>;
    const handed = await read(holder.key);
    expect(Object.keys(handed)).toHaveLength(PARTS.length);
    const giveUp = new AbortController();
    const goneRead = read(gone.key, giveUp.signal).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const nextRead = read(next.key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    giveUp.abort();
    expect(await goneRead).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The place frees; the gone host's poll was first in line, and passes it on.
    expect((await post("/api/osquery/distributed/write", { node_key: holder.key, ...answer(handed) })).json).toEqual({});
    expect(Object.keys(await nextRead)).toHaveLength(PARTS.length);
    expect(await claim(gone.host)).toEqual(unclaimed);
  });

  it("when the agent's connection closes while the hand-out is written, then the hand-out is taken back: the claim is cleared and the place is free", async () => {
    const inventory = inventoryOn(h, { maxOutstanding: 1, handOutWaitMs: 0 });
    const [gone, next] = [await enroll(), await enroll()];
    const closing = closesOnceLookedAt();
    expect(await inventory.queriesFor(gone.host, closing)).toEqual({});
    expect(await claim(gone.host)).toEqual(unclaimed);
    expect(gone.host).toMatchObject({ sentAt: null, batch: null });
    // The place is free at once (not after outstandingMs), and the gone host is due again.
    const handed = await inventory.queriesFor(next.host);
    expect(Object.keys(handed)).toHaveLength(PARTS.length);
    expect(await inventory.accept(next.host, answer(handed))).toMatchObject({ status: "SUCCEEDED" });
    expect(Object.keys(await inventory.queriesFor(gone.host))).toHaveLength(PARTS.length);
  });

  /** The harness's database, with the statement that takes a hand-out back run through `takingBack` first. */
  const dbTakingBack = (takingBack: () => Promise<void>): PrismaClient =>
    new Proxy(h.db.prisma, {
      get(target, prop, receiver) {
        if (prop === "$executeRaw") {
          return async (strings: TemplateStringsArray, ...values: unknown[]) => {
            if (strings.join("?").includes("inventory_batch = NULL")) await takingBack();
            return target.$executeRaw(strings, ...values);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

  it("when the agent polls again while its hand-out is taken back, then that poll is not handed the batch being withdrawn, and the next one gets a new batch", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const takingBack = new Promise<void>((resolve) => (reached = resolve));
    const inventory = inventoryOn(h, { db: dbTakingBack(() => (reached(), held)), maxOutstanding: 1, handOutWaitMs: 0 });
    const { host } = await enroll();
    const closing = closesOnceLookedAt();
    const gone = Promise.resolve(inventory.queriesFor(host, closing));
    await takingBack;
    const withdrawn = (await claim(host)).inventoryBatch!;
    // The retried poll, while the claim is being cleared.
    expect(await inventory.queriesFor(host)).toEqual({});
    release();
    expect(await gone).toEqual({});
    expect(await claim(host)).toEqual(unclaimed);
    const handed = await inventory.queriesFor(host);
    expect(Object.keys(handed)).toHaveLength(PARTS.length);
    expect(Object.keys(handed)[0]).not.toContain(withdrawn);
  });

  it("when a hand-out cannot be taken back, then its place is freed and the same batch is handed out at the host's next poll", async () => {
    const inventory = inventoryOn(h, { db: dbTakingBack(() => Promise.reject(new Error("connection lost"))), maxOutstanding: 1, handOutWaitMs: 0 });
    const [{ host }, other] = [await enroll(), await enroll()];
    const closing = closesOnceLookedAt();
    expect(await inventory.queriesFor(host, closing)).toEqual({});
    const { inventoryBatch: standing } = await claim(host);
    expect(standing).not.toBeNull();
    const again = await inventory.queriesFor(host);
    expect(Object.keys(again).every((id) => id.includes(standing!))).toBe(true);
    expect(Object.keys(again)).toHaveLength(PARTS.length);
    // The place went back: another host is handed its inventory at once (the resent batch takes none).
    expect(Object.keys(await inventory.queriesFor(other.host))).toHaveLength(PARTS.length);
  });

  it("when the agent's connection is already closed, then nothing is handed out, not even a lost batch again", async () => {
    const inventory = inventoryOn(h, { maxOutstanding: 1, handOutWaitMs: 0 });
    const { host } = await enroll();
    expect(await inventory.queriesFor(host, { destroyed: true })).toEqual({});
    expect(await claim(host)).toEqual(unclaimed);
    const handed = await inventory.queriesFor(host);
    expect(Object.keys(handed)).toHaveLength(PARTS.length);
    // Its answer lost: a later poll is handed the same batch once, but not on a closed connection.
    expect(await inventory.queriesFor(host, { destroyed: true })).toEqual({});
    expect(await inventory.queriesFor(host)).toEqual(handed);
  });
});

describe.each(backends)("inventory writes: bounded, and beside log batches, on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown) => postAgent(origin, path, body, { ca: h.pki!.ca });

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: {}, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when more writes arrive at once than maxStoring, then that many are stored at a time and every one is stored", async () => {
    const store = createInventoryStore({ db: h.db.prisma, fallbackHostname: "unused" });
    let storing = 0;
    let peak = 0;
    const counting = {
      ...store,
      async recordAgentResult(...args: Parameters<typeof store.recordAgentResult>) {
        peak = Math.max(peak, ++storing);
        try {
          return await store.recordAgentResult(...args);
        } finally {
          storing--;
        }
      },
    };
    const inventory = inventoryOn(h, { store: counting, maxStoring: 2 });
    const hosts = [];
    for (let i = 0; i < 6; i++) {
      const uuid = `ad015510-2222-4000-8000-${String(i).padStart(12, "0")}`;
      await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, `bounded-${i}`));
      const { id } = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
      const host: AgentHost = { hostId: id, softwareSource: "apps", inventoryAt: null, sentAt: null, batch: null, resent: false, requestedAt: null };
      hosts.push({ host, handed: await inventory.queriesFor(host) });
    }
    const stored = await Promise.all(hosts.map(({ host, handed }) => inventory.accept(host, answer(handed))));
    expect(stored.map((s) => s?.status)).toEqual(Array(6).fill("SUCCEEDED"));
    expect(peak).toBe(2);
  });

  it("when result lines arrive while the host's inventory is stored, then both are stored and neither waits on the other in a deadlock", async () => {
    const uuid = "ad015510-1111-4000-8000-000000000001";
    const key = (await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, "logs-and-writes"))).json!["node_key"] as string;
    const hostId = (await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } })).id;
    let lines = 0;
    for (let round = 0; round < 12; round++) {
      await h.db.prisma.host.update({ where: { id: hostId }, data: { inventoryRequestedAt: new Date() } });
      h.fleet!.hosts.forget(hostId);
      const handed = (await post("/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;
      expect(Object.keys(handed)).toHaveLength(PARTS.length);
      const batches = Array.from({ length: 6 }, (_, i) => ({
        node_key: key,
        log_type: "result",
        data: [{ name: "pack_x", hostIdentifier: "logs-and-writes", unixTime: 1796068800 + round, counter: round * 100 + i, columns: { n: String(i) } }],
      }));
      lines += batches.length;
      const replies = await Promise.all([post("/api/osquery/distributed/write", { node_key: key, ...answer(handed) }), ...batches.map((b) => post("/api/osquery/log", b))]);
      for (const reply of replies) expect(reply.json, reply.text).toEqual({});
    }
    expect(await h.db.prisma.snapshot.count({ where: { hostId, status: "SUCCEEDED" } })).toBe(12);
    expect((await h.db.prisma.host.findUniqueOrThrow({ where: { id: hostId } })).resultLines).toBe(BigInt(lines));
  });
});
