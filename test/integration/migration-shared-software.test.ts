import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.js";
import { applyMigrations, readMigrations } from "../../src/db/migrate.js";
import { createLogger } from "../../src/logger.js";
import { createAppQueries } from "../../src/store/app-queries.js";
import { createSoftwareQueries } from "../../src/store/software-queries.js";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from "../helpers/database.js";
import { makeTempDir } from "../helpers/temp.js";

const quiet = createLogger({ level: "silent" });
const SHARED = "20261203000000_shared_software";

async function migrate(db: Database, dir: string): Promise<string[]> {
  const conn = await db.connect();
  try {
    return await applyMigrations(conn, dir, quiet);
  } finally {
    await conn.release();
  }
}

/** The schema as it was before migration `name`: every migration older than it. */
async function migrateBefore(db: Database, name: string): Promise<void> {
  const temp = await makeTempDir("migrations");
  try {
    const before = join(temp.path, "migrations");
    await cp(MIGRATIONS_DIR, before, { recursive: true });
    for (const m of await readMigrations(MIGRATIONS_DIR)) if (m.name >= name) await rm(join(before, m.name), { recursive: true });
    await migrate(db, before);
  } finally {
    await temp.remove();
  }
}

describe.each(backends)("moving apps to the shared software catalog on %s", (backend) => {
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = await database.open({ migrate: false });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it("when a database with per-host app rows is migrated, then every app keeps its id, text and history, and counts are exact", async () => {
    await migrateBefore(db, SHARED);

    const sql = (text: string) => db.prisma.$executeRawUnsafe(text);
    await sql(`INSERT INTO hosts (id, hostname, updated_at) VALUES (1, 'a', now()), (2, 'b', now()), (3, 'c', now())`);
    await sql(`INSERT INTO snapshots (id, host_id, status) VALUES (10, 1, 'SUCCEEDED'), (11, 1, 'SUCCEEDED'), (20, 2, 'SUCCEEDED'), (30, 3, 'SUCCEEDED')`);
    const app = (id: number, host: number, name: string, version: string | null, extra = "NULL, NULL, '{}'", first = host * 10, removed = "NULL") =>
      `(${id}, ${host}, 'deb_packages', ${name}, ${version === null ? "NULL" : `'${version}'`}, NULL, ${extra}, convert_to(lower(${name}), 'UTF8'), ${first}, now(), ${removed})`;
    await sql(`INSERT INTO apps (id, host_id, source, name, version, path, bundle_identifier, publisher, alterations, sort_key, first_seen_snapshot_id, first_seen_at, removed_snapshot_id) VALUES
      ${app(100, 1, "'curl'", "7.1")},
      ${app(101, 1, "'curl'", "7.0", "NULL, NULL, '{}'", 10, "11")},
      ${app(102, 1, "E'\\uFEFFbom name'", null, "NULL, 'Pub', '{TRUNCATED}'")},
      ${app(200, 2, "'curl'", "7.1")},
      ${app(201, 2, "'Vim'", "9.0")},
      ${app(202, 2, "'vim'", "9.0")},
      ${app(300, 3, "'curl'", "7.0")}`);

    expect(await migrate(db, MIGRATIONS_DIR)).toEqual([SHARED, ...(await readMigrations(MIGRATIONS_DIR)).map((m) => m.name).filter((n) => n > SHARED)]);

    // One software record per distinct report, shared by hosts.
    // Names read as hex: PGlite's own text decoding would drop a leading U+FEFF.
    const software = await db.prisma.$queryRawUnsafe<{ name: string; version: string | null; publisher: string | null; alterations: string[] }[]>(
      `SELECT encode(convert_to(name, 'UTF8'), 'hex') AS name, version, publisher, alterations::text[] AS alterations FROM software`,
    );
    const hex = (text: string) => Buffer.from(text, "utf8").toString("hex");
    expect(software.map((s) => [s.name, s.version, s.publisher, s.alterations])).toEqual(
      expect.arrayContaining([
        [hex("curl"), "7.0", null, []],
        [hex("curl"), "7.1", null, []],
        [hex("Vim"), "9.0", null, []],
        [hex("vim"), "9.0", null, []],
        [hex("\uFEFFbom name"), null, "Pub", ["TRUNCATED"]],
      ]),
    );
    expect(software).toHaveLength(5);
    expect(await db.prisma.app.count()).toBe(7);

    // Every app keeps its id, host, snapshots and text.
    const apps = createAppQueries(db.read);
    const byId = await apps.byIds([100, 101, 102, 200, 201, 202, 300, 999]);
    expect(byId.map((a) => a && [a.id, a.hostId, a.name, a.version, a.firstSeenSnapshotId, a.removedSnapshotId])).toEqual([
      [100, 1, "curl", "7.1", 10, null],
      [101, 1, "curl", "7.0", 10, 11],
      [102, 1, "\uFEFFbom name", null, 10, null],
      [200, 2, "curl", "7.1", 20, null],
      [201, 2, "Vim", "9.0", 20, null],
      [202, 2, "vim", "9.0", 20, null],
      [300, 3, "curl", "7.0", 30, null],
      null,
    ]);
    expect(byId[2]).toMatchObject({ publisher: "Pub", alterations: ["TRUNCATED"] });

    // Host counts of the newest inventories: the removed curl 7.0 of host 1 does not count.
    const fleet = createSoftwareQueries({ db: db.prisma, read: db.read });
    const titles = await fleet.titles({}, { after: null, before: null }, "asc", 10);
    expect(titles).toEqual([
      { source: "deb_packages", name: "\uFEFFbom name", hostCount: 1 },
      { source: "deb_packages", name: "curl", hostCount: 3 },
      { source: "deb_packages", name: "Vim", hostCount: 1 },
      { source: "deb_packages", name: "vim", hostCount: 1 },
    ].sort((x, y) => Buffer.compare(Buffer.from(x.name.toLowerCase()), Buffer.from(y.name.toLowerCase())) || (x.name < y.name ? -1 : 1)));
    const versions = await fleet.versions([{ source: "deb_packages", name: "curl" }]);
    expect([...versions.values()]).toEqual([[{ version: "7.1", hostCount: 2 }, { version: "7.0", hostCount: 1 }]]);

    // New apps get ids after the carried-over ones.
    const [next] = await db.prisma.$queryRawUnsafe<{ id: number }[]>(`SELECT nextval('apps_id_seq')::int AS id`);
    expect(next!.id).toBe(301);
  });
});

