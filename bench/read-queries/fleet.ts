import type pg from "pg";

export const FLEET_HOSTS = 1000;
const APPS_PER_HOST = 200;
const TITLES = 2000;
/** On every host but each tenth: the app softwareHosts asks for. */
export const WIDE_APP = { name: "openssl", source: "deb_packages" } as const;
export const WIDE_APP_HOSTS = FLEET_HOSTS - FLEET_HOSTS / 10;

/**
 * The fleet next to the service's own machine, written with SQL as bench/software-changes.ts does
 * (a collection per host would take minutes): FLEET_HOSTS enrolled hosts, one SUCCEEDED snapshot each,
 * APPS_PER_HOST apps each from a catalog of TITLES titles of three versions (each title on about 100
 * hosts), and openssl on nine hosts in ten. Then the host counts of titles and versions as a fold
 * leaves them, computed afresh for every host (the local host's collections queued theirs).
 */
const BUILD = `
INSERT INTO hosts (hostname, platform, platform_like, os_name, os_version, osquery_version, hardware_vendor, hardware_model,
    hardware_serial, cpu_brand, physical_memory, agent_identifier, enrolled_at, last_seen_at, created_at, updated_at)
  SELECT 'fleet-host-' || lpad(h::text, 4, '0'), (ARRAY['ubuntu', 'rhel', 'darwin', 'windows'])[1 + h % 4],
    (ARRAY['debian', 'fedora', NULL, NULL])[1 + h % 4],
    (ARRAY['Ubuntu', 'Red Hat Enterprise Linux', 'macOS', 'Microsoft Windows 11 Pro'])[1 + h % 4], '22.04', '5.12.1',
    'Bench Hardware Inc.', 'Model ' || (h % 7), 'SN' || lpad(h::text, 8, '0'), 'Bench CPU @ 3.00GHz', 17179869184,
    'uuid-' || h, now() - interval '30 days', date_trunc('milliseconds', now() - (h % 600) * interval '1 second'),
    now() - interval '30 days' + h * interval '1 second', now()
  FROM generate_series(1, ${FLEET_HOSTS}) h;
INSERT INTO snapshots (host_id, status, source, collected_at, app_count, added)
  SELECT id, 'SUCCEEDED', 'AGENT', now() - interval '1 hour', ${APPS_PER_HOST + 1}, ${APPS_PER_HOST + 1} FROM hosts WHERE hostname LIKE 'fleet-host-%';
INSERT INTO software_titles (fingerprint, source, name, sort_key)
  SELECT software_title_fingerprint('deb_packages', n), 'deb_packages', n, convert_to(lower(n), 'UTF8')
  FROM (SELECT 'lib-' || lpad(i::text, 4, '0') AS n FROM generate_series(1, ${TITLES}) i UNION ALL SELECT '${WIDE_APP.name}') t;
INSERT INTO software_versions (fingerprint, title_id, version)
  SELECT software_version_fingerprint(t.id, v), t.id, v FROM software_titles t
    CROSS JOIN LATERAL unnest(CASE WHEN t.name = '${WIDE_APP.name}' THEN ARRAY['3.0.2', '3.0.13'] ELSE ARRAY['1.0', '1.1', '2.0'] END) v
  WHERE t.name LIKE 'lib-%' OR t.name = '${WIDE_APP.name}';
INSERT INTO software (fingerprint, version_id, title_id, source, name, version, sort_key)
  SELECT software_fingerprint(v.id, NULL, NULL, NULL, '{}'), v.id, t.id, t.source, t.name, v.version, t.sort_key
  FROM software_versions v JOIN software_titles t ON t.id = v.title_id
  WHERE t.name LIKE 'lib-%' OR t.name = '${WIDE_APP.name}';
CREATE TEMPORARY TABLE fleet AS
  SELECT h.id AS host_id, row_number() OVER (ORDER BY h.id)::int AS n, s.id AS snapshot_id, s.collected_at
  FROM hosts h JOIN snapshots s ON s.host_id = h.id WHERE h.hostname LIKE 'fleet-host-%';
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
  SELECT f.host_id, s.id, f.snapshot_id, f.collected_at
  FROM fleet f CROSS JOIN generate_series(1, ${APPS_PER_HOST}) j
    JOIN software s ON s.name = 'lib-' || lpad(((f.n * 7 + j) % ${TITLES} + 1)::text, 4, '0')
      AND s.version = (ARRAY['1.0', '1.1', '2.0'])[1 + (f.n + j) % 3];
INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at)
  SELECT f.host_id, s.id, f.snapshot_id, f.collected_at
  FROM fleet f JOIN software s ON s.name = '${WIDE_APP.name}' AND s.version = CASE WHEN f.n % 4 = 0 THEN '3.0.13' ELSE '3.0.2' END
  WHERE f.n % 10 <> 0;
DROP TABLE fleet;
TRUNCATE software_count_changes;
DELETE FROM software_title_hosts;
DELETE FROM software_version_hosts;
INSERT INTO software_title_hosts (title_id, host_count)
  SELECT s.title_id, count(DISTINCT a.host_id) FROM apps a JOIN software s ON s.id = a.software_id
  WHERE a.removed_snapshot_id IS NULL GROUP BY s.title_id;
INSERT INTO software_version_hosts (version_id, host_count)
  SELECT s.version_id, count(DISTINCT a.host_id) FROM apps a JOIN software s ON s.id = a.software_id
  WHERE a.removed_snapshot_id IS NULL GROUP BY s.version_id;
VACUUM ANALYZE hosts;
VACUUM ANALYZE snapshots;
VACUUM ANALYZE apps;
VACUUM ANALYZE software;
VACUUM ANALYZE software_titles;
VACUUM ANALYZE software_versions;
VACUUM ANALYZE software_title_hosts;
VACUUM ANALYZE software_version_hosts
`;

export async function seedFleet(db: pg.Client): Promise<void> {
  // One statement at a time: VACUUM refuses to run inside the implicit transaction of a multi-statement query.
  for (const statement of BUILD.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)) await db.query(statement);
}
