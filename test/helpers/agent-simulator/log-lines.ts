import { JsonObject, writeJson, type JsonValue } from "./json.js";
import type { SqlRow } from "./sql.js";
import { atLeast } from "./version.js";

/** osquery's getAsciiTime: asctime() in UTC with " UTC" ("Fri Oct  6 18:13:04 2023 UTC"). */
export function asciiTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][d.getUTCDay()]!;
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()]!;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, " ")} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()} UTC`;
}

export const Severity = { INFO: 0, WARNING: 1, ERROR: 2 } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export interface StatusLine {
  severity: Severity;
  filename: string;
  line: number;
  message: string;
}

/**
 * A status line as BufferedLogForwarder::logStatus buffers it (plugins/logger/buffered.cpp). Before 5.10 it
 * was built with boost's ptree, which writes every value as a string.
 */
export function statusLineJson(status: StatusLine, context: { hostIdentifier: string; unixTime: number; version: string; decorations: ReadonlyMap<string, string> }): string {
  const typed = atLeast(context.version, "5.10.0");
  const line = new JsonObject()
    .addCopy("hostIdentifier", context.hostIdentifier)
    .addCopy("calendarTime", asciiTime(context.unixTime))
    .addCopy("unixTime", typed ? context.unixTime : String(context.unixTime))
    .addCopy("severity", typed ? status.severity : String(status.severity))
    .addCopy("filename", status.filename)
    .addCopy("line", typed ? status.line : String(status.line))
    .addCopy("message", status.message)
    .addCopy("version", context.version);
  if (context.decorations.size > 0) line.addCopy("decorations", decorationsObject(context.decorations));
  return writeJson(line);
}

export interface ResultContext {
  name: string;
  hostIdentifier: string;
  unixTime: number;
  epoch: number;
  counter: number;
  decorations: ReadonlyMap<string, string>;
}

function decorationsObject(decorations: ReadonlyMap<string, string>): JsonObject {
  const object = new JsonObject();
  for (const key of [...decorations.keys()].sort(byteOrder)) object.addCopy(key, decorations.get(key)!);
  return object;
}

export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** A result row as osquery logs it: a std::map, so keys in byte order; values strings (numerics off). */
export function rowObject(row: SqlRow): JsonObject {
  const object = new JsonObject();
  for (const key of [...row.keys()].sort(byteOrder)) object.addCopy(key, row.get(key)!);
  return object;
}

/** addLegacyFieldsAndDecorations (osquery/core/query.cpp). */
function addCommon(object: JsonObject, context: ResultContext): JsonObject {
  object
    .addCopy("name", context.name)
    .addCopy("hostIdentifier", context.hostIdentifier)
    .addCopy("calendarTime", asciiTime(context.unixTime))
    .addCopy("unixTime", context.unixTime)
    .addCopy("epoch", context.epoch)
    .addCopy("counter", context.counter)
    .addCopy("numerics", false);
  if (context.decorations.size > 0) object.addCopy("decorations", decorationsObject(context.decorations));
  return object;
}

/** A snapshot query's result: one line with every row (`--logger_snapshot_event_type=false`, the default). */
export function snapshotLine(rows: readonly SqlRow[], context: ResultContext): string {
  const object = new JsonObject().addCopy("snapshot", rows.map(rowObject)).addCopy("action", "snapshot");
  return writeJson(addCommon(object, context));
}

/** Event format (`--logger_event_type=true`, the default): one line per row, removed rows first. */
export function eventLines(diff: { removed: readonly SqlRow[]; added: readonly SqlRow[] }, context: ResultContext, snapshotAction = false): string[] {
  const lines: string[] = [];
  const emit = (rows: readonly SqlRow[], action: string) => {
    for (const row of rows) {
      const object = addCommon(new JsonObject(), context);
      object.addCopy("columns", rowObject(row)).addCopy("action", action);
      lines.push(writeJson(object));
    }
  };
  if (snapshotAction) emit(diff.added, "snapshot");
  else {
    emit(diff.removed, "removed");
    emit(diff.added, "added");
  }
  return lines;
}

/** Batch format (`--logger_event_type=false`): `{"diffResults":{"removed":[…],"added":[…]}, …}`. */
export function batchLine(diff: { removed: readonly SqlRow[]; added: readonly SqlRow[] }, context: ResultContext): string {
  const results = new JsonObject().addCopy("removed", diff.removed.map(rowObject)).addCopy("added", diff.added.map(rowObject));
  return writeJson(addCommon(new JsonObject().addCopy("diffResults", results), context));
}

export type { JsonValue };
