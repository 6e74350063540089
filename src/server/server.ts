import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { getOperationAST, GraphQLError, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { makeServer } from "graphql-ws";
import { createYoga, type Plugin, type YogaLogger } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { bearerToken, createTokenCheck } from "./auth.js";
import type { Config } from "../config.js";
import { responseHints, type Context, type SharedContext, type Viewer } from "../context.js";
import { ErrorCode } from "../errors.js";
import { corsFor, createHostCheck, createWebSocketOriginCheck, useCsrfPrevention } from "./cross-site.js";
import { useCompiledExecution } from "./compiled-execution.js";
import { createConsoleHandler, type ConsoleOptions } from "./console.js";
import { createGraphiQLPage, createGraphiQLRenderer, fleetGraphiqlOptions, graphiqlOptions } from "./graphiql.js";
import { limitPlugins, requestJsonError } from "./graphql-limits.js";
import type { HeldPort } from "./hold-port.js";
import type { Logger } from "../logger.js";
import type { AgentHttp } from "../sources/agent/http.js";
import { bodyTooLargeMessage, readBoundedBody } from "./request-body.js";
import { useRequestParseErrors } from "./request-errors.js";
import type { ResponseCache } from "./response-cache.js";
import { createStreamShutdown } from "./stream-shutdown.js";
import { createSubscriptionFanout } from "./subscription-fanout.js";
import { useGraphqlWsTransport, type SocketExtra } from "./graphql-ws-transport.js";
import { createWebSocketGuard, DEFAULT_WEBSOCKET_LIMITS, type WebSocketLimits } from "./websocket-limits.js";

export interface SecurityOptions {
  /** Bearer token for mutations (and reads with authReads); null leaves the API open. */
  token: string | null;
  authReads: boolean;
  http: Config["http"];
  limits: Config["limits"];
}

/** Development defaults: open API, GraphiQL and introspection on, the documented limits. */
export const OPEN_SECURITY: SecurityOptions = {
  token: null,
  authReads: false,
  http: { corsOrigins: [], allowedHosts: null, maxBodyBytes: 100 * 1024, keepAliveMs: 5000, graphiql: true, introspection: true },
  limits: { maxDepth: 8, maxAliases: 15, maxDirectives: 10, maxTokens: 2000, maxCost: 20_000 },
};

export interface ServerOptions {
  schema: GraphQLSchema;
  context: SharedContext;
  logger: Logger;
  /** @default OPEN_SECURITY */
  security?: SecurityOptions;
  /** Resolves when the database answers; /health turns 503 when it rejects. */
  checkHealth: () => Promise<void>;
  /** @default "/graphql" */
  graphqlEndpoint?: string;
  /** Answers repeated queries from memory until the data changes; none by default. */
  responseCache?: ResponseCache;
  /** GraphiQL opens with the fleet example (hosts) instead of latestData: a server without a host of its own. */
  fleetExample?: boolean;
  /** osquery's TLS remote API for enrolled agents (fleet mode), on the same port; none by default. */
  agentHttp?: AgentHttp;
  /** PEM certificate chain and key: serve HTTPS (TLS ≥ 1.2) instead of HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** @default DEFAULT_WEBSOCKET_LIMITS */
  websocket?: WebSocketLimits;
  /** The web console, served at every path but the GraphQL endpoint, /health and the agents'; none by default. */
  console?: ConsoleOptions;
}

export interface Server {
  /** Starts listening, or takes over a port held since the start (holdPort); returns the bound port. */
  listen(port: number, host: string): Promise<number>;
  listen(held: HeldPort): Promise<number>;
  /** Closes websocket clients (1001), then HTTP connections; idempotent. */
  close(): Promise<void>;
  /** Serves a renewed certificate to new connections (HTTPS only). */
  setTls(tls: { cert: string | Buffer; key: string | Buffer }): void;
  fetch: ReturnType<typeof createYoga>["fetch"];
}

const CLOSE_GRACE_MS = 2000;

function yogaLogger(logger: Logger): YogaLogger {
  const forward =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) => {
      const err = args.find((a) => a instanceof Error);
      const message = args.filter((a) => typeof a === "string").join(" ") || (err as Error | undefined)?.message || "graphql";
      logger[level](err ? { err } : {}, message);
    };
  return { debug: forward("debug"), info: forward("info"), warn: forward("warn"), error: forward("error") };
}

