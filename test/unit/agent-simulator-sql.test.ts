import { describe, expect, it } from "vitest";
import { createSimulatedHost } from "../helpers/agent-simulator/host.js";
import { castVariant, runSql, type SqlTables } from "../helpers/agent-simulator/sql.js";
import type { ColumnSpec } from "../helpers/agent-simulator/tables.js";

const spec: ColumnSpec[] = [
  { name: "name", type: "TEXT" },
  { name: "version", type: "TEXT" },
  { name: "size", type: "BIGINT" },
  { name: "uuid", type: "TEXT", nocase: true },
  { name: "opened", type: "DOUBLE" },
  { name: "active", type: "INTEGER" },
  { name: "secret", type: "TEXT", hidden: true },
];
// Stored as osquery's tables hold them: strings, "" and unparsable numbers become NULL for SQLite.
const rows = [
  { name: "curl", version: "7.81.0-1ubuntu1.16", size: "512", uuid: "ABC-1", opened: "1714379312.01278", active: "1", secret: "s" },
  { name: "Curl", version: "8.0", size: "", uuid: "abc-2", opened: "-1.0", active: "0" },
  { name: "zsh", version: "5.8.1-1", size: "04", uuid: "Abc-3", opened: "", active: "x" },
  { name: "bash", version: "5.1-6ubuntu1", size: "2048", uuid: "", opened: "12", active: "1" },
  { name: "a_b%", version: "", size: "7", uuid: "x", opened: "0.5", active: "" },
];
const tables: SqlTables = { columns: (table) => (table === "t" ? spec : undefined), rows: () => rows };

function answer(sql: string): unknown {
  const result = runSql(sql, tables);
  if (!result.ok) return { error: result.message };
  return result.rows.map((row) => Object.fromEntries(result.columns.map((c) => [c, row.get(c)])));
}

