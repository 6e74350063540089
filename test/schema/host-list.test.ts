import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instantIso, type Instant } from "../../src/db/instant.js";
import type { Host } from "../../src/generated/prisma/client.js";
import { getNamedType, isLeafType, type GraphQLObjectType } from "graphql";
import { columnsNamed } from "../../src/schema/columns.js";
import { reading } from "../../src/schema/host.js";
import { schema } from "../../src/schema/index.js";
import { createHostQueries } from "../../src/store/host-queries.js";
import { HOST_COLUMNS, LISTED_HOST_COLUMNS, type ListedHost, type UnlistedHostKey } from "../../src/store/host-statements.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { FleetHostsQuery } from "../helpers/fleet-operations.js";

const ONLINE_WINDOW_MS = 60_000;

const UNLISTED = {
  identifier: true,
  platformLike: true,
  agentInstanceId: true,
  inventoryBatch: true,
  inventorySentAt: true,
  inventoryAt: true,
  updatedAt: true,
} as const satisfies Record<UnlistedHostKey, true>;

/**
 * Bytes as plain arrays: the driver reads bytea as a Buffer, Prisma's client as a Uint8Array. Times as
 * the DateTime scalar prints them: the list reads them as ISO strings, Prisma's client as Dates. int8
 * as text: the list reads it so, Prisma's client as a bigint.
 */
const comparable = (hosts: (Omit<Host, UnlistedHostKey> | ListedHost)[]) =>
  hosts.map((host) => {
    const times = Object.entries(host).filter(([key, value]) => key.endsWith("At") && value !== null);
    return {
      ...host,
      ...Object.fromEntries(times.map(([key, value]) => [key, instantIso(value as Instant)])),
      nodeKeyHash: host.nodeKeyHash && [...host.nodeKeyHash],
      physicalMemory: host.physicalMemory === null ? null : String(host.physicalMemory),
      resultLines: String(host.resultLines),
    };
  });

/** Every field of Host, objects with their __typename. */
const hostFields = () =>
  Object.values((schema.getType("Host") as GraphQLObjectType).getFields()).map((field) =>
    isLeafType(getNamedType(field.type)) ? field.name : `${field.name} { __typename }`,
  );

