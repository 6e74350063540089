import { z } from "zod";

/**
 * Request bodies of osquery's TLS remote API as osqueryd sends them (osquery/remote/*, plugins/*).
 * Everything is bounded here, at the edge: counts of keys, rows and lines, and string lengths. The
 * byte size of a body is bounded before it is parsed (see http.ts).
 */

const MAX_KEY_LENGTH = 256;
const MAX_VALUE_LENGTH = 64 * 1024;
/** More columns than any table osquery has. */
const MAX_COLUMNS = 512;

/** A row as osquery serialises it: every value a string (SQL NULL as ""). */
const row = z.record(z.string().max(MAX_KEY_LENGTH), z.string().max(MAX_VALUE_LENGTH)).refine((r) => Object.keys(r).length <= MAX_COLUMNS, {
  message: `a row has more than ${MAX_COLUMNS} columns`,
});

export const nodeKeySchema = z.string().min(1).max(256);

/** The first row of each enrollment table, every value a string; a table with no rows is omitted. */
export const hostDetailsSchema = z
  .object({
    os_version: row.optional(),
    osquery_info: row.optional(),
    platform_info: row.optional(),
    system_info: row.optional(),
  })
  .catchall(z.unknown());

export const enrollRequestSchema = z.object({
  enroll_secret: z.string().max(4096),
  host_identifier: z.string().max(MAX_KEY_LENGTH).default(""),
  /** Decimal string of osquery's build bitmask: "9" Linux, "21" macOS, "2" Windows. */
  platform_type: z.string().max(16).optional(),
  host_details: hostDetailsSchema.optional(),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** config and distributed/read carry only the node key. */
export const nodeRequestSchema = z.object({ node_key: nodeKeySchema.optional() }).catchall(z.unknown());

/**
 * Query ids a write may name in each of its maps. The server hands out 4 a batch and an agent resends
 * the few batches it could not deliver; anything near this is not an osqueryd, and every batch named
 * would be work for the server.
 */
export const MAX_WRITE_QUERIES = 256;

const queryId = z.string().min(1).max(MAX_KEY_LENGTH);

/** A map of a write keyed by query id, at most MAX_WRITE_QUERIES of them. */
function byQueryId<T extends z.ZodType>(value: T) {
  return z
    .record(queryId, value)
    .refine((r) => Object.keys(r).length <= MAX_WRITE_QUERIES, { message: `more than ${MAX_WRITE_QUERIES} query ids` })
    .default({} as never);
}

export const distributedWriteSchema = z.object({
  node_key: nodeKeySchema.optional(),
  /** id → rows; osquery 1.8 sent "" for no rows. A failed query has []. */
  queries: byQueryId(z.union([z.array(z.unknown()), z.literal("")])),
  /** id → 0 ok, non-zero failure; strings in osquery < 3.0. */
  statuses: byQueryId(z.union([z.number().int(), z.string().regex(/^-?\d{1,10}$/).transform(Number)])),
  /** id → "" or the error text (osquery ≥ 4.4). */
  messages: byQueryId(z.string().max(MAX_VALUE_LENGTH)),
  /** id → {wall_time_ms, user_time, system_time, memory} (osquery ≥ 5.8). */
  stats: byQueryId(z.unknown()),
});
export type DistributedWrite = z.infer<typeof distributedWriteSchema>;

export const MAX_LOG_LINES = 10_000;
/**
 * Levels of objects and arrays in one log line. osquery's deepest (a differential result line:
 * line → diffResults → added → row) is 4; a line is fingerprinted by serialising it, which a deeply
 * nested one would exhaust the stack doing.
 */
export const MAX_LOG_LINE_DEPTH = 32;

/** Whether `value` nests at most `max` levels of objects and arrays (an explicit stack: no recursion on the agent's input). */
export function nestsAtMost(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > max) return false;
    for (const child of Object.values(node)) if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
  }
  return true;
}

export const logRequestSchema = z.object({
  node_key: nodeKeySchema.optional(),
  log_type: z.enum(["result", "status"]),
  data: z
    .array(z.record(z.string(), z.unknown()))
    .max(MAX_LOG_LINES)
    .refine((lines) => lines.every((line) => nestsAtMost(line, MAX_LOG_LINE_DEPTH)), { message: `a line nests more than ${MAX_LOG_LINE_DEPTH} levels` }),
});
export type LogRequest = z.infer<typeof logRequestSchema>;

export type AgentRow = Record<string, string>;

/**
 * The rows of one query in a write, checked: an array of objects whose values are all strings, with
 * the bounds of `row` above. By hand rather than with zod: an inventory is thousands of rows, and
 * zod's record schema copies every row and its keys (about 2 ms of server CPU per inventory). The
 * rows came from JSON.parse, so they are plain objects with own data properties; they are returned
 * as they are.
 */
export function parseRows(value: unknown): { success: true; data: AgentRow[] } | { success: false; message: string } {
  if (!Array.isArray(value)) return { success: false, message: "body: expected an array of rows" };
  for (let i = 0; i < value.length; i++) {
    const r: unknown = value[i];
    if (typeof r !== "object" || r === null || Array.isArray(r)) return { success: false, message: `${i}: expected an object` };
    let columns = 0;
    for (const key in r) {
      if (++columns > MAX_COLUMNS) return { success: false, message: `${i}: a row has more than ${MAX_COLUMNS} columns` };
      if (key.length > MAX_KEY_LENGTH) return { success: false, message: `${i}: a column name is longer than ${MAX_KEY_LENGTH} characters` };
      const v: unknown = (r as Record<string, unknown>)[key];
      if (typeof v !== "string") return { success: false, message: `${i}.${key.slice(0, 64)}: expected a string` };
      if (v.length > MAX_VALUE_LENGTH) return { success: false, message: `${i}.${key.slice(0, 64)}: a value is longer than ${MAX_VALUE_LENGTH} characters` };
    }
  }
  return { success: true, data: value as AgentRow[] };
}

/**
 * What osquery reads from an answer: `node_invalid: true` (a JSON boolean) drops its node key and
 * re-enrolls; any `error` key, even null, is a failure to retry; anything else is success. So a
 * success answer never has an `error` key.
 */
export const NODE_INVALID = '{"node_invalid":true}';
export const EMPTY = "{}";

export function errorAnswer(message: string): string {
  return JSON.stringify({ error: message });
}

/** Every z.ZodError issue as "path: message", short enough for a log line and an answer. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map((p) => String(p).slice(0, 64)).join(".") || "body"}: ${issue.message}`)
    .join("; ");
}
