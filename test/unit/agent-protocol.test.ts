import { describe, expect, it } from "vitest";
import { buildAgentConfig, flagfile, MAX_AGENT_CONFIG_BYTES } from "../../src/sources/agent/agent-config.js";
import { isDue, isLost, jitterMs, pendingWindowMs } from "../../src/sources/agent/agent-inventory.js";
import { enrolledHost, invalidUtf8Tables, MAX_HOST_DETAIL_LENGTH } from "../../src/sources/agent/host-details.js";
import { createSecretCheck, presentedNodeKey } from "../../src/sources/agent/node-keys.js";
import {
  distributedWriteSchema,
  enrollRequestSchema,
  logRequestSchema,
  MAX_LOG_LINE_DEPTH,
  MAX_LOG_LINES,
  MAX_WRITE_QUERIES,
  nestsAtMost,
  parseRows,
} from "../../src/sources/agent/protocol.js";

const fleet = { distributedIntervalSeconds: 10, loggerPeriodSeconds: 60, configRefreshSeconds: 300 };

describe("the agent config", () => {
  it("when there is no user config, then agents get the options the inventory needs and our logger defaults", () => {
    const built = buildAgentConfig(fleet, null);
    expect(built.ok && JSON.parse(built.json)).toEqual({
      options: {
        logger_tls_endpoint: "/api/osquery/log",
        logger_tls_period: 60,
        disable_distributed: false,
        distributed_plugin: "tls",
        distributed_interval: 10,
        distributed_tls_read_endpoint: "/api/osquery/distributed/read",
        distributed_tls_write_endpoint: "/api/osquery/distributed/write",
      },
    });
  });

  it("when the user config has a schedule and options, then both are kept and user options win over our defaults", () => {
    const user = { schedule: { uptime: { query: "SELECT * FROM uptime;", interval: 3600 } }, options: { logger_tls_period: 5, host_identifier: "uuid" } };
    const built = buildAgentConfig(fleet, JSON.stringify(user));
    expect(built.ok && JSON.parse(built.json)).toMatchObject({ schedule: user.schedule, options: { logger_tls_period: 5, host_identifier: "uuid", distributed_interval: 10 } });
  });

  it.each([
    ["not json", "{", /is not valid JSON/],
    ["an array", "[]", /must hold a JSON object/],
    ["an error key", '{"error": null}', /must not have a top-level "error" key/],
    ["a node_invalid key", '{"node_invalid": false}', /"node_invalid"/],
    ["options that are not an object", '{"options": 3}', /"options" must be an object/],
    ["distributed turned off", '{"options": {"disable_distributed": true}}', /options.disable_distributed must be false/],
    ["another interval", '{"options": {"distributed_interval": 60}}', /options.distributed_interval must be 10/],
    ["more than osquery accepts", JSON.stringify({ packs: { p: { queries: { q: { query: "x".repeat(MAX_AGENT_CONFIG_BYTES) } } } } }), /osquery accepts at most 1048576/],
  ])("when the user config is %s, then it is refused with a reason", (_name, text, reason) => {
    const built = buildAgentConfig(fleet, text);
    expect(built.ok).toBe(false);
    expect(!built.ok && built.error).toMatch(reason);
  });

  it("when the flagfile is printed, then it names every endpoint, the intervals and host_identifier=uuid", () => {
    const text = flagfile({ tlsHostname: "inventory.example.com:8443", fleet });
    expect(text.split("\n")).toEqual(
      expect.arrayContaining([
        "--tls_hostname=inventory.example.com:8443",
        "--host_identifier=uuid",
        "--enroll_tls_endpoint=/api/osquery/enroll",
        "--config_plugin=tls",
        "--config_tls_endpoint=/api/osquery/config",
        "--config_refresh=300",
        "--logger_plugin=tls",
        "--logger_tls_endpoint=/api/osquery/log",
        "--disable_distributed=false",
        "--distributed_interval=10",
        "--distributed_tls_read_endpoint=/api/osquery/distributed/read",
        "--distributed_tls_write_endpoint=/api/osquery/distributed/write",
      ]),
    );
  });
});

