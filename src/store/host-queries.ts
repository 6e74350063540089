import type { Instant } from "../db/instant.js";
import type { Read } from "../db/read.js";
import type { Host } from "../generated/prisma/client.js";
import { HOST_STATEMENTS } from "./app-statements.js";
import { hostCountStatement, hostPageStatement, type HostFilterValues, type UnlistedHostKey } from "./host-statements.js";

export type { HostFilterValues };

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
  /** Up to `take` hosts of the filter within the id range, in `direction` of id. */
  page(filter: HostFilterValues, range: { gt?: number; lt?: number }, direction: "asc" | "desc", take: number): Promise<Host[]>;
  count(filter: HostFilterValues): Promise<number>;
}

type HostInstantKey = "enrolledAt" | "lastSeenAt" | "inventoryRequestedAt" | "createdAt";

/**
 * A hosts row as HOST_COLUMNS_SQL reads it: int8 columns as text, the same on PostgreSQL and PGlite,
 * and times as Instants (the host statements set isoInstants).
 */
export type HostRow = Omit<Host, "physicalMemory" | "resultLines" | HostInstantKey | UnlistedHostKey> & {
  physicalMemory: string | null;
  resultLines: string;
} & { [K in HostInstantKey]: Instant | Extract<Host[K], null> };

/**
 * Rows read with HOST_COLUMNS_SQL as Prisma's client reads hosts, but for their times, Instants where
 * Host says Date, and without the columns no field of Host reads (UnlistedHostKey): Host's fields read
 * times only through the DateTime scalar and instantTime (schema/host.ts).
 */
export function hostRows(rows: HostRow[]): Host[] {
  for (const row of rows) {
    const host = row as unknown as Host;
    host.physicalMemory = row.physicalMemory === null ? null : BigInt(row.physicalMemory);
    host.resultLines = BigInt(row.resultLines);
  }
  return rows as unknown as Host[];
}

export function createHostQueries(read: Read): HostQueries {
  const ids = async (rows: Promise<{ id: number }[]>) => (await rows).map((row) => row.id);
  return {
    exists: async (id) => (await read(HOST_STATEMENTS.exists, [id])).length > 0,
    local: async () => (await ids(read(HOST_STATEMENTS.local, [])))[0] ?? null,
    firstTwo: () => ids(read(HOST_STATEMENTS.firstTwo, [])),
    page: async (filter, range, direction, take) => hostRows(await read<HostRow>(...hostPageStatement(filter, range, direction, take))),
    count: async (filter) => (await read<{ n: number }>(...hostCountStatement(filter)))[0]?.n ?? 0,
  };
}