describe("the simulator's SQL evaluator", () => {
  // Every expectation was checked against sqlite3 3.40.1 on the same rows (NULL written as ""), except
  // two places where osquery differs from the sqlite3 shell: a DOUBLE reads back with ".0" when it has no
  // dot (osquery's castVariant), and the hidden column, which `SELECT *` leaves out.
  it.each([
    ["SELECT name FROM t WHERE name = 'curl'", [{ name: "curl" }]],
    ["SELECT name FROM t WHERE name LIKE 'CURL'", [{ name: "curl" }, { name: "Curl" }]],
    ["SELECT name FROM t WHERE name LIKE 'a_b%'", [{ name: "a_b%" }]],
    ["SELECT name FROM t WHERE size = '512'", [{ name: "curl" }]],
    ["SELECT name FROM t WHERE size = 4", [{ name: "zsh" }]],
    ["SELECT name FROM t WHERE size > 100", [{ name: "curl" }, { name: "bash" }]],
    ["SELECT name, size FROM t WHERE size IS NULL", [{ name: "Curl", size: "" }]],
    ["SELECT name FROM t WHERE uuid = 'abc-1'", [{ name: "curl" }]],
    ["SELECT name FROM t WHERE uuid LIKE 'abc%' ORDER BY name", [{ name: "Curl" }, { name: "curl" }, { name: "zsh" }]],
    ["SELECT name FROM t WHERE active = true", [{ name: "curl" }, { name: "bash" }]],
    ["SELECT name FROM t WHERE active = '1'", [{ name: "curl" }, { name: "bash" }]],
    ["SELECT name, opened FROM t WHERE opened > 1", [{ name: "curl", opened: "1714379312.01278" }, { name: "bash", opened: "12.0" }]],
    ["SELECT name FROM t WHERE version LIKE '%ubuntu%' LIMIT 1", [{ name: "curl" }]],
    ["SELECT name FROM t ORDER BY name DESC LIMIT 2 OFFSET 1", [{ name: "curl" }, { name: "bash" }]],
    ["SELECT count(*) FROM t", [{ "count(*)": "5" }]],
    ["SELECT count(size) FROM t", [{ "count(size)": "4" }]],
    ["SELECT count(1) FROM t WHERE name != 'zsh'", [{ "count(1)": "4" }]],
    ["SELECT 1", [{ "1": "1" }]],
    ["SELECT 1 FROM t WHERE name = 'nope'", []],
    ["SELECT name AS n, version AS n FROM t LIMIT 1", [{ n: "7.81.0-1ubuntu1.16" }]],
    ["SELECT lower(name), upper(name) FROM t LIMIT 2", [{ "lower(name)": "curl", "upper(name)": "CURL" }, { "lower(name)": "curl", "upper(name)": "CURL" }]],
    ["SELECT coalesce(nullif(version, ''), 'none') AS v FROM t", [{ v: "7.81.0-1ubuntu1.16" }, { v: "8.0" }, { v: "5.8.1-1" }, { v: "5.1-6ubuntu1" }, { v: "none" }]],
    ["SELECT name FROM t WHERE name IN ('zsh', 'bash')", [{ name: "zsh" }, { name: "bash" }]],
    ["SELECT name FROM t WHERE name NOT IN ('zsh', 'bash')", [{ name: "curl" }, { name: "Curl" }, { name: "a_b%" }]],
    ["SELECT name FROM t WHERE NOT (active = 1)", [{ name: "Curl" }]],
    ["SELECT name FROM t WHERE active = 1 OR size = 7", [{ name: "curl" }, { name: "bash" }, { name: "a_b%" }]],
    ["SELECT name || '-' || version FROM t LIMIT 2", [{ "name || '-' || version": "curl-7.81.0-1ubuntu1.16" }, { "name || '-' || version": "Curl-8.0" }]],
    ["SELECT DISTINCT lower(name) FROM t", [{ "lower(name)": "curl" }, { "lower(name)": "zsh" }, { "lower(name)": "bash" }, { "lower(name)": "a_b%" }]],
    ["SELECT name FROM t WHERE name > 'b' ORDER BY 1", [{ name: "bash" }, { name: "curl" }, { name: "zsh" }]],
    ['SELECT name FROM t WHERE name = "curl"', [{ name: "curl" }]],
    ['SELECT "zzz" FROM t LIMIT 1', [{ '"zzz"': "zzz" }]],
    ["SELECT t.name FROM t LIMIT 1", [{ name: "curl" }]],
    ["SELECT x.name FROM t x LIMIT 1", [{ name: "curl" }]],
    ["SELECT NAME FROM t WHERE size == 2048", [{ name: "bash" }]],
    ["SELECT name FROM t WHERE opened = -1", [{ name: "Curl" }]],
    ["SELECT size FROM t WHERE name = 'zsh'", [{ size: "4" }]],
    ["SELECT name FROM t WHERE size BETWEEN 1 AND 10", [{ name: "zsh" }, { name: "a_b%" }]],
    ["SELECT opened FROM t", [{ opened: "1714379312.01278" }, { opened: "-1.0" }, { opened: "" }, { opened: "12.0" }, { opened: "0.5" }]],
    ["SELECT secret FROM t WHERE name = 'curl'", [{ secret: "s" }]],
    ["SELECT nope FROM t", { error: "no such column: nope" }],
    ["SELECT * FROM nope", { error: "no such table: nope" }],
    ["SELEC 1", { error: 'near "SELEC": syntax error' }],
    ["SELECT name FROM", { error: "incomplete input" }],
    ["SELECT foo(name) FROM t", { error: "no such function: foo" }],
    ["SELECT lower(name, 1) FROM t", { error: "wrong number of arguments to function lower()" }],
    ["SELECT name FROM t LIMIT 'a'", { error: "datatype mismatch" }],
  ])("when it runs %s, then it answers like SQLite", (sql, expected) => {
    expect(answer(sql)).toEqual(expected);
  });

  it("when SELECT * runs, then the columns are the spec's in order without the hidden one", () => {
    const result = runSql("SELECT * FROM t LIMIT 1", tables);
    expect(result.ok && result.columns).toEqual(["name", "version", "size", "uuid", "opened", "active"]);
  });

  it("when several statements run, then their rows are concatenated under the first statement's columns", () => {
    const result = runSql("SELECT name FROM t WHERE name = 'zsh'; SELECT name, version FROM t WHERE name = 'bash';", tables);
    expect(result.ok && result.columns).toEqual(["name"]);
    expect(result.ok && result.rows.map((r) => Object.fromEntries(r))).toEqual([{ name: "zsh" }, { name: "bash", version: "5.1-6ubuntu1" }]);
  });

  it("when a later statement fails, then the whole query fails and no rows are kept", () => {
    expect(runSql("SELECT name FROM t; SELECT * FROM missing;", tables)).toEqual({ ok: false, message: "no such table: missing" });
  });

  it.each([["JOIN", "SELECT name FROM t JOIN t AS u"], ["GROUP", "SELECT name FROM t GROUP BY name"], ["UNION", "SELECT 1 UNION SELECT 2"], ["WITH", "WITH x AS (SELECT 1) SELECT * FROM x"]])(
    "when the SQL uses %s, then it fails with a simulator message rather than a wrong answer",
    (_, sql) => {
      const result = runSql(sql, tables);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message).toMatch(/^simulator: unsupported SQL/);
    },
  );

  it("when the SQL is only whitespace, then it fails with SQLite's prepare message, as osquery reports it", () => {
    expect(runSql("   ", tables)).toEqual({ ok: false, message: "not an error" });
  });

  it.each([
    [null, ""],
    [3n, "3"],
    [-1, "-1.0"],
    [1714379312.01278, "1714379312.01278"],
    [0.1 + 0.2, "0.3"],
    [1e20, "1e+20.0"],
  ] as const)("when osquery's castVariant writes %s, then it reads %s", (value, text) => {
    expect(castVariant(value)).toBe(text);
  });

  it("when Fleet's table discovery runs on a host, then it finds exactly the tables that host has", () => {
    const discovery = (table: string) => `SELECT 1 FROM osquery_registry WHERE active = true AND registry = 'table' AND name = '${table}';`;
    const mac = createSimulatedHost({ platform: "darwin", seed: 1, index: 0, softwareCount: 10 });
    const ubuntu = createSimulatedHost({ platform: "ubuntu", seed: 1, index: 1, softwareCount: 10 });
    const count = (result: ReturnType<typeof runSql>) => (result.ok ? result.rows.length : -1);
    expect([count(mac.query(discovery("apps"))), count(mac.query(discovery("deb_packages")))]).toEqual([1, 0]);
    expect([count(ubuntu.query(discovery("deb_packages"))), count(ubuntu.query(discovery("rpm_packages"))), count(ubuntu.query(discovery("apps")))]).toEqual([1, 1, 0]);
  });
});
