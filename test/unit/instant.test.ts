import { types as pgliteTypes } from "@electric-sql/pglite";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { instantIso, instantParser, instantTime, isoFromPostgres, TIMESTAMPTZ_OID } from "../../src/db/instant.js";

// What the read path fell back on, and what it printed before: each driver's Date, then toISOString.
const drivers = {
  pg: pg.types.getTypeParser(TIMESTAMPTZ_OID, "text") as (text: string) => unknown,
  pglite: (text: string) => pgliteTypes.parseType(text, TIMESTAMPTZ_OID) as unknown,
};

/** A timestamptz as PostgreSQL prints it in UTC with DateStyle ISO: trailing zeros of the fraction left out. */
function postgresText(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = String(micros).padStart(6, "0").replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""}+00`;
}

/** Deterministic, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const YEAR_1000 = Date.UTC(1000, 0, 1);
const YEAR_9999_END = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe("isoFromPostgres", () => {
  it.each([
    ["2024-05-01 12:00:00+00", "2024-05-01T12:00:00.000Z"],
    ["2024-05-01 12:00:00.5+00", "2024-05-01T12:00:00.500Z"],
    ["2024-05-01 12:00:00.05+00", "2024-05-01T12:00:00.050Z"],
    ["2024-05-01 12:00:00.123+00", "2024-05-01T12:00:00.123Z"],
    ["2024-05-01 12:00:00.999999+00", "2024-05-01T12:00:00.999Z"],
    ["2024-05-01 12:00:00.000001+00", "2024-05-01T12:00:00.000Z"],
    ["1000-01-01 00:00:00+00", "1000-01-01T00:00:00.000Z"],
    ["9999-12-31 23:59:59.999999+00", "9999-12-31T23:59:59.999Z"],
  ])("when PostgreSQL prints %s, then it is %s, as both drivers' Dates print it", (text, iso) => {
    expect(isoFromPostgres(text)).toBe(iso);
    for (const parse of Object.values(drivers)) expect((parse(text) as Date).toISOString()).toBe(iso);
  });

  it.each([
    ["another time zone", "2024-05-01 14:00:00+02"],
    ["an offset with minutes", "2024-05-01 17:30:00+05:30"],
    ["a year before Christ", "0044-03-15 00:00:00+00 BC"],
    ["a five-digit year", "12345-01-01 00:00:00+00"],
    ["a year before 1000 (PGlite's Date reads it as 2044)", "0044-03-15 00:00:00+00"],
    ["a year before 1000", "0999-12-31 23:59:59.999999+00"],
    ["infinity", "infinity"],
    ["-infinity", "-infinity"],
    ["ISO 8601 already", "2024-05-01T12:00:00.000Z"],
    ["seven digits of fraction", "2024-05-01 12:00:00.1234567+00"],
    ["an empty fraction", "2024-05-01 12:00:00.+00"],
    ["a letter for a digit", "2024-O5-01 12:00:00+00"],
    ["another DateStyle", "05/01/2024 12:00:00+00"],
  ])("when the text is %s (%s), then it is left to the driver's parser", (_what, text) => {
    expect(isoFromPostgres(text)).toBeNull();
  });

  it("when 20,000 random instants of years 1000 to 9999 with microseconds are printed as PostgreSQL prints them, then each is what pg's and PGlite's Dates print", () => {
    const next = random(11);
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(YEAR_1000 + next() * (YEAR_9999_END - YEAR_1000));
      // Half of them on a whole second or millisecond, where the fraction is short or absent.
      const kind = next();
      const millis = ((ms % 1000) + 1000) % 1000;
      const micros = kind < 0.25 ? 0 : kind < 0.5 ? millis * 1000 : millis * 1000 + Math.floor(next() * 1000);
      const text = postgresText(ms - millis, micros);
      const iso = isoFromPostgres(text);
      for (const [driver, parse] of Object.entries(drivers)) {
        expect({ driver, text, iso }).toEqual({ driver, text, iso: (parse(text) as Date).toISOString() });
      }
    }
  });
});

describe("instantParser", () => {
  it("when the text has another time zone, then the driver's Date comes back, the same instant", () => {
    const parse = instantParser(drivers.pg);
    const value = parse("2024-05-01 14:00:00.25+02");
    expect(value).toBeInstanceOf(Date);
    expect(instantIso(value as Date)).toBe("2024-05-01T12:00:00.250Z");
  });

  it("when the text is infinity, then the driver's value comes back as the driver gives it", () => {
    expect(instantParser(drivers.pg)("infinity")).toBe(Infinity);
  });

  it("when the text is PostgreSQL's UTC form, then an ISO string comes back whose time is the Date's", () => {
    const text = "2026-12-01 10:57:44.719406+00";
    const value = instantParser(drivers.pg)(text);
    expect(typeof value).toBe("string");
    expect(instantTime(value as string as never)).toBe((drivers.pg(text) as Date).getTime());
  });
});
