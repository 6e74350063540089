import type { Read } from "../db/read.js";
import { HOST_STATEMENTS } from "./app-statements.js";

/** What every host-scoped read asks first: which host it is about. Sent through Database.read. */
export interface HostQueries {
  exists(id: number): Promise<boolean>;
  /** This service's own machine (the newest local host), if there is one. */
  local(): Promise<number | null>;
  /** Up to two host ids, oldest first: whether there is exactly one host. */
  firstTwo(): Promise<number[]>;
}

export function createHostQueries(read: Read): HostQueries {
  const ids = async (rows: Promise<{ id: number }[]>) => (await rows).map((row) => row.id);
  return {
    exists: async (id) => (await read(HOST_STATEMENTS.exists, [id])).length > 0,
    local: async () => (await ids(read(HOST_STATEMENTS.local, [])))[0] ?? null,
    firstTwo: () => ids(read(HOST_STATEMENTS.firstTwo, [])),
  };
}
