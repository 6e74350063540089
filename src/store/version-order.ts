/**
 * Version ordering per package system, so "newest first" agrees with what the host's own tooling
 * would call newer. Each comparator is a total preorder over arbitrary strings and never throws:
 * osquery reports whatever the package database holds, including strings dpkg or rpm would reject.
 *
 * - deb: dpkg's dpkg_version_compare / verrevcmp (lib/dpkg/version.c). `[epoch:]upstream[-revision]`,
 *   epoch = digits before the first ':' (otherwise no epoch and the ':' stays in upstream), revision =
 *   after the last '-' ("" when absent, which verrevcmp treats like "0"). Non-digit runs compare char by
 *   char with '~' below everything including the end, the end below letters, letters below other chars;
 *   digit runs compare numerically. Surrounding blanks are ignored, as dpkg's parser does.
 * - rpm: rpm's rpmvercmp (rpmio/rpmvercmp.cc) on epoch, then version, then release of
 *   `[epoch:]version[-release]`. Only ASCII letters and digits form segments; '~' sorts before
 *   everything, '^' after the end but before anything else; a numeric segment beats an alpha one.
 *   rpm itself skips the release when either side lacks one. That is a matching rule for dependencies,
 *   and it is not transitive (1.0-1 = 1.0 = 1.0-2 while 1.0-1 < 1.0-2), so a sort would depend on
 *   input order. Here a missing release is the empty release, below any release with a segment in it.
 * - dotted: macOS bundle versions and Windows DisplayVersion have no formal grammar. Text in
 *   parentheses and build metadata after '+' do not order; the rest splits on '.', missing components
 *   count as 0. A component compares by its leading number, then by what follows it: a pre-release
 *   tail ('-', "alpha", "beta", "rc", "pre", "dev", or a lone 'a'/'b' before a digit or the end, so
 *   "build3" is not one) sorts below no tail, any other tail above it; tails of the same kind compare
 *   as case-insensitive text with digit runs taken numerically. Versions equal on all that differ only
 *   in ignored text, so the raw strings break the tie: the result is 0 only for identical strings.
 *
 * Digit runs compare as strings (leading zeros dropped, longer is bigger), never through Number(), so
 * 20-digit snapshots and dates order correctly.
 */

export type VersionScheme = "deb" | "rpm" | "dotted";

/** The scheme the package system of an osquery software table uses: deb_packages → "deb", rpm_packages → "rpm", anything else (apps = macOS bundles, programs = Windows) → "dotted". */
export function versionSchemeFor(source: string): VersionScheme {
  if (source === "deb_packages") return "deb";
  if (source === "rpm_packages") return "rpm";
  return "dotted";
}

/** Negative when a < b, 0 when equal, positive when a > b, the way that package system orders versions. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  switch (scheme) {
    case "deb":
      return compareDeb(a, b);
    case "rpm":
      return compareRpm(a, b);
    case "dotted":
      return compareDotted(a, b);
  }
}

const TILDE = 0x7e;
const CARET = 0x5e;
const COLON = 0x3a;

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
// dpkg and rpm both use ASCII-only classification (c_isalpha, risalpha), whatever the locale.
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDigitRuns(a: string, b: string): number {
  const x = a.replace(/^0+/, "");
  const y = b.replace(/^0+/, "");
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return compareText(x, y);
}

function digitRunEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  return i;
}

// ---- deb ----

interface DebVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

function parseDeb(version: string): DebVersion {
  const s = version.replace(/^[ \t]+|[ \t]+$/g, "");
  const colon = s.indexOf(":");
  let epoch = "0";
  let rest = s;
  if (colon > 0 && digitRunEnd(s, 0) === colon) {
    epoch = s.slice(0, colon);
    rest = s.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  if (hyphen < 0) return { epoch, upstream: rest, revision: "" };
  return { epoch, upstream: rest.slice(0, hyphen), revision: rest.slice(hyphen + 1) };
}

/** dpkg's order(): the end of the string and digits weigh 0, so '~' (-1) sorts before the end. */
function debWeight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === TILDE) return -1;
  return c + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = debWeight(a, i);
      const bc = debWeight(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const ie = digitRunEnd(a, i);
    const je = digitRunEnd(b, j);
    const rc = compareDigitRuns(a.slice(i, ie), b.slice(j, je));
    if (rc !== 0) return rc;
    i = ie;
    j = je;
  }
  return 0;
}

