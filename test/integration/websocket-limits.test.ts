import { readFile } from "node:fs/promises";
import type { ExecutionResult } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeWs } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

// Resource bounds do not depend on the database: PGlite only.

/** Another loopback address (Linux routes all of 127/8 to lo): the attacker's, so its quota is its own. */
const ATTACKER = "127.0.0.2";
const PACKAGES = 300;
/** Every app changes name each round, so each snapshot has 600 changes and every page below is full. */
const packagesOfRound = (round: number) => ubuntu(generatedPackages(PACKAGES, `round${round}x`));
/** The attack: 15 aliased pages of 100 changes, each event ~170 KB of JSON, subscribed 1,000 times a socket. */
const HEAVY = `subscription Heavy { snapshotUpdated { ${Array.from(
  { length: 15 },
  (_, i) => `c${i}: changes(first: 100) { edges { node { kind name source path fromVersion toVersion } } }`,
).join(" ")} } }`;
const SUBSCRIPTIONS_PER_ATTACK_SOCKET = 1000;
type HeavyResult = ExecutionResult<{ snapshotUpdated: Record<string, { edges: unknown[] }> }>;

interface Message {
  id?: string;
  type: string;
  payload?: unknown;
}

/** A graphql-transport-ws client on a raw socket, which can stop reading (the slow or hostile client). */
interface RawClient {
  socket: WebSocket;
  /** Every message but "next" ones, parsed; "next" ones are only counted. */
  messages: Message[];
  nexts: number;
  closed: Promise<{ code: number; reason: string }>;
}

function openRaw(endpoint: string, localAddress: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(endpoint.replace(/^http/, "ws"), "graphql-transport-ws", { localAddress });
    const client: RawClient = {
      socket,
      messages: [],
      nexts: 0,
      closed: new Promise((settle) => socket.once("close", (code, reason) => settle({ code, reason: String(reason) }))),
    };
    socket.once("unexpected-response", (_request, response) => {
      response.resume();
      reject(Object.assign(new Error(`upgrade refused with HTTP ${response.statusCode}`), { status: response.statusCode }));
    });
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data: Buffer) => {
      if (data.subarray(0, 60).includes('"type":"next"')) {
        client.nexts++;
        return;
      }
      const message = JSON.parse(String(data)) as Message;
      client.messages.push(message);
      if (message.type === "connection_ack") resolve(client);
    });
  });
}

function waitForPong(client: RawClient): Promise<void> {
  const seen = client.messages.length;
  client.socket.send(JSON.stringify({ type: "ping" }));
  return expect.poll(() => client.messages.slice(seen).some((m) => m.type === "pong"), { timeout: 30_000, interval: 20 }).toBe(true).then(() => {});
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples the process's resident memory until stopped; resolves with the highest value seen. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await rssBytes(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

describe("websocket resource bounds", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(packagesOfRound(0));
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, MAX_SOCKETS_PER_CLIENT: "2" });
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it(
    "when clients subscribe 1,000 times a socket and stop reading, then memory stays bounded, their sockets are closed with 1013 and other subscribers hear every event",
    async () => {
      const fast = createWebSocketClient(service.endpoint);
      const light = subscribeWs(fast, SnapshotUpdatedSubscription);
      const heavy = fast.iterate({ query: HEAVY });
      try {
        const attackers = [await openRaw(service.endpoint, ATTACKER), await openRaw(service.endpoint, ATTACKER)];
        sockets.push(...attackers.map((a) => a.socket));
        for (const attacker of attackers) {
          for (let id = 1; id <= SUBSCRIPTIONS_PER_ATTACK_SOCKET; id++) {
            attacker.socket.send(JSON.stringify({ id: String(id), type: "subscribe", payload: { query: HEAVY } }));
          }
          await waitForPong(attacker);
        }
        // Let the accepted subscriptions reach the fan-out before the first event.
        await new Promise((r) => setTimeout(r, 1000));
        for (const attacker of attackers) attacker.socket.pause();

        const before = await rssBytes(service.child.pid!);
        const sampler = sampleRss(service.child.pid!);
        let peak: number;
        try {
          for (let round = 1; round <= 2; round++) {
            await machine.set(packagesOfRound(round));
            const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
            expect(collected.status).toBe("SUCCEEDED");
            expect((await light.next(30_000)).data?.snapshotUpdated.id).toBe(collected.id);
            const event = await heavy.next();
            expect(event.done).toBe(false);
            const pages = Object.values((event.value as HeavyResult).data!.snapshotUpdated);
            expect(pages.map((page) => page.edges.length)).toEqual(Array(15).fill(100));
          }
          // Whatever the server still writes to the paused sockets lands within this.
          await new Promise((r) => setTimeout(r, 2000));
        } finally {
          peak = await sampler.stop();
        }

        for (const attacker of attackers) attacker.socket.resume();
        const closes = await Promise.all(attackers.map((a) => a.closed));
        const growthMb = (peak - before) / 2 ** 20;
        // Two sockets × (WS_MAX_BUFFERED_BYTES 4 MiB + one frame), what the kernel holds, and
        // execution garbage; without the bounds this was ~1 GB (2,000 copies of each event).
        expect(growthMb, `RSS grew by ${growthMb.toFixed(0)} MB`).toBeLessThan(100);
        for (const [i, attacker] of attackers.entries()) {
          const refused = attacker.messages.filter((m) => m.type === "error");
          expect(refused).toHaveLength(SUBSCRIPTIONS_PER_ATTACK_SOCKET - 100);
          expect(refused[0]!.payload).toEqual([
            expect.objectContaining({ extensions: expect.objectContaining({ code: "TOO_MANY_SUBSCRIPTIONS" }) }),
          ]);
          expect(closes[i]!.code).toBe(1013);
          // It got some events before its send buffer filled, never all 200 of the first one.
          expect(attacker.nexts).toBeLessThan(100);
        }
        const dropped = service.logs.filter((l) => l.msg === "websocket dropped: the client is not reading");
        expect(dropped).toHaveLength(2);
        expect(dropped[0]).toMatchObject({ client: ATTACKER });

        // The fast client is still served after the slow ones are gone.
        await machine.set(packagesOfRound(3));
        const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
        expect((await light.next(30_000)).data?.snapshotUpdated.id).toBe(collected.id);
      } finally {
        await light.close();
        await heavy.return?.();
        await fast.dispose();
      }
    },
    180_000,
  );

  it("when one address opens more sockets than MAX_SOCKETS_PER_CLIENT, then the upgrade is refused with 429, and other addresses still connect", async () => {
    const held = [await openRaw(service.endpoint, ATTACKER), await openRaw(service.endpoint, ATTACKER)];
    sockets.push(...held.map((h) => h.socket));
    await expect(openRaw(service.endpoint, ATTACKER)).rejects.toMatchObject({ status: 429 });
    const other = await openRaw(service.endpoint, "127.0.0.1");
    sockets.push(other.socket);
    // A socket that closes frees its place.
    held[0]!.socket.close(1000);
    await held[0]!.closed;
    await expect.poll(async () => openRaw(service.endpoint, ATTACKER).then((c) => (sockets.push(c.socket), true), () => false), { timeout: 5000 }).toBe(true);
  });
});
