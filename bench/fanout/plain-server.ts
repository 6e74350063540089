/**
 * The fan-out baseline: a plain graphql-yoga + graphql-ws server, wired the way graphql-yoga's
 * graphql-ws example wires it (useServer executing every subscriber's operation through
 * yoga.getEnveloped), with a Snapshot type shaped like ours over createPubSub. No database, no
 * Pothos, no plugins: what the stack costs before our service adds anything.
 *
 * POST /publish with a snapshot event as JSON publishes it and answers {"publishedAt": epoch ms},
 * taken just before the publish, the way our service logs "collection succeeded" just before it.
 *
 * Forked by bench/fanout.ts (Node IPC): sends {type: "listening", port} once it listens.
 */
import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { PubSubEventTarget } from "@graphql-yoga/subscription";
import type { ExecutionArgs } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createPubSub, createSchema, createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";

export interface PlainSnapshotEvent {
  id: string;
  status: "SUCCEEDED" | "FAILED";
  collectedAt: string;
  appCount: number;
  added: number;
  removed: number;
}

type Topics = { snapshotUpdated: [event: PlainSnapshotEvent] };

// The default EventTarget prints MaxListenersExceededWarning past 10 subscribers; our service lifts
// the cap the same way, and the warning is the only thing it changes.
const eventTarget = new EventTarget();
setMaxListeners(0, eventTarget);
const pubsub = createPubSub<Topics>({ eventTarget: eventTarget as PubSubEventTarget<Topics> });

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    scalar DateTime
    enum SnapshotStatus {
      SUCCEEDED
      FAILED
    }
    type Snapshot {
      id: ID!
      status: SnapshotStatus!
      collectedAt: DateTime!
      appCount: Int!
      added: Int!
      removed: Int!
    }
    type Query {
      ok: Boolean!
    }
    type Subscription {
      snapshotUpdated: Snapshot!
    }
  `,
  resolvers: {
    Query: { ok: () => true },
    Subscription: {
      snapshotUpdated: {
        subscribe: () => pubsub.subscribe("snapshotUpdated"),
        resolve: (event: PlainSnapshotEvent) => event,
      },
    },
  },
});

const yoga = createYoga({ schema, landingPage: false, graphiql: false });
type Enveloped = ReturnType<typeof yoga.getEnveloped>;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const http = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/publish") {
    void readBody(req).then((body) => {
      const event = JSON.parse(body) as PlainSnapshotEvent;
      const publishedAt = performance.timeOrigin + performance.now();
      pubsub.publish("snapshotUpdated", event);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ publishedAt }));
    });
    return;
  }
  void yoga.requestListener(req, res);
});

const wss = new WebSocketServer({ server: http, path: yoga.graphqlEndpoint });
useServer(
  {
    execute: (args) => (args.rootValue as Enveloped).execute(args),
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
    onSubscribe: async (ctx, _id, params) => {
      const { schema: enveloped, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        params,
      });
      const args: ExecutionArgs = {
        schema: enveloped,
        operationName: params.operationName,
        document: parse(params.query),
        variableValues: params.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe },
      };
      const errors = validate(args.schema, args.document);
      if (errors.length) return errors;
      return args;
    },
  },
  wss,
);

process.on("disconnect", () => process.exit(0));
http.listen(0, "127.0.0.1", () => {
  process.send?.({ type: "listening", port: (http.address() as AddressInfo).port });
});
