import type { ColumnSpec, ColumnType } from "./tables.js";

/**
 * A small SQL evaluator for what an inventory server sends to osquery: one or more
 * `SELECT <columns|*|expressions> [FROM <table> [WHERE …] [ORDER BY …] [LIMIT n [OFFSET m]]]` statements
 * separated by `;`. It follows SQLite where it answers at all: column affinity in comparisons, NULLs,
 * ASCII case-insensitive LIKE, the nocase collation, SQLite's column names and error messages
 * (`no such table: t`, `no such column: c`, `near "x": syntax error`, `no such function: f`).
 * What it does not implement (joins, GROUP BY, sub-queries, UNION, WITH, arithmetic) fails with a
 * message starting `simulator:` rather than answering wrongly.
 *
 * Values flow as osquery's virtual tables hand them to SQLite: every stored value is a string, an
 * INTEGER/BIGINT/DOUBLE column turns "" or an unparsable string into NULL, and results come back as
 * strings the way osquery's castVariant writes them (NULL as "", doubles with 15 significant digits and
 * a ".0" when there is no dot).
 */

export interface SqlTables {
  /** Column specs of a table, or undefined when the host has no such table. */
  columns(table: string): readonly ColumnSpec[] | undefined;
  rows(table: string): Iterable<Readonly<Record<string, string>>>;
}

/** A result row as osquery holds it: a std::map, so one value per column name (the last one wins). */
export type SqlRow = ReadonlyMap<string, string>;

/**
 * The column names of a statement's rows, each name once (SQLite may name two result columns alike:
 * the row keeps the first one's place and the last one's value, as Map.set would), shared by its rows.
 */
class RowShape {
  readonly index = new Map<string, number>();
  /** For each name, the output column its value comes from. */
  readonly source: number[] = [];
  constructor(readonly outputNames: readonly string[]) {
    const names: string[] = [];
    outputNames.forEach((name, output) => {
      const at = this.index.get(name);
      if (at === undefined) {
        this.index.set(name, names.length);
        names.push(name);
        this.source.push(output);
      } else this.source[at] = output;
    });
    this.names = names;
  }
  readonly names: readonly string[];
}

/**
 * A row as a read-only map over its shape's names and its own values: one small array per row instead of a
 * Map, which matters for inventories of thousands of rows. Iterates in the names' order, as a Map built by
 * set() in column order does.
 */
class ResultRow implements ReadonlyMap<string, string> {
  constructor(
    private readonly shape: RowShape,
    /** Values in the shape's name order. */
    readonly cells: readonly string[],
  ) {}
  get size(): number {
    return this.cells.length;
  }
  get(key: string): string | undefined {
    const at = this.shape.index.get(key);
    return at === undefined ? undefined : this.cells[at];
  }
  has(key: string): boolean {
    return this.shape.index.has(key);
  }
  forEach(callback: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    this.shape.names.forEach((name, i) => callback.call(thisArg, this.cells[i]!, name, this));
  }
  *entries(): MapIterator<[string, string]> {
    for (let i = 0; i < this.cells.length; i++) yield [this.shape.names[i]!, this.cells[i]!];
  }
  keys(): MapIterator<string> {
    return this.shape.names[Symbol.iterator]() as MapIterator<string>;
  }
  values(): MapIterator<string> {
    return this.cells[Symbol.iterator]() as MapIterator<string>;
  }
  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }
}

export type SqlResult = { ok: true; columns: string[]; rows: SqlRow[] } | { ok: false; message: string };

/** INTEGER is a bigint, REAL a number, TEXT a string. */
type Value = null | bigint | number | string;
type Affinity = "TEXT" | "INTEGER" | "REAL" | "NONE";

class SqlError extends Error {}

// ---------------------------------------------------------------------------------------------- tokens

type TokenKind = "ident" | "qident" | "string" | "integer" | "real" | "op" | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  value: string;
  start: number;
  end: number;
}

const OPERATORS = ["<=", ">=", "==", "!=", "<>", "||", "=", "<", ">", "(", ")", ",", ";", "*", ".", "-", "+", "/", "%"];

