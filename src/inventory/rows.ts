import { CollectionError, CollectionErrorCode } from "../errors.js";
import type { Logger } from "../logger.js";
import { appIdentity } from "../store/identity.js";
import { hasUnstorableText, storedText } from "../text.js";
import { APP_ALTERATIONS, AppAlteration, type AppRecord, type OsqueryRow, type OsVersion, type SoftwareSource, type SystemInfo } from "./types.js";

/** Rows osquery returned that are not what the statement asks for: the collection fails with this reason. */
export function badOutput(message: string, cause?: unknown): CollectionError {
  return new CollectionError(CollectionErrorCode.OSQUERY_BAD_OUTPUT, message, cause ? { cause } : undefined);
}

// JavaScript's \s: ASCII whitespace, NBSP, BOM, and every Unicode space and line separator.
const BLANK = /^\s*$/;

/**
 * An optional field: "" (how osqueryi prints SQL NULL) or only whitespace has nothing to show and is
 * null; anything else is kept exactly, spaces included.
 */
export function nullIfBlank(value: string | undefined): string | null {
  return value === undefined || BLANK.test(value) ? null : value;
}

/**
 * Longest app name stored, in UTF-16 code units: the name is indexed (its lower-cased UTF-8 bytes,
 * at most 3 a unit, are the sort key) and a btree index entry must stay under ~2.7 KB.
 */
export const MAX_NAME_LENGTH = 512;
/** Longest version, path, publisher or bundle identifier stored, in UTF-16 code units; longer ones are cut. */
export const MAX_FIELD_LENGTH = 4096;

const NO_ROWS: ReadonlySet<number> = new Set();

function required(row: OsqueryRow, column: string, table: string): string {
  const value = row[column];
  if (value === undefined) throw badOutput(`osquery table ${table} returned no "${column}" column`);
  return value;
}

/**
 * The one row of a table that describes the machine. Its values name the host and its versions, so
 * one that cannot be stored exactly fails the collection (with the reason) rather than be guessed:
 * a replaced hostname would be another host.
 */
function singleRow(rows: OsqueryRow[], table: string, invalidUtf8Rows: ReadonlySet<number>): OsqueryRow {
  const [row] = rows;
  if (!row) throw badOutput(`osquery table ${table} returned no rows`);
  if (invalidUtf8Rows.has(0)) throw badOutput(`osquery table ${table} returned a row with bytes that are not UTF-8`);
  for (const [column, value] of Object.entries(row)) {
    if (value.length > MAX_FIELD_LENGTH) {
      throw badOutput(`osquery table ${table} returned a value longer than ${MAX_FIELD_LENGTH} characters`);
    }
    if (hasUnstorableText(value)) {
      throw badOutput(`osquery table ${table} returned a "${column.slice(0, 64)}" with a NUL character or an unpaired surrogate, which cannot be stored`);
    }
  }
  return row;
}

/** A column the machine tables cannot do without: "" is SQL NULL; anything else is kept exactly. */
function present(row: OsqueryRow, column: string, table: string): string {
  const value = required(row, column, table);
  if (value === "") throw badOutput(`osquery table ${table} returned an empty ${column}`);
  return value;
}

export function parseOsqueryVersion(rows: OsqueryRow[], invalidUtf8Rows = NO_ROWS): string {
  return present(singleRow(rows, "osquery_info", invalidUtf8Rows), "version", "osquery_info");
}

export function parseOsVersion(rows: OsqueryRow[], invalidUtf8Rows = NO_ROWS): OsVersion {
  const row = singleRow(rows, "os_version", invalidUtf8Rows);
  return {
    name: present(row, "name", "os_version"),
    version: nullIfBlank(required(row, "version", "os_version")) ?? "",
    platform: present(row, "platform", "os_version"),
    platformLike: nullIfBlank(row["platform_like"]),
    build: nullIfBlank(row["build"]),
    arch: nullIfBlank(row["arch"]),
  };
}

export function parseSystemInfo(rows: OsqueryRow[], invalidUtf8Rows = NO_ROWS): SystemInfo {
  const row = singleRow(rows, "system_info", invalidUtf8Rows);
  const hostname = present(row, "hostname", "system_info");
  const uuid = nullIfBlank(row["uuid"]);
  // SMBIOS placeholders that many virtual machines share: not an identity.
  const placeholder = uuid !== null && /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}|03000200-0400-0500-0006-000700080009)$/i.test(uuid);
  return { hostname, uuid: placeholder ? null : uuid };
}

function rpmVersion(row: OsqueryRow): string | null {
  const version = nullIfBlank(row["version"]);
  if (!version) return null;
  const release = nullIfBlank(row["release"]);
  const epoch = nullIfBlank(row["epoch"]);
  return `${epoch && epoch !== "0" ? `${epoch}:` : ""}${version}${release ? `-${release}` : ""}`;
}

/** An app's fields as osquery reported them (optional ones already null when blank); the name may be "". */
type ReportedApp = Omit<AppRecord, "alterations">;