function compareDeb(a: string, b: string): number {
  const x = parseDeb(a);
  const y = parseDeb(b);
  return compareDigitRuns(x.epoch, y.epoch) || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
}

// ---- rpm ----

interface RpmVersion {
  epoch: string;
  version: string;
  release: string;
}

function parseRpm(evr: string): RpmVersion {
  // rpm's parseEVR: an epoch is a (possibly empty) digit run ended by ':'.
  const digits = digitRunEnd(evr, 0);
  let epoch = "0";
  let rest = evr;
  if (evr.charCodeAt(digits) === COLON) {
    epoch = evr.slice(0, digits);
    rest = evr.slice(digits + 1);
  }
  const hyphen = rest.lastIndexOf("-");
  if (hyphen < 0) return { epoch, version: rest, release: "" };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

const END = -1;
const codeAt = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : END);
const isRpmSeparator = (c: number) => c !== END && !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;

function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (isRpmSeparator(codeAt(a, i))) i++;
    while (isRpmSeparator(codeAt(b, j))) j++;
    const ca = codeAt(a, i);
    const cb = codeAt(b, j);

    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (ca === END) return -1;
      if (cb === END) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === END || cb === END) break;

    const numeric = isDigit(ca);
    const inSegment = numeric ? isDigit : isAlpha;
    let ie = i;
    while (ie < a.length && inSegment(a.charCodeAt(ie))) ie++;
    let je = j;
    while (je < b.length && inSegment(b.charCodeAt(je))) je++;
    // Different segment kinds: the numeric one is newer.
    if (je === j) return numeric ? 1 : -1;
    const rc = numeric ? compareDigitRuns(a.slice(i, ie), b.slice(j, je)) : compareText(a.slice(i, ie), b.slice(j, je));
    if (rc !== 0) return rc;
    i = ie;
    j = je;
  }
  const aDone = i >= a.length;
  const bDone = j >= b.length;
  if (aDone && bDone) return 0;
  return aDone ? -1 : 1;
}

function compareRpm(a: string, b: string): number {
  const x = parseRpm(a);
  const y = parseRpm(b);
  return compareDigitRuns(x.epoch, y.epoch) || rpmvercmp(x.version, y.version) || rpmvercmp(x.release, y.release);
}

// ---- dotted ----

const PRE_RELEASE = /^(?:-|alpha|beta|rc|pre|dev|[ab](?![a-z]))/;

function dottedComponents(version: string): string[] {
  let s = version.replace(/\([^)]*(?:\)|$)/g, " ");
  const plus = s.indexOf("+");
  if (plus >= 0) s = s.slice(0, plus);
  return s.trim().split(".");
}

/** Pre-release tail 0, no tail 1, any other tail 2. */
function tailRank(tail: string): number {
  if (tail === "") return 1;
  return PRE_RELEASE.test(tail) ? 0 : 2;
}

function compareNatural(a: string, b: string): number {
  const x = a.match(/\d+|\D+/g) ?? [];
  const y = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const p = x[k] ?? "";
    const q = y[k] ?? "";
    const pNum = isDigit(p.charCodeAt(0));
    const qNum = isDigit(q.charCodeAt(0));
    if (pNum !== qNum) return pNum ? -1 : 1;
    const rc = pNum ? compareDigitRuns(p, q) : compareText(p, q);
    if (rc !== 0) return rc;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareComponent(a: string, b: string): number {
  const x = a.trim();
  const y = b.trim();
  const xe = digitRunEnd(x, 0);
  const ye = digitRunEnd(y, 0);
  const byNumber = compareDigitRuns(x.slice(0, xe), y.slice(0, ye));
  if (byNumber !== 0) return byNumber;
  const xTail = x.slice(xe).trimStart().toLowerCase();
  const yTail = y.slice(ye).trimStart().toLowerCase();
  const xRank = tailRank(xTail);
  const yRank = tailRank(yTail);
  if (xRank !== yRank) return xRank < yRank ? -1 : 1;
  return compareNatural(xTail, yTail);
}

function compareDotted(a: string, b: string): number {
  const x = dottedComponents(a);
  const y = dottedComponents(b);
  const n = Math.max(x.length, y.length);
  for (let k = 0; k < n; k++) {
    const rc = compareComponent(x[k] ?? "", y[k] ?? "");
    if (rc !== 0) return rc;
  }
  return compareText(a, b);
}