describe.each(backends)("the hosts list read past Prisma's client on %s", (backend) => {
  let h: Harness;
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });
  const hosts = async (variables: Record<string, unknown>) =>
    expectNoGraphQLErrors(await gql(FleetHostsQuery, variables)).hosts;
  const names = async (variables: Record<string, unknown>) => (await hosts(variables)).edges.map((edge) => edge.node.hostname);

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: { onlineWindowMs: ONLINE_WINDOW_MS, lastSeenFlushMs: 60_000 }, collectLocal: false, responseCache: false });
    const now = Date.now();
    const host = (hostname: string, extra: Partial<Host> = {}) => h.db.prisma.host.create({ data: { hostname, ...extra } });
    // Every column set on one host, int8 beyond 2^53 and bytea included.
    await host("full", {
      identifier: "uuid:full",
      platform: "ubuntu",
      platformLike: "debian",
      osName: "Ubuntu",
      osVersion: "24.04",
      osqueryVersion: "5.12.1",
      hardwareVendor: "Vendor",
      hardwareModel: "Model",
      hardwareSerial: "Serial",
      cpuBrand: "CPU",
      physicalMemory: 2n ** 60n + 1n,
      agentIdentifier: "agent",
      agentInstanceId: "instance",
      nodeKeyHash: new Uint8Array([0, 1, 254, 255]),
      enrolledAt: new Date(now - 1000),
      lastSeenAt: new Date(now),
      inventoryRequestedAt: new Date(now - 3000),
      inventoryBatch: "batch",
      inventorySentAt: new Date(now - 2000),
      inventoryAt: new Date(now - 4000),
      resultLines: 2n ** 62n,
    });
    await host("seen-an-hour-ago", { lastSeenAt: new Date(now - 3_600_000) });
    await host("never-seen");
    await host("the-local-one", { local: true });
    await host("50%-off", { lastSeenAt: new Date(now - 3_600_000) });
    await host("500-off", { lastSeenAt: new Date(now - 3_600_000) });
    // curl on the 1st, 3rd, 4th and 6th host; the 5th had it and removed it.
    await h.db.prisma.$executeRawUnsafe(`INSERT INTO software_titles (fingerprint, source, name, sort_key)
      VALUES (software_title_fingerprint('deb_packages', 'curl'), 'deb_packages', 'curl', convert_to('curl', 'UTF8'))`);
    await h.db.prisma.$executeRawUnsafe(`INSERT INTO software_versions (fingerprint, title_id, version)
      SELECT software_version_fingerprint(id, '8.5'), id, '8.5' FROM software_titles`);
    await h.db.prisma.$executeRawUnsafe(`INSERT INTO software (fingerprint, version_id, title_id, source, name, version, sort_key)
      SELECT software_fingerprint(v.id, NULL, NULL, NULL, '{}'), v.id, t.id, t.source, t.name, v.version, t.sort_key
      FROM software_versions v JOIN software_titles t ON t.id = v.title_id`);
    await h.db.prisma.$executeRawUnsafe(`INSERT INTO apps (host_id, software_id, first_seen_snapshot_id, first_seen_at, removed_snapshot_id, removed_at)
      SELECT h.id, (SELECT id FROM software), 1, now(), CASE WHEN h.n = 5 THEN 2 END, CASE WHEN h.n = 5 THEN now() END
      FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM hosts) h WHERE h.n IN (1, 3, 4, 5, 6)`);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a page of hosts is read, then every column Host's fields read is what Prisma's client reads, in id order either way", async () => {
    const hosts = createHostQueries(h.db.read);
    const expected = await h.db.prisma.host.findMany({ orderBy: { id: "asc" }, omit: UNLISTED });
    expect(expected).toHaveLength(6);
    const page = await hosts.page({}, HOST_COLUMNS.all, {}, "asc", 100);
    expect(comparable(page)).toEqual(comparable(expected));
    // Not parsed into Dates to be printed again (README "Performance").
    expect(page.map((host) => typeof host.createdAt)).toEqual(expected.map(() => "string"));
    expect(comparable(await hosts.page({}, HOST_COLUMNS.all, { gt: expected[0]!.id, lt: expected[4]!.id }, "desc", 2))).toEqual(
      comparable([expected[3]!, expected[2]!]),
    );
    expect(await hosts.count({})).toBe(6);
  });

  it("when hosts are filtered by online, then a host never seen is offline, the local host online, and the two lists make up all hosts", async () => {
    const online = await names({ filter: { online: true }, first: 100 });
    const offline = await names({ filter: { online: false }, first: 100 });
    expect(online).toEqual(["full", "the-local-one"]);
    expect(offline).toEqual(["seen-an-hour-ago", "never-seen", "50%-off", "500-off"]);
  });

  it("when the hosts of an app are paged forwards and backwards, then each page holds the hosts that have it now, in id order", async () => {
    const ask = async (args: string) => {
      const response = await h.fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `{ softwareHosts(name: "curl", ${args}) { totalCount edges { cursor node { hostname } } pageInfo { hasNextPage hasPreviousPage } } }` }),
      });
      const body = (await response.json()) as { data: { softwareHosts: { totalCount: number; edges: { cursor: string; node: { hostname: string } }[]; pageInfo: object } } };
      const { totalCount, edges, pageInfo } = body.data.softwareHosts;
      return { totalCount, names: edges.map((edge) => edge.node.hostname), cursors: edges.map((edge) => edge.cursor), pageInfo };
    };
    const first = await ask("first: 2");
    expect(first).toMatchObject({ totalCount: 4, names: ["full", "never-seen"], pageInfo: { hasNextPage: true, hasPreviousPage: false } });
    const next = await ask(`first: 2, after: "${first.cursors[1]}"`);
    expect(next).toMatchObject({ names: ["the-local-one", "500-off"], pageInfo: { hasNextPage: false } });
    const last = await ask("last: 3");
    expect(last).toMatchObject({ names: ["never-seen", "the-local-one", "500-off"], pageInfo: { hasPreviousPage: true } });
    expect((await ask(`last: 5, before: "${last.cursors[1]}"`)).names).toEqual(["full", "never-seen"]);
  });

  it("when the hostname filter holds LIKE wildcards, then they match themselves only, case-insensitively, with paging and counts", async () => {
    expect(await names({ filter: { hostnameContains: "50%" } })).toEqual(["50%-off"]);
    expect(await names({ filter: { hostnameContains: "_" } })).toEqual([]);
    const page = await hosts({ filter: { hostnameContains: "-O" }, last: 2 });
    expect(page.edges.map((edge) => edge.node.hostname)).toEqual(["50%-off", "500-off"]);
    expect(page.totalCount).toBe(3);
    expect(page.pageInfo.hasPreviousPage).toBe(true);
  });

  it("when a page of hosts is read with some columns, then it has those and the id, and no other", async () => {
    const [row] = await createHostQueries(h.db.read).page({}, HOST_COLUMNS.of(["hostname", "lastSeenAt"]), {}, "asc", 1);
    expect(Object.keys(row!).sort()).toEqual(["hostname", "id", "lastSeenAt"]);
  });

  it("when each field of Host is asked alone, in pairs and all together through hosts and softwareHosts, then each host shows what host(id:) shows", async () => {
    const ask = async (query: string) => {
      const response = await h.fetch(ENDPOINT, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
      const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
      expect(body.errors).toBeUndefined();
      return body.data!;
    };
    const fields = hostFields();
    // Pairs next to each other in the list, so a field's columns are asked with another's as well as alone.
    const selections = [...fields, ...fields.slice(1).map((field, i) => `${fields[i]} ${field}`), fields.join(" ")];
    for (const selection of selections) {
      const listed = await ask(`{
        hosts(first: 100) { edges { node { id ${selection} } } }
        softwareHosts(name: "curl", first: 100) { edges { node { id ${selection} } } }
      }`);
      const lists = [listed["hosts"], listed["softwareHosts"]] as { edges: { node: { id: string } }[] }[];
      expect(lists[0]!.edges).toHaveLength(6);
      expect(lists[1]!.edges).toHaveLength(4);
      for (const { node } of lists.flatMap((list) => list.edges)) {
        const one = await ask(`{ node(id: "${node.id}") { ... on Host { id ${selection} } } }`);
        expect({ selection, host: node }).toEqual({ selection, host: one["node"] });
      }
    }
  });

  it("when Host's fields come through fragments, inline fragments and aliases, then their columns are read too", async () => {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `query { hosts(first: 1) { ...Edges } softwareHosts(name: "curl", first: 1) { edges { ... on SoftwareHostEdge { node { ... on Host { os: osName } } } } } }
          fragment Edges on HostConnection { edges { node { ...Memory m: physicalMemory } } }
          fragment Memory on Host { physicalMemory online }`,
      }),
    });
    expect(await response.json()).toEqual({
      data: { hosts: { edges: [{ node: { physicalMemory: 2 ** 60, m: 2 ** 60, online: true } }] }, softwareHosts: { edges: [{ node: { os: "Ubuntu" } }] } },
    });
  });

  it("when the schema is built, then every field of Host but its id names the columns it reads", () => {
    const fields = Object.values((schema.getType("Host") as GraphQLObjectType).getFields()).filter((field) => field.name !== "id");
    const unnamed = fields.filter((field) => columnsNamed(field) === undefined).map((field) => field.name);
    expect(unnamed).toEqual([]);
    const named = new Set(fields.flatMap((field) => columnsNamed(field)!));
    expect([...named].filter((column) => !(column in LISTED_HOST_COLUMNS))).toEqual([]);
  });
});

describe("column sets of listed hosts", () => {
  it("when more column sets are asked for than the limit, then the others are read with every column", () => {
    const columnSet = HOST_COLUMNS.bounded(3);
    const a = HOST_COLUMNS.of(["hostname"]);
    const b = HOST_COLUMNS.of(["platform"]);
    const c = HOST_COLUMNS.of(["osName"]);
    expect([columnSet(a), columnSet(b), columnSet(c), columnSet(a)]).toEqual([a, b, HOST_COLUMNS.all, a]);
    expect(a.keys).toEqual(["id", "hostname"]);
  });

  it("when a Host field's resolver reads a column it does not name, then it does not compile", () => {
    // @ts-expect-error osName is not among the columns named: a listed page would not have read it.
    const resolve = reading(["hostname"], (host) => host.osName).resolve;
    expect(resolve).toBeTypeOf("function");
  });
});
