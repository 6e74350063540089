import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { nullIfEmpty, parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo } from "../../src/inventory/rows.js";
import { parseOsqueryJson } from "../../src/sources/local/osqueryi-output.js";
import { softwareSourceFor, SoftwareSource, type OsqueryRow } from "../../src/inventory/types.js";
import { CollectionError, CollectionErrorCode } from "../../src/errors.js";
import { appIdentity } from "../../src/store/identity.js";

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/osquery", import.meta.url));
const fixtureBytes = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, name));
const fixtureRows = (name: string): OsqueryRow[] => parseOsqueryJson(fixtureBytes(name));

const jsonFixtures = readdirSync(FIXTURES_DIR).filter((name) => name.endsWith(".json")).sort();
const osqueryiFixtures = jsonFixtures.filter((name) => !name.startsWith("tls_"));
const tlsFixtures = jsonFixtures.filter((name) => name.startsWith("tls_"));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw");
}

function badOutput(fn: () => unknown): CollectionError {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(CollectionError);
  const collectionError = error as CollectionError;
  expect(collectionError.code).toBe(CollectionErrorCode.OSQUERY_BAD_OUTPUT);
  return collectionError;
}

describe("parseOsqueryJson", () => {
  it("when the fixture folder is listed, then it holds osqueryi and TLS fixtures", () => {
    expect(osqueryiFixtures.length).toBeGreaterThan(0);
    expect(tlsFixtures.length).toBeGreaterThan(0);
  });

  it.each(osqueryiFixtures)("when osqueryi printed %s, then it parses to rows of strings", (name) => {
    const rows = parseOsqueryJson(fixtureBytes(name));
    expect(Array.isArray(rows)).toBe(true);
    for (const row of rows) {
      expect(row).toBeTypeOf("object");
      for (const value of Object.values(row)) expect(value).toBeTypeOf("string");
    }
  });

  it.each(osqueryiFixtures)("when %s is given as a string, then it parses the same as from bytes", (name) => {
    expect(parseOsqueryJson(fixtureBytes(name).toString("utf8"))).toEqual(parseOsqueryJson(fixtureBytes(name)));
  });

  const crlfFixtures = osqueryiFixtures.filter((name) => fixtureBytes(name).includes("\r\n"));

  it("when the Windows fixtures are read, then they have CRLF line ends", () => {
    expect(crlfFixtures).toEqual(expect.arrayContaining(["os_version_windows11.json", "windows11_programs.json"]));
  });

  it.each(crlfFixtures)("when %s has CRLF line ends, then it parses to at least one row", (name) => {
    expect(parseOsqueryJson(fixtureBytes(name)).length).toBeGreaterThan(0);
  });

  it("when osqueryi printed an empty result, then it parses to []", () => {
    expect(parseOsqueryJson(fixtureBytes("empty_result.json"))).toEqual([]);
  });

  it.each(tlsFixtures)("when given the TLS API body %s, then it rejects it with OSQUERY_BAD_OUTPUT", (name) => {
    const error = badOutput(() => parseOsqueryJson(fixtureBytes(name)));
    expect(error.message).toMatch(/not an array of rows of strings/);
  });

  it.each([
    { input: "invalid UTF-8 bytes", output: Buffer.from([0xff, 0xfe]), message: /not valid UTF-8/ },
    { input: "truncated JSON", output: '[\n  {"version":"5.12', message: /invalid JSON/ },
    { input: "numbers instead of strings", output: '[\n  {"pid":48213}\n]\n', message: /rows of strings at 0\.pid/ },
    { input: "a JSON object instead of an array", output: '{"version":"5.12.1"}', message: /not an array of rows of strings/ },
    { input: "empty output", output: "", message: /printed nothing/ },
    { input: "whitespace-only output", output: Buffer.from("\r\n  \n"), message: /printed nothing/ },
    { input: "a null row", output: "[\n  null\n]\n", message: /rows of strings at 0/ },
  ])("when osqueryi printed $input, then it throws OSQUERY_BAD_OUTPUT with a helpful message", ({ output, message }) => {
    const error = badOutput(() => parseOsqueryJson(output));
    expect(error.message).toMatch(/^osqueryi printed /);
    expect(error.message).toMatch(message);
  });
});

