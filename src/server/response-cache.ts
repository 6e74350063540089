import { createHash } from "node:crypto";
import { getOperationAST, type ExecutionResult } from "graphql";
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
   * Starts a new generation: every response cached so far is dropped, and one still being computed
   * from older data is not kept.
   */
  invalidate(): void;
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
}

/** A request that was not answered from the cache, and what its answer would be filed under. */
interface Miss {
  key: string;
  generation: number;
  query: boolean;
}

/** Yoga's result processors write `stringify()` instead of serialising the result themselves. */
type SerialisedResult = ExecutionResult & { stringify: () => string };

/** Expired entries leave within this long even if nobody asks for them. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Every query result depends only on the stored history, which changes only when a collection
 * commits or retention prunes. So a response can be kept until then, keyed by (generation,
 * document, variables): no per-entity bookkeeping is needed, and invalidation is one counter.
 */
export function createResponseCache({ ttlMs, maxEntries, maxBytes, maxEntryBytes }: ResponseCacheOptions): ResponseCache {
  const entries = new LRUCache<string, Entry>({
    max: maxEntries,
    maxSize: maxBytes,
    maxEntrySize: maxEntryBytes,
    sizeCalculation: (entry) => entry.bytes,
    ...(ttlMs > 0 ? { ttl: ttlMs } : {}),
  });
  let generation = 0;
  // lru-cache drops an expired entry only when it is looked up; without a sweep, large responses
  // nobody asks for again would stay until evicted.
  let sweep: NodeJS.Timeout | null = ttlMs > 0 ? setInterval(() => entries.purgeStale(), Math.min(ttlMs, SWEEP_INTERVAL_MS)) : null;
  sweep?.unref();

  const keyOf = (query: string | undefined, variables: unknown, operationName: string | undefined) =>
    createHash("sha256")
      .update(`${generation}\0${operationName ?? ""}\0${JSON.stringify(variables ?? {})}\0${query ?? ""}`)
      .digest("base64url");
  const served = (entry: Entry, key: string): SerialisedResult => ({
    stringify: () => entry.body,
    extensions: { http: { headers: { etag: key, "last-modified": entry.lastModified } } },
  });

  return {
    plugin(allowed) {
      const cacheable = (request: Request) => ttlMs > 0 && allowed(request);
      const misses = new WeakMap<Request, Miss>();
      return {
        onRequest({ request, fetchAPI, endResponse }) {
          const etag = request.headers.get("if-none-match");
          if (etag === null || !cacheable(request)) return;
          const entry = entries.get(etag);
          if (!entry) return;
          const since = request.headers.get("if-modified-since");
          if (since !== null && !(new Date(since).getTime() >= new Date(entry.lastModified).getTime())) return;
          endResponse(new fetchAPI.Response(null, { status: 304, headers: { etag, "last-modified": entry.lastModified } }));
        },
        onParams({ params, request, setResult }) {
          if (!cacheable(request)) return;
          const key = keyOf(params.query, params.variables, params.operationName);
          const entry = entries.get(key);
          if (entry) setResult(served(entry, key));
          else misses.set(request, { key, generation, query: false });
        },
        onExecute({ args }) {
          const request = (args.contextValue as { request?: Request }).request;
          const miss = request && misses.get(request);
          if (miss && getOperationAST(args.document, args.operationName)?.operation === "query") miss.query = true;
        },
        onExecutionResult({ request, result, setResult, context }) {
          const miss = misses.get(request);
          if (!miss) return;
          misses.delete(request);
          // Only a whole, error-free query answer, computed in the generation its request started in,
          // from the stored history alone.
          if (!miss.query || miss.generation !== generation || !result || isAsyncIterable(result)) return;
          if ((context as { response?: ResponseHints }).response?.volatile) return;
          if (result.errors?.length || result.extensions?.http) return;
          // What Yoga would send for this result; serialised here once, kept, and handed back so
          // that Yoga writes it instead of serialising again.
          const body = JSON.stringify(result);
          const entry: Entry = { body, bytes: Buffer.byteLength(body), lastModified: new Date().toUTCString() };
          // lru-cache refuses an entry over maxEntrySize; that response is sent without an ETag.
          entries.set(miss.key, entry);
          setResult({ ...result, ...(entries.has(miss.key) ? served(entry, miss.key) : { stringify: () => body }) });
        },
      };
    },
    invalidate() {
      generation++;
      entries.clear();
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
 * Starts a new cache generation on every change to the stored history, on this instance or another.
 * Call it before any subscription exists: listeners run in the order they were added, so every
 * subscriber hears of a snapshot only after the responses that predate it are gone.
 */
export function invalidateOnChanges(cache: Pick<ResponseCache, "invalidate">, pubsub: Pick<PubSub, "listen">): void {
  pubsub.listen("snapshotUpdated", () => cache.invalidate());
  pubsub.listen("historyPruned", () => cache.invalidate());
  // Enrollment, revocation and refresh requests change what host queries show.
  pubsub.listen("agentChanged", () => cache.invalidate());
}
