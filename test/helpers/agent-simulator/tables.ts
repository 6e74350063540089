/**
 * Column specs of the tables a simulated host has, from osquery's specs/*.table (HEAD a5b14f63):
 * names in spec order, SQLite types, the nocase collation, and hidden columns (which `SELECT *` leaves out
 * but a named SELECT may read).
 */

export type Platform = "darwin" | "ubuntu" | "rhel" | "windows";
export const PLATFORMS: readonly Platform[] = ["darwin", "ubuntu", "rhel", "windows"];

export type ColumnType = "TEXT" | "INTEGER" | "BIGINT" | "DOUBLE";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  hidden?: boolean;
  nocase?: boolean;
}

export type SoftwareTable = "apps" | "deb_packages" | "rpm_packages" | "programs";

const text = (name: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type: "TEXT", ...extra });
const int = (name: string, extra: Partial<ColumnSpec> = {}): ColumnSpec => ({ name, type: "INTEGER", ...extra });
const bigint = (name: string): ColumnSpec => ({ name, type: "BIGINT" });
const double = (name: string): ColumnSpec => ({ name, type: "DOUBLE" });

const linuxNamespaceColumns = [int("pid_with_namespace", { hidden: true }), text("mount_namespace_id", { hidden: true })];

const osVersionBase = [
  text("name"),
  text("version"),
  int("major"),
  int("minor"),
  int("patch"),
  text("build"),
  text("platform"),
  text("platform_like"),
  text("codename"),
  text("arch"),
];

const systemInfoBase = [
  text("hostname"),
  text("uuid", { nocase: true }),
  text("cpu_type"),
  text("cpu_subtype"),
  text("cpu_brand"),
  int("cpu_physical_cores"),
  int("cpu_logical_cores"),
  int("cpu_sockets"),
  text("cpu_microcode"),
  bigint("physical_memory"),
  text("hardware_vendor"),
  text("hardware_model"),
  text("hardware_version"),
  text("hardware_serial"),
  text("board_vendor"),
  text("board_model"),
  text("board_version"),
  text("board_serial"),
  text("computer_name"),
  text("local_hostname"),
];

const platformInfoBase = [text("vendor"), text("version"), text("date"), text("revision"), text("extra"), text("firmware_type")];
const platformInfoPosix = [text("address"), text("size"), int("volume_size")];

const osqueryInfo = [
  int("pid"),
  text("uuid", { nocase: true }),
  text("instance_id"),
  text("version"),
  text("config_hash", { nocase: true }),
  int("config_valid"),
  text("extensions"),
  text("build_platform"),
  text("build_distro"),
  int("start_time"),
  int("watcher"),
  int("platform_mask"),
];

const time = [
  text("weekday"),
  int("year"),
  int("month"),
  int("day"),
  int("hour"),
  int("minutes"),
  int("seconds"),
  text("timezone"),
  text("local_timezone"),
  int("unix_time"),
  text("timestamp"),
  text("datetime"),
  text("iso_8601"),
];

const osqueryRegistry = [text("registry"), text("name"), int("owner_uuid"), int("internal"), int("active")];

const apps = [
  text("name"),
  text("path"),
  text("bundle_executable"),
  text("bundle_identifier", { nocase: true }),
  text("bundle_name"),
  text("bundle_short_version"),
  text("bundle_version"),
  text("bundle_package_type"),
  text("environment"),
  text("element"),
  text("compiler"),
  text("development_region"),
  text("display_name"),
  text("info_string"),
  text("minimum_system_version"),
  text("category"),
  text("applescript_enabled"),
  text("copyright"),
  double("last_opened_time"),
];

const debPackages = [
  text("name"),
  text("version"),
  text("source"),
  bigint("size"),
  text("arch"),
  text("revision"),
  text("status"),
  text("maintainer"),
  text("section"),
  text("priority"),
  text("admindir"),
  ...linuxNamespaceColumns,
];

const rpmPackages = [
  text("name"),
  text("version"),
  text("release"),
  text("source"),
  bigint("size"),
  text("sha1", { nocase: true }),
  text("arch"),
  int("epoch"),
  int("install_time"),
  text("vendor"),
  text("package_group"),
  ...linuxNamespaceColumns,
];

const programs = [
  text("name"),
  text("version"),
  text("install_location"),
  text("install_source"),
  text("language"),
  text("publisher"),
  text("uninstall_string"),
  text("install_date"),
  text("identifying_number"),
  text("package_family_name"),
  text("upgrade_code"),
];

export function tableSpecs(platform: Platform): Map<string, ColumnSpec[]> {
  const linux = platform === "ubuntu" || platform === "rhel";
  const specs = new Map<string, ColumnSpec[]>([
    [
      "os_version",
      platform === "darwin"
        ? [...osVersionBase, text("extra")]
        : platform === "windows"
          ? [...osVersionBase, bigint("install_date"), int("revision")]
          : [...osVersionBase, ...linuxNamespaceColumns],
    ],
    ["osquery_info", osqueryInfo],
    ["system_info", platform === "windows" ? [...systemInfoBase, text("emulated_cpu_type")] : systemInfoBase],
    ["platform_info", platform === "windows" ? platformInfoBase : [...platformInfoBase, ...platformInfoPosix]],
    ["osquery_registry", osqueryRegistry],
    ["time", platform === "windows" ? [...time, bigint("win_timestamp")] : time],
  ]);
  if (platform === "darwin") specs.set("apps", apps);
  if (linux) {
    specs.set("deb_packages", debPackages);
    specs.set("rpm_packages", rpmPackages);
  }
  if (platform === "windows") specs.set("programs", programs);
  return specs;
}

/** The table whose rows the simulator generates and churns: the platform's package database. */
export function softwareTableOf(platform: Platform): SoftwareTable {
  return platform === "darwin" ? "apps" : platform === "ubuntu" ? "deb_packages" : platform === "rhel" ? "rpm_packages" : "programs";
}

/** Every software table osquery has on that platform (Linux builds have both package tables). */
export function softwareTablesOf(platform: Platform): SoftwareTable[] {
  if (platform === "darwin") return ["apps"];
  if (platform === "windows") return ["programs"];
  return ["deb_packages", "rpm_packages"];
}

/** Table aliases (specs: `table_name("programs", aliases=["programs_and_features"])`). */
export const TABLE_ALIASES: Readonly<Record<string, string>> = { programs_and_features: "programs" };
