import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createCatalog, type Catalog, type HostSalt } from "./catalog.js";
import { asciiTime } from "./log-lines.js";
import { createRng, mix, type Rng } from "./random.js";
import { runSql, type SqlResult, type SqlTables } from "./sql.js";
import { softwareTableOf, tableSpecs, TABLE_ALIASES, type ColumnSpec, type Platform, type SoftwareTable } from "./tables.js";

/** Fractions of the installed software changed each time the server reads the software table again. */
export interface ChurnRates {
  upgraded: number;
  added: number;
  removed: number;
}

export interface HostOptions {
  platform: Platform;
  /** Fleet seed: the same seed and index give the same host, inventory and churn. */
  seed: number;
  /** Position in the fleet; hostnames, UUIDs and serials are unique per (seed, index). */
  index: number;
  /**
   * Rows in the platform's software table.
   * @default darwin 200, ubuntu 1500, rhel 1000, windows 250
   */
  softwareCount?: number;
  /**
   * Churn per re-read of the software table. A number f means 50 % of f upgraded, 25 % added, 25 % removed.
   * @default 0.02
   */
  churn?: number | ChurnRates;
  /** @default "5.23.1" */
  osqueryVersion?: string;
  /** Share one catalog between the hosts of a fleet (it is the bulk of the memory). */
  catalog?: Catalog;
  /**
   * Windows hosts whose SMBIOS reports the all-zero UUID (common on VMs): system_info.uuid is zeros and
   * osquery falls back to a random UUID of its own. Default: 1 Windows host in 10, chosen by the seed.
   */
  zeroSmbiosUuid?: boolean;
  /** The host's clock (the `time` table), unix milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Share of Debian packages removed but not purged (`deinstall ok config-files`), as dpkg keeps them.
   * @default 0.01
   */
  debConfigFilesFraction?: number;
}

export interface ChurnReport {
  refresh: number;
  upgraded: string[];
  added: string[];
  removed: string[];
}

export interface SimulatedHost {
  readonly platform: Platform;
  readonly index: number;
  readonly softwareTable: SoftwareTable;
  readonly hostname: string;
  /** system_info.uuid (hardware, from SMBIOS; zeros on some Windows VMs). */
  readonly hardwareUuid: string;
  /** osquery_info.uuid: what `--host_identifier=uuid` sends. */
  readonly osqueryUuid: string;
  readonly instanceId: string;
  readonly serial: string;
  readonly osqueryVersion: string;
  /** Tables as the SQL evaluator sees them (a software read here counts for churn). */
  readonly tables: SqlTables;
  /** Runs SQL against the host; a read of the software table in a new batch may churn first. */
  query(sql: string): SqlResult;
  /** What `query` would answer now, without counting as a read (so without churn): the expected rows
   * for the server's own statements. */
  peek(sql: string): SqlResult;
  /** Starts a new read batch (one distributed cycle, one scheduled query run). */
  beginBatch(): void;
  /** Rows `SELECT * FROM <table>` returns right now, without counting as a read. */
  truthOf(table: string): Array<Record<string, string>>;
  /** Every table's current rows: os_version, osquery_info, system_info, platform_info and the software table. */
  truth(): Record<string, Array<Record<string, string>>>;
  /** Applies one churn step now (what a re-read does). */
  churn(): ChurnReport;
  /** How many times the software table has been read in distinct batches. */
  readonly softwareReads: number;
  /** Churn steps applied so far, most recent last. */
  readonly churnHistory: readonly ChurnReport[];
  /** osquery_info after a config loads: config_valid 1 and a hash of the config. */
  setConfig(configText: string | undefined): void;
  /** osquery_info.start_time and pid, set when the agent (re)starts. */
  markStarted(unixSeconds: number): void;
  /** The clock of the `time` table (an agent hands the host its own). */
  setClock(now: () => number): void;
}

const FIXTURES = new URL("../../fixtures/osquery/", import.meta.url);
const fixtureRow = (name: string) => (JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Array<Record<string, string>>)[0]!;