function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < sql.length) {
    const c = sql[pos]!;
    if (/\s/.test(c)) {
      pos++;
      continue;
    }
    if (sql.startsWith("--", pos)) {
      const end = sql.indexOf("\n", pos);
      pos = end < 0 ? sql.length : end + 1;
      continue;
    }
    if (sql.startsWith("/*", pos)) {
      const end = sql.indexOf("*/", pos + 2);
      pos = end < 0 ? sql.length : end + 2;
      continue;
    }
    const start = pos;
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      let value = "";
      pos++;
      for (;;) {
        if (pos >= sql.length) throw new SqlError(`unrecognized token: "${sql.slice(start)}"`);
        if (sql[pos] === close) {
          if (close !== "]" && sql[pos + 1] === close) {
            value += close;
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        value += sql[pos++];
      }
      tokens.push({ kind: c === "'" ? "string" : "qident", text: sql.slice(start, pos), value, start, end: pos });
      continue;
    }
    const number = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(pos));
    if (number) {
      pos += number[0].length;
      const isReal = /[.eE]/.test(number[0]);
      tokens.push({ kind: isReal ? "real" : "integer", text: number[0], value: number[0], start, end: pos });
      continue;
    }
    const ident = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(pos));
    if (ident) {
      pos += ident[0].length;
      tokens.push({ kind: "ident", text: ident[0], value: ident[0], start, end: pos });
      continue;
    }
    const op = OPERATORS.find((o) => sql.startsWith(o, pos));
    if (op) {
      pos += op.length;
      tokens.push({ kind: "op", text: op, value: op, start, end: pos });
      continue;
    }
    throw new SqlError(`unrecognized token: "${c}"`);
  }
  tokens.push({ kind: "eof", text: "", value: "", start: sql.length, end: sql.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------- syntax

type Expr =
  | { k: "lit"; v: Value }
  | { k: "col"; table: string | undefined; name: string; dq: boolean }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "and" | "or"; l: Expr; r: Expr }
  | { k: "not"; e: Expr }
  | { k: "neg"; e: Expr }
  | { k: "like"; not: boolean; l: Expr; r: Expr }
  | { k: "in"; not: boolean; l: Expr; list: Expr[] }
  | { k: "isnull"; not: boolean; e: Expr }
  | { k: "fn"; name: string; args: Expr[]; star: boolean };

type SelectItem = { k: "star"; table: string | undefined } | { k: "expr"; e: Expr; alias: string | undefined; text: string };

interface Select {
  distinct: boolean;
  items: SelectItem[];
  from: { table: string; alias: string | undefined } | undefined;
  where: Expr | undefined;
  orderBy: Array<{ e: Expr; desc: boolean }>;
  limit: Expr | undefined;
  offset: Expr | undefined;
}

const RESERVED = new Set([
  "select", "from", "where", "and", "or", "not", "like", "in", "is", "null", "limit", "offset", "order", "by", "as",
  "distinct", "all", "group", "having", "union", "intersect", "except", "join", "inner", "left", "right", "outer",
  "cross", "natural", "on", "using", "with", "values", "case", "when", "then", "else", "end", "between", "glob",
  "regexp", "match", "escape", "exists", "asc", "desc", "collate", "window", "insert", "update", "delete",
  "create", "drop", "alter", "pragma", "attach", "detach", "begin", "commit", "rollback", "explain",
]);
// Recognised by SQLite; the simulator refuses them instead of answering wrongly.
const UNSUPPORTED = new Set([
  "group", "having", "union", "intersect", "except", "join", "inner", "left", "right", "outer", "cross", "natural",
  "with", "values", "case", "glob", "regexp", "match", "escape", "exists", "collate", "window", "insert",
  "update", "delete", "create", "drop", "alter", "pragma", "attach", "detach", "begin", "commit", "rollback", "explain",
]);

const unsupported = (what: string): never => {
  throw new SqlError(`simulator: unsupported SQL (${what})`);
};

class Parser {
  private i = 0;
  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.i++;
    return token;
  }
  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "ident" && token.value.toLowerCase() === word;
  }
  private acceptKeyword(word: string): boolean {
    if (!this.isKeyword(word)) return false;
    this.i++;
    return true;
  }
  private isOp(op: string): boolean {
    const token = this.peek();
    return token.kind === "op" && token.value === op;
  }
  private acceptOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.i++;
    return true;
  }
  private syntaxError(): never {
    const token = this.peek();
    if (token.kind === "eof") throw new SqlError("incomplete input");
    const word = token.kind === "ident" ? token.value.toLowerCase() : "";
    if (UNSUPPORTED.has(word)) unsupported(word.toUpperCase());
    throw new SqlError(`near "${token.text}": syntax error`);
  }
  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word)) this.syntaxError();
  }
  private expectOp(op: string): void {
    if (!this.acceptOp(op)) this.syntaxError();
  }
  private name(): string {
    const token = this.peek();
    if (token.kind === "qident" || (token.kind === "ident" && !RESERVED.has(token.value.toLowerCase()))) {
      this.i++;
      return token.value;
    }
    return this.syntaxError();
  }

  /** Skips empty statements; undefined at the end of the input. */
  atStatementStart(): boolean {
    while (this.acceptOp(";")) {
      /* empty statement */
    }
    return this.peek().kind !== "eof";
  }

  /** Parses one statement and the `;` (or end) after it. */
  statement(): Select {
    const select = this.select();
    if (this.peek().kind !== "eof" && !this.acceptOp(";")) this.syntaxError();
    return select;
  }

  private select(): Select {
    this.expectKeyword("select");
    const distinct = this.acceptKeyword("distinct");
    if (!distinct) this.acceptKeyword("all");
    const items: SelectItem[] = [];
    do {
      items.push(this.selectItem());
    } while (this.acceptOp(","));
    let from: Select["from"];
    if (this.acceptKeyword("from")) {
      if (this.isOp("(")) unsupported("sub-query in FROM");
      const table = this.name();
      let alias: string | undefined;
      if (this.acceptKeyword("as")) alias = this.name();
      else if (this.peek().kind === "qident" || (this.peek().kind === "ident" && !RESERVED.has(this.peek().value.toLowerCase()))) alias = this.name();
      if (this.isOp(",")) unsupported("join");
      from = { table, alias };
    }
    const where = this.acceptKeyword("where") ? this.expr() : undefined;
    const orderBy: Select["orderBy"] = [];
    if (this.acceptKeyword("order")) {
      this.expectKeyword("by");
      do {
        const e = this.expr();
        const desc = this.acceptKeyword("desc");
        if (!desc) this.acceptKeyword("asc");
        orderBy.push({ e, desc });
      } while (this.acceptOp(","));
    }
    let limit: Expr | undefined;
    let offset: Expr | undefined;
    if (this.acceptKeyword("limit")) {
      limit = this.expr();
      if (this.acceptKeyword("offset")) offset = this.expr();
      else if (this.acceptOp(",")) {
        // LIMIT a, b means OFFSET a LIMIT b.
        offset = limit;
        limit = this.expr();
      }
    }
    return { distinct, items, from, where, orderBy, limit, offset };
  }

  private selectItem(): SelectItem {
    if (this.acceptOp("*")) return { k: "star", table: undefined };
    if ((this.peek().kind === "ident" || this.peek().kind === "qident") && this.peek(1).kind === "op" && this.peek(1).value === "." && this.peek(2).value === "*" && this.peek(2).kind === "op") {
      const table = this.next().value;
      this.next();
      this.next();
      return { k: "star", table };
    }
    const start = this.peek().start;
    const e = this.expr();
    const text = this.sql.slice(start, this.tokens[this.i - 1]!.end);
    let alias: string | undefined;
    if (this.acceptKeyword("as")) alias = this.aliasName();
    else if (this.peek().kind === "qident" || this.peek().kind === "string" || (this.peek().kind === "ident" && !RESERVED.has(this.peek().value.toLowerCase()))) alias = this.aliasName();
    return { k: "expr", e, alias, text };
  }

  private aliasName(): string {
    if (this.peek().kind === "string") return this.next().value;
    return this.name();
  }

  expr(): Expr {
    return this.or();
  }
  private or(): Expr {
    let l = this.and();
    while (this.acceptKeyword("or")) l = { k: "or", l, r: this.and() };
    return l;
  }
  private and(): Expr {
    let l = this.not();
    while (this.acceptKeyword("and")) l = { k: "and", l, r: this.not() };
    return l;
  }
  private not(): Expr {
    if (this.acceptKeyword("not")) return { k: "not", e: this.not() };
    return this.comparison();
  }
  private comparison(): Expr {
    let l = this.concat();
    for (;;) {
      const token = this.peek();
      if (token.kind === "op" && ["=", "==", "!=", "<>", "<", "<=", ">", ">="].includes(token.value)) {
        this.i++;
        const op = token.value === "==" ? "=" : token.value === "<>" ? "!=" : token.value;
        l = { k: "bin", op, l, r: this.concat() };
        continue;
      }
      if (this.isKeyword("is")) {
        this.i++;
        const not = this.acceptKeyword("not");
        if (this.acceptKeyword("null")) {
          l = { k: "isnull", not, e: l };
          continue;
        }
        l = { k: "bin", op: not ? "is not" : "is", l, r: this.concat() };
        continue;
      }
      if (this.isKeyword("isnull") || this.isKeyword("notnull")) {
        const not = this.next().value.toLowerCase() === "notnull";
        l = { k: "isnull", not, e: l };
        continue;
      }
      const not = this.isKeyword("not") && (this.isKeyword("like", 1) || this.isKeyword("in", 1) || this.isKeyword("null", 1) || this.isKeyword("between", 1));
      if (not) this.i++;
      if (this.acceptKeyword("between")) {
        const low = this.concat();
        this.expectKeyword("and");
        const high = this.concat();
        const within: Expr = { k: "and", l: { k: "bin", op: ">=", l, r: low }, r: { k: "bin", op: "<=", l, r: high } };
        l = not ? { k: "not", e: within } : within;
        continue;
      }
      if (this.acceptKeyword("like")) {
        l = { k: "like", not, l, r: this.concat() };
        if (this.isKeyword("escape")) unsupported("LIKE ... ESCAPE");
        continue;
      }
      if (this.acceptKeyword("in")) {
        this.expectOp("(");
        if (this.isKeyword("select")) unsupported("sub-query in IN");
        const list: Expr[] = [];
        if (!this.isOp(")")) {
          do {
            list.push(this.expr());
          } while (this.acceptOp(","));
        }
        this.expectOp(")");
        l = { k: "in", not, l, list };
        continue;
      }
      if (not && this.acceptKeyword("null")) {
        l = { k: "isnull", not: true, e: l };
        continue;
      }
      return l;
    }
  }
  private concat(): Expr {
    let l = this.unary();
    for (;;) {
      if (this.acceptOp("||")) {
        l = { k: "bin", op: "||", l, r: this.unary() };
        continue;
      }
      const token = this.peek();
      if (token.kind === "op" && ["+", "-", "*", "/", "%"].includes(token.value)) unsupported(`arithmetic operator ${token.value}`);
      return l;
    }
  }
  private unary(): Expr {
    if (this.acceptOp("-")) return { k: "neg", e: this.unary() };
    if (this.acceptOp("+")) return this.unary();
    return this.primary();
  }
  private primary(): Expr {
    const token = this.peek();
    if (token.kind === "integer") {
      this.i++;
      return { k: "lit", v: BigInt(token.value) };
    }
    if (token.kind === "real") {
      this.i++;
      return { k: "lit", v: Number(token.value) };
    }
    if (token.kind === "string") {
      this.i++;
      return { k: "lit", v: token.value };
    }
    if (this.acceptOp("(")) {
      if (this.isKeyword("select")) unsupported("sub-query");
      const e = this.expr();
      this.expectOp(")");
      return e;
    }
    if (token.kind === "ident") {
      const word = token.value.toLowerCase();
      if (word === "null") {
        this.i++;
        return { k: "lit", v: null };
      }
      if (word === "true" || word === "false") {
        this.i++;
        return { k: "lit", v: word === "true" ? 1n : 0n };
      }
      if (this.peek(1).kind === "op" && this.peek(1).value === "(" && !RESERVED.has(word)) {
        this.i += 2;
        if (this.acceptOp("*")) {
          this.expectOp(")");
          return { k: "fn", name: word, args: [], star: true };
        }
        if (this.acceptKeyword("distinct")) unsupported("DISTINCT in a function");
        const args: Expr[] = [];
        if (!this.isOp(")")) {
          do {
            args.push(this.expr());
          } while (this.acceptOp(","));
        }
        this.expectOp(")");
        return { k: "fn", name: word, args, star: false };
      }
    }
    if (token.kind === "ident" || token.kind === "qident") {
      if (token.kind === "ident" && RESERVED.has(token.value.toLowerCase())) this.syntaxError();
      this.i++;
      if (this.isOp(".")) {
        this.i++;
        const name = this.name();
        return { k: "col", table: token.value, name, dq: false };
      }
      return { k: "col", table: undefined, name: token.value, dq: token.kind === "qident" && token.text.startsWith('"') };
    }
    return this.syntaxError();
  }
}

