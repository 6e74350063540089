import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { buildSchema } from "graphql";
import { makeServer } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { useGraphqlWsTransport, type GraphqlWsTransport, type SocketExtra } from "../../src/server/graphql-ws-transport.js";
import { createLogger } from "../../src/logger.js";

// The transport alone, on a schema of its own: what it owes graphql-ws clients whatever the service does.

const schema = buildSchema("type Query { hello: String } type Subscription { never: String }");
const rootValue = { hello: () => "world" };

interface Started {
  url: string;
  transport: GraphqlWsTransport;
  logs: { level: string; msg: string; client?: string }[];
  /** What onConnect saw as ctx.extra. */
  extras: SocketExtra[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start({ keepAliveMs, failOnConnect = false }: { keepAliveMs: number; failOnConnect?: boolean }): Promise<Started> {
  const logs: Started["logs"] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Started["logs"][number]);
      done();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  const extras: SocketExtra[] = [];
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: "/graphql" });
  const server = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    schema,
    roots: { query: rootValue },
    onConnect: (ctx) => {
      extras.push(ctx.extra);
      if (failOnConnect) throw new Error("secret detail of a broken hook");
      return true;
    },
  });
  const transport = useGraphqlWsTransport(server, wss, logger, { keepAliveMs });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await transport.dispose().catch(() => {});
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`, transport, logs, extras };
}

interface Client {
  socket: WebSocket;
  messages: { type: string; id?: string; payload?: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
  /** Date.now() of the first ping from the server; 0 before it. */
  firstPingAt: number;
}

function connect(url: string, { protocol = "graphql-transport-ws" as string | null, autoPong = true } = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = protocol === null ? new WebSocket(url, { autoPong }) : new WebSocket(url, protocol, { autoPong });
    const client: Client = {
      socket,
      messages: [],
      closed: new Promise((settle) => socket.once("close", (code, reason) => settle({ code, reason: String(reason) }))),
      firstPingAt: 0,
    };
    socket.once("ping", () => (client.firstPingAt = Date.now()));
    socket.on("message", (data) => client.messages.push(JSON.parse(String(data)) as Client["messages"][number]));
    socket.once("error", reject);
    socket.once("open", () => resolve(client));
    cleanups.push(async () => {
      socket.terminate();
    });
  });
}

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("graphql-ws transport", () => {
  it("when a client speaks graphql-transport-ws, then it is acknowledged and answered, and the connection knows its peer's address", async () => {
    const { url, extras } = await start({ keepAliveMs: 0 });
    const client = await connect(url);
    client.socket.send(JSON.stringify({ type: "connection_init" }));
    // As graphql-ws clients do: an operation sent before the acknowledgement would be refused (4401).
    await until(() => client.messages.length > 0);
    client.socket.send(JSON.stringify({ id: "q1", type: "subscribe", payload: { query: "{ hello }" } }));
    await until(() => client.messages.some((m) => m.type === "complete"));
    expect(client.messages).toEqual([
      { type: "connection_ack" },
      { id: "q1", type: "next", payload: { data: { hello: "world" } } },
      { id: "q1", type: "complete" },
    ]);
    expect(extras.map((e) => e.client)).toEqual(["127.0.0.1"]);
  });

  it("when a client stops answering pings, then it is cut within two keep-alive rounds, and one that answers stays", async () => {
    const { url } = await start({ keepAliveMs: 120 });
    const silent = await connect(url, { autoPong: false });
    const lively = await connect(url);
    const { code } = await silent.closed;
    // Terminated, not closed: the client gets no close frame.
    expect(code).toBe(1006);
    expect(silent.firstPingAt).toBeGreaterThan(0);
    // A whole round to answer its ping, not less; cut by the end of the next.
    expect(Date.now() - silent.firstPingAt).toBeGreaterThanOrEqual(100);
    expect(Date.now() - silent.firstPingAt).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lively.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("when handling a message fails, then the socket is closed with 4500 and no detail, and the error is logged", async () => {
    const { url, logs } = await start({ keepAliveMs: 0, failOnConnect: true });
    const client = await connect(url);
    client.socket.send(JSON.stringify({ type: "connection_init" }));
    expect(await client.closed).toEqual({ code: 4500, reason: "Internal server error" });
    await until(() => logs.some((l) => l.msg.startsWith("graphql-ws message handling failed")));
    expect(logs.find((l) => l.msg.startsWith("graphql-ws message handling failed"))).toMatchObject({ level: "error", client: "127.0.0.1" });
  });

  it("when a client names no subprotocol, then it is closed with 4406", async () => {
    const { url } = await start({ keepAliveMs: 0 });
    const client = await connect(url, { protocol: null });
    expect((await client.closed).code).toBe(4406);
  });

  it("when disposed, then every client is closed with 1001", async () => {
    const { url, transport } = await start({ keepAliveMs: 0 });
    const clients = await Promise.all([connect(url), connect(url)]);
    await transport.dispose();
    expect(await Promise.all(clients.map(async (c) => (await c.closed).code))).toEqual([1001, 1001]);
  });
});
