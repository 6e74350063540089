import { request } from "node:http";
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

  it("when the request body is larger than MAX_BODY_BYTES, then it gets 413 without being read; a chunked body gets 411", async () => {
    const big = JSON.stringify({ query: `{ __typename }`, variables: { pad: "x".repeat(200 * 1024) } });
    const response = await postRaw(service.endpoint, big);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: "request body too large: at most 102400 bytes (MAX_BODY_BYTES)", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(service.endpoint, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.write('{"query":"{ __typename }"}');
      req.end();
    });
    expect(chunked).toBe(411);
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