const BATCHES = "20261204000000_count_change_batches";

describe.each(backends)("count changes pending when the queue becomes one row per collection, on %s", (backend) => {
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    db = await database.open({ migrate: false });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it("when changes are pending at the migration, then every one is carried over and the counts read the same", async () => {
    await migrateBefore(db, BATCHES);
    const sql = (text: string) => db.prisma.$executeRawUnsafe(text);
    await sql(`INSERT INTO software_titles (id, fingerprint, source, name, sort_key) VALUES
      (1, software_title_fingerprint('deb_packages', 'curl'), 'deb_packages', 'curl', '\\x63'), (2, software_title_fingerprint('deb_packages', 'vim'), 'deb_packages', 'vim', '\\x76')`);
    await sql(`INSERT INTO software_versions (id, fingerprint, title_id, version) VALUES (10, '\\x10', 1, '7.1'), (11, '\\x11', 1, '7.0'), (20, '\\x20', 2, '9.0')`);
    await sql(`INSERT INTO software_title_hosts (title_id, host_count) VALUES (1, 5)`);
    await sql(`INSERT INTO software_version_hosts (version_id, host_count) VALUES (11, 5)`);
    // Pending: two hosts gained curl 7.1 (one of them had 7.0), a third gained vim.
    await sql(`INSERT INTO software_count_changes (title_id, version_id, delta) VALUES
      (1, 10, 1), (1, 11, -1), (1, 10, 1), (1, NULL, 1), (2, NULL, 1), (2, 20, 1)`);

    expect(await migrate(db, MIGRATIONS_DIR)).toContain(BATCHES);
    const fleet = createSoftwareQueries({ db: db.prisma, read: db.read });
    expect(await fleet.titles({}, { after: null, before: null }, "asc", 10)).toEqual([
      { source: "deb_packages", name: "curl", hostCount: 6 },
      { source: "deb_packages", name: "vim", hostCount: 1 },
    ]);
    const versions = await fleet.versions([{ source: "deb_packages", name: "curl" }, { source: "deb_packages", name: "vim" }]);
    expect([...versions.values()]).toEqual([
      [{ version: "7.0", hostCount: 4 }, { version: "7.1", hostCount: 2 }],
      [{ version: "9.0", hostCount: 1 }],
    ]);
  });
});
