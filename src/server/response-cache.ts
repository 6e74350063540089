import { createHash } from "node:crypto";
import type { ExecutionResult } from "graphql";
import { useResponseCache, type Cache } from "@graphql-yoga/plugin-response-cache";
import type { Plugin } from "graphql-yoga";
import type { PubSub } from "../events/pubsub.js";

export interface ResponseCacheOptions {
  /** How long a response may be served; bounds staleness should an invalidation be lost. 0 disables. */
  ttlMs: number;
  /** Responses kept; the least recently used go first. */
  maxEntries: number;
}

export interface ResponseCache {
  /**
   * Yoga plugin answering repeated queries from memory. `allowed` says whether a request may be
   * answered at all: the cache runs before execution, so before any access check there.
   */
  plugin(allowed: (request: Request) => boolean): Plugin;
  /**
   * Starts a new generation: every response cached so far is dropped, and one still being computed
   * from older data is filed under the old generation, where nobody asks for it.
   */
  invalidate(): void;
  /** Cached responses right now (for tests and logs). */
  size(): number;
}

interface Entry {
  result: ExecutionResult;
  expiresAt: number;
}

/**
 * Every query result depends only on the stored history, which changes only when a collection
 * commits or retention prunes. So a response can be kept until then, keyed by (generation,
 * document, variables): no per-entity bookkeeping is needed, and invalidation is one counter.
 */
export function createResponseCache({ ttlMs, maxEntries }: ResponseCacheOptions): ResponseCache {
  const entries = new Map<string, Entry>();
  let generation = 0;

  const cache: Cache = {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= Date.now()) return undefined;
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      entries.set(key, entry);
      return entry.result as ExecutionResult<Record<string, unknown>>;
    },
    set(key, result, _entities, ttl) {
      entries.delete(key);
      entries.set(key, { result, expiresAt: Date.now() + Math.min(ttl, ttlMs) });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    // Entity invalidation is not used: a new generation replaces it (invalidateViaMutation is off).
    invalidate() {},
  };

  return {
    plugin(allowed) {
      return useResponseCache({
        cache,
        ttl: ttlMs,
        // Reads do not depend on who asks; access is checked by `enabled` before the cache is used.
        session: () => null,
        enabled: (request) => ttlMs > 0 && request !== undefined && allowed(request),
        invalidateViaMutation: false,
        buildResponseCacheKey: ({ documentString, variableValues, operationName }) =>
          createHash("sha256")
            .update(`${generation}\0${operationName ?? ""}\0${JSON.stringify(variableValues ?? {})}\0${documentString}`)
            .digest("base64url"),
      });
    },
    invalidate() {
      generation++;
      entries.clear();
    },
    size: () => entries.size,
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
