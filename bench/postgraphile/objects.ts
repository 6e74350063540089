/**
 * What PostGraphile is given to serve the benchmarks' queries, in a schema of its own (PGL_SCHEMA)
 * next to the service's tables, which it serves as they are (`allHosts` is the `hosts` table). Where
 * its natural queries over our tables cannot express a query (an app set at a snapshot, counts that
 * include pending changes, hosts that have an app), a view or a SQL function written the way the
 * service's statements are is the closest honest equivalent; smart comments give views the primary
 * key and foreign key PostGraphile needs for cursors and relations.
 *
 * Orders: the service orders by the `sort_key` bytea (the lower-cased name's UTF-8 bytes), which
 * PostGraphile neither orders by nor puts in a cursor that it reads back; `sort_name` is the same
 * bytes as text in the "C" collation, which compares them the same way.
 */
import { PENDING_TITLE_COUNTS, PENDING_VERSION_COUNTS } from "../../src/store/software-catalog.js";

export const PGL_SCHEMA = "bench_pgl";

/**
 * latestData without hostId: the apps of the newest SUCCEEDED snapshot of the service's own machine
 * (`latest_apps`, ordered by sort_name then id) and that snapshot (`latest_snapshot`, whose app_count
 * is latestData's totalCount). The difference that stays: PostGraphile's cursor is a position in the
 * order, not pinned to a snapshot as the service's is.
 */
export const LATEST_DATA_OBJECTS = `
CREATE VIEW ${PGL_SCHEMA}.latest_snapshot AS
  SELECT s.id, s.host_id, s.collected_at, s.app_count FROM snapshots s
  WHERE s.host_id = (SELECT id FROM hosts WHERE local ORDER BY id DESC LIMIT 1) AND s.status = 'SUCCEEDED'
  ORDER BY s.id DESC LIMIT 1;
COMMENT ON VIEW ${PGL_SCHEMA}.latest_snapshot IS E'@name latest_snapshot\\n@primaryKey id';
CREATE VIEW ${PGL_SCHEMA}.latest_apps AS
  SELECT a.id, s.name, s.version, s.source, s.publisher, a.first_seen_at, convert_from(s.sort_key, 'UTF8') COLLATE "C" AS sort_name
  FROM ${PGL_SCHEMA}.latest_snapshot n
    JOIN apps a ON a.host_id = n.host_id AND a.first_seen_snapshot_id <= n.id AND (a.removed_snapshot_id IS NULL OR a.removed_snapshot_id > n.id)
    JOIN software s ON s.id = a.software_id;
COMMENT ON VIEW ${PGL_SCHEMA}.latest_apps IS E'@name latest_app\\n@primaryKey id';
`;

/**
 * software: titles with their host counts as the service reads them (folded counts plus pending
 * changes, titles on no host left out), ordered by sort_name, name in "C", source; their versions
 * (hosts first, then version) through a foreign key smart tag. softwareHosts: a SQL function of the
 * hosts whose newest inventory has an app, found through the titles' sort key as the service does.
 */
export const READ_QUERY_OBJECTS = `
CREATE VIEW ${PGL_SCHEMA}.fleet_titles AS
  SELECT t.id, t.source, t.name COLLATE "C" AS name, convert_from(t.sort_key, 'UTF8') COLLATE "C" AS sort_name,
    (coalesce(c.host_count, 0) + coalesce(p.delta, 0))::int AS host_count
  FROM software_titles t
    LEFT JOIN software_title_hosts c ON c.title_id = t.id
    LEFT JOIN (${PENDING_TITLE_COUNTS}) p ON p.title_id = t.id
  WHERE coalesce(c.host_count, 0) + coalesce(p.delta, 0) > 0;
COMMENT ON VIEW ${PGL_SCHEMA}.fleet_titles IS E'@name fleet_title\\n@primaryKey id';
CREATE VIEW ${PGL_SCHEMA}.fleet_title_versions AS
  SELECT v.id, v.title_id, v.version, (coalesce(c.host_count, 0) + coalesce(p.delta, 0))::int AS host_count
  FROM software_versions v
    LEFT JOIN software_version_hosts c ON c.version_id = v.id
    LEFT JOIN (${PENDING_VERSION_COUNTS}) p ON p.version_id = v.id
  WHERE coalesce(c.host_count, 0) + coalesce(p.delta, 0) > 0;
COMMENT ON VIEW ${PGL_SCHEMA}.fleet_title_versions IS E'@name fleet_title_version\\n@primaryKey id\\n@foreignKey (title_id) references ${PGL_SCHEMA}.fleet_titles (id)|@fieldName title|@foreignFieldName versions';
CREATE FUNCTION ${PGL_SCHEMA}.software_hosts(name text, source text) RETURNS SETOF hosts LANGUAGE sql STABLE AS $$
  SELECT h.* FROM hosts h
  WHERE h.id IN (SELECT a.host_id FROM apps a
    WHERE a.removed_snapshot_id IS NULL AND a.software_id IN (SELECT s.id FROM software_titles t
      JOIN software_versions v ON v.title_id = t.id
      JOIN software s ON s.version_id = v.id
      WHERE t.sort_key = convert_to(lower(software_hosts.name), 'UTF8') AND t.name = software_hosts.name
        AND (software_hosts.source IS NULL OR t.source = software_hosts.source)))
  ORDER BY h.id
$$;
COMMENT ON FUNCTION ${PGL_SCHEMA}.software_hosts(text, text) IS E'@name software_hosts';
`;
