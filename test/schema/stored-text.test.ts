import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { macos, type Scenario, type TableAnswer } from "../helpers/machine.js";
import { AppHistoryQuery, SnapshotChangesQuery, StoredAppsQuery } from "../helpers/operations.js";
import { linkedSoftwareIds } from "../helpers/database.js";

/**
 * What osquery reported is what the API returns, byte for byte, through the real path (fake osqueryi →
 * runner → decoder → parser → store → GraphQL); what cannot be stored exactly is kept, marked and counted.
 */

type AppRow = Record<string, string>;
const app = (name: string, extra: AppRow = {}): AppRow => ({
  name,
  path: `/Applications/${name}`,
  bundle_identifier: "com.example.app",
  bundle_short_version: "1.0",
  bundle_version: "100",
  ...extra,
});

const PADDED: AppRow[] = [
  app(" Leading Space.app", { bundle_short_version: " 2.0", bundle_identifier: "com.example.lead " }),
  app("Trailing Space.app "),
  app("\u00a0NBSP.app\u00a0", { path: "\u00a0/Applications/NBSP.app" }),
  app("\ufeffBOM.app"),
  app("\u3000Wide.app\u2003"),
  app(" "),
  app("Blank Fields.app", { path: " ", bundle_identifier: "\ufeff", bundle_short_version: "\u00a0", bundle_version: "\u3000" }),
  app(""),
];

const RAW = "@RAW@";

/** osqueryi's layout (keys sorted, a row a line); `raw` takes the place of RAW in a value, byte for byte. */
function rawOutput(rows: AppRow[], raw = Buffer.alloc(0)): TableAnswer {
  const lines = rows.map((row) => {
    const sorted = Object.fromEntries(Object.keys(row).sort().map((k) => [k, row[k]]));
    const [before, ...after] = `  ${JSON.stringify(sorted)}`.split(RAW);
    return Buffer.concat([Buffer.from(before!), ...after.flatMap((part) => [raw, Buffer.from(part)])]);
  });
  const body = lines.flatMap((line, i) => [line, Buffer.from(i < lines.length - 1 ? ",\n" : "\n")]);
  return { stdoutBase64: Buffer.concat([Buffer.from("[\n"), ...body, Buffer.from("]\n")]).toString("base64") };
}

const machineWith = (apps: TableAnswer): Scenario => {
  const scenario = macos();
  scenario.tables["apps"] = apps;
  return scenario;
};

const LONG = "€".repeat(600);
const ALTERED = rawOutput(
  [
    app("nul\u0000.app"),
    app("lone\ud800.app"),
    app(LONG),
    app(`bad${RAW}.app`, { path: "/Applications/bad.app" }),
    app("real\uFFFD.app"),
    app("twin\u0000.app"),
    app("twin\udc00.app"),
    app("exact.app"),
  ],
  // "é" with a bad continuation byte: U+FFFD then "(".
  Buffer.from([0xc3, 0x28]),
);

