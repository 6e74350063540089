/**
 * latestData for the two baselines, read with raw `pg`. It sends the statements the service sends for
 * the benchmark's query (src/schema/app.ts resolving through src/store/app-queries.ts), one for one, so
 * the database does the same work for all three servers and what differs is the Node side. The
 * benchmark compares every server's pages before timing, which catches this file drifting from them.
 */
import type pg from "pg";

export interface SnapshotRow {
  id: number;
  hostId: number;
  status: string;
  collectedAt: Date;
  durationMs: number;
  error: string | null;
  appCount: number;
  added: number;
  removed: number;
  versionId: number | null;
}

export interface AppRow {
  id: number;
  hostId: number;
  source: string;
  name: string;
  version: string | null;
  path: string | null;
  bundleIdentifier: string | null;
  publisher: string | null;
  sortKey: Buffer;
  firstSeenSnapshotId: number;
  firstSeenAt: Date;
  removedSnapshotId: number | null;
  removedAt: Date | null;
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

const SNAPSHOT_COLUMNS = `id, host_id AS "hostId", status, collected_at AS "collectedAt", duration_ms AS "durationMs", error,
  app_count AS "appCount", added, removed, version_id AS "versionId"`;
// The service's storage: a host's apps link to software records shared across the fleet.
const APPS = `apps a JOIN software s ON s.id = a.software_id`;
const APP_COLUMNS = `a.id, a.host_id AS "hostId", s.source, s.name, s.version, s.path,
  s.bundle_identifier AS "bundleIdentifier", s.publisher, s.sort_key AS "sortKey",
  a.first_seen_snapshot_id AS "firstSeenSnapshotId", a.first_seen_at AS "firstSeenAt",
  a.removed_snapshot_id AS "removedSnapshotId", a.removed_at AS "removedAt"`;
/** Apps alive at a snapshot, from parameter $n on: host, then the snapshot id twice, as Prisma.sql binds it. */
const visible = (n: number) =>
  `a.host_id = $${n} AND a.first_seen_snapshot_id <= $${n + 1} AND (a.removed_snapshot_id IS NULL OR a.removed_snapshot_id > $${n + 2})`;

const SQL = {
  hosts: `SELECT id FROM hosts ORDER BY id ASC LIMIT 2`,
  newestSucceeded: `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE host_id = $1 AND status = 'SUCCEEDED' ORDER BY id DESC LIMIT 1`,
  snapshot: `SELECT ${SNAPSHOT_COLUMNS} FROM snapshots WHERE id = $1 LIMIT 1`,
  position: `SELECT s.sort_key AS "sortKey", a.id FROM ${APPS} WHERE a.id = $1 AND ${visible(2)}`,
  firstPage: `SELECT ${APP_COLUMNS} FROM ${APPS} WHERE ${visible(1)} ORDER BY s.sort_key, a.id LIMIT $4`,
  pageAfter: `SELECT ${APP_COLUMNS} FROM ${APPS} WHERE ${visible(1)} AND (s.sort_key, a.id) > ($4::bytea, $5::int) ORDER BY s.sort_key, a.id LIMIT $6`,
  before: `SELECT 1 AS found FROM ${APPS} WHERE ${visible(1)} AND (s.sort_key, a.id) <= ($4::bytea, $5::int) LIMIT 1`,
} as const;

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

export function createLatestDataSource(pool: pg.Pool): LatestDataSource {
  const rows = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await pool.query<T>(text, values)).rows;

  return {
    async read({ first: asked, after }) {
      const first = asked ?? DEFAULT_PAGE_SIZE;
      if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw new BadRequestError(`first must be between 0 and ${MAX_PAGE_SIZE}`);

      let snapshot: SnapshotRow | null;
      let position: Pick<AppRow, "sortKey" | "id"> | null = null;
      if (after) {
        // The cursor pins the snapshot it was read from and is checked against the database, as in the service.
        const [snapshotId, appId] = decodeCursor(after);
        [snapshot = null] = await rows<SnapshotRow>(SQL.snapshot, [snapshotId]);
        if (snapshot?.status === "SUCCEEDED") {
          [position = null] = await rows<Pick<AppRow, "sortKey" | "id">>(SQL.position, [appId, snapshot.hostId, snapshot.id, snapshot.id]);
        }
        if (!snapshot || !position) throw new BadRequestError("after is not a valid cursor for latestData");
      } else {
        const hosts = await rows<{ id: number }>(SQL.hosts);
        if (hosts.length > 1) throw new BadRequestError("hostId is required: there is more than one host");
        [snapshot = null] = hosts[0] ? await rows<SnapshotRow>(SQL.newestSucceeded, [hosts[0].id]) : [];
      }
      if (!snapshot) return { totalCount: 0, snapshot: null, apps: [], hasNextPage: false, hasPreviousPage: false };

      const aliveAt = [snapshot.hostId, snapshot.id, snapshot.id];
      const found = position
        ? await rows<AppRow>(SQL.pageAfter, [...aliveAt, position.sortKey, position.id, first + 1])
        : await rows<AppRow>(SQL.firstPage, [...aliveAt, first + 1]);
      const hasPreviousPage = position ? (await rows(SQL.before, [...aliveAt, position.sortKey, position.id])).length > 0 : false;
      // Without a filter the service counts nothing: the snapshot stores its app count.
      return { totalCount: snapshot.appCount, snapshot, apps: found.slice(0, first), hasNextPage: found.length > first, hasPreviousPage };
    },
  };
}