function reportedApp(source: SoftwareSource, row: OsqueryRow): ReportedApp {
  const name = required(row, "name", source);
  switch (source) {
    case "apps":
      return {
        source,
        name,
        version: nullIfBlank(row["bundle_short_version"]) ?? nullIfBlank(row["bundle_version"]),
        path: nullIfBlank(row["path"]),
        bundleIdentifier: nullIfBlank(row["bundle_identifier"]),
        publisher: null,
      };
    case "deb_packages":
      return { source, name, version: nullIfBlank(row["version"]), path: null, bundleIdentifier: null, publisher: nullIfBlank(row["maintainer"]) };
    case "rpm_packages":
      return { source, name, version: rpmVersion(row), path: null, bundleIdentifier: null, publisher: nullIfBlank(row["vendor"]) };
    case "programs":
      return {
        source,
        name,
        version: nullIfBlank(row["version"]),
        path: nullIfBlank(row["install_location"]),
        bundleIdentifier: nullIfBlank(row["identifying_number"]),
        publisher: nullIfBlank(row["publisher"]),
      };
  }
}

/**
 * The app as it is stored: each field exactly as reported where PostgreSQL can hold it and it fits
 * its limit, otherwise replaced or cut, with what happened listed in `alterations`. The result
 * depends on the reported values alone, so the same report stores the same app at every collection.
 */
function storedApp(app: ReportedApp, invalidUtf8: boolean): AppRecord {
  const alterations = new Set<AppAlteration>();
  const store = (value: string, maxLength: number): string => {
    const stored = storedText(value, maxLength);
    if (stored.nulReplaced) alterations.add(AppAlteration.NUL_REPLACED);
    if (stored.surrogateReplaced) alterations.add(AppAlteration.UNPAIRED_SURROGATE_REPLACED);
    if (stored.truncated) alterations.add(AppAlteration.TRUNCATED);
    // The row held invalid bytes, but only a U+FFFD in what is kept of a stored field can be one of them.
    if (invalidUtf8 && stored.reported.includes("\uFFFD")) alterations.add(AppAlteration.INVALID_UTF8_REPLACED);
    return stored.text;
  };
  const optional = (value: string | null) => (value === null ? null : store(value, MAX_FIELD_LENGTH));
  return {
    source: app.source,
    name: store(app.name, MAX_NAME_LENGTH),
    version: optional(app.version),
    path: optional(app.path),
    bundleIdentifier: optional(app.bundleIdentifier),
    publisher: optional(app.publisher),
    alterations: APP_ALTERATIONS.filter((a) => alterations.has(a)),
  };
}

export interface ParsedApps {
  apps: AppRecord[];
  /**
   * Rows whose name is "" (SQL NULL, e.g. Windows uninstall keys without a DisplayName): nothing to
   * show or track. A name of spaces is a name and is kept.
   */
  skippedUnnamed: number;
  /**
   * Rows the same in (source, name, version, path) as stored to an earlier row, e.g. one package for
   * two architectures, or two names that differ only where they had to be replaced or cut. The earlier
   * row stands for both and lists the alterations of both.
   */
  duplicates: number;
}

/** `invalidUtf8Rows`: indexes of rows osqueryi printed with bytes that are not UTF-8 (OsqueryResult). */
export function parseApps(source: SoftwareSource, rows: OsqueryRow[], invalidUtf8Rows = NO_ROWS): ParsedApps {
  const seen = new Map<string, AppRecord>();
  const apps: AppRecord[] = [];
  let skippedUnnamed = 0;
  let duplicates = 0;
  rows.forEach((row, index) => {
    const reported = reportedApp(source, row);
    if (reported.name === "") {
      skippedUnnamed++;
      return;
    }
    const app = storedApp(reported, invalidUtf8Rows.has(index));
    const key = appIdentity(app);
    const earlier = seen.get(key);
    if (earlier) {
      duplicates++;
      if (app.alterations.length > 0) earlier.alterations = APP_ALTERATIONS.filter((a) => earlier.alterations.includes(a) || app.alterations.includes(a));
      return;
    }
    seen.set(key, app);
    apps.push(app);
  });
  return { apps, skippedUnnamed, duplicates };
}

const LOGGED_ALTERED_NAMES = 10;
const LOGGED_NAME_LENGTH = 200;

/** Apps stored other than as reported are kept and shown (App.alterations); whichever source found them logs which. */
export function logAlterations(logger: Logger, context: Record<string, unknown>, apps: AppRecord[]): void {
  const altered = apps.filter((app) => app.alterations.length > 0);
  if (altered.length === 0) return;
  const counts = Object.fromEntries(APP_ALTERATIONS.map((a) => [a, altered.filter((app) => app.alterations.includes(a)).length]).filter(([, n]) => n));
  logger.warn(
    { ...context, alteredApps: altered.length, alterations: counts, names: altered.slice(0, LOGGED_ALTERED_NAMES).map((app) => app.name.slice(0, LOGGED_NAME_LENGTH)) },
    "apps stored other than as osquery reported them (see App.alterations)",
  );
}
