import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
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

  it("when a client hears snapshotUpdated and queries at once, then it never gets a response from before that snapshot", async () => {
    const port = await h.server.listen(0, "127.0.0.1");
    const url = `http://127.0.0.1:${port}/graphql`;
    const ws = createWebSocketClient(url);
    const sub = subscribeWs(ws, SnapshotUpdatedSubscription);
    // Keeps the cache hot and queries in flight across every commit, the case where a stale entry
    // could be written after an invalidation.
    let hammering = true;
    let hammered = 0;
    const hammer = (async () => {
      while (hammering) {
        await latest({ first: 5 });
        hammered++;
        // An in-process cache hit settles in microtasks alone; without a turn of the event loop this
        // loop would starve the socket and timers it is meant to race with.
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (let round = 1; round <= 8; round++) {
        const count = 23 + round;
        await h.machine.set(ubuntu(generatedPackages(count)));
        const collecting = h.collector.collect();
        const event = await sub.next();
        // What a dashboard does: hear of the snapshot, then read it, with the same document.
        const seen = await execute(url, LatestDataQuery, { first: 5 });
        const data = expectNoGraphQLErrors(seen).latestData;
        expect(data.snapshot?.id).toBe(event.data?.snapshotUpdated.id);
        expect(data.totalCount).toBe(count);
        await collecting;
      }
      expect(hammered).toBeGreaterThan(8);
    } finally {
      hammering = false;
      await hammer;
      await sub.close();
      await ws.dispose();
    }
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
