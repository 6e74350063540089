import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bumpVersion, createCatalog } from "../helpers/agent-simulator/catalog.js";
import { createSimulatedHost, selectStarColumns, type HostOptions } from "../helpers/agent-simulator/host.js";
import { PLATFORMS, type Platform } from "../helpers/agent-simulator/tables.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/osquery/${name}`, import.meta.url), "utf8")) as Array<Record<string, string>>;
const SOFTWARE: Record<Platform, string> = { darwin: "apps", ubuntu: "deb_packages", rhel: "rpm_packages", windows: "programs" };

/** Reads the software table in a new batch, as a distributed cycle that asks for it again does. */
function reread(host: ReturnType<typeof createSimulatedHost>) {
  host.beginBatch();
  const result = host.query(`SELECT name FROM ${host.softwareTable}`);
  if (!result.ok) throw new Error(result.message);
  return result.rows.length;
}

describe("simulated hosts", () => {
  it.each(PLATFORMS)("when two %s hosts are made from the same seed and index, then every table reports the same rows", (platform) => {
    const options: HostOptions = { platform, seed: 7, index: 3, softwareCount: 300 };
    expect(createSimulatedHost(options).truth()).toEqual(createSimulatedHost(options).truth());
  });

  it.each(PLATFORMS)("when a fleet of %s hosts is made, then hostnames, UUIDs and serials are unique", (platform) => {
    const catalog = createCatalog(platform);
    const hosts = Array.from({ length: 300 }, (_, index) => createSimulatedHost({ platform, seed: 1, index, catalog, softwareCount: 5 }));
    for (const field of ["hostname", "osqueryUuid", "serial", "instanceId"] as const) expect(new Set(hosts.map((h) => h[field])).size).toBe(hosts.length);
  });

  it.each([
    ["darwin", 40],
    ["ubuntu", 2500],
    ["rhel", 1200],
    ["windows", 700],
  ] as const)("when a %s host is asked for %i packages, then its software table has that many rows", (platform, count) => {
    const host = createSimulatedHost({ platform, seed: 2, index: 0, softwareCount: count });
    expect(host.truthOf(SOFTWARE[platform])).toHaveLength(count);
  });

  it.each(PLATFORMS)("when a %s host reports its tables, then the columns are SELECT *'s, in the spec's order", (platform) => {
    const truth = createSimulatedHost({ platform, seed: 1, index: 0, softwareCount: 20 }).truth();
    for (const [table, rows] of Object.entries(truth)) {
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(Object.keys(row)).toEqual(selectStarColumns(platform, table));
    }
  });

  it("when a host is made, then it reports the recorded fixture rows as osquery printed them", () => {
    const mac = createSimulatedHost({ platform: "darwin", seed: 1, index: 0 });
    const ubuntu = createSimulatedHost({ platform: "ubuntu", seed: 1, index: 1 });
    const windows = createSimulatedHost({ platform: "windows", seed: 1, index: 2 });
    expect(mac.truthOf("os_version")).toEqual(fixture("os_version_macos14.json"));
    expect(ubuntu.truthOf("os_version")).toEqual(fixture("os_version_ubuntu2204.json"));
    expect(windows.truthOf("os_version")).toEqual(fixture("os_version_windows11.json"));
    const bsdutils = ubuntu.truthOf("deb_packages").find((row) => row["name"] === "bsdutils");
    expect(bsdutils?.["source"]).toBe("util-linux (2.37.2-4ubuntu3.4)");
    const unnamed = windows.truthOf("programs").filter((row) => row["name"] === "");
    expect(unnamed).toHaveLength(1);
    const xcodes = mac.truthOf("apps").filter((row) => row["bundle_identifier"] === "com.apple.dt.Xcode");
    expect(xcodes.map((row) => row["name"]).sort()).toEqual(["Xcode-beta.app", "Xcode.app"]);
  });

  it("when many Macs are made, then some are Intel Macs with NULs in cpu_brand and trailing spaces in platform_info", () => {
    const catalog = createCatalog("darwin");
    const macs = Array.from({ length: 60 }, (_, index) => createSimulatedHost({ platform: "darwin", seed: 1, index, catalog, softwareCount: 5 }));
    const intel = macs.filter((mac) => mac.truthOf("system_info")[0]!["cpu_brand"]!.endsWith("\u0000"));
    expect(intel.length).toBeGreaterThan(0);
    expect(intel.length).toBeLessThan(macs.length);
    expect(intel[0]!.truthOf("platform_info")[0]).toMatchObject({ vendor: "Apple Inc. ", version: "196.0.0.0.0 ", date: "12/16/2019 " });
  });

  it("when a Windows VM reports the all-zero SMBIOS UUID, then osquery's own UUID is a random one, as osquery falls back", () => {
    const host = createSimulatedHost({ platform: "windows", seed: 1, index: 0, zeroSmbiosUuid: true });
    expect(host.truthOf("system_info")[0]!["uuid"]).toBe("00000000-0000-0000-0000-000000000000");
    expect(host.osqueryUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(host.truthOf("osquery_info")[0]!["uuid"]).toBe(host.osqueryUuid);
  });

  it("when a Linux host is asked for the other package database, then the table exists and is empty", () => {
    const ubuntu = createSimulatedHost({ platform: "ubuntu", seed: 1, index: 0, softwareCount: 10 });
    const rhel = createSimulatedHost({ platform: "rhel", seed: 1, index: 1, softwareCount: 10 });
    expect(ubuntu.query("SELECT * FROM rpm_packages")).toMatchObject({ ok: true, rows: [] });
    expect(rhel.query("SELECT * FROM deb_packages")).toMatchObject({ ok: true, rows: [] });
    expect(rhel.query("SELECT * FROM apps")).toEqual({ ok: false, message: "no such table: apps" });
  });

  it("when the osquery package is listed, then its version is the agent's and churn never moves it", () => {
    const host = createSimulatedHost({ platform: "windows", seed: 1, index: 0, osqueryVersion: "5.23.1", churn: 0.5 });
    for (let i = 0; i < 4; i++) reread(host);
    expect(host.truthOf("programs").find((row) => row["name"] === "osquery")?.["version"]).toBe("5.23.1");
  });

  it("when the software table is read again in a new batch, then the configured fraction churns, deterministically", () => {
    const options: HostOptions = { platform: "ubuntu", seed: 11, index: 4, softwareCount: 1000, churn: { upgraded: 0.02, added: 0.01, removed: 0.01 } };
    const a = createSimulatedHost(options);
    const b = createSimulatedHost(options);
    const before = new Map(a.truthOf("deb_packages").map((row) => [row["name"]!, row["version"]!]));
    for (let i = 0; i < 3; i++) {
      reread(a);
      reread(b);
    }
    expect(a.churnHistory).toHaveLength(2);
    expect(a.churnHistory).toEqual(b.churnHistory);
    expect(a.truth()).toEqual(b.truth());
    const first = a.churnHistory[0]!;
    expect([first.upgraded.length, first.added.length, first.removed.length]).toEqual([20, 10, 10]);
    expect(a.truthOf("deb_packages")).toHaveLength(1000);
    const after = new Map(a.truthOf("deb_packages").map((row) => [row["name"]!, row["version"]!]));
    const upgradedTwice = a.churnHistory.flatMap((c) => c.upgraded).filter((name) => after.has(name) && before.has(name));
    for (const name of upgradedTwice) expect(after.get(name)).not.toBe(before.get(name));
    for (const name of a.churnHistory.flatMap((c) => c.added)) expect(before.has(name)).toBe(false);
  });

  it("when the software table is read twice in one batch or through truth(), then nothing churns", () => {
    const host = createSimulatedHost({ platform: "darwin", seed: 1, index: 0, churn: 0.5 });
    host.beginBatch();
    host.query("SELECT name FROM apps");
    host.query("SELECT count(*) FROM apps");
    host.truth();
    host.truth();
    expect(host.churnHistory).toHaveLength(0);
    expect(host.softwareReads).toBe(1);
  });

  it("when the server's statement is peeked at, then it answers what the last read sent, without churning", () => {
    const host = createSimulatedHost({ platform: "rhel", seed: 1, index: 0, softwareCount: 200, churn: 0.2 });
    const statement = "SELECT name, version, release, epoch, vendor FROM rpm_packages;";
    host.beginBatch();
    host.query(statement);
    host.beginBatch();
    const sent = host.query(statement);
    expect(host.churnHistory).toHaveLength(1);
    expect(host.peek(statement)).toEqual(sent);
    host.beginBatch();
    expect(host.peek(statement)).toEqual(sent);
    expect(host.churnHistory).toHaveLength(1);
  });

  it("when two hosts of one seed churn, then they churn differently", () => {
    const a = createSimulatedHost({ platform: "rhel", seed: 3, index: 0, softwareCount: 400, churn: 0.1 });
    const b = createSimulatedHost({ platform: "rhel", seed: 3, index: 1, softwareCount: 400, churn: 0.1 });
    reread(a);
    reread(a);
    reread(b);
    reread(b);
    expect(a.churnHistory[0]!.upgraded).not.toEqual(b.churnHistory[0]!.upgraded);
  });

  it("when Debian packages are listed, then about 1 % are removed-but-not-purged, as dpkg keeps them", () => {
    const rows = createSimulatedHost({ platform: "ubuntu", seed: 5, index: 0, softwareCount: 2000 }).truthOf("deb_packages");
    const configFiles = rows.filter((row) => row["status"] === "deinstall ok config-files").length;
    expect(configFiles).toBeGreaterThan(5);
    expect(configFiles).toBeLessThan(60);
    expect(rows.filter((row) => row["status"] === "install ok installed").length).toBe(rows.length - configFiles);
  });

  it("when RHEL packages are listed, then the release keys and three kernels are there, as rpm lists them", () => {
    const rows = createSimulatedHost({ platform: "rhel", seed: 5, index: 0 }).truthOf("rpm_packages");
    expect(rows.filter((row) => row["name"] === "gpg-pubkey")).toHaveLength(2);
    expect(rows.filter((row) => row["name"] === "kernel").map((row) => row["release"])).toEqual(["362.13.1.el9_3", "362.18.1.el9_3", "362.24.1.el9_3"]);
  });

  it.each([
    ["1:2.34.1-1ubuntu1.11", 2, "1:2.34.1-1ubuntu1.13"],
    ["3.118ubuntu5", 1, "3.118ubuntu6"],
    ["20240203~22.04.1", 1, "20240203~22.04.2"],
    ["6.0.2 (33403)", 1, "6.0.3 (33404)"],
    ["23.01", 2, "23.03"],
    ["09", 1, "10"],
    ["1.0", 0, "1.0"],
  ])("when version %s is bumped by %i, then it reads %s", (version, by, expected) => {
    expect(bumpVersion(version, by)).toBe(expected);
  });
});