const PLATFORM_CODES: Record<Platform, number> = { darwin: 1, ubuntu: 2, rhel: 3, windows: 4 };
const DEFAULT_COUNTS: Record<Platform, number> = { darwin: 200, ubuntu: 1500, rhel: 1000, windows: 250 };
const USERS = ["anna", "ben", "chloe", "david", "emma", "farid", "grace", "hugo", "ines", "jdoe", "kenji", "lena", "mateo", "nora", "omar", "priya", "quinn", "rosa", "sven", "tara", "uma", "victor", "wei", "yara", "zoe"];

export function churnRates(churn: number | ChurnRates | undefined): ChurnRates {
  if (churn === undefined) return churnRates(0.02);
  if (typeof churn === "number") return { upgraded: churn * 0.5, added: churn * 0.25, removed: churn * 0.25 };
  return churn;
}

/** Rounds `count * fraction` up or down by chance, so small hosts still churn on average. */
function howMany(rng: Rng, count: number, fraction: number): number {
  const exact = count * fraction;
  const whole = Math.floor(exact);
  return whole + (rng.chance(exact - whole) ? 1 : 0);
}

interface Hardware {
  osVersion: Record<string, string>;
  systemInfo: Record<string, string>;
  platformInfo: Record<string, string>;
}

function macHardware(rng: Rng, hostname: string, computerName: string, uuid: string, serial: string): Hardware {
  const osVersion = fixtureRow("os_version_macos14.json");
  // Some Macs are Intel ones, with the NUL-padded cpu_brand and the space-padded firmware strings osquery
  // really reports for them (test vector V6).
  if (rng.chance(0.2)) {
    return {
      osVersion: { ...osVersion, arch: "x86_64" },
      systemInfo: {
        hostname,
        uuid,
        cpu_type: "x86_64h",
        cpu_subtype: "Intel x86-64h Haswell",
        cpu_brand: "Intel(R) Core(TM) i7-4770HQ CPU @ 2.20GHz\u0000\u0000\u0000\u0000\u0000\u0000\u0000",
        cpu_physical_cores: "4",
        cpu_logical_cores: "8",
        cpu_sockets: "",
        cpu_microcode: "",
        physical_memory: "17179869184",
        hardware_vendor: "Apple Inc.",
        hardware_model: "MacBookPro11,4",
        hardware_version: "1.0",
        hardware_serial: serial,
        board_vendor: "",
        board_model: "",
        board_version: "",
        board_serial: "",
        computer_name: computerName,
        local_hostname: computerName,
      },
      platformInfo: {
        vendor: "Apple Inc. ",
        version: "196.0.0.0.0 ",
        date: "12/16/2019 ",
        revision: "196 (B&I)",
        extra: "MBP114; 196.0.0.0.0; root; BuildRecord; Mon Dec 16 20:17:53 2019",
        firmware_type: "efi",
        address: "0xff990000",
        size: "8388608",
        volume_size: "1507328",
      },
    };
  }
  const [model, brand, cores, memory] = rng.pick([
    ["Mac14,9", "Apple M2 Pro", "12", "34359738368"],
    ["Mac15,3", "Apple M3", "8", "17179869184"],
    ["MacBookPro18,3", "Apple M1 Pro", "10", "17179869184"],
    ["MacBookAir10,1", "Apple M1", "8", "8589934592"],
    ["Mac14,2", "Apple M2", "8", "17179869184"],
  ] as const);
  return {
    osVersion,
    systemInfo: {
      hostname,
      uuid,
      cpu_type: "arm64e",
      cpu_subtype: "ARM64E",
      cpu_brand: brand,
      cpu_physical_cores: cores,
      cpu_logical_cores: cores,
      cpu_sockets: "",
      cpu_microcode: "",
      physical_memory: memory,
      hardware_vendor: "Apple Inc.",
      hardware_model: model,
      hardware_version: "",
      hardware_serial: serial,
      board_vendor: "",
      board_model: "",
      board_version: "",
      board_serial: "",
      computer_name: computerName,
      local_hostname: computerName,
    },
    platformInfo: { vendor: "Apple Inc.", version: "10151.101.3", date: "", revision: "", extra: "", firmware_type: "iboot", address: "", size: "", volume_size: "" },
  };
}

