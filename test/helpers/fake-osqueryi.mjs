#!/usr/bin/env node
// A stand-in for osqueryi used by the tests: it reads one SQL statement on stdin, like the service
// sends it, and answers from a scenario file in osqueryi's exact byte layout (osquery
// devtools/printer.cpp jsonPrint: "[\n", rows as "  {compact json}" joined by ",\n", "\n]\n"; keys
// sorted bytewise; every value a string; empty result "[\n\n]\n"; errors on stderr with exit 1).
//
// FAKE_OSQUERY_SCENARIO names a JSON file, re-read on every run so a test can change the machine
// between collections:
//   { "crlf": false,
//     "tables": { "<table>": { "fixture": "path.json" } | { "rows": [...] } | { "stdout": "raw" }
//                            | { "stdoutBase64": "raw bytes" },
//                 ...each may add "stderr", "exitCode", "delayMs", "floodBytes" } }
// A "rows" answer goes through the statement as SQLite would: rows that a `WHERE <column> LIKE
// '<pattern>'` rejects are left out, and each row keeps only the columns the statement names (all of
// them for `*`). Any other WHERE is refused (exit 2), so a test never passes on a filter it ignored.
// "fixture", "stdout" and "stdoutBase64" answers are printed byte for byte, whatever the statement.
// FAKE_OSQUERY_LOG, when set, gets one JSON line per run: {argv, sql, envKeys}.
import { appendFileSync, readFileSync } from "node:fs";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const sql = Buffer.concat(chunks).toString("utf8").trim();
if (process.env.FAKE_OSQUERY_LOG) {
  // The wrapper script adds the two FAKE_OSQUERY_* variables and its /bin/sh adds PWD; the rest is
  // what the service passed.
  const envKeys = Object.keys(process.env).filter((k) => !k.startsWith("FAKE_OSQUERY_") && k !== "PWD");
  appendFileSync(process.env.FAKE_OSQUERY_LOG, `${JSON.stringify({ argv: process.argv.slice(2), sql, envKeys })}\n`);
}
const scenario = JSON.parse(readFileSync(process.env.FAKE_OSQUERY_SCENARIO ?? "", "utf8"));
const eol = scenario.crlf ? "\r\n" : "\n";
const table = /\bfrom\s+([a-z_]+)/i.exec(sql)?.[1] ?? "";
const answer = scenario.tables?.[table];

/** SQLite's LIKE: % any run, _ one character, letters in either case; NULL (a missing column) never matches. */
function like(value, pattern) {
  if (value === undefined) return false;
  const source = [...pattern].map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))).join("");
  return new RegExp(`^${source}$`, "is").test(value);
}

/** The rows the statement selects from a table's rows (see the header). */
function select(rows) {
  const columns = /^\s*select\s+(.+?)\s+from\s/is.exec(sql)?.[1]?.split(",").map((c) => c.trim());
  const where = /\bwhere\s+(.+?)\s*;?\s*$/is.exec(sql)?.[1];
  let kept = rows;
  if (where !== undefined) {
    const clause = /^([a-z_]+)\s+like\s+'((?:[^']|'')*)'$/i.exec(where);
    if (!clause) {
      process.stderr.write(`fake-osqueryi: unsupported WHERE clause: ${where}\n`);
      process.exit(2);
    }
    const [, column, pattern] = clause;
    kept = rows.filter((row) => like(row[column], pattern.replace(/''/g, "'")));
  }
  if (!columns || columns.includes("*")) return kept;
  return kept.map((row) => Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]])));
}

function print(rows) {
  if (rows.length === 0) return `[${eol}${eol}]${eol}`;
  const lines = rows.map((row) => {
    const sorted = Object.fromEntries(Object.keys(row).sort().map((k) => [k, row[k]]));
    return `  ${JSON.stringify(sorted)}`;
  });
  return `[${eol}${lines.join(`,${eol}`)}${eol}]${eol}`;
}

if (!answer) {
  process.stdout.write(print([]));
  process.stderr.write(`Error: no such table: ${table}\n`);
  process.exit(1);
}
if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
if (answer.floodBytes) {
  const block = Buffer.alloc(64 * 1024, "x");
  let left = answer.floodBytes;
  const write = () => {
    while (left > 0) {
      left -= block.length;
      if (!process.stdout.write(block)) return void process.stdout.once("drain", write);
    }
  };
  write();
} else if (answer.stdoutBase64 !== undefined) {
  process.stdout.write(Buffer.from(answer.stdoutBase64, "base64"));
} else if (answer.stdout !== undefined) {
  process.stdout.write(answer.stdout);
} else if (answer.fixture) {
  process.stdout.write(readFileSync(answer.fixture));
} else {
  process.stdout.write(print(select(answer.rows ?? [])));
}
if (answer.stderr) process.stderr.write(answer.stderr);
process.exitCode = answer.exitCode ?? 0;
