import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createRetention } from "../../src/store/retention.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu, type Package } from "../helpers/machine.js";
import { AppHistoryQuery, LatestDataQuery, SnapshotChangesQuery, SnapshotDiffQuery } from "../helpers/operations.js";
import type { ChangeKind, SnapshotChangesQuery as SnapshotChangesResult, SnapshotDiffQueryVariables } from "../gql/graphql.js";

type ChangesNode = Extract<NonNullable<SnapshotChangesResult["node"]>, { changes: unknown }>;
function asSnapshot(node: SnapshotChangesResult["node"]): ChangesNode {
  if (!node || !("changes" in node)) throw new Error(`expected a Snapshot, got ${JSON.stringify(node)}`);
  return node as ChangesNode;
}

const gid = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64");
const pkgs = (spec: string) =>
  spec
    .split(" ")
    .filter(Boolean)
    .map((p) => {
      const [name, version] = p.split("@") as [string, string];
      return { name, version };
    });

describe.each(backends)("history on %s", (backend) => {
  let h: Harness;
  const ids: Record<string, number> = {};
  const run = async <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });
  const diff = async (variables: SnapshotDiffQueryVariables) => expectNoGraphQLErrors(await run(SnapshotDiffQuery, variables)).snapshotDiff;
  const summary = (edges: { node: { kind: string; name: string; fromVersion?: string | null; toVersion?: string | null } }[]) =>
    edges.map((e) => `${e.node.kind} ${e.node.name} ${e.node.fromVersion ?? "-"}→${e.node.toVersion ?? "-"}`);
  const collect = async (name: string, packages: Package[] | "fail") => {
    if (packages === "fail") {
      await h.machine.set({ ...ubuntu(), tables: { ...ubuntu().tables, deb_packages: { stdout: "[\n\n]\n", stderr: "Error: boom\n", exitCode: 1 } } });
    } else {
      await h.machine.set(ubuntu(packages));
    }
    const snapshot = await h.collector.collect();
    ids[name] = snapshot.id;
    return snapshot;
  };

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu([]));
    await collect("s1", pkgs("a@1.0 b@2.0-1 c@3.0 d@1:1.0 e@1.0"));
    await collect("s2", pkgs("a@1.1 b@2.0-1 d@0.9 e@1.0 f@5.0"));
    await collect("s3", "fail");
    await collect("s4", pkgs("a@1.1 b@2.0-1 c@3.0 d@0.9 f@5.0 g@1.0~rc1"));
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when two snapshots are compared, then upgrades, downgrades (by dpkg's rules), removals and additions are reported once each", async () => {
    const d = await diff({ from: gid("Snapshot", ids["s1"]!), to: gid("Snapshot", ids["s2"]!) });
    expect(summary(d.edges)).toEqual(["UPGRADED a 1.0→1.1", "REMOVED c 3.0→-", "DOWNGRADED d 1:1.0→0.9", "ADDED f -→5.0"]);
    expect(d.counts).toEqual({ added: 1, removed: 1, upgraded: 1, downgraded: 1 });
    expect(d.totalCount).toBe(4);
    expect(d.edges[0]!.node.app).toMatchObject({ name: "a", version: "1.1" });
    expect(d.edges[1]!.node.app).toMatchObject({ name: "c", version: "3.0" });
  });

  it("when from is newer than to, then the diff is reversed", async () => {
    const d = await diff({ from: gid("Snapshot", ids["s2"]!), to: gid("Snapshot", ids["s1"]!) });
    expect(summary(d.edges)).toEqual(["DOWNGRADED a 1.1→1.0", "ADDED c -→3.0", "UPGRADED d 0.9→1:1.0", "REMOVED f 5.0→-"]);
  });

  it("when an app was removed and installed again in between, then it is no change", async () => {
    const d = await diff({ from: gid("Snapshot", ids["s1"]!), to: gid("Snapshot", ids["s4"]!) });
    expect(summary(d.edges)).toEqual(["UPGRADED a 1.0→1.1", "DOWNGRADED d 1:1.0→0.9", "REMOVED e 1.0→-", "ADDED f -→5.0", "ADDED g -→1.0~rc1"]);
  });

  it("when a snapshot is compared with itself, then there is no change", async () => {
    const d = await diff({ from: gid("Snapshot", ids["s2"]!), to: gid("Snapshot", ids["s2"]!) });
    expect(d.edges).toEqual([]);
    expect(d.counts).toEqual({ added: 0, removed: 0, upgraded: 0, downgraded: 0 });
  });

  it("when a snapshot's changes are read, then they are its diff against the previous SUCCEEDED snapshot, skipping FAILED ones", async () => {
    const s4 = asSnapshot(expectNoGraphQLErrors(await run(SnapshotChangesQuery, { id: gid("Snapshot", ids["s4"]!) })).node);
    expect(s4).toMatchObject({ previous: { id: gid("Snapshot", ids["s2"]!) }, added: 2, removed: 1 });
    const changes = s4.changes;
    expect(summary(changes.edges)).toEqual(["ADDED c -→3.0", "REMOVED e 1.0→-", "ADDED g -→1.0~rc1"]);
    expect(changes.from).toEqual({ id: gid("Snapshot", ids["s2"]!) });
    const direct = await diff({ from: gid("Snapshot", ids["s2"]!), to: gid("Snapshot", ids["s4"]!) });
    expect(summary(changes.edges)).toEqual(summary(direct.edges));
  });

  it("when the first snapshot's changes are read, then everything is ADDED and previous is null; a FAILED snapshot has none", async () => {
    const s1 = asSnapshot(expectNoGraphQLErrors(await run(SnapshotChangesQuery, { id: gid("Snapshot", ids["s1"]!) })).node);
    expect(s1.previous).toBeNull();
    expect(s1.changes.counts).toEqual({ added: 5, removed: 0, upgraded: 0, downgraded: 0 });
    expect(s1.changes.edges.every((e) => e.node.kind === "ADDED")).toBe(true);
    const s3 = asSnapshot(expectNoGraphQLErrors(await run(SnapshotChangesQuery, { id: gid("Snapshot", ids["s3"]!) })).node);
    expect(s3.status).toBe("FAILED");
    expect(s3.changes).toMatchObject({ totalCount: 0, edges: [] });
  });

  it("when changes are filtered by kind and paged both ways, then counts stay whole and cursors keep their place", async () => {
    const from = gid("Snapshot", ids["s1"]!);
    const to = gid("Snapshot", ids["s4"]!);
    const added = await diff({ from, to, kind: ["ADDED" as ChangeKind] });
    expect(summary(added.edges)).toEqual(["ADDED f -→5.0", "ADDED g -→1.0~rc1"]);
    expect(added.totalCount).toBe(2);
    expect(added.counts).toEqual({ added: 2, removed: 1, upgraded: 1, downgraded: 1 });

    const forward: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof diff>> = await diff({ from, to, first: 2, after });
      forward.push(...summary(page.edges));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page: Awaited<ReturnType<typeof diff>> = await diff({ from, to, last: 2, before });
      backward.unshift(...summary(page.edges));
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(forward).toEqual(summary((await diff({ from, to })).edges));
    expect(backward).toEqual(forward);

    const cursor = (await diff({ from, to, first: 1 })).pageInfo.endCursor!;
    for (const variables of [
      { from, to, after: cursor, kind: ["ADDED" as ChangeKind] },
      { from: gid("Snapshot", ids["s2"]!), to, after: cursor },
      { from, to, before: "garbage" },
    ]) {
      const bad = await run(SnapshotDiffQuery, variables);
      expect(bad.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    }
  });

  it("when snapshotDiff names a missing, FAILED or foreign snapshot, then it answers with a clear typed error", async () => {
    const other = await h.db.prisma.host.create({ data: { identifier: "uuid:elsewhere", hostname: "elsewhere" } });
    const foreign = await h.db.prisma.snapshot.create({ data: { hostId: other.id, status: "SUCCEEDED" } });
    try {
      const cases: [SnapshotDiffQueryVariables, string, RegExp][] = [
        [{ from: gid("Snapshot", 999_999), to: gid("Snapshot", ids["s1"]!) }, "NOT_FOUND", /from: no snapshot has the ID/],
        [{ from: gid("Snapshot", ids["s1"]!), to: gid("Snapshot", ids["s3"]!) }, "BAD_USER_INPUT", /to: snapshot .* is FAILED/],
        [{ from: gid("Host", 1), to: gid("Snapshot", ids["s1"]!) }, "BAD_USER_INPUT", /from is not a valid Snapshot ID/],
        [{ from: gid("Snapshot", ids["s1"]!), to: gid("Snapshot", foreign.id) }, "BAD_USER_INPUT", /different hosts/],
        [{ from: gid("Snapshot", ids["s1"]!), to: gid("Snapshot", ids["s2"]!), first: 101 }, "BAD_USER_INPUT", /first must be between 0 and 100/],
      ];
      for (const [variables, code, message] of cases) {
        const result = await run(SnapshotDiffQuery, variables);
        expect(result.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
      }
    } finally {
      await h.db.prisma.snapshot.delete({ where: { id: foreign.id } });
      await h.db.prisma.host.delete({ where: { id: other.id } });
    }
  });

  it("when latestData is given a past snapshotId, then it pages that snapshot's exact app set", async () => {
    const names = async (snapshot: string) => {
      const data = expectNoGraphQLErrors(await run(LatestDataQuery, { snapshotId: gid("Snapshot", ids[snapshot]!), first: 100 })).latestData;
      expect(data.snapshot?.id).toBe(gid("Snapshot", ids[snapshot]!));
      return data.edges.map((e) => `${e.node.name}@${e.node.version}`);
    };
    expect(await names("s1")).toEqual(["a@1.0", "b@2.0-1", "c@3.0", "d@1:1.0", "e@1.0"]);
    expect(await names("s2")).toEqual(["a@1.1", "b@2.0-1", "d@0.9", "e@1.0", "f@5.0"]);
    const page = expectNoGraphQLErrors(await run(LatestDataQuery, { snapshotId: gid("Snapshot", ids["s1"]!), first: 2 })).latestData;
    const next = expectNoGraphQLErrors(await run(LatestDataQuery, { snapshotId: gid("Snapshot", ids["s1"]!), first: 2, after: page.pageInfo.endCursor })).latestData;
    expect(next.edges.map((e) => e.node.name)).toEqual(["c", "d"]);
    const mismatch = await run(LatestDataQuery, { snapshotId: gid("Snapshot", ids["s2"]!), after: page.pageInfo.endCursor });
    expect(mismatch.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
    const failed = await run(LatestDataQuery, { snapshotId: gid("Snapshot", ids["s3"]!) });
    expect(failed.errors?.[0]).toMatchObject({ message: expect.stringMatching(/FAILED/), extensions: { code: "BAD_USER_INPUT" } });
    const missing = await run(LatestDataQuery, { snapshotId: gid("Snapshot", 424_242) });
    expect(missing.errors?.[0]?.extensions?.["code"]).toBe("NOT_FOUND");
  });

  it("when an app's history is asked for, then each version comes with when and where it appeared and disappeared", async () => {
    const a = expectNoGraphQLErrors(await run(AppHistoryQuery, { name: "A" })).appHistory;
    expect(a.map((v) => [v.version, v.firstSeenSnapshot?.id, v.removedSnapshot?.id ?? null])).toEqual([
      ["1.0", gid("Snapshot", ids["s1"]!), gid("Snapshot", ids["s2"]!)],
      ["1.1", gid("Snapshot", ids["s2"]!), null],
    ]);
    expect(a[1]!.removedAt).toBeNull();
    const c = expectNoGraphQLErrors(await run(AppHistoryQuery, { name: "c", source: "deb_packages" })).appHistory;
    expect(c.map((v) => [v.version, v.firstSeenSnapshot?.id, v.removedSnapshot?.id ?? null])).toEqual([
      ["3.0", gid("Snapshot", ids["s1"]!), gid("Snapshot", ids["s2"]!)],
      ["3.0", gid("Snapshot", ids["s4"]!), null],
    ]);
    expect(expectNoGraphQLErrors(await run(AppHistoryQuery, { name: "c", source: "apps" })).appHistory).toEqual([]);
    // " " is a name (names are stored as reported); "" never is.
    expect((await run(AppHistoryQuery, { name: "" })).errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
  });

  it("when an app's history is asked for with a source no osquery table has, then it answers BAD_USER_INPUT naming the sources", async () => {
    const result = await run(AppHistoryQuery, { name: "c", source: "nonsense" });
    expect(result.errors?.[0]).toMatchObject({
      message: "source must be one of apps, deb_packages, rpm_packages, programs",
      extensions: { code: "BAD_USER_INPUT", argument: "source" },
    });
    expect(result.data ?? null).toBeNull();
  });
});

describe.each(backends)("retention on %s", (backend) => {
  const DAY = 24 * 60 * 60 * 1000;
  const t0 = Date.parse("2026-01-01T00:00:00Z");
  let clock = t0;
  let h: Harness;
  const quiet = createLogger({ level: "silent" });
  const snaps: { id: number; day: number; status: string }[] = [];

  beforeAll(async () => {
    // No diff cache: every read after pruning must come from the database.
    h = await createHarness(backend, ubuntu([]), { now: () => new Date(clock), historyCacheBytes: 0 });
    let packages = generatedPackages(30);
    for (let day = 0; day < 12; day++) {
      clock = t0 + day * DAY;
      if (day === 3 || day === 10) {
        await h.machine.set({ ...ubuntu(), tables: { ...ubuntu().tables, deb_packages: { stdout: "[", exitCode: 0 } } });
      } else {
        packages = [...packages.slice(2), ...generatedPackages(2, `day${day}-`), ...(day % 4 === 0 ? packages.slice(0, 1) : [])];
        packages = packages.map((p, i) => (i === day ? { ...p, version: `${p.version}.${day}` } : p));
        await h.machine.set(ubuntu(packages));
      }
      const s = await h.collector.collect();
      snaps.push({ id: s.id, day, status: s.status });
    }
  });
  afterAll(async () => {
    await h?.dispose();
  });

  const appSet = async (id: number) =>
    expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { snapshotId: gid("Snapshot", id), first: 100 }, { fetch: h.fetch }))
      .latestData.edges.map((e) => `${e.node.name}@${e.node.version}`);
  const diffOf = async (a: number, b: number) =>
    expectNoGraphQLErrors(await execute(ENDPOINT, SnapshotDiffQuery, { from: gid("Snapshot", a), to: gid("Snapshot", b), first: 100 }, { fetch: h.fetch }))
      .snapshotDiff.edges.map((e) => `${e.node.kind} ${e.node.name} ${e.node.fromVersion}→${e.node.toVersion}`);
  const changesOf = async (id: number) =>
    asSnapshot(expectNoGraphQLErrors(await execute(ENDPOINT, SnapshotChangesQuery, { id: gid("Snapshot", id), first: 100 }, { fetch: h.fetch })).node)
      .changes.edges.map((e) => `${e.node.kind} ${e.node.name}`);

  it("when old snapshots are pruned, then what stays in the window reads exactly as before and older rows are gone", async () => {
    const succeeded = snaps.filter((s) => s.status === "SUCCEEDED");
    const kept = succeeded.filter((s) => s.day >= 5);
    const before = {
      sets: await Promise.all(kept.map((s) => appSet(s.id))),
      diffs: await Promise.all(kept.slice(1).map((s) => diffOf(kept[0]!.id, s.id))),
      changes: await Promise.all(kept.map((s) => changesOf(s.id))),
    };
    const appsBefore = await h.db.prisma.app.count();

    const retention = createRetention({ db: h.db.prisma, policy: { retainDays: 6, retainFailedDays: 1 }, logger: quiet, batchSize: 3 });
    const result = await retention.prune(new Date(t0 + 11 * DAY));
    expect(result.succeededSnapshots).toBe(succeeded.filter((s) => s.day < 5).length);
    // Day 3's FAILED run is older than a day; day 10's is exactly at the cutoff and stays.
    expect(result.failedSnapshots).toBe(1);
    expect(result.apps).toBeGreaterThan(0);

    const remaining = await h.db.prisma.snapshot.findMany({ orderBy: { id: "asc" } });
    const failedDay10 = snaps.find((s) => s.day === 10)!;
    expect(remaining.map((s) => s.id)).toEqual([...kept.map((s) => s.id), failedDay10.id].sort((a, b) => a - b));
    expect(await Promise.all(kept.map((s) => appSet(s.id)))).toEqual(before.sets);
    expect(await Promise.all(kept.slice(1).map((s) => diffOf(kept[0]!.id, s.id)))).toEqual(before.diffs);
    expect(await Promise.all(kept.map((s) => changesOf(s.id)))).toEqual(before.changes);
    expect(await h.db.prisma.app.count()).toBe(appsBefore - result.apps);
    const stale = await h.db.prisma.app.count({ where: { removedSnapshotId: { lt: kept[0]!.id } } });
    expect(stale).toBe(0);
  });

  it("when every snapshot is older than the window, then the newest SUCCEEDED one still stays and serves latestData", async () => {
    const newest = snaps.filter((s) => s.status === "SUCCEEDED").at(-1)!;
    const before = await appSet(newest.id);
    const retention = createRetention({ db: h.db.prisma, policy: { retainDays: 1, retainFailedDays: 1 }, logger: quiet });
    await retention.prune(new Date(t0 + 400 * DAY));
    const remaining = await h.db.prisma.snapshot.findMany();
    expect(remaining.map((s) => s.id)).toEqual([newest.id]);
    expect(await appSet(newest.id)).toEqual(before);
    const latest = expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 100 }, { fetch: h.fetch })).latestData;
    expect(latest.snapshot?.id).toBe(gid("Snapshot", newest.id));
    expect(await h.db.prisma.app.count({ where: { NOT: { removedSnapshotId: null } } })).toBe(
      await h.db.prisma.app.count({ where: { removedSnapshotId: newest.id } }),
    );
  });
});
