import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareVersions, versionSchemeFor, type VersionScheme } from "../../src/store/version-order.js";

function fixture(name: string): Array<Record<string, string>> {
  return JSON.parse(readFileSync(new URL(`../fixtures/osquery/${name}`, import.meta.url), "utf8")) as Array<Record<string, string>>;
}

const debRows = fixture("ubuntu2204_deb_packages.json");
const windowsRows = fixture("windows11_programs.json");
const macRows = fixture("macos14_apps_projection.json");

function column(rows: Array<Record<string, string>>, key: string): string[] {
  return [...new Set(rows.map((row) => row[key] ?? ""))];
}

function versionOf(rows: Array<Record<string, string>>, name: string, key = "version"): string {
  const version = rows.find((row) => row["name"] === name)?.[key];
  if (version === undefined) throw new Error(`fixture has no ${key} for ${name}`);
  return version;
}

const cmp = (scheme: VersionScheme, a: string, b: string) => Math.sign(compareVersions(scheme, a, b));

/** mulberry32: tiny, seedable, good enough to shuffle test inputs reproducibly. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("versionSchemeFor", () => {
  it.each([
    { source: "deb_packages", scheme: "deb" },
    { source: "rpm_packages", scheme: "rpm" },
    { source: "apps", scheme: "dotted" },
    { source: "programs", scheme: "dotted" },
    { source: "", scheme: "dotted" },
  ])("when the source table is '$source', then the scheme is $scheme", ({ source, scheme }) => {
    expect(versionSchemeFor(source)).toBe(scheme);
  });
});

describe("compareVersions", () => {
  it.each<{ scheme: VersionScheme; lower: string; higher: string }>([
    // deb: every pair checked against `dpkg --compare-versions`.
    { scheme: "deb", lower: "1.0~rc1", higher: "1.0" },
    { scheme: "deb", lower: "1.0", higher: "1.0+b1" },
    { scheme: "deb", lower: "2.0", higher: "1:0.9" },
    { scheme: "deb", lower: "2.37.2-4ubuntu3.4", higher: "2.37.2-4ubuntu3.10" },
    { scheme: "deb", lower: "2.37.2-4ubuntu3.4", higher: "1:2.37.2-4ubuntu3.4" },
    { scheme: "deb", lower: "1.9", higher: "1.10" },
    { scheme: "deb", lower: "1.0-1", higher: "1.0-1ubuntu1" },
    { scheme: "deb", lower: "7.81.0-1ubuntu1.15", higher: "7.81.0-1ubuntu1.16" },
    { scheme: "deb", lower: "20240203~22.04.1", higher: "20240203" },
    { scheme: "deb", lower: "0.5.11-3build1", higher: "0.5.11+git20210903+057cd650a4ed-3build1" },
    { scheme: "deb", lower: "1.0a", higher: "1.0+" },
    { scheme: "deb", lower: "1.0", higher: "1.0a" },
    { scheme: "deb", lower: "1.0~~", higher: "1.0~" },
    { scheme: "deb", lower: "12.3.0-1ubuntu1~22.04", higher: "12.3.0-1ubuntu1" },
    { scheme: "deb", lower: "3.10.6-1~22.04", higher: "3.10.12-1~22.04.3" },
    { scheme: "deb", lower: "26.1.1-1", higher: "5:26.1.1-1~ubuntu.22.04~jammy" },
    { scheme: "deb", lower: "1:8.9p1-3ubuntu0.7", higher: "1:8.9p1-3ubuntu0.10" },
    { scheme: "deb", lower: "9999999999", higher: "99999999999999999999" },
    // rpm
    { scheme: "rpm", lower: "1.0~rc1", higher: "1.0" },
    { scheme: "rpm", lower: "1.0", higher: "1.0^git1" },
    { scheme: "rpm", lower: "1.0^git1", higher: "1.0.1" },
    { scheme: "rpm", lower: "1.0~rc1", higher: "1.0^git1" },
    { scheme: "rpm", lower: "1.9", higher: "1.10" },
    { scheme: "rpm", lower: "1:9.9", higher: "2:1.0" },
    { scheme: "rpm", lower: "9.9", higher: "1:1.0" },
    { scheme: "rpm", lower: "1.0-1.el9", higher: "1.0-2.el9" },
    { scheme: "rpm", lower: "5.14.0-362.8.1.el9_3", higher: "5.14.0-362.13.1.el9_3" },
    { scheme: "rpm", lower: "1.0", higher: "1.0a" },
    { scheme: "rpm", lower: "1.0.a", higher: "1.0.1" },
    { scheme: "rpm", lower: "3.0.7-24.el9", higher: "3.0.7-25.el9" },
    { scheme: "rpm", lower: "8.7p1-34.el9", higher: "8.7p1-38.el9" },
    { scheme: "rpm", lower: "1.4.0~rc2-1.fc40", higher: "1.4.0-1.fc40" },
    { scheme: "rpm", lower: "0.7.0-1.fc40", higher: "0.7.0^20231218gitd8b9c8d-1.fc40" },
    { scheme: "rpm", lower: "2.34-83.el9_3.12", higher: "2.34-100.el9" },
    { scheme: "rpm", lower: "9999999999", higher: "99999999999999999999" },
    // rpm itself skips the release when one side has none; here that side sorts lower (see the module comment).
    { scheme: "rpm", lower: "1.0", higher: "1.0-1" },
    // dotted
    { scheme: "dotted", lower: "1.9", higher: "1.10" },
    { scheme: "dotted", lower: "124.0.6367.60", higher: "124.0.6367.119" },
    { scheme: "dotted", lower: "10.4.9", higher: "10.4.11" },
    { scheme: "dotted", lower: "16.0.17328.20162", higher: "16.0.17425.20176" },
    { scheme: "dotted", lower: "2.44.0-rc1", higher: "2.44.0" },
    { scheme: "dotted", lower: "2.43.0", higher: "2.44.0-rc1" },
    { scheme: "dotted", lower: "125.0b3", higher: "125.0" },
    { scheme: "dotted", lower: "125.0b3", higher: "125.0b10" },
    { scheme: "dotted", lower: "125.0a1", higher: "125.0b3" },
    { scheme: "dotted", lower: "125.0", higher: "125.0.3" },
    { scheme: "dotted", lower: "1.0", higher: "1.0build3" },
    { scheme: "dotted", lower: "8.10.29", higher: "8.10.30 (81030040)" },
    { scheme: "dotted", lower: "8.10.30 (99999999)", higher: "8.10.30.1" },
    { scheme: "dotted", lower: "24.002.20736", higher: "24.070.0407.0003" },
    { scheme: "dotted", lower: "", higher: "0.77" },
    { scheme: "dotted", lower: "9999999999", higher: "99999999999999999999" },
  ])("when comparing $lower and $higher under $scheme, then $lower sorts first", ({ scheme, lower, higher }) => {
    expect(cmp(scheme, lower, higher)).toBe(-1);
    expect(cmp(scheme, higher, lower)).toBe(1);
  });

  it.each<{ scheme: VersionScheme; a: string; b: string }>([
    { scheme: "deb", a: "1.0", b: "1.0" },
    { scheme: "deb", a: "1.0-0", b: "1.0" },
    { scheme: "deb", a: "0:1.0", b: "1.0" },
    { scheme: "deb", a: "1.01", b: "1.1" },
    { scheme: "deb", a: " 1:2.34.1-1ubuntu1.11", b: "1:2.34.1-1ubuntu1.11" },
    { scheme: "rpm", a: "1.0", b: "1.0" },
    { scheme: "rpm", a: "1.001", b: "1.1" },
    { scheme: "rpm", a: "1.0_1", b: "1.0.1" },
    { scheme: "rpm", a: "0:3.0.7-24.el9", b: "3.0.7-24.el9" },
    { scheme: "dotted", a: "124.0.6367.119", b: "124.0.6367.119" },
    { scheme: "dotted", a: "", b: "" },
  ])("when comparing $a and $b under $scheme, then they are equal", ({ scheme, a, b }) => {
    expect(cmp(scheme, a, b)).toBe(0);
    expect(cmp(scheme, b, a)).toBe(0);
  });

  // Each pair is equal once parenthesised text, build metadata and trailing zero components are set aside;
  // the raw strings then decide. "1.2.3+build10" before "+build9" shows the metadata is not read as a number.
  it.each([
    { a: "1.0", b: "1.0.0", below: "0.9.9", above: "1.0.1" },
    { a: "1.2.3+build5", b: "1.2.3+build9", below: "1.2.2", above: "1.2.4" },
    { a: "1.2.3+build10", b: "1.2.3+build9", below: "1.2.3-rc1", above: "1.2.3.1" },
    { a: "14.38.33135", b: "14.38.33135.0", below: "14.38.33134", above: "14.38.33135.1" },
    { a: "6.0.2 (33403)", b: "6.0.2.0", below: "6.0.1", above: "6.0.3" },
    { a: "01.0", b: "1.0.0", below: "0.99", above: "1.0.1" },
  ])("when comparing $a and $b under dotted, then they tie on the version and the raw strings decide", ({ a, b, below, above }) => {
    expect(cmp("dotted", a, b)).toBe(-1);
    expect(cmp("dotted", b, a)).toBe(1);
    for (const v of [a, b]) {
      expect(cmp("dotted", below, v)).toBe(-1);
      expect(cmp("dotted", v, above)).toBe(-1);
    }
  });

  it("when comparing every deb version of the Ubuntu 22.04 fixture under deb, then they sort the way dpkg --compare-versions sorts them", () => {
    const dpkgOrder = [
      "0.5.11+git20210903+057cd650a4ed-3build1",
      "1.4.0-11ubuntu2.4",
      "1.4.8+dfsg-3build1",
      "1.5.79ubuntu1",
      "1.9.9-1ubuntu2.4",
      "1.10-4ubuntu4.1",
      "1.21.1ubuntu2.3",
      "1.34+dfsg-1ubuntu0.1.22.04.2",
      "1.46.5-2ubuntu1.1",
      "1.62",
      "2.2.27-3ubuntu2.1",
      "2.4.12",
      "2.35-0ubuntu3.7",
      "2.37.2-4ubuntu3.4",
      "3.0.2-0ubuntu1.15",
      "3.5.52build1",
      "3.7-1build1",
      "3.10.6-1~22.04",
      "3.10.12-1~22.04.3",
      "3.23ubuntu2",
      "3.118ubuntu5",
      "4.8-1ubuntu2",
      "4.8.0-1ubuntu3",
      "5.1-6ubuntu1.1",
      "5.5-1ubuntu2",
      "5.12.1-1.linux",
      "5.15.0-105.115",
      "5.34.0-3ubuntu1.3",
      "6.3-2ubuntu0.1",
      "7.81.0-1ubuntu1.16",
      "8.32-4.1ubuntu1.2",
      "12ubuntu4.6",
      "12.3.0-1ubuntu1~22.04",
      "249.11-0ubuntu3.12",
      "2021.03.26",
      "2024a-0ubuntu0.22.04",
      "20240203~22.04.1",
      "1:1.2.11.dfsg-2ubuntu9.2",
      "1:2.34.1-1ubuntu1.11",
      "1:2.37.2-4ubuntu3.4",
      "1:3.8-0ubuntu2",
      "1:4.8.1-2ubuntu2.2",
      "1:8.9p1-3ubuntu0.7",
      "2:8.2.3995-1ubuntu2.16",
      "5:26.1.1-1~ubuntu.22.04~jammy",
    ];
    const versions = column(debRows, "version");
    expect([...versions].sort()).toEqual([...dpkgOrder].sort());
    expect(shuffled(versions, prng(1)).sort((a, b) => compareVersions("deb", a, b))).toEqual(dpkgOrder);
  });

  it("when comparing a handful of named Ubuntu packages under deb, then epochs and tildes decide as dpkg does", () => {
    const names = ["docker-ce", "ca-certificates", "bsdutils", "mount", "gzip", "sudo", "python3", "python3.10", "vim-tiny"];
    const sorted = shuffled(names, prng(2)).sort((a, b) => compareVersions("deb", versionOf(debRows, a), versionOf(debRows, b)));
    expect(sorted).toEqual(["sudo", "gzip", "mount", "python3", "python3.10", "ca-certificates", "bsdutils", "vim-tiny", "docker-ce"]);
  });

  it("when comparing the Windows 11 fixture's DisplayVersions under dotted, then they sort numerically per component", () => {
    const versions = column(windowsRows, "version");
    expect(shuffled(versions, prng(3)).sort((a, b) => compareVersions("dotted", a, b))).toEqual([
      "",
      "1.88.1",
      "2.44.0",
      "3.7.2204.15001",
      "3.12.3150.0",
      "5.12.1",
      "5.72.0.0",
      "6.0.38135",
      "8.6.5",
      "14.38.33135",
      "14.38.33135.0",
      "16.0.17425.20176",
      "23.01",
      "24.002.20736",
      "24.070.0407.0003",
      "124.0.2478.80",
      "124.0.6367.119",
      "125.0.3",
    ]);
    expect(cmp("dotted", versionOf(windowsRows, "Microsoft Edge"), versionOf(windowsRows, "Google Chrome"))).toBe(-1);
  });

  it("when comparing the macOS 14 fixture's bundle versions under dotted, then they sort numerically per component", () => {
    const versions = column(macRows, "bundle_short_version");
    expect(shuffled(versions, prng(4)).sort((a, b) => compareVersions("dotted", a, b))).toEqual([
      "0.77",
      "1.2.35.663",
      "1.5.12",
      "1.88.1",
      "2.14",
      "3.0",
      "3.0.20",
      "3.4.23",
      "4.11",
      "4.29.0",
      "4.37.101",
      "6.0.2 (33403)",
      "8.10.30",
      "10.4.11",
      "10.14",
      "10.24.16",
      "11.0",
      "14.0",
      "14.4",
      "15.0",
      "15.3",
      "15.4",
      "16.0",
      "16.84",
      "17.4.1",
      "124.0.6367.119",
      "125.0.3",
      "24074.2321.2810.3500",
    ]);
    expect(cmp("dotted", versionOf(macRows, "Xcode.app", "bundle_short_version"), versionOf(macRows, "Xcode-beta.app", "bundle_short_version"))).toBe(-1);
  });
});

const RPM_CORPUS = [
  "3.0.7-24.el9",
  "3.0.7-25.el9",
  "1:3.0.7-27.el9",
  "1:1.1.1k-12.el8_9",
  "5.14.0-362.8.1.el9_3",
  "5.14.0-362.13.1.el9_3",
  "5.14.0-362.24.1.el9_3",
  "5.14.0-427.13.1.el9_4",
  "4.18.0-513.24.1.el8_9",
  "6.8.5-100.fc39",
  "6.8.7-200.fc39",
  "2.34-83.el9_3.12",
  "2.34-100.el9",
  "2:9.0.2120-1.fc39",
  "2:8.2.2637-20.el9_1",
  "8.7p1-34.el9",
  "8.7p1-38.el9",
  "252-18.el9",
  "252-32.el9_4",
  "7.76.1-26.el9_3.3",
  "7.76.1-29.el9_4",
  "1.2.11-40.el9",
  "1.2.13-6.fc40",
  "6.2-10.20210508.el9",
  "5.1.8-6.el9_1",
  "2.37.4-15.el9",
  "4.16.1.3-29.el9",
  "3.9.18-3.el9_4.1",
  "3.9.18-3.el9_4.3",
  "1:2.06-77.el9",
  "1:2.06-80.el9",
  "1:11.0.22.0.7-2.el9",
  "1:17.0.10.0.7-2.el9",
  "2023.2.62_v7.0.401-4.el9",
  "2024.2.69_v8.0.303-91.4.el9_4",
  "0.7.0^20231218gitd8b9c8d-1.fc40",
  "0.7.0-1.fc40",
  "1.4.0~rc2-1.fc40",
  "1.4.0-1.fc40",
  "1.001-1",
  "1.1-1",
  "1.0.a-1",
];

const DEB_CORPUS = [
  ...column(debRows, "version"),
  "1.0~rc1",
  "1.0",
  "1.0-0",
  "1.0+b1",
  "1:0.9",
  "1.0a",
  "1.0+",
  "2.37.2-4ubuntu3.10",
];

const DOTTED_CORPUS = [
  ...column(windowsRows, "version"),
  ...column(macRows, "bundle_short_version"),
  ...column(macRows, "bundle_version"),
  "2.44.0-rc1",
  "125.0b3",
  "125.0a1",
  "1.2.3+build5",
  "1.2.3+build9",
  "1.0.0",
  "1.0",
];

const CORPORA: Array<{ scheme: VersionScheme; corpus: string[] }> = [
  { scheme: "deb", corpus: DEB_CORPUS },
  { scheme: "rpm", corpus: RPM_CORPUS },
  { scheme: "dotted", corpus: [...new Set(DOTTED_CORPUS)] },
];

const RANDOM_ALPHABET = ["0", "1", "9", "0", "a", "b", "z", "Z", ".", "-", "+", "~", "^", ":", "_", "(", ")", " ", "\t", "é", "ß", "İ", "😀", "\u0000", "\ud800"];

function randomStrings(seed: number, count: number): string[] {
  const random = prng(seed);
  const out = ["", " ", "~", "^", ":", "-", "(", "+", "99999999999999999999999999999999"];
  while (out.length < count) {
    let s = "";
    const length = Math.floor(random() * 16);
    for (let i = 0; i < length; i++) {
      s += random() < 0.05 ? "1".repeat(25) : (RANDOM_ALPHABET[Math.floor(random() * RANDOM_ALPHABET.length)] ?? "");
    }
    out.push(s);
  }
  return out;
}

function expectTotalPreorder(scheme: VersionScheme, versions: string[]): void {
  const m = versions.map((a) => versions.map((b) => cmp(scheme, a, b)));
  const at = (i: number, j: number) => m[i]?.[j] ?? Number.NaN;
  const problems: string[] = [];
  for (let i = 0; i < versions.length; i++) {
    if (at(i, i) !== 0) problems.push(`not reflexive: ${JSON.stringify(versions[i])}`);
    for (let j = 0; j < versions.length; j++) {
      if (at(i, j) !== -at(j, i)) problems.push(`not antisymmetric: ${JSON.stringify([versions[i], versions[j]])}`);
      if (at(i, j) > 0) continue;
      for (let k = 0; k < versions.length; k++) {
        if (at(j, k) > 0) continue;
        const expected = at(i, j) === 0 && at(j, k) === 0 ? 0 : -1;
        if (at(i, k) !== expected) problems.push(`not transitive: ${JSON.stringify([versions[i], versions[j], versions[k]])}`);
      }
    }
  }
  expect(problems.slice(0, 5)).toEqual([]);
}

describe("compareVersions as a sort order", () => {
  it.each(CORPORA)("when comparing every pair and triple of $corpus.length real $scheme versions under $scheme, then the order is reflexive, antisymmetric and transitive", ({ scheme, corpus }) => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expectTotalPreorder(scheme, corpus);
  });

  it.each(CORPORA)("when comparing $corpus.length real $scheme versions under $scheme after several seeded shuffles, then every sort gives the same order", ({ scheme, corpus }) => {
    const compare = (a: string, b: string) => compareVersions(scheme, a, b);
    const random = prng(42);
    const reference = shuffled(corpus, random).sort(compare);
    for (let i = 1; i < reference.length; i++) expect(cmp(scheme, reference[i - 1] ?? "", reference[i] ?? "")).toBeLessThanOrEqual(0);
    for (let round = 0; round < 8; round++) {
      const again = shuffled(corpus, random).sort(compare);
      // Only versions the scheme calls equal (deb 1.0-0 and 1.0, rpm 1.001-1 and 1.1-1) may swap places.
      expect(again.map((v, i) => cmp(scheme, v, reference[i] ?? ""))).toEqual(again.map(() => 0));
      if (scheme === "dotted") expect(again).toEqual(reference);
    }
  });

  it.each(["deb", "rpm", "dotted"] as const)("when comparing seeded random strings (empty, unicode, NUL, lone surrogates, huge digit runs) under %s, then it never throws and stays a total preorder", (scheme) => {
    const strings = randomStrings(7, 120);
    expect(() => {
      for (const a of strings) for (const b of strings) compareVersions(scheme, a, b);
    }).not.toThrow();
    expect(strings.every((a) => strings.every((b) => Number.isFinite(compareVersions(scheme, a, b))))).toBe(true);
    expectTotalPreorder(scheme, strings);
  });
});
