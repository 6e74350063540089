import { z } from "zod";
import { badOutput } from "../../inventory/rows.js";
import type { OsqueryRow } from "../../inventory/types.js";

const rowsSchema = z.array(z.record(z.string(), z.string()));

/** More rows than any real inventory table has: a runaway or hostile output, refused before it fills memory. */
export const DEFAULT_MAX_ROWS = 200_000;

function countLines(text: string, stopAfter: number): number {
  let lines = 0;
  for (let i = text.indexOf("\n"); i !== -1 && lines <= stopAfter; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
}

export function parseOsqueryJson(output: Buffer | string, maxRows = DEFAULT_MAX_ROWS): OsqueryRow[] {
  const tooMany = () => badOutput(`osqueryi returned more than ${maxRows} rows (OSQUERY_MAX_ROWS)`);
  let text: string;
  try {
    text = typeof output === "string" ? output : new TextDecoder("utf-8", { fatal: true }).decode(output);
  } catch (error) {
    throw badOutput("osqueryi printed output that is not valid UTF-8", error);
  }
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
  return rows.data;
}

