import { decodeGlobalID } from "@pothos/plugin-relay";
import { badInput } from "../errors.js";

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface PagingArgs {
  first?: number | null | undefined;
  last?: number | null | undefined;
  after?: string | null | undefined;
  before?: string | null | undefined;
}

export interface PageSize {
  first: number | null;
  last: number | null;
}

/** Validates first/last the same way for every connection; neither given means the first 10. */
export function pageSize(args: PagingArgs): PageSize {
  const { first, last } = args;
  if (first != null && last != null) throw badInput("pass either first or last, not both", "first");
  for (const [name, value] of [["first", first], ["last", last]] as const) {
    if (value != null && (value < 0 || value > MAX_PAGE_SIZE)) {
      throw badInput(`${name} must be between 0 and ${MAX_PAGE_SIZE}, got ${value}`, name);
    }
  }
  if (first == null && last == null) return { first: DEFAULT_PAGE_SIZE, last: null };
  return { first: first ?? null, last: last ?? null };
}

/**
 * Cursors are opaque to clients: base64url of "<kind>:<numbers>". The kind stops a cursor of one
 * connection from being replayed on another; everything a cursor names is checked again on use.
 */
export function encodeCursor(kind: string, parts: number[]): string {
  return Buffer.from(`${kind}:${parts.join(":")}`, "utf8").toString("base64url");
}

/** The numbers of a cursor of this kind and arity; null for anything else. */
export function cursorParts(kind: string, value: string, arity: number): number[] | null {
  if (value.length > 200 || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const text = Buffer.from(value, "base64url").toString("utf8");
  const [prefix, ...rest] = text.split(":");
  if (prefix !== kind || rest.length !== arity || rest.some((p) => !/^[1-9]\d{0,9}$/.test(p))) return null;
  const numbers = rest.map(Number);
  return numbers.some((n) => n > 2_147_483_647) ? null : numbers;
}

export function decodeCursor(kind: string, value: string, arity: number, argument: string): number[] {
  const numbers = cursorParts(kind, value, arity);
  if (!numbers) throw badInput(`${argument} is not a valid cursor for this field; use a cursor it returned`, argument);
  return numbers;
}

/** Longer than any ID this API hands out; such input is refused before it is decoded. */
const MAX_ID_LENGTH = 100;

function decodeGlobalId(value: string): { typename: string; id: string } | null {
  if (value.length > MAX_ID_LENGTH) return null;
  try {
    return decodeGlobalID(value);
  } catch {
    return null;
  }
}

/** The database key a global ID's id part names: a positive 32-bit integer, as every table's id is; null for anything else. */
function recordKey(id: string): number | null {
  return /^[1-9]\d{0,9}$/.test(id) && Number(id) <= 2_147_483_647 ? Number(id) : null;
}

/** Reads a Relay global ID of the given type; anything else is the caller's mistake, not a server error. */
export function decodeId(typename: string, value: string, argument: string): number {
  const decoded = decodeGlobalId(value);
  const key = decoded?.typename === typename ? recordKey(decoded.id) : null;
  if (key === null) throw badInput(`${argument} is not a valid ${typename} ID`, argument);
  return key;
}

/**
 * Reads an ID given to node/nodes. One that does not name a node type of this API is malformed
 * (BAD_USER_INPUT, without the input, which may be large); one of a node type whose key no record
 * can have (`Snapshot:abc`) names nothing, like a deleted record, and is null.
 */
export function decodeNodeId(value: string, argument: string, isNodeType: (typename: string) => boolean): { typename: string; id: string } | null {
  const decoded = decodeGlobalId(value);
  if (!decoded || !isNodeType(decoded.typename)) throw badInput(`${argument} is not a valid node ID`, argument);
  const key = recordKey(decoded.id);
  return key === null ? null : { typename: decoded.typename, id: String(key) };
}

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: PageInfo;
}

export function emptyConnection<T>(): Connection<T> {
  return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
}

export type IdRange = { gt?: number; lt?: number };

/**
 * A connection ordered by a unique integer id, with cursors "<kind>:<id>". `load` fetches up to
 * `take` rows within `range`, in `direction`; one extra row tells whether there are more.
 */
export async function connectionById<T extends { id: number }>(
  args: PagingArgs,
  kind: string,
  order: "asc" | "desc",
  load: (range: IdRange, direction: "asc" | "desc", take: number) => Promise<T[]>,
): Promise<Connection<T>> {
  const { first, last } = pageSize(args);
  const after = args.after ? decodeCursor(kind, args.after, 1, "after")[0] : undefined;
  const before = args.before ? decodeCursor(kind, args.before, 1, "before")[0] : undefined;
  // "after" means further along the list: larger ids when ascending, smaller when descending.
  const further = order === "asc" ? "gt" : "lt";
  const nearer = order === "asc" ? "lt" : "gt";
  const range: IdRange = {
    ...(after !== undefined ? { [further]: after } : {}),
    ...(before !== undefined ? { [nearer]: before } : {}),
  };
  const reverse = order === "asc" ? "desc" : "asc";
  const size = first ?? last ?? 0;
  const rows = await load(range, first !== null ? order : reverse, size + 1);
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (first === null) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(kind, [node.id]), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: first !== null ? more : before !== undefined,
      hasPreviousPage: first !== null ? after !== undefined : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
