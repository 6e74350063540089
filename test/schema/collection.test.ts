import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { inventoryQueries } from "../../src/inventory/statements.js";
import type { OsqueryRunnerOptions } from "../../src/sources/local/osqueryi.js";
import { createAppQueries } from "../../src/store/app-queries.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu, type Package, type Scenario } from "../helpers/machine.js";
import { CollectSnapshotMutation, HostsQuery, LatestDataQuery, SnapshotsQuery } from "../helpers/operations.js";
import { linkedSoftwareIds } from "../helpers/database.js";
import { APP_COLUMN_SETS } from "../../src/store/app-statements.js";

const base = generatedPackages(120);
/** A file that exists but cannot be run. */
const NOT_EXECUTABLE = fileURLToPath(new URL("../../package.json", import.meta.url));

describe.each(backends)("collection on %s", (backend) => {
  let h: Harness;
  let current: Package[] = base;
  const prisma = () => h.db.prisma;
  const latest = async () => expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 100 }, { fetch: h.fetch })).latestData;
  const counts = async () => ({ apps: await prisma().app.count(), snapshots: await prisma().snapshot.count() });
  const install = async (packages: Package[]) => {
    current = packages;
    await h.machine.set(ubuntu(packages));
  };
  const collectorWith = (runner: Partial<OsqueryRunnerOptions>) => h.collectorWith(runner);

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(base));
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when osquery is missing at the very first run, then a FAILED snapshot says how to install it and names a placeholder host", async () => {
    const snapshot = await collectorWith({ binary: "/nonexistent/osqueryi" }).collect();
    expect(snapshot.status).toBe("FAILED");
    expect(snapshot.error).toMatch(/^\[OSQUERY_NOT_FOUND\] .*not installed.*OSQUERY_BIN/);
    const hosts = await prisma().host.findMany();
    expect(hosts).toEqual([expect.objectContaining({ identifier: null, hostname: "test-fallback-host".replace("test-fallback-host", hosts[0]!.hostname) })]);
    expect(await prisma().app.count()).toBe(0);
    await vi.waitFor(() => expect(h.published.at(-1)?.id).toBe(snapshot.id));
  });

  it("when the first collection succeeds, then the placeholder host becomes this machine and every app is stored once", async () => {
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: base.length, added: base.length, removed: 0, error: null });
    const hosts = await prisma().host.findMany();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({ identifier: "uuid:4c4c4544-0047-3510-8052-b4c04f4a4e32", hostname: "build-ubuntu-01", platform: "ubuntu" });
    expect(await prisma().app.count({ where: { removedSnapshotId: null } })).toBe(base.length);
    const version = await prisma().version.findUniqueOrThrow({ where: { id: snapshot.versionId! } });
    expect(version).toMatchObject({ osqueryVersion: "5.12.1", osName: "Ubuntu", platform: "ubuntu", platformLike: "debian", arch: "x86_64", build: null });
    await vi.waitFor(() => expect(h.published.at(-1)).toMatchObject({ id: snapshot.id, status: "SUCCEEDED" }));
  });

  it("when osqueryi runs, then it gets --json and one plain SELECT per table on stdin", async () => {
    const runs = await h.machine.invocations();
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const run of runs) expect(run.argv).toContain("--json");
    expect(runs.map((r) => r.sql)).toEqual(
      expect.arrayContaining([inventoryQueries.osqueryInfo, inventoryQueries.osVersion, inventoryQueries.systemInfo, inventoryQueries.software.deb_packages]),
    );
    for (const run of runs) expect(run.sql).not.toMatch(/union/i);
  });

  it("when the inventory is unchanged, then a re-collection writes the snapshot row and no app rows", async () => {
    const before = await counts();
    const versions = await prisma().version.count();
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: base.length, added: 0, removed: 0 });
    expect(await counts()).toEqual({ apps: before.apps, snapshots: before.snapshots + 1 });
    expect(await prisma().version.count()).toBe(versions);
  });

  it("when apps are installed, removed and upgraded, then added/removed count them and only the changes are written", async () => {
    const before = await counts();
    const upgraded = current.slice(0, 2).map((p) => ({ ...p, version: `${p.version}+1` }));
    const kept = current.slice(5);
    const fresh = generatedPackages(4, "newapp");
    await install([...upgraded, ...kept, ...fresh]);
    const snapshot = await h.collector.collect();
    // 3 removed outright and 2 upgraded (each one removed + one added identity); 4 new + 2 upgraded added.
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: current.length, added: 6, removed: 5 });
    expect(await counts()).toEqual({ apps: before.apps + 6, snapshots: before.snapshots + 1 });
    const data = await latest();
    expect(data.totalCount).toBe(current.length);
    expect(data.snapshot?.id).toBeDefined();
  });

  it("when dpkg lists removed packages with config files left and broken installs, then only installed and held packages are inventoried", async () => {
    const before = current;
    const statuses = ["install ok installed", "hold ok installed", "deinstall ok config-files", "install ok half-installed", "install ok unpacked", "purge ok not-installed"];
    const dpkg = generatedPackages(statuses.length, "dpkg-state").map((p, i) => ({ ...p, status: statuses[i]! }));
    await h.machine.set(ubuntu([...before, ...dpkg]));
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: before.length + 2 });
    const names = new Set((await prisma().software.findMany({ where: { id: { in: await linkedSoftwareIds(prisma()) } }, select: { name: true } })).map((a) => a.name));
    expect(dpkg.filter((p) => names.has(p.name)).map((p) => p.status)).toEqual(["install ok installed", "hold ok installed"]);
    // Back to the machine as it was, for the tests that follow.
    await install(before);
    expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", appCount: before.length });
  });

  it("when a past snapshot is read through the store, then its exact app set comes back", async () => {
    const snapshots = await prisma().snapshot.findMany({ where: { status: "SUCCEEDED" }, orderBy: { id: "asc" } });
    const first = snapshots[0]!;
    const apps = createAppQueries(h.db.read);
    const page = await apps.page({ snapshot: first, filter: {}, order: "asc", after: null, before: null, first: 1000, last: null, columns: APP_COLUMN_SETS.all });
    expect(page.apps.map((a) => `${a.name}@${a.version}`).sort()).toEqual(base.map((p) => `${p.name}@${p.version}`).sort());
  });

  it("when newer snapshots land during a cursor walk, then the walk finishes on its own snapshot without skips or repeats", async () => {
    const walked: string[] = [];
    const startSet = current.map((p) => `${p.name}@${p.version}`).sort();
    let page = expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 30 }, { fetch: h.fetch })).latestData;
    const snapshotId = page.snapshot!.id;
    walked.push(...page.edges.map((e) => `${e.node.name}@${e.node.version}`));
    // Remove apps both behind and ahead of the cursor, add some, and collect twice.
    await install([...current.slice(10, 60), ...current.slice(70), ...generatedPackages(7, "aaa-late")]);
    expect((await h.collector.collect()).status).toBe("SUCCEEDED");
    await install(current.slice(3));
    expect((await h.collector.collect()).status).toBe("SUCCEEDED");
    while (page.pageInfo.hasNextPage) {
      page = expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 30, after: page.pageInfo.endCursor }, { fetch: h.fetch })).latestData;
      expect(page.snapshot!.id).toBe(snapshotId);
      walked.push(...page.edges.map((e) => `${e.node.name}@${e.node.version}`));
    }
    expect(walked.slice().sort()).toEqual(startSet);
    expect(new Set(walked).size).toBe(walked.length);
    const fresh = await latest();
    expect(fresh.snapshot!.id).not.toBe(snapshotId);
    expect(fresh.totalCount).toBe(current.length);
  });

  // A machine without osquery, or with a slow or unusual one, is expected and logged as one warning;
  // output we cannot read, or osqueryi failing, may be our bug and is logged as an error with its stack.
  const failures: [string, "warn" | "error", Scenario | (() => Scenario), Partial<OsqueryRunnerOptions>, RegExp][] = [
    ["osqueryi exits non-zero", "error", () => withTable({ stdout: "[\n\n]\n", stderr: "Error: no such table: deb_packages\n", exitCode: 1 }), {}, /^\[OSQUERY_EXIT\] osqueryi exited with status 1: Error: no such table: deb_packages$/],
    ["osqueryi prints truncated JSON", "error", () => withTable({ stdout: '[\n  {"name":"x","version":"1"' }), {}, /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed invalid JSON/],
    ["osqueryi prints numbers instead of strings", "error", () => withTable({ stdout: '[\n  {"name":"x","version":1}\n]\n' }), {}, /^\[OSQUERY_BAD_OUTPUT\] .*not an array of rows of strings/],
    // Bytes that are not UTF-8 become U+FFFD (test/schema/stored-text.test.ts); outside a string that is no JSON.
    ["osqueryi prints invalid UTF-8 outside any value", "error", () => withTable({ stdoutBase64: Buffer.from([0x5b, 0x0a, 0xff, 0xfe, 0x0a, 0x5d]).toString("base64") }), {}, /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed invalid JSON/],
    ["osqueryi omits a column", "error", () => withTable({ stdout: '[\n  {"version":"1"}\n]\n' }), {}, /^\[OSQUERY_BAD_OUTPUT\] osquery table deb_packages returned no "name" column/],
    ["osqueryi hangs past the timeout", "warn", () => withTable({ delayMs: 5000, rows: [] }), { timeoutMs: 400 }, /^\[OSQUERY_TIMEOUT\] osqueryi did not finish within 400 ms/],
    ["osqueryi prints more than the output cap", "warn", () => withTable({ floodBytes: 8 * 1024 * 1024 }), { maxOutputBytes: 256 * 1024 }, /^\[OSQUERY_OUTPUT_TOO_LARGE\] osqueryi printed more than 262144 bytes/],
    ["the platform has no software table", "warn", () => {
      const s = ubuntu(current);
      s.tables["os_version"] = { rows: [{ name: "Arch Linux", version: "rolling", platform: "arch", platform_like: "", build: "", arch: "x86_64" }] };
      return s;
    }, {}, /^\[UNSUPPORTED_PLATFORM\] installed software is not collected on platform "arch"/],
    ["osqueryi is missing", "warn", () => ubuntu(current), { binary: "/nonexistent/osqueryi" }, /^\[OSQUERY_NOT_FOUND\] osquery is not installed/],
    ["osqueryi is not executable", "warn", () => ubuntu(current), { binary: NOT_EXECUTABLE }, /^\[OSQUERY_NOT_EXECUTABLE\] /],
  ];
  function withTable(answer: Scenario["tables"][string]): Scenario {
    const s = ubuntu(current);
    s.tables["deb_packages"] = answer;
    return s;
  }

  it.each(failures)("when %s, then the run is FAILED with the reason, latestData is unchanged and it is logged once at %s", async (_name, level, scenario, runner, reason) => {
    const before = await latest();
    const rows = await counts();
    await h.machine.set(typeof scenario === "function" ? scenario() : scenario);
    const logged = h.logs.length;
    const snapshot = await collectorWith(runner).collect();
    expect(snapshot.status).toBe("FAILED");
    expect(snapshot.error).toMatch(reason);
    const lines = h.logs.slice(logged).filter((l) => l.level === "warn" || l.level === "error");
    expect(lines).toEqual([expect.objectContaining({ level, msg: "collection failed", reason: snapshot.error })]);
    if (level === "warn") {
      expect(lines[0]).toMatchObject({ code: /^[A-Z_]+$/ });
      expect(snapshot.error).toMatch(new RegExp(`^\\[${String(lines[0]!["code"])}\\] `));
      expect(JSON.stringify(lines[0])).not.toMatch(/stack|\bat \S+ \(/);
    } else {
      expect(lines[0]).toMatchObject({ err: { stack: expect.stringContaining("\n    at ") } });
    }
    expect(snapshot).toMatchObject({ appCount: 0, added: 0, removed: 0, versionId: null });
    await vi.waitFor(() => expect(h.published.at(-1)).toMatchObject({ id: snapshot.id, status: "FAILED" }));
    expect(await latest()).toEqual(before);
    expect(await counts()).toEqual({ apps: rows.apps, snapshots: rows.snapshots + 1 });
    await h.machine.set(ubuntu(current));
  });

  it("when the database rejects the write, then the run is FAILED with DATABASE_ERROR, nothing partial is visible, and the next run succeeds", async () => {
    const before = await latest();
    const rows = await counts();
    await prisma().$executeRawUnsafe(`CREATE FUNCTION reject_apps() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$ LANGUAGE plpgsql`);
    await prisma().$executeRawUnsafe(`CREATE TRIGGER reject_apps BEFORE INSERT ON apps FOR EACH ROW EXECUTE FUNCTION reject_apps()`);
    try {
      await install([...current, { name: "one-more", version: "1" }]);
      const logged = h.logs.length;
      const failed = await h.collector.collect();
      expect(failed.status).toBe("FAILED");
      expect(failed.error).toMatch(/^\[DATABASE_ERROR\] the snapshot could not be stored: .*disk full \(test\)/);
      expect(h.logs.slice(logged).find((l) => l.msg === "collection failed")).toMatchObject({ level: "error", err: { stack: expect.stringContaining("disk full (test)") } });
      expect(await latest()).toEqual(before);
      expect(await counts()).toEqual({ apps: rows.apps, snapshots: rows.snapshots + 1 });
    } finally {
      await prisma().$executeRawUnsafe(`DROP TRIGGER reject_apps ON apps`);
      await prisma().$executeRawUnsafe(`DROP FUNCTION reject_apps()`);
    }
    const ok = await h.collector.collect();
    expect(ok).toMatchObject({ status: "SUCCEEDED", added: 1, removed: 0 });
  });

  it("when collectSnapshot is called many times at once, then one run happens and every caller gets its snapshot", async () => {
    const before = await counts();
    const runsBefore = (await h.machine.invocations()).length;
    await h.machine.set({ ...ubuntu(current), tables: { ...ubuntu(current).tables, osquery_info: { fixture: ubuntu().tables["osquery_info"]!.fixture!, delayMs: 300 } } });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => execute(ENDPOINT, CollectSnapshotMutation, {}, { fetch: h.fetch })),
    );
    const ids = new Set(results.map((r) => expectNoGraphQLErrors(r).collectSnapshot.id));
    expect(ids.size).toBe(1);
    expect(await counts()).toEqual({ apps: before.apps, snapshots: before.snapshots + 1 });
    expect((await h.machine.invocations()).length - runsBefore).toBe(4);
    await h.machine.set(ubuntu(current));
  });

  it("when collectSnapshot names this host, then it collects; another host's ID is refused", async () => {
    const host = expectNoGraphQLErrors(await execute(ENDPOINT, HostsQuery, {}, { fetch: h.fetch })).hosts.edges[0]!.node;
    const ok = expectNoGraphQLErrors(await execute(ENDPOINT, CollectSnapshotMutation, { hostId: host.id }, { fetch: h.fetch }));
    expect(ok.collectSnapshot).toMatchObject({ status: "SUCCEEDED", host: { id: host.id, hostname: "build-ubuntu-01" } });
    const other = await prisma().host.create({ data: { identifier: "uuid:other", hostname: "other" } });
    try {
      const refused = await execute(ENDPOINT, CollectSnapshotMutation, { hostId: Buffer.from(`Host:${other.id}`).toString("base64") }, { fetch: h.fetch });
      expect(refused.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
      // Without hostId, this service's own machine is meant, however many hosts there are.
      const own = expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, {}, { fetch: h.fetch }));
      expect(own.latestData.snapshot?.id).toBe(ok.collectSnapshot.id);
      await prisma().host.updateMany({ where: { local: true }, data: { local: false } });
      // (Other variables than the query above: the direct database change does not reach the response cache.)
      const ambiguous = await execute(ENDPOINT, LatestDataQuery, { first: 5 }, { fetch: h.fetch });
      expect(ambiguous.errors?.[0]).toMatchObject({ message: expect.stringMatching(/hostId is required/), extensions: { code: "BAD_USER_INPUT" } });
    } finally {
      await prisma().host.updateMany({ where: { identifier: { not: "uuid:other" } }, data: { local: true } });
      await prisma().host.delete({ where: { id: other.id } });
    }
  });

  it("when snapshots are listed, then they come newest first with FAILED ones and their reasons, paging both ways", async () => {
    const total = await prisma().snapshot.count();
    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const conn: Awaited<ReturnType<typeof listSnapshots>> = await listSnapshots({ first: 4, after });
      all.push(...conn.edges.map((e) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(all).toHaveLength(total);
    const dbOrder = (await prisma().snapshot.findMany({ orderBy: { id: "desc" }, select: { id: true } })).map((s) => Buffer.from(`Snapshot:${s.id}`).toString("base64"));
    expect(all).toEqual(dbOrder);
    const last = await listSnapshots({ last: 3 });
    expect(last.edges.map((e) => e.node.id)).toEqual(all.slice(-3));
    expect(last.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const failed = (await listSnapshots({ first: 100 })).edges.find((e) => e.node.status === "FAILED");
    expect(failed?.node.error).toMatch(/^\[[A-Z_]+\] /);
    const bad = await execute(ENDPOINT, SnapshotsQuery, { first: 500 }, { fetch: h.fetch });
    expect(bad.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
  });
  async function listSnapshots(variables: { first?: number; last?: number; after?: string | null }) {
    return expectNoGraphQLErrors(await execute(ENDPOINT, SnapshotsQuery, variables, { fetch: h.fetch })).snapshots;
  }
});
