import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAgent, createSimulatedHost, type Agent, type Platform, type SimulatedHost } from "../helpers/agent-simulator/index.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { CollectHostMutation, FleetHostsQuery, SoftwareHostsQuery, SoftwareQuery } from "../helpers/fleet-operations.js";
import { LatestDataQuery } from "../helpers/operations.js";
import type { ResultOf, VariablesOf } from "@graphql-typed-document-node/core";

/** The database id behind a Relay global ID. */
const dbId = (globalId: string) => Number(decodeGlobalID(globalId).id);

const PLATFORMS: Platform[] = ["darwin", "ubuntu", "rhel", "windows"];
const HOSTS = 50;
const SEED = 20261130;

/**
 * Every row of each software table, read from the host's truth; which rows count as installed is
 * decided below (installed), not by the server's statements.
 */
const STATEMENTS: Record<string, string> = {
  apps: "SELECT name, path, bundle_identifier, bundle_short_version, bundle_version FROM apps;",
  deb_packages: "SELECT name, version, maintainer, status FROM deb_packages;",
  rpm_packages: "SELECT name, version, release, epoch, vendor FROM rpm_packages;",
  programs: "SELECT name, version, publisher, install_location, identifying_number FROM programs;",
};

type Expected = [name: string, version: string | null, path: string | null];

/** dpkg's status is "<want> <error> <state>": installed means no error and the state "installed". */
const installed = (row: Record<string, string>) => row["status"] === undefined || / ok installed$/.test(row["status"]);

