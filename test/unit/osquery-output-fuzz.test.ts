import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { storedText } from "../../src/text.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_FIELD_LENGTH, MAX_NAME_LENGTH, parseApps, parseOsqueryVersion, parseOsVersion, parseSystemInfo } from "../../src/inventory/rows.js";
import { parseOsqueryJson } from "../../src/sources/local/osqueryi-output.js";
import { APP_ALTERATIONS, SoftwareSource, type OsqueryResult } from "../../src/inventory/types.js";
import { CollectionError, CollectionErrorCode } from "../../src/errors.js";
import { appIdentity } from "../../src/store/identity.js";

/**
 * Whatever osqueryi prints, the parsers either return a well-formed result or throw a CollectionError
 * with code OSQUERY_BAD_OUTPUT and a short message: never a TypeError, RangeError or a zod error, which
 * the collector would record as a DATABASE_ERROR or let escape.
 */

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/osquery", import.meta.url));
const osqueryiFixtures = readdirSync(FIXTURES_DIR)
  .filter((name) => name.endsWith(".json") && !name.startsWith("tls_"))
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(FIXTURES_DIR, name)) }));

const SOURCES = Object.values(SoftwareSource);
const MAX_MESSAGE_LENGTH = 500;
const RUNS = 400;

/** Every column a table parser reads, so generated rows hit them often. */
const KNOWN_COLUMNS = [
  "version",
  "name",
  "platform",
  "platform_like",
  "build",
  "arch",
  "hostname",
  "uuid",
  "bundle_short_version",
  "bundle_version",
  "path",
  "bundle_identifier",
  "maintainer",
  "release",
  "epoch",
  "vendor",
  "install_location",
  "identifying_number",
  "publisher",
  "source",
] as const;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A refusal must be ours: OSQUERY_BAD_OUTPUT with a message short enough to store and log. */
function expectBadOutput(error: unknown): void {
  if (!(error instanceof CollectionError)) {
    throw new Error(`expected a CollectionError, got ${String((error as Error | undefined)?.constructor?.name)}: ${String(error)}`, { cause: error });
  }
  expect(error.code).toBe(CollectionErrorCode.OSQUERY_BAD_OUTPUT);
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.message.length).toBeLessThan(MAX_MESSAGE_LENGTH);
}

const isNullableString = (value: unknown) => value === null || typeof value === "string";
/** Stored exactly as the row had it: a non-empty string PostgreSQL can hold (nothing trimmed). */
const isReported = (value: unknown, reported: string | undefined) => typeof value === "string" && value !== "" && value === reported;
/** What PostgreSQL text can hold: no NUL, no unpaired surrogate (UTF-8 would turn one into U+FFFD). */
const isStorable = (value: string | null) => value === null || (!value.includes("\u0000") && new TextDecoder().decode(new TextEncoder().encode(value)) === value);

function expectRows(result: unknown): asserts result is OsqueryResult {
  const { rows, invalidUtf8Rows } = result as OsqueryResult;
  expect(Array.isArray(rows)).toBe(true);
  for (const row of rows as unknown[]) {
    expect(row !== null && typeof row === "object" && !Array.isArray(row)).toBe(true);
    for (const value of Object.values(row as object)) expect(typeof value).toBe("string");
  }
  for (const index of invalidUtf8Rows) expect(index).toBeLessThan(rows.length);
}

