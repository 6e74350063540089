/**
 * An instant exactly as the DateTime scalar prints it: ISO 8601 in UTC with milliseconds and 'Z'
 * ("2024-05-01T12:00:00.000Z", Date#toISOString's form), made from PostgreSQL's text without a Date.
 */
export type IsoInstant = string & { readonly isoInstant: unique symbol };

/**
 * A timestamptz as the read path gives it: an IsoInstant, or the driver's Date where PostgreSQL's
 * text is not of the form isoFromPostgres takes. Prisma's client gives Dates, which fit too.
 */
export type Instant = Date | IsoInstant;

const DIGIT_0 = 48;
const DIGIT_9 = 57;

function digitsAt(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/**
 * PostgreSQL's text of a timestamptz in UTC with DateStyle ISO ("2024-05-01 12:00:00.123456+00",
 * a fraction of 1 to 6 digits or none) as Date#toISOString prints the same instant: the fraction cut
 * to milliseconds as Date cuts it (pg and PGlite both truncate). Anything else is null, for the
 * driver's own parser: another time zone, BC, infinity, years of other than four digits or before 1000
 * (PGlite's Date reads "0044-…" as 2044; keeping its answer is not this function's business).
 */
export function isoFromPostgres(text: string): IsoInstant | null {
  const n = text.length;
  // 22: no fraction; 29: six digits of it.
  if (n < 22 || n > 29 || n === 23) return null;
  if (text.charCodeAt(n - 3) !== 43 /* + */ || text.charCodeAt(n - 2) !== DIGIT_0 || text.charCodeAt(n - 1) !== DIGIT_0) return null;
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return null;
  if (text.charCodeAt(0) === DIGIT_0 || !digitsAt(text, 0, 4) || !digitsAt(text, 5, 7) || !digitsAt(text, 8, 10) || !digitsAt(text, 11, 13) || !digitsAt(text, 14, 16) || !digitsAt(text, 17, 19)) {
    return null;
  }
  let ms: string;
  if (n === 22) ms = "000";
  else {
    if (text.charCodeAt(19) !== 46 /* . */ || !digitsAt(text, 20, n - 3)) return null;
    const fraction = text.slice(20, n - 3);
    ms = fraction.length >= 3 ? fraction.slice(0, 3) : fraction.length === 2 ? `${fraction}0` : `${fraction}00`;
  }
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z` as IsoInstant;
}

/**
 * A timestamptz parser for the read path: the fast exact form where it applies, else the driver's
 * own parser (whose Date, or Infinity, the DateTime scalar then handles as it always has).
 */
export function instantParser(driverParse: (text: string) => unknown): (text: string) => unknown {
  return (text) => isoFromPostgres(text) ?? driverParse(text);
}

/** Milliseconds since the epoch. */
export function instantTime(instant: Instant): number {
  return typeof instant === "string" ? Date.parse(instant) : instant.getTime();
}

/** As the DateTime scalar prints it. */
export function instantIso(instant: Instant): string {
  return typeof instant === "string" ? instant : instant.toISOString();
}

/** PostgreSQL's type oid of timestamptz. */
export const TIMESTAMPTZ_OID = 1184;
