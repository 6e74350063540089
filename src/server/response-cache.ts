import { createHash } from "node:crypto";
import { getOperationAST, Kind, type ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { LRUCache } from "lru-cache";
import type { ResponseHints } from "../context.js";
import type { PubSub } from "../events/pubsub.js";

export interface ResponseCacheOptions {
  /** How long a response may be served; bounds staleness should an invalidation be lost. 0 disables. */
  ttlMs: number;
  /** Responses kept; the least recently used go first. */
  maxEntries: number;
  /** Bytes of serialised responses kept in all; the least recently used go first. */
  maxBytes: number;
  /** A response whose serialised form is larger than this is never kept. */
  maxEntryBytes: number;
}

export interface ResponseCache {
  /**
   * Yoga plugin answering repeated queries from memory. `allowed` says whether a request may be
   * answered at all: the cache runs before execution, so before any access check there.
   */
  plugin(allowed: (request: Request) => boolean): Plugin;
  /**
   * The stored data changed: of one host (responses that may depend on it are dropped, and one still
   * being computed from older data is not kept), or, without a host, of any (all are dropped).
   */
  invalidate(hostId?: number): void;
  /** Cached responses right now (for tests and logs). */
  size(): number;
  /** Bytes of the cached responses right now. */
  bytes(): number;
  /** Stops the expiry sweep and drops every response; idempotent. */
  close(): void;
}

interface Entry {
  /** The response body as it was first sent; a hit sends it again as is. */
  body: string;
  bytes: number;
  lastModified: string;
  /** Its key and when it was stored: a response stored again later under the same key has another. */
  etag: string;
  /** The hosts whose data it was computed from; null: it may depend on any host. */
  hosts: number[] | null;
}

/** A request that was not answered from the cache, and what its answer would be filed under. */
interface Miss {
  key: string;
  /** The change count when the request started: changes after it may not be in the answer. */
  tick: number;
  query: boolean;
  /** Root fields of the operation; -1 when a fragment is spread at the root (not counted). */
  rootFields: number;
}

/** Yoga's result processors write `stringify()` instead of serialising the result themselves. */
type SerialisedResult = ExecutionResult & { stringify: () => string };

/** Expired entries leave within this long even if nobody asks for them. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Every query result depends only on the stored history, which changes only when a collection
 * commits, an agent enrolls or is revoked, or retention prunes. So a response can be kept until then,
 * keyed by (document, variables). Resolvers that read the data of named hosts only say so
 * (ResponseHints.scope); such a response stays while other hosts report, and every other response
 * goes at any change.
 */
export function createResponseCache({ ttlMs, maxEntries, maxBytes, maxEntryBytes }: ResponseCacheOptions): ResponseCache {
  /** Keys of the responses computed from each host's data, and of those that may depend on any host. */
  const byHost = new Map<number, Set<string>>();
  const unscoped = new Set<string>();
  const unindex = (key: string, entry: Entry) => {
    if (entry.hosts === null) return void unscoped.delete(key);
    for (const host of entry.hosts) {
      const keys = byHost.get(host);
      keys?.delete(key);
      if (keys?.size === 0) byHost.delete(host);
    }
  };
  const entries = new LRUCache<string, Entry>({
    max: maxEntries,
    maxSize: maxBytes,
    maxEntrySize: maxEntryBytes,
    sizeCalculation: (entry) => entry.bytes,
    dispose: (entry, key) => unindex(key, entry),
    ...(ttlMs > 0 ? { ttl: ttlMs } : {}),
  });
  // Changes are counted; a response may be kept only if no change it could depend on came after its
  // request started. Per host: the count at its last change (hosts that changed since start-up).
  let tick = 0;
  let anyChangedAt = 0;
  let allChangedAt = 0;
  const hostChangedAt = new Map<number, number>();
  // lru-cache drops an expired entry only when it is looked up; without a sweep, large responses
  // nobody asks for again would stay until evicted.
  let sweep: NodeJS.Timeout | null = ttlMs > 0 ? setInterval(() => entries.purgeStale(), Math.min(ttlMs, SWEEP_INTERVAL_MS)) : null;
  sweep?.unref();

  const keyOf = (query: string | undefined, variables: unknown, operationName: string | undefined) =>
    createHash("sha256")
      .update(`${operationName ?? ""}\0${JSON.stringify(variables ?? {})}\0${query ?? ""}`)
      .digest("base64url");
  /** The hosts a finished response depends on, or null for any; undefined when it must not be kept. */
  const scopeOf = (miss: Miss, hints: ResponseHints | undefined): number[] | null | undefined => {
    const scope = hints?.scope;
    const scoped = scope !== undefined && miss.rootFields > 0 && scope.fields.size === miss.rootFields && scope.hosts.size > 0;
    if (!scoped) return anyChangedAt > miss.tick ? undefined : null;
    if (allChangedAt > miss.tick) return undefined;
    for (const host of scope.hosts) if ((hostChangedAt.get(host) ?? 0) > miss.tick) return undefined;
    return [...scope.hosts];
  };
  const served = (entry: Entry): SerialisedResult => ({
    stringify: () => entry.body,
    extensions: { http: { headers: { etag: entry.etag, "last-modified": entry.lastModified } } },
  });

  return {
    plugin(allowed) {
      const cacheable = (request: Request) => ttlMs > 0 && allowed(request);
      const misses = new WeakMap<Request, Miss>();
      return {
        onRequest({ request, fetchAPI, endResponse }) {
          const etag = request.headers.get("if-none-match");
          if (etag === null || !cacheable(request)) return;
          const entry = entries.get(etag.slice(0, Math.max(0, etag.lastIndexOf("."))));
          if (entry?.etag !== etag) return;
          const since = request.headers.get("if-modified-since");
          if (since !== null && !(new Date(since).getTime() >= new Date(entry.lastModified).getTime())) return;
          endResponse(new fetchAPI.Response(null, { status: 304, headers: { etag, "last-modified": entry.lastModified } }));
        },
        onParams({ params, request, setResult }) {
          if (!cacheable(request)) return;
          const key = keyOf(params.query, params.variables, params.operationName);
          const entry = entries.get(key);
          if (entry) setResult(served(entry));
          else misses.set(request, { key, tick, query: false, rootFields: -1 });
        },
        onExecute({ args }) {
          const request = (args.contextValue as { request?: Request }).request;
          const miss = request && misses.get(request);
          const operation = miss && getOperationAST(args.document, args.operationName);
          if (!miss || operation?.operation !== "query") return;
          miss.query = true;
          const selections = operation.selectionSet.selections;
          miss.rootFields = selections.every((selection) => selection.kind === Kind.FIELD) ? selections.length : -1;
        },
        onExecutionResult({ request, result, setResult, context }) {
          const miss = misses.get(request);
          if (!miss) return;
          misses.delete(request);
          // Only a whole, error-free query answer from the stored history alone, with no change it could
          // depend on since its request started.
          if (!miss.query || !result || isAsyncIterable(result)) return;
          const hints = (context as { response?: ResponseHints }).response;
          if (hints?.volatile) return;
          if (result.errors?.length || result.extensions?.http) return;
          const hosts = scopeOf(miss, hints);
          if (hosts === undefined) return;
          // What Yoga would send for this result; serialised here once, kept, and handed back so
          // that Yoga writes it instead of serialising again.
          const body = JSON.stringify(result);
          const entry: Entry = { body, bytes: Buffer.byteLength(body), lastModified: new Date().toUTCString(), etag: `${miss.key}.${tick}`, hosts };
          // lru-cache refuses an entry over maxEntrySize; that response is sent without an ETag.
          entries.set(miss.key, entry);
          if (entries.get(miss.key) === entry) {
            if (hosts === null) unscoped.add(miss.key);
            else for (const host of hosts) byHost.set(host, (byHost.get(host) ?? new Set()).add(miss.key));
          }
          setResult({ ...result, ...(entries.has(miss.key) ? served(entry) : { stringify: () => body }) });
        },
      };
    },
    invalidate(hostId) {
      anyChangedAt = ++tick;
      if (hostId === undefined) {
        allChangedAt = tick;
        hostChangedAt.clear();
        entries.clear();
        return;
      }
      hostChangedAt.set(hostId, tick);
      for (const key of [...unscoped, ...(byHost.get(hostId) ?? [])]) entries.delete(key);
    },
    size: () => entries.size,
    bytes: () => entries.calculatedSize,
    close() {
      if (sweep) clearInterval(sweep);
      sweep = null;
      entries.clear();
    },
  };
}

/**
 * Drops what each change to the stored history may have made stale, on this instance or another.
 * Call it before any subscription exists: listeners run in the order they were added, so every
 * subscriber hears of a snapshot only after the responses that predate it are gone.
 */
export function invalidateOnChanges(cache: Pick<ResponseCache, "invalidate">, pubsub: Pick<PubSub, "listen">): void {
  pubsub.listen("snapshotUpdated", (snapshot) => cache.invalidate(snapshot.hostId));
  pubsub.listen("historyPruned", () => cache.invalidate());
  // Enrollment, revocation and refresh requests change what host queries show.
  pubsub.listen("agentChanged", (event) => cache.invalidate(event.hostId));
}
