/** osquery reports every column as a string (numbers, NULL as "", booleans as "1"/"0"), from osqueryi and agents alike. */
export type OsqueryRow = Record<string, string>;

/** One table's answer as osqueryi printed it or an agent sent it. */
export interface OsqueryResult {
  rows: OsqueryRow[];
  /**
   * Indexes of the rows that held bytes that are not UTF-8. They are decoded with U+FFFD in place
   * of each invalid sequence, and this is how a U+FFFD osquery printed is told from one put there.
   */
  invalidUtf8Rows: ReadonlySet<number>;
}

export interface OsVersion {
  name: string;
  version: string;
  platform: string;
  platformLike: string | null;
  build: string | null;
  arch: string | null;
}

export interface SystemInfo {
  hostname: string;
  /** Hardware UUID; null on machines (some VMs, containers) that report none. */
  uuid: string | null;
}

export const SoftwareSource = {
  apps: "apps",
  deb_packages: "deb_packages",
  rpm_packages: "rpm_packages",
  programs: "programs",
} as const;
export type SoftwareSource = (typeof SoftwareSource)[keyof typeof SoftwareSource];

const DEB_LIKE = new Set(["debian", "ubuntu"]);
const RPM_LIKE = new Set(["rhel", "fedora", "centos", "suse", "opensuse", "sles", "amzn", "amazon", "rocky", "almalinux", "ol"]);

/**
 * Picks the installed-software table from what osquery reports about the OS (never from Node's
 * process.platform: the service may collect for a machine other than the one it runs on). The
 * platform is stored as reported; only this choice ignores its case and surrounding spaces.
 */
export function softwareSourceFor(os: Pick<OsVersion, "platform" | "platformLike">): SoftwareSource | null {
  const tokens = `${os.platform} ${os.platformLike ?? ""}`.toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (tokens.includes("darwin")) return SoftwareSource.apps;
  if (tokens.includes("windows")) return SoftwareSource.programs;
  if (tokens.some((t) => DEB_LIKE.has(t))) return SoftwareSource.deb_packages;
  if (tokens.some((t) => RPM_LIKE.has(t) || t.startsWith("opensuse"))) return SoftwareSource.rpm_packages;
  return null;
}

/**
 * How a stored app differs from what osquery reported, where the report could not be stored exactly.
 * Everything else is stored byte for byte.
 */
export const AppAlteration = {
  /** A NUL character, which PostgreSQL text cannot hold, was replaced with U+FFFD. */
  NUL_REPLACED: "NUL_REPLACED",
  /** Half of a UTF-16 surrogate pair (a JSON escape such as \ud800 on its own), which is no character, was replaced with U+FFFD. */
  UNPAIRED_SURROGATE_REPLACED: "UNPAIRED_SURROGATE_REPLACED",
  /** osquery reported bytes in the row that are not UTF-8 (osqueryi's output, an agent's JSON); each invalid sequence was replaced with U+FFFD. */
  INVALID_UTF8_REPLACED: "INVALID_UTF8_REPLACED",
  /** A value over its length limit (MAX_NAME_LENGTH, MAX_FIELD_LENGTH) was cut to it. */
  TRUNCATED: "TRUNCATED",
} as const;
export type AppAlteration = (typeof AppAlteration)[keyof typeof AppAlteration];
/** Every alteration, in the order an app lists them. */
export const APP_ALTERATIONS: readonly AppAlteration[] = Object.values(AppAlteration);

export interface AppRecord {
  source: SoftwareSource;
  name: string;
  version: string | null;
  path: string | null;
  bundleIdentifier: string | null;
  publisher: string | null;
  /** Empty when every field is exactly what osquery reported; otherwise in APP_ALTERATIONS order. */
  alterations: AppAlteration[];
}

/** What one successful collection saw, whichever source (local osqueryi or an enrolled agent) it came from. */
export interface Inventory {
  osqueryVersion: string;
  os: OsVersion;
  system: SystemInfo;
  source: SoftwareSource;
  apps: AppRecord[];
}
