import type { IncomingMessage } from "node:http";
import { CloseCode, handleProtocols, type makeServer, type WebSocket as GraphqlWsSocket } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "../logger.js";

/** What each graphql-ws connection carries as `ctx.extra`. */
export interface SocketExtra {
  socket: WebSocket;
  /** The peer's address, read at the upgrade (rate-limiting key and log field). */
  client: string;
}

export interface GraphqlWsTransport {
  /** Closes every client with 1001 and the websocket server with them. */
  dispose(): Promise<void>;
}

export interface GraphqlWsTransportOptions {
  /** How often every socket is pinged; one without a pong by the next round is cut. @default 12_000 */
  keepAliveMs?: number;
}

/** Each keep-alive round is spread over this many ticks, so the pings of thousands of sockets never come in one burst. */
const TICKS_PER_ROUND = 12;

/**
 * graphql-ws's server on `ws`, as graphql-ws's own `useServer` (graphql-ws/use/ws) wires it, with what
 * each connection keeps made smaller, since thousands of dashboards hold one each (README "Fan-out"):
 * the upgrade request is not kept (only the peer's address is); one timer pings every socket, a slice
 * at a time, instead of an interval per socket; the adapter handed to graphql-ws is one object whose
 * methods are shared; and a message's raw buffer is let go as soon as it is decoded. Errors are logged
 * through the service's logger, and a socket that fails is closed with 4500 "Internal server error",
 * as useServer closes it in production, never with the error's text.
 */
export function useGraphqlWsTransport(
  server: ReturnType<typeof makeServer<Record<string, unknown> | undefined, SocketExtra>>,
  wss: WebSocketServer,
  logger: Logger,
  { keepAliveMs = 12_000 }: GraphqlWsTransportOptions = {},
): GraphqlWsTransport {
  wss.options.handleProtocols = handleProtocols;
  const internalError = (socket: WebSocket) => socket.close(CloseCode.InternalServerError, "Internal server error");

  /** Sockets pinged in this round or the last that have not answered yet. */
  const awaitingPong = new Set<WebSocket>();
  function onPong(this: WebSocket) {
    awaitingPong.delete(this);
  }
  // A round visits every socket once: one that has not answered the previous round's ping is cut,
  // the others are pinged. A round is walked a slice a tick, so a delivery is never held up behind
  // ten thousand pings, and starts on a fixed beat, so each socket has about keepAliveMs to answer
  // however few sockets there are. The walk is a live iterator over ws's own set of clients rather
  // than a copy: a socket that closes mid-round is let go at once, not held until the round ends
  // (ten thousand at once when clients reconnect all together).
  let walk: Iterator<WebSocket> | null = null;
  let ticks = 0;
  const tick = () => {
    const beat = ticks++ % TICKS_PER_ROUND === 0;
    if (!walk) {
      if (!beat) return;
      walk = wss.clients.values();
    }
    const slice = Math.ceil(wss.clients.size / TICKS_PER_ROUND);
    for (let i = 0; i < slice; i++) {
      const step = walk.next();
      if (step.done) {
        walk = null;
        return;
      }
      const socket = step.value;
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        awaitingPong.delete(socket);
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  };
  const keepAlive = keepAliveMs > 0 && Number.isFinite(keepAliveMs) ? setInterval(tick, Math.max(1, Math.round(keepAliveMs / TICKS_PER_ROUND))) : null;
  keepAlive?.unref();

  wss.once("error", (error) => {
    logger.error({ err: error }, "websocket server failed: closing its clients");
    for (const client of wss.clients) internalError(client);
  });

  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const extra: SocketExtra = { socket, client: request.socket.remoteAddress ?? "unknown" };
    socket.once("error", (error) => {
      logger.warn({ err: error, client: extra.client }, "websocket failed: closing it");
      internalError(socket);
    });
    socket.on("pong", onPong);
    const closed = server.opened(new Transport(socket, logger, extra.client), extra);
    // ws emits 'close' once; `on` spares the once-wrapper.
    socket.on("close", (code, reason) => {
      awaitingPong.delete(socket);
      closed(code, String(reason)).catch((error: unknown) => logger.error({ err: error, client: extra.client }, "graphql-ws failed to close a connection's operations"));
    });
  });

  return {
    async dispose() {
      if (keepAlive) clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, "Going away");
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The socket as graphql-ws sees it; methods on the prototype, so a connection costs one small object. */
class Transport implements GraphqlWsSocket {
  readonly protocol: string;
  constructor(
    private readonly socket: WebSocket,
    private readonly logger: Logger,
    private readonly client: string,
  ) {
    this.protocol = socket.protocol;
  }

  send(data: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState !== this.socket.OPEN) return resolve();
      this.socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    const fail = (error: unknown) => {
      this.logger.error({ err: error, client: this.client }, "graphql-ws message handling failed: closing the socket");
      this.socket.close(CloseCode.InternalServerError, "Internal server error");
    };
    // Not awaited here: the handler's promise lasts as long as the subscription it starts, and
    // awaiting it would keep this frame, with the message's raw buffer, alive that long.
    this.socket.on("message", (data) => void handle(String(data)).catch(fail));
  }
}