describe("parseOsqueryVersion", () => {
  it.each(["osquery_info_version.json", "osquery_info_select_star_linux.json"])(
    "when osquery_info is %s, then the version is 5.12.1",
    (name) => {
      expect(parseOsqueryVersion(fixtureRows(name))).toBe("5.12.1");
    },
  );

  it.each([
    { input: "no rows", rows: [] },
    { input: "no version column", rows: [{ pid: "1" }] },
    { input: "an empty version", rows: [{ version: "" }] },
  ])("when osquery_info returned $input, then it throws OSQUERY_BAD_OUTPUT", ({ rows }) => {
    badOutput(() => parseOsqueryVersion(rows));
  });
});

describe("parseOsVersion", () => {
  it.each([
    {
      fixture: "os_version_ubuntu2204.json",
      expected: {
        name: "Ubuntu",
        version: "22.04.4 LTS (Jammy Jellyfish)",
        platform: "ubuntu",
        platformLike: "debian",
        build: null,
        arch: "x86_64",
      },
    },
    {
      fixture: "os_version_macos14.json",
      expected: { name: "macOS", version: "14.4.1", platform: "darwin", platformLike: "darwin", build: "23E224", arch: "arm64" },
    },
    {
      fixture: "os_version_windows11.json",
      expected: {
        name: "Microsoft Windows 11 Pro",
        version: "10.0.22631",
        platform: "windows",
        platformLike: "windows",
        build: "22631",
        arch: "64-bit",
      },
    },
  ])("when os_version is $fixture, then it reads name, version, platform, build and arch", ({ fixture, expected }) => {
    expect(parseOsVersion(fixtureRows(fixture))).toEqual(expected);
  });

  it("when platform and platform_like are upper case and optional columns are missing, then they are lower-cased and null", () => {
    expect(parseOsVersion([{ name: "Fedora Linux", version: "40", platform: "Fedora", platform_like: "RHEL" }])).toEqual({
      name: "Fedora Linux",
      version: "40",
      platform: "fedora",
      platformLike: "rhel",
      build: null,
      arch: null,
    });
  });

  it.each([
    { input: "no rows", rows: [] },
    { input: "no name column", rows: [{ platform: "ubuntu", version: "22.04" }] },
    { input: "no version column", rows: [{ name: "Ubuntu", platform: "ubuntu" }] },
    { input: "an empty name", rows: [{ name: "", platform: "ubuntu", version: "22.04" }] },
    { input: "an empty platform", rows: [{ name: "Ubuntu", platform: " ", version: "22.04" }] },
  ])("when os_version returned $input, then it throws OSQUERY_BAD_OUTPUT", ({ rows }) => {
    badOutput(() => parseOsVersion(rows));
  });
});

