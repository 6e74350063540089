/**
 * JSON as osquery's rapidjson wrapper (osquery/utils/json/json.cpp) reads and writes it. Two things
 * matter for byte-exact bodies and are not what JavaScript objects do:
 * - member order is insertion order even for keys like "1" (a JS object would move them first);
 * - `addCopy` of an existing key removes the old member first, and rapidjson's RemoveMember moves the
 *   last member into the freed slot. That is how a compressed /log body ends up
 *   `node_key, log_type, data` while an uncompressed one is `data, log_type, node_key`.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject | JsonDouble | RawJson;

/**
 * A number written with a fraction or exponent ("60.0", "1e3"): rapidjson's IsInt() is false for it, which
 * matters for `accelerate` (osquery ignores a non-integer).
 */
export class JsonDouble {
  constructor(readonly value: number) {}
}

/** Text that is already JSON (a buffered log line), written as is. */
export class RawJson {
  constructor(readonly text: string) {}
}

export class JsonObject {
  readonly members: Array<[string, JsonValue]> = [];

  static of(entries: Iterable<readonly [string, JsonValue]>): JsonObject {
    const object = new JsonObject();
    for (const [key, value] of entries) object.addCopy(key, value);
    return object;
  }

  /** rapidjson FindMember: the first member with this name. */
  get(key: string): JsonValue | undefined {
    return this.members.find(([name]) => name === key)?.[1];
  }

  has(key: string): boolean {
    return this.members.some(([name]) => name === key);
  }

  keys(): string[] {
    return this.members.map(([name]) => name);
  }

  /** rapidjson RemoveMember(iterator): the last member takes the removed member's slot. */
  removeMember(key: string): boolean {
    const index = this.members.findIndex(([name]) => name === key);
    if (index < 0) return false;
    const last = this.members.pop()!;
    if (index < this.members.length) this.members[index] = last;
    return true;
  }

  /** osquery JSON::addCopy / addRef: remove an existing member of that name, then append. */
  addCopy(key: string, value: JsonValue): this {
    this.removeMember(key);
    this.members.push([key, value]);
    return this;
  }

  /** rapidjson AddMember without the lookup: duplicates are kept, as a parsed document keeps them. */
  pushMember(key: string, value: JsonValue): this {
    this.members.push([key, value]);
    return this;
  }

  clone(): JsonObject {
    const copy = new JsonObject();
    for (const [key, value] of this.members) copy.members.push([key, cloneJson(value)]);
    return copy;
  }
}

export function cloneJson(value: JsonValue): JsonValue {
  if (value instanceof JsonObject) return value.clone();
  if (Array.isArray(value)) return value.map(cloneJson);
  return value;
}

// rapidjson's Writer escapes only '"', '\\' and control characters, with upper-case hex, and writes
// everything else (including '/' and non-ASCII) as raw UTF-8.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const SHORT_ESCAPES: Record<number, string> = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r", 0x22: '\\"', 0x5c: "\\\\" };

export function writeString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c) {
      out += SHORT_ESCAPES[code] ?? `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    } else {
      out += value[i];
    }
  }
  return `${out}"`;
}

/** Compact JSON exactly as rapidjson's Writer prints it. Numbers must be integers (osquery writes no doubles here). */
export function writeJson(value: JsonValue): string {
  if (typeof value === "string") return writeString(value);
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonDouble) {
    const text = String(value.value);
    return /[.eE]/.test(text) ? text : `${text}.0`;
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new TypeError(`writeJson: ${value} is not an integer`);
    return String(value);
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(writeJson).join(",")}]`;
  let out = "{";
  for (let i = 0; i < value.members.length; i++) {
    const [key, member] = value.members[i]!;
    if (i > 0) out += ",";
    out += `${writeString(key)}:${writeJson(member)}`;
  }
  return `${out}}`;
}

export class JsonParseError extends Error {}

/**
 * A strict RFC 8259 parser that keeps member order and duplicate members, as rapidjson's DOM does.
 * Numbers become JS numbers (osquery only reads small integers from responses: `accelerate`).
 */
export function parseJson(text: string): JsonValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new JsonParseError(`${what} at offset ${pos}`);
  };
  const skipWs = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };
  const parseString = (): string => {
    const start = pos;
    pos++;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        pos++;
        try {
          return JSON.parse(text.slice(start, pos)) as string;
        } catch {
          return fail("invalid string");
        }
      }
      if (c === 0x5c) pos += 2;
      else if (c < 0x20) fail("control character in string");
      else pos++;
    }
    return fail("unterminated string");
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const parseValue = (): JsonValue => {
    skipWs();
    const c = text[pos];
    if (c === "{") {
      pos++;
      const object = new JsonObject();
      skipWs();
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      for (;;) {
        skipWs();
        if (text[pos] !== '"') fail("expected a member name");
        const key = parseString();
        skipWs();
        if (text[pos] !== ":") fail("expected ':'");
        pos++;
        object.pushMember(key, parseValue());
        skipWs();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return object;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      pos++;
      const array: JsonValue[] = [];
      skipWs();
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      for (;;) {
        array.push(parseValue());
        skipWs();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return array;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (match) {
      pos += match[0].length;
      return /[.eE]/.test(match[0]) ? new JsonDouble(Number(match[0])) : Number(match[0]);
    }
    return fail("unexpected character");
  };
  const value = parseValue();
  skipWs();
  if (pos !== text.length) fail("trailing characters after the document");
  return value;
}

/** Plain data (tests, fixtures) to a JsonObject tree, keeping the given key order. */
export function fromPlain(value: unknown): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number") return value;
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value instanceof JsonObject) return value;
  if (typeof value === "object") return JsonObject.of(Object.entries(value).map(([k, v]) => [k, fromPlain(v)] as const));
  throw new TypeError(`fromPlain: ${typeof value}`);
}

/** A JsonObject tree to plain data, for assertions (duplicate members: the last wins, as JSON.parse does). */
export function toPlain(value: JsonValue): unknown {
  if (value instanceof JsonDouble) return value.value;
  if (value instanceof RawJson) return JSON.parse(value.text) as unknown;
  if (value instanceof JsonObject) return Object.fromEntries(value.members.map(([k, v]) => [k, toPlain(v)]));
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}
