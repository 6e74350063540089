import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toSnapshotEvent } from "../../src/events/pubsub.js";
import { OPEN_SECURITY } from "../../src/server/server.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeWs } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery, SnapshotUpdatedSubscription } from "../helpers/operations.js";

// The cache sits in front of execution and does not depend on the database: PGlite only.
const TOKEN = "test-token-0123456789";

describe("response cache", () => {
  let h: Harness;
  const latest = async (variables = { first: 5 }) => {
    const result = await execute(ENDPOINT, LatestDataQuery, variables, { fetch: h.fetch });
    return expectNoGraphQLErrors(result).latestData;
  };

  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(20)));
    await h.collector.collect();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when the same query repeats, then it is answered from memory, not from the database", async () => {
    const first = await latest();
    // Behind the service's back: a cached answer cannot see this, a fresh one would.
    await h.db.prisma.$executeRaw`UPDATE software SET version = 'changed-behind-its-back'`;
    const second = await latest();
    expect(second).toEqual(first);
    expect(h.responseCache!.size()).toBeGreaterThan(0);
    // Different variables are a different response.
    const other = await latest({ first: 6 });
    expect(other.edges[0]?.node.version).toBe("changed-behind-its-back");
  });

  it("when history is pruned anywhere, then cached responses are dropped", async () => {
    h.pubsub.publish("historyPruned", { snapshots: 1 });
    expect(h.responseCache!.size()).toBe(0);
    expect((await latest()).edges[0]?.node.version).toBe("changed-behind-its-back");
  });

  it("when a mutation runs, then its result is not cached and the snapshot it stores drops the cache", async () => {
    await latest();
    await h.machine.set(ubuntu(generatedPackages(23)));
    const collected = expectNoGraphQLErrors(await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch })).collectSnapshot;
    const after = await latest();
    expect(after.snapshot?.id).toBe(collected.id);
    expect(after.totalCount).toBe(23);
  });

  it.each([
    ["the only host, by default", false],
    ["a host named by hostId (cached per host)", true],
  ])("when a client hears snapshotUpdated and queries %s at once, then it never gets a response from before that snapshot", async (_, named) => {
    const hostId = named ? await localHostId(h) : undefined;
    const { stale, hammered } = await readWhileCollecting(h, hostId, 23);
    expect(stale).toEqual([]);
    expect(hammered).toBeGreaterThan(8);
  });
});

/** The local host's global ID. */
async function localHostId(h: Harness): Promise<string> {
  const { id } = await h.db.prisma.host.findFirstOrThrow({ where: { local: true } });
  return Buffer.from(`Host:${id}`).toString("base64");
}

/**
 * What a dashboard does, eight times over: hear of a snapshot, then read the host's apps with the
 * same document, while other reads keep the cache hot and in flight across every commit (the case
 * where a stale entry could be written after an invalidation). Returns every read that came from
 * before the snapshot it followed.
 */
async function readWhileCollecting(h: Harness, hostId: string | undefined, base: number) {
  const url = `${await listening(h)}/graphql`;
  const ws = createWebSocketClient(url);
  const sub = subscribeWs(ws, SnapshotUpdatedSubscription);
  const variables = { first: 5, ...(hostId ? { hostId } : {}) };
  let hammering = true;
  let hammered = 0;
  const hammer = (async () => {
    while (hammering) {
      expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, variables, { fetch: h.fetch }));
      hammered++;
      // An in-process cache hit settles in microtasks alone; without a turn of the event loop this
      // loop would starve the socket and timers it is meant to race with.
      await new Promise((r) => setImmediate(r));
    }
  })();
  const stale: { heard: string | undefined; read: string | undefined }[] = [];
  try {
    await new Promise((r) => setTimeout(r, 300));
    for (let round = 1; round <= 8; round++) {
      const count = base + round;
      await h.machine.set(ubuntu(generatedPackages(count)));
      const collecting = h.collector.collect();
      const event = await sub.next();
      const data = expectNoGraphQLErrors(await execute(url, LatestDataQuery, variables)).latestData;
      if (data.snapshot?.id !== event.data?.snapshotUpdated.id || data.totalCount !== count) {
        stale.push({ heard: event.data?.snapshotUpdated.id, read: data.snapshot?.id });
      }
      await collecting;
    }
  } finally {
    hammering = false;
    await hammer;
    await sub.close();
    await ws.dispose();
  }
  return { stale, hammered };
}

/** The harness's server on a port of its own, listening from the first call on. */
const origins = new WeakMap<Harness, Promise<string>>();
function listening(h: Harness): Promise<string> {
  let origin = origins.get(h);
  if (!origin) {
    origin = h.server.listen(0, "127.0.0.1").then((port) => `http://127.0.0.1:${port}`);
    origins.set(h, origin);
  }
  return origin;
}

