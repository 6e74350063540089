import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { MAC_APPS, macAnswer, postAgent, type AgentReply } from "../helpers/agent-requests.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { fixture, ubuntu } from "../helpers/machine.js";
import { CollectHostMutation, FleetHostsQuery, HostQuery, RevokeHostMutation } from "../helpers/fleet-operations.js";
import { LatestDataQuery } from "../helpers/operations.js";
import { linkedSoftwareIds } from "../helpers/database.js";

const SECRET = TEST_FLEET.secrets[0]!;
const ROTATED = "rotated-enroll-secret-0002";
const enrollFixture = JSON.parse(readFileSync(fixture("tls_enroll_request.json"), "utf8")) as Record<string, unknown>;

/** An enrollment body as osqueryd sends it, for a machine with this hardware UUID. */
function enrollment(uuid: string, overrides: { secret?: string; hostname?: string; instanceId?: string } = {}) {
  const details = structuredClone(enrollFixture["host_details"]) as Record<string, Record<string, string>>;
  details["system_info"]!["uuid"] = uuid;
  details["osquery_info"]!["uuid"] = uuid;
  if (overrides.hostname) details["system_info"]!["hostname"] = overrides.hostname;
  if (overrides.instanceId) details["osquery_info"]!["instance_id"] = overrides.instanceId;
  return { enroll_secret: overrides.secret ?? SECRET, host_identifier: overrides.hostname ?? "jdoe-mbp.local", platform_type: "21", host_details: details };
}

