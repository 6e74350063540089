import type { SoftwareSource } from "./types.js";

/**
 * Every statement sent to osquery, in one place (the Go original's jobs file): the local osqueryi
 * collector runs them, and enrolled agents are sent them as distributed queries.
 * Each is a plain SELECT on one osquery table (at most a WHERE on its own columns): no UNION, so a
 * missing table fails alone and clearly.
 */
export const inventoryQueries = {
  osqueryInfo: "SELECT version FROM osquery_info;",
  osVersion: "SELECT name, version, platform, platform_like, build, arch FROM os_version;",
  systemInfo: "SELECT hostname, uuid FROM system_info;",
  software: {
    apps: "SELECT name, path, bundle_identifier, bundle_short_version, bundle_version FROM apps;",
    // dpkg keeps removed packages whose config files remain ("deinstall ok config-files") and broken
    // installs ("half-installed", "unpacked"): only "<want> ok installed" is installed, held ones too.
    // Fleet's software_linux filters the same way.
    deb_packages: "SELECT name, version, maintainer FROM deb_packages WHERE status LIKE '% ok installed';",
    rpm_packages: "SELECT name, version, release, epoch, vendor FROM rpm_packages;",
    programs: "SELECT name, version, publisher, install_location, identifying_number FROM programs;",
  } satisfies Record<SoftwareSource, string>,
} as const;