/** Runs each table parser on the rows and checks its result, or that it refused them properly; returns the apps found. */
function checkTableParsers({ rows, invalidUtf8Rows }: OsqueryResult): number {
  let found = 0;
  const version = attempt(() => parseOsqueryVersion(rows, invalidUtf8Rows));
  if (version.ok) expect(isReported(version.value, rows[0]?.["version"])).toBe(true);
  else expectBadOutput(version.error);

  const os = attempt(() => parseOsVersion(rows, invalidUtf8Rows));
  if (os.ok) {
    const { name, version: osVersion, platform, platformLike, build, arch } = os.value;
    expect(isReported(name, rows[0]?.["name"]) && isReported(platform, rows[0]?.["platform"])).toBe(true);
    expect(typeof osVersion).toBe("string");
    for (const value of [platformLike, build, arch]) expect(isNullableString(value)).toBe(true);
    for (const value of [name, osVersion, platform, platformLike, build, arch]) expect(isStorable(value)).toBe(true);
  } else expectBadOutput(os.error);

  const system = attempt(() => parseSystemInfo(rows, invalidUtf8Rows));
  if (system.ok) {
    expect(isReported(system.value.hostname, rows[0]?.["hostname"])).toBe(true);
    expect(isNullableString(system.value.uuid)).toBe(true);
    expect(isStorable(system.value.hostname) && isStorable(system.value.uuid)).toBe(true);
  } else expectBadOutput(system.error);

  for (const source of SOURCES) {
    const parsed = attempt(() => parseApps(source, rows, invalidUtf8Rows));
    if (!parsed.ok) {
      expectBadOutput(parsed.error);
      continue;
    }
    const { apps, skippedUnnamed, duplicates } = parsed.value;
    found += apps.length;
    expect(apps.length + skippedUnnamed + duplicates).toBe(rows.length);
    expect(new Set(apps.map(appIdentity)).size).toBe(apps.length);
    for (const app of apps) {
      expect(app.source).toBe(source);
      expect(app.name.length).toBeGreaterThan(0);
      expect(app.name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(isStorable(app.name)).toBe(true);
      for (const value of [app.version, app.path, app.bundleIdentifier, app.publisher]) {
        expect(isNullableString(value)).toBe(true);
        expect(isStorable(value)).toBe(true);
        expect(value?.length ?? 0).toBeLessThanOrEqual(MAX_FIELD_LENGTH);
      }
      expect(app.alterations).toEqual(APP_ALTERATIONS.filter((a) => app.alterations.includes(a)));
      // An unmarked app is exactly what some row reported.
      if (app.alterations.length === 0) expect(rows.some((row) => row["name"] === app.name)).toBe(true);
    }
  }
  return found;
}

/** How often each outcome came up, so a property that only ever refuses its input is noticed. */
interface Tally {
  accepted: number;
  refused: number;
  apps: number;
}
const newTally = (): Tally => ({ accepted: 0, refused: 0, apps: 0 });

/** The whole collection path after osqueryi: bytes → rows → every table parser. */
function checkPipeline(output: Buffer | string, tally: Tally = newTally()): void {
  const rows = attempt(() => parseOsqueryJson(output));
  if (!rows.ok) {
    tally.refused++;
    return expectBadOutput(rows.error);
  }
  tally.accepted++;
  expectRows(rows.value);
  tally.apps += checkTableParsers(rows.value);
}

/** osqueryi's byte layout: "[\n", a row a line joined by ",\n", "\n]\n". */
function osqueryiLayout(rows: unknown[], eol = "\n"): string {
  if (rows.length === 0) return `[${eol}${eol}]${eol}`;
  return `[${eol}${rows.map((row) => `  ${JSON.stringify(row)}`).join(`,${eol}`)}${eol}]${eol}`;
}

const column = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN_COLUMNS) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) });
/** Strings osqueryi could plausibly print, and some it should not. */
const cellText = fc.oneof(
  fc.constantFrom("", " ", "\t\n", "0", "1", "darwin", "ubuntu", "debian", "windows", "rhel", "00000000-0000-0000-0000-000000000000"),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.string({ unit: "binary", maxLength: 10 }),
);
/** Anything JSON can hold where osqueryi prints a string. */
const cellValue = fc.oneof(
  { weight: 4, arbitrary: cellText },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(cellText, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), cellText, { maxKeys: 3 }) },
);
const stringRow = fc.dictionary(column, cellText, { maxKeys: 8 });
const mixedRow = fc.dictionary(column, cellValue, { maxKeys: 8 });
/** A row is mostly an object, sometimes anything else JSON can be. */
const anyRow = fc.oneof({ weight: 6, arbitrary: mixedRow }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

/** Lone surrogates and other code units a byte-oriented generator never produces in a JS string. */
const codeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)),
);
/** Fragments of JSON, so random strings get past the first character of JSON.parse. */
const jsonToken = fc.constantFrom("[", "]", "{", "}", ",", ":", '"', '"name"', '"version"', '"x"', "\n", "\r\n", " ", "\\", "\\u", "\\ud800", "null", "true", "1", "-0", "1e999", "\u00a0", "\ufeff");

