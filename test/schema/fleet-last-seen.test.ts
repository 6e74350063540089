import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { macEnrollment, postAgent } from "../helpers/agent-requests.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { FleetHostsQuery, HostQuery } from "../helpers/fleet-operations.js";

const ONLINE_WINDOW_MS = 1500;

describe.each(backends)("Host.lastSeenAt and Host.online between last-seen writes on %s", (backend) => {
  let h: Harness;
  let origin: string;
  const post = (path: string, body: unknown) => postAgent(origin, path, body, { ca: h.pki!.ca });
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function enroll(uuid: string, hostname: string) {
    const key = (await post("/api/osquery/enroll", macEnrollment(TEST_FLEET.secrets[0]!, uuid, hostname))).json!["node_key"] as string;
    const host = await h.db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${uuid}` } });
    return { key, host, id: encodeGlobalID("Host", host.id) };
  }

  beforeAll(async () => {
    // Last-seen times are written once a minute here: between writes only this instance's memory has them.
    h = await createHarness(backend, ubuntu(), { fleet: { onlineWindowMs: ONLINE_WINDOW_MS, lastSeenFlushMs: 60_000 }, collectLocal: false });
    origin = await h.listen();
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when an agent polls after a host query was answered, then the next answer has the new lastSeenAt although the database does not yet", async () => {
    const { key, host, id } = await enroll("0a5e0000-0000-4000-8000-000000000001", "poller");
    const first = expectNoGraphQLErrors(await gql(HostQuery, { id })).host!;
    expect(first.lastSeenAt).toBe(host.lastSeenAt!.toISOString());
    await sleep(30);
    const before = Date.now();
    expect((await post("/api/osquery/config", { node_key: key })).status).toBe(200);
    const second = expectNoGraphQLErrors(await gql(HostQuery, { id })).host!;
    expect(new Date(second.lastSeenAt!).getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(second.lastSeenAt).not.toBe(first.lastSeenAt);
    // Served from memory: the write has not happened.
    expect((await h.db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt).toEqual(host.lastSeenAt);
    // Neither answer was kept by the response cache: both depend on the clock and on memory.
    expect(h.responseCache!.size()).toBe(0);
  });

  it("when an offline host polls again, then it is online at once, and the online filter agrees", async () => {
    const { key, id } = await enroll("0a5e0000-0000-4000-8000-000000000002", "sleeper");
    await sleep(ONLINE_WINDOW_MS + 200);
    expect(expectNoGraphQLErrors(await gql(HostQuery, { id })).host!.online).toBe(false);
    const offline = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: false }, first: 50 })).hosts;
    expect(offline.edges.map((e) => e.node.id)).toContain(id);
    expect((await post("/api/osquery/distributed/read", { node_key: key })).status).toBe(200);
    expect(expectNoGraphQLErrors(await gql(HostQuery, { id })).host!.online).toBe(true);
    const online = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: true }, first: 50 })).hosts;
    expect(online.edges.map((e) => e.node.id)).toContain(id);
    expect(online.edges.find((e) => e.node.id === id)!.node.online).toBe(true);
    const stillOffline = expectNoGraphQLErrors(await gql(FleetHostsQuery, { filter: { online: false }, first: 50 })).hosts;
    expect(stillOffline.edges.map((e) => e.node.id)).not.toContain(id);
  });

  it("when a host stops polling, then a response that showed it online is not served once the window has passed", async () => {
    const { key, id } = await enroll("0a5e0000-0000-4000-8000-000000000003", "leaver");
    expect((await post("/api/osquery/config", { node_key: key })).status).toBe(200);
    expect(expectNoGraphQLErrors(await gql(HostQuery, { id })).host!.online).toBe(true);
    await sleep(ONLINE_WINDOW_MS + 200);
    expect(expectNoGraphQLErrors(await gql(HostQuery, { id })).host!.online).toBe(false);
  });
  it.runIf(backend === "postgres")("when a collection holds a host's row, then writing last-seen times skips that host instead of waiting, and writes it at a later flush", async () => {
    const { key, host } = await enroll("77777777-0000-4000-8000-0000000000aa", "held-row");
    const enrolledSeen = (await h.db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt;
    await sleep(5);
    await post("/api/osquery/distributed/read", { node_key: key });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let markLocked!: () => void;
    const locked = new Promise<void>((resolve) => (markLocked = resolve));
    // What a collection of the host does for the length of its write.
    const collection = h.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM hosts WHERE id = ${host.id} FOR NO KEY UPDATE`;
      markLocked();
      await released;
    }, { timeout: 30_000 });
    await locked;
    const started = performance.now();
    await h.fleet!.hosts.flush();
    expect(performance.now() - started).toBeLessThan(5_000);
    const stored = async () => (await h.db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt;
    expect(await stored()).toEqual(enrolledSeen);
    const pending = h.fleet!.hosts.lastSeen(host.id);
    expect(pending!.getTime()).toBeGreaterThan(enrolledSeen?.getTime() ?? 0);
    release();
    await collection;
    await h.fleet!.hosts.flush();
    expect(await stored()).toEqual(pending);
  });
});
