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
const post = async (h: Harness, body: { query: string; variables?: Record<string, unknown> }) => {
  const response = await h.fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
};
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

  it("when a client without the token probes field names, arguments or syntax, then it learns nothing about the schema", async () => {
    const probes = ["{ latestDat { totalCount } }", "{ latestData(frist: 1) { totalCount } }", "{ latestData { edges { node { nam } } } }", "{ {{", "mutation { collectSnapshot { nope } }"];
    for (const query of probes) {
      for (const headers of [{}, bearer("wrong-token-0123456789")]) {
        const response = await raw(h, query, headers);
        const text = await response.text();
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe("Bearer");
        expect(JSON.parse(text)).toEqual({ errors: [{ message: expect.stringMatching(/needs the API token/), extensions: { code: "UNAUTHENTICATED" } }] });
      }
    }
    const get = await h.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ latestDat { totalCount } }")}`, { headers: { accept: "application/graphql-response+json" } });
    expect(get.status).toBe(401);
    expect(await get.text()).not.toMatch(/latestDat|Cannot query/);
    // With the token, the same typo gets the ordinary validation error.
    const typo = await raw(h, probes[0]!, bearer(TOKEN));
    expect(typo.status).toBe(400);
    expect(await typo.text()).toMatch(/Cannot query field \\"latestDat\\"/);
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

  it("when a query has too many tokens, then it is refused with QUERY_TOO_COMPLEX, every time", async () => {
    const query = `{ hosts { edges { cursor ${"cursor ".repeat(3000)} } } }`;
    for (let i = 0; i < 2; i++) {
      const text = await refusedWith(query, /Token limit of 2000 exceeded/);
      expect(JSON.parse(text)).toEqual({ errors: [{ message: "Token limit of 2000 exceeded (MAX_TOKENS).", extensions: { code: "QUERY_TOO_COMPLEX" } }] });
    }
  });

  it("when nested pages multiply past the cost limit, then it is refused; the same shape with small pages runs", async () => {
    const nested = (outer: number, inner: number) =>
      `{ snapshots(first: ${outer}) { edges { node { changes(first: ${inner}) { edges { node { name kind fromVersion toVersion app { id name version } } } } } } } }`;
    const text = await refusedWith(nested(100, 100), /Query cost limit of 20000 exceeded, found \d+/);
    expect(text).toMatch(/QUERY_TOO_COMPLEX/);
    const ok = await raw(h, nested(5, 20));
    expect(ok.status).toBe(200);
  });

  it("when page sizes come as variables, then the cost is computed with their values", async () => {
    const query = "query($n: Int) { snapshots(first: $n) { edges { node { changes(first: $n) { edges { node { name kind app { id name } } } } } } } }";
    const small = await post(h, { query, variables: { n: 5 } });
    expect(small.status).toBe(200);
    expect(JSON.parse(small.text).errors).toBeUndefined();
    const large = await post(h, { query, variables: { n: 100 } });
    expect(large.status).toBe(400);
    expect(JSON.parse(large.text)).toEqual({
      errors: [{ message: expect.stringMatching(/^Query cost limit of 20000 exceeded, found \d+ \(MAX_COST/), extensions: { code: "QUERY_TOO_COMPLEX" } }],
    });
  });

  it("when nodes(ids:) repeats one snapshot's ID 4,000 times under changes(first: 100), then every ID counts and it is refused before it runs", async () => {
    const snapshot = await h.collector.collect();
    const id = Buffer.from(`Snapshot:${snapshot.id}`).toString("base64");
    const selection = "... on Snapshot { changes(first: 100) { edges { node { name fromVersion toVersion } } } }";
    const started = Date.now();
    const variables = await post(h, { query: `query($ids: [ID!]!) { nodes(ids: $ids) { ${selection} } }`, variables: { ids: Array.from({ length: 4000 }, () => id) } });
    // Answered at once: executed, this took 15–20 s and 26 MB.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(variables.status).toBe(400);
    const body = JSON.parse(variables.text) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]!.extensions.code).toBe("QUERY_TOO_COMPLEX");
    // 4,000 × (1 + 100 × 4) and then some.
    expect(Number(/found (\d+)/.exec(body.errors[0]!.message)![1])).toBeGreaterThan(4000 * 401);
    // A literal list counts the same way: 150 IDs cost too much long before the 100-ID cap would refuse them.
    const literal = await post(h, { query: `{ nodes(ids: [${Array.from({ length: 150 }, () => `"${id}"`).join(", ")}]) { ${selection} } }` });
    expect(literal.status).toBe(400);
    expect(literal.text).toMatch(/Query cost limit of 20000 exceeded/);
    // Small lists of IDs run.
    const few = await post(h, { query: `query($ids: [ID!]!) { nodes(ids: $ids) { ${selection} } }`, variables: { ids: [id, id] } });
    expect(JSON.parse(few.text).errors).toBeUndefined();
  });

  it("when first is 2147483648, then the one error reported is that the literal is not an Int", async () => {
    const response = await post(h, { query: "{ snapshots(first: 2147483648) { edges { node { changes(first: 100) { edges { cursor } } } } } }" });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual({
      errors: [
        {
          message: "Int cannot represent non 32-bit signed integer value: 2147483648",
          locations: [{ line: 1, column: 20 }],
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        },
      ],
    });
  });

  it("when variables or extensions nest 50,000 deep, then the request is refused with BAD_USER_INPUT before anything recurses over them", async () => {
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    for (const body of [`{"query":"{ __typename }","variables":{"x":${deep}}}`, `{"query":"{ __typename }","extensions":{"x":${deep}}}`]) {
      const response = await postRaw(ENDPOINT, body, "application/graphql-response+json", h.fetch);
      expect(response.status).toBe(400);
      const part = body.includes('"variables"') ? "variables" : "extensions";
      expect(JSON.parse(response.body)).toEqual({
        errors: [{ message: `${part} nest deeper than 32 levels of lists and objects`, extensions: { code: "BAD_USER_INPUT" } }],
      });
    }
  });

  it("when variables nest exactly 32 levels, then they are accepted; 33 are refused", async () => {
    const nested = (levels: number) => `{"query":"{ __typename }","variables":{"x":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}}`;
    const accepted = await postRaw(ENDPOINT, nested(32), "application/graphql-response+json", h.fetch);
    expect(JSON.parse(accepted.body)).toEqual({ data: { __typename: "Query" } });
    const refused = await postRaw(ENDPOINT, nested(33), "application/graphql-response+json", h.fetch);
    expect(refused.status).toBe(400);
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

  it("when variables carry a misspelt enum value or input field, then the errors suggest nothing", async () => {
    const cases = [
      { query: "query($k: [ChangeKind!]) { snapshotDiff(from: \"x\", to: \"y\", kind: $k) { totalCount } }", variables: { k: ["UPGRADE"] } },
      { query: "query($f: AppFilter) { latestData(filter: $f) { totalCount } }", variables: { f: { sourc: "apps" } } },
      { query: "query($f: AppFilter) { latestData(filter: $f) { totalCount } }", variables: { f: { nameContain: "x" } } },
      { query: "{ snapshotDiff(from: \"x\", to: \"y\", kind: [UPGRADE]) { totalCount } }", variables: {} },
      { query: "{ latestData(filter: { sourc: \"apps\" }) { totalCount } }", variables: {} },
      { query: "{ latestData(frist: 1) { totalCount } }", variables: {} },
    ];
    for (const body of cases) {
      const response = await post(h, body);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.text).errors.length).toBeGreaterThan(0);
      expect(response.text).not.toMatch(/Did you mean|UPGRADED|"source"|nameContains|"first"/);
    }
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
