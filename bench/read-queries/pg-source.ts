/**
 * hosts, software, softwareHosts and snapshotDiff for the yoga baseline, read with raw `pg`: the
 * statements the service sends for the benchmark's queries, one for one and in the same order, so
 * the database does the same work for both servers and what differs is the Node side.
 */
import type pg from "pg";
import type { Statement } from "../../src/db/read.js";
import { DIFF_STATEMENTS, SNAPSHOT_STATEMENTS } from "../../src/store/app-statements.js";
import type { StoredApp } from "../../src/store/app-queries.js";
import { computeDiff, type Diff } from "../../src/store/history.js";
import { HOST_COLUMNS, hostCountStatement, hostPageStatement } from "../../src/store/host-statements.js";
import {
  SOFTWARE_STATEMENTS,
  softwareHostCountStatement,
  softwareHostsStatement,
  titleCountStatement,
  titlePageStatement,
  type SoftwareHostFilter,
  type TitlePosition,
} from "../../src/store/software-statements.js";
import type { SnapshotRow } from "../latest-data/pg-source.js";

export class BadRequestError extends Error {
  override name = "BadRequestError";
}

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  const size = first ?? 10;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) throw new BadRequestError(`first must be between 0 and ${MAX_PAGE_SIZE}`);
  return size;
}

/** The service's cursors: base64url of "<kind>:<numbers>". */
export const encodeCursor = (kind: string, parts: number[]) => Buffer.from(`${kind}:${parts.join(":")}`, "utf8").toString("base64url");

export function decodeCursor(kind: string, value: string, arity: number): number[] {
  const [prefix, ...rest] = Buffer.from(value, "base64url").toString("utf8").split(":");
  const numbers = rest.map(Number);
  if (prefix !== kind || rest.length !== arity || !numbers.every((n) => Number.isSafeInteger(n) && n > 0 && n <= 2_147_483_647)) {
    throw new BadRequestError("not a valid cursor for this field");
  }
  return numbers;
}

/** A title's cursor, as the service writes it: base64url of JSON ["title", source, name]. */
export const encodeTitleCursor = (title: { source: string; name: string }) =>
  Buffer.from(JSON.stringify(["title", title.source, title.name]), "utf8").toString("base64url");

export function decodeTitleCursor(value: string): { source: string; name: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw new BadRequestError("not a valid cursor for software");
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== "title" || typeof parsed[1] !== "string" || typeof parsed[2] !== "string") {
    throw new BadRequestError("not a valid cursor for software");
  }
  return { source: parsed[1], name: parsed[2] };
}

/**
 * The columns the service reads for the benchmark's pages of hosts and softwareHosts (each reads the
 * columns its selection shows: bench/read-queries.ts' HOST_FIELDS and SOFTWARE_HOST_FIELDS), so this
 * baseline sends the same statements.
 */
const HOSTS_COLUMNS = HOST_COLUMNS.of(["hostname", "platform", "osName", "osVersion", "osqueryVersion", "hardwareVendor", "hardwareModel", "cpuBrand", "enrolledAt", "lastSeenAt", "createdAt"]);
const SOFTWARE_HOSTS_COLUMNS = HOST_COLUMNS.of(["hostname", "platform", "osName", "osVersion", "lastSeenAt"]);

/** The host columns the benchmark's queries show. */
export interface HostRow {
  id: number;
  hostname: string;
  platform: string | null;
  osName: string | null;
  osVersion: string | null;
  osqueryVersion: string | null;
  hardwareVendor: string | null;
  hardwareModel: string | null;
  cpuBrand: string | null;
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  createdAt: Date;
}

export interface TitleRow {
  source: string;
  name: string;
  hostCount: number;
  versions: { version: string | null; hostCount: number }[];
}

const exact = (value: string | null) => (value === null ? null : value.slice(1));

