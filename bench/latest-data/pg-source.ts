/**
 * latestData for the two baselines, read with raw `pg`. It sends the service's statements for the
 * benchmark's query, by the same names and with the same text (imported from
 * src/store/app-statements.ts, which src/store/app-queries.ts sends), one for one and in the same
 * order, so the database does the same work for every server and what differs is the Node side. The
 * benchmark compares every server's pages before timing.
 */
import type pg from "pg";
import type { Statement } from "../../src/db/read.js";
import {
  appExistsStatement,
  APP_COLUMN_SETS,
  appPageStatement,
  HOST_STATEMENTS,
  SNAPSHOT_STATEMENTS,
  type AppPosition,
} from "../../src/store/app-statements.js";

export interface SnapshotRow {
  id: number;
  hostId: number;
  status: string;
  collectedAt: Date;
  appCount: number;
  versionId: number | null;
}

/** The columns of the service's StoredApp that the benchmark's query shows. */
/** The columns the service reads for the benchmark's page (its selection's fields), so this sends the same statement. */
const PAGE_COLUMNS = APP_COLUMN_SETS.of(["name", "version", "source", "publisher", "firstSeenAt"]);

export interface AppRow {
  id: number;
  source: string;
  name: string;
  version: string | null;
  publisher: string | null;
  firstSeenAt: Date;
}

export interface LatestDataPage {
  totalCount: number;
  snapshot: SnapshotRow | null;
  apps: AppRow[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export interface LatestDataArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** A request the baselines refuse; the benchmark never sends one, so they only need to say no clearly. */
export class BadRequestError extends Error {
  override name = "BadRequestError";
}

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
const CURSOR_KIND = "app";

/** The service's cursor format, so a cursor reads the same snapshot and position on every server. */
export const encodeCursor = (snapshotId: number, appId: number) => Buffer.from(`${CURSOR_KIND}:${snapshotId}:${appId}`, "utf8").toString("base64url");

function decodeCursor(value: string): [snapshotId: number, appId: number] {
  const [kind, snapshotId, appId, ...rest] = Buffer.from(value, "base64url").toString("utf8").split(":");
  const ids = [Number(snapshotId), Number(appId)];
  if (kind !== CURSOR_KIND || rest.length > 0 || !ids.every((n) => Number.isSafeInteger(n) && n > 0 && n <= 2_147_483_647)) {
    throw new BadRequestError("after is not a valid cursor for latestData");
  }
  return ids as [number, number];
}

export const globalId = (typename: string, id: number) => Buffer.from(`${typename}:${id}`, "utf8").toString("base64");

export interface LatestDataSource {
  read(args: LatestDataArgs): Promise<LatestDataPage>;
}

/** The service's exactText: text columns are read behind one character (app-statements.ts). */
const exact = (value: string | null) => (value === null ? null : value.slice(1));

export function createLatestDataSource(pool: pg.Pool): LatestDataSource {
  const rows = async <T extends pg.QueryResultRow>(statement: Statement, values: unknown[] = []) =>
    (await pool.query<T>({ name: statement.name, text: statement.text, values })).rows;

  return {
    async read({ first: asked, after }) {
      const first = asked ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw new BadRequestError(`first must be between 0 and ${MAX_PAGE_SIZE}`);

      let snapshot: SnapshotRow | null;
      let position: AppPosition | null = null;
      if (after) {
        // The cursor pins the snapshot it was read from and is checked against the database, as in the service.
        const [snapshotId, appId] = decodeCursor(after);
        const [found] = await rows<SnapshotRow & { positionSortKey: Buffer | null; positionId: number | null }>(SNAPSHOT_STATEMENTS.byIdWithPosition, [snapshotId, appId]);
        if (found?.status !== "SUCCEEDED" || found.positionSortKey === null || found.positionId === null) {
          throw new BadRequestError("after is not a valid cursor for latestData");
        }
        const { positionSortKey, positionId, ...rest } = found;
        snapshot = rest;
        position = { sortKey: positionSortKey, id: positionId };
      } else {
        // The service's default host: its own machine with its newest snapshot, else the only host.
        [snapshot = null] = await rows<SnapshotRow>(SNAPSHOT_STATEMENTS.newestSucceededOfLocal);
        if (!snapshot) {
          let [hostId = null] = (await rows<{ id: number }>(HOST_STATEMENTS.local)).map((row) => row.id);
          if (hostId === null) {
            const hosts = await rows<{ id: number }>(HOST_STATEMENTS.firstTwo);
            if (hosts.length > 1) throw new BadRequestError("hostId is required: there is more than one host");
            hostId = hosts[0]?.id ?? null;
          }
          [snapshot = null] = hostId === null ? [] : await rows<SnapshotRow>(SNAPSHOT_STATEMENTS.newestSucceeded, [hostId]);
        }
      }
      if (!snapshot) return { totalCount: 0, snapshot: null, apps: [], hasNextPage: false, hasPreviousPage: false };

      const set = { hostId: snapshot.hostId, snapshotId: snapshot.id, filter: {} };
      const found = await rows<AppRow>(...appPageStatement({ ...set, columns: PAGE_COLUMNS, after: position, before: null, direction: "asc", limit: first + 1 }));
      for (const app of found) {
        app.name = exact(app.name)!;
        app.version = exact(app.version);
        app.publisher = exact(app.publisher);
      }
      const hasPreviousPage = position ? (await rows(...appExistsStatement({ ...set, op: "<=", position }))).length > 0 : false;
      // Without a filter the service counts nothing: the snapshot stores its app count.
      return { totalCount: snapshot.appCount, snapshot, apps: found.slice(0, first), hasNextPage: found.length > first, hasPreviousPage };
    },
  };
}