describe("osqueryi output fuzz: parseOsqueryJson and the table parsers", () => {
  it("when osqueryi prints arbitrary bytes, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => checkPipeline(Buffer.from(bytes))),
      { numRuns: RUNS },
    );
  });

  it("when osqueryi prints arbitrary bytes after a valid-looking start, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => checkPipeline(Buffer.concat([Buffer.from('[\n  {"name":"'), bytes]))),
      { numRuns: RUNS },
    );
  });

  it("when osqueryi prints an arbitrary unicode string, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.string({ unit: codeUnit }),
      fc.array(fc.oneof(jsonToken, fc.string({ unit: codeUnit, maxLength: 3 })), { maxLength: 40 }).map((parts) => parts.join("")),
    );
    const tally = newTally();
    fc.assert(
      fc.property(text, fc.boolean(), (value, asBytes) => checkPipeline(asBytes ? Buffer.from(value, "utf8") : value, tally)),
      { numRuns: RUNS },
    );
    expect(tally.refused).toBeGreaterThan(0);
  });

  it("when osqueryi prints any serialised JSON value, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    const serialised = fc.oneof(
      fc.jsonValue().map((value) => JSON.stringify(value)),
      fc.jsonValue({ stringUnit: "binary" }).map((value) => JSON.stringify(value, null, 2)),
      fc.anything().map((value) => JSON.stringify(value) ?? "undefined"),
    );
    const tally = newTally();
    fc.assert(
      fc.property(serialised, (text) => checkPipeline(text, tally)),
      { numRuns: RUNS },
    );
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it("when a recorded osqueryi output is cut at any byte, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    const cut = fc.constantFrom(...osqueryiFixtures).chain(({ bytes }) => fc.nat(bytes.length).map((end) => bytes.subarray(0, end)));
    const tally = newTally();
    fc.assert(
      fc.property(cut, (bytes) => checkPipeline(bytes, tally)),
      { numRuns: RUNS },
    );
    // Only a cut within the trailing line end leaves a whole JSON array.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(tally.accepted);
  });

  it("when one byte of a recorded osqueryi output is changed or dropped, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    const mutated = fc.constantFrom(...osqueryiFixtures).chain(({ bytes }) =>
      fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: -1, max: 255 })).map(([at, byte]) => {
        if (byte === -1) return Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)]);
        const copy = Buffer.from(bytes);
        copy[at] = byte;
        return copy;
      }),
    );
    const tally = newTally();
    fc.assert(
      fc.property(mutated, (bytes) => checkPipeline(bytes, tally)),
      { numRuns: RUNS },
    );
    // A changed letter inside a value still parses, and reaches the table parsers.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.apps).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it("when rows hold numbers, booleans, null, arrays or objects instead of strings, then the result is rows of strings or OSQUERY_BAD_OUTPUT", () => {
    const tally = newTally();
    fc.assert(
      fc.property(fc.array(anyRow, { maxLength: 6 }), fc.boolean(), (rows, crlf) => {
        const text = osqueryiLayout(rows, crlf ? "\r\n" : "\n");
        checkPipeline(text, tally);
        const nonString = rows.some(
          (row) => row === null || typeof row !== "object" || Array.isArray(row) || Object.values(row).some((v) => typeof v !== "string"),
        );
        // A row that is not an object of strings must never get through, whatever the others hold.
        if (nonString) expectBadOutput(thrownBy(() => parseOsqueryJson(text)));
      }),
      { numRuns: RUNS },
    );
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });

  it("when rows of strings lack required columns or hold blank values, then every table parser returns a valid result or OSQUERY_BAD_OUTPUT", () => {
    const tally = newTally();
    fc.assert(
      fc.property(fc.array(stringRow, { maxLength: 8 }), (rows) => {
        checkPipeline(osqueryiLayout(rows), tally);
        checkTableParsers({ rows, invalidUtf8Rows: new Set() });
      }),
      { numRuns: RUNS },
    );
    expect(tally.refused).toBe(0);
    expect(tally.apps).toBeGreaterThan(0);
  });

  it('when rows have a name, then parseApps keeps exactly the ones whose name is not "", each as the database will hold it', () => {
    const name = fc.oneof(cellText, fc.string({ unit: codeUnit, maxLength: 6 }), fc.string({ unit: "grapheme", minLength: 510, maxLength: 520 }));
    fc.assert(
      fc.property(fc.constantFrom(...SOURCES), fc.array(fc.record({ name, version: cellText, path: cellText }), { maxLength: 8 }), (source, rows) => {
        const { apps, skippedUnnamed } = parseApps(source, rows);
        expect(skippedUnnamed).toBe(rows.filter((row) => row.name === "").length);
        for (const app of apps) {
          // NUL and lone surrogates as U+FFFD, cut to the limit; anything else (spaces too) byte for byte.
          const from = rows.filter((row) => row.name !== "" && storedText(row.name, MAX_NAME_LENGTH).text === app.name);
          expect(from.length).toBeGreaterThan(0);
          const altered = from.some((row) => storedText(row.name, MAX_NAME_LENGTH).text !== row.name);
          if (altered) expect(app.alterations.length).toBeGreaterThan(0);
          if (app.alterations.length === 0) expect(from.some((row) => row.name === app.name)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("when bytes are spliced into one row's name, then only that row is named as not UTF-8, exactly when the bytes are not, and it decodes as the bytes do", () => {
    // Any byte but the quote, backslash and control characters, which would end or break the JSON string.
    const spliced = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((bytes) => Buffer.from(bytes.filter((b) => b >= 0x20 && b !== 0x22 && b !== 0x5c)));
    const names = fc.array(fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });
    const tally = { invalid: 0, valid: 0 };
    fc.assert(
      fc.property(names, fc.nat(), spliced, fc.boolean(), (list, pick, bytes, crlf) => {
        const at = pick % list.length;
        const eol = crlf ? "\r\n" : "\n";
        const lines = list.map((name, i) =>
          Buffer.concat([Buffer.from('  {"name":"'), i === at ? bytes : Buffer.alloc(0), Buffer.from(JSON.stringify(name).slice(1)), Buffer.from(',"version":"1"}')]),
        );
        const output = Buffer.concat([Buffer.from(`[${eol}`), ...lines.flatMap((line, i) => [line, Buffer.from(i < lines.length - 1 ? `,${eol}` : eol)]), Buffer.from(`]${eol}`)]);
        const result = parseOsqueryJson(output);
        const valid = isUtf8(bytes);
        tally[valid ? "valid" : "invalid"]++;
        expect([...result.invalidUtf8Rows]).toEqual(valid ? [] : [at]);
        expect(result.rows[at]?.["name"]).toBe(new TextDecoder().decode(bytes) + list[at]);
        const app = parseApps(SoftwareSource.deb_packages, result.rows, result.invalidUtf8Rows).apps.find((a) => a.name === result.rows[at]?.["name"]);
        expect(app?.alterations.includes("INVALID_UTF8_REPLACED")).toBe(!valid);
      }),
      { numRuns: RUNS },
    );
    expect(tally.invalid).toBeGreaterThan(0);
    expect(tally.valid).toBeGreaterThan(0);
  });
});

function thrownBy(fn: () => unknown): unknown {
  const outcome = attempt(fn);
  if (outcome.ok) throw new Error("expected the call to throw");
  return outcome.error;
}

describe("osqueryi output fuzz: the row limit", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const row = (i: number) => ({ name: `pkg-${i}`, version: "1.0" });
  const rows = (count: number) => Array.from({ length: count }, (_, i) => row(i));

  it.each([1, 2, 3, 10, 1000])("when osqueryi prints exactly maxRows = %i rows, then they are all accepted", (maxRows) => {
    expect(parseOsqueryJson(osqueryiLayout(rows(maxRows)), maxRows).rows).toHaveLength(maxRows);
    expect(parseOsqueryJson(Buffer.from(osqueryiLayout(rows(maxRows), "\r\n")), maxRows).rows).toHaveLength(maxRows);
  });

  it.each([1, 2, 3, 10, 1000])("when osqueryi prints maxRows + 1 = %i + 1 rows, then they are refused", (maxRows) => {
    const error = thrownBy(() => parseOsqueryJson(osqueryiLayout(rows(maxRows + 1)), maxRows));
    expectBadOutput(error);
    expect((error as Error).message).toBe(`osqueryi returned more than ${maxRows} rows (OSQUERY_MAX_ROWS)`);
  });

  it("when more rows than maxRows are printed on a single line, then they are refused after parsing by their count", () => {
    const error = thrownBy(() => parseOsqueryJson(JSON.stringify(rows(6)), 5));
    expectBadOutput(error);
    expect((error as Error).message).toMatch(/more than 5 rows/);
  });

  it.each([
    { input: "lines of garbage", text: `[\n${"not json at all\n".repeat(10_000)}]\n` },
    { input: "lines of valid rows", text: osqueryiLayout(rows(10_000)) },
    { input: "blank lines", text: `[${"\n".repeat(10_000)}]` },
  ])("when a many-line output ($input) exceeds a small maxRows, then it is refused before JSON.parse runs", ({ text }) => {
    const parse = vi.spyOn(JSON, "parse");
    const error = thrownBy(() => parseOsqueryJson(text, 3));
    expect(parse).not.toHaveBeenCalled();
    expectBadOutput(error);
    expect((error as Error).message).toBe("osqueryi returned more than 3 rows (OSQUERY_MAX_ROWS)");
  });

  it("when the default maxRows is used, then 200,000 rows in osqueryi's layout are accepted and 200,001 refused", () => {
    const at = (count: number) => `[\n${'  {"name":"p","version":"1"},\n'.repeat(count - 1)}  {"name":"p","version":"1"}\n]\n`;
    expect(parseOsqueryJson(at(200_000)).rows).toHaveLength(200_000);
    expectBadOutput(thrownBy(() => parseOsqueryJson(at(200_001))));
  });
});

describe("osqueryi output fuzz: found cases", () => {
  // Column names come from the output: the message shortens them, so one long key cannot make the
  // error (and the "collection failed" log line carrying it) as large as the output.
  it("when a row has a 5,000-character column name with a non-string value, then the message stays under 500 characters", () => {
    expectBadOutput(thrownBy(() => parseOsqueryJson(`[\n  {"${"k".repeat(5000)}":1}\n]\n`)));
  });
});
