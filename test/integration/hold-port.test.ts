import { execFileSync } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import { afterEach, describe, expect, it } from "vitest";
import { reusePortAvailable } from "../../src/config.js";
import { holdPort, type HeldPort } from "../../src/server/hold-port.js";
import { makeTempDir } from "../helpers/temp.js";
import { makeTestPki } from "../helpers/tls.js";

const HOST = "127.0.0.1";
const REUSE_PORT = reusePortAvailable({ node: process.versions.node, platform: process.platform });
// .ci/run runs this file again on Node 22, where skipping the tests below would hide a failure.
if (process.env["REQUIRE_REUSE_PORT"] === "1" && (!REUSE_PORT || process.platform !== "linux")) {
  throw new Error(`REQUIRE_REUSE_PORT=1 but Node ${process.versions.node} on ${process.platform} has no SO_REUSEPORT listen option`);
}

/** Status and body of a GET on a connection of its own. */
function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path: "/graphql", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The sockets listening on port (ss, one line each). */
function listeningSockets(port: number): number {
  const out = execFileSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.trim() !== "").length;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function held(port: number, sockets: number): Promise<HeldPort> {
  const h = await holdPort(port, HOST, null, sockets);
  cleanup.push(() => h.release());
  return h;
}

function answering(name: string): Server {
  const server = createServer((_req, res) => res.end(name));
  cleanup.push(() => closeServer(server));
  return server;
}

describe("holding the port through the start", () => {
  it("when the port is held, then every request is answered 503 until a server takes it over, which then answers them all", async () => {
    const h = await held(0, 1);
    expect((await get(h.port)).status).toBe(503);
    expect(await h.transferTo(answering("service"))).toBe(h.port);
    expect(await get(h.port)).toEqual({ status: 200, body: "service" });
  });

  it("when another process holds the port, then holding it fails naming the port", async () => {
    const first = await held(0, 1);
    await expect(holdPort(first.port, HOST, null, 1)).rejects.toThrow(`PORT ${first.port} on ${HOST} is already in use by another process`);
  });

  it("when a start fails before the server took the port, then release frees it", async () => {
    const h = await holdPort(0, HOST, null, 1);
    await h.release();
    await expect(get(h.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

// SO_REUSEPORT through Node's listen() exists from Node 22.12 (the Docker image's Node 22); on an
// older Node these are skipped, and config refuses LISTEN_SOCKETS > 1 there (test/unit/config.test.ts).
describe.skipIf(!REUSE_PORT || process.platform !== "linux")("several listening sockets (SO_REUSEPORT, Node ≥ 22.12 on Linux)", () => {
  it("when the port is held with 4 sockets, then 4 sockets listen, and every connection is answered 503 and then by the server", async () => {
    const h = await held(0, 4);
    expect(listeningSockets(h.port)).toBe(4);
    const starting = await Promise.all(Array.from({ length: 40 }, () => get(h.port)));
    expect(starting.map((r) => r.status)).toEqual(Array(40).fill(503));
    const server = answering("service");
    await h.transferTo(server);
    let seen = 0;
    server.on("connection", () => seen++);
    const answers = await Promise.all(Array.from({ length: 200 }, () => get(h.port)));
    expect(answers).toEqual(Array(200).fill({ status: 200, body: "service" }));
    expect(seen).toBe(200);
    // The server accepted only the first socket's share itself; the other sockets handed it the rest.
    expect((server as unknown as { _connections: number })._connections).toBeLessThan(200);
  });

  it("when the port is held with several sockets, then another process cannot join it, with or without SO_REUSEPORT", async () => {
    const first = await held(0, 4);
    await expect(holdPort(first.port, HOST, null, 4)).rejects.toThrow(`PORT ${first.port} on ${HOST} is already in use by another process`);
    await expect(holdPort(first.port, HOST, null, 1)).rejects.toThrow(`PORT ${first.port} on ${HOST} is already in use by another process`);
    expect(listeningSockets(first.port)).toBe(4);
  });

  it("when the port serves HTTPS, then connections through every socket complete the handshake, with the starting server and then the real one", async () => {
    const dir = await makeTempDir("hold-port-tls-");
    cleanup.push(() => dir.remove());
    const pki = makeTestPki(dir.path);
    const h = await holdPort(0, HOST, { cert: pki.cert, key: pki.key }, 4);
    cleanup.push(() => h.release());
    const getTls = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest({ host: HOST, port: h.port, path: "/graphql", ca: pki.ca, servername: "localhost", agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    expect((await Promise.all(Array.from({ length: 40 }, getTls))).map((r) => r.status)).toEqual(Array(40).fill(503));
    const server = createHttpsServer({ cert: pki.cert, key: pki.key }, (_req, res) => res.end("service"));
    cleanup.push(() => closeServer(server));
    await h.transferTo(server);
    expect(await Promise.all(Array.from({ length: 80 }, getTls))).toEqual(Array(80).fill({ status: 200, body: "service" }));
  });

  it("when a fixed port is free, then 4 sockets bind it", async () => {
    const probe = await held(0, 1);
    const port = probe.port;
    await probe.release();
    const h = await held(port, 4);
    expect(h.port).toBe(port);
    expect(listeningSockets(port)).toBe(4);
  });

  it("when the server closes and the held port is released, then no socket listens and connections are refused", async () => {
    const h = await held(0, 4);
    const server = answering("service");
    await h.transferTo(server);
    expect((await get(h.port)).status).toBe(200);
    await h.release();
    await closeServer(server);
    expect(listeningSockets(h.port)).toBe(0);
    await expect(get(h.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("when a start fails before the server took the port, then release closes all 4 sockets", async () => {
    const h = await holdPort(0, HOST, null, 4);
    expect(listeningSockets(h.port)).toBe(4);
    await h.release();
    expect(listeningSockets(h.port)).toBe(0);
  });
});
