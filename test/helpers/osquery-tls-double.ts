import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { makeTestPki, type TestPki } from "./tls.js";

/**
 * A stand-in for an osquery TLS server in tests: it records every request byte for byte and answers with
 * whatever the test says. Not a fleet server; the real one is src/.
 */

export interface TestPkis {
  dir: string;
  /** The CA, server certificate and key the double serves with (test/helpers/tls.ts). */
  server: TestPki;
  /** A second CA that did not sign the server certificate. */
  otherCaPem: string;
  remove(): Promise<void>;
}

/** A throwaway CA and server certificate for 127.0.0.1 and localhost, and an unrelated CA. */
export async function createTestPkis(): Promise<TestPkis> {
  const dir = await mkdtemp(join(tmpdir(), "agent-sim-pki-"));
  await mkdir(join(dir, "other"));
  return {
    dir,
    server: makeTestPki(dir),
    otherCaPem: makeTestPki(join(dir, "other")).ca,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface RecordedRequest {
  method: string;
  path: string;
  httpVersion: string;
  /** Header names and values in the order they arrived. */
  rawHeaders: Array<[string, string]>;
  headers: IncomingMessage["headers"];
  /** The body as sent (gzip stays gzip). */
  raw: Buffer;
  /** The body as text, gunzipped when Content-Encoding says gzip. */
  text: string;
  /** The TCP connection it came on (to see keep-alive at work). */
  socket: number;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
}

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface TestDouble {
  url: string;
  requests: RecordedRequest[];
  /** Requests to one path, e.g. "/api/osquery/distributed/write". */
  to(path: string): RecordedRequest[];
  setHandler(handler: Handler): void;
  close(): Promise<void>;
}

/** Answers enroll with `{"node_key":"key-<n>"}` (a new key each time) and everything else with `{}`. */
export const defaultHandler = (): Handler => {
  let enrolled = 0;
  return (request) => (request.path.endsWith("/enroll") ? { body: `{"node_key":"key-${++enrolled}"}` } : { body: "{}" });
};

export async function startTestDouble(options: { tls?: ServerOptions; handler?: Handler } = {}): Promise<TestDouble> {
  const requests: RecordedRequest[] = [];
  let handler = options.handler ?? defaultHandler();
  const sockets = new WeakMap<object, number>();
  let socketCount = 0;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      if (!sockets.has(req.socket)) sockets.set(req.socket, ++socketCount);
      const rawHeaders: Array<[string, string]> = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        httpVersion: req.httpVersion,
        rawHeaders,
        headers: req.headers,
        raw,
        text: (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8"),
        socket: sockets.get(req.socket)!,
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded)).then(
        (reply) => {
          res.writeHead(reply.status ?? 200, { "Content-Type": "application/json", ...reply.headers });
          res.end(reply.body ?? "");
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    setHandler: (next) => {
      handler = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
