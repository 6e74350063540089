import { once } from "node:events";
import { createWriteStream, readFileSync } from "node:fs";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Collector } from "../../src/sources/local/collector.js";
import type { OsqueryRunnerOptions } from "../../src/sources/local/osqueryi.js";
import type { Snapshot } from "../../src/generated/prisma/client.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { fixture, generatedPackages, ubuntu, type TableAnswer } from "../helpers/machine.js";
import { LatestDataQuery } from "../helpers/operations.js";
import { makeTempDir } from "../helpers/temp.js";
import { linkedSoftwareIds } from "../helpers/database.js";

/**
 * Hostile osqueryi output through the real path: a child process (the fake osqueryi) → the runner's
 * byte cap → parseOsqueryJson → the table parsers → the store. Each bad output must end as a FAILED
 * snapshot with a `[CODE]` reason, leave latestData and the app rows as they were, and leave the
 * service (this process) working.
 */

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const MB = 1024 * 1024;
const MEMORY_BUDGET = 400 * MB;
const HEAVY_TIMEOUT_MS = 180_000;
const TABLES = ["osquery_info", "os_version", "system_info", "deb_packages"] as const;
type Table = (typeof TABLES)[number];

const base = generatedPackages(30);

/** mulberry32: reproducible "random" output, so a failing case can be replayed from its seed. */
function seededBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Resident memory once garbage is collected, so growth means memory still held, not garbage. */
const collectGarbage: () => void = (() => {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();
function settledRss(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().rss;
}

interface MemorySample {
  before: number;
  peak: number;
  after: number;
}

/** Samples RSS every few milliseconds while `work` runs (the event loop is free while osqueryi runs). */
async function measureMemory<T>(work: () => Promise<T>): Promise<{ result: T; memory: MemorySample }> {
  const before = settledRss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, memory: { before, peak, after: settledRss() } };
  } finally {
    clearInterval(timer);
  }
}

const inMb = (bytes: number) => Math.round(bytes / MB);
const describeMemory = (m: MemorySample) =>
  `rss before ${inMb(m.before)} MB, peak ${inMb(m.peak)} MB (+${inMb(m.peak - m.before)}), after gc ${inMb(m.after)} MB (+${inMb(m.after - m.before)})`;

/** One osqueryi row a line, in the layout the fake prints: "[\n", rows joined by ",\n", "\n]\n". */
const rowsOutput = (rows: unknown[]) => `[\n${rows.map((row) => `  ${JSON.stringify(row)}`).join(",\n")}\n]\n`;
const raw = (bytes: Buffer | number[]): TableAnswer => ({ stdoutBase64: Buffer.from(bytes).toString("base64") });