describe("node keys and enroll secrets", () => {
  it.each([
    ["the body only", undefined, "k1", "k1"],
    ["the header only", "NodeKey k1", undefined, "k1"],
    ["both, agreeing", "NodeKey k1", "k1", "k1"],
    ["both, disagreeing", "NodeKey k1", "k2", null],
    ["a header of another scheme", "Bearer k1", "k1", null],
    ["a non-string body key", undefined, 42, null],
    ["nothing", undefined, undefined, null],
  ])("when the key comes in %s, then the presented key is %j", (_name, header, body, expected) => {
    expect(presentedNodeKey(header, body)).toBe(expected);
  });

  it("when several secrets are valid, then each matches and nothing else does", () => {
    const check = createSecretCheck(["first-secret-000001", "second-secret-00002"]);
    expect([check("first-secret-000001"), check("second-secret-00002"), check("first-secret-00000"), check("")]).toEqual([true, true, false, false]);
  });
});

describe("host identity at enrollment", () => {
  const request = (system: Record<string, string>, osquery: Record<string, string> = {}, hostIdentifier = "box.local") => ({
    enroll_secret: "s",
    host_identifier: hostIdentifier,
    host_details: { system_info: { hostname: "box.local", ...system }, osquery_info: { version: "5.23.1", ...osquery }, os_version: { platform: "ubuntu", platform_like: "debian", name: "Ubuntu", version: "22.04" } },
  });

  it.each([
    ["the hardware UUID", { uuid: "4C4C4544-0047-3510-8052-B4C04F4A4E32" }, {}, "uuid:4c4c4544-0047-3510-8052-b4c04f4a4e32"],
    ["osquery's UUID when the hardware one is a placeholder", { uuid: "03000200-0400-0500-0006-000700080009" }, { uuid: "1B2C3D4E-0000-4000-8000-000000000001" }, "uuid:1b2c3d4e-0000-4000-8000-000000000001"],
    ["the host_identifier when there is no UUID at all", { uuid: "" }, {}, "agent:box.local"],
  ])("when the details have %s, then the host is identified by it", (_name, system, osquery, identifier) => {
    expect(enrolledHost(request(system, osquery)).identifier).toBe(identifier);
  });

  it("when cpu_brand is padded with NULs and the serial is -1, then the padding is dropped and the serial is null", () => {
    const host = enrolledHost(request({ cpu_brand: "Intel(R) Core(TM) i7\u0000\u0000\u0000", hardware_serial: "-1", physical_memory: "17179869184" }));
    expect(host.fields).toMatchObject({ cpuBrand: "Intel(R) Core(TM) i7", hardwareSerial: null, physicalMemory: 17179869184n, platform: "ubuntu" });
    expect(host.softwareSource).toBe("deb_packages");
    expect(host.altered).toEqual([]);
  });

  it.each([
    ["a hostname over the limit", { hostname: "h".repeat(MAX_HOST_DETAIL_LENGTH + 5) }, new Set<never>(), { hostname: "h".repeat(MAX_HOST_DETAIL_LENGTH) }, [{ field: "hostname", alterations: ["TRUNCATED"] }]],
    ["a NUL inside cpu_brand", { cpu_brand: "Intel\u0000Core\u0000\u0000" }, new Set<never>(), { cpuBrand: "Intel\uFFFDCore" }, [{ field: "cpuBrand", alterations: ["NUL_REPLACED"] }]],
    ["a lone surrogate in the model", { hardware_model: "Model \ud800" }, new Set<never>(), { hardwareModel: "Model \uFFFD" }, [{ field: "hardwareModel", alterations: ["UNPAIRED_SURROGATE_REPLACED"] }]],
    [
      "invalid bytes in system_info (decoded as U+FFFD)",
      { hardware_vendor: "Caf\uFFFD", hostname: "box.local" },
      new Set(["system_info" as const]),
      { hardwareVendor: "Caf\uFFFD", hostname: "box.local" },
      [{ field: "hardwareVendor", alterations: ["INVALID_UTF8_REPLACED"] }],
    ],
    ["a U+FFFD the agent sent itself", { hardware_vendor: "Caf\uFFFD" }, new Set<never>(), { hardwareVendor: "Caf\uFFFD" }, []],
  ])("when the details have %s, then it is stored as PostgreSQL can hold it and the change is listed", (_name, system, invalid, fields, altered) => {
    const host = enrolledHost(request(system), invalid);
    expect(host.fields).toMatchObject(fields);
    expect(host.altered).toEqual(altered);
  });

  it("when there is no UUID and the host_identifier holds a NUL or is over 255 units, then the identifier is storable and bounded", () => {
    expect(enrolledHost(request({ uuid: "" }, {}, "bad\u0000name")).identifier).toBe("agent:bad\uFFFDname");
    const long = enrolledHost(request({ uuid: "" }, {}, "x".repeat(254) + "\ud83d\ude00")).identifier;
    expect(long).toBe(`agent:${"x".repeat(254)}`);
  });

  it("when an enrollment body held invalid bytes, then the tables that held them are named", () => {
    const body = { host_identifier: "x", host_details: { system_info: { hostname: "a" }, os_version: { name: "b" }, osquery_info: { version: "c" } } };
    expect(invalidUtf8Tables(body, new Set([body.host_details.system_info, body]))).toEqual(new Set(["system_info", "request"]));
    expect(invalidUtf8Tables(body, new Set())).toEqual(new Set());
  });
});

