import { describe, expect, it } from "vitest";
import { parseApps } from "../../src/inventory/rows.js";
import { parseOsqueryJson } from "../../src/sources/local/osqueryi-output.js";
import { JsonBodyError, parseJsonBody } from "../../src/sources/agent/json-body.js";

/** Bytes from pieces: strings as UTF-8, numbers as raw bytes (the invalid ones). */
const bytes = (...pieces: Array<string | number[]>) => Buffer.concat(pieces.map((p) => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p))));

describe("agent request bodies with bytes that are not UTF-8", () => {
  it("when the body is all UTF-8, then it is parsed as is and nothing is marked", () => {
    const body = parseJsonBody(Buffer.from('{"queries":{"q":[{"name":"caf\u00e9 \uFFFD"}]}}'));
    expect(body.value).toEqual({ queries: { q: [{ name: "caf\u00e9 \uFFFD" }] } });
    expect(body.invalidUtf8.size).toBe(0);
  });

  it("when a row value holds invalid bytes, then they become U+FFFD and only that row is marked", () => {
    const body = parseJsonBody(bytes('{"queries":{"q":[{"name":"ok","version":"1"},{"name":"bad', [0xff, 0xc3], ' app","version":"2"}]}}'));
    const rows = (body.value as { queries: { q: Record<string, string>[] } }).queries.q;
    expect(rows).toEqual([
      { name: "ok", version: "1" },
      { name: "bad\uFFFD\uFFFD app", version: "2" },
    ]);
    expect(body.invalidUtf8.has(rows[1]!)).toBe(true);
    expect(body.invalidUtf8.has(rows[0]!)).toBe(false);
    expect(body.invalidUtf8.size).toBe(1);
  });

  it("when a string with invalid bytes has escapes, then the escapes are resolved as JSON.parse does", () => {
    const body = parseJsonBody(bytes('[{"a":"\\"q\\" ', [0xe2, 0x82], '\\n\\u00e9\\\\"}]'));
    expect(body.value).toEqual([{ a: '"q" \uFFFD\n\u00e9\\' }]);
  });

  it("when a key holds invalid bytes, then the key is decoded, stays an own property (even __proto__) and its object is marked", () => {
    const body = parseJsonBody(bytes('{"rows":[{"n', [0x80], 'me":"x","__proto__":"p"},{"__proto__', [0xff], '":"y"}]}'));
    const [first, second] = (body.value as { rows: Record<string, string>[] }).rows;
    expect(Object.keys(first!).sort()).toEqual(["__proto__", "n\uFFFDme"].sort());
    expect(Object.getOwnPropertyDescriptor(first, "__proto__")?.value).toBe("p");
    expect(first!["n\uFFFDme"]).toBe("x");
    expect(Object.getPrototypeOf(second)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(second, "__proto__\uFFFD")?.value).toBe("y");
    expect([...body.invalidUtf8]).toEqual(expect.arrayContaining([first, second]));
  });

  it("when a value looks like the marker, then it is kept as sent: the marker's nonce is new for every body", () => {
    const forged = "\u00010123456789abcdef0123456789abcdef:0";
    const body = parseJsonBody(bytes(`[{"a":${JSON.stringify(forged)},"b":"`, [0xff], '"}]'));
    expect(body.value).toEqual([{ a: forged, b: "\uFFFD" }]);
  });

  it("when the only string is the body itself, then it is that string", () => {
    expect(parseJsonBody(bytes('"', [0xff], '"')).value).toBe("\uFFFD");
  });

  it.each([
    ["invalid bytes outside any string", bytes("{", [0xff], '"a":1}')],
    ["an unterminated string", bytes('{"a":"', [0xff])],
    ["broken JSON after a string with invalid bytes", bytes('{"a":"', [0xff], '",}')],
    ["a bad escape in a string with invalid bytes", bytes('{"a":"\\x', [0xff], '"}')],
  ])("when the body has %s, then it is refused as not JSON", (_name, body) => {
    expect(() => parseJsonBody(body)).toThrow(JsonBodyError);
  });

  it("when a marked string is nested 100,000 levels deep, then it is found without exhausting the stack", () => {
    const depth = 100_000;
    const body = parseJsonBody(bytes("[".repeat(depth), '{"a":"', [0xff], '"}', "]".repeat(depth)));
    let node = body.value as unknown[];
    for (let i = 1; i < depth; i++) node = node[0] as unknown[];
    expect(node[0]).toEqual({ a: "\uFFFD" });
    expect(body.invalidUtf8.has(node[0] as object)).toBe(true);
  });

  it("when osqueryi and an agent report the same row bytes, then the apps are stored with the same alterations", () => {
    const rows: Array<Array<string | number[]>> = [
      ['{"name":"clean","version":"1.0"}'],
      ['{"name":"caf', [0xc3], '","version":"2', [0xff], '"}'],
      ['{"name":"sure\uFFFD","version":"3"}'],
      ['{"name":"mixed \uFFFD ', [0xfe], '","version":"\uFFFD"}'],
      ['{"name":"nul\\u0000","version":"', [0x80], '"}'],
    ];
    const osqueryi = bytes("[\n", ...rows.flatMap((row, i) => [" ", ...row, i < rows.length - 1 ? ",\n" : "\n"]), "]\n");
    const local = parseOsqueryJson(osqueryi);
    const agentBody = parseJsonBody(bytes('{"queries":{"q":[', ...rows.flatMap((row, i) => [...row, i < rows.length - 1 ? "," : ""]), "]}}"));
    const agentRows = (agentBody.value as { queries: { q: Record<string, string>[] } }).queries.q;
    const agentInvalid = new Set(agentRows.flatMap((row, i) => (agentBody.invalidUtf8.has(row) ? [i] : [])));
    expect(agentRows).toEqual(local.rows);
    expect(agentInvalid).toEqual(local.invalidUtf8Rows);
    const fromOsqueryi = parseApps("deb_packages", local.rows, local.invalidUtf8Rows).apps;
    const fromAgent = parseApps("deb_packages", agentRows, agentInvalid).apps;
    expect(fromAgent).toEqual(fromOsqueryi);
    expect(fromAgent.map((app) => app.alterations)).toEqual([
      [],
      ["INVALID_UTF8_REPLACED"],
      [],
      ["INVALID_UTF8_REPLACED"],
      ["NUL_REPLACED", "INVALID_UTF8_REPLACED"],
    ]);
  });
});