// ---------------------------------------------------------------------------------------------- values

const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const REAL_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** What osquery's DynamicTableRow::get_column hands SQLite for a stored string. */
function fromStored(raw: string | undefined, type: ColumnType): Value {
  if (raw === undefined) return null;
  if (type === "TEXT") return raw;
  if (raw === "") return null;
  if (type === "DOUBLE") {
    const n = Number(raw);
    return REAL_TEXT.test(raw) && Number.isFinite(n) ? n : null;
  }
  return /^[+-]?\d+$/.test(raw) ? BigInt(raw) : null;
}

/** `%.15g` as C++ streams print it with setprecision(15). */
function formatG15(d: number): string {
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  if (!Number.isFinite(d)) return d > 0 ? "inf" : d < 0 ? "-inf" : "nan";
  const exponent = Math.floor(Math.log10(Math.abs(Number(d.toPrecision(15)))));
  if (exponent < -4 || exponent >= 15) {
    const [mantissa, exp] = d.toExponential(14).split("e") as [string, string];
    const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
    const sign = exp.startsWith("-") ? "-" : "+";
    return `${trimmed}e${sign}${exp.replace(/^[+-]/, "").padStart(2, "0")}`;
  }
  const fixed = d.toFixed(Math.max(0, 14 - exponent));
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/** osquery's castVariant: how a SQLite value becomes the string in a result row. */
export function castVariant(value: Value): string {
  if (value === null) return "";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    const s = formatG15(value);
    return s.includes(".") ? s : `${s}.0`;
  }
  return value;
}

