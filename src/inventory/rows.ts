import { CollectionError, CollectionErrorCode } from "../errors.js";
import { appIdentity } from "../store/identity.js";
import { storableText } from "../text.js";
import type { AppRecord, OsqueryRow, OsVersion, SoftwareSource, SystemInfo } from "./types.js";

/** Rows osquery returned that are not what the statement asks for: the collection fails with this reason. */
export function badOutput(message: string, cause?: unknown): CollectionError {
  return new CollectionError(CollectionErrorCode.OSQUERY_BAD_OUTPUT, message, cause ? { cause } : undefined);
}

/** "" is how osqueryi prints SQL NULL; the API shows it as null. Text PostgreSQL cannot hold becomes U+FFFD. */
export function nullIfEmpty(value: string | undefined): string | null {
  if (value === undefined) return null;
  // Replaced before comparing: otherwise the stored U+FFFD would never equal what osquery printed,
  // and the app would look changed at every collection.
  const trimmed = storableText(value).trim();
  return trimmed === "" ? null : trimmed;
}

/** Longest app name kept: the name is indexed, and btree index entries are limited to ~8 KB. */
export const MAX_NAME_LENGTH = 512;
/** Longest version, path, publisher or bundle identifier kept. */
export const MAX_FIELD_LENGTH = 4096;

function required(row: OsqueryRow, column: string, table: string): string {
  const value = row[column];
  if (value === undefined) throw badOutput(`osquery table ${table} returned no "${column}" column`);
  return value;
}

function singleRow(rows: OsqueryRow[], table: string): OsqueryRow {
  const [row] = rows;
  if (!row) throw badOutput(`osquery table ${table} returned no rows`);
  if (Object.values(row).some((v) => v.length > MAX_FIELD_LENGTH)) {
    throw badOutput(`osquery table ${table} returned a value longer than ${MAX_FIELD_LENGTH} characters`);
  }
  return row;
}

export function parseOsqueryVersion(rows: OsqueryRow[]): string {
  const version = nullIfEmpty(required(singleRow(rows, "osquery_info"), "version", "osquery_info"));
  if (!version) throw badOutput("osquery_info returned an empty version");
  return version;
}

export function parseOsVersion(rows: OsqueryRow[]): OsVersion {
  const row = singleRow(rows, "os_version");
  const name = nullIfEmpty(required(row, "name", "os_version"));
  const platform = nullIfEmpty(required(row, "platform", "os_version"));
  if (!name || !platform) throw badOutput("os_version returned an empty name or platform");
  return {
    name,
    version: nullIfEmpty(required(row, "version", "os_version")) ?? "",
    platform: platform.toLowerCase(),
    platformLike: nullIfEmpty(row["platform_like"])?.toLowerCase() ?? null,
    build: nullIfEmpty(row["build"]),
    arch: nullIfEmpty(row["arch"]),
  };
}

export function parseSystemInfo(rows: OsqueryRow[]): SystemInfo {
  const row = singleRow(rows, "system_info");
  const hostname = nullIfEmpty(required(row, "hostname", "system_info"));
  if (!hostname) throw badOutput("system_info returned an empty hostname");
  const uuid = nullIfEmpty(row["uuid"]);
  // SMBIOS placeholders that many virtual machines share: not an identity.
  const placeholder = uuid !== null && /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}|03000200-0400-0500-0006-000700080009)$/i.test(uuid);
  return { hostname, uuid: placeholder ? null : uuid };
}

function rpmVersion(row: OsqueryRow): string | null {
  const version = nullIfEmpty(row["version"]);
  if (!version) return null;
  const release = nullIfEmpty(row["release"]);
  const epoch = nullIfEmpty(row["epoch"]);
  return `${epoch && epoch !== "0" ? `${epoch}:` : ""}${version}${release ? `-${release}` : ""}`;
}

function normaliseApp(source: SoftwareSource, row: OsqueryRow): Omit<AppRecord, "name"> & { name: string | null } {
  switch (source) {
    case "apps":
      return {
        source,
        name: nullIfEmpty(required(row, "name", source)),
        version: nullIfEmpty(row["bundle_short_version"]) ?? nullIfEmpty(row["bundle_version"]),
        path: nullIfEmpty(row["path"]),
        bundleIdentifier: nullIfEmpty(row["bundle_identifier"]),
        publisher: null,
      };
    case "deb_packages":
      return {
        source,
        name: nullIfEmpty(required(row, "name", source)),
        version: nullIfEmpty(row["version"]),
        path: null,
        bundleIdentifier: null,
        publisher: nullIfEmpty(row["maintainer"]),
      };
    case "rpm_packages":
      return {
        source,
        name: nullIfEmpty(required(row, "name", source)),
        version: rpmVersion(row),
        path: null,
        bundleIdentifier: null,
        publisher: nullIfEmpty(row["vendor"]),
      };
    case "programs":
      return {
        source,
        name: nullIfEmpty(required(row, "name", source)),
        version: nullIfEmpty(row["version"]),
        path: nullIfEmpty(row["install_location"]),
        bundleIdentifier: nullIfEmpty(row["identifying_number"]),
        publisher: nullIfEmpty(row["publisher"]),
      };
  }
}

export interface ParsedApps {
  apps: AppRecord[];
  /** Rows with a name or field too long to be a real package (MAX_NAME_LENGTH, MAX_FIELD_LENGTH). */
  skippedOversized: number;
  /** Rows without a name (e.g. Windows uninstall keys lacking DisplayName): nothing to show or track. */
  skippedUnnamed: number;
  /** Rows identical in (source, name, version, path) to an earlier row, e.g. one package for two architectures. */
  duplicates: number;
}


export function parseApps(source: SoftwareSource, rows: OsqueryRow[]): ParsedApps {
  const seen = new Set<string>();
  const apps: AppRecord[] = [];
  let skippedUnnamed = 0;
  let skippedOversized = 0;
  let duplicates = 0;
  for (const row of rows) {
    const app = normaliseApp(source, row);
    if (app.name === null) {
      skippedUnnamed++;
      continue;
    }
    const fields = [app.version, app.path, app.bundleIdentifier, app.publisher];
    if (app.name.length > MAX_NAME_LENGTH || fields.some((f) => f !== null && f.length > MAX_FIELD_LENGTH)) {
      skippedOversized++;
      continue;
    }
    const record: AppRecord = { ...app, name: app.name };
    const key = appIdentity(record);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    apps.push(record);
  }
  return { apps, skippedUnnamed, skippedOversized, duplicates };
}
