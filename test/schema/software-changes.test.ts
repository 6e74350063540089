import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SoftwareSource, type AppRecord, type Inventory } from "../../src/inventory/types.js";
import { MAX_PLATFORMS } from "../../src/schema/host.js";
import { MAX_CHANGE_DAYS } from "../../src/schema/software.js";
import { createInventoryStore, type InventoryStore } from "../../src/store/inventory-store.js";
import { createSoftwareCounts, type SoftwareCounts } from "../../src/store/software-catalog.js";
import { createLogger } from "../../src/logger.js";
import { appRecord } from "../helpers/app-record.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { HostPlatformsQuery, SoftwareChangesQuery } from "../helpers/fleet-operations.js";
import type { SoftwareChangesQueryVariables } from "../gql/graphql.js";

const DAY_MS = 24 * 60 * 60 * 1000;

const deb = (name: string, version: string | null) => appRecord(SoftwareSource.deb_packages, name, version);
const mac = (name: string, version: string, path: string) => appRecord(SoftwareSource.apps, name, version, path);

function inventory(host: string, platform: string, apps: AppRecord[]): Inventory {
  const source = platform === "darwin" ? SoftwareSource.apps : SoftwareSource.deb_packages;
  return {
    osqueryVersion: "5.12.1",
    os: { name: platform, version: "1", platform, platformLike: null, build: null, arch: "x86_64" },
    system: { hostname: host, uuid: `00000000-0000-4000-8000-${Buffer.from(host).toString("hex").slice(0, 12).padStart(12, "0")}` },
    source,
    apps,
  };
}

