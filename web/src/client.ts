import { cacheExchange, type Cache } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { Client, fetchExchange, mapExchange, subscriptionExchange, type Exchange, type OperationResult } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import { make, onEnd, pipe, subscribe } from "wonka";
import { createCoalescer } from "./coalesce.js";
import { needsToken } from "./errors.js";
import { createRefetcher } from "./refetch.js";

/**
 * Holds subscription results for `intervalMs` and lets only the newest per host through: a burst of
 * snapshotUpdated events reaches the cache, and the page, once per interval.
 */
export function coalesceExchange(intervalMs: number): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const results$ = forward(operations$);
      return make<OperationResult>((observer) => {
        const coalescer = createCoalescer<OperationResult>({
          intervalMs,
          keyOf: (result) => {
            if (result.operation.kind !== "subscription" || result.error) return null;
            const hostId = (result.data as { snapshotUpdated?: { host?: { id?: unknown } } } | undefined)?.snapshotUpdated?.host?.id;
            return typeof hostId === "string" ? `${result.operation.key}:${hostId}` : null;
          },
          emit: (items) => {
            for (const item of items) observer.next(item);
          },
        });
        const { unsubscribe } = pipe(
          results$,
          onEnd(() => {
            coalescer.flush();
            observer.complete();
          }),
          subscribe((result) => coalescer.push(result)),
        );
        return () => {
          coalescer.dispose();
          unsubscribe();
        };
      });
    };
}

/** Types without an id are stored inside their parent, never as entities of their own. */
const EMBEDDED = [
  "AgentError",
  "AppChange",
  "AppChangeEdge",
  "AppEdge",
  "ChangeCounts",
  "HostConnection",
  "HostEdge",
  "LatestDataConnection",
  "PageInfo",
  "PlatformCount",
  "SnapshotConnection",
  "SnapshotDiffConnection",
  "SnapshotEdge",
  "SoftwareChange",
  "SoftwareChangeConnection",
  "SoftwareChangeEdge",
  "SoftwareHostConnection",
  "SoftwareHostEdge",
  "SoftwareTitle",
  "SoftwareTitleConnection",
  "SoftwareTitleEdge",
  "SoftwareVersion",
  "Version",
] as const;

/** A new snapshot of a host: its timeline is read again (its apps stay on the snapshot being read). */
function onSnapshot(cache: Cache, hostId: string) {
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName === "snapshots" && field.arguments?.["hostId"] === hostId) cache.invalidate("Query", field.fieldName, field.arguments);
  }
}

export interface ConsoleClientOptions {
  /** http(s) URL of /graphql. */
  url: string;
  /** ws(s) URL of /graphql. */
  wsUrl: string;
  token: string | null;
  /** The API asked for a token (none, or a wrong one). */
  onAuthRequired: () => void;
  /** The websocket connected (true) or dropped (false). */
  onLive?: (live: boolean) => void;
  /** @default 250 */
  coalesceMs?: number;
}

export function createConsoleClient({ url, wsUrl, token, onAuthRequired, onLive, coalesceMs = 250 }: ConsoleClientOptions) {
  const authorization = token ? { authorization: `Bearer ${token}` } : {};
  const refetcher = createRefetcher();
  let connectedBefore = false;
  // A client replaced by another (a new token) says nothing more: its socket closing is no outage.
  let disposed = false;
  const ws = createWsClient({
    url: wsUrl,
    lazy: true,
    connectionParams: () => authorization,
    retryAttempts: Number.POSITIVE_INFINITY,
    // 4403: the server refused the token; asking again is the only way forward.
    shouldRetry: (event) => !(typeof event === "object" && event !== null && "code" in event && (event as { code: number }).code === 4403),
    on: {
      connected: () => {
        if (disposed) return;
        onLive?.(true);
        // The service answers again: what could not be read is read now, and after an outage every
        // query of the page, since the snapshots that landed meanwhile had no socket to arrive on.
        refetcher.refetch(connectedBefore ? "all" : "failed");
        connectedBefore = true;
      },
      closed: (event) => {
        if (disposed) return;
        onLive?.(false);
        if (typeof event === "object" && event !== null && "code" in event && (event as { code: number }).code === 4403) onAuthRequired();
      },
    },
  });
  const client = new Client({
    url,
    // POST with a JSON body: passes the server's CSRF prevention without an extra header.
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({ headers: authorization }),
    exchanges: [
      refetcher.exchange,
      mapExchange({
        onError: (error) => {
          if (needsToken(error)) onAuthRequired();
        },
      }),
      cacheExchange({
        keys: Object.fromEntries(EMBEDDED.map((t) => [t, () => null])),
        resolvers: {
          Query: { latestData: relayPagination(), snapshots: relayPagination(), snapshotDiff: relayPagination(), softwareHosts: relayPagination(), softwareChanges: relayPagination() },
          Snapshot: { changes: relayPagination() },
        },
        updates: {
          Subscription: {
            snapshotUpdated: (result, _args, cache) => {
              const hostId = (result as { snapshotUpdated?: { host?: { id?: string } } }).snapshotUpdated?.host?.id;
              if (hostId) onSnapshot(cache, hostId);
            },
          },
        },
      }),
      coalesceExchange(coalesceMs),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          // graphql-ws's results are urql's ExecutionResult; they differ only in optional-property spelling.
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink as Parameters<typeof ws.subscribe>[1]) }),
        }),
      }),
    ],
  });
  const dispose = () => {
    disposed = true;
    void ws.dispose();
  };
  return { client, dispose, retry: () => void refetcher.refetch("failed") };
}
