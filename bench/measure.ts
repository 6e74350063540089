import type { Server } from "../src/server/server.js";

export interface Timing {
  medianMs: number;
  p95Ms: number;
  samples: number[];
}

export interface TimeOptions {
  warmups: number;
  iterations: number;
}

/** Nearest-rank percentile: always one of the measured values, never an interpolation between two. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(samples: number[]): Timing {
  return { medianMs: percentile(samples, 50), p95Ms: percentile(samples, 95), samples };
}

/**
 * Times `run` sequentially. `check` sees every result, warm-ups included, outside the timed span: a
 * number is only worth reporting when the work behind it was the real work.
 */
export async function timeIt<T>(run: () => Promise<T>, check: (result: T) => void, options: TimeOptions): Promise<Timing> {
  for (let i = 0; i < options.warmups; i++) check(await run());
  const samples: number[] = [];
  for (let i = 0; i < options.iterations; i++) {
    const started = performance.now();
    const result = await run();
    samples.push(performance.now() - started);
    check(result);
  }
  return summarize(samples);
}

export type Gql = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

/** GraphQL through Yoga's fetch in-process: the full parse/validate/execute path without a socket. */
export function graphqlClient(fetch: Server["fetch"], endpoint = "http://bench.local/graphql"): Gql {
  return async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL errors: ${body.errors.map((e) => e.message).join("; ")}`);
    if (!response.ok || body.data === undefined) throw new Error(`GraphQL request failed with HTTP ${response.status}`);
    return body.data;
  };
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`sanity check failed: ${message}`);
}

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = (cell: string) => /^[\d.,×x-]+$/.test(cell) && cell !== "-";
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...rows.map(line)].join("\n");
}
