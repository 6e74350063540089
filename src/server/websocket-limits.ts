import type { IncomingMessage } from "node:http";
import type { GraphQLError } from "graphql";
import type { WebSocket } from "ws";
import { appError, ErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";

/** What one client may hold on this instance, so that memory is bounded by configuration, not by clients. */
export interface WebSocketLimits {
  /** Open websockets per client address; the upgrade beyond it gets HTTP 429. @default 32 */
  maxSocketsPerClient: number;
  /** Operations running at once on one socket; one more gets a TOO_MANY_SUBSCRIPTIONS error. @default 100 */
  maxSubscriptionsPerSocket: number;
  /**
   * Bytes written to a socket and not yet taken by its client; a socket over it is closed with
   * SLOW_CLIENT_CLOSE_CODE instead of being written to. @default 4 MiB
   */
  maxBufferedBytes: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  maxSocketsPerClient: 32,
  maxSubscriptionsPerSocket: 100,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/**
 * 1013 "Try Again Later": graphql-ws clients reconnect (with backoff) and subscribe again, where a
 * 4xxx code from graphql-ws's own list (4429 among them) would make them give up.
 */
export const SLOW_CLIENT_CLOSE_CODE = 1013;

export interface WebSocketGuard {
  /** For ws's verifyClient: refuses the upgrade with 429 while the address holds its quota of sockets. */
  verifyClient(info: { req: IncomingMessage }, done: (ok: boolean, status?: number, message?: string) => void): void;
  /** Counts an accepted socket against its address until it closes. */
  track(socket: WebSocket, request: IncomingMessage): void;
  /** The error for an operation that would exceed the socket's quota (`running` includes it), or null. */
  refuseOperation(running: number): GraphQLError | null;
  /**
   * Whether a frame may be written now. A socket whose client has stopped reading (more than
   * maxBufferedBytes waiting) is closed instead, so what it holds stays at that plus one frame.
   */
  writable(socket: WebSocket, client: string): boolean;
}

const addressOf = (request: IncomingMessage) => request.socket.remoteAddress ?? "unknown";

export function createWebSocketGuard(limits: WebSocketLimits, logger: Logger): WebSocketGuard {
  const socketsByClient = new Map<string, number>();
  return {
    verifyClient({ req }, done) {
      if ((socketsByClient.get(addressOf(req)) ?? 0) < limits.maxSocketsPerClient) return done(true);
      logger.warn({ client: addressOf(req), limit: limits.maxSocketsPerClient }, "websocket refused: too many from this client");
      done(false, 429, `too many websockets from this address: at most ${limits.maxSocketsPerClient} (MAX_SOCKETS_PER_CLIENT)`);
    },
    track(socket, request) {
      // ws accepts the upgrade synchronously after verifyClient says yes, so nothing slips between the two.
      const client = addressOf(request);
      socketsByClient.set(client, (socketsByClient.get(client) ?? 0) + 1);
      // 'close' comes once; `on` spares each of thousands of sockets a once-wrapper.
      socket.on("close", () => {
        const left = (socketsByClient.get(client) ?? 1) - 1;
        if (left > 0) socketsByClient.set(client, left);
        else socketsByClient.delete(client);
      });
    },
    refuseOperation(running) {
      if (running <= limits.maxSubscriptionsPerSocket) return null;
      return appError(
        ErrorCode.TOO_MANY_SUBSCRIPTIONS,
        `too many operations on this websocket: at most ${limits.maxSubscriptionsPerSocket} at a time (MAX_SUBSCRIPTIONS_PER_SOCKET)`,
        { limit: limits.maxSubscriptionsPerSocket },
      );
    },
    writable(socket, client) {
      if (socket.readyState !== socket.OPEN) return false;
      if (socket.bufferedAmount <= limits.maxBufferedBytes) return true;
      logger.warn(
        { client, bufferedBytes: socket.bufferedAmount, limit: limits.maxBufferedBytes },
        "websocket dropped: the client is not reading",
      );
      // The close frame queues behind what is buffered; ws destroys the socket if the client never
      // reads it. Nothing more is written meanwhile, since the socket is no longer OPEN.
      socket.close(SLOW_CLIENT_CLOSE_CODE, "client too slow: send buffer full (WS_MAX_BUFFERED_BYTES)");
      return false;
    },
  };
}
