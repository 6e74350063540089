import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ExecutionArgs, GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type YogaLogger } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Context } from "./context.js";
import type { Logger } from "./logger.js";

export interface ServerOptions {
  schema: GraphQLSchema;
  context: Context;
  logger: Logger;
  /** Resolves when the database answers; /health turns 503 when it rejects. */
  checkHealth: () => Promise<void>;
  /** @default "/graphql" */
  graphqlEndpoint?: string;
}

export interface Server {
  /** Starts listening; returns the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Closes websocket clients (1001), then HTTP connections; idempotent. */
  close(): Promise<void>;
  fetch: ReturnType<typeof createYoga>["fetch"];
}

const CLOSE_GRACE_MS = 2000;

const GRAPHIQL_QUERY = `# The newest inventory, 10 apps a page. Pass pageInfo.endCursor as "after" for the next page.
query LatestData($after: String) {
  latestData(first: 10, after: $after) {
    totalCount
    snapshot { id collectedAt status added removed }
    version { osqueryVersion osName osVersion platform arch }
    edges { node { name version source path publisher firstSeenAt } }
    pageInfo { hasNextPage endCursor }
  }
}

# Hear about every collection (run it, then collectSnapshot in another tab).
# subscription { snapshotUpdated { id status error appCount added removed } }

# Collect now.
# mutation { collectSnapshot { id status error appCount added removed } }
`;

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

export function createServer({ schema, context, logger, checkHealth, graphqlEndpoint = "/graphql" }: ServerOptions): Server {
  const yoga = createYoga<{ req: IncomingMessage; res: ServerResponse }, Context>({
    schema,
    graphqlEndpoint,
    context: () => context,
    logging: yogaLogger(logger),
    landingPage: false,
    graphiql: { title: "osquery inventory", subscriptionsProtocol: "WS", defaultQuery: GRAPHIQL_QUERY },
  });

  const http = createHttpServer(async (req, res) => {
    if (req.url === "/health" || req.url?.startsWith("/health?")) {
      try {
        await checkHealth();
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok","database":"up"}');
      } catch (error) {
        logger.warn({ err: error }, "health check failed: database unreachable");
        res.writeHead(503, { "content-type": "application/json" }).end('{"status":"unavailable","database":"down"}');
      }
      return;
    }
    return yoga.requestListener(req, res);
  });

  const sockets = new Set<Socket>();
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ server: http, path: graphqlEndpoint });
  type Enveloped = ReturnType<typeof yoga.getEnveloped>;
  const ws = useServer<Record<string, unknown>, { request: IncomingMessage }>(
    {
      // Runs operations through Yoga's envelope so error masking and plugins match HTTP.
      execute: (args) => (args.rootValue as Pick<Enveloped, "execute">).execute(args),
      subscribe: (args) => (args.rootValue as Pick<Enveloped, "subscribe">).subscribe(args),
      onSubscribe: async (ctx, _id, payload) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(s, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs = {
          schema: s,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        return args;
      },
    },
    wss,
  );

  let closing: Promise<void> | null = null;
  return {
    fetch: yoga.fetch,
    listen(port, host) {
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
        await ws.dispose();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        if (http.listening) {
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