function linuxHardware(rng: Rng, platform: "ubuntu" | "rhel", hostname: string, uuid: string, serial: string): Hardware {
  const osVersion =
    platform === "ubuntu"
      ? { ...fixtureRow("os_version_ubuntu2204.json"), pid_with_namespace: "0" }
      : {
          name: "Red Hat Enterprise Linux",
          version: "9.3 (Plow)",
          major: "9",
          minor: "3",
          patch: "0",
          build: "",
          platform: "rhel",
          platform_like: "fedora",
          codename: "",
          arch: "x86_64",
          pid_with_namespace: "0",
        };
  const [vendor, model, version, brand, cores, biosVendor] = rng.pick([
    ["Amazon EC2", "m5.xlarge", "", "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "2", "Amazon EC2"],
    ["Dell Inc.", "PowerEdge R640", "", "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", "20", "Dell Inc."],
    ["VMware, Inc.", "VMware7,1", "None", "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "4", "VMware, Inc."],
    ["LENOVO", "20XW0026US", "ThinkPad X1 Carbon Gen 9", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", "4", "LENOVO"],
  ] as const);
  const logical = String(Number(cores) * 2);
  return {
    osVersion,
    systemInfo: {
      hostname,
      uuid,
      cpu_type: "x86_64",
      cpu_subtype: "85",
      cpu_brand: brand,
      cpu_physical_cores: cores,
      cpu_logical_cores: logical,
      cpu_sockets: "1",
      cpu_microcode: `0x${rng.hex(7)}`,
      physical_memory: String(rng.pick([8, 16, 32, 64]) * 1024 * 1024 * 1024),
      hardware_vendor: vendor,
      hardware_model: model,
      hardware_version: version,
      hardware_serial: serial,
      board_vendor: biosVendor,
      board_model: "",
      board_version: "",
      board_serial: vendor === "LENOVO" ? `L1HF${rng.alnum(8)}` : "",
      computer_name: hostname,
      local_hostname: hostname,
    },
    platformInfo: {
      vendor: biosVendor,
      version: vendor === "Amazon EC2" ? "1.0" : vendor === "Dell Inc." ? "2.19.1" : vendor === "LENOVO" ? "N32ET86W (1.62 )" : "VMW71.00V.21100432.B64.2301110304",
      date: vendor === "Amazon EC2" ? "10/16/2017" : "08/24/2023",
      revision: vendor === "Amazon EC2" ? "1.0" : "2.19",
      extra: "",
      firmware_type: vendor === "Amazon EC2" ? "bios" : "uefi",
      address: "0xe8000",
      size: "96 kB",
      volume_size: "0",
    },
  };
}

function windowsHardware(rng: Rng, hostname: string, uuid: string, serial: string): Hardware {
  const [vendor, model, version, brand, cores, logical, bios] = rng.pick([
    ["LENOVO", "21HD0036US", "ThinkPad T14 Gen 4", "13th Gen Intel(R) Core(TM) i7-1365U", "10", "12", "R2FET51W (1.31 )"],
    ["Dell Inc.", "Latitude 7440", "", "13th Gen Intel(R) Core(TM) i5-1345U", "10", "12", "1.12.0"],
    ["HP", "HP EliteBook 840 G10 Notebook PC", "", "13th Gen Intel(R) Core(TM) i7-1355U", "10", "12", "V70 Ver. 01.05.02"],
    ["Microsoft Corporation", "Virtual Machine", "Hyper-V UEFI Release v4.1", "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz", "4", "8", "Hyper-V UEFI Release v4.1"],
  ] as const);
  return {
    osVersion: fixtureRow("os_version_windows11.json"),
    systemInfo: {
      hostname,
      uuid,
      cpu_type: "x86_64",
      cpu_subtype: "-1",
      cpu_brand: brand,
      cpu_physical_cores: cores,
      cpu_logical_cores: logical,
      cpu_sockets: "1",
      cpu_microcode: "",
      physical_memory: String(rng.pick([16, 32]) * 1024 * 1024 * 1024),
      hardware_vendor: vendor,
      hardware_model: model,
      hardware_version: version,
      hardware_serial: serial,
      board_vendor: vendor,
      board_model: model,
      board_version: "",
      board_serial: vendor === "LENOVO" ? `L1HF${rng.alnum(8)}` : "",
      computer_name: hostname,
      local_hostname: hostname,
      emulated_cpu_type: "",
    },
    platformInfo: { vendor, version: bios, date: "11/22/2023", revision: "1.31", extra: "", firmware_type: "uefi" },
  };
}

/** osquery's genTime (osquery/tables/utility/time.cpp), in UTC. */
function timeRow(ms: number): Record<string, string> {
  const d = new Date(ms);
  const unix = Math.floor(ms / 1000);
  const iso = `${d.toISOString().slice(0, 19)}Z`;
  return {
    weekday: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"][d.getUTCDay()]!,
    year: String(d.getUTCFullYear()),
    month: String(d.getUTCMonth() + 1),
    day: String(d.getUTCDate()),
    hour: String(d.getUTCHours()),
    minutes: String(d.getUTCMinutes()),
    seconds: String(d.getUTCSeconds()),
    timezone: "UTC",
    local_timezone: "UTC",
    unix_time: String(unix),
    timestamp: asciiTime(unix),
    datetime: iso,
    iso_8601: iso,
    win_timestamp: String(BigInt(unix) * 10_000_000n + 116_444_736_000_000_000n),
  };
}

const BUILD: Record<Platform, { platform: string; distro: string; mask: string }> = {
  darwin: { platform: "darwin", distro: "10.14", mask: "21" },
  ubuntu: { platform: "linux", distro: "centos7", mask: "9" },
  rhel: { platform: "linux", distro: "centos7", mask: "9" },
  windows: { platform: "windows", distro: "10", mask: "2" },
};

export function createSimulatedHost(options: HostOptions): SimulatedHost {
  const { platform, seed, index } = options;
  const catalog = options.catalog ?? createCatalog(platform);
  if (catalog.platform !== platform) throw new Error(`catalog is for ${catalog.platform}, host is ${platform}`);
  const osqueryVersion = options.osqueryVersion ?? "5.23.1";
  const rates = churnRates(options.churn);
  const count = options.softwareCount ?? DEFAULT_COUNTS[platform];
  const rng = createRng(seed, index, 1, PLATFORM_CODES[platform]);
  const user = rng.pick(USERS);
  const hostTag = `${index.toString(36)}${rng.alnum(6).toLowerCase()}`;

  // Identity: unique per (seed, index) because the index is part of every name.
  const upperUuid = rng.uuid().toUpperCase();
  let hostname: string;
  let computerName = "";
  let serial: string;
  if (platform === "darwin") {
    computerName = `${user}-mbp-${hostTag}`;
    hostname = `${computerName}.local`;
    serial = `C02${rng.alnum(3)}${index.toString(36).toUpperCase().padStart(6, "0")}`.slice(0, 12);
  } else if (platform === "windows") {
    hostname = `${rng.pick(["DESKTOP", "LAPTOP"])}-${index.toString(36).toUpperCase().padStart(3, "0")}${rng.alnum(4)}`;
    serial = `PF${rng.alnum(2)}${index.toString(36).toUpperCase().padStart(4, "0")}`;
  } else {
    hostname = `${platform === "ubuntu" ? "ubuntu" : "rhel9"}-${rng.pick(["web", "app", "build", "db", "worker"])}-${hostTag}`;
    serial = rng.chance(0.5) ? `ec2${rng.hex(13)}` : rng.alnum(7);
  }
  const zeroSmbios = platform === "windows" && (options.zeroSmbiosUuid ?? mix(seed, index, 7) % 10 === 0);
  const hardwareUuid = zeroSmbios ? "00000000-0000-0000-0000-000000000000" : upperUuid;
  // osquery_info.uuid: gethostuuid (upper case) on macOS, /sys/class/dmi/id/product_uuid (lower case) on
  // Linux, WMI on Windows; a placeholder UUID is refused and replaced by a random lower-case one.
  const osqueryUuid = zeroSmbios ? rng.uuid() : platform === "ubuntu" || platform === "rhel" ? upperUuid.toLowerCase() : upperUuid;
  const instanceId = rng.uuid();

  const hardware =
    platform === "darwin"
      ? macHardware(rng, hostname, computerName, hardwareUuid, serial)
      : platform === "windows"
        ? windowsHardware(rng, hostname, hardwareUuid, serial)
        : linuxHardware(rng, platform, hostname, hardwareUuid, serial);

  const osqueryInfo: Record<string, string> = {
    pid: String(rng.int(300, 60_000)),
    uuid: osqueryUuid,
    instance_id: instanceId,
    version: osqueryVersion,
    config_hash: "",
    config_valid: "0",
    extensions: "active",
    build_platform: BUILD[platform].platform,
    build_distro: BUILD[platform].distro,
    start_time: "0",
    watcher: "0",
    platform_mask: BUILD[platform].mask,
  };
  osqueryInfo["watcher"] = String(Number(osqueryInfo["pid"]) - rng.int(1, 30));

  // ---- the software inventory: catalog indices and version steps
  const salt: HostSalt = { salt: mix(seed, index, 2, PLATFORM_CODES[platform]), user, osqueryVersion };
  const tailSpan = Math.max(2000, count * 4);
  const installed: number[] = [];
  const steps = new Map<number, number>();
  const inventoryRng = createRng(seed, index, 3, PLATFORM_CODES[platform]);
  const install = (entry: number, step: number) => {
    installed.push(entry);
    steps.set(entry, step);
  };
  for (let i = 0; i < Math.min(catalog.fixtureCount, count); i++) install(i, catalog.isPinned(i) ? 0 : inventoryRng.int(0, 2));
  const real = inventoryRng.shuffle(Array.from({ length: catalog.realCount - catalog.fixtureCount }, (_, i) => catalog.fixtureCount + i));
  for (const entry of real) {
    if (installed.length >= count) break;
    if (inventoryRng.chance(0.6)) install(entry, inventoryRng.int(0, 3));
  }
  const pickTail = (): number => {
    for (;;) {
      const entry = catalog.realCount + inventoryRng.int(0, tailSpan - 1);
      if (!steps.has(entry)) return entry;
    }
  };
  while (installed.length < count) install(pickTail(), inventoryRng.int(0, 3));

  const debConfigFiles = options.debConfigFilesFraction ?? 0.01;
  const specs = tableSpecs(platform);
  const softwareTable = softwareTableOf(platform);
  // Rows are rebuilt for every query rather than kept: a fleet of thousands of hosts cannot hold them all.
  let caching = false;
  let softwareRowsCache: Array<Readonly<Record<string, string>>> | undefined;
  const withRowCache = <T>(run: () => T): T => {
    caching = true;
    try {
      return run();
    } finally {
      caching = false;
      softwareRowsCache = undefined;
    }
  };
  const softwareRows = (): Array<Readonly<Record<string, string>>> => {
    if (softwareRowsCache) return softwareRowsCache;
    // dpkg lists packages by name and the apps table walks paths in order; the others keep install order.
    const rows = catalog.listOrder(installed).map((entry) => {
      const row = catalog.row(entry, steps.get(entry)!, salt);
      if (platform === "ubuntu" && mix(salt.salt, entry, 9) % 10_000 < debConfigFiles * 10_000 && !catalog.isPinned(entry)) {
        // Catalog rows are shared between hosts: this host's differs, so it gets a copy.
        return { ...row, status: "deinstall ok config-files" };
      }
      return row;
    });
    if (caching) softwareRowsCache = rows;
    return rows;
  };

  const registryRows = (): Array<Record<string, string>> => [
    ...[...specs.keys()].sort().map((name) => ({ registry: "table", name, owner_uuid: "0", internal: "0", active: "1" })),
    { registry: "config", name: "filesystem", owner_uuid: "0", internal: "0", active: "0" },
    { registry: "config", name: "tls", owner_uuid: "0", internal: "0", active: "1" },
    { registry: "distributed", name: "tls", owner_uuid: "0", internal: "0", active: "1" },
    { registry: "enroll", name: "tls", owner_uuid: "0", internal: "1", active: "1" },
    { registry: "logger", name: "filesystem", owner_uuid: "0", internal: "0", active: "0" },
    { registry: "logger", name: "tls", owner_uuid: "0", internal: "0", active: "1" },
  ];

  let clock = options.now ?? Date.now;
  let batch = 0;
  let lastSoftwareBatch = -1;
  let softwareReads = 0;
  const churnHistory: ChurnReport[] = [];

  const rowsOf = (table: string, countRead: boolean): Array<Readonly<Record<string, string>>> => {
    switch (table) {
      case "os_version":
        return [hardware.osVersion];
      case "osquery_info":
        return [osqueryInfo];
      case "system_info":
        return [hardware.systemInfo];
      case "platform_info":
        return [hardware.platformInfo];
      case "osquery_registry":
        return registryRows();
      case "time":
        return [timeRow(clock())];
      case softwareTable:
        if (countRead && lastSoftwareBatch !== batch) {
          if (softwareReads > 0) host.churn();
          lastSoftwareBatch = batch;
          softwareReads++;
        }
        return softwareRows();
      default:
        // The other Linux package table: present in osquery, empty without its package database.
        return [];
    }
  };

  const tablesFor = (countRead: boolean): SqlTables => ({
    columns: (table) => specs.get(TABLE_ALIASES[table.toLowerCase()] ?? table.toLowerCase()),
    rows: (table) => rowsOf(TABLE_ALIASES[table.toLowerCase()] ?? table.toLowerCase(), countRead),
  });
  const tables = tablesFor(true);
  const quiet = tablesFor(false);

  const host: SimulatedHost = {
    platform,
    index,
    softwareTable,
    hostname,
    hardwareUuid,
    osqueryUuid,
    instanceId,
    serial,
    osqueryVersion,
    tables,
    query: (sql) => withRowCache(() => runSql(sql, tables)),
    peek: (sql) => withRowCache(() => runSql(sql, quiet)),
    beginBatch: () => {
      batch++;
    },
    truthOf: (table) => {
      const result = withRowCache(() => runSql(`SELECT * FROM ${table}`, quiet));
      if (!result.ok) throw new Error(result.message);
      return result.rows.map((row) => Object.fromEntries(result.columns.map((c) => [c, row.get(c)!])));
    },
    truth: () => Object.fromEntries(["os_version", "osquery_info", "system_info", "platform_info", softwareTable].map((t) => [t, host.truthOf(t)])),
    churn: () => {
      const refresh = churnHistory.length + 1;
      const churnRng = createRng(seed, index, 4, PLATFORM_CODES[platform], refresh);
      const report: ChurnReport = { refresh, upgraded: [], added: [], removed: [] };
      const size = installed.length;
      const movable = () => installed.filter((entry) => !catalog.isPinned(entry));
      for (const entry of churnRng.shuffle(movable()).slice(0, howMany(churnRng, size, rates.upgraded))) {
        steps.set(entry, steps.get(entry)! + 1);
        report.upgraded.push(catalog.nameOf(entry));
      }
      const toRemove = new Set(churnRng.shuffle(movable()).slice(0, howMany(churnRng, size, rates.removed)));
      for (const entry of toRemove) {
        steps.delete(entry);
        report.removed.push(catalog.nameOf(entry));
      }
      if (toRemove.size > 0) {
        const kept = installed.filter((entry) => !toRemove.has(entry));
        installed.length = 0;
        installed.push(...kept);
      }
      const adds = howMany(churnRng, size, rates.added);
      for (let i = 0; i < adds; i++) {
        let entry: number;
        do entry = catalog.realCount + churnRng.int(0, tailSpan - 1);
        while (steps.has(entry) || toRemove.has(entry));
        installed.push(entry);
        steps.set(entry, churnRng.int(0, 3));
        report.added.push(catalog.nameOf(entry));
      }
      softwareRowsCache = undefined;
      churnHistory.push(report);
      return report;
    },
    get softwareReads() {
      return softwareReads;
    },
    churnHistory,
    setConfig: (configText) => {
      osqueryInfo["config_valid"] = configText === undefined ? "0" : "1";
      osqueryInfo["config_hash"] = configText === undefined ? "" : createHash("sha1").update(configText).digest("hex");
    },
    markStarted: (unixSeconds) => {
      osqueryInfo["start_time"] = String(unixSeconds);
    },
    setClock: (now) => {
      if (options.now === undefined) clock = now;
    },
  };
  return host;
}

/** Columns `SELECT *` returns for a table on a platform (for tests that build expected rows). */
export function selectStarColumns(platform: Platform, table: string): string[] {
  const spec: ColumnSpec[] | undefined = tableSpecs(platform).get(table);
  if (!spec) throw new Error(`no table ${table} on ${platform}`);
  return spec.filter((c) => !c.hidden).map((c) => c.name);
}
