import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAX_FIELD_LENGTH, MAX_NAME_LENGTH, nullIfBlank, parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo } from "../../src/inventory/rows.js";
import { parseOsqueryJson } from "../../src/sources/local/osqueryi-output.js";
import { softwareSourceFor, SoftwareSource, type AppRecord, type OsqueryRow } from "../../src/inventory/types.js";
import { CollectionError, CollectionErrorCode } from "../../src/errors.js";
import { appIdentity } from "../../src/store/identity.js";

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/osquery", import.meta.url));
const fixtureBytes = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, name));
const fixtureRows = (name: string): OsqueryRow[] => parseOsqueryJson(fixtureBytes(name)).rows;

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
    const { rows, invalidUtf8Rows } = parseOsqueryJson(fixtureBytes(name));
    expect(invalidUtf8Rows.size).toBe(0);
    expect(Array.isArray(rows)).toBe(true);
    for (const row of rows) {
      expect(row).toBeTypeOf("object");
      for (const value of Object.values(row)) expect(value).toBeTypeOf("string");
    }
  });

  it.each(osqueryiFixtures)("when %s is given as a string, then it parses the same as from bytes", (name) => {
    expect(parseOsqueryJson(fixtureBytes(name).toString("utf8")).rows).toEqual(parseOsqueryJson(fixtureBytes(name)).rows);
  });

  const crlfFixtures = osqueryiFixtures.filter((name) => fixtureBytes(name).includes("\r\n"));

  it("when the Windows fixtures are read, then they have CRLF line ends", () => {
    expect(crlfFixtures).toEqual(expect.arrayContaining(["os_version_windows11.json", "windows11_programs.json"]));
  });

  it.each(crlfFixtures)("when %s has CRLF line ends, then it parses to at least one row", (name) => {
    expect(parseOsqueryJson(fixtureBytes(name)).rows.length).toBeGreaterThan(0);
  });

  it("when osqueryi printed an empty result, then it parses to []", () => {
    expect(parseOsqueryJson(fixtureBytes("empty_result.json"))).toEqual({ rows: [], invalidUtf8Rows: new Set() });
  });

  it.each(tlsFixtures)("when given the TLS API body %s, then it rejects it with OSQUERY_BAD_OUTPUT", (name) => {
    const error = badOutput(() => parseOsqueryJson(fixtureBytes(name)));
    expect(error.message).toMatch(/not an array of rows of strings/);
  });

  it.each([
    { input: "bytes that are neither UTF-8 nor JSON", output: Buffer.from([0xff, 0xfe]), message: /invalid JSON/ },
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

  it("when platform and platform_like are upper case and optional columns are missing, then they are kept as reported and the rest is null", () => {
    const os = parseOsVersion([{ name: "Fedora Linux", version: "40", platform: "Fedora", platform_like: "RHEL" }]);
    expect(os).toEqual({ name: "Fedora Linux", version: "40", platform: "Fedora", platformLike: "RHEL", build: null, arch: null });
    expect(softwareSourceFor(os)).toBe(SoftwareSource.rpm_packages);
  });

  it.each([
    { input: "no rows", rows: [] },
    { input: "no name column", rows: [{ platform: "ubuntu", version: "22.04" }] },
    { input: "no version column", rows: [{ name: "Ubuntu", platform: "ubuntu" }] },
    { input: "an empty name", rows: [{ name: "", platform: "ubuntu", version: "22.04" }] },
    { input: "an empty platform", rows: [{ name: "Ubuntu", platform: "", version: "22.04" }] },
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
        alterations: [],
      });
    });

    it("when every fixture row is parsed, then version, path and bundleIdentifier come from the row", () => {
      parsed.apps.forEach((app, i) => {
        const row = rows[i] ?? {};
        expect(app.version).toBe(nullIfBlank(row["bundle_short_version"]) ?? nullIfBlank(row["bundle_version"]));
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
        { source: "apps", name: "Old.app", version: "812", path: "/Applications/Old.app", bundleIdentifier: null, publisher: null, alterations: [] },
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
        alterations: [],
      });
    });

    it("when publisher and version are empty, then they are null", () => {
      const { apps } = parseApps(SoftwareSource.programs, [
        { name: "Orphan", publisher: "", version: "", install_location: "C:\\Orphan\\", identifying_number: "{1234}" },
      ]);
      expect(apps).toEqual([
        { source: "programs", name: "Orphan", version: null, path: "C:\\Orphan\\", bundleIdentifier: "{1234}", publisher: null, alterations: [] },
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
        { source: "rpm_packages", name: "bash", version: "5.1.8-9.el9", path: null, bundleIdentifier: null, publisher: "Red Hat, Inc.", alterations: [] },
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
    expect(parseApps(SoftwareSource.deb_packages, [])).toEqual({ apps: [], skippedUnnamed: 0, duplicates: 0 });
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


describe("nullIfBlank", () => {
  it.each([
    { input: undefined, expected: null },
    { input: "", expected: null },
    { input: "   ", expected: null },
    { input: "\t\r\n", expected: null },
    { input: "\u00a0", expected: null },
    { input: "\ufeff", expected: null },
    { input: "\u3000\u2028\u2003", expected: null },
    { input: "0", expected: "0" },
    { input: " 5.12.1 ", expected: " 5.12.1 " },
    { input: "\u00a05.12.1\ufeff", expected: "\u00a05.12.1\ufeff" },
    { input: "\u200b", expected: "\u200b" },
    { input: "macOS", expected: "macOS" },
  ])("when the value is $input, then the result is $expected", ({ input, expected }) => {
    expect(nullIfBlank(input)).toBe(expected);
  });
});

// Spaces osquery may report at either end of a value: ASCII, NBSP, BOM, ideographic, em space, tab and newline.
const PADDED = [" Leading Space", "Trailing Space ", "\u00a0NBSP\u00a0", "\ufeffBOM\ufeff", "\u3000Ideographic\u2003", "\tTab\n"];

describe("text is stored byte for byte", () => {
  const fieldsOf = {
    apps: { name: "name", version: "bundle_short_version", path: "path", bundleIdentifier: "bundle_identifier" },
    deb_packages: { name: "name", version: "version", publisher: "maintainer" },
    rpm_packages: { name: "name", version: "version", publisher: "vendor" },
    programs: { name: "name", version: "version", path: "install_location", bundleIdentifier: "identifying_number", publisher: "publisher" },
  } as const;
  const cases = Object.entries(fieldsOf).flatMap(([source, fields]) =>
    Object.entries(fields).flatMap(([field, column]) => PADDED.map((value) => ({ source: source as SoftwareSource, field, column, value }))),
  );

  it.each(cases)("when a $source row's $column is $value, then $field keeps it exactly and nothing is marked", ({ source, field, column, value }) => {
    const { apps } = parseApps(source, [{ name: "app", [column]: value }]);
    expect(apps).toHaveLength(1);
    expect(apps[0]![field as keyof AppRecord]).toBe(value);
    expect(apps[0]!.alterations).toEqual([]);
  });

  it("when an rpm row's version, release and epoch have spaces, then the version joins them exactly", () => {
    expect(parseApps(SoftwareSource.rpm_packages, [{ name: "foo", version: " 1.0", release: "3.el9 ", epoch: "2" }]).apps[0]?.version).toBe("2: 1.0-3.el9 ");
  });

  it.each(["", " ", "\u00a0", "\ufeff", "\u3000", "\t\r\n"])("when an optional field is %j, then it is null", (value) => {
    const { apps } = parseApps(SoftwareSource.programs, [
      { name: "p", version: value, install_location: value, identifying_number: value, publisher: value },
    ]);
    expect(apps[0]).toMatchObject({ version: null, path: null, bundleIdentifier: null, publisher: null });
  });

  it('when a name is "" (osqueryi\'s NULL), then the row is left out and counted; a name of only spaces is a name and is kept', () => {
    const parsed = parseApps(SoftwareSource.programs, [{ name: "" }, { name: " " }, { name: "\u00a0\u3000" }, { name: "\ufeff" }]);
    expect(parsed.skippedUnnamed).toBe(1);
    expect(parsed.apps.map((a) => a.name)).toEqual([" ", "\u00a0\u3000", "\ufeff"]);
  });

  it("when two names differ only in surrounding spaces, then they are two apps", () => {
    const parsed = parseApps(SoftwareSource.apps, [{ name: "Slack.app" }, { name: " Slack.app" }, { name: "Slack.app\u00a0" }]);
    expect(parsed.apps.map((a) => a.name)).toEqual(["Slack.app", " Slack.app", "Slack.app\u00a0"]);
    expect(parsed.duplicates).toBe(0);
  });

  it.each(PADDED)("when osquery_info, os_version and system_info values are %j-like, then they are kept exactly", (padded) => {
    const pad = (v: string) => padded.replace(/[^\s\ufeff]+/, v);
    expect(parseOsqueryVersion([{ version: pad("5.12.1") }])).toBe(pad("5.12.1"));
    expect(parseOsVersion([{ name: pad("Ubuntu"), version: pad("22.04"), platform: pad("ubuntu"), platform_like: pad("debian"), build: pad("b"), arch: pad("x86_64") }])).toEqual({
      name: pad("Ubuntu"),
      version: pad("22.04"),
      platform: pad("ubuntu"),
      platformLike: pad("debian"),
      build: pad("b"),
      arch: pad("x86_64"),
    });
    expect(parseSystemInfo([{ hostname: pad("host"), uuid: pad("4C4C4544-0047-3510-8052-B4C04F4A4E32") }])).toEqual({
      hostname: pad("host"),
      uuid: pad("4C4C4544-0047-3510-8052-B4C04F4A4E32"),
    });
  });

  it("when the platform is reported with spaces or capitals, then the software source is still chosen from it", () => {
    expect(softwareSourceFor(parseOsVersion([{ name: "Ubuntu", version: "22.04", platform: " Ubuntu\u00a0" }]))).toBe(SoftwareSource.deb_packages);
  });
});

describe("text that cannot be stored exactly", () => {
  const deb = (name: string, version = "1") => ({ name, version });
  const one = (row: OsqueryRow, invalidUtf8 = false) => {
    const parsed = parseApps(SoftwareSource.deb_packages, [row], invalidUtf8 ? new Set([0]) : undefined);
    expect(parsed.apps).toHaveLength(1);
    return parsed.apps[0]!;
  };

  it.each([
    { input: "a NUL", row: deb("a\u0000b"), name: "a\uFFFDb", alterations: ["NUL_REPLACED"] },
    { input: "a lone high surrogate", row: deb("c\ud800d"), name: "c\uFFFDd", alterations: ["UNPAIRED_SURROGATE_REPLACED"] },
    { input: "a lone low surrogate", row: deb("c\udc00d"), name: "c\uFFFDd", alterations: ["UNPAIRED_SURROGATE_REPLACED"] },
    { input: "a high surrogate at the end", row: deb("e\ud83d"), name: "e\uFFFD", alterations: ["UNPAIRED_SURROGATE_REPLACED"] },
    { input: "a surrogate pair", row: deb("ok\ud83d\ude00"), name: "ok\ud83d\ude00", alterations: [] },
    { input: "a real U+FFFD", row: deb("real\uFFFD"), name: "real\uFFFD", alterations: [] },
    { input: "a NUL and a lone surrogate", row: deb("\u0000\udfff"), name: "\uFFFD\uFFFD", alterations: ["NUL_REPLACED", "UNPAIRED_SURROGATE_REPLACED"] },
  ])("when a name holds $input, then the row is kept with $alterations", ({ row, name, alterations }) => {
    expect(one(row)).toMatchObject({ name, alterations });
  });

  it("when another field holds a NUL, then it is replaced there and the app is marked", () => {
    expect(one({ name: "n", version: "1\u00002", maintainer: "m\ud800" })).toMatchObject({
      name: "n",
      version: "1\uFFFD2",
      publisher: "m\uFFFD",
      alterations: ["NUL_REPLACED", "UNPAIRED_SURROGATE_REPLACED"],
    });
  });

  it("when a name or field is over its limit, then the row is kept, cut to the limit and marked TRUNCATED", () => {
    const parsed = parseApps(SoftwareSource.deb_packages, [
      deb("n".repeat(MAX_NAME_LENGTH + 1)),
      deb("fine", "v".repeat(MAX_FIELD_LENGTH + 1)),
      deb("m".repeat(MAX_NAME_LENGTH), "v".repeat(MAX_FIELD_LENGTH)),
    ]);
    expect(parsed.apps.map((a) => [a.name.length, a.version?.length, a.alterations])).toEqual([
      [MAX_NAME_LENGTH, 1, ["TRUNCATED"]],
      [4, MAX_FIELD_LENGTH, ["TRUNCATED"]],
      [MAX_NAME_LENGTH, MAX_FIELD_LENGTH, []],
    ]);
  });

  it("when the cut would split a surrogate pair, then it keeps one code unit fewer and the text stays well-formed", () => {
    const app = one(deb(`${"a".repeat(MAX_NAME_LENGTH - 1)}\u{1F600}tail`));
    expect(app.name).toBe("a".repeat(MAX_NAME_LENGTH - 1));
    expect(app.alterations).toEqual(["TRUNCATED"]);
    expect(one(deb(`${"a".repeat(MAX_NAME_LENGTH - 2)}\u{1F600}`)).alterations).toEqual([]);
  });

  it("when a NUL lies past the cut, then only TRUNCATED is marked", () => {
    expect(one(deb(`${"a".repeat(MAX_NAME_LENGTH)}\u0000`))).toMatchObject({ name: "a".repeat(MAX_NAME_LENGTH), alterations: ["TRUNCATED"] });
  });

  it("when a row held bytes that were not UTF-8 and a stored field holds U+FFFD, then it is marked INVALID_UTF8_REPLACED", () => {
    expect(one(deb("bad\uFFFD"), true).alterations).toEqual(["INVALID_UTF8_REPLACED"]);
    expect(one({ name: "n", version: "1", maintainer: "\uFFFD" }, true).alterations).toEqual(["INVALID_UTF8_REPLACED"]);
  });

  it("when the same U+FFFD is in a row that was valid UTF-8, then nothing is marked", () => {
    expect(one(deb("bad\uFFFD")).alterations).toEqual([]);
  });

  it("when a row held bytes that were not UTF-8 only in a column that is not stored, then nothing is marked", () => {
    expect(one({ name: "n", version: "1", arch: "\uFFFD" }, true).alterations).toEqual([]);
    const app = parseApps(SoftwareSource.apps, [{ name: "A.app", bundle_short_version: "1", bundle_version: "\uFFFD" }], new Set([0])).apps[0];
    expect(app?.alterations).toEqual([]);
  });

  it("when the U+FFFD of an invalid row lies past the cut, then only TRUNCATED is marked", () => {
    expect(one(deb(`${"a".repeat(MAX_NAME_LENGTH)}\uFFFD`), true).alterations).toEqual(["TRUNCATED"]);
  });

  it("when only some rows held invalid bytes, then only those are marked", () => {
    const parsed = parseApps(SoftwareSource.deb_packages, [deb("a\uFFFD"), deb("b\uFFFD"), deb("c\uFFFD")], new Set([1]));
    expect(parsed.apps.map((a) => a.alterations)).toEqual([[], ["INVALID_UTF8_REPLACED"], []]);
  });

  it("when two rows differ only in a replaced character, then they are one app listing the alterations of both", () => {
    const parsed = parseApps(SoftwareSource.deb_packages, [deb("x\u0000y"), deb("x\ud800y"), deb("x\uFFFDy")]);
    expect(parsed.apps).toEqual([expect.objectContaining({ name: "x\uFFFDy", alterations: ["NUL_REPLACED", "UNPAIRED_SURROGATE_REPLACED"] })]);
    expect(parsed.duplicates).toBe(2);
  });

  it("when two names differ only past the cut, then they are one app marked TRUNCATED", () => {
    const long = "L".repeat(MAX_NAME_LENGTH);
    const parsed = parseApps(SoftwareSource.deb_packages, [deb(`${long}-one`), deb(`${long}-two`)]);
    expect(parsed.apps).toEqual([expect.objectContaining({ name: long, alterations: ["TRUNCATED"] })]);
    expect(parsed.duplicates).toBe(1);
  });

  it("when an exact row comes first and an altered twin second, then the one app is marked", () => {
    const parsed = parseApps(SoftwareSource.deb_packages, [deb("t\uFFFD"), deb("t\u0000")]);
    expect(parsed.apps).toEqual([expect.objectContaining({ name: "t\uFFFD", alterations: ["NUL_REPLACED"] })]);
  });

  it("when the same rows are parsed twice, then the apps are equal (what is stored does not depend on anything else)", () => {
    const rows = [deb("x\u0000y"), deb("n".repeat(600)), deb(" lead"), deb("w\uFFFD")];
    expect(parseApps(SoftwareSource.deb_packages, rows, new Set([3]))).toEqual(parseApps(SoftwareSource.deb_packages, rows, new Set([3])));
  });

  it.each([
    { table: "osquery_info", parse: () => parseOsqueryVersion([{ version: "5.12\u00001" }]) },
    { table: "os_version", parse: () => parseOsVersion([{ name: "Ubuntu\ud800", version: "22.04", platform: "ubuntu" }]) },
    { table: "system_info", parse: () => parseSystemInfo([{ hostname: "host\u0000", uuid: "" }]) },
  ])("when $table holds a NUL or a lone surrogate, then the collection fails naming it instead of storing another machine", ({ table, parse }) => {
    const error = badOutput(parse);
    expect(error.message).toMatch(new RegExp(`^osquery table ${table} returned a "\\w+" with a NUL character or an unpaired surrogate`));
  });

  it.each([
    { table: "osquery_info", parse: (invalid: Set<number>) => parseOsqueryVersion([{ version: "5.12.1\uFFFD" }], invalid) },
    { table: "os_version", parse: (invalid: Set<number>) => parseOsVersion([{ name: "Ubuntu\uFFFD", version: "22.04", platform: "ubuntu" }], invalid) },
    { table: "system_info", parse: (invalid: Set<number>) => parseSystemInfo([{ hostname: "host\uFFFD", uuid: "" }], invalid) },
  ])("when $table's row held bytes that are not UTF-8, then the collection fails naming it; a real U+FFFD is kept", ({ table, parse }) => {
    expect(badOutput(() => parse(new Set([0]))).message).toBe(`osquery table ${table} returned a row with bytes that are not UTF-8`);
    expect(JSON.stringify(parse(new Set()))).toContain("\uFFFD");
  });
});

describe("parseOsqueryJson: bytes that are not UTF-8", () => {
  /** osqueryi's layout around row lines given as bytes. */
  const layout = (rows: Buffer[], eol = "\n") =>
    Buffer.concat([Buffer.from(`[${eol}`), ...rows.flatMap((row, i) => [Buffer.from("  "), row, Buffer.from(i < rows.length - 1 ? `,${eol}` : eol)]), Buffer.from(`]${eol}`)]);
  const row = (name: Buffer | string) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from(name), Buffer.from('","version":"1"}')]);
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => Buffer.from(p as string)));

  it.each([
    { input: "a bad continuation byte", name: bytes("a", [0xc3, 0x28], "b"), decoded: "a\uFFFD(b" },
    { input: "an overlong encoding", name: bytes([0xc0, 0xaf]), decoded: "\uFFFD\uFFFD" },
    { input: "a UTF-8-encoded surrogate", name: bytes([0xed, 0xa0, 0x80]), decoded: "\uFFFD\uFFFD\uFFFD" },
    { input: "a sequence cut short", name: bytes("x", [0xe2, 0x82]), decoded: "x\uFFFD" },
    { input: "a lone 0xFF", name: bytes([0xff]), decoded: "\uFFFD" },
    { input: "a real U+FFFD next to a bad byte", name: bytes("\uFFFD", [0xff]), decoded: "\uFFFD\uFFFD" },
  ])("when a row holds $input, then it decodes with U+FFFD as WHATWG says and only that row is named", ({ name, decoded }) => {
    for (const eol of ["\n", "\r\n"]) {
      const result = parseOsqueryJson(layout([row("before"), row(name), row("after\uFFFD")], eol));
      expect(result.rows.map((r) => r["name"])).toEqual(["before", decoded, "after\uFFFD"]);
      expect([...result.invalidUtf8Rows]).toEqual([1]);
    }
  });

  it("when the last row (no comma) and the first hold bad bytes, then both are named", () => {
    const result = parseOsqueryJson(layout([row(bytes([0xff])), row("ok"), row(bytes([0xfe]))]));
    expect([...result.invalidUtf8Rows].sort()).toEqual([0, 2]);
  });

  it("when the output is valid UTF-8 with a real U+FFFD, then no row is named", () => {
    expect(parseOsqueryJson(layout([row("real\uFFFD")])).invalidUtf8Rows.size).toBe(0);
  });

  it("when a byte order mark starts the output, then it is dropped as before and the rows are still matched to their lines", () => {
    const result = parseOsqueryJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), layout([row("a"), row(bytes([0xff]))])]));
    expect(result.rows.map((r) => r["name"])).toEqual(["a", "\uFFFD"]);
    expect([...result.invalidUtf8Rows]).toEqual([1]);
  });

  it("when bad bytes are in output that is not one row a line, then it is refused rather than guessed at", () => {
    const oneLine = bytes('[{"name":"a"},{"name":"', [0xff], '"}]\n');
    expect(badOutput(() => parseOsqueryJson(oneLine)).message).toBe("osqueryi printed bytes that are not UTF-8 in output that is not one row a line");
    const split = bytes('[\n  {"name":"a",\n  "version":"', [0xff], '"}\n]\n');
    expect(badOutput(() => parseOsqueryJson(split)).message).toMatch(/not one row a line/);
  });

  it("when bad bytes come with more lines than maxRows allows, then the output is refused before it is decoded line by line", () => {
    const flood = bytes("[", "\n".repeat(50), '{"name":"', [0xff], '"}]');
    expect(badOutput(() => parseOsqueryJson(flood, 10)).message).toBe("osqueryi returned more than 10 rows (OSQUERY_MAX_ROWS)");
  });
});
