import type { PrismaClient } from "../../generated/prisma/client.js";
import type { PubSub } from "../../events/pubsub.js";
import { toSnapshotEvent } from "../../events/pubsub.js";
import type { Logger } from "../../logger.js";
import type { RateLimiter } from "../../server/rate-limit.js";
import type { AgentHost, AgentHosts } from "./agent-hosts.js";
import type { AgentConnection, AgentInventory } from "./agent-inventory.js";
import type { AgentLogs } from "./agent-logs.js";
import { enrolledHost, invalidUtf8Tables } from "./host-details.js";
import { createNodeKey, createSecretCheck, hashNodeKey, isNodeKeyShape, presentedNodeKey } from "./node-keys.js";
import {
  describeIssues,
  distributedWriteSchema,
  EMPTY,
  enrollRequestSchema,
  errorAnswer,
  logRequestSchema,
  NODE_INVALID,
  nodeRequestSchema,
} from "./protocol.js";

export const ENDPOINTS = ["enroll", "config", "log", "distributed/read", "distributed/write"] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** An answer: osquery reads only the body; the status is for proxies, logs and people. */
export interface AgentAnswer {
  status: number;
  body: string;
}

export interface AgentRequest {
  /** The Authorization header, if any (osquery ≥ 5.23 sends `NodeKey <key>`). */
  authorization: string | undefined;
  /** The peer address, for the enrollment rate limit. */
  client: string;
  /** The body's objects and arrays that held strings with bytes that are not UTF-8 (JsonBody). */
  invalidUtf8: ReadonlySet<object>;
  /** The connection the request came on (its socket), to tell when the agent has given up on it. */
  connection?: AgentConnection;
}

export interface AgentApi {
  /**
   * The answer to one request. Synchronous when nothing has to wait for the database, as for nearly
   * every check-in of a known host (distributed/read with nothing due, config): those allocate no
   * promise, and a fleet makes about one such request per host every 10 s.
   */
  handle(endpoint: Endpoint, body: unknown, request: AgentRequest): AgentAnswer | Promise<AgentAnswer>;
}

export interface AgentApiOptions {
  db: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  hosts: AgentHosts;
  inventory: AgentInventory;
  logs: AgentLogs;
  /** Every enroll secret accepted now (several while one is rotated). */
  secrets: readonly string[];
  /** The osquery config every agent gets, serialised once. */
  agentConfig: string;
  enrollLimiter: RateLimiter;
  /** A host seen within this window is online; used to tell a duplicate identifier from a re-enrollment. */
  onlineWindowMs: number;
  now?: () => Date;
}

const ok = (body: string): AgentAnswer => ({ status: 200, body });
const invalid: AgentAnswer = { status: 401, body: NODE_INVALID };
const bad = (message: string): AgentAnswer => ({ status: 400, body: errorAnswer(message) });
const unavailable = (message: string): AgentAnswer => ({ status: 503, body: errorAnswer(message) });