/** SQLite's own REAL to TEXT conversion (in comparisons and ||): "%!.15g". */
function realToText(d: number): string {
  const s = formatG15(d);
  return /[.e]/.test(s) || !Number.isFinite(d) ? s.replace(/^(-?\d+)e/, "$1.0e") : `${s}.0`;
}

function toText(value: Value): string | null {
  if (value === null) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return realToText(value);
  return value;
}

function applyNumericAffinity(value: Value): Value {
  if (typeof value !== "string") return value;
  if (INTEGER_TEXT.test(value)) {
    const n = BigInt(value.trim());
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return n;
  }
  if (REAL_TEXT.test(value)) return Number(value);
  return value;
}

function applyTextAffinity(value: Value): Value {
  return typeof value === "bigint" || typeof value === "number" ? toText(value) : value;
}

function truthy(value: Value): boolean | null {
  if (value === null) return null;
  if (typeof value === "bigint") return value !== 0n;
  if (typeof value === "number") return value !== 0;
  const numeric = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(value);
  return numeric ? Number(numeric[0]) !== 0 : false;
}

const typeRank = (value: Exclude<Value, null>) => (typeof value === "string" ? 1 : 0);

function compareValues(a: Exclude<Value, null>, b: Exclude<Value, null>, nocase: boolean): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "string" && typeof b === "string") {
    const x = nocase ? a.replace(/[A-Z]/g, (c) => c.toLowerCase()) : a;
    const y = nocase ? b.replace(/[A-Z]/g, (c) => c.toLowerCase()) : b;
    const bx = Buffer.from(x);
    const by = Buffer.from(y);
    return Buffer.compare(bx, by);
  }
  const x = a as bigint | number;
  const y = b as bigint | number;
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
  let source = "";
  for (const c of pattern) {
    if (c === "%") source += "[\\s\\S]*";
    else if (c === "_") source += "[\\s\\S]";
    else if (/[a-zA-Z]/.test(c)) source += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "u");
}