const errorBody = (code: string, message: string) => JSON.stringify({ errors: [{ message, extensions: { code } }] });

/** Ends the connection after the answer unless `keepAlive`; keep it while a client may still be sending. */
function jsonError(res: ServerResponse, status: number, code: string, message: string, { keepAlive = false } = {}) {
  const body = errorBody(code, message);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...(keepAlive ? {} : { connection: "close" }) }).end(body);
}

const HOST_NOT_ALLOWED_MESSAGE = "this server does not answer to the host named in the Host header (ALLOWED_HOSTS)";

interface ServerContext {
  /** Absent for in-process requests through fetch(). */
  req?: IncomingMessage;
  res?: ServerResponse;
  /** graphql-ws connection_init payload, for operations over websockets. */
  connectionParams?: Readonly<Record<string, unknown>>;
  /** The peer's address, for operations over websockets (whose upgrade request is not kept). */
  client?: string;
}

export function createServer({
  schema,
  context,
  logger,
  checkHealth,
  graphqlEndpoint = "/graphql",
  security = OPEN_SECURITY,
  responseCache,
  agentHttp,
  fleetExample = false,
  tls,
  websocket = DEFAULT_WEBSOCKET_LIMITS,
  console: consoleOptions,
}: ServerOptions): Server {
  const tokenCheck = createTokenCheck(security.token);
  const tokenFrom = (server: ServerContext, request?: Request): string | null => {
    if (server.connectionParams) {
      const { authorization, token } = server.connectionParams;
      return bearerToken(authorization) ?? (typeof token === "string" ? token : null);
    }
    return bearerToken(request?.headers.get("authorization") ?? server.req?.headers.authorization);
  };
  const viewerOf = (server: ServerContext, request?: Request): Viewer => ({
    authenticated: tokenCheck(tokenFrom(server, request)),
    client: server.client ?? server.req?.socket.remoteAddress ?? "in-process",
  });

  const unauthenticated = (what: string) =>
    new GraphQLError(
      `this ${what} needs the API token: send "Authorization: Bearer <token>"` +
        " (graphql-ws: { authorization: \"Bearer <token>\" } in connection_init)",
      { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401, headers: { "www-authenticate": "Bearer" } } } },
    );
  // Mutations always need the token once one is configured; reads too with AUTH_READS.
  const refuse = (args: ExecutionArgs): GraphQLError | null => {
    if (security.token === null) return null;
    const operation = getOperationAST(args.document, args.operationName ?? undefined);
    if (operation?.operation !== "mutation" && !security.authReads) return null;
    const viewer = (args.contextValue as Context).viewer;
    if (viewer.authenticated) return null;
    return unauthenticated(operation?.operation ?? "operation");
  };
  const authPlugin: Plugin = {
    // With AUTH_READS every operation needs the token, so it is checked before the body is even
    // read: parse and validation errors would otherwise tell a stranger which fields exist.
    // (graphql-ws refuses such a client at connection_init, before any operation.)
    onRequestParse: ({ request }) => {
      if (security.token !== null && security.authReads && !tokenCheck(bearerToken(request.headers.get("authorization")))) {
        throw unauthenticated("request");
      }
    },
    onExecute: ({ args, setResultAndStopExecution }) => {
      const error = refuse(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const error = refuse(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };

  // graphql-js reports a variable of the wrong type without a code (it adds one only for
  // subscriptions); clients branch on codes, so these get the one that fits.
  const variableErrors: Plugin = {
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!("errors" in result) || !result.errors?.length) return;
        const untagged = (e: GraphQLError) => e.extensions?.["code"] === undefined && /^Variable "\$/.test(e.message);
        if (!result.errors.some(untagged)) return;
        setResult({
          ...result,
          errors: result.errors.map((e) =>
            untagged(e) ? new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { ...e.extensions, code: ErrorCode.BAD_USER_INPUT } }) : e,
          ),
        });
      },
    }),
  };

  const activeGraphiqlOptions = security.http.graphiql ? (fleetExample ? fleetGraphiqlOptions : graphiqlOptions) : null;
  const renderGraphiQL = createGraphiQLRenderer();
  const graphiqlPage = activeGraphiqlOptions ? createGraphiQLPage(() => renderGraphiQL(activeGraphiqlOptions)) : null;
  const consoleHandler = consoleOptions ? createConsoleHandler(consoleOptions, logger.child({ component: "console" })) : null;

  const cors = corsFor(security.http.corsOrigins);
  const streams = createStreamShutdown();
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint,
    context: (initial) => ({ ...context, viewer: viewerOf(initial, initial.request), response: responseHints() }),
    logging: yogaLogger(logger),
    landingPage: false,
    // Browsers get GraphiQL from graphiqlPage (compressed, with an ETag); Yoga renders it for in-process fetch().
    graphiql: activeGraphiqlOptions ?? false,
    renderGraphiQL,
    cors: cors?.cors ?? false,
    maxRequestBodySize: security.http.maxBodyBytes,
    plugins: [
      ...(cors ? [cors.plugin] : []),
      useCsrfPrevention(),
      useRequestParseErrors({ maxBodyBytes: security.http.maxBodyBytes }),
      streams.plugin,
      // First of the plugins that see execution results: the others may rewrite its errors.
      useCompiledExecution(),
      authPlugin,
      ...limitPlugins(security.limits, { introspection: security.http.introspection }),
      variableErrors,
      // With AUTH_READS only a request with the token may be answered from the cache: a cached answer
      // skips execution, and with it the check in authPlugin.
      ...(responseCache
        ? [responseCache.plugin((request) => security.token === null || !security.authReads || tokenCheck(bearerToken(request.headers.get("authorization"))))]
        : []),
    ],
  });

  const hostAllowed = createHostCheck(security.http.allowedHosts);
  const originAllowed = createWebSocketOriginCheck(security.http.corsOrigins);

  let draining = false;
  const closeIdle = () => http.closeIdleConnections();
  // One function for every response ('finish' fires once per response, so no once-wrapper either).
  const onFinish = () => {
    if (draining) setImmediate(closeIdle);
  };
  const listener: RequestListener = (req, res) => {
    // While closing, each response ends its connection: keep-alive clients move on instead of
    // sending more requests down a socket that is about to be cut.
    if (draining) res.setHeader("connection", "close");
    // A response that was under way when closing began (an SSE stream) leaves an idle keep-alive socket
    // behind, which would hold up close() until the grace period cuts it.
    res.on("finish", onFinish);
    // Agents authenticate with node keys and send larger bodies; their endpoints have limits of their own.
    if (agentHttp?.matches(req.url)) return agentHttp.handle(req, res, req.socket.remoteAddress ?? "unknown");
    void serveHttp(req, res);
  };
  const serveHttp = async (req: IncomingMessage, res: ServerResponse) => {
    const health = req.url === "/health" || req.url?.startsWith("/health?");
    // Against DNS rebinding. Health probes address an instance by its IP, and /health tells nothing.
    if (!health && !hostAllowed(req.headers.host)) return jsonError(res, 421, ErrorCode.HOST_NOT_ALLOWED, HOST_NOT_ALLOWED_MESSAGE);
    // A declared length is refused before anything reads the body.
    const length = req.headers["content-length"];
    if (length !== undefined && Number(length) > security.http.maxBodyBytes) {
      return jsonError(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, bodyTooLargeMessage(security.http.maxBodyBytes));
    }
    if ((req.url?.length ?? 0) > security.http.maxBodyBytes) {
      return jsonError(res, 414, ErrorCode.PAYLOAD_TOO_LARGE, `request URL too long: at most ${security.http.maxBodyBytes} bytes (MAX_BODY_BYTES)`);
    }
    if (health) {
      try {
        await checkHealth();
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok","database":"up"}');
      } catch (error) {
        logger.warn({ err: error }, "health check failed: database unreachable");
        res.writeHead(503, { "content-type": "application/json" }).end('{"status":"unavailable","database":"down"}');
      }
      return;
    }
    const pathname = (req.url ?? "/").split("?")[0]!;
    const graphql = pathname === graphqlEndpoint || pathname === `${graphqlEndpoint}/`;
    // Yoga's own test for a browser that wants GraphiQL.
    if (graphql && graphiqlPage && req.method === "GET" && req.headers.accept?.includes("text/html")) {
      return graphiqlPage.handle(req, res).catch((error: unknown) => {
        logger.error({ err: error }, "GraphiQL page failed to render");
        if (!res.headersSent) jsonError(res, 500, "INTERNAL_SERVER_ERROR", "GraphiQL could not be rendered") // the code Yoga gives unexpected errors;
      });
    }
    if (!graphql && consoleHandler) return consoleHandler.handle(req, res);
    if (req.headers["transfer-encoding"] !== undefined && length === undefined) {
      const body = await readBoundedBody(req, security.http.maxBodyBytes).catch(() => undefined);
      // The client is gone: nobody to answer.
      if (body === undefined) return;
      if (body === null) return jsonError(res, 413, ErrorCode.PAYLOAD_TOO_LARGE, bodyTooLargeMessage(security.http.maxBodyBytes), { keepAlive: true });
      // Yoga takes a body that was read already from req.body, as it does behind body-parsing middleware.
      Object.assign(req, { body });
    }
    return yoga.requestListener(req, res);
  };
  // osquery speaks TLS 1.2 or 1.3 only; so does everything else worth serving.
  const http = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, listener) : createHttpServer(listener);
  http.keepAliveTimeout = security.http.keepAliveMs;

  const sockets = new Set<Socket>();
  // One listener function for every connection ('close' comes once, so no once-wrapper either):
  // each websocket subscriber holds its connection for hours.
  function forgetSocket(this: Socket) {
    sockets.delete(this);
  }
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", forgetSocket);
  });

  const guard = createWebSocketGuard(websocket, logger);
  const wss = new WebSocketServer({
    server: http,
    path: graphqlEndpoint,
    maxPayload: security.http.maxBodyBytes,
    // ws's default, stated: a compression context per socket would cost more memory than the frames save.
    perMessageDeflate: false,
    verifyClient: (info, done) => {
      const { req } = info;
      const json = { "Content-Type": "application/json" };
      if (!hostAllowed(req.headers.host)) return done(false, 421, errorBody(ErrorCode.HOST_NOT_ALLOWED, HOST_NOT_ALLOWED_MESSAGE), json);
      if (!originAllowed(req.headers.origin, req.headers.host)) {
        return done(false, 403, errorBody(ErrorCode.ORIGIN_NOT_ALLOWED, "websockets are open to pages of this server and of CORS_ORIGINS only"), json);
      }
      guard.verifyClient(info, done);
    },
  });
  wss.on("connection", (socket, request) => guard.track(socket, request));
  /** Where a subscriber's frames go: its socket, and the start of its "next" message, with its id. */
  interface Target {
    extra: SocketExtra;
    head: string;
  }
  // Thousands of dashboards subscribe with the same document: each event is executed once per
  // distinct operation and the result handed to all of them, instead of once per socket.
  const fanout = createSubscriptionFanout<Target>({
    // The "next" message graphql-ws would send, framed around a result serialised once for all
    // subscribers of the operation; only the id differs from socket to socket.
    deliver: ({ extra, head }, serialisedResult) => {
      if (guard.writable(extra.socket, extra.client)) extra.socket.send(`${head}${serialisedResult}}`);
    },
  });
  /**
   * A subscription on its way from onSubscribe to subscribe, kept aside rather than in the execution
   * arguments, which graphql-ws holds for as long as the subscription runs: the operation's context
   * (and the envelope it comes from) is built only when the subscription is the first of its kind,
   * and neither is kept for those that join one already running.
   */
  interface PendingSubscription {
    shareKey: string;
    start: () => Promise<Source>;
    target: Target;
  }
  type Source = Awaited<ReturnType<Enveloped["subscribe"]>>;
  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const pending = new WeakMap<ExecutionArgs, PendingSubscription>();
  /** Queries and mutations over the socket run with their own Yoga envelope, as they would over HTTP. */
  const executors = new WeakMap<ExecutionArgs, Enveloped["execute"]>();
  const graphqlWs = makeServer<Record<string, unknown> | undefined, SocketExtra>({
    // Refused connections are closed with 4403 Forbidden: a wrong token always, none with AUTH_READS.
    onConnect: (ctx) => {
      if (security.token === null) return true;
      const token = tokenFrom({ connectionParams: ctx.connectionParams ?? {} });
      return token !== null ? tokenCheck(token) : !security.authReads;
    },
    // Runs operations through Yoga's envelope so error masking and plugins match HTTP.
    execute: (args) => {
      const execute = executors.get(args);
      if (!execute) throw new Error("an operation reached execute without passing onSubscribe");
      executors.delete(args);
      return execute(args);
    },
    subscribe: (args) => {
      const subscription = pending.get(args);
      if (!subscription) throw new Error("a subscription reached subscribe without passing onSubscribe");
      pending.delete(args);
      return fanout.subscribe(subscription.shareKey, subscription.start, subscription.target);
    },
    onSubscribe: async (ctx, id, payload) => {
      const { socket, client } = ctx.extra;
      // Before anything is parsed or run: graphql-ws has already counted this operation in.
      const refusal = guard.refuseOperation(Object.keys(ctx.subscriptions).length);
      if (refusal) return [refusal];
      // A client that keeps sending operations and never reads their results is dropped here; the
      // error is only what graphql-ws needs to stop, nothing is sent to a closing socket.
      if (!guard.writable(socket, client)) return [new GraphQLError("websocket closed: the client is not reading")];
      // Before the share key below, or anything else, recurses over them.
      const jsonError = requestJsonError(payload);
      if (jsonError) return [jsonError];
      const connectionParams = ctx.connectionParams ?? {};
      const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ ...ctx, client, socket, params: payload, connectionParams });
      let document;
      try {
        document = parse(payload.query);
      } catch (error) {
        return [error as never];
      }
      const errors = validate(s, document);
      if (errors.length > 0) return errors;
      const operationName = payload.operationName ?? null;
      const variableValues = payload.variables ?? null;
      const args: ExecutionArgs = { schema: s, operationName, document, variableValues };
      const withContext = async () => ({ ...args, contextValue: (await contextFactory()) as Context });
      if (getOperationAST(document, operationName)?.operation !== "subscription") {
        const ready = await withContext();
        executors.set(ready, execute);
        return ready;
      }
      // Everything a subscription's results depend on: the operation, and whether the token was shown.
      const authenticated = viewerOf({ connectionParams }).authenticated;
      const shareKey = JSON.stringify([payload.query, operationName, variableValues, authenticated]);
      pending.set(args, {
        shareKey,
        start: async () => subscribe(await withContext()),
        target: { extra: ctx.extra, head: `{"id":${JSON.stringify(id)},"type":"next","payload":` },
      });
      return args;
    },
  });
  const transport = useGraphqlWsTransport(graphqlWs, wss, logger);

  let closing: Promise<void> | null = null;
  /** The port main bound before the server existed: its further sockets stop accepting when the server closes. */
  let held: HeldPort | null = null;
  return {
    fetch: yoga.fetch,
    setTls(next) {
      if (!("setSecureContext" in http)) throw new Error("the server serves plain HTTP; set TLS_CERT_FILE and TLS_KEY_FILE to serve HTTPS");
      http.setSecureContext({ cert: next.cert, key: next.key });
    },
    listen(port: number | HeldPort, host?: string) {
      if (typeof port !== "number") {
        held = port;
        return port.transferTo(http);
      }
      return new Promise((resolve, reject) => {
        http.once("error", reject);
        http.listen(port, host, () => {
          http.off("error", reject);
          resolve((http.address() as AddressInfo).port);
        });
      });
    },
    close() {
      closing ??= (async () => {
        await transport.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        streams.end();
        await held?.release();
        if (http.listening) {
          draining = true;
          const closed = new Promise<void>((resolve) => http.close(() => resolve()));
          http.closeIdleConnections();
          // In-flight requests get a moment to finish; SSE streams and stragglers are cut after it.
          const grace = setTimeout(() => {
            for (const socket of sockets) socket.destroy();
          }, CLOSE_GRACE_MS);
          grace.unref();
          await closed;
          clearTimeout(grace);
        }
        await yoga.dispose();
      })();
      return closing;
    },
  };
}
