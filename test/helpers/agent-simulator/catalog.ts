import { readFileSync } from "node:fs";
import { DEB_PACKAGES, lines, MAC_APPS, PRODUCT_NOUNS, RPM_PACKAGES, VENDORS, WINDOWS_PROGRAMS, WORDS, words } from "./catalog-data.js";
import { createRng, hashUuid, mix } from "./random.js";
import { softwareTableOf, type Platform, type SoftwareTable } from "./tables.js";

/**
 * The software a platform's hosts pick their inventory from. Entry 0.. are the recorded fixture rows
 * (every host has them), then real-world names (catalog-data.ts), then a generated long tail that looks
 * like the package archive (`libcobalt3`, `python3-quill`, `perl-Amber-Lotus`, `Contoso Prism Viewer`).
 * The tail is generated on demand from a fixed seed, so any catalog is a prefix of a bigger one and an
 * entry's name never depends on how many were asked for.
 *
 * An entry has no fixed version: `row(index, step, host)` is the row at version step `step`, and a higher
 * step is a newer version under the package system's own ordering (the last number grows; rpm grows the
 * release every step and the version every other step). Per-host values (last opened, install dates) come
 * from the host's salt, so they are stable for a host and differ between hosts.
 */
export interface Catalog {
  readonly platform: Platform;
  readonly table: SoftwareTable;
  /** Entries taken from the fixture files: installed on every host, in this order. */
  readonly fixtureCount: number;
  /** Fixture entries plus real-world names; the generated tail starts here. */
  readonly realCount: number;
  /**
   * The row as osquery reports it. `osqueryVersion` is what the host's own osquery package reports. The
   * row may be shared with other hosts (the catalog keeps the values that do not depend on the host): read it,
   * copy it to change it.
   */
  row(index: number, step: number, host: HostSalt): Readonly<Record<string, string>>;
  /** A name that identifies the entry (for tests and debugging). */
  nameOf(index: number): string;
  /** Entries that never change version (the osquery package follows the agent, kernels stay). */
  isPinned(index: number): boolean;
  /**
   * Sorts entries into the order the package system lists their rows in (dpkg by name, the apps table by
   * path; the others keep install order), stably: entries that list alike keep the order given.
   */
  listOrder(entries: readonly number[]): number[];
}

export interface HostSalt {
  salt: number;
  user: string;
  osqueryVersion: string;
}

const FIXTURES = new URL("../../fixtures/osquery/", import.meta.url);
const readFixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Array<Record<string, string>>;

const WORD_LIST = words(WORDS);
const NOUN_LIST = words(PRODUCT_NOUNS);
const VENDOR_LIST = words(VENDORS, /\|/);
const TAIL_SEED = 0x5eed;
const CACHED_STEPS = 6;
// Spring 2024, like the fixtures.
const EPOCH_2024_04 = 1_714_000_000;

const capitalise = (word: string) => word[0]!.toUpperCase() + word.slice(1);
const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, "");

function bumpLastNumber(version: string, by: number): string {
  const match = /(\d+)(\D*)$/.exec(version);
  if (!match) return `${version}.${by}`;
  const digits = match[1]!;
  const bumped = String(Number(digits) + by).padStart(digits.length, "0");
  return version.slice(0, match.index) + bumped + match[2];
}

/**
 * Adds `by` to the last number in a version string: the smallest change that sorts newer in every scheme.
 * A build number in parentheses ("6.0.2 (33403)") moves with the version before it.
 */
export function bumpVersion(version: string, by: number): string {
  if (by === 0) return version;
  const paren = /^(.*\d.*?) \((.*\d.*)\)$/.exec(version);
  if (paren) return `${bumpLastNumber(paren[1]!, by)} (${bumpLastNumber(paren[2]!, by)})`;
  return bumpLastNumber(version, by);
}

function guid(seed: number, salt: number): string {
  return `{${hashUuid(seed, salt).toUpperCase()}}`;
}

/** Seconds with 5 decimals, written as osquery writes a DOUBLE (15 significant digits). */
function lastOpened(h: number): string {
  if (h % 5 === 0) return "-1.0";
  const seconds = EPOCH_2024_04 - (h % 9_000_000) + (h % 100_000) / 100_000;
  return String(Number(seconds.toPrecision(15)));
}

