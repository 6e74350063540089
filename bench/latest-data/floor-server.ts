/**
 * The floor: node:http and `pg`, no GraphQL. It ignores the query text, reads first/after from the
 * variables, runs the service's statements and writes the JSON the benchmark's query gets from the
 * service: about the least a Node server can spend on this request while still doing its work.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import { BadRequestError, createLatestDataSource, encodeCursor, globalId, type LatestDataArgs, type LatestDataPage } from "./pg-source.js";
import { serveBaseline } from "./serve-baseline.js";

function toJson(page: LatestDataPage) {
  const { snapshot } = page;
  const edges = snapshot
    ? page.apps.map((app) => ({
        cursor: encodeCursor(snapshot.id, app.id),
        node: {
          id: globalId("App", app.id),
          name: app.name,
          version: app.version,
          source: app.source,
          publisher: app.publisher,
          firstSeenAt: app.firstSeenAt.toISOString(),
        },
      }))
    : [];
  return {
    totalCount: page.totalCount,
    snapshot: snapshot && { id: globalId("Snapshot", snapshot.id), collectedAt: snapshot.collectedAt.toISOString() },
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/graphql-response+json; charset=utf-8" }).end(JSON.stringify(body));
}

const failure = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function variablesOf(text: string): LatestDataArgs {
  const body = JSON.parse(text) as { variables?: { first?: unknown; after?: unknown } | null };
  const { first, after } = body.variables ?? {};
  if ((first != null && typeof first !== "number") || (after != null && typeof after !== "string")) {
    throw new BadRequestError("first must be an Int and after a String");
  }
  return { first: first ?? null, after: after ?? null };
}

function createFloorHandler(pool: pg.Pool) {
  const source = createLatestDataSource(pool);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || req.url !== "/graphql") return send(res, 404, failure("POST /graphql", "NOT_FOUND"));
    try {
      const page = await source.read(variablesOf(await readBody(req)));
      send(res, 200, { data: { latestData: toJson(page) } });
    } catch (error) {
      if (error instanceof BadRequestError || error instanceof SyntaxError) return send(res, 400, failure(error.message, "BAD_USER_INPUT"));
      process.stderr.write(`floor: ${error instanceof Error ? error.stack : String(error)}\n`);
      send(res, 500, failure("Unexpected error.", "INTERNAL_SERVER_ERROR"));
    }
  };
  return (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
}

await serveBaseline("floor", createFloorHandler);
