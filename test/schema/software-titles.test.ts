import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SoftwareSource, type Inventory } from "../../src/inventory/types.js";
import { createLogger } from "../../src/logger.js";
import { createInventoryStore, type InventoryStore } from "../../src/store/inventory-store.js";
import { createSoftwareCounts, type SoftwareCounts } from "../../src/store/software-catalog.js";
import { appRecord } from "../helpers/app-record.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { SoftwareQuery, SoftwareTitlesQuery } from "../helpers/fleet-operations.js";
import type { SoftwareTitlesQueryVariables } from "../gql/graphql.js";


const PLATFORM_SOURCE = { debian: SoftwareSource.deb_packages, rhel: SoftwareSource.rpm_packages, windows: SoftwareSource.programs } as const;

function inventory(host: string, platform: keyof typeof PLATFORM_SOURCE, apps: [name: string, version: string | null][]): Inventory {
  const source = PLATFORM_SOURCE[platform];
  return {
    osqueryVersion: "5.12.1",
    os: { name: platform, version: "1", platform, platformLike: null, build: null, arch: "x86_64" },
    system: { hostname: host, uuid: `00000000-0000-4000-8000-${Buffer.from(host).toString("hex").slice(0, 12).padStart(12, "0")}` },
    source,
    apps: apps.map(([name, version]) => appRecord(source, name, version)),
  };
}

/** More titles whose name holds "perl" than a page of software(nameContains: "perl"), all sorting before "perl". */
const LIB_PERL = Array.from({ length: 120 }, (_, i) => `lib${String(i).padStart(3, "0")}-perl`);

