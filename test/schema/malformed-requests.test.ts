import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";

// Malformed requests do not depend on the database: PGlite only.
const MARKER = "marker-0f3a9c";

describe("malformed requests", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu());
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const errorsLogged = () => h.logs.filter((l) => l.level === "error" || l.level === "fatal");

  it.each([
    ["variables", `variables=${encodeURIComponent(`{"first": ${MARKER}`)}`],
    ["extensions", `extensions=${encodeURIComponent(`{${MARKER}`)}`],
  ])("when a GET carries %s that are not JSON, then it gets 400 BAD_REQUEST, nothing is logged as an error, and the input is not echoed", async (_, param) => {
    const logged = errorsLogged().length;
    const response = await h.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ hosts { edges { cursor } } }")}&${param}`, {
      method: "GET",
      headers: { accept: "application/graphql-response+json" },
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: expect.stringMatching(/not valid JSON/), extensions: { code: "BAD_REQUEST" } }],
    });
    expect(text).not.toContain(MARKER);
    expect(errorsLogged().length).toBe(logged);
  });

  it("when a POST body is not valid JSON, then it gets 400 BAD_REQUEST without echoing any of it back", async () => {
    const logged = errorsLogged().length;
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: `{"query": "{ hosts { edges { cursor } } }", "variables": {"secret": "${MARKER}`,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain(MARKER);
    expect(JSON.parse(text)).toEqual({ errors: [{ message: "POST body sent invalid JSON.", extensions: { code: "BAD_REQUEST" } }] });
    expect(errorsLogged().length).toBe(logged);
  });

  it("when a form post (with the CSRF header) carries variables that are not JSON, then it gets 400 BAD_REQUEST", async () => {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-graphql-yoga-csrf": "1", accept: "application/graphql-response+json" },
      body: `query=${encodeURIComponent("{ hosts { edges { cursor } } }")}&variables=${encodeURIComponent(`{${MARKER}`)}`,
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).not.toContain(MARKER);
    expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("when a body of undeclared length streams past MAX_BODY_BYTES, then it gets 413 PAYLOAD_TOO_LARGE before it ends", async () => {
    const encoder = new TextEncoder();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = sent === 0 ? '{"query":"{ __typename }","variables":{"pad":"' : "x".repeat(16 * 1024);
        controller.enqueue(encoder.encode(chunk));
        sent += chunk.length;
        // A client that never stops; the answer must come long before this.
        if (sent > 64 * 1024 * 1024) controller.close();
      },
    });
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      errors: [{ message: "request body too large: at most 102400 bytes (MAX_BODY_BYTES)", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
    expect(sent).toBeLessThan(1024 * 1024);
  });
});