/** What latestData must list for a host: its rows as reported, by the documented rules per table. */
function expectedApps(host: SimulatedHost): Expected[] {
  const result = host.peek(STATEMENTS[host.softwareTable]!);
  if (!result.ok) throw new Error(result.message);
  const rows = result.rows.map((row) => Object.fromEntries(row)).filter(installed);
  const nul = (v: string | undefined) => (v === undefined || v.trim() === "" ? null : v.trim());
  const seen = new Set<string>();
  const out: Expected[] = [];
  for (const row of rows) {
    const name = nul(row["name"]);
    if (name === null) continue;
    let version: string | null;
    let path: string | null = null;
    switch (host.softwareTable) {
      case "apps":
        version = nul(row["bundle_short_version"]) ?? nul(row["bundle_version"]);
        path = nul(row["path"]);
        break;
      case "rpm_packages": {
        const epoch = nul(row["epoch"]);
        const release = nul(row["release"]);
        version = nul(row["version"]) && `${epoch && epoch !== "0" ? `${epoch}:` : ""}${nul(row["version"])}${release ? `-${release}` : ""}`;
        break;
      }
      case "programs":
        version = nul(row["version"]);
        path = nul(row["install_location"]);
        break;
      default:
        version = nul(row["version"]);
    }
    const key = JSON.stringify([name, version, path]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push([name, version, path]);
  }
  return out.sort();
}

describe.each(backends)("fleet mode with simulated osqueryd agents on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const agents: Agent[] = [];
  const hostIds = new Map<SimulatedHost, string>();
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });

  async function allApps(hostId: string, pageSize = 100, between?: () => Promise<void>): Promise<Expected[]> {
    const names: Expected[] = [];
    let after: string | null = null;
    do {
      const result: Awaited<ReturnType<typeof gql<ResultOf<typeof LatestDataQuery>, VariablesOf<typeof LatestDataQuery>>>> = await gql(LatestDataQuery, { hostId, first: pageSize, after });
      const page = expectNoGraphQLErrors(result).latestData;
      names.push(...page.edges.map((e): Expected => [e.node.name, e.node.version ?? null, e.node.path ?? null]));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      if (between) await between();
    } while (after);
    return names;
  }

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: { onlineWindowMs: 1500, collectWaitMs: 10_000 }, collectLocal: false });
    origin = await h.listen();
    for (let index = 0; index < HOSTS; index++) {
      // One Debian package in twenty removed with its config files left, which dpkg still lists.
      const host = createSimulatedHost({ platform: PLATFORMS[index % 4]!, seed: SEED, index, softwareCount: 40 + (index % 7) * 15, churn: 0.1, debConfigFilesFraction: 0.05 });
      agents.push(createAgent({ host, url: origin, ca: h.pki!.ca, enrollSecret: TEST_FLEET.secrets[0]!, hostIdentifier: "uuid", timeScale: 0.001 }));
    }
    // Every agent as osqueryd starts: enroll, config, the first distributed cycle (the inventory).
    await Promise.all(agents.map(async (agent) => {
      await agent.enroll();
      await agent.loadConfig();
      await agent.distributedCycle();
    }));
    // More hosts than AGENT_INVENTORY_CONCURRENCY started at once: the others are handed their
    // inventory at a later check-in, as osqueryd's next poll would be.
    const inventoried = async () => (await h.db.prisma.snapshot.groupBy({ by: ["hostId"], where: { status: "SUCCEEDED" } })).length;
    for (let round = 0; round < 10 && (await inventoried()) < HOSTS; round++) await Promise.all(agents.map((agent) => agent.distributedCycle()));
    const hosts = expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 100 })).hosts;
    for (const agent of agents) hostIds.set(agent.host, hosts.edges.find((e) => e.node.hostname === agent.host.hostname)!.node.id);
  }, 240_000);
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await h?.dispose();
  });

  it("when 50 agents of four platforms report, then each host's inventory comes back exactly through latestData", async () => {
    expect(hostIds.size).toBe(HOSTS);
    const hosts = expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 100 })).hosts;
    expect(hosts.totalCount).toBe(HOSTS);
    expect(new Set(hosts.edges.map((e) => e.node.platform))).toEqual(new Set(["darwin", "ubuntu", "rhel", "windows"]));
    for (const edge of hosts.edges) expect(edge.node.latestSnapshot).toMatchObject({ status: "SUCCEEDED", source: "AGENT" });
    for (const agent of agents) {
      expect((await allApps(hostIds.get(agent.host)!)).sort(), agent.host.hostname).toEqual(expectedApps(agent.host));
    }
    // The fleet held removed packages, so the comparison above would have seen them.
    const removed = agents.flatMap((a) => (a.host.softwareTable === "deb_packages" ? a.host.truthOf("deb_packages").filter((row) => !installed(row)) : []));
    expect(removed.length).toBeGreaterThan(0);
  });

  it("when a refresh is asked for and the host has churned, then a snapshotUpdated subscriber hears the snapshot with the churn's counts", async () => {
    const agent = agents[1]!;
    const hostId = hostIds.get(agent.host)!;
    const before = new Set(expectedApps(agent.host).map((a) => JSON.stringify(a)));
    const published = h.published.length;
    const pending = gql(CollectHostMutation, { hostId });
    await vi.waitFor(async () => {
      await agent.distributedCycle();
      expect(agent.host.softwareReads).toBe(2);
    });
    const snapshot = expectNoGraphQLErrors(await pending).collectSnapshot;
    const after = new Set(expectedApps(agent.host).map((a) => JSON.stringify(a)));
    const added = [...after].filter((a) => !before.has(a)).length;
    const removed = [...before].filter((a) => !after.has(a)).length;
    expect(added + removed).toBeGreaterThan(0);
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", added, removed, appCount: after.size });
    await vi.waitFor(() => expect(h.published.slice(published)).toEqual([expect.objectContaining({ id: dbId(snapshot.id), added, removed })]));
    expect((await allApps(hostId)).sort()).toEqual(expectedApps(agent.host));
  });

  it("when a client walks one host's apps while other hosts and the host itself report, then the walk neither skips nor repeats an app", async () => {
    const agent = agents[2]!;
    const hostId = hostIds.get(agent.host)!;
    const start = expectedApps(agent.host);
    let step = 0;
    const walked = await allApps(hostId, 7, async () => {
      step++;
      // Others report a fresh inventory; every third page, so does the walked host.
      const others = [agents[(step * 3) % HOSTS]!, agents[(step * 3 + 1) % HOSTS]!];
      if (step % 3 === 0) others.push(agent);
      const ids = others.map((o) => dbId(hostIds.get(o.host)!));
      await h.db.prisma.host.updateMany({ where: { id: { in: ids } }, data: { inventoryRequestedAt: new Date() } });
      for (const id of ids) h.fleet!.hosts.forget(id);
      await Promise.all(others.map((o) => o.distributedCycle()));
    });
    expect([...walked].sort()).toEqual(start);
    expect(new Set(walked.map((a) => JSON.stringify(a))).size).toBe(walked.length);
    expect(agent.host.softwareReads).toBeGreaterThan(1);
  });

  it("when software is listed across the fleet, then titles, host counts, versions and the hosts of a title match what the agents reported", async () => {
    // The truth: every host's expected apps, by (source, name), version.
    const titles = new Map<string, { hosts: Set<string>; versions: Map<string | null, Set<string>> }>();
    for (const agent of agents) {
      const hostId = hostIds.get(agent.host)!;
      for (const [name, version] of expectedApps(agent.host)) {
        const key = JSON.stringify([agent.host.softwareTable, name]);
        const title = titles.get(key) ?? { hosts: new Set(), versions: new Map() };
        title.hosts.add(hostId);
        title.versions.set(version, (title.versions.get(version) ?? new Set()).add(hostId));
        titles.set(key, title);
      }
    }
    const listed: { name: string; source: string; hostCount: number; versions: { version?: string | null; hostCount: number }[] }[] = [];
    let after: string | null = null;
    for (;;) {
      const result: Awaited<ReturnType<typeof gql<ResultOf<typeof SoftwareQuery>, VariablesOf<typeof SoftwareQuery>>>> = await gql(SoftwareQuery, { first: 100, after });
      const page = expectNoGraphQLErrors(result).software;
      expect(page.totalCount).toBe(titles.size);
      listed.push(...page.edges.map((e) => e.node));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(listed).toHaveLength(titles.size);
    // Ordered by name, case-insensitively (the lower-cased name's bytes), as latestData.
    const lower = listed.map((t) => Buffer.from(t.name.toLowerCase()));
    for (let i = 1; i < lower.length; i++) expect(Buffer.compare(lower[i - 1]!, lower[i]!)).toBeLessThanOrEqual(0);
    for (const title of listed) {
      const truth = titles.get(JSON.stringify([title.source, title.name]))!;
      expect(title.hostCount, title.name).toBe(truth.hosts.size);
      expect(Object.fromEntries(title.versions.map((v) => [String(v.version ?? null), v.hostCount]))).toEqual(
        Object.fromEntries([...truth.versions].map(([v, hosts]) => [String(v), hosts.size])),
      );
    }
    // Backward from the end gives the same last page.
    const last = expectNoGraphQLErrors(await gql(SoftwareQuery, { last: 5 })).software;
    expect(last.edges.map((e) => e.node.name)).toEqual(listed.slice(-5).map((t) => t.name));
    // The hosts of the most widespread title, and of one version of it.
    const widest = [...listed].sort((a, b) => b.hostCount - a.hostCount)[0]!;
    const truth = titles.get(JSON.stringify([widest.source, widest.name]))!;
    const hosts = expectNoGraphQLErrors(await gql(SoftwareHostsQuery, { name: widest.name, source: widest.source, first: 100 })).softwareHosts;
    expect(new Set(hosts.edges.map((e) => e.node.id))).toEqual(truth.hosts);
    expect(hosts.totalCount).toBe(truth.hosts.size);
    const [version, versionHosts] = [...truth.versions].find(([v]) => v !== null)!;
    const ofVersion = expectNoGraphQLErrors(await gql(SoftwareHostsQuery, { name: widest.name, source: widest.source, version, first: 100 })).softwareHosts;
    expect(new Set(ofVersion.edges.map((e) => e.node.id))).toEqual(versionHosts);
    const filtered = expectNoGraphQLErrors(await gql(SoftwareQuery, { filter: { nameContains: widest.name.slice(1, 4).toUpperCase() }, first: 100 })).software;
    expect(filtered.edges.map((e) => e.node.name)).toContain(widest.name);
    expect(filtered.edges.every((e) => e.node.name.toLowerCase().includes(widest.name.slice(1, 4).toLowerCase()))).toBe(true);
    const forged = Buffer.from(JSON.stringify(["title", "nonsense", "x"])).toString("base64url");
    for (const cursor of ["garbage!", forged, Buffer.from("[1,2,3]").toString("base64url")]) {
      expect((await gql(SoftwareQuery, { after: cursor })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument: "after" });
    }
    expect((await gql(SoftwareHostsQuery, { name: "x", source: "nonsense" })).errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
  });

  it("when an agent stops polling, then its host goes offline and the online filter follows", async () => {
    const quiet = agents[3]!;
    const id = hostIds.get(quiet.host)!;
    const active = agents.filter((a) => a !== quiet);
    // The others keep polling; the quiet one stops.
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      await Promise.all(active.map((a) => a.distributedCycle()));
      await new Promise((r) => setTimeout(r, 200));
    }
    await h.fleet!.hosts.flush();
    const offline = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: false }, first: 100 })).hosts;
    expect(offline.edges.map((e) => e.node.id)).toEqual([id]);
    expect(offline.edges[0]!.node.online).toBe(false);
    const online = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: true }, first: 100 })).hosts;
    expect(online.totalCount).toBe(HOSTS - 1);
  });
});
