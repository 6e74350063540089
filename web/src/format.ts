const UNITS: [unit: Intl.RelativeTimeFormatUnit, seconds: number][] = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "3 minutes ago", "just now", "in 2 hours" (a clock ahead of ours). */
export function relativeTime(iso: string, now: number, locale = "en"): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((then - now) / 1000);
  if (Math.abs(seconds) < 10) return "just now";
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}

/** An exact instant for a title attribute: 2026-12-01 00:10:05 UTC. */
export function exactTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "macOS 14.5 (darwin)"; the parts that are known. */
export function platformLabel(platform: string | null | undefined, osName: string | null | undefined, osVersion: string | null | undefined): string {
  const os = [osName, osVersion].filter(Boolean).join(" ");
  if (os && platform) return `${os} (${platform})`;
  return os || platform || "unknown";
}

/** "1 app", "2,048 apps". */
export function count(n: number, one: string, many = `${one}s`, locale = "en"): string {
  return `${n.toLocaleString(locale)} ${n === 1 ? one : many}`;
}

/** The versions of a change as a person reads them: "7.1" added, "7.0" removed, "7.0 → 7.1" otherwise. */
export function changeVersions(change: { kind: "ADDED" | "REMOVED" | "UPGRADED" | "DOWNGRADED"; fromVersion?: string | null | undefined; toVersion?: string | null | undefined }): string {
  const from = change.fromVersion ?? "—";
  const to = change.toVersion ?? "—";
  return change.kind === "ADDED" ? to : change.kind === "REMOVED" ? from : `${from} → ${to}`;
}

/** A reason as a sentence that another can follow: "no such table: foo" → "no such table: foo." */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?)]$/.test(trimmed) || trimmed === "" ? trimmed : `${trimmed}.`;
}

/**
 * A version in the pieces a narrow column may wrap between: after each dot, plus, tilde, colon or
 * underscore (a hyphen is a break already), so "0ubuntu0.22.04.4" wraps at a dot, never inside "04".
 */
export function versionPieces(version: string): string[] {
  return version.split(/(?<=[.+~:_])/);
}