describe.each(backends)("fleet mode: the agent API on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown, options: { headers?: Record<string, string>; gzip?: boolean } = {}) =>
    postAgent(origin, path, body, { ca: h.pki!.ca, ...options });
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });

  async function enroll(uuid: string, overrides?: Parameters<typeof enrollment>[1]): Promise<string> {
    const reply = await post("/api/osquery/enroll", enrollment(uuid, overrides));
    expect(reply.json, reply.text).toEqual({ node_key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    return reply.json!["node_key"] as string;
  }
  const read = async (key: string) => (await post("/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;
  /** A distributed write answering `queries`, as osquery ≥ 5.8 serialises it. */
  function writeBody(key: string, queries: Record<string, string>, answer: (part: string) => Record<string, string>[] | { status: number; message: string }) {
    const body = { queries: {} as Record<string, unknown>, statuses: {} as Record<string, number>, messages: {} as Record<string, string>, stats: {} as Record<string, unknown>, node_key: key };
    for (const id of Object.keys(queries)) {
      const result = answer(id.split(":")[2]!);
      const failed = !Array.isArray(result);
      body.queries[id] = failed ? [] : result;
      body.statuses[id] = failed ? result.status : 0;
      body.messages[id] = failed ? result.message : "";
      body.stats[id] = { wall_time_ms: 2, user_time: 1, system_time: 0, memory: 0 };
    }
    return body;
  }
  const hostRow = (uuid: string) => h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid.toLowerCase()}` } });

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu(), { fleet: { secrets: [SECRET, ROTATED], collectWaitMs: 3000 }, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when an agent enrolls with a valid secret, then it gets a 32-byte node key that is stored only as a hash, and the host carries its details", async () => {
    const uuid = "7A1C2D3E-4F50-5A6B-8C7D-9E0F1A2B3C4D";
    const key = await enroll(uuid);
    const host = await hostRow(uuid);
    expect(Buffer.from(key, "base64url")).toHaveLength(32);
    expect(Buffer.from(host.nodeKeyHash!)).toEqual(createHash("sha256").update(key).digest());
    const stored = JSON.stringify(await h.db.prisma.host.findMany(), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    expect(stored).not.toContain(key);
    const data = expectNoGraphQLErrors(await gql(HostQuery, { id: encodeGlobalID("Host", host.id) }));
    expect(data.host).toMatchObject({
      hostname: "jdoe-mbp.local",
      platform: "darwin",
      osName: "macOS",
      osVersion: "14.4.1",
      osqueryVersion: "5.12.1",
      hardwareModel: "Mac14,9",
      cpuBrand: "Apple M2 Pro",
      local: false,
      enrolled: true,
      online: true,
      agentIdentifier: "jdoe-mbp.local",
      latestSnapshot: null,
    });
  });

  it("when an agent enrolls with a wrong secret, then it is refused with node_invalid and nothing is stored", async () => {
    const before = await h.db.prisma.host.count();
    const reply = await post("/api/osquery/enroll", enrollment("11111111-2222-3333-4444-555555555555", { secret: "not-the-secret-at-all" }));
    expect(reply.json).toEqual({ error: expect.stringContaining("enroll secret"), node_invalid: true });
    expect(reply.json).not.toHaveProperty("node_key");
    expect(await h.db.prisma.host.count()).toBe(before);
  });

  it("when host_details hold values that cannot be stored as sent, then the agent is enrolled, the values are stored bounded and replaced, and a warning names each field", async () => {
    const uuid = "7A1C2D3E-0000-4000-8000-0000000000E1";
    const request = enrollment(uuid, { hostname: "long-name" });
    const system = (request.host_details as Record<string, Record<string, string>>)["system_info"]!;
    system["hostname"] = "h".repeat(3000);
    system["cpu_brand"] = "Intel\u0000Core\u0000\u0000";
    system["hardware_vendor"] = "Caf@FF@ Computers";
    const parts = JSON.stringify(request).split("@FF@");
    const reply = await post("/api/osquery/enroll", Buffer.concat([Buffer.from(parts[0]!), Buffer.from([0xff]), Buffer.from(parts[1]!)]));
    expect(reply.json).toEqual({ node_key: expect.any(String) });
    const host = await hostRow(uuid);
    expect(host).toMatchObject({ hostname: "h".repeat(1024), cpuBrand: "Intel\uFFFDCore", hardwareVendor: "Caf\uFFFD Computers" });
    const warning = h.logs.find((l) => l.level === "warn" && l.msg.startsWith("host details stored other than the agent reported them") && l["hostId"] === host.id);
    expect(warning).toMatchObject({ altered: { hostname: ["TRUNCATED"], cpuBrand: ["NUL_REPLACED"], hardwareVendor: ["INVALID_UTF8_REPLACED"] } });
    // The operator sees the cut hostname through the API too.
    const data = expectNoGraphQLErrors(await gql(HostQuery, { id: encodeGlobalID("Host", host.id) }));
    expect(data.host?.hostname).toHaveLength(1024);
  });

  it("when the secret is being rotated, then the old and the new one both enroll", async () => {
    await enroll("22222222-0000-0000-0000-000000000001", { secret: SECRET, hostname: "old-secret" });
    await enroll("22222222-0000-0000-0000-000000000002", { secret: ROTATED, hostname: "new-secret" });
    expect(await h.db.prisma.host.count({ where: { hostname: { in: ["old-secret", "new-secret"] } } })).toBe(2);
  });

  it.each([
    ["config", "/api/osquery/config", {}],
    ["distributed/read", "/api/osquery/distributed/read", {}],
    ["distributed/write", "/api/osquery/distributed/write", { queries: { "osquery-inventory:AAAA:software": [] }, statuses: {} }],
    ["log", "/api/osquery/log", { log_type: "status", data: [{ severity: 2, message: "x" }] }],
  ])("when %s is called without a key, with a wrong key or a revoked one, then the answer is node_invalid and nothing is stored", async (_name, path, extra) => {
    const uuid = "33333333-0000-0000-0000-000000000001";
    const key = await enroll(uuid, { hostname: "revoke-me" });
    const host = await hostRow(uuid);
    expectNoGraphQLErrors(await gql(RevokeHostMutation, { id: encodeGlobalID("Host", host.id) }));
    const counts = async () => [await h.db.prisma.snapshot.count(), await h.db.prisma.agentError.count(), await h.db.prisma.agentLogLine.count()];
    const before = await counts();
    const replies: AgentReply[] = [
      await post(path, { ...extra }),
      await post(path, { ...extra, node_key: "x".repeat(43) }),
      await post(path, { ...extra, node_key: key }),
      await post(path, { ...extra }, { headers: { authorization: `NodeKey ${key}` } }),
    ];
    for (const reply of replies) {
      expect(reply.json).toEqual({ node_invalid: true });
      expect(reply.status).toBe(401);
    }
    expect(await counts()).toEqual(before);
  });

  it("when the Authorization header and the body name different keys, then neither is trusted", async () => {
    const a = await enroll("44444444-0000-0000-0000-000000000001", { hostname: "a" });
    const b = await enroll("44444444-0000-0000-0000-000000000002", { hostname: "b" });
    expect((await post("/api/osquery/config", { node_key: a }, { headers: { authorization: `NodeKey ${b}` } })).json).toEqual({ node_invalid: true });
    expect((await post("/api/osquery/config", { node_key: a }, { headers: { authorization: `NodeKey ${a}` } })).json).toHaveProperty("options");
    expect((await post("/api/osquery/config", {}, { headers: { authorization: `NodeKey ${b}` } })).json).toHaveProperty("options");
  });

  it("when an agent asks for its config, then it gets the options the inventory needs and no error key", async () => {
    const key = await enroll("55555555-0000-0000-0000-000000000001", { hostname: "config" });
    const reply = await post("/api/osquery/config", { node_key: key });
    expect(reply.json).toEqual({
      options: {
        disable_distributed: false,
        distributed_plugin: "tls",
        distributed_interval: TEST_FLEET.distributedIntervalSeconds,
        distributed_tls_read_endpoint: "/api/osquery/distributed/read",
        distributed_tls_write_endpoint: "/api/osquery/distributed/write",
        logger_tls_endpoint: "/api/osquery/log",
        logger_tls_period: TEST_FLEET.loggerPeriodSeconds,
      },
    });
  });

  it("when a new host reads, then it gets the inventory statements of its platform, again with the same ids if it polls without answering (the response was lost), and no more; its write becomes a snapshot equal to what it reported, and a resent write stores nothing", async () => {
    const uuid = "7A1C2D3E-4F50-5A6B-8C7D-9E0F1A2B3C4D";
    const key = await enroll(uuid);
    const host = await hostRow(uuid);
    // Enrolled, no inventory yet: an empty page of its own, not an error and not another host's apps.
    const before = expectNoGraphQLErrors(await gql(LatestDataQuery, { hostId: encodeGlobalID("Host", host.id), first: 100 })).latestData;
    expect(before).toMatchObject({ totalCount: 0, edges: [], snapshot: null });
    const queries = await read(key);
    expect(Object.values(queries).sort()).toEqual(
      [
        "SELECT hostname, uuid FROM system_info;",
        "SELECT name, path, bundle_identifier, bundle_short_version, bundle_version FROM apps;",
        "SELECT name, version, platform, platform_like, build, arch FROM os_version;",
        "SELECT version FROM osquery_info;",
      ].sort(),
    );
    // osqueryd polls again only once it has answered, or retries a read whose response it never got.
    expect(await read(key)).toEqual(queries);
    expect(await read(key)).toEqual({});
    const body = writeBody(key, queries, (part) => macAnswer(part));
    const published = h.published.length;
    expect((await post("/api/osquery/distributed/write", body)).json).toEqual({});
    await vi.waitFor(() => expect(h.published.length).toBe(published + 1));
    expect(h.published.at(-1)).toMatchObject({ hostId: host.id, status: "SUCCEEDED", source: "AGENT", appCount: MAC_APPS.length, added: MAC_APPS.length });
    // osquery resends after a timeout: the same batch again, plain and gzip-compressed.
    expect((await post("/api/osquery/distributed/write", body)).json).toEqual({});
    expect((await post("/api/osquery/distributed/write", body, { gzip: true })).json).toEqual({});
    expect(await h.db.prisma.snapshot.count({ where: { hostId: host.id } })).toBe(1);
    const latest = expectNoGraphQLErrors(await gql(LatestDataQuery, { hostId: encodeGlobalID("Host", host.id), first: 100 })).latestData;
    expect(latest.totalCount).toBe(MAC_APPS.length);
    expect(latest.edges.map((e) => [e.node.name, e.node.version, e.node.path]).sort()).toEqual(
      MAC_APPS.map((a) => [a["name"], a["bundle_short_version"] || a["bundle_version"] || null, a["path"]]).sort(),
    );
    expect(await read(key)).toEqual({});
  });

  it("when an agent's write holds bytes that are not UTF-8 in app values, then those apps are stored with U+FFFD and INVALID_UTF8_REPLACED, as osqueryi's would be", async () => {
    const uuid = "7A1C2D3E-0000-4000-8000-0000000000F8";
    const key = await enroll(uuid, { hostname: "latin1-mac" });
    const host = await hostRow(uuid);
    const queries = await read(key);
    const apps = [
      { name: "Clean.app", path: "/Applications/Clean.app", bundle_identifier: "com.example.clean", bundle_short_version: "1.0", bundle_version: "1" },
      { name: "Caf@FF@.app", path: "/Applications/Caf@FF@.app", bundle_identifier: "com.example.cafe", bundle_short_version: "2.0", bundle_version: "2" },
      { name: "Sure\uFFFD.app", path: "/Applications/Sure.app", bundle_identifier: "com.example.sure", bundle_short_version: "3.0", bundle_version: "3" },
    ];
    // osqueryd copies a Latin-1 file name's bytes into the JSON string as they are: 0xFF alone is no UTF-8.
    const parts = JSON.stringify(writeBody(key, queries, (part) => macAnswer(part, apps))).split("@FF@");
    const body = Buffer.concat(parts.flatMap((text, i) => [Buffer.from(text), ...(i < parts.length - 1 ? [Buffer.from([0xff])] : [])]));
    expect(parts).toHaveLength(3);
    expect((await post("/api/osquery/distributed/write", body)).json).toEqual({});
    const stored = await h.db.prisma.software.findMany({
      where: { id: { in: await linkedSoftwareIds(h.db.prisma, { hostId: host.id, open: false }) } },
      select: { name: true, path: true, alterations: true },
      orderBy: { name: "asc" },
    });
    expect(stored).toEqual([
      { name: "Caf\uFFFD.app", path: "/Applications/Caf\uFFFD.app", alterations: ["INVALID_UTF8_REPLACED"] },
      { name: "Clean.app", path: "/Applications/Clean.app", alterations: [] },
      // A U+FFFD the agent sent as a character is its own: not an alteration.
      { name: "Sure\uFFFD.app", path: "/Applications/Sure.app", alterations: [] },
    ]);
  });

  it("when a statement fails on the agent, then the snapshot is FAILED with the agent's message and nothing else changes", async () => {
    const uuid = "66666666-0000-0000-0000-000000000001";
    const key = await enroll(uuid, { hostname: "failing" });
    const host = await hostRow(uuid);
    const queries = await read(key);
    const body = writeBody(key, queries, (part) => (part === "software" ? { status: 1, message: "no such table: apps" } : macAnswer(part)));
    expect((await post("/api/osquery/distributed/write", body)).json).toEqual({});
    const snapshot = await h.db.prisma.snapshot.findFirstOrThrow({ where: { hostId: host.id } });
    expect(snapshot).toMatchObject({ status: "FAILED", source: "AGENT", appCount: 0 });
    expect(snapshot.error).toMatch(/^\[AGENT_QUERY_FAILED\] the agent could not run the software statement \(status 1\): no such table: apps$/);
    expect(await h.db.prisma.app.count({ where: { hostId: host.id } })).toBe(0);
  });

  it("when the agent's rows are not rows of strings, then the snapshot is FAILED with the reason", async () => {
    const uuid = "66666666-0000-0000-0000-000000000002";
    const key = await enroll(uuid, { hostname: "malformed-rows" });
    const host = await hostRow(uuid);
    const queries = await read(key);
    const body = writeBody(key, queries, (part) => macAnswer(part));
    const softwareId = Object.keys(queries).find((id) => id.endsWith(":software"))!;
    body.queries[softwareId] = [{ name: 42 }];
    expect((await post("/api/osquery/distributed/write", body)).json).toEqual({});
    const snapshot = await h.db.prisma.snapshot.findFirstOrThrow({ where: { hostId: host.id } });
    expect(snapshot.error).toMatch(/^\[OSQUERY_BAD_OUTPUT\] the agent's rows for software are not rows of strings/);
  });

  it("when bodies are malformed, too large or gzip bombs, then they are refused clearly without echoing them and memory stays bounded", async () => {
    const key = await enroll("77777777-0000-0000-0000-000000000001", { hostname: "bodies" });
    const notJson = await post("/api/osquery/distributed/write", "{not json <script>");
    expect(notJson).toMatchObject({ status: 400, json: { error: "the body is not JSON" } });
    const wrongShape = await post("/api/osquery/log", { node_key: key, log_type: "nonsense", data: [] });
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.json?.["error"]).toMatch(/^malformed log: log_type/);
    expect(wrongShape.json).not.toHaveProperty("node_invalid");
    const big = Buffer.alloc(TEST_FLEET.maxBodyBytes + 1, 0x20);
    expect((await post("/api/osquery/log", big)).status).toBe(413);
    // Without a declared length: counted as it streams in.
    expect((await post("/api/osquery/log", big, { headers: { "transfer-encoding": "chunked" } })).status).toBe(413);
    const small = await post("/api/osquery/log", { node_key: key, log_type: "status", data: [] }, { headers: { "transfer-encoding": "chunked" } });
    expect(small).toMatchObject({ status: 200, json: {} });
    expect((await post("/api/osquery/enroll", Buffer.alloc(65 * 1024, 0x20))).status).toBe(413);
    // 1 GiB of zeros compresses to about a megabyte: refused once inflating passes the limit.
    const bomb = gzipSync(Buffer.alloc(256 * 1024 * 1024));
    const heapBefore = process.memoryUsage().heapUsed;
    const refused = await postAgent(origin, "/api/osquery/log", bomb, { ca: h.pki!.ca, headers: { "content-encoding": "gzip" } });
    expect(refused).toMatchObject({ status: 413, json: { error: expect.stringMatching(/once decompressed/) } });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect((await post("/api/osquery/log", "x", { headers: { "content-encoding": "br" } })).status).toBe(415);
    expect((await postAgent(origin, "/api/osquery/config", "", { ca: h.pki!.ca, method: "GET" })).status).toBe(405);
  });

  it("when status lines arrive, then warnings and errors are kept (the newest few per host), info is not, and a resent batch doubles nothing", async () => {
    const uuid = "88888888-0000-0000-0000-000000000001";
    const key = await enroll(uuid, { hostname: "logs" });
    const host = await hostRow(uuid);
    const line = (i: number, severity: number | string) => ({
      hostIdentifier: "logs",
      calendarTime: "Mon Nov 30 20:00:00 2026 UTC",
      unixTime: 1796068800 + i,
      severity,
      filename: "tls.cpp",
      line: 216,
      message: `message ${i}`,
      version: "5.23.1",
    });
    const batch = { data: [line(1, 0), line(2, 1), line(3, "2"), line(4, 2)], log_type: "status", node_key: key };
    expect((await post("/api/osquery/log", batch)).json).toEqual({});
    expect((await post("/api/osquery/log", batch, { gzip: true })).json).toEqual({});
    const kept = await h.db.prisma.agentError.findMany({ where: { hostId: host.id }, orderBy: { id: "asc" } });
    expect(kept.map((e) => [e.severity, e.message])).toEqual([
      [1, "message 2"],
      [2, "message 3"],
      [2, "message 4"],
    ]);
    expect(kept[0]!.loggedAt.toISOString()).toBe(new Date((1796068800 + 2) * 1000).toISOString());
    const more = { data: [5, 6, 7, 8].map((i) => line(i, 2)), log_type: "status", node_key: key };
    await post("/api/osquery/log", more);
    const newest = await h.db.prisma.agentError.findMany({ where: { hostId: host.id }, orderBy: { id: "asc" } });
    expect(newest.map((e) => e.message)).toEqual(["message 4", "message 5", "message 6", "message 7", "message 8"]);
    const shown = expectNoGraphQLErrors(await gql(HostQuery, { id: encodeGlobalID("Host", host.id), errors: 2 })).host!.agentErrors;
    expect(shown).toEqual([
      { severity: "ERROR", message: "message 8", loggedAt: new Date((1796068800 + 8) * 1000).toISOString(), filename: "tls.cpp", line: 216, osqueryVersion: "5.23.1" },
      expect.objectContaining({ message: "message 7" }),
    ]);
  });

  it("when result lines arrive twice, then they are counted once", async () => {
    const uuid = "88888888-0000-0000-0000-000000000002";
    const key = await enroll(uuid, { hostname: "results" });
    const events = JSON.parse(readFileSync(fixture("tls_logger_result_request_events.json"), "utf8")) as { data: unknown[] };
    const body = { data: events.data, log_type: "result", node_key: key };
    await post("/api/osquery/log", body);
    await post("/api/osquery/log", body, { gzip: true });
    const host = await hostRow(uuid);
    expect(Number(host.resultLines)).toBe(events.data.length);
  });

  it("when a batch of result lines arrives twice at once and then overlaps a later one, then each line is counted once", async () => {
    const uuid = "88888888-0000-0000-0000-000000000003";
    const key = await enroll(uuid, { hostname: "results-at-once" });
    const lines = Array.from({ length: 40 }, (_, i) => ({ name: "pack_inventory_apps", hostIdentifier: "results-at-once", unixTime: 1796068800 + i, columns: { n: String(i) }, action: "added" }));
    const batch = (from: number, to: number) => ({ data: lines.slice(from, to), log_type: "result", node_key: key });
    const answers = await Promise.all([post("/api/osquery/log", batch(0, 30)), post("/api/osquery/log", batch(0, 30), { gzip: true })]);
    expect(answers.map((a) => a.json)).toEqual([{}, {}]);
    expect(Number((await hostRow(uuid)).resultLines)).toBe(30);
    expect((await post("/api/osquery/log", batch(20, 40))).json).toEqual({});
    expect(Number((await hostRow(uuid)).resultLines)).toBe(40);
  });

  it("when the same machine enrolls again, then it keeps its host and history and the previous key stops working", async () => {
    const uuid = "7A1C2D3E-4F50-5A6B-8C7D-9E0F1A2B3C4D";
    const before = await hostRow(uuid);
    const snapshots = await h.db.prisma.snapshot.count({ where: { hostId: before.id } });
    const first = await enroll(uuid);
    const second = await enroll(uuid);
    expect((await post("/api/osquery/config", { node_key: first })).json).toEqual({ node_invalid: true });
    expect((await post("/api/osquery/config", { node_key: second })).json).toHaveProperty("options");
    const after = await hostRow(uuid);
    expect(after.id).toBe(before.id);
    expect(await h.db.prisma.snapshot.count({ where: { hostId: before.id } })).toBe(snapshots);
    expect(h.logs.some((l) => l.msg.startsWith("agent re-enrolled"))).toBe(true);
  });

  it("when a second machine enrolls with the identifier of an online host, then it takes the host over, the first agent's key is revoked, and a warning says so", async () => {
    const uuid = "99999999-0000-0000-0000-000000000001";
    const first = await enroll(uuid, { hostname: "clone-a", instanceId: "aaaaaaaa-0000-0000-0000-000000000001" });
    await post("/api/osquery/config", { node_key: first });
    await enroll(uuid, { hostname: "clone-b", instanceId: "bbbbbbbb-0000-0000-0000-000000000002" });
    expect((await post("/api/osquery/config", { node_key: first })).json).toEqual({ node_invalid: true });
    expect((await hostRow(uuid)).hostname).toBe("clone-b");
    expect(h.logs.some((l) => l.level === "warn" && /second machine enrolled with the identifier/.test(l.msg))).toBe(true);
  });

  it("when collectSnapshot names an agent host, then the agent is sent the queries at its next read and the mutation answers with the snapshot its write produced", async () => {
    const uuid = "aaaaaaaa-1111-0000-0000-000000000001";
    const key = await enroll(uuid, { hostname: "collect-now" });
    const host = await hostRow(uuid);
    // The first inventory, as any new host gets it.
    const first = await read(key);
    await post("/api/osquery/distributed/write", writeBody(key, first, (part) => macAnswer(part)));
    expect(await read(key)).toEqual({});
    const pending = gql(CollectHostMutation, { hostId: encodeGlobalID("Host", host.id) });
    await vi.waitFor(async () => expect((await hostRow(uuid)).inventoryRequestedAt).not.toBeNull());
    const asked = await read(key);
    expect(Object.keys(asked)).toHaveLength(4);
    const apps = MAC_APPS.slice(1);
    await post("/api/osquery/distributed/write", writeBody(key, asked, (part) => macAnswer(part, apps)));
    const snapshot = expectNoGraphQLErrors(await pending).collectSnapshot;
    expect(snapshot).toMatchObject({ status: "SUCCEEDED", source: "AGENT", appCount: apps.length, removed: 1, added: 0 });
    expect((await hostRow(uuid)).inventoryRequestedAt).toBeNull();
  });

  it("when the agent does not answer in time, then collectSnapshot fails with COLLECTION_PENDING and the request stays queued for the next read", async () => {
    const uuid = "aaaaaaaa-1111-0000-0000-000000000002";
    const key = await enroll(uuid, { hostname: "slow-agent" });
    const host = await hostRow(uuid);
    await post("/api/osquery/distributed/write", writeBody(key, await read(key), (part) => macAnswer(part)));
    const result = await gql(CollectHostMutation, { hostId: encodeGlobalID("Host", host.id) });
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: "COLLECTION_PENDING" } });
    expect(result.errors?.[0]?.message).toMatch(/has not answered within 3 s .*stays queued/);
    expect(Object.keys(await read(key))).toHaveLength(4);
  });

  it("when hosts are filtered, then hostname, platform and online narrow the list and totalCount follows", async () => {
    const all = expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 100 })).hosts;
    expect(all.totalCount).toBe(all.edges.length);
    const clone = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { hostnameContains: "CLONE" } })).hosts;
    expect(clone.edges.map((e) => e.node.hostname)).toEqual(["clone-b"]);
    const mac = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { platform: "darwin" }, first: 100 })).hosts;
    expect(mac.totalCount).toBe(all.totalCount);
    expect(expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { platform: "windows" } })).hosts.totalCount).toBe(0);
    await h.db.prisma.host.updateMany({ where: { hostname: "clone-b" }, data: { lastSeenAt: new Date(Date.now() - 3_600_000) } });
    const offline = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: false }, first: 100 })).hosts;
    expect(offline.edges.map((e) => e.node.hostname)).toContain("clone-b");
    expect(offline.edges.every((e) => !e.node.online)).toBe(true);
    const online = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: true }, first: 100 })).hosts;
    expect(online.totalCount + offline.totalCount).toBe(all.totalCount);
  });

  it("when agents poll, then last-seen times reach the database in batches", async () => {
    const uuid = "bbbbbbbb-0000-0000-0000-000000000001";
    const key = await enroll(uuid, { hostname: "last-seen" });
    await h.db.prisma.host.update({ where: { identifier: `uuid:${uuid}` }, data: { lastSeenAt: new Date(0) } });
    await post("/api/osquery/config", { node_key: key });
    await vi.waitFor(async () => expect((await hostRow(uuid)).lastSeenAt!.getTime()).toBeGreaterThan(Date.now() - 60_000), { timeout: 5000 });
  });
});
