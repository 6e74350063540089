import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { ErrorCode, StartupError } from "../errors.js";

/** The listening socket, bound before the slow part of the start, until the real server takes it over. */
export interface HeldPort {
  /** The bound port (the one the system picked with port 0). */
  port: number;
  /** Makes `server` listen on this socket; from then on it gets every new connection. */
  transferTo(server: HttpServer): Promise<number>;
  /** Closes the socket if no server took it over (a start that failed or was interrupted). */
  release(): Promise<void>;
}

const RETRY_AFTER_SECONDS = "2";
const STARTING_BODY = JSON.stringify({
  errors: [{ message: "the service is starting; retry shortly", extensions: { code: ErrorCode.STARTING } }],
});

/**
 * Binds host:port at once and answers every request with 503 until `transferTo`. Opening the
 * database and migrating take seconds (PGlite's first start, a slow PostgreSQL); a port another
 * process holds must stop the start before that, and a second process must never get past the bind
 * believing the port is its own. The same socket is handed on, so there is no window in which the
 * port is free.
 */
export async function holdPort(port: number, host: string, tls: { cert: string | Buffer; key: string | Buffer } | null = null): Promise<HeldPort> {
  const answer: Parameters<typeof createHttpServer>[1] = (req, res) => {
    const health = req.url === "/health" || req.url?.startsWith("/health?");
    res
      .writeHead(503, { "content-type": "application/json", "retry-after": RETRY_AFTER_SECONDS, connection: "close" })
      .end(health ? '{"status":"starting"}' : STARTING_BODY);
  };
  // Speaks what the server will: HTTPS clients get the 503 over TLS, with the same certificate.
  const starting = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, answer) : createHttpServer(answer);
  // Websocket clients get a 503 too rather than a reset connection.
  starting.on("upgrade", (_req, socket: Socket) => {
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: ${RETRY_AFTER_SECONDS}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      starting.once("error", reject);
      starting.listen(port, host, () => {
        starting.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new StartupError(`PORT ${port} on ${host} is already in use by another process`, { cause: error });
    if (code === "EACCES") throw new StartupError(`PORT ${port} on ${host} needs privileges this process does not have`, { cause: error });
    if (code === "EADDRNOTAVAIL") throw new StartupError(`HOST ${host} is not an address of this machine`, { cause: error });
    throw error;
  }

  let state: "held" | "transferred" | "released" = "held";
  return {
    port: (starting.address() as AddressInfo).port,
    transferTo(server) {
      if (state !== "held") return Promise.reject(new Error(`the port was already ${state}`));
      state = "transferred";
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        // http.Server#listen(handle) takes over the bound socket; `starting` keeps only the
        // connections it already accepted, each closed after its 503.
        server.listen(starting, () => {
          server.off("error", reject);
          starting.closeIdleConnections();
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async release() {
      if (state !== "held") return;
      state = "released";
      await new Promise<void>((resolve) => {
        starting.close(() => resolve());
        starting.closeAllConnections();
      });
    },
  };
}
