import type { Read } from "../db/read.js";
import { HOST_STATEMENTS } from "./app-statements.js";
import { HOST_COLUMNS, hostCountStatement, hostPageStatement, type HostColumnSet, type HostFilterValues, type ListedHost } from "./host-statements.js";

export type { HostFilterValues };

/** Column sets of one statement family with a statement of their own (Columns.bounded). */
export const HOST_COLUMN_SETS = 64;

/**
 * Which host a host-scoped read is about, and lists of hosts: sent through Database.read, past
 * Prisma's client, whose per-row work cost a page of 100 hosts more than the rest of the request
 * (README "Performance").
 */
export interface HostQueries {
  exists(id: number): Promise<boolean>;
  /** This service's own machine (the newest local host), if there is one. */
  local(): Promise<number | null>;
  /** Up to two host ids, oldest first: whether there is exactly one host. */
  firstTwo(): Promise<number[]>;
  /** Up to `take` hosts of the filter within the id range, in `direction` of id, with `columns` (and maybe more). */
  page(filter: HostFilterValues, columns: HostColumnSet, range: { gt?: number; lt?: number }, direction: "asc" | "desc", take: number): Promise<ListedHost[]>;
  count(filter: HostFilterValues): Promise<number>;
}

export function createHostQueries(read: Read): HostQueries {
  const columnSet = HOST_COLUMNS.bounded(HOST_COLUMN_SETS);
  const ids = async (rows: Promise<{ id: number }[]>) => (await rows).map((row) => row.id);
  return {
    exists: async (id) => (await read(HOST_STATEMENTS.exists, [id])).length > 0,
    local: async () => (await ids(read(HOST_STATEMENTS.local, [])))[0] ?? null,
    firstTwo: () => ids(read(HOST_STATEMENTS.firstTwo, [])),
    page: (filter, columns, range, direction, take) => read<ListedHost>(...hostPageStatement(filter, columnSet(columns), range, direction, take)),
    count: async (filter) => (await read<{ n: number }>(...hostCountStatement(filter)))[0]?.n ?? 0,
  };
}