// ---------------------------------------------------------------------------------------------- evaluation

interface Scope {
  table: string | undefined;
  alias: string | undefined;
  columns: readonly ColumnSpec[];
  byName: Map<string, ColumnSpec>;
}

interface Bound {
  /** Expression with column references resolved; `aliasOf` marks a reference to a result column alias. */
  eval(row: Readonly<Record<string, string>> | undefined, aliases?: ReadonlyMap<string, Value>): Value;
  affinity: Affinity;
  nocase: boolean;
  aggregate: boolean;
  /** Set on count(): its argument, or null for count(*). */
  count?: Bound | null;
  /** Set on plain column references: the output string straight from the stored one. */
  direct?: (row: Readonly<Record<string, string>>) => string;
}

const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

const SCALARS: Record<string, { min: number; max: number; fn: (args: Value[]) => Value }> = {
  lower: { min: 1, max: 1, fn: ([v]) => (v === null || v === undefined ? null : toText(v)!.replace(/[A-Z]/g, (c) => c.toLowerCase())) },
  upper: { min: 1, max: 1, fn: ([v]) => (v === null || v === undefined ? null : toText(v)!.replace(/[a-z]/g, (c) => c.toUpperCase())) },
  length: { min: 1, max: 1, fn: ([v]) => (v === null || v === undefined ? null : BigInt([...toText(v)!].length)) },
  trim: { min: 1, max: 1, fn: ([v]) => (v === null || v === undefined ? null : toText(v)!.replace(/^ +| +$/g, "")) },
  coalesce: { min: 2, max: Infinity, fn: (args) => args.find((a) => a !== null) ?? null },
  ifnull: { min: 2, max: 2, fn: (args) => args.find((a) => a !== null) ?? null },
  nullif: {
    min: 2,
    max: 2,
    fn: ([a, b]) => (a === null || a === undefined || b === null || b === undefined ? (a ?? null) : compareValues(a, b, false) === 0 ? null : a),
  },
};