describe("when an inventory is due", () => {
  const hour = 3_600_000;
  const pending = 300_000;
  const base = { hostId: 7, softwareSource: "apps" as const, inventoryAt: null, sentAt: null, batch: null, resent: false, requestedAt: null };
  const at = new Date("2026-12-01T12:00:00Z");

  it("when a host has never reported, then it is due at once", () => {
    expect(isDue(base, at, hour, pending)).toBe(true);
  });

  it("when the last inventory is older than the interval plus the host's jitter, then it is due, and not a moment before", () => {
    const jitter = jitterMs(7, hour);
    expect(jitter).toBeGreaterThanOrEqual(0);
    expect(jitter).toBeLessThan(hour * 0.1);
    const inventoryAt = new Date(at.getTime() - hour - jitter);
    expect(isDue({ ...base, inventoryAt }, at, hour, pending)).toBe(true);
    expect(isDue({ ...base, inventoryAt: new Date(inventoryAt.getTime() + 1) }, at, hour, pending)).toBe(false);
  });

  it("when queries were handed out and not answered, then nothing more is handed out until they are overdue, even for a refresh", () => {
    const sentAt = new Date(at.getTime() - 1000);
    expect(isDue({ ...base, sentAt, requestedAt: at }, at, hour, pending)).toBe(false);
    expect(isDue({ ...base, sentAt: new Date(at.getTime() - pending), requestedAt: null }, at, hour, pending)).toBe(true);
  });

  it.each([
    [10, 60_000],
    [20, 60_000],
    [60, 180_000],
  ])("when agents poll every %d s, then an unanswered hand-out is handed out again after %d ms", (interval, window) => {
    expect(pendingWindowMs(interval)).toBe(window);
  });

  it("when a host polls with its batch unanswered, then the batch counts as lost once, within the window, and only where the batch is known", () => {
    const sentAt = new Date(at.getTime() - 1000);
    expect(isLost({ ...base, sentAt, batch: "b1" }, at, pending)).toBe(true);
    expect(isLost({ ...base, sentAt, batch: "b1", resent: true }, at, pending)).toBe(false);
    // Handed out by another instance: this one cannot repeat it.
    expect(isLost({ ...base, sentAt, batch: null }, at, pending)).toBe(false);
    // Past the window a new batch is handed out instead (isDue).
    expect(isLost({ ...base, sentAt: new Date(at.getTime() - pending), batch: "b1" }, at, pending)).toBe(false);
    expect(isLost({ ...base, batch: "b1" }, at, pending)).toBe(false);
  });

  it("when a refresh is asked for, then it is due even right after an inventory", () => {
    expect(isDue({ ...base, inventoryAt: at, requestedAt: at }, at, hour, pending)).toBe(true);
  });

  it("when hosts enroll together, then their jitters spread over the window", () => {
    const spread = new Set(Array.from({ length: 1000 }, (_, i) => Math.floor(jitterMs(i + 1, hour) / 60_000)));
    expect(spread.size).toBeGreaterThan(5);
  });
});

