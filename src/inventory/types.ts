/** osquery reports every column as a string (numbers, NULL as "", booleans as "1"/"0"), from osqueryi and agents alike. */
export type OsqueryRow = Record<string, string>;

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
 * process.platform: the service may collect for a machine other than the one it runs on).
 */
export function softwareSourceFor(os: Pick<OsVersion, "platform" | "platformLike">): SoftwareSource | null {
  const tokens = [os.platform, ...(os.platformLike ?? "").split(/[\s,]+/)].filter(Boolean);
  if (tokens.includes("darwin")) return SoftwareSource.apps;
  if (tokens.includes("windows")) return SoftwareSource.programs;
  if (tokens.some((t) => DEB_LIKE.has(t))) return SoftwareSource.deb_packages;
  if (tokens.some((t) => RPM_LIKE.has(t) || t.startsWith("opensuse"))) return SoftwareSource.rpm_packages;
  return null;
}

export interface AppRecord {
  source: SoftwareSource;
  name: string;
  version: string | null;
  path: string | null;
  bundleIdentifier: string | null;
  publisher: string | null;
}

/** What one successful collection saw, whichever source (local osqueryi or an enrolled agent) it came from. */
export interface Inventory {
  osqueryVersion: string;
  os: OsVersion;
  system: SystemInfo;
  source: SoftwareSource;
  apps: AppRecord[];
}
