import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from "../helpers/database.js";
import { createWebSocketClient, execute, expectNoGraphQLErrors, postRaw, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine, type Package } from "../helpers/machine.js";
import { CollectSnapshotMutation, LatestDataQuery, SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";
import { makeTempDir } from "../helpers/temp.js";

const packages: Package[] = generatedPackages(320);

describe.each(backends)("the service process on %s", (backend) => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  const started: ServiceProcess[] = [];
  let current = packages;

  const start = async (extra: Record<string, string> = {}) => {
    const s = await startService({ ...database.env, OSQUERY_BIN: machine.binary, OSQUERY_TIMEOUT_MS: "4000", OSQUERY_MAX_OUTPUT_BYTES: "1048576", ...extra });
    started.push(s);
    return s;
  };
  const latestPage = async (variables: { first?: number; after?: string | null; last?: number; before?: string | null } = { first: 100 }) =>
    expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, variables)).latestData;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    machine = await createFakeMachine(ubuntu(current));
    service = await start();
    await service.waitForLog((l) => l.msg === "collection succeeded");
  });
  afterAll(async () => {
    for (const s of started) await s.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when it starts, then /health answers 200 and the first collection is served by latestData", async () => {
    const health = await fetch(`${service.origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", database: "up" });
    const page = await latestPage();
    expect(page.totalCount).toBe(packages.length);
    expect(page.snapshot).toMatchObject({ status: "SUCCEEDED", appCount: packages.length, added: packages.length });
    expect(service.stray).toEqual([]);
    expect(service.logs.every((l) => typeof l.level === "string" && typeof l["time"] === "string")).toBe(true);
  });

  it("when a client pages through hundreds of apps over HTTP both ways, then it sees each app once, in order", async () => {
    const forward: string[] = [];
    let after: string | null = null;
    do {
      const page = await latestPage({ first: 45, after });
      forward.push(...page.edges.map((e) => e.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(forward).toHaveLength(packages.length);
    expect(new Set(forward).size).toBe(packages.length);
    const byKey = [...forward].sort((a, b) => Buffer.compare(Buffer.from(a.toLowerCase()), Buffer.from(b.toLowerCase())));
    expect(forward).toEqual(byKey);

    const backward: string[] = [];
    let before: string | null = null;
    do {
      const page = await latestPage({ last: 45, before });
      backward.unshift(...page.edges.map((e) => e.node.name));
      before = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
    } while (before);
    expect(backward).toEqual(forward);
  });

  it("when a browser opens /graphql, then GraphiQL is served", async () => {
    const response = await fetch(service.endpoint, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/graphiql/i);
  });

  it("when a snapshot lands in the middle of a cursor walk over HTTP, then the walk ends on the snapshot it started from", async () => {
    const startNames = (await walkNames()).sort();
    let page = await latestPage({ first: 50 });
    const startedOn = page.snapshot!.id;
    const walked = page.edges.map((e) => e.node.name);
    current = [...current.slice(20, 200), ...generatedPackages(30, "mid-walk")];
    await machine.set(ubuntu(current));
    const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
    expect(collected).toMatchObject({ status: "SUCCEEDED", added: 30 });
    while (page.pageInfo.hasNextPage) {
      page = await latestPage({ first: 50, after: page.pageInfo.endCursor });
      expect(page.snapshot!.id).toBe(startedOn);
      walked.push(...page.edges.map((e) => e.node.name));
    }
    expect(walked.sort()).toEqual(startNames);
    expect((await latestPage({ first: 1 })).totalCount).toBe(current.length);
  });

  async function walkNames(): Promise<string[]> {
    const names: string[] = [];
    let after: string | null = null;
    do {
      const page = await latestPage({ first: 100, after });
      names.push(...page.edges.map((e) => e.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    return names;
  }

  it("when a filter is given, then only matching apps are counted and paged", async () => {
    const page = expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, { filter: { nameContains: "PKG-00" }, first: 100 })).latestData;
    expect(page.totalCount).toBe(current.filter((p) => p.name.toLowerCase().includes("pkg-00")).length);
    expect(page.totalCount).toBeGreaterThan(0);
    expect(page.edges.every((e) => e.node.name.toLowerCase().includes("pkg-00"))).toBe(true);
  });

  it.each([
    ["first: 101", { first: 101 }],
    ["first: -1", { first: -1 }],
    ["first and last", { first: 1, last: 1 }],
    ["a forged cursor", { after: Buffer.from("app:1:999999").toString("base64url") }],
    ["a malformed cursor", { before: "%%%" }],
  ])("when a client sends %s over HTTP, then it gets BAD_USER_INPUT and no 5xx", async (_name, variables) => {
    const result = await execute(service.endpoint, LatestDataQuery, variables);
    expect(result.status).toBeLessThan(500);
    expect(result.errors?.[0]?.extensions?.["code"]).toBe("BAD_USER_INPUT");
  });

  it.each([
    ["a body that is not JSON", "{not json"],
    ["a string where an Int goes", JSON.stringify({ query: '{ latestData(first: "ten") { totalCount } }' })],
    ["an unknown field", JSON.stringify({ query: "{ nope }" })],
    ["a variable of the wrong type", JSON.stringify({ query: "query($n: Int) { latestData(first: $n) { totalCount } }", variables: { n: "x" } })],
  ])("when a request carries %s, then it gets 400 (graphql-response+json) and never a 5xx (application/json)", async (_name, body) => {
    expect((await postRaw(service.endpoint, body)).status).toBe(400);
    const legacy = await postRaw(service.endpoint, body, "application/json");
    expect(legacy.status).toBeLessThan(500);
    expect(legacy.body).toMatch(/"errors"/);
  });

  it("when a collection runs, then graphql-ws and SSE subscribers both receive the new snapshot", async () => {
    const ws = createWebSocketClient(service.endpoint);
    const overWs = subscribeWs(ws, SnapshotUpdatedSubscription);
    const overSse = subscribeSse(service.endpoint, SnapshotUpdatedSubscription);
    try {
      // Subscriptions are set up asynchronously; retry the collection until both have heard one.
      await new Promise((r) => setTimeout(r, 500));
      current = [...current.slice(3), ...generatedPackages(2, "ws-new")];
      await machine.set(ubuntu(current));
      const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
      expect(collected).toMatchObject({ status: "SUCCEEDED", added: 2, removed: 3, appCount: current.length });
      const [a, b] = await Promise.all([overWs.next(), overSse.next()]);
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      expect(a.data?.snapshotUpdated).toEqual(collected);
      expect(b.data?.snapshotUpdated).toEqual(collected);
    } finally {
      await overWs.close();
      await overSse.close();
      await ws.dispose();
    }
  });

  const failures: [string, () => Promise<void>, RegExp][] = [
    ["osqueryi exits with status 1", () => machine.set({ ...ubuntu(current), tables: { ...ubuntu(current).tables, deb_packages: { stdout: "[\n\n]\n", stderr: "Error: no such table: deb_packages\n", exitCode: 1 } } }), /^\[OSQUERY_EXIT\]/],
    ["osqueryi prints bad JSON", () => machine.set({ ...ubuntu(current), tables: { ...ubuntu(current).tables, deb_packages: { stdout: "[\n  {\"name\":" } } }), /^\[OSQUERY_BAD_OUTPUT\]/],
    ["osqueryi times out", () => machine.set({ ...ubuntu(current), tables: { ...ubuntu(current).tables, os_version: { delayMs: 6000, rows: [] } } }), /^\[OSQUERY_TIMEOUT\]/],
    ["osqueryi prints too much", () => machine.set({ ...ubuntu(current), tables: { ...ubuntu(current).tables, deb_packages: { floodBytes: 4 * 1024 * 1024 } } }), /^\[OSQUERY_OUTPUT_TOO_LARGE\]/],
  ];

  it.each(failures)("when %s, then collectSnapshot returns a FAILED snapshot, subscribers hear it, and latestData is unchanged", async (_name, breakIt, reason) => {
    const before = await latestPage();
    const ws = createWebSocketClient(service.endpoint);
    const sub = subscribeWs(ws, SnapshotUpdatedSubscription);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await breakIt();
      const snapshot = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {})).collectSnapshot;
      expect(snapshot.status).toBe("FAILED");
      expect(snapshot.error).toMatch(reason);
      expect((await sub.next()).data?.snapshotUpdated).toMatchObject({ id: snapshot.id, status: "FAILED" });
      expect(await latestPage()).toEqual(before);
    } finally {
      await sub.close();
      await ws.dispose();
      await machine.set(ubuntu(current));
    }
  });

  it("when SIGTERM arrives with subscribers connected, then they are closed with 1001 and the process exits 0; a restart on the same data serves the same snapshot", async () => {
    const before = await latestPage();
    const socket = new WebSocket(service.endpoint.replace(/^http/, "ws"), "graphql-transport-ws");
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
      socket.once("message", () => resolve());
      socket.once("error", reject);
    });
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    const sse = subscribeSse(service.endpoint, SnapshotUpdatedSubscription);
    const sseEnded = sse.next(20_000).then(
      () => "event",
      () => "ended",
    );
    await new Promise((r) => setTimeout(r, 300));
    const stopping = Date.now();
    const exit = await service.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(8000);
    expect(await closed).toBe(1001);
    expect(await sseEnded).toBe("ended");
    expect(service.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));

    service = await start();
    await service.waitForLog((l) => l.msg === "collection succeeded");
    expect(service.logs.some((l) => l.msg === "migration applied")).toBe(false);
    const after = await latestPage();
    // The restart collected again with an unchanged inventory: a new snapshot with the same apps.
    expect(after.snapshot).toMatchObject({ added: 0, removed: 0, appCount: before.totalCount });
    expect(after.edges.map((e) => e.node)).toEqual(before.edges.map((e) => e.node));
  });

  it("when the service has migrated the database, then _prisma_migrations holds the rows prisma migrate deploy would write", async () => {
    await service.stop("SIGTERM");
    const db = await database.open({ migrate: false });
    try {
      const rows = await db.prisma.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM "_prisma_migrations" ORDER BY started_at`);
      const local = (await import("node:fs/promises")).readdir(MIGRATIONS_DIR, { withFileTypes: true });
      const names = (await local).filter((e) => e.isDirectory()).map((e) => e.name).sort();
      expect(rows.map((r) => r["migration_name"])).toEqual(names);
      for (const row of rows) {
        const sql = await readFile(`${MIGRATIONS_DIR}/${String(row["migration_name"])}/migration.sql`);
        expect(row).toMatchObject({
          checksum: createHash("sha256").update(sql).digest("hex"),
          logs: null,
          rolled_back_at: null,
          applied_steps_count: 1,
        });
        expect(String(row["id"])).toMatch(/^[0-9a-f-]{36}$/);
        expect(row["finished_at"]).toBeInstanceOf(Date);
        expect(row["started_at"]).toBeInstanceOf(Date);
      }
    } finally {
      await db.close();
    }
  });
});

describe("the service process without osquery", () => {
  it("when osqueryi is not on PATH, then the first snapshot is FAILED with install advice and the server stays up", async () => {
    const database = await createTestDatabase("pglite");
    const emptyPath = await makeTempDir("nopath");
    const service = await startService({ ...database.env, PATH: emptyPath.path });
    try {
      const failed = await service.waitForLog((l) => l.msg === "collection failed");
      expect(String(failed["reason"])).toMatch(/^\[OSQUERY_NOT_FOUND\] osquery is not installed: "osqueryi" was not found\. Install osquery .* or set OSQUERY_BIN/);
      expect((await fetch(`${service.origin}/health`)).status).toBe(200);
      const page = expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, {})).latestData;
      expect(page).toMatchObject({ totalCount: 0, edges: [], snapshot: null });
    } finally {
      expect(await service.stop("SIGINT")).toEqual({ code: 0, signal: null });
      await emptyPath.remove();
      await database.dispose();
    }
  });
});