export function createReadSource(pool: pg.Pool) {
  const rows = async <T>(statement: Statement, values: unknown[] = []) =>
    (await pool.query({ name: statement.name, text: statement.text, values })).rows as T[];


  const snapshot = async (id: number) => {
    const [found] = await rows<SnapshotRow>(SNAPSHOT_STATEMENTS.byId, [id]);
    if (!found || found.status !== "SUCCEEDED") throw new BadRequestError(`snapshot ${id} is not a SUCCEEDED snapshot`);
    return found;
  };

  return {
    /** Hosts in id order after `after`, one more than asked, and the count of all. */
    async hosts(after: number | null, take: number): Promise<{ hosts: HostRow[]; totalCount: number }> {
      const [hosts, [count]] = await Promise.all([
        rows<HostRow>(...hostPageStatement({}, HOSTS_COLUMNS, after === null ? {} : { gt: after }, "asc", take + 1)),
        rows<{ n: number }>(...hostCountStatement({})),
      ]);
      return { hosts, totalCount: count?.n ?? 0 };
    },

    /** Titles after `after`, one more than asked, the versions of those asked for, and the count of all. */
    async titles(after: TitlePosition | null, take: number): Promise<{ titles: TitleRow[]; totalCount: number }> {
      const [found, [count]] = await Promise.all([
        rows<Omit<TitleRow, "versions">>(...titlePageStatement({}, { after, before: null }, "asc", take + 1)),
        rows<{ n: number }>(...titleCountStatement({})),
      ]);
      for (const title of found) title.name = exact(title.name)!;
      const page = found.slice(0, take);
      const versions = page.length
        ? await rows<{ source: string; name: string; version: string | null; hostCount: number }>(SOFTWARE_STATEMENTS.versions, [
            page.map((t) => t.source),
            page.map((t) => t.name),
          ])
        : [];
      const byTitle = new Map<string, TitleRow["versions"]>();
      for (const v of versions) {
        const key = JSON.stringify([v.source, exact(v.name)]);
        byTitle.set(key, [...(byTitle.get(key) ?? []), { version: exact(v.version), hostCount: v.hostCount }]);
      }
      return { titles: found.map((t) => ({ ...t, versions: byTitle.get(JSON.stringify([t.source, t.name])) ?? [] })), totalCount: count?.n ?? 0 };
    },

    /** Hosts that have the app after `after`, one more than asked, and the count of all. */
    async softwareHosts(filter: SoftwareHostFilter, after: number | null, take: number): Promise<{ hosts: HostRow[]; totalCount: number }> {
      const [hosts, [count]] = await Promise.all([
        rows<HostRow>(...softwareHostsStatement(filter, SOFTWARE_HOSTS_COLUMNS, after === null ? {} : { gt: after }, "asc", take + 1)),
        rows<{ n: number }>(...softwareHostCountStatement(filter)),
      ]);
      return { hosts, totalCount: count?.n ?? 0 };
    },

    async diff(fromId: number, toId: number): Promise<Diff> {
      const [from, to] = await Promise.all([snapshot(fromId), snapshot(toId)]);
      if (from.hostId !== to.hostId) throw new BadRequestError("from and to are snapshots of different hosts");
      const lo = Math.min(from.id, to.id);
      const hi = Math.max(from.id, to.id);
      const [onlyLo, onlyHi] = await Promise.all([
        rows<StoredApp>(DIFF_STATEMENTS.onlyOlder, [from.hostId, lo, hi]),
        rows<StoredApp>(DIFF_STATEMENTS.onlyNewer, [from.hostId, lo, hi]),
      ]);
      for (const app of [...onlyLo, ...onlyHi]) {
        app.name = exact(app.name)!;
        app.version = exact(app.version);
        app.path = exact(app.path);
        app.bundleIdentifier = exact(app.bundleIdentifier);
        app.publisher = exact(app.publisher);
      }
      return from.id <= to.id ? computeDiff(onlyLo, onlyHi) : computeDiff(onlyHi, onlyLo);
    },
  };
}