describe("every count and length an agent controls is bounded at the edge", () => {
  const row = (columns: number, valueLength = 1, keyLength = 4) =>
    Object.fromEntries(Array.from({ length: columns }, (_, i) => [String(i).padStart(keyLength, "k"), "v".repeat(valueLength)]));
  const ids = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`id${i}`, 0]));
  const deep = (depth: number) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };

  it.each([
    ["not an array", { name: "x" }, /^body: expected an array/],
    ["a row that is an array", [["x"]], /^0: expected an object/],
    ["a null row", [{ name: "a" }, null], /^1: expected an object/],
    ["a number value", [{ name: "a" }, { name: "b", version: 3 }], /^1\.version: expected a string/],
    ["a null value", [{ name: null }], /^0\.name: expected a string/],
  ])("when an agent's rows hold %s, then they are refused and the message says where", (_name, rows, message) => {
    const parsed = parseRows(rows);
    expect(parsed.success).toBe(false);
    expect(parsed.success ? "" : parsed.message).toMatch(message);
  });

  it("when an agent's rows are rows of strings, then they are returned as they are (no copy)", () => {
    const rows = [{ name: "Safari", version: "17.4" }, {}];
    const parsed = parseRows(rows);
    expect(parsed.success && parsed.data).toBe(rows);
  });

  it.each([
    ["columns in a row", () => parseRows([row(512)]), () => parseRows([row(513)])],
    ["a value's length", () => parseRows([row(1, 64 * 1024)]), () => parseRows([row(1, 64 * 1024 + 1)])],
    ["a column name's length", () => parseRows([row(1, 1, 256)]), () => parseRows([row(1, 1, 257)])],
    ["query ids in a write", () => distributedWriteSchema.safeParse({ statuses: ids(MAX_WRITE_QUERIES) }), () => distributedWriteSchema.safeParse({ statuses: ids(MAX_WRITE_QUERIES + 1) })],
    ["messages in a write", () => distributedWriteSchema.safeParse({ messages: { a: "m".repeat(64 * 1024) } }), () => distributedWriteSchema.safeParse({ messages: { a: "m".repeat(64 * 1024 + 1) } })],
    ["lines in a log batch", () => logRequestSchema.safeParse({ log_type: "result", data: Array(MAX_LOG_LINES).fill({}) }), () => logRequestSchema.safeParse({ log_type: "result", data: Array(MAX_LOG_LINES + 1).fill({}) })],
    ["nesting in a log line", () => logRequestSchema.safeParse({ log_type: "result", data: [{ a: deep(MAX_LOG_LINE_DEPTH - 1) }] }), () => logRequestSchema.safeParse({ log_type: "result", data: [{ a: deep(MAX_LOG_LINE_DEPTH) }] })],
    ["the enroll secret", () => enrollRequestSchema.safeParse({ enroll_secret: "s".repeat(4096) }), () => enrollRequestSchema.safeParse({ enroll_secret: "s".repeat(4097) })],
    ["the host_identifier", () => enrollRequestSchema.safeParse({ enroll_secret: "s", host_identifier: "h".repeat(256) }), () => enrollRequestSchema.safeParse({ enroll_secret: "s", host_identifier: "h".repeat(257) })],
  ])("when %s reaches its bound, then it is accepted, and one more is refused", (_name, atBound, overBound) => {
    expect(atBound().success).toBe(true);
    expect(overBound().success).toBe(false);
  });

  it("when nesting is measured, then a million levels take no recursion", () => {
    expect(nestsAtMost(deep(1_000_000), MAX_LOG_LINE_DEPTH)).toBe(false);
    expect(nestsAtMost({ a: [{ b: 1 }], c: "x" }, 3)).toBe(true);
    expect(nestsAtMost({ a: [{ b: 1 }] }, 2)).toBe(false);
  });

  it.each([
    ["a header of 300 characters", "NodeKey " + "k".repeat(300), undefined],
    ["a body key of 300 characters", undefined, "k".repeat(300)],
    ["a header with two keys", "NodeKey a b", undefined],
    ["a header that is only the scheme", "NodeKey", undefined],
  ])("when the node key comes as %s, then no key is presented", (_name, header, body) => {
    expect(presentedNodeKey(header, body)).toBeNull();
  });
});