describe("response cache scoped by host", () => {
  let h: Harness;
  let hostId: string;
  let localId: number;
  /** Another host's snapshot, as the cache hears of it (the event is all it reads). */
  const otherHostReports = async () => {
    const newest = await h.db.prisma.snapshot.findFirstOrThrow({ orderBy: { id: "desc" } });
    h.pubsub.publish("snapshotUpdated", toSnapshotEvent({ ...newest, hostId: localId + 1000 }));
  };
  const read = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await h.fetch(ENDPOINT, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    return { etag: response.headers.get("etag"), body: (await response.json()) as { data?: unknown; errors?: unknown } };
  };
  const versionQuery = "query ($hostId: ID) { latestData(hostId: $hostId, first: 1) { edges { node { version } } } }";

  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(20)));
    await h.collector.collect();
    hostId = await localHostId(h);
    localId = (await h.db.prisma.host.findFirstOrThrow({ where: { local: true } })).id;
  });
  afterAll(async () => {
    await h?.dispose();
  });
  const behindItsBack = (version: string) => h.db.prisma.$executeRawUnsafe(`UPDATE software SET version = '${version}'`);

  it("when another host reports, then responses about a named host stay and every other response goes", async () => {
    h.responseCache!.invalidate();
    const named = await read(versionQuery, { hostId });
    const unnamed = await read(versionQuery);
    await read(`{ a: latestData(hostId: "${hostId}", first: 1) { totalCount } b: software(first: 1) { totalCount } }`);
    const hostById = await read(`{ host(id: "${hostId}") { hostname } }`);
    expect(h.responseCache!.size()).toBe(4);
    await behindItsBack("v-other-host");
    await otherHostReports();
    // Gone: the default host's answer and the document that also reads the fleet; kept: the named host's two.
    expect(h.responseCache!.size()).toBe(2);
    // Still from memory: the named host's answers.
    expect((await read(versionQuery, { hostId })).body).toEqual(named.body);
    expect((await read(`{ host(id: "${hostId}") { hostname } }`)).body).toEqual(hostById.body);
    // Read afresh: the default host (which host that is depends on every host), and a document that also reads the fleet.
    expect(JSON.stringify((await read(versionQuery)).body)).toContain("v-other-host");
    expect(unnamed.body).not.toEqual((await read(versionQuery)).body);
    expect(h.responseCache!.size()).toBe(3);
  });

  it("when the named host itself reports, then its responses go too", async () => {
    await behindItsBack("v-same-host");
    const newest = await h.db.prisma.snapshot.findFirstOrThrow({ orderBy: { id: "desc" } });
    h.pubsub.publish("snapshotUpdated", toSnapshotEvent(newest));
    expect(JSON.stringify((await read(versionQuery, { hostId })).body)).toContain("v-same-host");
  });

  it("when node(id:) names an app, then its answer is scoped to the app's host; an ID with no record is not", async () => {
    h.responseCache!.invalidate();
    const app = await h.db.prisma.app.findFirstOrThrow({ orderBy: { id: "asc" } });
    const appId = Buffer.from(`App:${app.id}`).toString("base64");
    const missing = Buffer.from(`App:99999999`).toString("base64");
    await read(`{ node(id: "${appId}") { id } }`);
    await read(`{ node(id: "${missing}") { id } }`);
    expect(h.responseCache!.size()).toBe(2);
    await otherHostReports();
    expect(h.responseCache!.size()).toBe(1);
  });

  it("when a response is stored again after a change, then the ETag of the old one no longer answers 304", async () => {
    h.responseCache!.invalidate();
    await read(versionQuery, { hostId });
    const { etag } = await read(versionQuery, { hostId });
    expect(etag).toBeTruthy();
    h.responseCache!.invalidate(localId);
    await behindItsBack("v-after-etag");
    await read(versionQuery, { hostId });
    const revalidated = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", "if-none-match": etag! },
      body: JSON.stringify({ query: versionQuery, variables: { hostId } }),
    });
    expect(revalidated.status).toBe(200);
    expect(JSON.stringify(await revalidated.json())).toContain("v-after-etag");
  });
});

describe("response cache whose invalidation comes late (a broken service)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(20)), { invalidationDelayMs: 500 });
    await h.collector.collect();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a client hears snapshotUpdated and reads at once, then the stale-response check sees the stale reads", async () => {
    const { stale } = await readWhileCollecting(h, await localHostId(h), 23);
    expect(stale.length).toBeGreaterThan(0);
  });
});

