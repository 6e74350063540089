import { request } from "node:http";
import { connect as connectTcp } from "node:net";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors, postRaw } from "../helpers/graphql.js";
import { createFakeMachine, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery } from "../helpers/operations.js";
import { spawnService, startService, type ServiceProcess } from "../helpers/service.js";
import { makeTempDir } from "../helpers/temp.js";

// Access control does not depend on the database: these run on PGlite only.
const TOKEN = "integration-token-6f1c2a9e";
const WRONG = "integration-token-wrong-0000";

/** Opens a graphql-ws connection and resolves with how it ended, or "open" once acknowledged. */
function connect(url: string, payload: Record<string, unknown> | undefined): Promise<{ acked: boolean; closeCode: number | null }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init", ...(payload ? { payload } : {}) })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") {
        socket.close(1000);
        resolve({ acked: true, closeCode: null });
      }
    });
    socket.once("close", (code) => resolve({ acked: false, closeCode: code }));
  });
}

/** POSTs a JSON body in the given chunks with Transfer-Encoding: chunked (no Content-Length). */
function chunkedPost(endpoint: string, chunks: string[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/**
 * Streams a never-ending JSON string as a chunked body over a raw socket until the server answers (or
 * `limit` bytes are sent); returns the answer and how much had been sent when it came.
 */
async function chunkedFlood(endpoint: string, limit: number): Promise<{ status: number; body: string; written: number }> {
  const url = new URL(endpoint);
  const socket = connectTcp(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once("connect", resolve));
  let written = 0;
  let answeredAt: number | null = null;
  let received = "";
  socket.setEncoding("utf8").on("data", (data: string) => {
    answeredAt ??= written;
    received += data;
  });
  let failure: Error | null = null;
  socket.on("error", (error) => (failure = error));
  const send = (text: string) =>
    new Promise<void>((resolve) => {
      if (socket.destroyed || socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`)) return resolve();
      socket.once("drain", resolve);
      socket.once("close", resolve);
    });
  try {
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    await send('{"query":"{ __typename }","variables":{"pad":"');
    const chunk = "x".repeat(16 * 1024);
    while (answeredAt === null && failure === null && written < limit) {
      await send(chunk);
      written += chunk.length;
    }
    // The refusal has a Content-Length; wait until all of it is in.
    const complete = () => {
      const [head, body] = received.split("\r\n\r\n", 2);
      const length = /content-length: (\d+)/i.exec(head ?? "")?.[1];
      return body !== undefined && length !== undefined && Buffer.byteLength(body) >= Number(length);
    };
    if (failure !== null && !complete()) throw new Error(`the connection failed before a complete answer: ${String(failure)}; received ${JSON.stringify(received)}`);
    await expect.poll(complete).toBe(true);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
    const content = received.split("\r\n\r\n", 2)[1]!;
    return { status, body: content, written: answeredAt ?? written };
  } finally {
    socket.destroy();
  }
}

describe("the service with AUTH_READS and a token file", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let secrets: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    secrets = await makeTempDir("secrets");
    const tokenFile = join(secrets.path, "token");
    await writeFile(tokenFile, `${TOKEN}\n`);
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, API_TOKEN_FILE: tokenFile, AUTH_READS: "true", LOG_LEVEL: "trace" });
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
    await secrets?.remove();
  });

  it("when the service runs osqueryi, then osqueryi sees none of the service's settings or secrets", async () => {
    const runs = await machine.invocations();
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(run.envKeys).toContain("PATH");
      expect(run.envKeys.filter((k) => !["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"].includes(k))).toEqual([]);
    }
  });

  it("when reads come without the token or with a wrong one, then they are refused; with it, they run", async () => {
    expect((await execute(service.endpoint, LatestDataQuery, {})).status).toBe(401);
    expect((await execute(service.endpoint, LatestDataQuery, {}, { headers: { authorization: `Bearer ${WRONG}` } })).status).toBe(401);
    const ok = await execute(service.endpoint, LatestDataQuery, {}, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(expectNoGraphQLErrors(ok).latestData.totalCount).toBeGreaterThan(0);
  });

  it("when a websocket client connects without the token or with a wrong one, then it is closed with 4403; with it, it is acknowledged", async () => {
    expect(await connect(service.endpoint, undefined)).toEqual({ acked: false, closeCode: 4403 });
    expect(await connect(service.endpoint, { authorization: `Bearer ${WRONG}` })).toEqual({ acked: false, closeCode: 4403 });
    expect(await connect(service.endpoint, { authorization: `Bearer ${TOKEN}` })).toEqual({ acked: true, closeCode: null });
    expect(await connect(service.endpoint, { token: TOKEN })).toEqual({ acked: true, closeCode: null });
  });

  it("when a websocket client with the token runs a mutation, then it collects", async () => {
    const client = createClient({
      url: service.endpoint.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${TOKEN}` },
    });
    try {
      const result = await new Promise<{ data?: unknown; errors?: unknown }>((resolve, reject) => {
        let value: { data?: unknown; errors?: unknown } = {};
        client.subscribe({ query: "mutation { collectSnapshot { status } }" }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
      });
      expect(result).toEqual({ data: { collectSnapshot: { status: "SUCCEEDED" } } });
    } finally {
      await client.dispose();
    }
  });

  it("when requests carried right and wrong tokens, then neither token appears in the logs", async () => {
    const everything = JSON.stringify(service.logs) + service.stray.join("\n") + service.stderr();
    expect(service.logs.length).toBeGreaterThan(5);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(WRONG);
  });

  it("when the request body declares more than MAX_BODY_BYTES, then it gets 413 without being read", async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: "x".repeat(200 * 1024) } });
    const response = await postRaw(service.endpoint, big);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: "request body too large: at most 102400 bytes (MAX_BODY_BYTES)", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
  });

  it("when a chunked body (no Content-Length) stays within MAX_BODY_BYTES, then it is served, up to the last byte", async () => {
    const query = '{"query":"{ __typename }","variables":{"pad":"';
    const tail = '"}}';
    const exact = `${query}${"x".repeat(102_400 - query.length - tail.length)}${tail}`;
    expect(Buffer.byteLength(exact)).toBe(102_400);
    for (const body of ['{"query":"{ __typename }"}', exact]) {
      const chunks = body.match(/[^]{1,7000}/g)!;
      const response = await chunkedPost(service.endpoint, chunks, { authorization: `Bearer ${TOKEN}` });
      expect(response).toMatchObject({ status: 200, body: '{"data":{"__typename":"Query"}}' });
    }
    const oneOver = await chunkedPost(service.endpoint, [exact.slice(0, 50_000), `${exact.slice(50_000, -3)}x"}}`], { authorization: `Bearer ${TOKEN}` });
    expect(oneOver.status).toBe(413);
  });

  it("when a client goes away in the middle of a chunked body, then nothing breaks and the next request is served", async () => {
    const url = new URL(service.endpoint);
    const socket = connectTcp(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"que\r\n`);
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await execute(service.endpoint, LatestDataQuery, {}, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(service.logs.filter((l) => l.level === "fatal" || l.level === "error")).toEqual([]);
  });

  it("when a chunked body streams past MAX_BODY_BYTES, then it gets 413 PAYLOAD_TOO_LARGE as soon as it passes, not after reading it all", async () => {
    const flood = await chunkedFlood(service.endpoint, 256 * 1024 * 1024);
    expect(flood.status).toBe(413);
    expect(JSON.parse(flood.body)).toEqual({
      errors: [{ message: "request body too large: at most 102400 bytes (MAX_BODY_BYTES)", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
    // The answer came while the client was still writing: by then it had filled the socket buffers
    // (a few MB on loopback), not sent the whole body.
    expect(flood.written).toBeLessThan(32 * 1024 * 1024);
    // The service is still there for the next client.
    expect((await execute(service.endpoint, LatestDataQuery, {}, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });
});

describe("the service's defaults for exposure", () => {
  it("when HOST is not a loopback address and no token is set, then it refuses to start and says how to proceed", async () => {
    const service = spawnService({ HOST: "0.0.0.0" });
    const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
    expect(exit).toBe(1);
    expect(service.stderr()).toMatch(/HOST: 0\.0\.0\.0 exposes the API beyond this machine without authentication; set API_TOKEN .*ALLOW_UNAUTHENTICATED=true/);
  });

  it("when NODE_ENV is production, then introspection and GraphiQL are off", async () => {
    const database = await createTestDatabase("pglite");
    const machine = await createFakeMachine(ubuntu());
    const service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, NODE_ENV: "production" });
    try {
      const introspection = await postRaw(service.endpoint, JSON.stringify({ query: "{ __schema { queryType { name } } }" }));
      expect(introspection.status).toBe(400);
      const page = await fetch(service.endpoint, { headers: { accept: "text/html" } });
      expect(await page.text()).not.toMatch(/graphiql/i);
      const mutation = await execute(service.endpoint, CollectSnapshotMutation, {});
      expect(mutation.errors).toBeUndefined();
    } finally {
      await service.stop("SIGTERM");
      await machine.dispose();
      await database.dispose();
    }
  });
});
