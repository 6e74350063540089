import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzip } from "node:zlib";
import type { Logger } from "../../logger.js";
import { readBoundedBody } from "../../server/request-body.js";
import { ENDPOINTS, type AgentApi, type Endpoint } from "./agent-api.js";
import { parseJsonBody, type JsonBody } from "./json-body.js";
import { errorAnswer } from "./protocol.js";

/**
 * Fleet's paths, so a flagfile written for Fleet works unchanged; fleetd uses the /api/v1 aliases.
 * The query string is ignored (`--tls_secret_always` appends the enroll secret to every URI).
 */
const PATH = /^\/api\/(?:v1\/)?osquery\/(enroll|config|log|distributed\/read|distributed\/write)(?:\?.*)?$/;

/** Enroll, config and read bodies are a few kilobytes at most. */
const SMALL_BODY_BYTES = 64 * 1024;

export interface AgentHttpOptions {
  api: AgentApi;
  logger: Logger;
  /** Largest distributed write or log body, compressed and once decompressed (AGENT_MAX_BODY_BYTES). */
  maxBodyBytes: number;
}

export interface AgentHttp {
  /** Whether the request is for the agent API (so the GraphQL server leaves it alone). */
  matches(url: string | undefined): boolean;
  handle(req: IncomingMessage, res: ServerResponse, client: string): void;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Decompresses within the same bound as the body: a small gzip bomb is refused, not inflated. */
function decode(body: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const kind = encoding?.trim().toLowerCase();
  if (!kind || kind === "identity") return Promise.resolve(body);
  if (kind !== "gzip") return Promise.reject(new RequestError(415, "unsupported Content-Encoding; osquery sends gzip or none"));
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (!error) return resolve(result);
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
        return reject(new RequestError(413, `request body too large once decompressed: at most ${limit} bytes`));
      }
      reject(new RequestError(400, "the body is not valid gzip"));
    });
  });
}

function send(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" }).end(body);
}

export function createAgentHttp({ api, logger, maxBodyBytes }: AgentHttpOptions): AgentHttp {
  const refuse = (res: ServerResponse, error: RequestError, endpoint: Endpoint, client: string) => {
    logger.warn({ endpoint, client, status: error.status, reason: error.message }, "agent request refused");
    if (error.status === 413) res.setHeader("connection", "close");
    send(res, error.status, errorAnswer(error.message));
  };
  const fail = (res: ServerResponse, error: unknown) => {
    logger.error({ err: error }, "agent request failed");
    if (!res.headersSent) send(res, 500, errorAnswer("internal error; send the request again later"));
    else res.destroy();
  };

  // Runs for every check-in: no named closures per request (tsx's keepNames gives each one a
  // defineProperty call) and no promise beyond the body's unless the answer waits for the database.
  async function respond(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, client: string, limit: number) {
    let body: JsonBody;
    let read: Buffer | null;
    try {
      read = await readBoundedBody(req, limit);
    } catch {
      // The agent went away mid-body: nobody is left to answer.
      logger.debug({ endpoint, client }, "agent closed the connection before its body ended");
      return;
    }
    try {
      if (read === null) throw new RequestError(413, `request body too large: at most ${limit} bytes`);
      const encoding = req.headers["content-encoding"];
      const raw = encoding === undefined ? read : await decode(read, encoding, limit);
      try {
        body = parseJsonBody(raw);
      } catch {
        throw new RequestError(400, "the body is not JSON");
      }
    } catch (error) {
      if (error instanceof RequestError) return refuse(res, error, endpoint, client);
      throw error;
    }
    const answer = api.handle(endpoint, body.value, { authorization: req.headers.authorization, client, invalidUtf8: body.invalidUtf8, connection: req.socket });
    if (answer instanceof Promise) {
      const settled = await answer;
      send(res, settled.status, settled.body);
    } else send(res, answer.status, answer.body);
  }

  return {
    matches: (url) => url !== undefined && PATH.test(url),
    handle(req, res, client) {
      const endpoint = PATH.exec(req.url ?? "")?.[1] as Endpoint | undefined;
      if (!endpoint || !ENDPOINTS.includes(endpoint)) return send(res, 404, errorAnswer("no such agent endpoint"));
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        return send(res, 405, errorAnswer("agent endpoints take POST"));
      }
      const limit = endpoint === "log" || endpoint === "distributed/write" ? maxBodyBytes : SMALL_BODY_BYTES;
      const declared = req.headers["content-length"];
      if (declared !== undefined && Number(declared) > limit) {
        return refuse(res, new RequestError(413, `request body too large: at most ${limit} bytes`), endpoint, client);
      }
      respond(req, res, endpoint, client, limit).catch((error: unknown) => fail(res, error));
    },
  };
}
