/**
 * Servers that answer the same question in their own GraphQL dialect (the service and its baselines
 * with the service's document, PostGraphile with its own): each dialect turns its answers into one
 * comparable form, and a walk page by page to a position checks that every server returns the same
 * pages before any of them is timed.
 */
import { isDeepStrictEqual } from "node:util";
import { assert } from "../measure.js";
import { fetchData, type Running } from "./harness.js";

export const PAGE = 100;

/** A page as every server's answer to it must read. */
export interface Page {
  /** The rows, each with only the fields all servers show, in the same shapes. */
  rows: unknown[];
  totalCount: number;
  hasNextPage: boolean;
  /** What else the page carries that must agree (the snapshot, change counts); null for nothing. */
  extra: unknown;
}

export interface Dialect {
  /** The request body of the page after `cursor` (null: the first page). */
  body(cursor: string | null): string;
  /** The page out of the response's data, and the cursor of its last row. */
  read(data: unknown): { page: Page; endCursor: string | null };
}

export interface Contender {
  key: string;
  label: string;
  running: Running;
  dialect: Dialect;
}

/**
 * Walks a server page by page to the row at `position` and returns the cursor its page starts after
 * (null for position 0). Each page is compared with `reference` at the same index, whose missing
 * pages this walk fills in: walk the reference server first.
 */
export async function walkTo(contender: Contender, position: number, reference: Page[]): Promise<{ cursor: string | null; page: Page }> {
  assert(position % PAGE === 0, `position ${position} is not at a page boundary`);
  let cursor: string | null = null;
  for (let from = 0; ; from += PAGE) {
    const label = `${contender.label}, page at #${from}`;
    const data = await fetchData<unknown>(label, contender.running.server.endpoint, contender.dialect.body(cursor), "");
    const { page, endCursor } = contender.dialect.read(data);
    const index = from / PAGE;
    reference[index] ??= page;
    const expected = reference[index];
    if (!isDeepStrictEqual(page, expected)) {
      const first = page.rows.findIndex((row, i) => !isDeepStrictEqual(row, expected.rows[i]));
      throw new Error(
        `sanity check failed: ${label} differs from the reference: ` +
          (first >= 0 ? `row ${from + first}: ${JSON.stringify(page.rows[first])} against ${JSON.stringify(expected.rows[first])}` : `${JSON.stringify({ ...page, rows: page.rows.length })} against ${JSON.stringify({ ...expected, rows: expected.rows.length })}`),
      );
    }
    if (from === position) return { cursor, page };
    assert(page.hasNextPage && endCursor, `${label}: the list ends before #${position}`);
    cursor = endCursor;
  }
}

/** What every response to a page must contain: its last row's `field`, as JSON.stringify writes it. */
export function lastRowMarker(page: Page, field: string): string {
  const last = page.rows.at(-1) as Record<string, unknown> | undefined;
  assert(last && typeof last[field] === "string", `the page has no last row with a ${field}`);
  return `"${field}":${JSON.stringify(last[field])}`;
}

/** A timestamp as a number, whatever text a server wrote it as (ISO with Z, or with +00:00 and microseconds). */
export function instant(value: unknown): number | null {
  if (value === null) return null;
  const ms = Date.parse(String(value));
  assert(Number.isFinite(ms), `not a timestamp: ${String(value)}`);
  return ms;
}

/** The record id inside a Relay global ID (base64 of "<Type>:<id>"), as the service and its baselines write them. */
export function globalIdKey(value: unknown): number {
  const [, id] = Buffer.from(String(value), "base64").toString("utf8").split(":");
  const key = Number(id);
  assert(Number.isSafeInteger(key) && key > 0, `not a global ID: ${String(value)}`);
  return key;
}
