import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport, type PostOptions, type Transport } from "../helpers/agent-simulator/transport.js";

/**
 * The simulator's HTTP client against raw TCP servers, so the test sees the request bytes as sent and can
 * answer with any framing: what beast writes for osquery, and the responses it reads.
 */

interface RawRequest {
  connection: number;
  bytes: Buffer;
}

/** Answers each complete request (head + Content-Length body) with `answer(request, socket)`. */
interface RawServer {
  url: string;
  requests: RawRequest[];
  sockets: Socket[];
  close(): Promise<void>;
}

const servers: RawServer[] = [];
const transports: Transport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function rawServer(answer: (request: RawRequest, socket: Socket, index: number) => void): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    const connection = sockets.push(socket);
    let pending = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/\r\nContent-Length: (\d+)\r\n/.exec(pending.toString("latin1", 0, end + 2))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = { connection, bytes: pending.subarray(0, end + 4 + length) };
        pending = pending.subarray(end + 4 + length);
        requests.push(request);
        answer(request, socket, requests.length - 1);
      }
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const raw: RawServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    sockets,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(raw);
  return raw;
}

const ok = (body: string, extra = "") => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
const post: PostOptions = { lane: "distributed", userAgent: "osquery/5.23.1", authorization: "key-1" };
const body = Buffer.from('{"node_key":"key-1"}');

function transportFor(server: RawServer, options: { timeoutMs?: number; acceptGzip?: boolean } = {}): Transport {
  const transport = createTransport({ baseUrl: server.url, ...options });
  transports.push(transport);
  return transport;
}