export function createAgentApi({
  db,
  pubsub,
  logger,
  hosts,
  inventory,
  logs,
  secrets,
  agentConfig,
  enrollLimiter,
  onlineWindowMs,
  now = () => new Date(),
}: AgentApiOptions): AgentApi {
  const secretMatches = createSecretCheck(secrets);

  async function enroll(body: unknown, request: AgentRequest): Promise<AgentAnswer> {
    const budget = enrollLimiter.take(request.client);
    if (!budget.ok) {
      logger.warn({ client: request.client }, "enrollment refused: too many from this address (ENROLL_RATE_PER_MINUTE)");
      return { status: 429, body: JSON.stringify({ error: `too many enrollments from this address; retry in ${budget.retryAfterSeconds} s`, node_invalid: true }) };
    }
    const parsed = enrollRequestSchema.safeParse(body);
    if (!parsed.success) return bad(`malformed enrollment: ${describeIssues(parsed.error)}`);
    if (!secretMatches(parsed.data.enroll_secret)) {
      logger.warn({ client: request.client, hostIdentifier: parsed.data.host_identifier.slice(0, 64) }, "enrollment refused: wrong enroll secret");
      return { status: 401, body: JSON.stringify({ error: "enrollment refused: the enroll secret is not valid", node_invalid: true }) };
    }
    const details = enrolledHost(parsed.data, invalidUtf8Tables(body, request.invalidUtf8));
    const key = createNodeKey();
    const at = now();
    const previous = await db.host.findUnique({
      where: { identifier: details.identifier },
      select: { id: true, nodeKeyHash: true, lastSeenAt: true, agentInstanceId: true },
    });
    const enrolled = { ...details.fields, nodeKeyHash: new Uint8Array(hashNodeKey(key)), enrolledAt: at, lastSeenAt: at };
    const host = await db.host.upsert({
      where: { identifier: details.identifier },
      create: { identifier: details.identifier, ...enrolled },
      update: enrolled,
      select: { id: true },
    });
    if (previous?.nodeKeyHash) {
      const otherMachine =
        details.instanceId !== null &&
        previous.agentInstanceId !== null &&
        previous.agentInstanceId !== details.instanceId &&
        previous.lastSeenAt !== null &&
        at.getTime() - previous.lastSeenAt.getTime() < onlineWindowMs;
      if (otherMachine) {
        logger.warn(
          { hostId: host.id, identifier: details.identifier, client: request.client },
          "a second machine enrolled with the identifier of an online host; the newer enrollment takes over the host and the other agent's key is revoked (see README: duplicate identifiers)",
        );
      } else {
        logger.info({ hostId: host.id, client: request.client }, "agent re-enrolled; its previous node key is revoked");
      }
    } else {
      logger.info({ hostId: host.id, identifier: details.identifier, client: request.client, reused: previous !== null }, "agent enrolled");
    }
    if (details.altered.length > 0) {
      logger.warn(
        { hostId: host.id, client: request.client, altered: Object.fromEntries(details.altered.map((a) => [a.field, a.alterations])) },
        "host details stored other than the agent reported them (see README: what an enrollment stores)",
      );
    }
    pubsub.publish("agentChanged", { hostId: host.id, change: "enrolled" });
    return ok(JSON.stringify({ node_key: key }));
  }

  // The agent keeps what it sent (results in memory, log lines in its buffer) and sends it again.
  const failed = (error: unknown, endpoint: Endpoint): AgentAnswer => {
    logger.error({ err: error, endpoint }, "agent request failed");
    return unavailable("the server could not process the request; send it again later");
  };
  const settle = (answer: AgentAnswer | Promise<AgentAnswer>, endpoint: Endpoint): AgentAnswer | Promise<AgentAnswer> =>
    answer instanceof Promise ? answer.catch((error: unknown) => failed(error, endpoint)) : answer;

  /** An authenticated host's request. */
  function serve(endpoint: Exclude<Endpoint, "enroll">, host: AgentHost, body: unknown, request: AgentRequest): AgentAnswer | Promise<AgentAnswer> {
    hosts.seen(host.hostId, now());
    switch (endpoint) {
      case "config": {
        const parsed = nodeRequestSchema.safeParse(body);
        return parsed.success ? ok(agentConfig) : bad(`malformed config request: ${describeIssues(parsed.error)}`);
      }
      case "distributed/read": {
        const parsed = nodeRequestSchema.safeParse(body);
        if (!parsed.success) return bad(`malformed distributed read: ${describeIssues(parsed.error)}`);
        const queries = inventory.queriesFor(host, request.connection);
        return queries instanceof Promise ? queries.then((q) => ok(JSON.stringify({ queries: q }))) : ok(JSON.stringify({ queries }));
      }
      case "distributed/write":
        return (async () => {
          const parsed = distributedWriteSchema.safeParse(body);
          if (!parsed.success) return bad(`malformed distributed write: ${describeIssues(parsed.error)}`);
          const snapshot = await inventory.accept(host, parsed.data, request.invalidUtf8);
          if (snapshot) pubsub.publish("snapshotUpdated", toSnapshotEvent(snapshot));
          return ok(EMPTY);
        })();
      case "log":
        return (async () => {
          const parsed = logRequestSchema.safeParse(body);
          if (!parsed.success) return bad(`malformed log: ${describeIssues(parsed.error)}`);
          const result = await logs.accept(host.hostId, parsed.data);
          if (result.duplicates > 0) logger.debug({ hostId: host.hostId, ...result, logType: parsed.data.log_type }, "resent log lines ignored");
          return ok(EMPTY);
        })();
    }
  }

  return {
    handle(endpoint, body, request) {
      try {
        if (endpoint === "enroll") return settle(enroll(body, request), endpoint);
        const bodyKey = typeof body === "object" && body !== null ? (body as { node_key?: unknown }).node_key : undefined;
        const key = presentedNodeKey(request.authorization, bodyKey);
        if (key === null || !isNodeKeyShape(key)) return invalid;
        const host = hosts.authenticate(key);
        if (host instanceof Promise) return settle(host.then((h) => (h ? serve(endpoint, h, body, request) : invalid)), endpoint);
        return host ? settle(serve(endpoint, host, body, request), endpoint) : invalid;
      } catch (error) {
        return failed(error, endpoint);
      }
    },
  };
}
