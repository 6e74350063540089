import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_SECURITY, type SecurityOptions } from "../../src/server/server.js";
import { execute, expectNoGraphQLErrors, postRaw } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery } from "../helpers/operations.js";

// Access control and limits do not depend on the database: these run on PGlite only.
const TOKEN = "test-token-0123456789";

const secure = (overrides: Partial<SecurityOptions> = {}): SecurityOptions => ({ ...OPEN_SECURITY, token: TOKEN, ...overrides });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const raw = (h: Harness, query: string, headers: Record<string, string> = {}) =>
  h.fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json", ...headers },
    body: JSON.stringify({ query }),
  });

describe("authentication", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(), { security: secure() });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a mutation comes without a token, then it is refused with 401 UNAUTHENTICATED and nothing is collected", async () => {
    const result = await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch });
    expect(result.status).toBe(401);
    expect(result.errors?.[0]).toMatchObject({ message: expect.stringMatching(/needs the API token/), extensions: { code: "UNAUTHENTICATED" } });
    expect(await h.db.prisma.snapshot.count()).toBe(0);
  });

  it("when a mutation comes with a wrong token, then it is refused the same way", async () => {
    for (const token of ["wrong-token-0123456789", `${TOKEN}x`, TOKEN.slice(0, -1), ""]) {
      const result = await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch, headers: bearer(token) });
      expect(result.status).toBe(401);
      expect(result.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    }
    const basic = await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch, headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(await h.db.prisma.snapshot.count()).toBe(0);
  });

  it("when a mutation comes with the token, then it runs; queries need none", async () => {
    const result = expectNoGraphQLErrors(await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch, headers: bearer(TOKEN) }));
    expect(result.collectSnapshot.status).toBe("SUCCEEDED");
    expect(expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, {}, { fetch: h.fetch })).latestData.totalCount).toBeGreaterThan(0);
  });
});

describe("authentication of reads (AUTH_READS)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(), { security: secure({ authReads: true }) });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a query comes without the token, then it is refused; with it, it runs", async () => {
    const refused = await execute(ENDPOINT, LatestDataQuery, {}, { fetch: h.fetch });
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    expect(refused.data ?? null).toBeNull();
    expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, {}, { fetch: h.fetch, headers: bearer(TOKEN) }));
  });
});

describe("query limits", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu());
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const refusedWith = async (query: string, message: RegExp) => {
    const response = await raw(h, query);
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toMatch(message);
    // The error names the limit; it never hands the query back.
    expect(text.length).toBeLessThan(600);
    return text;
  };

  it("when a query is 10 levels deep, then it is refused by the depth limit", async () => {
    const query = "{ hosts { edges { node { latestSnapshot { host { latestSnapshot { host { latestSnapshot { host { id } } } } } } } } } }";
    const text = await refusedWith(query, /Query depth limit of 8 exceeded, found 10/);
    expect(text).toMatch(/QUERY_TOO_COMPLEX/);
  });

  it("when a query has 1,000 aliases, then it is refused: by the token limit first, by the alias limit when tokens allow", async () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    await refusedWith(query, /Token limit of 2000 exceeded/);
    const roomy = await createHarness("pglite", ubuntu(), { security: { ...OPEN_SECURITY, limits: { ...OPEN_SECURITY.limits, maxTokens: 10_000 } } });
    try {
      const response = await raw(roomy, query);
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(/Aliases limit of 15 exceeded, found 1000/);
    } finally {
      await roomy.dispose();
    }
  });

  it("when a query repeats a directive 50 times, then it is refused by the directive limit", async () => {
    await refusedWith(`{ hosts { edges { ${"cursor @include(if: true) ".repeat(50)}} } }`, /Directives limit of 10 exceeded, found 50/);
  });

  it("when a query has too many tokens, then it is refused before it is parsed in full", async () => {
    await refusedWith(`{ hosts { edges { cursor ${"cursor ".repeat(3000)} } } }`, /Token limit of 2000 exceeded/);
  });

  it("when nested pages multiply past the cost limit, then it is refused; the same shape with small pages runs", async () => {
    const nested = (outer: number, inner: number) =>
      `{ snapshots(first: ${outer}) { edges { node { changes(first: ${inner}) { edges { node { name kind fromVersion toVersion app { id name version } } } } } } } }`;
    const text = await refusedWith(nested(100, 100), /Query cost limit of 20000 exceeded, found \d+/);
    expect(text).toMatch(/QUERY_TOO_COMPLEX/);
    const ok = await raw(h, nested(5, 20));
    expect(ok.status).toBe(200);
    const variables = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query: "query($n: Int) { snapshots(first: $n) { edges { node { changes(first: $n) { edges { node { name } } } } } } }", variables: { n: 1 } }),
    });
    // Page sizes in variables count as the largest page: 100 × 100 here.
    expect(variables.status).toBe(400);
  });

  it("when several operations come as a batch, then the request is refused", async () => {
    const body = JSON.stringify([{ query: "{ hosts { edges { cursor } } }" }, { query: "{ hosts { edges { cursor } } }" }]);
    expect((await postRaw(ENDPOINT, body, "application/graphql-response+json", h.fetch)).status).toBe(400);
  });
});

describe("production mode (introspection and GraphiQL off)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(), { security: { ...OPEN_SECURITY, http: { ...OPEN_SECURITY.http, graphiql: false, introspection: false } } });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when the schema is introspected, then it is refused, and misspelt fields get no suggestions", async () => {
    const introspection = await raw(h, "{ __schema { types { name } } }");
    expect(introspection.status).toBe(400);
    expect(await introspection.text()).toMatch(/introspection/i);
    const typo = await raw(h, "{ latestDat { totalCount } }");
    const text = await typo.text();
    expect(text).toMatch(/Cannot query field \\"latestDat\\"/);
    expect(text).not.toMatch(/Did you mean/);
    const typename = await raw(h, "{ __typename }");
    expect(typename.status).toBe(200);
  });

  it("when a browser asks for /graphql, then no GraphiQL page is served", async () => {
    const response = await h.fetch(ENDPOINT, { method: "GET", headers: { accept: "text/html" } });
    expect(await response.text()).not.toMatch(/graphiql/i);
  });
});

describe("CORS and rate limits", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(), {
      security: { ...OPEN_SECURITY, http: { ...OPEN_SECURITY.http, corsOrigins: ["https://dash.example.com"] } },
      collectRatePerMinute: 2,
    });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when an allowed origin asks, then it is echoed with credentials; any other origin gets no CORS headers, never *", async () => {
    const preflight = (origin: string) =>
      h.fetch(ENDPOINT, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
      });
    const allowed = await preflight("https://dash.example.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://dash.example.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const other = await preflight("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("*");
  });

  it("when a client calls collectSnapshot past its budget, then it gets RATE_LIMITED with a retry-after, and nothing runs", async () => {
    for (let i = 0; i < 2; i++) expectNoGraphQLErrors(await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch }));
    const snapshots = await h.db.prisma.snapshot.count();
    const limited = await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch });
    expect(limited.status).toBe(429);
    expect(limited.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/called too often from this client; retry in \d+ s/),
      extensions: { code: "RATE_LIMITED", retryAfter: expect.any(Number) },
    });
    expect(Number(limited.errors?.[0]?.extensions?.["retryAfter"])).toBeGreaterThanOrEqual(1);
    expect(await h.db.prisma.snapshot.count()).toBe(snapshots);
  });
});
