/**
 * The fan-out floor: no GraphQL at all. It speaks just enough graphql-transport-ws for the subscriber
 * workers (ack on connection_init, remember each subscribe id) and on publish serialises the payload
 * once, then sends every socket a frame that differs only by its id: what one Node process and `ws`
 * cost to tell N sockets something, on this machine. Nothing GraphQL-shaped can beat it.
 *
 * Same protocol towards bench/fanout.ts as plain-server.ts: POST /publish, IPC {type: "listening", port}.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { PlainSnapshotEvent } from "./plain-server.js";

const subscriptions = new Map<WebSocket, string>();

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const http = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/publish") {
    res.writeHead(404).end();
    return;
  }
  void readBody(req).then((body) => {
    const event = JSON.parse(body) as PlainSnapshotEvent;
    const publishedAt = performance.timeOrigin + performance.now();
    const payload = JSON.stringify({ data: { snapshotUpdated: event } });
    for (const [socket, id] of subscriptions) socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payload}}`);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ publishedAt }));
  });
});

const wss = new WebSocketServer({ server: http, path: "/graphql" });
wss.on("connection", (socket) => {
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { type: string; id?: string };
    if (message.type === "connection_init") socket.send('{"type":"connection_ack"}');
    else if (message.type === "subscribe" && message.id !== undefined) subscriptions.set(socket, message.id);
    else if (message.type === "ping") socket.send('{"type":"pong"}');
  });
  socket.on("close", () => subscriptions.delete(socket));
});

process.on("disconnect", () => process.exit(0));
http.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "listening", port: (http.address() as AddressInfo).port });
});
