import { isUtf8 } from "node:buffer";
import { randomBytes } from "node:crypto";

/** A request body parsed as JSON, and where it held bytes that are not UTF-8. */
export interface JsonBody {
  value: unknown;
  /**
   * The objects and arrays that directly hold a string (a value, or an object's key) whose bytes were
   * not UTF-8; each invalid sequence in it is U+FFFD. Empty when the whole body is UTF-8. A row with
   * such a value is what the local collector calls a row with invalid bytes (OsqueryResult), so an
   * agent's apps get the same INVALID_UTF8_REPLACED as osqueryi's for the same bytes.
   */
  invalidUtf8: ReadonlySet<object>;
}

export class JsonBodyError extends Error {}

const NONE: ReadonlySet<object> = new Set();
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * osqueryd writes row values with rapidjson, which copies a column's bytes into the string as they
 * are: a file name or a registry value that is not UTF-8 arrives as raw invalid bytes inside a JSON
 * string. A body that is all UTF-8 (every real one, nearly) is parsed as is. Otherwise each string
 * that holds invalid bytes is decoded on its own (invalid sequences become U+FFFD, as TextDecoder
 * does) and stands in the document as a marker no agent can forge (a random nonce), which is then
 * swapped back while noting the object or array that held it.
 */
export function parseJsonBody(bytes: Buffer): JsonBody {
  if (isUtf8(bytes)) return { value: parse(bytes.toString("utf8")), invalidUtf8: NONE };
  const nonce = `\u0001${randomBytes(16).toString("hex")}:`;
  const replaced: string[] = [];
  const pieces: string[] = [];
  let copied = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (!inString) {
      if (byte === QUOTE) {
        inString = true;
        start = i;
      }
      continue;
    }
    if (byte === BACKSLASH) {
      i++;
      continue;
    }
    if (byte !== QUOTE) continue;
    inString = false;
    const token = bytes.subarray(start, i + 1);
    if (isUtf8(token)) continue;
    // JSON.parse of the one string resolves its escapes; only its invalid sequences are replaced.
    const text = parse(token.toString("utf8"));
    if (typeof text !== "string") throw new JsonBodyError("not a JSON string");
    pieces.push(bytes.subarray(copied, start).toString("utf8"), JSON.stringify(`${nonce}${replaced.length}`));
    replaced.push(text);
    copied = i + 1;
  }
  pieces.push(bytes.subarray(copied).toString("utf8"));
  const rest = pieces.join("");
  // Invalid bytes outside any string are no JSON at all; decoded, they would be U+FFFD that JSON.parse refuses anyway.
  if (replaced.length === 0) return { value: parse(rest), invalidUtf8: NONE };
  const value = parse(rest);
  if (typeof value === "string") return { value: replaced[0] ?? value, invalidUtf8: NONE };
  return { value, invalidUtf8: restore(value, nonce, replaced) };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonBodyError("the body is not JSON");
  }
}

/** Puts each replaced string back where its marker is; an explicit stack, as the nesting is the agent's to choose. */
function restore(root: unknown, nonce: string, replaced: string[]): Set<object> {
  const holders = new Set<object>();
  const original = (text: string): string | undefined => {
    if (!text.startsWith(nonce)) return undefined;
    return replaced[Number(text.slice(nonce.length))];
  };
  let left = replaced.length;
  const stack: object[] = typeof root === "object" && root !== null ? [root] : [];
  while (stack.length > 0 && left > 0) {
    const node = stack.pop()! as Record<string, unknown>;
    for (const key of Object.keys(node)) {
      let value = node[key];
      if (typeof value === "string") {
        const text = original(value);
        if (text !== undefined) {
          value = text;
          node[key] = text;
          holders.add(node);
          left--;
        }
      } else if (typeof value === "object" && value !== null) {
        stack.push(value);
      }
      if (Array.isArray(node)) continue;
      const name = original(key);
      if (name === undefined) continue;
      delete node[key];
      // defineProperty, not assignment: a key such as "__proto__" stays an own property as JSON.parse made it.
      Object.defineProperty(node, name, { value, writable: true, enumerable: true, configurable: true });
      holders.add(node);
      left--;
    }
  }
  return holders;
}