function bind(expr: Expr, scope: Scope, resultAliases: ReadonlyMap<string, Expr> | undefined): Bound {
  switch (expr.k) {
    case "lit":
      return { eval: () => expr.v, affinity: "NONE", nocase: false, aggregate: false };
    case "col": {
      if (expr.table !== undefined) {
        const t = expr.table.toLowerCase();
        if (t !== scope.table?.toLowerCase() && t !== scope.alias?.toLowerCase()) throw new SqlError(`no such column: ${expr.table}.${expr.name}`);
      }
      const spec = scope.byName.get(expr.name.toLowerCase());
      if (spec) {
        const name = spec.name;
        const affinity: Affinity = spec.type === "TEXT" ? "TEXT" : spec.type === "DOUBLE" ? "REAL" : "INTEGER";
        const type = spec.type;
        const direct =
          type === "TEXT"
            ? (row: Readonly<Record<string, string>>) => row[name] ?? ""
            : (row: Readonly<Record<string, string>>) => {
                const raw = row[name];
                return raw !== undefined && type !== "DOUBLE" && CANONICAL_INTEGER.test(raw) && raw.length < 16 ? raw : castVariant(fromStored(raw, type));
              };
        return { eval: (row) => fromStored(row?.[name], type), affinity, nocase: spec.nocase === true, aggregate: false, direct };
      }
      const aliased = expr.table === undefined ? resultAliases?.get(expr.name.toLowerCase()) : undefined;
      if (aliased) {
        const target = bind(aliased, scope, undefined);
        return target;
      }
      // SQLite reads an unknown "double-quoted" name as a string literal.
      if (expr.dq) return { eval: () => expr.name, affinity: "NONE", nocase: false, aggregate: false };
      throw new SqlError(`no such column: ${expr.table !== undefined ? `${expr.table}.` : ""}${expr.name}`);
    }
    case "neg": {
      const e = bind(expr.e, scope, resultAliases);
      return {
        eval: (row, a) => {
          const v = applyNumericAffinity(e.eval(row, a));
          if (v === null) return null;
          if (typeof v === "bigint") return -v;
          if (typeof v === "number") return -v;
          return 0n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: e.aggregate,
      };
    }
    case "not": {
      const e = bind(expr.e, scope, resultAliases);
      return {
        eval: (row, a) => {
          const t = truthy(e.eval(row, a));
          return t === null ? null : t ? 0n : 1n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: e.aggregate,
      };
    }
    case "and":
    case "or": {
      const l = bind(expr.l, scope, resultAliases);
      const r = bind(expr.r, scope, resultAliases);
      const isAnd = expr.k === "and";
      return {
        eval: (row, a) => {
          const x = truthy(l.eval(row, a));
          if (isAnd && x === false) return 0n;
          if (!isAnd && x === true) return 1n;
          const y = truthy(r.eval(row, a));
          if (isAnd) return y === false ? 0n : x === null || y === null ? null : 1n;
          return y === true ? 1n : x === null || y === null ? null : 0n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: l.aggregate || r.aggregate,
      };
    }
    case "isnull": {
      const e = bind(expr.e, scope, resultAliases);
      return { eval: (row, a) => ((e.eval(row, a) === null) !== expr.not ? 1n : 0n), affinity: "NONE", nocase: false, aggregate: e.aggregate };
    }
    case "bin": {
      const l = bind(expr.l, scope, resultAliases);
      const r = bind(expr.r, scope, resultAliases);
      if (expr.op === "||") {
        return {
          eval: (row, a) => {
            const x = toText(l.eval(row, a));
            const y = toText(r.eval(row, a));
            return x === null || y === null ? null : x + y;
          },
          affinity: "NONE",
          nocase: false,
          aggregate: l.aggregate || r.aggregate,
        };
      }
      const compare = comparator(l, r);
      const op = expr.op;
      return {
        eval: (row, a) => {
          const x = l.eval(row, a);
          const y = r.eval(row, a);
          if (op === "is" || op === "is not") {
            const same = x === null || y === null ? x === y : compare(x, y) === 0;
            return same === (op === "is") ? 1n : 0n;
          }
          if (x === null || y === null) return null;
          const c = compare(x, y);
          const result = op === "=" ? c === 0 : op === "!=" ? c !== 0 : op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
          return result ? 1n : 0n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: l.aggregate || r.aggregate,
      };
    }
    case "like": {
      const l = bind(expr.l, scope, resultAliases);
      const r = bind(expr.r, scope, resultAliases);
      const cache = new Map<string, RegExp>();
      return {
        eval: (row, a) => {
          const x = toText(l.eval(row, a));
          const y = toText(r.eval(row, a));
          if (x === null || y === null) return null;
          let re = cache.get(y);
          if (!re) cache.set(y, (re = likeToRegExp(y)));
          return re.test(x) !== expr.not ? 1n : 0n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: l.aggregate || r.aggregate,
      };
    }
    case "in": {
      const l = bind(expr.l, scope, resultAliases);
      const list = expr.list.map((e) => bind(e, scope, resultAliases));
      const compares = list.map((item) => comparator(l, item));
      return {
        eval: (row, a) => {
          const x = l.eval(row, a);
          if (x === null) return list.length === 0 ? (expr.not ? 1n : 0n) : null;
          let sawNull = false;
          for (let i = 0; i < list.length; i++) {
            const y = list[i]!.eval(row, a);
            if (y === null) sawNull = true;
            else if (compares[i]!(x, y) === 0) return expr.not ? 0n : 1n;
          }
          return sawNull ? null : expr.not ? 1n : 0n;
        },
        affinity: "NONE",
        nocase: false,
        aggregate: l.aggregate || list.some((b) => b.aggregate),
      };
    }
    case "fn": {
      if (expr.name === "count") {
        if (!expr.star && expr.args.length !== 1) throw new SqlError("wrong number of arguments to function count()");
        const arg = expr.star ? undefined : bind(expr.args[0]!, scope, resultAliases);
        // Aggregates are evaluated over all rows by runSelect, never row by row.
        return {
          eval: () => unsupported("count() inside an expression"),
          affinity: "NONE",
          nocase: false,
          aggregate: true,
          count: arg ?? null,
        };
      }
      const scalar = SCALARS[expr.name];
      if (!scalar) throw new SqlError(`no such function: ${expr.name}`);
      if (expr.star || expr.args.length < scalar.min || expr.args.length > scalar.max) throw new SqlError(`wrong number of arguments to function ${expr.name}()`);
      const args = expr.args.map((e) => bind(e, scope, resultAliases));
      return {
        eval: (row, a) => scalar.fn(args.map((arg) => arg.eval(row, a))),
        affinity: "NONE",
        nocase: args.some((arg) => arg.nocase) && (expr.name === "coalesce" || expr.name === "ifnull" || expr.name === "nullif"),
        aggregate: args.some((arg) => arg.aggregate),
      };
    }
  }
}

/** SQLite's comparison with affinity conversion (datatype3.html §4.2) and the left operand's collation first. */
function comparator(l: Bound, r: Bound): (x: Exclude<Value, null>, y: Exclude<Value, null>) => number {
  const numeric = (a: Affinity) => a === "INTEGER" || a === "REAL";
  const nocase = l.nocase || r.nocase;
  return (x, y) => {
    let a: Value = x;
    let b: Value = y;
    if (numeric(l.affinity) && !numeric(r.affinity)) b = applyNumericAffinity(b);
    else if (numeric(r.affinity) && !numeric(l.affinity)) a = applyNumericAffinity(a);
    else if (l.affinity === "TEXT" && r.affinity === "NONE") b = applyTextAffinity(b);
    else if (r.affinity === "TEXT" && l.affinity === "NONE") a = applyTextAffinity(a);
    return compareValues(a as Exclude<Value, null>, b as Exclude<Value, null>, nocase);
  };
}

interface OutputColumn {
  name: string;
  bound: Bound;
}

function runSelect(select: Select, tables: SqlTables): { columns: string[]; rows: SqlRow[] } {
  let scope: Scope = { table: undefined, alias: undefined, columns: [], byName: new Map() };
  let source: Iterable<Readonly<Record<string, string>>> = [{}];
  if (select.from) {
    const columns = tables.columns(select.from.table);
    if (!columns) throw new SqlError(`no such table: ${select.from.table}`);
    scope = { table: select.from.table, alias: select.from.alias, columns, byName: new Map(columns.map((c) => [c.name.toLowerCase(), c])) };
    source = tables.rows(select.from.table);
  }

  const aliasExprs = new Map<string, Expr>();
  for (const item of select.items) if (item.k === "expr" && item.alias !== undefined) aliasExprs.set(item.alias.toLowerCase(), item.e);

  const outputs: OutputColumn[] = [];
  for (const item of select.items) {
    if (item.k === "star") {
      if (!select.from) throw new SqlError("no tables specified");
      if (item.table !== undefined && item.table.toLowerCase() !== scope.table!.toLowerCase() && item.table.toLowerCase() !== scope.alias?.toLowerCase()) {
        throw new SqlError(`no such table: ${item.table}`);
      }
      for (const column of scope.columns) {
        if (column.hidden) continue;
        outputs.push({ name: column.name, bound: bind({ k: "col", table: undefined, name: column.name, dq: false }, scope, undefined) });
      }
      continue;
    }
    const bound = bind(item.e, scope, undefined);
    // SQLite names a plain column reference after the table's column, anything else after its text.
    const name =
      item.alias ??
      (item.e.k === "col" && scope.byName.has(item.e.name.toLowerCase()) ? scope.byName.get(item.e.name.toLowerCase())!.name : item.text);
    outputs.push({ name, bound });
  }
  const where = select.where ? bind(select.where, scope, aliasExprs) : undefined;
  if (where?.aggregate) throw new SqlError("misuse of aggregate function count()");
  const order = select.orderBy.map(({ e, desc }) => ({ bound: bindOrderTerm(e, scope, aliasExprs, outputs), desc }));
  const limitValue = select.limit ? evalConstant(select.limit) : -1n;
  const offsetValue = select.offset ? evalConstant(select.offset) : 0n;

  let matched: Array<Readonly<Record<string, string>>> = [];
  for (const row of source) {
    if (!where || truthy(where.eval(row)) === true) matched.push(row);
  }

  const aggregate = outputs.some((o) => o.bound.aggregate);
  let rows: Value[][];
  if (aggregate) {
    const last = matched[matched.length - 1];
    rows = [outputs.map((o) => evalAggregate(o.bound, matched, last))];
  } else {
    if (order.length > 0) {
      const keyed = matched.map((row) => ({ row, keys: order.map((o) => o.bound.eval(row)) }));
      keyed.sort((x, y) => {
        for (let i = 0; i < order.length; i++) {
          const a = x.keys[i]!;
          const b = y.keys[i]!;
          const c = a === null || b === null ? (a === b ? 0 : a === null ? -1 : 1) : compareValues(a, b, order[i]!.bound.nocase);
          if (c !== 0) return order[i]!.desc ? -c : c;
        }
        return 0;
      });
      matched = keyed.map((k) => k.row);
    }
    if (!select.distinct && outputs.every((o) => o.bound.direct)) {
      const start = Number(offsetValue < 0n ? 0n : offsetValue);
      const window = limitValue < 0n ? matched.slice(start) : matched.slice(start, start + Number(limitValue));
      const shape = new RowShape(outputs.map((o) => o.name));
      const directs = shape.source.map((output) => outputs[output]!.bound.direct!);
      return {
        columns: outputs.map((o) => o.name),
        rows: window.map((row) => {
          const cells = new Array<string>(directs.length);
          for (let i = 0; i < directs.length; i++) cells[i] = directs[i]!(row);
          return new ResultRow(shape, cells);
        }),
      };
    }
    rows = matched.map((row) => outputs.map((o) => o.bound.eval(row)));
  }
  if (select.distinct) {
    const seen = new Set<string>();
    rows = rows.filter((values) => {
      const key = JSON.stringify(values.map((v) => (typeof v === "bigint" ? `i${v}` : typeof v === "number" ? `r${v}` : v)));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  const start = Number(offsetValue < 0n ? 0n : offsetValue);
  rows = limitValue < 0n ? rows.slice(start) : rows.slice(start, start + Number(limitValue));

  const shape = new RowShape(outputs.map((o) => o.name));
  return {
    columns: outputs.map((o) => o.name),
    rows: rows.map((values) => new ResultRow(shape, shape.source.map((output) => castVariant(values[output]!)))),
  };
}

function bindOrderTerm(e: Expr, scope: Scope, aliases: ReadonlyMap<string, Expr>, outputs: OutputColumn[]): Bound {
  // ORDER BY 2 means the second result column.
  if (e.k === "lit" && typeof e.v === "bigint") {
    const index = Number(e.v);
    if (index < 1 || index > outputs.length) throw new SqlError(`1st ORDER BY term out of range - should be between 1 and ${outputs.length}`);
    return outputs[index - 1]!.bound;
  }
  return bind(e, scope, aliases);
}

function evalConstant(e: Expr): bigint {
  const value = applyNumericAffinity(bind(e, { table: undefined, alias: undefined, columns: [], byName: new Map() }, undefined).eval(undefined));
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  throw new SqlError("datatype mismatch");
}

function evalAggregate(bound: Bound, rows: ReadonlyArray<Readonly<Record<string, string>>>, last: Readonly<Record<string, string>> | undefined): Value {
  if (bound.count !== undefined) {
    const arg = bound.count;
    if (!arg) return BigInt(rows.length);
    return BigInt(rows.filter((row) => arg.eval(row) !== null).length);
  }
  if (bound.aggregate) unsupported("aggregate inside an expression");
  return last === undefined ? null : bound.eval(last);
}

/**
 * Runs `sql` as osquery's SQL class does: the columns are those of the first statement, the rows of every
 * statement are concatenated, and any failure (in any statement) discards every row.
 */
export function runSql(sql: string, tables: SqlTables): SqlResult {
  const compiled = compile(sql);
  if (compiled.kind === "error") return { ok: false, message: compiled.message };
  // sqlite3_prepare_v2 of an empty or whitespace-only text gives no statement, and osquery's
  // getQueryColumns reports SQLite's message for it.
  if (compiled.steps.length === 0) return { ok: false, message: "not an error" };
  try {
    let columns: string[] | undefined;
    let rows: SqlRow[] = [];
    // Statements are prepared and run one after another: a syntax error in the second comes after the
    // first has run (and after its error, if it had one).
    for (const step of compiled.steps) {
      if (step instanceof SqlError) throw step;
      const result = runSelect(step, tables);
      if (columns === undefined) {
        columns = result.columns;
        rows = result.rows;
      } else for (const row of result.rows) rows.push(row);
    }
    return { ok: true, columns: columns ?? [], rows };
  } catch (error) {
    if (error instanceof SqlError) return { ok: false, message: error.message };
    throw error;
  }
}

type Compiled = { kind: "error"; message: string } | { kind: "statements"; steps: ReadonlyArray<Select | SqlError> };

/**
 * Parsed statements by SQL text. Every host of a fleet is sent the same few statements, and parsing is a
 * pure function of the text (the syntax trees are never changed), so each is parsed once; bounded, the
 * oldest text goes first.
 */
const compiledCache = new Map<string, Compiled>();
const COMPILED_CACHE_SIZE = 512;

function compile(sql: string): Compiled {
  const cached = compiledCache.get(sql);
  if (cached) return cached;
  let compiled: Compiled;
  try {
    // Tokenising covers the whole text first, so a bad token anywhere fails before anything runs.
    const parser = new Parser(sql, tokenize(sql));
    const steps: Array<Select | SqlError> = [];
    try {
      while (parser.atStatementStart()) steps.push(parser.statement());
    } catch (error) {
      if (!(error instanceof SqlError)) throw error;
      steps.push(error);
    }
    compiled = { kind: "statements", steps };
  } catch (error) {
    if (!(error instanceof SqlError)) throw error;
    compiled = { kind: "error", message: error.message };
  }
  if (compiledCache.size >= COMPILED_CACHE_SIZE) compiledCache.delete(compiledCache.keys().next().value!);
  compiledCache.set(sql, compiled);
  return compiled;
}
