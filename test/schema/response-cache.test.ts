import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    await h.db.prisma.$executeRaw`UPDATE apps SET version = 'changed-behind-its-back'`;
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
