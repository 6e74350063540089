import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../../src/schema/paging.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu, type Package } from "../helpers/machine.js";
import { LatestDataQuery, NodeQuery, SnapshotsQuery } from "../helpers/operations.js";
import type { AppOrder, LatestDataQuery as LatestDataResult, LatestDataQueryVariables } from "../gql/graphql.js";

const packages: Package[] = [
  ...generatedPackages(240),
  // Same name in other cases: distinct apps that tie on the case-insensitive key.
  { name: "Zoom", version: "5.17" },
  { name: "zoom", version: "5.17" },
  { name: "ZOOM", version: "5.16" },
  { name: "100%_literal", version: "1" },
  { name: "1000-literal", version: "1" },
  { name: "émoji-ü", version: "1" },
  // The very same name in three versions (and once more in capitals): ties broken by id, both ways.
  { name: "libssl3", version: "3.0.2" },
  { name: "libssl3", version: "3.0.13" },
  { name: "libssl3", version: "1.1.1" },
  { name: "LIBSSL3", version: "3.0.2" },
];

const lower = (s: string) => Buffer.from(s.toLowerCase(), "utf8");
const dbId = (globalId: string) => Number(decodeGlobalID(globalId).id);

describe.each(backends)("latestData on %s", (backend) => {
  let h: Harness;
  const query = (variables: LatestDataQueryVariables) => execute(ENDPOINT, LatestDataQuery, variables, { fetch: h.fetch });

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(packages));
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when nothing was collected yet, then it returns an empty connection and a null snapshot", async () => {
    const data = expectNoGraphQLErrors(await query({}));
    expect(data.latestData).toEqual({
      totalCount: 0,
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      snapshot: null,
      version: null,
    });
  });

  it("when a collection succeeded, then the first page holds 10 apps of that snapshot with its versions", async () => {
    const snapshot = await h.collector.collect();
    expect(snapshot.status).toBe("SUCCEEDED");
    const data = expectNoGraphQLErrors(await query({}));
    expect(data.latestData.totalCount).toBe(packages.length);
    expect(data.latestData.edges).toHaveLength(10);
    expect(data.latestData.snapshot).toMatchObject({ status: "SUCCEEDED", appCount: packages.length, added: packages.length, removed: 0 });
    expect(data.latestData.version).toEqual({
      osqueryVersion: "5.12.1",
      osName: "Ubuntu",
      osVersion: "22.04.4 LTS (Jammy Jellyfish)",
      platform: "ubuntu",
      arch: "x86_64",
      build: null,
    });
    expect(data.latestData.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(data.latestData.edges[0]!.node).toMatchObject({ source: "deb_packages", path: null, bundleIdentifier: null });
  });

  /** Every page of a forward walk, checking pageInfo on the way. */
  async function walkForward(variables: LatestDataQueryVariables, pageSize: number) {
    const pages: { id: string; name: string }[][] = [];
    let after: string | null = null;
    for (;;) {
      const conn: LatestDataResult["latestData"] = expectNoGraphQLErrors(await query({ ...variables, first: pageSize, after })).latestData;
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      pages.push(conn.edges.map((e) => ({ id: e.node.id, name: e.node.name })));
      if (!conn.pageInfo.hasNextPage) return pages;
      after = conn.pageInfo.endCursor;
    }
  }

  it("when walking forward with cursors, then every app comes exactly once in case-insensitive name order", async () => {
    const pages = await walkForward({}, 37);
    const seen = pages.flat();
    expect(pages).toHaveLength(Math.ceil(packages.length / 37));
    expect(new Set(seen.map((s) => s.id)).size).toBe(packages.length);
    expect(seen.map((s) => s.name).sort()).toEqual(packages.map((p) => p.name).sort());
    for (let i = 1; i < seen.length; i++) {
      expect(Buffer.compare(lower(seen[i - 1]!.name), lower(seen[i]!.name))).toBeLessThanOrEqual(0);
    }
  });

  it("when walking backward with last/before, then the pages read back the forward order", async () => {
    const forward = (await walkForward({}, 100)).flat().map((a) => a.id);
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const conn: LatestDataResult["latestData"] = expectNoGraphQLErrors(await query({ last: 23, before })).latestData;
      backward.unshift(...conn.edges.map((e) => e.node.id));
      expect(conn.pageInfo.hasNextPage).toBe(before !== null);
      if (!conn.pageInfo.hasPreviousPage) break;
      before = conn.pageInfo.startCursor;
    }
    expect(backward).toEqual(forward);
  });

  /** Every page of a backward walk from the end, checking pageInfo on the way; the apps in listing order. */
  async function walkBackward(variables: LatestDataQueryVariables, pageSize: number) {
    const apps: { id: string; name: string }[] = [];
    let before: string | null = null;
    for (;;) {
      const conn: LatestDataResult["latestData"] = expectNoGraphQLErrors(await query({ ...variables, last: pageSize, before })).latestData;
      expect(conn.pageInfo.hasNextPage).toBe(before !== null);
      apps.unshift(...conn.edges.map((e) => ({ id: e.node.id, name: e.node.name })));
      if (!conn.pageInfo.hasPreviousPage) return apps;
      before = conn.pageInfo.startCursor;
    }
  }

  it("when walking NAME_ASC and NAME_DESC forward and backward, then each walk lists every app once and NAME_DESC is NAME_ASC reversed, ties included", async () => {
    const asc = (await walkForward({ orderBy: "NAME_ASC" }, 37)).flat();
    const desc = (await walkForward({ orderBy: "NAME_DESC" }, 37)).flat();
    expect(new Set(asc.map((a) => a.id)).size).toBe(packages.length);
    expect(asc).toHaveLength(packages.length);
    expect(desc).toEqual([...asc].reverse());
    expect(await walkBackward({ orderBy: "NAME_ASC" }, 23)).toEqual(asc);
    expect(await walkBackward({ orderBy: "NAME_DESC" }, 23)).toEqual(desc);
    // Leaving orderBy out is NAME_ASC.
    expect((await walkForward({}, 100)).flat()).toEqual(asc);

    for (let i = 1; i < desc.length; i++) {
      const order = Buffer.compare(lower(desc[i - 1]!.name), lower(desc[i]!.name));
      expect(order).toBeGreaterThanOrEqual(0);
      if (order === 0) expect(dbId(desc[i - 1]!.id)).toBeGreaterThan(dbId(desc[i]!.id));
    }
    // The four libssl3 apps tie on the key: their ids run down in NAME_DESC, up in NAME_ASC.
    const ties = desc.filter((a) => a.name.toLowerCase() === "libssl3");
    expect(ties).toHaveLength(4);
    expect(ties.map((a) => dbId(a.id))).toEqual(ties.map((a) => dbId(a.id)).sort((x, y) => y - x));
    // Bytewise, é (0xC3 0xA9) comes after z.
    expect(desc.slice(0, 4).map((a) => a.name.toLowerCase())).toEqual(["émoji-ü", "zoom", "zoom", "zoom"]);
    expect(desc.at(-1)!.name).toBe("100%_literal");
  });

  it("when paging NAME_DESC with first and after and then last and before, then both directions meet on the same edges", async () => {
    const orderBy: AppOrder = "NAME_DESC";
    const page1 = expectNoGraphQLErrors(await query({ orderBy, first: 5 })).latestData;
    const page2 = expectNoGraphQLErrors(await query({ orderBy, first: 5, after: page1.pageInfo.endCursor })).latestData;
    expect(page2.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
    const back = expectNoGraphQLErrors(await query({ orderBy, last: 5, before: page2.pageInfo.startCursor })).latestData;
    expect(back.edges.map((e) => e.cursor)).toEqual(page1.edges.map((e) => e.cursor));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const between = expectNoGraphQLErrors(await query({ orderBy, first: 100, after: page1.edges[0]!.cursor, before: page2.edges[4]!.cursor })).latestData;
    expect(between.edges.map((e) => e.cursor)).toEqual([...page1.edges.slice(1), ...page2.edges.slice(0, 4)].map((e) => e.cursor));
    const betweenBackward = expectNoGraphQLErrors(await query({ orderBy, last: 3, after: page1.edges[0]!.cursor, before: page2.edges[4]!.cursor })).latestData;
    expect(betweenBackward.edges.map((e) => e.cursor)).toEqual(page2.edges.slice(1, 4).map((e) => e.cursor));
    expect(betweenBackward.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  it.each<[string, LatestDataQueryVariables["filter"], number]>([
    ["pkg-01", { nameContains: "pkg-01" }, 100],
    ["libssl", { nameContains: "libssl" }, 4],
    ["deb_packages and literal", { source: "deb_packages", nameContains: "literal" }, 2],
    ["apps", { source: "apps" }, 0],
  ])("when filtering by %s with NAME_DESC, then the pages hold the filtered apps in reverse, both ways", async (_name, filter, expected) => {
    const asc = (await walkForward({ filter }, 30)).flat();
    const desc = (await walkForward({ filter, orderBy: "NAME_DESC" }, 30)).flat();
    expect(asc).toHaveLength(expected);
    expect(desc).toEqual([...asc].reverse());
    expect(await walkBackward({ filter, orderBy: "NAME_DESC" }, 7)).toEqual(desc);
    expect(expectNoGraphQLErrors(await query({ filter, orderBy: "NAME_DESC" })).latestData.totalCount).toBe(expected);
  });

  it.each<[AppOrder, AppOrder, "after" | "before"]>([
    ["NAME_ASC", "NAME_DESC", "after"],
    ["NAME_ASC", "NAME_DESC", "before"],
    ["NAME_DESC", "NAME_ASC", "after"],
    ["NAME_DESC", "NAME_ASC", "before"],
  ])("when a cursor read in %s is passed with orderBy %s as %s, then it answers BAD_USER_INPUT naming the cursor's order, not a page", async (readIn, askedIn, argument) => {
    const cursor = expectNoGraphQLErrors(await query({ orderBy: readIn, first: 3 })).latestData.edges[1]!.cursor;
    const result = await query({ orderBy: askedIn, [argument]: cursor });
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
    expect(result.errors![0]!.message).toBe(
      `${argument} is a cursor of orderBy: ${readIn}; page on with the orderBy it was read with, or start again without a cursor`,
    );
    // In its own order the same cursor pages on.
    expect(expectNoGraphQLErrors(await query({ orderBy: readIn, [argument]: cursor })).latestData.edges.length).toBeGreaterThan(0);
  });

  it("when the first page is asked in each order through the response cache, then each order is answered and cached on its own", async () => {
    const size = h.responseCache!.size();
    const asc = expectNoGraphQLErrors(await query({ first: 4, orderBy: "NAME_ASC" })).latestData;
    const desc = expectNoGraphQLErrors(await query({ first: 4, orderBy: "NAME_DESC" })).latestData;
    expect(h.responseCache!.size()).toBe(size + 2);
    expect(desc.edges[0]!.node.name).toBe("émoji-ü");
    expect(asc.edges[0]!.node.name).toBe("100%_literal");
    // Asked again, each comes back as it was, from the cache.
    expect(expectNoGraphQLErrors(await query({ first: 4, orderBy: "NAME_DESC" })).latestData).toEqual(desc);
    expect(expectNoGraphQLErrors(await query({ first: 4, orderBy: "NAME_ASC" })).latestData).toEqual(asc);
    expect(h.responseCache!.size()).toBe(size + 2);
  });

  it("when paging with first and after and then last and before, then both directions meet on the same edges", async () => {
    const page1 = expectNoGraphQLErrors(await query({ first: 5 })).latestData;
    const page2 = expectNoGraphQLErrors(await query({ first: 5, after: page1.pageInfo.endCursor })).latestData;
    const back = expectNoGraphQLErrors(await query({ last: 5, before: page2.pageInfo.startCursor })).latestData;
    expect(back.edges.map((e) => e.cursor)).toEqual(page1.edges.map((e) => e.cursor));
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const between = expectNoGraphQLErrors(await query({ first: 100, after: page1.edges[0]!.cursor, before: page2.edges[4]!.cursor })).latestData;
    expect(between.edges.map((e) => e.cursor)).toEqual([...page1.edges.slice(1), ...page2.edges.slice(0, 4)].map((e) => e.cursor));
  });

  it.each([
    [{ nameContains: "zoom" }, 3],
    [{ nameContains: "ZOOM" }, 3],
    [{ nameContains: "pkg-01" }, 100],
    [{ nameContains: "%_" }, 1],
    [{ nameContains: "_" }, 1],
    [{ nameContains: "É" }, 1],
    [{ source: "deb_packages" }, packages.length],
    [{ source: "apps" }, 0],
    [{ source: "deb_packages", nameContains: "literal" }, 2],
  ])("when filtering by %j, then %i apps match and paging stays within them", async (filter, expected) => {
    expect(expectNoGraphQLErrors(await query({ filter })).latestData.totalCount).toBe(expected);
    const ids = (await walkForward({ filter }, 40)).flat().map((a) => a.id);
    expect(new Set(ids).size).toBe(expected);
  });

  it("when a page of 0 or 100 is asked for, then it is served; the default is 10", async () => {
    expect(expectNoGraphQLErrors(await query({ first: 0 })).latestData.edges).toHaveLength(0);
    expect(expectNoGraphQLErrors(await query({ first: 100 })).latestData.edges).toHaveLength(100);
    expect(expectNoGraphQLErrors(await query({ last: 100 })).latestData.edges).toHaveLength(100);
  });

  const badInputs: [string, () => Promise<LatestDataQueryVariables>, RegExp][] = [
    ["first above 100", async () => ({ first: 101 }), /first must be between 0 and 100/],
    ["negative first", async () => ({ first: -1 }), /first must be between 0 and 100/],
    ["negative last", async () => ({ last: -3 }), /last must be between 0 and 100/],
    ["last above 100", async () => ({ last: 1000 }), /last must be between 0 and 100/],
    ["both first and last", async () => ({ first: 5, last: 5 }), /either first or last/],
    ["a malformed cursor", async () => ({ after: "not a cursor!" }), /after is not a valid cursor/],
    ["a base64 cursor of another shape", async () => ({ after: Buffer.from("hello").toString("base64url") }), /after is not a valid cursor/],
    ["a forged cursor naming a missing snapshot", async () => ({ after: encodeCursor("app", [999_999, 1]) }), /after is not a valid cursor/],
    ["a forged NAME_DESC cursor naming a missing snapshot", async () => ({ orderBy: "NAME_DESC", after: encodeCursor("app_desc", [999_999, 1]) }), /after is not a valid cursor/],
    ["an orderBy that is no AppOrder", async () => ({ orderBy: "NAME" as AppOrder }), /"NAME" does not exist in "AppOrder" enum/],
    ["a forged cursor naming a missing app", async () => {
      const s = expectNoGraphQLErrors(await query({})).latestData.snapshot!;
      const snapshotId = Number(Buffer.from(s.id, "base64").toString().split(":")[1]);
      return { before: encodeCursor("app", [snapshotId, 999_999]) };
    }, /before is not a valid cursor/],
    ["a cursor of the snapshots connection", async () => {
      const snaps = expectNoGraphQLErrors(await execute(ENDPOINT, SnapshotsQuery, {}, { fetch: h.fetch }));
      return { after: snaps.snapshots.edges[0]!.cursor };
    }, /after is not a valid cursor/],
    ["an ID that is not a Host ID", async () => ({ hostId: "garbage" }), /hostId is not a valid Host ID/],
    ["the ID of an App as hostId", async () => {
      const app = expectNoGraphQLErrors(await query({ first: 1 })).latestData.edges[0]!.node;
      return { hostId: app.id };
    }, /hostId is not a valid Host ID/],
    ["an overlong filter", async () => ({ filter: { nameContains: "x".repeat(201) } }), /at most 200 characters/],
    ["a source no osquery table has", async () => ({ filter: { source: "nonsense" } }), /^filter\.source must be one of apps, deb_packages, rpm_packages, programs$/],
    ["a source in other case", async () => ({ filter: { source: "DEB_PACKAGES" } }), /^filter\.source must be one of/],
  ];

  it.each(badInputs)("when given %s, then it answers BAD_USER_INPUT with a message, not a server error", async (_name, variables, message) => {
    const result = await query(await variables());
    expect(result.status).toBeLessThan(500);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions?.["code"]).toBe("BAD_USER_INPUT");
    expect(result.errors![0]!.message).toMatch(message);
    expect(JSON.stringify(result.errors)).not.toMatch(/prisma|stack|SELECT/i);
  });

  it("when hostId names no host, then it answers HOST_NOT_FOUND", async () => {
    const result = await query({ hostId: Buffer.from("Host:424242").toString("base64") });
    expect(result.errors?.[0]?.extensions?.["code"]).toBe("HOST_NOT_FOUND");
  });

  it("when an app's node ID is looked up, then node() returns that app", async () => {
    const app = expectNoGraphQLErrors(await query({ first: 1 })).latestData.edges[0]!.node;
    const data = expectNoGraphQLErrors(await execute(ENDPOINT, NodeQuery, { id: app.id }, { fetch: h.fetch }));
    expect(data.node).toMatchObject({ __typename: "App", id: app.id, name: app.name });
  });
});