function yyyymmdd(unix: number): string {
  const d = new Date(unix * 1000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}`;
}

interface Built {
  entryAt: (index: number) => Entry | undefined;
  /** Entries generated so far. */
  size: () => number;
  fixtureCount: number;
  realCount: number;
}

/**
 * A catalog entry's row at a version step is `fixed(step)` (what every host has alike), with `own` writing
 * the host's own values (dates, a per-user path) into a copy. `fixed` of an entry whose every value may
 * depend on the host (the osquery package carries the host's osquery version) takes the host too and is not
 * kept.
 */
interface Entry {
  name: string;
  pinned: boolean;
  /** What the package system lists rows by: the name (dpkg), the path with `{user}` for a per-user app. */
  listKey?: string;
  hostFree: boolean;
  fixed(step: number, host: HostSalt): Record<string, string>;
  own?: (step: number, host: HostSalt, row: Record<string, string>) => void;
}

// ------------------------------------------------------------------------------------------------ macOS

function macEntry(fields: {
  index: number;
  appName: string;
  bundleId: string;
  vendor: string;
  category: string;
  shortVersion: string;
  bundleVersion: string;
  fixture?: Record<string, string>;
}): Entry {
  const { index, appName, bundleId, vendor, category, shortVersion, bundleVersion, fixture } = fields;
  const h = mix(TAIL_SEED, index);
  const base: Record<string, string> = fixture ?? {
    applescript_enabled: h % 3 === 0 ? "1" : "",
    bundle_executable: appName,
    bundle_identifier: bundleId,
    bundle_name: appName.length > 15 ? appName.slice(0, 15) : appName,
    bundle_package_type: "APPL",
    bundle_short_version: shortVersion,
    bundle_version: bundleVersion,
    category,
    compiler: h % 4 === 0 ? "" : "com.apple.compilers.llvm.clang.1_0",
    copyright: `Copyright © ${2014 + (h % 10)}-2024 ${vendor} All rights reserved.`,
    development_region: h % 7 === 0 ? "English" : "en",
    display_name: h % 2 === 0 ? appName : "",
    element: h % 11 === 0 ? "1" : "",
    environment: "",
    info_string: "",
    last_opened_time: "",
    minimum_system_version: ["10.15", "11.0", "12.0", "10.13", "13.0"][h % 5]!,
    name: `${appName}.app`,
    path: h % 23 === 0 ? `/Users/{user}/Applications/${appName}.app` : `/Applications/${appName}.app`,
  };
  const path = base["path"]!.replace("/Users/jdoe/", "/Users/{user}/");
  const perUser = path.includes("{user}");
  return {
    name: base["name"]!,
    pinned: false,
    // Every per-user path of a host has the same user and no other path starts /Users/, so the order by
    // this path is the order by the host's real paths.
    listKey: path,
    hostFree: true,
    fixed: (step) => ({
      ...base,
      bundle_short_version: bumpVersion(base["bundle_short_version"]!, step),
      bundle_version: bumpVersion(base["bundle_version"]!, step),
      path,
      last_opened_time: fixture && step === 0 ? fixture["last_opened_time"]! : "",
    }),
    own: (step, host, row) => {
      if (perUser) row["path"] = path.replace("{user}", host.user);
      if (!(fixture && step === 0)) row["last_opened_time"] = lastOpened(mix(host.salt, index, step));
    },
  };
}

function macCatalog(): Built {
  const fixtures = readFixture("macos14_apps_select_star.json");
  const entries: Entry[] = fixtures.map((row, index) =>
    macEntry({ index, appName: row["name"]!.replace(/\.app$/, ""), bundleId: "", vendor: "", category: "", shortVersion: "", bundleVersion: "", fixture: row }),
  );
  const fixtureCount = entries.length;
  const taken = new Set(entries.map((e) => e.name));
  for (const line of lines(MAC_APPS)) {
    const [appName, bundleId, vendor, category, shortVersion, bundleVersion] = line.split("|") as [string, string, string, string, string, string];
    if (taken.has(`${appName}.app`)) continue;
    taken.add(`${appName}.app`);
    entries.push(macEntry({ index: entries.length, appName, bundleId, vendor, category, shortVersion, bundleVersion }));
  }
  const realCount = entries.length;
  const categories = ["public.app-category.productivity", "public.app-category.developer-tools", "public.app-category.utilities", "public.app-category.business", "public.app-category.graphics-design", ""];
  const rng = createRng(TAIL_SEED, 1);
  const entryAt = (index: number) => {
    while (entries.length <= index) {
      const word = capitalise(rng.pick(WORD_LIST));
      const noun = rng.pick(NOUN_LIST);
      const appName = rng.pick([`${word} ${noun}`, `${word}${noun}`, `${word} ${noun} Pro`, `${word} for ${noun}s`]);
      if (taken.has(`${appName}.app`)) {
        if (taken.size > 4 * WORD_LIST.length * NOUN_LIST.length - 10) throw new Error("macOS catalog exhausted");
        continue;
      }
      taken.add(`${appName}.app`);
      const vendor = rng.pick(VENDOR_LIST);
      const major = rng.int(1, 12);
      const shortVersion = `${major}.${rng.int(0, 20)}.${rng.int(0, 9)}`;
      entries.push(
        macEntry({
          index: entries.length,
          appName,
          bundleId: `com.${slug(vendor)}.${slug(word)}${slug(noun)}`,
          vendor: `${vendor}.`,
          category: rng.pick(categories),
          shortVersion,
          bundleVersion: rng.chance(0.5) ? shortVersion : String(rng.int(100, 99999)),
        }),
      );
    }
    return entries[index];
  };
  return { entryAt, size: () => entries.length, fixtureCount, realCount };
}

// ------------------------------------------------------------------------------------------------ Debian

const UBUNTU_MAINTAINER = "Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>";
const THIRD_PARTY_MAINTAINERS: Record<string, string> = {
  "docker-ce": "Docker <support@docker.com>",
  "docker-ce-cli": "Docker <support@docker.com>",
  "docker-buildx-plugin": "Docker <support@docker.com>",
  "docker-compose-plugin": "Docker <support@docker.com>",
  "containerd.io": "Containerd team <help@containerd.io>",
  "google-chrome-stable": "Chrome Linux Team <chromium-dev@chromium.org>",
  osquery: "osquery <osquery@osquery.io>",
};

function debEntry(fields: { index: number; name: string; section: string; priority: string; arch: string; version: string; source: string }): Entry {
  const { index, name, section, priority, arch, version, source } = fields;
  const h = mix(TAIL_SEED, 2, index);
  const pinned = name === "osquery";
  return {
    name,
    pinned,
    listKey: name,
    hostFree: !pinned,
    fixed: (step, host) => {
      const v = pinned ? `${host.osqueryVersion}-1.linux` : bumpVersion(version, step);
      const dash = v.lastIndexOf("-");
      return {
        name,
        version: v,
        source,
        size: String(16 + (mix(h, step) % 40_000)),
        arch,
        revision: dash > 0 ? v.slice(dash + 1) : "",
        status: "install ok installed",
        maintainer: THIRD_PARTY_MAINTAINERS[name] ?? UBUNTU_MAINTAINER,
        section,
        priority,
        admindir: "/var/lib/dpkg",
        pid_with_namespace: "0",
      };
    },
  };
}

function debCatalog(): Built {
  const sectionOf = (name: string) =>
    name.startsWith("lib") ? "libs" : name.startsWith("python3") ? "python" : name.startsWith("fonts-") ? "fonts" : name.includes("linux-") ? "kernel" : "utils";
  const entries: Entry[] = readFixture("ubuntu2204_deb_packages.json").map((row, index) =>
    debEntry({ index, name: row["name"]!, section: sectionOf(row["name"]!), priority: "optional", arch: row["arch"]!, version: row["version"]!, source: row["source"]! }),
  );
  const fixtureCount = entries.length;
  const taken = new Set(entries.map((e) => e.name));
  for (const line of lines(DEB_PACKAGES)) {
    const [name, section, priority, arch, version, source] = line.split("|") as [string, string, string, string, string, string];
    if (taken.has(name)) continue;
    taken.add(name);
    entries.push(debEntry({ index: entries.length, name, section, priority, arch, version, source }));
  }
  const realCount = entries.length;
  const rng = createRng(TAIL_SEED, 2);
  const upstream = () => `${rng.int(0, 9)}.${rng.int(0, 40)}${rng.chance(0.7) ? `.${rng.int(0, 20)}` : ""}`;
  const revision = () =>
    rng.pick([`-${rng.int(1, 4)}`, `-${rng.int(1, 3)}build${rng.int(1, 2)}`, `-${rng.int(1, 3)}ubuntu${rng.int(1, 3)}`, `+dfsg-${rng.int(1, 5)}`, `-0ubuntu0.22.04.${rng.int(1, 4)}`]);
  const patterns: Array<() => { name: string; section: string; arch: string; source: string }> = [
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `lib${w}${rng.int(0, 6)}`, section: "libs", arch: "amd64", source: w };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `lib${w}-dev`, section: "libdevel", arch: "amd64", source: w };
    },
    () => ({ name: `python3-${rng.pick(WORD_LIST)}`, section: "python", arch: "all", source: "" }),
    () => ({ name: `node-${rng.pick(WORD_LIST)}`, section: "javascript", arch: "all", source: "" }),
    () => ({ name: `golang-github-${rng.pick(WORD_LIST)}-${rng.pick(WORD_LIST)}-dev`, section: "golang", arch: "all", source: "" }),
    () => ({ name: `r-cran-${rng.pick(WORD_LIST)}`, section: "gnu-r", arch: "amd64", source: "" }),
    () => ({ name: `ruby-${rng.pick(WORD_LIST)}`, section: "ruby", arch: "all", source: "" }),
    () => ({ name: `fonts-${rng.pick(WORD_LIST)}`, section: "fonts", arch: "all", source: "" }),
    () => ({ name: `gir1.2-${rng.pick(WORD_LIST)}-1.0`, section: "introspection", arch: "amd64", source: "" }),
    () => ({ name: `lib${rng.pick(WORD_LIST)}-${rng.pick(WORD_LIST)}-perl`, section: "perl", arch: "all", source: "" }),
    () => ({ name: `${rng.pick(WORD_LIST)}-${rng.pick(WORD_LIST)}`, section: "utils", arch: "amd64", source: "" }),
  ];
  const entryAt = (index: number) => {
    while (entries.length <= index) {
      const made = rng.pick(patterns)();
      if (taken.has(made.name)) continue;
      taken.add(made.name);
      const version = `${rng.chance(0.08) ? "1:" : ""}${upstream()}${revision()}`;
      entries.push(debEntry({ index: entries.length, ...made, priority: "optional", version, source: made.source === made.name ? "" : made.source }));
    }
    return entries[index];
  };
  return { entryAt, size: () => entries.length, fixtureCount, realCount };
}

// ------------------------------------------------------------------------------------------------ RHEL

const RED_HAT = "Red Hat, Inc.";

function rpmEntry(fields: { index: number; name: string; version: string; release: string; arch: string; epoch: string; vendor: string; source: string; group?: string; pinned?: boolean }): Entry {
  const { index, name, version, release, arch, epoch, vendor, source } = fields;
  const h = mix(TAIL_SEED, 3, index);
  const pinned = fields.pinned === true || name === "osquery";
  return {
    name,
    pinned,
    hostFree: name !== "osquery",
    fixed: (step, host) => {
      const v = name === "osquery" ? host.osqueryVersion : pinned ? version : bumpVersion(version, Math.floor(step / 2));
      const r = pinned ? release : bumpVersion(release, step);
      const gpgKey = name === "gpg-pubkey";
      return {
        name,
        version: v,
        release: r,
        source: gpgKey ? "" : `${source}-${v}-${r}.src.rpm`,
        size: gpgKey ? "0" : String(mix(h, step) % 60_000_000),
        sha1: gpgKey ? "" : [mix(h, step, 1), mix(h, step, 2), mix(h, step, 3), mix(h, step, 4), mix(h, step, 5)].map((n) => n.toString(16).padStart(8, "0")).join(""),
        arch,
        epoch,
        install_time: "",
        vendor: gpgKey ? "" : vendor || RED_HAT,
        package_group: fields.group ?? "Unspecified",
        pid_with_namespace: "0",
      };
    },
    own: (step, host, row) => {
      row["install_time"] = String(EPOCH_2024_04 - 40 * 86_400 + (mix(host.salt, index, step) % (35 * 86_400)));
    },
  };
}

function rpmCatalog(): Built {
  // Real RHEL quirks: two release keys show up as packages, and three kernels are installed side by side.
  const entries: Entry[] = [
    rpmEntry({ index: 0, name: "gpg-pubkey", version: "fd431d51", release: "4ae0493b", arch: "", epoch: "", vendor: "", source: "", group: "Public Keys", pinned: true }),
    rpmEntry({ index: 1, name: "gpg-pubkey", version: "5a6340b3", release: "6229229e", arch: "", epoch: "", vendor: "", source: "", group: "Public Keys", pinned: true }),
  ];
  for (const release of ["362.13.1.el9_3", "362.18.1.el9_3", "362.24.1.el9_3"]) {
    for (const name of ["kernel", "kernel-core", "kernel-modules", "kernel-modules-core"]) {
      entries.push(rpmEntry({ index: entries.length, name, version: "5.14.0", release, arch: "x86_64", epoch: "", vendor: "", source: "kernel", pinned: true }));
    }
  }
  const fixtureCount = entries.length;
  const taken = new Set(entries.map((e) => e.name));
  for (const line of lines(RPM_PACKAGES)) {
    const [name, version, release, arch, epoch, vendor, source] = line.split("|") as [string, string, string, string, string, string, string];
    if (taken.has(name)) continue;
    taken.add(name);
    entries.push(rpmEntry({ index: entries.length, name, version, release, arch, epoch, vendor, source }));
  }
  const realCount = entries.length;
  const rng = createRng(TAIL_SEED, 3);
  const W = () => capitalise(rng.pick(WORD_LIST));
  const patterns: Array<() => { name: string; source: string; arch: string; vendor: string }> = [
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `python3-${w}`, source: `python-${w}`, arch: "noarch", vendor: "" };
    },
    () => {
      const [a, b] = [W(), W()];
      return { name: `perl-${a}-${b}`, source: `perl-${a}-${b}`, arch: "noarch", vendor: "" };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `lib${w}`, source: `lib${w}`, arch: "x86_64", vendor: "" };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `${w}-libs`, source: w, arch: "x86_64", vendor: "" };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `${w}-devel`, source: w, arch: "x86_64", vendor: "" };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `rubygem-${w}`, source: `rubygem-${w}`, arch: "noarch", vendor: "" };
    },
    () => {
      const w = rng.pick(WORD_LIST);
      return { name: `texlive-${w}`, source: "texlive", arch: "noarch", vendor: "" };
    },
    () => {
      const w = `${rng.pick(WORD_LIST)}-${rng.pick(WORD_LIST)}`;
      return { name: w, source: w, arch: "x86_64", vendor: "Fedora Project" };
    },
  ];
  const entryAt = (index: number) => {
    while (entries.length <= index) {
      const made = rng.pick(patterns)();
      if (taken.has(made.name)) continue;
      taken.add(made.name);
      const version = `${rng.int(0, 9)}.${rng.int(0, 30)}${rng.chance(0.7) ? `.${rng.int(0, 15)}` : ""}`;
      const release = made.vendor === "Fedora Project" ? `${rng.int(1, 9)}.el9` : rng.pick([`${rng.int(1, 20)}.el9`, `${rng.int(1, 20)}.el9_${rng.int(0, 3)}`]);
      entries.push(rpmEntry({ index: entries.length, ...made, version, release, epoch: rng.chance(0.1) ? String(rng.int(1, 3)) : "" }));
    }
    return entries[index];
  };
  return { entryAt, size: () => entries.length, fixtureCount, realCount };
}

// ------------------------------------------------------------------------------------------------ Windows

function programsEntry(fields: { index: number; name: string; publisher: string; version: string; msi: boolean; folder: string; fixture?: Record<string, string> }): Entry {
  const { index, name, publisher, version, msi, folder, fixture } = fields;
  const h = mix(TAIL_SEED, 4, index);
  const pinned = name === "osquery";
  const upgradeCode = msi ? guid(h, 1) : "";
  const fixtureDate = (step: number) => fixture !== undefined && step === 0;
  return {
    name,
    pinned,
    hostFree: !pinned,
    fixed: (step, host) => {
      const v = pinned ? host.osqueryVersion : bumpVersion(version, step);
      // Display names that carry the version ("7-Zip 23.01 (x64)") change with it, as on real machines.
      const displayName = version && step > 0 ? name.split(version).join(v) : name;
      const location = folder ? `C:\\Program Files\\${folder}\\` : "";
      const installDate = fixtureDate(step) ? fixture!["install_date"]! : "";
      const productCode = msi ? guid(h, 2 + step) : "";
      if (name === "") {
        // A registry key without DisplayName (the fixture has one): everything but the date is empty.
        return { name: "", version: "", install_location: "", install_source: "", language: "", publisher: "", uninstall_string: "", install_date: installDate, identifying_number: "", package_family_name: "", upgrade_code: "" };
      }
      return {
        name: displayName,
        version: v,
        install_location: location,
        install_source: msi ? `C:\\ProgramData\\Package Cache\\${productCode}v${v}\\` : "",
        language: msi ? "1033" : "",
        publisher,
        uninstall_string: msi ? `MsiExec.exe /X${productCode}` : location ? `"${location}uninstall.exe"` : "",
        install_date: installDate,
        identifying_number: productCode,
        package_family_name: "",
        upgrade_code: upgradeCode,
      };
    },
    own: (step, host, row) => {
      if (fixtureDate(step)) return;
      row["install_date"] = mix(host.salt, index, step) % 6 === 0 ? "" : yyyymmdd(EPOCH_2024_04 - (mix(host.salt, index, step, 1) % (400 * 86_400)));
    },
  };
}

// How each fixture program was installed (the fixture only has name, version, publisher and date).
const FIXTURE_INSTALLERS: Array<[prefix: string, msi: boolean, folder: string]> = [
  ["7-Zip", false, "7-Zip"],
  ["Adobe Acrobat", true, "Adobe\\Acrobat DC"],
  ["Git", false, "Git"],
  ["Google Chrome", true, "Google\\Chrome\\Application"],
  ["Microsoft 365", false, "Microsoft Office"],
  ["Microsoft Edge WebView2", false, ""],
  ["Microsoft Edge", false, ""],
  ["Microsoft OneDrive", false, ""],
  ["Microsoft Update Health Tools", true, "Microsoft Update Health Tools"],
  ["Microsoft Visual C++ 2015", false, ""],
  ["Microsoft Visual C++", true, ""],
  ["Microsoft Visual Studio Code", false, "Microsoft VS Code"],
  ["Mozilla Firefox", false, "Mozilla Firefox"],
  ["Mozilla Maintenance", false, ""],
  ["Notepad++", false, "Notepad++"],
  ["osquery", true, "osquery"],
  ["Python Launcher", true, ""],
  ["Python", false, ""],
  ["Windows PC Health Check", true, "PCHealthCheck"],
  ["Zoom", true, "Zoom\\bin"],
];

function windowsCatalog(): Built {
  const entries: Entry[] = readFixture("windows11_programs.json").map((row, index) => {
    const [, msi, folder] = FIXTURE_INSTALLERS.find(([prefix]) => row["name"]!.startsWith(prefix)) ?? ["", false, ""];
    return programsEntry({ index, name: row["name"]!, publisher: row["publisher"]!, version: row["version"]!, msi, folder, fixture: row });
  });
  const fixtureCount = entries.length;
  const taken = new Set(entries.map((e) => e.name));
  for (const line of lines(WINDOWS_PROGRAMS)) {
    const [rawName, publisher, version, installer, folder] = line.split("|") as [string, string, string, string, string];
    const name = rawName.replace("&#124;", "|");
    if (taken.has(name)) continue;
    taken.add(name);
    entries.push(programsEntry({ index: entries.length, name, publisher, version, msi: installer === "msi", folder }));
  }
  const realCount = entries.length;
  const rng = createRng(TAIL_SEED, 4);
  const entryAt = (index: number) => {
    while (entries.length <= index) {
      const vendor = rng.pick(VENDOR_LIST);
      const product = `${capitalise(rng.pick(WORD_LIST))} ${rng.pick(NOUN_LIST)}`;
      const version = rng.chance(0.5) ? `${rng.int(1, 24)}.${rng.int(0, 12)}.${rng.int(0, 9999)}` : `${rng.int(1, 9)}.${rng.int(0, 9)}.${rng.int(0, 99)}.${rng.int(0, 9999)}`;
      const suffix = rng.pick(["", "", " (x64)", " (64-bit)", ` ${version}`]);
      const name = `${vendor} ${product}${suffix}`;
      if (taken.has(name)) continue;
      taken.add(name);
      entries.push(programsEntry({ index: entries.length, name, publisher: rng.chance(0.8) ? vendor : `${vendor} Ltd.`, version, msi: rng.chance(0.5), folder: `${vendor}\\${product}` }));
    }
    return entries[index];
  };
  return { entryAt, size: () => entries.length, fixtureCount, realCount };
}

// ------------------------------------------------------------------------------------------------ factory

export function createCatalog(platform: Platform): Catalog {
  const { entryAt, size, fixtureCount, realCount } = platform === "darwin" ? macCatalog() : platform === "ubuntu" ? debCatalog() : platform === "rhel" ? rpmCatalog() : windowsCatalog();
  const entry = (index: number) => {
    const found = entryAt(index);
    if (!found) throw new RangeError(`catalog entry ${index}`);
    return found;
  };
  // The host-independent part of each (entry, version step), built once for every host of the fleet: hosts
  // start at steps 0-3 and churn moves a few entries one step at a time, so steps past CACHED_STEPS are
  // rare and built each time instead of kept.
  const fixedRows: Array<Array<Readonly<Record<string, string>>> | undefined> = [];
  const fixedOf = (index: number, found: Entry, step: number, host: HostSalt): Readonly<Record<string, string>> => {
    if (!found.hostFree || step >= CACHED_STEPS || step < 0) return found.fixed(step, host);
    const steps = (fixedRows[index] ??= []);
    return (steps[step] ??= Object.freeze(found.fixed(step, host)));
  };
  // Each entry's place in the listing order (equal keys share a rank), compared as numbers rather than
  // strings; recomputed when the catalog has grown since.
  let ranks = new Int32Array(0);
  const listRanks = (): Int32Array => {
    if (ranks.length === size()) return ranks;
    const count = size();
    const keys = Array.from({ length: count }, (_, i) => entryAt(i)!.listKey ?? "");
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    ranks = new Int32Array(count);
    let rank = 0;
    order.forEach((index, i) => {
      if (i > 0 && keys[index] !== keys[order[i - 1]!]) rank++;
      ranks[index] = rank;
    });
    return ranks;
  };
  return {
    platform,
    table: softwareTableOf(platform),
    fixtureCount,
    realCount,
    row: (index, step, host) => {
      const found = entry(index);
      const fixed = fixedOf(index, found, step, host);
      if (!found.own) return fixed;
      const row = { ...fixed };
      found.own(step, host, row);
      return row;
    },
    nameOf: (index) => entry(index).name,
    listOrder: (entries) => {
      if (platform !== "ubuntu" && platform !== "darwin") return [...entries];
      // The tail is generated on demand: make every entry asked about exist before ranking.
      let last = -1;
      for (const index of entries) last = Math.max(last, index);
      if (last >= 0) entry(last);
      const ranks = listRanks();
      // Array.prototype.sort is stable: entries of equal rank keep the order given.
      return [...entries].sort((a, b) => ranks[a]! - ranks[b]!);
    },
    isPinned: (index) => entry(index).pinned,
  };
}