describe.each(backends)("stored text on %s", (backend) => {
  let h: Harness;
  const run = <R, V>(document: Parameters<typeof execute<R, V>>[1], variables: V) => execute(ENDPOINT, document, variables, { fetch: h.fetch });
  const stored = async () => expectNoGraphQLErrors(await run(StoredAppsQuery, { first: 100 })).latestData;

  beforeAll(async () => {
    h = await createHarness(backend, machineWith({ rows: PADDED }));
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when names and fields have spaces at either end, then the API returns them byte for byte and blank optional fields as null", async () => {
    expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", appCount: PADDED.length - 1, alteredApps: 0 });
    const nodes = (await stored()).edges.map((e) => e.node);
    expect(nodes).toHaveLength(PADDED.length - 1);
    for (const row of PADDED.filter((r) => r["name"] !== "" && r["name"] !== "Blank Fields.app")) {
      expect(nodes).toContainEqual({
        name: row["name"],
        version: row["bundle_short_version"],
        source: "apps",
        path: row["path"],
        bundleIdentifier: row["bundle_identifier"],
        publisher: null,
        alterations: [],
      });
    }
    expect(nodes.find((n) => n.name === "Blank Fields.app")).toMatchObject({ version: null, path: null, bundleIdentifier: null, alterations: [] });
    // The stored bytes, read as hex: PGlite's own text decoding would drop a leading U+FEFF.
    const bytes = await h.db.prisma.$queryRaw<{ hex: string }[]>`SELECT encode(convert_to(name, 'UTF8'), 'hex') AS hex FROM software`;
    const hex = (name: string | undefined) => Buffer.from(name ?? "", "utf8").toString("hex");
    expect(bytes.map((r) => r.hex).sort()).toEqual(PADDED.filter((r) => r["name"] !== "").map((r) => hex(r["name"])).sort());
  });

  it("when appHistory is asked for a name with a leading space, then it finds that app and only that one", async () => {
    const found = expectNoGraphQLErrors(await run(AppHistoryQuery, { name: " leading space.app" })).appHistory;
    expect(found.map((v) => [v.app.name, v.version])).toEqual([[" Leading Space.app", " 2.0"]]);
    expect(expectNoGraphQLErrors(await run(AppHistoryQuery, { name: "leading space.app" })).appHistory).toEqual([]);
    expect(expectNoGraphQLErrors(await run(AppHistoryQuery, { name: "\u00a0nbsp.app\u00a0" })).appHistory).toHaveLength(1);
    expect(expectNoGraphQLErrors(await run(AppHistoryQuery, { name: " " })).appHistory.map((v) => v.app.name)).toEqual([" "]);
    expect((await run(AppHistoryQuery, { name: "" })).errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
  });

  it("when the same padded inventory is collected again, then nothing changes", async () => {
    expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0 });
  });

  it("when values cannot be stored exactly, then every row is kept, marked, counted on the snapshot and logged", async () => {
    await h.machine.set(machineWith(ALTERED));
    const snapshot = await h.collector.collect();
    // twin\u0000 and twin\udc00 are one app once stored; the other six rows are six apps.
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: 7, alteredApps: 5 });
    const data = await stored();
    expect(data.snapshot).toMatchObject({ appCount: 7, alteredApps: 5 });
    const byName = new Map(data.edges.map((e) => [e.node.name, e.node.alterations]));
    expect(Object.fromEntries(byName)).toEqual({
      "nul\uFFFD.app": ["NUL_REPLACED"],
      "lone\uFFFD.app": ["UNPAIRED_SURROGATE_REPLACED"],
      ["€".repeat(512)]: ["TRUNCATED"],
      "bad\uFFFD(.app": ["INVALID_UTF8_REPLACED"],
      "real\uFFFD.app": [],
      "twin\uFFFD.app": ["NUL_REPLACED", "UNPAIRED_SURROGATE_REPLACED"],
      "exact.app": [],
    });
    const log = h.logs.findLast((l) => l.msg === "apps stored other than as osquery reported them (see App.alterations)");
    expect(log).toMatchObject({
      level: "warn",
      source: "apps",
      alteredApps: 5,
      alterations: { NUL_REPLACED: 2, UNPAIRED_SURROGATE_REPLACED: 2, INVALID_UTF8_REPLACED: 1, TRUNCATED: 1 },
    });
    // The 512-code-unit name of 3-byte characters is indexed on both databases.
    const rows = await h.db.prisma.software.findMany({ where: { id: { in: await linkedSoftwareIds(h.db.prisma) } }, select: { name: true, sortKey: true } });
    expect(rows.find((r) => r.name.startsWith("€"))?.sortKey.byteLength).toBe(512 * 3);
  });

  it("when the altered inventory is collected again, then the altered apps compare equal to themselves: no change", async () => {
    const before = await h.db.prisma.app.count();
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: 7, added: 0, removed: 0, alteredApps: 5 });
    expect(await h.db.prisma.app.count()).toBe(before);
    const gid = Buffer.from(`Snapshot:${snapshot.id}`).toString("base64");
    const node = expectNoGraphQLErrors(await run(SnapshotChangesQuery, { id: gid, first: 10 })).node;
    expect(node && "changes" in node ? node.changes.totalCount : -1).toBe(0);
  });

  it("when a real U+FFFD takes the place of the replaced NUL, then it is the same app and keeps its marks", async () => {
    await h.machine.set(machineWith(rawOutput([app("nul\uFFFD.app")])));
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: 1, added: 0, removed: 6, alteredApps: 1 });
    expect((await stored()).edges.map((e) => [e.node.name, e.node.alterations])).toEqual([["nul\uFFFD.app", ["NUL_REPLACED"]]]);
  });
});
