import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_SECURITY } from "../../src/server/server.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { CollectSnapshotMutation } from "../helpers/operations.js";

// What a page on another site can make a browser send without a CORS preflight. Runs on PGlite only.
const MUTATION = "mutation { collectSnapshot { id } }";
const DASHBOARDS = ["https://dash.example.com", "https://ops.example.com"];

describe("cross-site request forgery", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu());
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const errorOf = async (response: Response) => {
    const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    return body.errors?.[0];
  };

  it.each([
    ["an HTML form", "application/x-www-form-urlencoded", `query=${encodeURIComponent(MUTATION)}`],
    ["a form with a file field", "multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: MUTATION })}\r\n--x--\r\n`],
    ["fetch with a text body", "text/plain;charset=UTF-8", JSON.stringify({ query: MUTATION })],
  ])("when %s posts a mutation from another site, then it is refused with 403 CSRF_PREVENTED and nothing is collected", async (_, contentType, body) => {
    const snapshots = await h.db.prisma.snapshot.count();
    const response = await h.fetch(ENDPOINT, { method: "POST", headers: { "content-type": contentType, origin: "https://evil.example" }, body });
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({
      message: expect.stringMatching(/application\/json.*x-graphql-yoga-csrf/),
      extensions: { code: "CSRF_PREVENTED" },
    });
    expect(await h.db.prisma.snapshot.count()).toBe(snapshots);
  });

  it("when a mutation comes as a GET, then it is refused with 405 and nothing is collected", async () => {
    const snapshots = await h.db.prisma.snapshot.count();
    const response = await h.fetch(`${ENDPOINT}?query=${encodeURIComponent(MUTATION)}`, { method: "GET", headers: { accept: "application/json" } });
    expect(response.status).toBe(405);
    expect(await h.db.prisma.snapshot.count()).toBe(snapshots);
  });

  it("when a query comes as a GET with no headers at all, then it runs (links, EventSource, curl)", async () => {
    const response = await h.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ hosts { edges { cursor } } }")}`, { method: "GET" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hosts: { edges: expect.any(Array) } } });
  });

  it("when a form post carries the x-graphql-yoga-csrf header (which needs a preflight), then it runs", async () => {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-graphql-yoga-csrf": "1", accept: "application/json" },
      body: `query=${encodeURIComponent("mutation { collectSnapshot { status } }")}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { collectSnapshot: { status: "SUCCEEDED" } } });
  });

  it("when a client posts JSON, as GraphiQL, graphql-sse and every GraphQL client do, then the mutation runs", async () => {
    const result = expectNoGraphQLErrors(await execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch }));
    expect(result.collectSnapshot.status).toBe("SUCCEEDED");
  });
});

describe("CORS with several allowed origins", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(), { security: { ...OPEN_SECURITY, http: { ...OPEN_SECURITY.http, corsOrigins: DASHBOARDS } } });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const ask = (origin: string, method: "OPTIONS" | "POST") =>
    h.fetch(ENDPOINT, {
      method,
      headers:
        method === "OPTIONS"
          ? { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" }
          : { origin, "content-type": "application/json", accept: "application/json" },
      ...(method === "POST" ? { body: JSON.stringify({ query: "{ hosts { edges { cursor } } }" }) } : {}),
    });

  it.each(["OPTIONS", "POST"] as const)(
    "when a sandboxed page (Origin: null) or an unlisted origin asks (%s), then the response allows no origin at all, never null",
    async (method) => {
      for (const origin of ["null", "https://evil.example"]) {
        const response = await ask(origin, method);
        expect(response.headers.get("access-control-allow-origin")).toBeNull();
        expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      }
    },
  );

  it.each(["OPTIONS", "POST"] as const)("when a listed origin asks (%s), then it is echoed with credentials, and the answer varies by Origin", async (method) => {
    for (const origin of DASHBOARDS) {
      const response = await ask(origin, method);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("vary")).toMatch(/\bOrigin\b/i);
    }
  });
});
