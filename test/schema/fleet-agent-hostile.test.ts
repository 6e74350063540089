import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { MAX_LOG_LINE_DEPTH, MAX_WRITE_QUERIES } from "../../src/sources/agent/protocol.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { inventoryOn } from "../helpers/agent-inventory.js";
import { MAC_APPS, macAnswer, macEnrollment, postAgent } from "../helpers/agent-requests.js";
import { backends } from "../helpers/backends.js";
import { createHarness, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";

/** A body nested `depth` levels of objects deep. */
function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
}

describe.each(backends)("fleet mode against a hostile agent on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown, headers?: Record<string, string>) => postAgent(origin, path, body, { ca: h.pki!.ca, ...(headers ? { headers } : {}) });

  async function enroll(uuid: string, hostname: string) {
    const key = (await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, hostname))).json!["node_key"] as string;
    const host = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
    return { key, host };
  }

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: {}, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a status line's line number is beyond a 32-bit integer, then the batch is stored with no line number rather than failing on every resend", async () => {
    const { key, host } = await enroll("0badc0de-0000-4000-8000-000000000001", "big-line");
    const line = (n: number | string, message: string) => ({ severity: 2, filename: "x.cpp", line: n, message, unixTime: 1796068800 });
    const reply = await post("/api/osquery/log", { log_type: "status", data: [line(9_999_999_999, "huge"), line("-5", "negative"), line(1e300, "float"), line(42, "fine")], node_key: key });
    expect(reply).toMatchObject({ status: 200, json: {} });
    const kept = await h.db.prisma.agentError.findMany({ where: { hostId: host.id }, orderBy: { id: "asc" }, select: { message: true, line: true } });
    expect(kept).toEqual([
      { message: "huge", line: null },
      { message: "negative", line: null },
      { message: "float", line: null },
      { message: "fine", line: 42 },
    ]);
  });

  it("when a log line nests deeper than osquery's ever do, then the batch is refused with 400 and the limit, and no error is logged", async () => {
    const { key } = await enroll("0badc0de-0000-4000-8000-000000000002", "deep-log");
    const errorsBefore = h.logs.filter((l) => l.level === "error").length;
    const shallow = await post("/api/osquery/log", { log_type: "result", data: [{ name: "q", deep: nested(MAX_LOG_LINE_DEPTH - 1) }], node_key: key });
    expect(shallow).toMatchObject({ status: 200, json: {} });
    for (const depth of [MAX_LOG_LINE_DEPTH, 100_000]) {
      const reply = await post("/api/osquery/log", `{"log_type":"result","data":[{"a":${"[".repeat(depth)}${"]".repeat(depth)}}],"node_key":${JSON.stringify(key)}}`);
      expect(reply.status).toBe(400);
      expect(reply.json?.["error"]).toContain(`nests more than ${MAX_LOG_LINE_DEPTH} levels`);
    }
    expect(h.logs.filter((l) => l.level === "error").length).toBe(errorsBefore);
  });

  it("when a write names more query ids than any agent would, then it is refused with 400 before anything is stored", async () => {
    const { key, host } = await enroll("0badc0de-0000-4000-8000-000000000003", "many-ids");
    const queries: Record<string, unknown[]> = {};
    for (let i = 0; i <= MAX_WRITE_QUERIES; i++) queries[`osquery-inventory:b${i}:software`] = [];
    const reply = await post("/api/osquery/distributed/write", { queries, statuses: {}, node_key: key });
    expect(reply.status).toBe(400);
    expect(reply.json?.["error"]).toContain(`more than ${MAX_WRITE_QUERIES} query ids`);
    expect(await h.db.prisma.snapshot.count({ where: { hostId: host.id } })).toBe(0);
  });

  it("when a write answers many inventory batches, then only the awaited one is parsed and stored, with one transaction", async () => {
    const { key, host } = await enroll("0badc0de-0000-4000-8000-000000000004", "many-batches");
    const handedOut = (await post("/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;
    const batch = Object.keys(handedOut)[0]!.split(":")[1]!;
    const store = createInventoryStore({ db: h.db.prisma, fallbackHostname: "unused" });
    const recordAgentResult = vi.spyOn(store, "recordAgentResult");
    const inventory = inventoryOn(h, { store });
    const write = { queries: {} as Record<string, unknown[]>, statuses: {} as Record<string, number>, messages: {}, stats: {} };
    for (const b of [...Array.from({ length: 60 }, (_, i) => `decoy${i}`), batch]) {
      for (const part of ["osquery_info", "os_version", "system_info", "software"]) {
        write.queries[`osquery-inventory:${b}:${part}`] = macAnswer(part);
        write.statuses[`osquery-inventory:${b}:${part}`] = 0;
      }
    }
    const agentHost = { hostId: host.id, softwareSource: "apps" as const, inventoryAt: null, sentAt: new Date(), batch, resent: false, requestedAt: null };
    const snapshot = await inventory.accept(agentHost, write);
    expect(snapshot).toMatchObject({ hostId: host.id, status: "SUCCEEDED", appCount: MAC_APPS.length });
    expect(recordAgentResult).toHaveBeenCalledTimes(1);
    expect(recordAgentResult.mock.calls[0]![1]).toBe(batch);
    // Sent again: the awaited batch is gone, so nothing is even tried.
    expect(await inventory.accept(agentHost, write)).toBeNull();
    expect(recordAgentResult).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["enroll", "/api/osquery/enroll", (_key: string, deep: string) => `{"enroll_secret":"wrong","host_identifier":"x","host_details":{"extra":${deep}}}`],
    ["config", "/api/osquery/config", (key: string, deep: string) => `{"node_key":${JSON.stringify(key)},"extra":${deep}}`],
    ["distributed/read", "/api/osquery/distributed/read", (key: string, deep: string) => `{"node_key":${JSON.stringify(key)},"extra":${deep}}`],
    ["distributed/write", "/api/osquery/distributed/write", (key: string, deep: string) => `{"queries":{},"statuses":{},"stats":{"q":${deep}},"node_key":${JSON.stringify(key)}}`],
    ["distributed/write rows", "/api/osquery/distributed/write", (key: string, deep: string) => `{"queries":{"osquery-inventory:x:software":[{"a":${deep}}]},"node_key":${JSON.stringify(key)}}`],
  ])("when a %s body nests 100,000 levels deep, then it is answered without a server error", async (name, path, body) => {
    const { key } = await enroll(`0badc0de-0000-4000-8000-0000000001${String(name.length).padStart(2, "0")}`, `deep-${name.replace("/", "-")}`);
    const errorsBefore = h.logs.filter((l) => l.level === "error").length;
    const depth = 100_000;
    const reply = await post(path, body(key, `${"[".repeat(depth)}${"]".repeat(depth)}`));
    expect(reply.status).toBeLessThan(500);
    expect(h.logs.filter((l) => l.level === "error").length).toBe(errorsBefore);
  });

  it("when a node key has a shape this service never issues, then it is node_invalid without a database lookup; a well-formed unknown one is looked up once", async () => {
    const lookups = vi.spyOn(h.db.prisma.host, "findUnique");
    try {
      for (const key of ["k".repeat(42), "k".repeat(44), "k".repeat(256), `${"k".repeat(42)}=`, `${"k".repeat(42)}+`, "k ".repeat(21) + "k"]) {
        expect(await post("/api/osquery/config", { node_key: key })).toMatchObject({ status: 401, json: { node_invalid: true } });
        expect(await post("/api/osquery/config", {}, { authorization: `NodeKey ${key}` })).toMatchObject({ status: 401, json: { node_invalid: true } });
      }
      expect(lookups).not.toHaveBeenCalled();
      const unknown = "u".repeat(43);
      for (let i = 0; i < 3; i++) expect(await post("/api/osquery/config", { node_key: unknown })).toMatchObject({ status: 401, json: { node_invalid: true } });
      // Remembered as unknown for a while: a resend costs no query either.
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it("when a machine without a UUID sends a host_identifier with a NUL, then it enrolls (the identifier is storable) rather than failing every attempt", async () => {
    const request = macEnrollment(TEST_FLEET.secrets[0]!, "", "nul\u0000host");
    (request.host_details as Record<string, Record<string, string>>)["osquery_info"]!["uuid"] = "";
    const reply = await post("/api/osquery/enroll", request);
    expect(reply).toMatchObject({ status: 200, json: { node_key: expect.any(String) } });
    const host = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: "agent:nul\uFFFDhost" } });
    expect(host.agentIdentifier).toBe("nul\uFFFDhost");
  });

  it("when a request has an unknown Content-Encoding, then the answer does not echo the header", async () => {
    const reply = await post("/api/osquery/log", "x", { "content-encoding": "br<script>alert(1)</script>" });
    expect(reply.status).toBe(415);
    expect(reply.text).not.toMatch(/script|br/);
    expect(JSON.stringify(h.logs.slice(-3))).not.toContain("<script>");
  });
});