describe.each(backends)("a software title by its exact name (softwareTitles) on %s", (backend) => {
  let h: Harness;
  let store: InventoryStore;
  let counts: SoftwareCounts;
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });
  const titles = async (variables: SoftwareTitlesQueryVariables) => expectNoGraphQLErrors(await gql(SoftwareTitlesQuery, variables)).softwareTitles;
  const record = (host: string, platform: keyof typeof PLATFORM_SOURCE, apps: [string, string | null][]) =>
    store.recordSuccess(inventory(host, platform, apps), { collectedAt: new Date(), durationMs: 10 });
  /** The truth, from the apps table: hosts that have the title now, per source. */
  const hostsNow = async (name: string) =>
    Object.fromEntries(
      (
        await h.db.prisma.$queryRawUnsafe<{ source: string; hosts: number }[]>(
          `SELECT s.source, count(DISTINCT a.host_id)::int AS hosts FROM apps a JOIN software s ON s.id = a.software_id
            WHERE s.name = $1 AND a.removed_snapshot_id IS NULL GROUP BY s.source`,
          name,
        )
      ).map((row) => [row.source, row.hosts]),
    );

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu([]), { collectLocal: false, responseCache: false });
    // Folded only when the test says so: answers must be exact with the changes pending and folded.
    counts = createSoftwareCounts({ db: h.db.prisma, logger: createLogger({ level: "silent" }), delayMs: 60_000 });
    store = createInventoryStore({ db: h.db.prisma, fallbackHostname: "titles-test", counts });
    const libs = LIB_PERL.map((name): [string, string] => [name, "1.0"]);
    await record("deb-a", "debian", [["perl", "5.36.0"], ["PERL", "1"], ...libs]);
    await record("deb-b", "debian", [["perl", "5.38.2"], ...libs]);
    await record("deb-c", "debian", [["perl", "5.36.0"], ["perl-base", "5.36.0"]]);
    await record("rpm-a", "rhel", [["perl", "5.32.1"], ["perl-libs", null]]);
    // A title whose only host has removed it: in the catalog, on no host.
    await record("win-a", "windows", [["perl", "5.40"]]);
    await record("win-a", "windows", [["Strawberry Perl", "5.40"]]);
  });
  afterAll(async () => {
    await counts?.close();
    await h?.dispose();
  });

  it("when a name is part of more names than a page and sorts after them, then the exact title is found with its versions and host count", async () => {
    // Why it exists: a client looking for perl in software(nameContains) does not find it on the first page.
    const page = expectNoGraphQLErrors(await gql(SoftwareQuery, { filter: { nameContains: "perl" }, first: 100 })).software;
    expect(page.totalCount).toBeGreaterThan(100);
    expect(page.edges.map((e) => e.node.name)).not.toContain("perl");

    const deb = await titles({ name: "perl", source: "deb_packages" });
    expect(deb).toEqual([
      {
        name: "perl",
        source: "deb_packages",
        hostCount: 3,
        versions: [
          { version: "5.36.0", hostCount: 2 },
          { version: "5.38.2", hostCount: 1 },
        ],
      },
    ]);
    expect(deb[0]!.hostCount).toBe((await hostsNow("perl"))["deb_packages"]);
    // The same title as the software list has it.
    const listed = expectNoGraphQLErrors(await gql(SoftwareQuery, { filter: { nameContains: "perl", source: "deb_packages" }, last: 10 })).software;
    expect(listed.edges.map((e) => e.node).find((t) => t.name === "perl")).toEqual(deb[0]);
  });

  it("when no source is given and two sources have the name, then both titles come, in the order of software, and only sources hosts have it from", async () => {
    const any = await titles({ name: "perl" });
    expect(any.map((t) => [t.source, t.hostCount])).toEqual([
      ["deb_packages", 3],
      ["rpm_packages", 1],
    ]);
    expect(Object.fromEntries(any.map((t) => [t.source, t.hostCount]))).toEqual({ ...(await hostsNow("perl")) });
    expect(any[1]!.versions).toEqual([{ version: "5.32.1", hostCount: 1 }]);
    const walked = expectNoGraphQLErrors(await gql(SoftwareQuery, { filter: { nameContains: "perl" }, last: 100 })).software;
    expect(walked.edges.map((e) => e.node).filter((t) => t.name === "perl")).toEqual(any);
    // A version without a value is listed as null.
    expect(await titles({ name: "perl-libs" })).toEqual([{ name: "perl-libs", source: "rpm_packages", hostCount: 1, versions: [{ version: null, hostCount: 1 }] }]);
  });

  it("when a title is missing, differs only in case or in part, or its hosts removed it, then nothing comes for it", async () => {
    expect(await titles({ name: "no-such-software" })).toEqual([]);
    expect(await titles({ name: "perl", source: "apps" })).toEqual([]);
    // Exact, byte for byte: other case and substrings are other titles.
    expect((await titles({ name: "PERL" })).map((t) => t.name)).toEqual(["PERL"]);
    expect(await titles({ name: "Perl" })).toEqual([]);
    expect(await titles({ name: "per" })).toEqual([]);
    expect(await titles({ name: "perl " })).toEqual([]);
    expect(await titles({ name: "" })).toEqual([]);
    // win-a had perl and replaced it: its catalog row stays until retention, with no host.
    expect(await h.db.prisma.softwareTitle.count({ where: { name: "perl", source: "programs" } })).toBe(1);
    expect(await titles({ name: "perl", source: "programs" })).toEqual([]);
    expect((await titles({ name: "Strawberry Perl", source: "programs" }))[0]?.hostCount).toBe(1);
  });

  it("when the pending host counts are folded, then the answers stay the same", async () => {
    const before = [await titles({ name: "perl" }), await titles({ name: "perl", source: "programs" })];
    expect(await counts.fold()).toBeGreaterThan(0);
    expect(await h.db.prisma.$queryRawUnsafe<unknown[]>("SELECT 1 FROM software_count_changes")).toEqual([]);
    expect([await titles({ name: "perl" }), await titles({ name: "perl", source: "programs" })]).toEqual(before);
  });

  it.each([
    [{ name: "x".repeat(4097) }, "name"],
    [{ name: "perl\u0000" }, "name"],
    [{ name: "\ud800" }, "name"],
    [{ name: "perl", source: "nonsense" }, "source"],
    [{ name: "perl", source: "" }, "source"],
  ] as [SoftwareTitlesQueryVariables, string][])("when given %j, then it is refused as BAD_USER_INPUT on %s", async (variables, argument) => {
    const result = await gql(SoftwareTitlesQuery, variables);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
  });

  it("when the longest name allowed is asked for, then it is looked up, not refused", async () => {
    expect(await titles({ name: "x".repeat(4096) })).toEqual([]);
  });
});