describe("parseSystemInfo", () => {
  it.each([
    { fixture: "system_info_ubuntu2204.json", expected: { hostname: "build-ubuntu-01", uuid: "4C4C4544-0047-3510-8052-B4C04F4A4E32" } },
    { fixture: "system_info_macos14.json", expected: { hostname: "mbp-anna.local", uuid: "8A3B6C1E-5D2F-4E7A-9B0C-1D2E3F4A5B6C" } },
    { fixture: "system_info_windows11.json", expected: { hostname: "DESKTOP-7Q2K9LM", uuid: null } },
  ])("when system_info is $fixture, then it reads hostname and uuid", ({ fixture, expected }) => {
    expect(parseSystemInfo(fixtureRows(fixture))).toEqual(expected);
  });

  it.each([
    { input: "the all-ones placeholder", uuid: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF" },
    { input: "the 03000200 placeholder", uuid: "03000200-0400-0500-0006-000700080009" },
    { input: "an empty uuid", uuid: "" },
  ])("when the uuid is $input, then uuid is null", ({ uuid }) => {
    expect(parseSystemInfo([{ hostname: "vm", uuid }])).toEqual({ hostname: "vm", uuid: null });
  });

  it.each([
    { input: "no rows", rows: [] },
    { input: "no hostname column", rows: [{ uuid: "4C4C4544-0047-3510-8052-B4C04F4A4E32" }] },
    { input: "an empty hostname", rows: [{ hostname: "", uuid: "4C4C4544-0047-3510-8052-B4C04F4A4E32" }] },
  ])("when system_info returned $input, then it throws OSQUERY_BAD_OUTPUT", ({ rows }) => {
    badOutput(() => parseSystemInfo(rows));
  });
});

describe("softwareSourceFor", () => {
  it.each([
    { platform: "darwin", platformLike: "darwin", expected: SoftwareSource.apps },
    { platform: "ubuntu", platformLike: "debian", expected: SoftwareSource.deb_packages },
    { platform: "debian", platformLike: null, expected: SoftwareSource.deb_packages },
    { platform: "rhel", platformLike: "rhel", expected: SoftwareSource.rpm_packages },
    { platform: "fedora", platformLike: "fedora", expected: SoftwareSource.rpm_packages },
    { platform: "centos", platformLike: "rhel", expected: SoftwareSource.rpm_packages },
    { platform: "amzn", platformLike: "fedora", expected: SoftwareSource.rpm_packages },
    { platform: "opensuse-leap", platformLike: "suse opensuse", expected: SoftwareSource.rpm_packages },
    { platform: "windows", platformLike: "windows", expected: SoftwareSource.programs },
    { platform: "arch", platformLike: null, expected: null },
    { platform: "freebsd", platformLike: "freebsd", expected: null },
    { platform: "gentoo", platformLike: "", expected: null },
  ])("when platform is $platform and platform_like is $platformLike, then the source is $expected", ({ platform, platformLike, expected }) => {
    expect(softwareSourceFor({ platform, platformLike })).toBe(expected);
  });

  it.each([
    { fixture: "os_version_ubuntu2204.json", expected: SoftwareSource.deb_packages },
    { fixture: "os_version_macos14.json", expected: SoftwareSource.apps },
    { fixture: "os_version_windows11.json", expected: SoftwareSource.programs },
  ])("when the OS comes from $fixture, then the source is $expected", ({ fixture, expected }) => {
    expect(softwareSourceFor(parseOsVersion(fixtureRows(fixture)))).toBe(expected);
  });
});

describe("parseApps", () => {
  describe("apps (macOS)", () => {
    const rows = fixtureRows("macos14_apps_projection.json");
    const parsed = parseApps(SoftwareSource.apps, rows);

    it("when every row has a name and is distinct, then every row becomes an app", () => {
      expect(parsed.apps).toHaveLength(rows.length);
      expect(parsed.apps).toHaveLength(35);
      expect(parsed.skippedUnnamed).toBe(0);
      expect(parsed.duplicates).toBe(0);
    });

    it("when a row has bundle_short_version, then it is the version and bundle fields are kept", () => {
      expect(parsed.apps.find((a) => a.name === "1Password.app")).toEqual({
        source: "apps",
        name: "1Password.app",
        version: "8.10.30",
        path: "/Applications/1Password.app",
        bundleIdentifier: "com.1password.1password",
        publisher: null,
      });
    });

    it("when every fixture row is parsed, then version, path and bundleIdentifier come from the row", () => {
      parsed.apps.forEach((app, i) => {
        const row = rows[i] ?? {};
        expect(app.version).toBe(nullIfEmpty(row["bundle_short_version"]) ?? nullIfEmpty(row["bundle_version"]));
        expect(app.path).toBe(row["path"]);
        expect(app.bundleIdentifier).toBe(row["bundle_identifier"]);
        expect(app.publisher).toBeNull();
      });
    });

    it("when bundle_short_version is empty, then bundle_version is the version", () => {
      const { apps } = parseApps(SoftwareSource.apps, [
        { name: "Old.app", path: "/Applications/Old.app", bundle_identifier: "", bundle_short_version: "", bundle_version: "812" },
      ]);
      expect(apps).toEqual([
        { source: "apps", name: "Old.app", version: "812", path: "/Applications/Old.app", bundleIdentifier: null, publisher: null },
      ]);
    });

    it("when both version columns are empty, then version is null", () => {
      const { apps } = parseApps(SoftwareSource.apps, [{ name: "Bare.app", path: "/Applications/Bare.app" }]);
      expect(apps[0]?.version).toBeNull();
    });
  });

  describe("deb_packages (Ubuntu)", () => {
    const rows = fixtureRows("ubuntu2204_deb_packages.json");
    const parsed = parseApps(SoftwareSource.deb_packages, rows);

    it("when every row has a name and is distinct, then every row becomes an app without a path", () => {
      expect(parsed.apps).toHaveLength(rows.length);
      expect(parsed.skippedUnnamed).toBe(0);
      expect(parsed.duplicates).toBe(0);
      for (const app of parsed.apps) {
        expect(app.source).toBe("deb_packages");
        expect(app.path).toBeNull();
        expect(app.bundleIdentifier).toBeNull();
      }
    });

    it("when the version has an epoch, then the epoch is kept", () => {
      expect(parsed.apps.find((a) => a.name === "bsdutils")?.version).toBe("1:2.37.2-4ubuntu3.4");
    });

    it("when the maintainer column is selected, then it is the publisher", () => {
      const { apps } = parseApps(SoftwareSource.deb_packages, [
        { name: "bash", version: "5.1-6ubuntu1.1", maintainer: "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>" },
      ]);
      expect(apps[0]?.publisher).toBe("Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>");
    });
  });

  describe("programs (Windows)", () => {
    const rows = fixtureRows("windows11_programs.json");
    const parsed = parseApps(SoftwareSource.programs, rows);

    it("when one row has name \"\", then it is skipped and counted", () => {
      expect(parsed.skippedUnnamed).toBe(1);
      expect(parsed.duplicates).toBe(0);
      expect(parsed.apps).toHaveLength(rows.length - 1);
      expect(parsed.apps.some((a) => a.name === "")).toBe(false);
    });

    it("when a row has publisher and version, then they are kept", () => {
      expect(parsed.apps.find((a) => a.name === "Git")).toEqual({
        source: "programs",
        name: "Git",
        version: "2.44.0",
        path: null,
        bundleIdentifier: null,
        publisher: "The Git Development Community",
      });
    });

    it("when publisher and version are empty, then they are null", () => {
      const { apps } = parseApps(SoftwareSource.programs, [
        { name: "Orphan", publisher: "", version: "", install_location: "C:\\Orphan\\", identifying_number: "{1234}" },
      ]);
      expect(apps).toEqual([
        { source: "programs", name: "Orphan", version: null, path: "C:\\Orphan\\", bundleIdentifier: "{1234}", publisher: null },
      ]);
    });
  });

  describe("rpm_packages", () => {
    it.each([
      { input: "epoch 0", row: { name: "bash", version: "5.1.8", release: "9.el9", epoch: "0" }, version: "5.1.8-9.el9" },
      { input: "epoch 2", row: { name: "foo", version: "1.0", release: "3.el9", epoch: "2" }, version: "2:1.0-3.el9" },
      { input: "an empty epoch", row: { name: "foo", version: "1.0", release: "3.el9", epoch: "" }, version: "1.0-3.el9" },
      { input: "no release", row: { name: "foo", version: "1.0", release: "", epoch: "" }, version: "1.0" },
      { input: "no version", row: { name: "foo", version: "", release: "3.el9", epoch: "2" }, version: null },
    ])("when a row has $input, then the version is $version", ({ row, version }) => {
      expect(parseApps(SoftwareSource.rpm_packages, [row]).apps[0]?.version).toBe(version);
    });

    it("when a row has a vendor, then it is the publisher and path is null", () => {
      const { apps } = parseApps(SoftwareSource.rpm_packages, [
        { name: "bash", version: "5.1.8", release: "9.el9", epoch: "0", vendor: "Red Hat, Inc." },
      ]);
      expect(apps).toEqual([
        { source: "rpm_packages", name: "bash", version: "5.1.8-9.el9", path: null, bundleIdentifier: null, publisher: "Red Hat, Inc." },
      ]);
    });
  });

  it.each([
    {
      source: SoftwareSource.rpm_packages,
      rows: [
        { name: "glibc", version: "2.34", release: "100.el9", epoch: "", arch: "x86_64" },
        { name: "glibc", version: "2.34", release: "100.el9", epoch: "0", arch: "i686" },
      ],
    },
    {
      source: SoftwareSource.deb_packages,
      rows: [
        { name: "libc6", version: "2.35-0ubuntu3.7", arch: "amd64" },
        { name: "libc6", version: "2.35-0ubuntu3.7", arch: "i386" },
      ],
    },
    {
      source: SoftwareSource.apps,
      rows: [
        { name: "Xcode.app", path: "/Applications/Xcode.app", bundle_short_version: "15.3", bundle_identifier: "com.apple.dt.Xcode" },
        { name: "Xcode.app", path: "/Applications/Xcode.app", bundle_short_version: "15.3", bundle_identifier: "com.apple.dt.Xcode" },
      ],
    },
  ])("when two $source rows share source, name, version and path, then the second is counted as a duplicate", ({ source, rows }) => {
    const parsed = parseApps(source, rows);
    expect(parsed.apps).toHaveLength(1);
    expect(parsed.duplicates).toBe(1);
    expect(parsed.skippedUnnamed).toBe(0);
  });

  it("when two rows differ only in path, then both are kept", () => {
    const parsed = parseApps(SoftwareSource.apps, [
      { name: "Slack.app", path: "/Applications/Slack.app", bundle_short_version: "4.38.115" },
      { name: "Slack.app", path: "/Users/anna/Applications/Slack.app", bundle_short_version: "4.38.115" },
    ]);
    expect(parsed.apps).toHaveLength(2);
    expect(parsed.duplicates).toBe(0);
  });

  it("when given no rows, then there are no apps", () => {
    expect(parseApps(SoftwareSource.deb_packages, [])).toEqual({ apps: [], skippedUnnamed: 0, skippedOversized: 0, duplicates: 0 });
  });

  it.each(Object.values(SoftwareSource))("when a %s row has no name column, then it throws OSQUERY_BAD_OUTPUT naming the column", (source) => {
    const error = badOutput(() => parseApps(source, [{ version: "1.0" }]));
    expect(error.message).toContain('"name"');
    expect(error.message).toContain(source);
  });
});

describe("appIdentity", () => {
  const base = { source: "apps", name: "Slack.app", version: "4.38.115", path: "/Applications/Slack.app" };

  it.each([
    { input: "the version", other: { ...base, version: "4.37.101" } },
    { input: "a null version", other: { ...base, version: null } },
    { input: "the path", other: { ...base, path: "/Users/anna/Applications/Slack.app" } },
    { input: "a null path", other: { ...base, path: null } },
    { input: "the source", other: { ...base, source: "programs" } },
    { input: "the name", other: { ...base, name: "slack.app" } },
  ])("when two apps differ in $input, then their identities differ", ({ other }) => {
    expect(appIdentity(other)).not.toBe(appIdentity(base));
  });

  it("when two apps have equal fields, then their identities are equal", () => {
    expect(appIdentity({ ...base })).toBe(appIdentity(base));
  });

  it("when a field contains the separator characters, then it cannot collide with another split", () => {
    expect(appIdentity({ source: "apps", name: 'a","b', version: null, path: null })).not.toBe(
      appIdentity({ source: "apps", name: "a", version: "b", path: null }),
    );
  });
});

describe("nullIfEmpty", () => {
  it.each([
    { input: undefined, expected: null },
    { input: "", expected: null },
    { input: "   ", expected: null },
    { input: "\t\r\n", expected: null },
    { input: "0", expected: "0" },
    { input: " 5.12.1 ", expected: "5.12.1" },
    { input: "macOS", expected: "macOS" },
  ])("when the value is $input, then the result is $expected", ({ input, expected }) => {
    expect(nullIfEmpty(input)).toBe(expected);
  });
});

describe("values PostgreSQL cannot store or index", () => {
  it("when a name holds NUL or an unpaired surrogate, then it becomes U+FFFD, the same text the database will hold", () => {
    const { apps } = parseApps(SoftwareSource.deb_packages, [
      { name: "a\u0000b", version: "1" },
      { name: "c\ud800d", version: "1" },
      { name: "ok\ud83d\ude00", version: "1" },
    ]);
    expect(apps.map((a) => a.name)).toEqual(["a\uFFFDb", "c\uFFFDd", "ok\ud83d\ude00"]);
  });

  it("when a name or field is too long to be a real package, then the row is left out and counted", () => {
    const parsed = parseApps(SoftwareSource.deb_packages, [
      { name: "n".repeat(513), version: "1" },
      { name: "fine", version: "v".repeat(4097) },
      { name: "n".repeat(512), version: "v".repeat(4096) },
    ]);
    expect(parsed.skippedOversized).toBe(2);
    expect(parsed.apps).toHaveLength(1);
  });
});
