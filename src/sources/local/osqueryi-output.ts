import { isUtf8 } from "node:buffer";
import { z } from "zod";
import { badOutput } from "../../inventory/rows.js";
import type { OsqueryResult, OsqueryRow } from "../../inventory/types.js";

const rowsSchema = z.array(z.record(z.string(), z.string()));

/** More rows than any real inventory table has: a runaway or hostile output, refused before it fills memory. */
export const DEFAULT_MAX_ROWS = 200_000;

const NEWLINE = 0x0a;
const NO_ROWS: ReadonlySet<number> = new Set();

function countLines(text: string, stopAfter: number): number {
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1 && lines <= stopAfter; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

function countLineBytes(bytes: Buffer, stopAfter: number): number {
  let lines = 0;
  for (let i = bytes.indexOf(NEWLINE); i !== -1 && lines <= stopAfter; i = bytes.indexOf(NEWLINE, i + 1)) lines++;
  return lines;
}

interface Decoded {
  text: string;
  /** The text's lines (split at "\n"), when some are not valid UTF-8; null when all are. */
  lines: string[] | null;
  /** Indexes of the lines that held bytes that are not UTF-8. */
  invalidLines: number[];
}

/**
 * UTF-8 with each invalid sequence replaced by U+FFFD (the WHATWG decoder). Line by line when the
 * output is not all valid, to know which lines held the bytes: "\n" is never part of a multi-byte
 * sequence, so decoding each line gives the same text as decoding the whole.
 */
function decodeUtf8(output: Buffer, maxLines: number, tooMany: () => Error): Decoded {
  // A leading byte order mark is dropped, as TextDecoder does by default; one anywhere else is text.
  const start = output[0] === 0xef && output[1] === 0xbb && output[2] === 0xbf ? 3 : 0;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const body = output.subarray(start);
  if (isUtf8(body)) return { text: decoder.decode(body), lines: null, invalidLines: [] };
  // Refused before a string is made of each line of a flood.
  if (countLineBytes(body, maxLines) > maxLines) throw tooMany();
  const lines: string[] = [];
  const invalidLines: number[] = [];
  for (let from = 0; ; ) {
    const end = body.indexOf(NEWLINE, from);
    const line = body.subarray(from, end === -1 ? body.length : end);
    if (!isUtf8(line)) invalidLines.push(lines.length);
    lines.push(decoder.decode(line));
    if (end === -1) break;
    from = end + 1;
  }
  return { text: lines.join("\n"), lines, invalidLines };
}

// JSON's whitespace, and the comma that ends every row line but the last.
const ROW_LINE_PADDING = /^[ \t\r]+|[ \t\r]*,?[ \t\r]*$/g;

function rowAlone(line: string): unknown {
  try {
    return JSON.parse(line.replace(ROW_LINE_PADDING, ""));
  } catch {
    return undefined;
  }
}

/**
 * osqueryi prints "[", then one row a line, then "]": line n holds row n - 1. Each line that held
 * invalid bytes must hold exactly that row on its own; otherwise which rows they belong to is not
 * known exactly, and the output is refused rather than guessed at.
 */
function rowsOfLines(lines: string[], invalidLines: number[], rows: OsqueryRow[]): Set<number> {
  const refuse = () => badOutput("osqueryi printed bytes that are not UTF-8 in output that is not one row a line");
  if (lines[0]?.replace(ROW_LINE_PADDING, "") !== "[") throw refuse();
  const found = new Set<number>();
  for (const line of invalidLines) {
    const row = rows[line - 1];
    const alone = rowAlone(lines[line]!);
    if (!row || alone === null || typeof alone !== "object" || JSON.stringify(alone) !== JSON.stringify(row)) throw refuse();
    found.add(line - 1);
  }
  return found;
}

/**
 * Rows from osqueryi's --json output. Bytes that are not UTF-8 do not fail the table: they become
 * U+FFFD, and `invalidUtf8Rows` names the rows that held them.
 */
export function parseOsqueryJson(output: Buffer | string, maxRows = DEFAULT_MAX_ROWS): OsqueryResult {
  const tooMany = () => badOutput(`osqueryi returned more than ${maxRows} rows (OSQUERY_MAX_ROWS)`);
  const decoded: Decoded = typeof output === "string" ? { text: output, lines: null, invalidLines: [] } : decodeUtf8(output, maxRows + 2, tooMany);
  const { text } = decoded;
  if (text.trim() === "") throw badOutput("osqueryi printed nothing on stdout (expected a JSON array)");
  // osqueryi prints a row a line: counting lines refuses a flood without building its objects.
  if (countLines(text, maxRows + 2) > maxRows + 2) throw tooMany();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badOutput(`osqueryi printed invalid JSON: ${(error as Error).message.slice(0, 200)}`, error);
  }
  if (Array.isArray(json) && json.length > maxRows) throw tooMany();
  const rows = rowsSchema.safeParse(json);
  if (!rows.success) {
    const issue = rows.error.issues[0];
    // Column names come from the output: shortened, so a hostile one cannot bloat the reason or the logs.
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.map((p) => String(p).slice(0, 64)).join(".")}` : "";
    throw badOutput(`osqueryi printed JSON that is not an array of rows of strings${where}: ${issue?.message ?? "invalid"}`);
  }
  const invalidUtf8Rows = decoded.lines ? rowsOfLines(decoded.lines, decoded.invalidLines, rows.data) : NO_ROWS;
  return { rows: rows.data, invalidUtf8Rows };
}