describe("osqueryi output fuzz through the child process on pglite", () => {
  let h: Harness;
  let dir: { path: string; remove(): Promise<void> };
  const memory = new Map<string, MemorySample>();
  const prisma = () => h.db.prisma;
  const latest = async () => expectNoGraphQLErrors(await execute(ENDPOINT, LatestDataQuery, { first: 100 }, { fetch: h.fetch })).latestData;
  const counts = async () => ({ apps: await prisma().app.count(), snapshots: await prisma().snapshot.count() });
  const machineWith = (table: Table, answer: TableAnswer) => {
    const scenario = ubuntu(base);
    scenario.tables[table] = answer;
    return scenario;
  };
  const collectorWith = (runner: Partial<OsqueryRunnerOptions>) => h.collectorWith(runner);

  /**
   * Collects once with `table` answering `answer`, then checks what every bad output must leave
   * behind: a FAILED snapshot (published), nothing else written, latestData as it was.
   */
  async function collectBroken(table: Table, answer: TableAnswer, collector: Collector = h.collector): Promise<Snapshot> {
    const before = await latest();
    const rows = await counts();
    await h.machine.set(machineWith(table, answer));
    let snapshot: Snapshot;
    try {
      snapshot = await collector.collect();
    } finally {
      await h.machine.set(ubuntu(base));
    }
    expect(snapshot).toMatchObject({ status: "FAILED", appCount: 0, added: 0, removed: 0, versionId: null });
    expect(snapshot.error).toMatch(/^\[[A-Z_]+\] \S/);
    expect(snapshot.error!.length).toBeLessThanOrEqual(2000);
    await vi.waitFor(() => expect(h.published.at(-1)?.id).toBe(snapshot.id));
    expect(await latest()).toEqual(before);
    expect(await counts()).toEqual({ apps: rows.apps, snapshots: rows.snapshots + 1 });
    return snapshot;
  }

  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(base), { maxOutputBytes: MAX_OUTPUT_BYTES });
    dir = await makeTempDir("output-fuzz");
    const first = await h.collector.collect();
    expect(first).toMatchObject({ status: "SUCCEEDED", appCount: base.length });
  });
  afterAll(async () => {
    await h?.dispose();
    await dir?.remove();
    for (const [name, sample] of memory) console.info(`osquery output fuzz, ${name}: ${describeMemory(sample)}`);
  });

  const ubuntuPackages = readFileSync(fixture("ubuntu2204_deb_packages.json"));
  const cases: [string, Table, TableAnswer, RegExp][] = [
    ...TABLES.map((table, i): [string, Table, TableAnswer, RegExp] => [
      `${table} prints 64 KiB of random bytes (seed ${i + 1})`,
      table,
      raw(seededBytes(i + 1, 64 * 1024)),
      // Decoded with U+FFFD for the bytes that are not UTF-8, which is no JSON either.
      /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed invalid JSON/,
    ]),
    ...TABLES.map((table, i): [string, Table, TableAnswer, RegExp] => [
      `${table} prints 64 KiB of random printable ASCII (seed ${i + 11})`,
      table,
      raw([...seededBytes(i + 11, 64 * 1024)].map((b) => 0x20 + (b % 0x5f))),
      /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed (invalid JSON|nothing)/,
    ]),
    ["deb_packages prints its JSON cut in half", "deb_packages", raw(ubuntuPackages.subarray(0, ubuntuPackages.length >> 1)), /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed invalid JSON/],
    ["deb_packages prints its JSON without the closing bracket", "deb_packages", raw(ubuntuPackages.subarray(0, ubuntuPackages.lastIndexOf("]"))), /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed invalid JSON/],
    ["osquery_info prints a number as its version", "osquery_info", { stdout: rowsOutput([{ version: 5.12 }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*not an array of rows of strings at 0\.version/],
    ["os_version prints a boolean as its platform", "os_version", { stdout: rowsOutput([{ name: "Ubuntu", platform: true, version: "22.04" }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*rows of strings at 0\.platform/],
    ["system_info prints null as its hostname", "system_info", { stdout: rowsOutput([{ hostname: null, uuid: "" }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*rows of strings at 0\.hostname/],
    ["deb_packages prints a number as a version", "deb_packages", { stdout: rowsOutput([{ name: "x", version: 1 }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*rows of strings at 0\.version/],
    ["deb_packages prints an object as a name", "deb_packages", { stdout: rowsOutput([{ name: "ok", version: "1" }, { name: { en: "x" }, version: "1" }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*rows of strings at 1\.name/],
    ["deb_packages prints a row that is an array", "deb_packages", { stdout: rowsOutput([["x", "1"]]) }, /^\[OSQUERY_BAD_OUTPUT\] .*rows of strings at 0/],
    ["deb_packages prints an object instead of an array", "deb_packages", { stdout: '{"name":"x","version":"1"}\n' }, /^\[OSQUERY_BAD_OUTPUT\] .*not an array of rows of strings/],
    ["osquery_info omits the version column", "osquery_info", { stdout: rowsOutput([{ pid: "1" }]) }, /^\[OSQUERY_BAD_OUTPUT\] osquery table osquery_info returned no "version" column$/],
    ["osquery_info returns no rows", "osquery_info", { stdout: "[\n\n]\n" }, /^\[OSQUERY_BAD_OUTPUT\] osquery table osquery_info returned no rows$/],
    ["os_version omits the platform column", "os_version", { stdout: rowsOutput([{ name: "Ubuntu", version: "22.04" }]) }, /^\[OSQUERY_BAD_OUTPUT\] osquery table os_version returned no "platform" column$/],
    ["system_info omits the hostname column", "system_info", { stdout: rowsOutput([{ uuid: "4C4C4544-0047-3510-8052-B4C04F4A4E32" }]) }, /^\[OSQUERY_BAD_OUTPUT\] osquery table system_info returned no "hostname" column$/],
    ["deb_packages omits the name column", "deb_packages", { stdout: rowsOutput([{ version: "1" }]) }, /^\[OSQUERY_BAD_OUTPUT\] osquery table deb_packages returned no "name" column$/],
    ["deb_packages prints a bad byte in rows that are not one a line", "deb_packages", raw(Buffer.concat([Buffer.from('[{"name":"'), Buffer.from([0xff]), Buffer.from('","version":"1"}]\n')])), /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed bytes that are not UTF-8 in output that is not one row a line$/],
    ["system_info prints a hostname that is not UTF-8", "system_info", raw(Buffer.concat([Buffer.from('[\n  {"hostname":"build-'), Buffer.from([0xc3, 0x28]), Buffer.from('","uuid":"4C4C4544-0047-3510-8052-B4C04F4A4E32"}\n]\n')])), /^\[OSQUERY_BAD_OUTPUT\] osquery table system_info returned a row with bytes that are not UTF-8$/],
    ["os_version prints a NUL in its name", "os_version", { stdout: rowsOutput([{ arch: "x86_64", name: "Ubu\u0000ntu", platform: "ubuntu", platform_like: "debian", version: "22.04" }]) }, /^\[OSQUERY_BAD_OUTPUT\] osquery table os_version returned a "name" with a NUL character/],
    ["deb_packages prints nothing", "deb_packages", { stdout: "" }, /^\[OSQUERY_BAD_OUTPUT\] osqueryi printed nothing on stdout/],
    ["deb_packages prints a 1 MB column name holding a number", "deb_packages", { stdout: rowsOutput([{ ["k".repeat(MB)]: 1 }]) }, /^\[OSQUERY_BAD_OUTPUT\] .*not an array of rows of strings/],
  ];

  it.each(cases)("when %s, then the run is FAILED with the reason and latestData is unchanged", async (_name, table, answer, reason) => {
    const snapshot = await collectBroken(table, answer);
    expect(snapshot.error).toMatch(reason);
  });

  it("when osqueryi prints more than the output cap, then it is killed, the run is FAILED with OSQUERY_OUTPUT_TOO_LARGE and latestData is unchanged", async () => {
    const snapshot = await collectBroken("deb_packages", { floodBytes: 16 * MB }, collectorWith({ maxOutputBytes: 256 * 1024 }));
    expect(snapshot.error).toBe("[OSQUERY_OUTPUT_TOO_LARGE] osqueryi printed more than 262144 bytes (OSQUERY_MAX_OUTPUT_BYTES)");
  });

  it("when a package name holds a NUL character, then it is stored with U+FFFD in its place, marked, and the next collection changes nothing", async () => {
    await h.machine.set(machineWith("deb_packages", { stdout: rowsOutput([...base, { name: "nul\u0000name", version: "1" }]) }));
    try {
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 1, alteredApps: 1 });
      expect(await prisma().software.findMany({ where: { name: "nul\uFFFDname", id: { in: await linkedSoftwareIds(prisma()) } }, select: { alterations: true } })).toEqual([
        { alterations: ["NUL_REPLACED"] },
      ]);
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0 });
    } finally {
      await h.machine.set(ubuntu(base));
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", removed: 1 });
    }
    expect((await latest()).edges.every((e) => !e.node.name.includes("\u0000"))).toBe(true);
  });

  // A JSON escape of an unpaired surrogate parses to a JS string PostgreSQL can only store as U+FFFD;
  // the parser makes that replacement itself, so the stored app still matches at the next collection.
  it("when a package name holds an unpaired surrogate escape and is collected twice, then the second collection changes nothing", async () => {
    const output = rowsOutput([...base, { name: "lone\\ud800surrogate", version: "1" }]).replace("\\\\ud800", "\\ud800");
    expect(output).toContain('"lone\\ud800surrogate"');
    await h.machine.set(machineWith("deb_packages", { stdout: output }));
    try {
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 1, alteredApps: 1 });
      expect(await prisma().software.findFirst({ where: { name: "lone\uFFFDsurrogate" }, select: { alterations: true } })).toEqual({
        alterations: ["UNPAIRED_SURROGATE_REPLACED"],
      });
      const rows = await counts();
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0 });
      expect((await counts()).apps).toBe(rows.apps);
    } finally {
      await h.machine.set(ubuntu(base));
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED" });
    }
  });

  it("when osqueryi prints 1,000,000 rows under the byte cap, then the run is FAILED as more than 200000 rows and memory stays bounded", { timeout: HEAVY_TIMEOUT_MS }, async () => {
    const file = join(dir.path, "million-rows.json");
    const out = createWriteStream(file);
    out.write("[\n");
    for (let i = 0; i < 1_000_000; i++) {
      if (!out.write(`  {"name":"p${i}","version":"1"}${i < 999_999 ? "," : ""}\n`)) await once(out, "drain");
    }
    out.end("]\n");
    await once(out, "finish");
    expect((await stat(file)).size).toBeLessThan(MAX_OUTPUT_BYTES);

    const { result: snapshot, memory: sample } = await measureMemory(() => collectBroken("deb_packages", { fixture: file }));
    memory.set("1,000,000 rows", sample);
    expect(snapshot.error).toBe("[OSQUERY_BAD_OUTPUT] osqueryi returned more than 200000 rows (OSQUERY_MAX_ROWS)");
    expect(sample.after - sample.before).toBeLessThan(MEMORY_BUDGET);
  });

  it("when osqueryi prints one row whose name is a 50 MB string under the default 16 MiB cap, then the run is FAILED before parsing and memory stays bounded", { timeout: HEAVY_TIMEOUT_MS }, async () => {
    const file = join(dir.path, "fifty-megabyte-name.json");
    await writeFile(file, rowsOutput([{ name: "x".repeat(50 * MB), version: "1" }]));
    const { result: snapshot, memory: sample } = await measureMemory(() =>
      collectBroken("deb_packages", { fixture: file }, collectorWith({ maxOutputBytes: 16 * MB })),
    );
    memory.set("50 MB name", sample);
    expect(snapshot.error).toBe(`[OSQUERY_OUTPUT_TOO_LARGE] osqueryi printed more than ${16 * MB} bytes (OSQUERY_MAX_OUTPUT_BYTES)`);
    expect(sample.after - sample.before).toBeLessThan(MEMORY_BUDGET);
  });

  it("when one package has a name too long to be real, then it is kept cut to the limit and marked, and the next collection changes nothing", async () => {
    await h.machine.set(machineWith("deb_packages", { stdout: rowsOutput([...base, { name: "y".repeat(10_000), version: "1" }]) }));
    try {
      const snapshot = await h.collector.collect();
      expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: base.length + 1, added: 1, removed: 0, alteredApps: 1 });
      expect(await prisma().software.findFirst({ where: { name: "y".repeat(512), id: { in: await linkedSoftwareIds(prisma()) } }, select: { alterations: true } })).toEqual({
        alterations: ["TRUNCATED"],
      });
      expect(h.logs.some((l) => l.msg === "apps stored other than as osquery reported them (see App.alterations)")).toBe(true);
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0, alteredApps: 1 });
    } finally {
      await h.machine.set(ubuntu(base));
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", removed: 1, alteredApps: 0 });
    }
  });

  // {"name":"…"} with a bad continuation byte, an overlong "/", a UTF-8-encoded surrogate and a cut-short sequence.
  it.each([
    { input: "a bad continuation byte", bytes: [0xc3, 0x28], name: "bad-\uFFFD(" },
    { input: "an overlong encoding", bytes: [0xc0, 0xaf], name: "bad-\uFFFD\uFFFD" },
    { input: "a UTF-8-encoded surrogate", bytes: [0xed, 0xa0, 0x80], name: "bad-\uFFFD\uFFFD\uFFFD" },
    { input: "a sequence cut short", bytes: [0xe2, 0x82], name: "bad-\uFFFD" },
  ])("when a package name holds $input, then the rest of the inventory and that package are stored, it is marked, and the next collection changes nothing", async ({ bytes, name }) => {
    const lines = rowsOutput(base).split("\n");
    const bad = Buffer.concat([Buffer.from('  {"name":"bad-'), Buffer.from(bytes), Buffer.from('","version":"1"},')]);
    // The bad row goes second, so its line ends with a comma like most.
    const output = Buffer.concat([Buffer.from(`${lines[0]}\n`), bad, Buffer.from(`\n${lines.slice(1).join("\n")}`)]);
    await h.machine.set(machineWith("deb_packages", raw(output)));
    try {
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", appCount: base.length + 1, added: 1, removed: 0, alteredApps: 1 });
      expect(await prisma().software.findMany({ where: { name, id: { in: await linkedSoftwareIds(prisma()) } }, select: { alterations: true } })).toEqual([
        { alterations: ["INVALID_UTF8_REPLACED"] },
      ]);
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", added: 0, removed: 0, alteredApps: 1 });
    } finally {
      await h.machine.set(ubuntu(base));
      expect(await h.collector.collect()).toMatchObject({ status: "SUCCEEDED", removed: 1 });
    }
  });

  it("when osqueryi answers properly again after all of that, then the next collection succeeds and the service still answers", async () => {
    await h.machine.set(ubuntu(base));
    const snapshot = await h.collector.collect();
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", appCount: base.length });
    const data = await latest();
    expect(data.snapshot?.id).toBe(Buffer.from(`Snapshot:${snapshot.id}`).toString("base64"));
    expect(data.edges.map((e) => e.node.name).sort()).toEqual(base.map((p) => p.name).sort());
    expect(h.logs.some((line) => line.level === "error" && line.msg === "collection failed")).toBe(true);
  });
});