describe("response cache with AUTH_READS", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(10)), { security: { ...OPEN_SECURITY, token: TOKEN, authReads: true } });
    await h.collector.collect();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a response is cached for a client with the token, then a client without it is still refused", async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    const allowed = await execute(ENDPOINT, LatestDataQuery, { first: 5 }, { fetch: h.fetch, headers });
    expect(allowed.status).toBe(200);
    const cached = await execute(ENDPOINT, LatestDataQuery, { first: 5 }, { fetch: h.fetch, headers });
    expect(cached.data).toEqual(allowed.data);
    for (const refusedHeaders of [{}, { authorization: "Bearer wrong-token-0123456789" }]) {
      const refused = await execute(ENDPOINT, LatestDataQuery, { first: 5 }, { fetch: h.fetch, headers: refusedHeaders });
      expect(refused.status).toBe(401);
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    }
  });

  it("when a client without the token sends a cached response's ETag, then it gets 401, not 304", async () => {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: "{ latestData(first: 2) { totalCount } }" }),
    });
    await response.text();
    const etag = (
      await h.fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ query: "{ latestData(first: 2) { totalCount } }" }),
      })
    ).headers.get("etag");
    expect(etag).toBeTruthy();
    const anonymous = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", "if-none-match": etag! },
      body: JSON.stringify({ query: "{ latestData(first: 2) { totalCount } }" }),
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("response cache bounds", () => {
  // Each app in a LatestData page is ~205 bytes; the page around it ~450.
  const MAX_BYTES = 8192;
  const MAX_ENTRY_BYTES = 4096;
  let h: Harness;
  const post = (variables: Record<string, unknown>, accept = "application/graphql-response+json, application/json") =>
    h.fetch(ENDPOINT, { method: "POST", headers: { "content-type": "application/json", accept }, body: JSON.stringify({ query: print(LatestDataQuery), variables }) });
  const versionOf = async (first: number) => expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first }, { fetch: h.fetch })).latestData.edges[0]?.node.version;

  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(40)), { responseCache: { maxBytes: MAX_BYTES, maxEntryBytes: MAX_ENTRY_BYTES } });
    await h.collector.collect();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when responses together exceed RESPONSE_CACHE_MAX_BYTES, then the least recently used leave until the rest fit", async () => {
    h.responseCache!.invalidate();
    for (let first = 1; first <= 15; first++) {
      await (await post({ first })).text();
      expect(h.responseCache!.bytes()).toBeLessThanOrEqual(MAX_BYTES);
    }
    expect(h.responseCache!.size()).toBeLessThan(15);
    await h.db.prisma.$executeRaw`UPDATE software SET version = 'after-eviction'`;
    // The newest is still answered from memory; the oldest was evicted and is read afresh.
    expect(await versionOf(15)).not.toBe("after-eviction");
    expect(await versionOf(1)).toBe("after-eviction");
  });

  it("when a response is larger than RESPONSE_CACHE_MAX_ENTRY_BYTES, then it is sent whole but never kept", async () => {
    h.responseCache!.invalidate();
    const response = await post({ first: 40 });
    const body = await response.text();
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_ENTRY_BYTES);
    expect((JSON.parse(body) as { data: { latestData: { edges: unknown[] } } }).data.latestData.edges).toHaveLength(40);
    expect(response.headers.get("etag")).toBeNull();
    expect(h.responseCache!.size()).toBe(0);
    expect(h.responseCache!.bytes()).toBe(0);
  });

  it("when a cached response is served, then its stored bytes are sent with the same status and content type, without serialising it again", async () => {
    h.responseCache!.invalidate();
    for (const accept of ["application/graphql-response+json", "application/json"]) {
      const miss = await post({ first: 3 }, accept);
      const missBody = await miss.text();
      const stringify = vi.spyOn(JSON, "stringify");
      let hit: Response;
      let hitBody: string;
      let serialised: unknown[];
      try {
        hit = await post({ first: 3 }, accept);
        hitBody = await hit.text();
        // mockRestore forgets the calls.
        serialised = stringify.mock.calls.map(([value]) => value);
      } finally {
        stringify.mockRestore();
      }
      const serialisedResults = serialised.filter((value) => typeof value === "object" && value !== null && "data" in value);
      expect(serialisedResults).toEqual([]);
      expect(hitBody).toBe(missBody);
      expect(hit.status).toBe(miss.status);
      expect(hit.status).toBe(200);
      expect(hit.headers.get("content-type")).toBe(miss.headers.get("content-type"));
      expect(hit.headers.get("content-type")).toBe(`${accept}; charset=utf-8`);
      expect(hit.headers.get("etag")).toBe(miss.headers.get("etag"));
    }
    // A query asked for as an event stream gets the same bytes as its one event.
    const stream = await post({ first: 3 }, "text/event-stream");
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    expect(await stream.text()).toContain(`event: next\ndata: ${await (await post({ first: 3 })).text()}\n\n`);
  });
});

describe("response cache expiry", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(10)), { responseCache: { ttlMs: 300 } });
    await h.collector.collect();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when RESPONSE_CACHE_TTL_SECONDS passes, then cached responses leave without anyone asking for them", async () => {
    expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 5 }, { fetch: h.fetch }));
    expect(h.responseCache!.size()).toBe(1);
    await expect.poll(() => h.responseCache!.size(), { timeout: 5000, interval: 50 }).toBe(0);
    expect(h.responseCache!.bytes()).toBe(0);
  });
});
