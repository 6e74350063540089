import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { ErrorCode, StartupError } from "../errors.js";

/** The listening sockets, bound before the slow part of the start, until the real server takes them over. */
export interface HeldPort {
  /** The bound port (the one the system picked with port 0). */
  port: number;
  /** Makes `server` listen on the first socket and get every connection the others accept. */
  transferTo(server: HttpServer): Promise<number>;
  /**
   * Stops accepting. Before transferTo (a start that failed or was interrupted) it closes every
   * socket; after it, the sockets beyond the first, which the server does not know it listens on
   * (it closes the first itself).
   */
  release(): Promise<void>;
}

const RETRY_AFTER_SECONDS = "2";
const STARTING_BODY = JSON.stringify({
  errors: [{ message: "the service is starting; retry shortly", extensions: { code: ErrorCode.STARTING } }],
});

function bind(server: NetServer, options: { port: number; host: string; reusePort?: boolean }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/**
 * Binds host:port at once and answers every request with 503 until `transferTo`. Opening the
 * database and migrating take seconds (PGlite's first start, a slow PostgreSQL); a port another
 * process holds must stop the start before that, and a second process must never get past the bind
 * believing the port is its own. The same socket is handed on, so there is no window in which the
 * port is free.
 *
 * `sockets` > 1 binds that many sockets to the port with SO_REUSEPORT (Node ≥ 22.12 on Linux or
 * FreeBSD; config checks that), the kernel spreading new connections over them. libuv accepts one
 * connection per listening socket and turn of the event loop, so a service whose turns take 10 ms
 * while it stores inventories accepts 100 connections a second through one socket, fewer than a
 * fleet's agents open when they start together. SO_REUSEPORT would also let a second process bind the
 * port beside this one, so the port is first bound once without it: a port held by anyone stops the
 * start as before.
 */
export async function holdPort(port: number, host: string, tls: { cert: string | Buffer; key: string | Buffer } | null = null, sockets = 1): Promise<HeldPort> {
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
  // The sockets beyond the first hand their connections to whichever server answers on the port.
  let target: NetServer = starting;
  const extra: NetServer[] = [];
  try {
    if (sockets === 1) await bind(starting, { port, host });
    else {
      if (port !== 0) {
        const probe = createNetServer();
        await bind(probe, { port, host });
        await closeServer(probe);
      }
      await bind(starting, { port, host, reusePort: true });
      const bound = (starting.address() as AddressInfo).port;
      for (let i = 1; i < sockets; i++) {
        // noDelay as http.Server sets it on the sockets it accepts itself (Nagle would hold small responses).
        const acceptor = createNetServer({ noDelay: true }, (socket) => target.emit("connection", socket));
        extra.push(acceptor);
        await bind(acceptor, { port: bound, host, reusePort: true });
      }
    }
  } catch (error) {
    await Promise.all([starting, ...extra].map(closeServer));
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
          target = server;
          starting.closeIdleConnections();
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async release() {
      if (state === "released") return;
      const held = state === "held";
      state = "released";
      const closing = extra.map(closeServer);
      if (held) {
        closing.push(closeServer(starting));
        starting.closeAllConnections();
      }
      await Promise.all(closing);
    },
  };
}
