export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one call from the client's budget. */
  take(client: string): RateDecision;
}

export interface RateLimiterOptions {
  /** Calls allowed per minute; also the burst a quiet client may spend at once. */
  perMinute: number;
  now?: () => number;
  /** Clients tracked at most; beyond it the least recently seen are forgotten (a forgotten client starts full). @default 10000 */
  maxClients?: number;
}

/** A token bucket per client, refilled continuously, in memory of this process. */
export function createRateLimiter({ perMinute, now = Date.now, maxClients = 10_000 }: RateLimiterOptions): RateLimiter {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client) {
      const t = now();
      const bucket = buckets.get(client) ?? { tokens: perMinute, at: t };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.delete(client);
      buckets.set(client, bucket);
      if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}