describe.each(backends)("which hosts changed an app (softwareChanges) on %s", (backend) => {
  let h: Harness;
  let store: InventoryStore;
  let counts: SoftwareCounts;
  const now = Date.now();
  const ago = (days: number) => new Date(now - days * DAY_MS);
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });
  const changes = async (variables: SoftwareChangesQueryVariables) => expectNoGraphQLErrors(await gql(SoftwareChangesQuery, variables)).softwareChanges;
  /** "host KIND from→to" per change, edges in order. */
  const summary = (connection: Awaited<ReturnType<typeof changes>>) =>
    connection.edges.flatMap((e) => e.node.changes.map((c) => `${e.node.host.hostname} ${c.kind} ${c.fromVersion ?? "-"}→${c.toVersion ?? "-"}`));
  const snapshotIds = new Map<string, number>();
  const record = async (host: string, platform: string, apps: AppRecord[], at: Date, label?: string) => {
    const snapshot = await store.recordSuccess(inventory(host, platform, apps), { collectedAt: at, durationMs: 10 });
    if (label) snapshotIds.set(label, snapshot.id);
  };

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu([]), { collectLocal: false, responseCache: false });
    counts = createSoftwareCounts({ db: h.db.prisma, logger: createLogger({ level: "silent" }), delayMs: 60_000 });
    store = createInventoryStore({ db: h.db.prisma, fallbackHostname: "changes-test", counts });
    // Recorded in time order, as collections land.
    await record("upgrader", "debian", [deb("curl", "7.0"), deb("vim", "9.0")], ago(20));
    await record("remover", "debian", [deb("curl", "7.0")], ago(20));
    await record("downgrader", "ubuntu", [deb("curl", "7.0")], ago(20));
    await record("steady", "ubuntu", [deb("curl", "7.0"), deb("vim", "9.0")], ago(20));
    await record("mac", "darwin", [mac("Slack", "4.0", "/Applications/Slack.app"), mac("Slack", "4.0", "/Users/a/Applications/Slack.app")], ago(20));
    await record("downgrader", "ubuntu", [deb("curl", "6.9")], ago(10));
    await record("upgrader", "debian", [deb("curl", "7.1"), deb("vim", "9.0")], ago(3), "upgrade");
    await record("remover", "debian", [], ago(2));
    // A new host: its first inventory adds curl.
    await record("newcomer", "debian", [deb("curl", "7.1")], ago(1));
    // Another app changes on the steady host: no curl change.
    await record("steady", "ubuntu", [deb("curl", "7.0"), deb("vim", "9.1")], ago(1));
    await record("mac", "darwin", [mac("Slack", "4.1", "/Applications/Slack.app"), mac("Slack", "4.0", "/Users/a/Applications/Slack.app")], ago(0.5));
  });
  afterAll(async () => {
    await counts?.close();
    await h?.dispose();
  });

  it("when asked for the last 7 days, then each host's change of the app is listed newest first, with kinds and versions", async () => {
    const week = await changes({ name: "curl", days: 7, first: 10 });
    expect(summary(week)).toEqual(["newcomer ADDED -→7.1", "remover REMOVED 7.0→-", "upgrader UPGRADED 7.0→7.1"]);
    expect(week.totalCount).toBe(3);
    expect(week.hostCount).toBe(3);
    expect(week.edges[2]!.node.at).toBe(ago(3).toISOString());
    expect(week.edges[2]!.node.snapshot?.collectedAt).toBe(ago(3).toISOString());
    expect(week.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    // Neither given: the last 7 days.
    expect(summary(await changes({ name: "curl", first: 10 }))).toEqual(summary(week));
  });

  it("when the window is wider or given as an instant, then it holds exactly the changes since then", async () => {
    const month = await changes({ name: "curl", days: 30, first: 100 });
    expect(summary(month)).toEqual([
      "newcomer ADDED -→7.1",
      "remover REMOVED 7.0→-",
      "upgrader UPGRADED 7.0→7.1",
      "downgrader DOWNGRADED 7.0→6.9",
      // The first inventories, 20 days ago, newest recorded first.
      "steady ADDED -→7.0",
      "downgrader ADDED -→7.0",
      "remover ADDED -→7.0",
      "upgrader ADDED -→7.0",
    ]);
    expect(month.totalCount).toBe(8);
    expect(month.hostCount).toBe(5);
    const since = await changes({ name: "curl", since: ago(2.5).toISOString(), first: 10 });
    expect(summary(since)).toEqual(["newcomer ADDED -→7.1", "remover REMOVED 7.0→-"]);
    expect(since.totalCount).toBe(2);
    // An app nobody has, and a name that differs only in case, have no changes.
    expect((await changes({ name: "nope", days: 30 })).edges).toEqual([]);
    expect((await changes({ name: "CURL", days: 30 })).totalCount).toBe(0);
  });

  it("when one of two copies of an app changes version, then that copy's path is one change and the source filter narrows", async () => {
    const slack = await changes({ name: "Slack", source: "apps", days: 7 });
    expect(slack.edges).toHaveLength(1);
    expect(slack.edges[0]!.node.changes).toEqual([
      { kind: "UPGRADED", name: "Slack", source: "apps", path: "/Applications/Slack.app", fromVersion: "4.0", toVersion: "4.1" },
    ]);
    expect((await changes({ name: "Slack", source: "deb_packages", days: 7 })).totalCount).toBe(0);
    expect((await changes({ name: "curl", source: "apps", days: 30 })).totalCount).toBe(0);
  });

  it("when paged forward one at a time and backward from the end, then the walks give the list exactly", async () => {
    const all = await changes({ name: "curl", days: 30, first: 100 });
    const forward: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: Awaited<ReturnType<typeof changes>> = await changes({ name: "curl", days: 30, first: 1, after });
      forward.push(...page.edges.map((e) => e.cursor));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? null;
    }
    expect(forward).toEqual(all.edges.map((e) => e.cursor));
    const last = await changes({ name: "curl", days: 30, last: 3 });
    expect(last.edges.map((e) => e.cursor)).toEqual(all.edges.slice(-3).map((e) => e.cursor));
    expect(last.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await changes({ name: "curl", days: 30, last: 2, before: last.pageInfo.startCursor });
    expect(before.edges.map((e) => e.cursor)).toEqual(all.edges.slice(-5, -3).map((e) => e.cursor));
  });

  it("when retention has deleted the snapshot of a change, then the change stays with its time and a null snapshot", async () => {
    const id = snapshotIds.get("upgrade")!;
    // Apps keep their snapshot positions as plain numbers: what retention leaves behind.
    await h.db.prisma.snapshot.delete({ where: { id } });
    const week = await changes({ name: "curl", days: 7, first: 10 });
    expect(summary(week)).toContain("upgrader UPGRADED 7.0→7.1");
    const edge = week.edges.find((e) => e.node.host.hostname === "upgrader")!;
    expect(edge.node.snapshot).toBeNull();
    expect(edge.node.at).toBe(ago(3).toISOString());
  });

  it.each([
    [{ days: 0 }, "days"],
    [{ days: MAX_CHANGE_DAYS + 1 }, "days"],
    [{ days: -3 }, "days"],
    [{ since: new Date(now - (MAX_CHANGE_DAYS + 1) * DAY_MS).toISOString() }, "since"],
    [{ days: 7, since: ago(1).toISOString() }, "since"],
    [{ days: 7, after: "garbage!" }, "after"],
    [{ days: 7, after: Buffer.from("host:1").toString("base64url") }, "after"],
    [{ days: 7, first: 101 }, "first"],
    [{ days: 7, source: "nonsense" }, "source"],
  ] as [Partial<SoftwareChangesQueryVariables>, string][])("when given %j, then it is refused as BAD_USER_INPUT on %s", async (variables, argument) => {
    const result = await gql(SoftwareChangesQuery, { name: "curl", ...variables });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
  });

  it("when the platforms are asked for, then each platform the hosts reported comes with its host count, most hosts first", async () => {
    const platforms = expectNoGraphQLErrors(await gql(HostPlatformsQuery)).hostPlatforms;
    expect(platforms).toEqual([
      { platform: "debian", hostCount: 3 },
      { platform: "ubuntu", hostCount: 2 },
      { platform: "darwin", hostCount: 1 },
    ]);
  });

  it(`when hosts report more than ${MAX_PLATFORMS} platforms, then the ${MAX_PLATFORMS} with most hosts are listed`, async () => {
    // A host enrolled without an inventory has no platform and is not counted.
    await h.db.prisma.host.createMany({
      data: [
        ...Array.from({ length: MAX_PLATFORMS + 5 }, (_, i) => ({ hostname: `odd-${i}`, platform: `odd-${String(i).padStart(3, "0")}` })),
        { hostname: "unreported" },
      ],
    });
    const platforms = expectNoGraphQLErrors(await gql(HostPlatformsQuery)).hostPlatforms;
    expect(platforms).toHaveLength(MAX_PLATFORMS);
    expect(platforms.slice(0, 4)).toEqual([
      { platform: "debian", hostCount: 3 },
      { platform: "ubuntu", hostCount: 2 },
      { platform: "darwin", hostCount: 1 },
      { platform: "odd-000", hostCount: 1 },
    ]);
    expect(platforms.at(-1)).toEqual({ platform: `odd-${String(MAX_PLATFORMS - 4).padStart(3, "0")}`, hostCount: 1 });
  });
});