describe("agent simulator transport", () => {
  it("when a request goes out, then its bytes are beast's: request line, osquery's headers in order, no Connection header, the body", async () => {
    const server = await rawServer((_, socket) => socket.write(ok("{}")));
    const result = await transportFor(server).post("/api/osquery/distributed/read", body, post);
    expect(result).toMatchObject({ ok: true, status: 200, body: "{}" });
    const port = new URL(server.url).port;
    expect(server.requests[0]!.bytes.toString("latin1")).toBe(
      "POST /api/osquery/distributed/read HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nUser-Agent: osquery/5.23.1\r\n" +
        `Authorization: NodeKey key-1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${body.length}\r\n\r\n{"node_key":"key-1"}`,
    );
  });

  it("when the log is gzipped and gzip answers are accepted, then Content-Encoding and Accept-Encoding take beast's places", async () => {
    const server = await rawServer((_, socket) => {
      const zipped = gzipSync('{"ok":1}');
      socket.write(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${zipped.length}\r\n\r\n`);
      socket.write(zipped);
    });
    const result = await transportFor(server, { acceptGzip: true }).post("/api/osquery/log", gzipSync("{}"), { ...post, gzip: true });
    expect(result).toMatchObject({ ok: true, body: '{"ok":1}' });
    const head = server.requests[0]!.bytes.toString("latin1").split("\r\n\r\n")[0]!.split("\r\n");
    expect(head.slice(1).map((line) => line.split(":")[0])).toEqual(["Content-Type", "Accept", "User-Agent", "Authorization", "Content-Encoding", "Host", "Accept-Encoding", "Content-Length"]);
  });

  it("when answers come back one byte at a time, chunked or by length, then each is read whole and the connection is kept", async () => {
    const answers = [ok('{"a":"é"}'), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"b\"\r\n3\r\n:2}\r\n0\r\nX-Trailer: t\r\n\r\n"];
    const server = await rawServer((_, socket, index) => {
      const bytes = Buffer.from(answers[index]!);
      for (let i = 0; i < bytes.length; i++) socket.write(bytes.subarray(i, i + 1));
    });
    const transport = transportFor(server);
    expect(await transport.post("/a", body, post)).toMatchObject({ ok: true, body: '{"a":"é"}' });
    expect(await transport.post("/b", body, post)).toMatchObject({ ok: true, body: '{"b":2}' });
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1]);
  });

  it("when the answer has no length, then the body runs to the end of the connection and the next request connects again", async () => {
    const server = await rawServer((_, socket) => socket.end("HTTP/1.1 200 OK\r\n\r\n{\"eof\":true}"));
    const transport = transportFor(server);
    expect(await transport.post("/a", body, post)).toMatchObject({ ok: true, body: '{"eof":true}' });
    expect(await transport.post("/a", body, post)).toMatchObject({ ok: true, body: '{"eof":true}' });
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it("when the server says Connection: close, then the agent closes its socket and connects again for the next request", async () => {
    const server = await rawServer((_, socket) => socket.write(ok("{}", "Connection: close\r\n")));
    const transport = transportFor(server);
    await transport.post("/a", body, post);
    await transport.post("/a", body, post);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it("when the server has closed the idle keep-alive connection, then the next request goes out on a new one and succeeds", async () => {
    const server = await rawServer((_, socket) => socket.write(ok("{}")));
    const transport = transportFor(server);
    await transport.post("/a", body, post);
    server.sockets[0]!.end();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await transport.post("/a", body, post)).toMatchObject({ ok: true });
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it("when an attempt fails other than by the deadline, then osquery's client tries once more on a new connection, and no more", async () => {
    const server = await rawServer((_, socket) => socket.destroy());
    const result = await transportFor(server).post("/a", body, post);
    expect(result).toMatchObject({ ok: false, aborted: false });
    expect(result.ok ? "" : result.error).toMatch(/^Request error: /);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);

    let calls = 0;
    const flaky = await rawServer((_, socket) => (calls++ === 0 ? socket.destroy() : socket.write(ok('{"second":1}'))));
    expect(await transportFor(flaky).post("/a", body, post)).toMatchObject({ ok: true, body: '{"second":1}' });
  });

  it("when no answer comes within the deadline, then the request fails with osquery's timeout message and is not retried", async () => {
    const server = await rawServer(() => undefined);
    const result = await transportFor(server, { timeoutMs: 100 }).post("/a", body, post);
    expect(result).toMatchObject({ ok: false, error: "Request error: Request timeout" });
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ["a header block over beast's 8 KiB", `HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(9000)}\r\nContent-Length: 2\r\n\r\n{}`],
    ["a Content-Length over beast's 8 MiB", "HTTP/1.1 200 OK\r\nContent-Length: 8388609\r\n\r\n{}"],
    ["a chunk that grows the body over 8 MiB", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800001\r\n{}"],
    ["a status line that is not HTTP/1.x", "SSH-2.0-OpenSSH_9.6\r\n\r\n"],
  ])("when the answer has %s, then the exchange fails without buffering it", async (_, answer) => {
    const server = await rawServer((_, socket) => socket.write(answer));
    const result = await transportFor(server).post("/a", body, post);
    expect(result.ok).toBe(false);
  });

  it("when the server redirects, then the same body goes to the new location, and the redirect counts as one exchange", async () => {
    const server = await rawServer((request, socket) => {
      const path = request.bytes.toString("latin1").split(" ")[1];
      socket.write(path === "/old" ? "HTTP/1.1 307 Temporary Redirect\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n" : ok('{"moved":1}'));
    });
    const result = await transportFor(server).post("/old", body, post);
    expect(result).toMatchObject({ ok: true, body: '{"moved":1}' });
    expect(server.requests.map((r) => r.bytes.toString("latin1").split("\r\n\r\n")[1])).toEqual([body.toString(), body.toString()]);
  });

  it("when a node key holds a line break, then the request is refused rather than splitting the header block", async () => {
    const server = await rawServer((_, socket) => socket.write(ok("{}")));
    const result = await transportFor(server).post("/a", body, { ...post, authorization: "key\r\nX-Injected: 1" });
    expect(result).toMatchObject({ ok: false, error: "Request error: invalid header value" });
    expect(server.requests).toHaveLength(0);
  });
});
