import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { createFakeMachine, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

// Host and Origin checks do not depend on the database: PGlite only.
const DASHBOARDS = ["https://dash.example.com", "https://ops.example.com"];

interface Handshake {
  status: number;
  body: string;
  acked: boolean;
}

/** Opens a graphql-ws websocket with the given headers; resolves with the refusal, or once acknowledged. */
function handshake(endpoint: string, headers: Record<string, string>): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(endpoint.replace(/^http/, "ws"), "graphql-transport-ws", { headers });
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body, acked: false }));
    });
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type !== "connection_ack") return;
      socket.close(1000);
      resolve({ status: 101, body: "", acked: true });
    });
  });
}

/** An HTTP request with a Host header of our choosing (fetch does not let one set it). */
function withHost(endpoint: string, host: string, options: { method?: string; path?: string; accept?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: options.path ?? url.pathname, method: options.method ?? "GET", headers: { host, accept: options.accept ?? "application/json", "content-type": "application/json" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once("error", reject);
    req.end(options.body);
  });
}

describe("the HTTP and websocket edge of the service", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let port: string;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, CORS_ORIGINS: DASHBOARDS.join(",") });
    await service.waitForLog((l) => l.msg === "collection succeeded");
    port = new URL(service.endpoint).port;
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it.each(["https://evil.example", "null", "http://127.0.0.1:1"])(
    "when a page whose origin is %s opens a websocket, then the handshake is refused with 403 ORIGIN_NOT_ALLOWED",
    async (origin) => {
      const refused = await handshake(service.endpoint, { origin });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toEqual({ errors: [{ message: expect.stringMatching(/CORS_ORIGINS/), extensions: { code: "ORIGIN_NOT_ALLOWED" } }] });
    },
  );

  it("when a websocket comes from this server's own pages, from a CORS_ORIGINS origin, or from a client that is not a browser (no Origin), then it is acknowledged", async () => {
    for (const origin of [`http://127.0.0.1:${port}`, ...DASHBOARDS]) {
      expect(await handshake(service.endpoint, { origin })).toMatchObject({ status: 101, acked: true });
    }
    expect(await handshake(service.endpoint, {})).toMatchObject({ status: 101, acked: true });
    expect(await handshake(service.endpoint.replace("127.0.0.1", "localhost"), { origin: `http://localhost:${port}` })).toMatchObject({ acked: true });
  });

  it("when graphql-ws, graphql-sse and an EventSource-style GET subscribe, then each hears the next collection", async () => {
    const ws = createWebSocketClient(service.endpoint);
    const overWs = subscribeWs(ws, SnapshotUpdatedSubscription);
    const overSse = subscribeSse(service.endpoint, SnapshotUpdatedSubscription);
    const get = await fetch(`${service.endpoint}?query=${encodeURIComponent("subscription { snapshotUpdated { status } }")}`, { headers: { accept: "text/event-stream" } });
    expect(get.status).toBe(200);
    const reader = get.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      // The servers have no "subscribed" message; a moment later both subscriptions are registered.
      await new Promise((r) => setTimeout(r, 500));
      const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {}));
      expect((await overWs.next()).data?.snapshotUpdated.id).toBe(collected.collectSnapshot.id);
      expect((await overSse.next()).data?.snapshotUpdated.id).toBe(collected.collectSnapshot.id);
      let text = "";
      while (!text.includes("event: next")) text += (await reader.read()).value ?? "";
      expect(text).toContain('data: {"data":{"snapshotUpdated":{"status":"SUCCEEDED"}}}');
    } finally {
      await reader.cancel();
      await overWs.close();
      await overSse.close();
      await ws.dispose();
    }
  });

  it("when a request names a Host that is not allowed (DNS rebinding), then HTTP and websockets get 421 HOST_NOT_ALLOWED; loopback names are served", async () => {
    const refusal = { errors: [{ message: expect.stringMatching(/ALLOWED_HOSTS/), extensions: { code: "HOST_NOT_ALLOWED" } }] };
    for (const host of ["evil.example", `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const post = await withHost(service.endpoint, host, { method: "POST", body: JSON.stringify({ query: "{ hosts { edges { cursor } } }" }) });
      expect(post.status).toBe(421);
      expect(JSON.parse(post.body)).toEqual(refusal);
      const page = await withHost(service.endpoint, host, { accept: "text/html" });
      expect(page.status).toBe(421);
      const socket = await handshake(service.endpoint, { host });
      expect(socket.status).toBe(421);
      expect(JSON.parse(socket.body)).toEqual(refusal);
    }
    expect(await handshake(service.endpoint, { host: "evil.example", origin: "http://evil.example" })).toMatchObject({ status: 421 });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "LOCALHOST"]) {
      const post = await withHost(service.endpoint, host, { method: "POST", body: JSON.stringify({ query: "{ __typename }" }) });
      expect(post).toEqual({ status: 200, body: '{"data":{"__typename":"Query"}}' });
    }
    // Orchestrators' probes address an instance by whatever name or IP they have.
    expect(await withHost(service.endpoint, "10.1.2.3:4000", { path: "/health" })).toMatchObject({ status: 200 });
  });
});
