import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchWithCa, postAgent } from "../helpers/agent-requests.js";
import { testDatabaseUrl, testRedisUrl } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { CollectHostMutation, RevokeHostMutation } from "../helpers/fleet-operations.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { startService, type ServiceProcess } from "../helpers/service.js";
import { makeTempDir } from "../helpers/temp.js";
import { makeTestPki, type TestPki } from "../helpers/tls.js";

const SECRET = "cluster-enroll-secret-0001";
const UUID = "5e1f0c2a-7b3d-4e8f-9a0b-1c2d3e4f5a6b";

const enrollment = {
  enroll_secret: SECRET,
  host_identifier: "db-01",
  platform_type: "9",
  host_details: {
    os_version: { name: "Ubuntu", version: "22.04", platform: "ubuntu", platform_like: "debian" },
    osquery_info: { version: "5.23.1", uuid: UUID, instance_id: "11111111-0000-4000-8000-000000000001" },
    system_info: { hostname: "db-01", uuid: UUID },
  },
};

function answer(part: string, packages: number): Record<string, string>[] {
  if (part === "osquery_info") return [{ version: "5.23.1" }];
  if (part === "os_version") return [{ name: "Ubuntu", version: "22.04", platform: "ubuntu", platform_like: "debian", build: "", arch: "x86_64" }];
  if (part === "system_info") return [{ hostname: "db-01", uuid: UUID }];
  return Array.from({ length: packages }, (_, i) => ({ name: `pkg-${i}`, version: `1.${i}`, maintainer: "" }));
}

function writeOf(key: string, queries: Record<string, string>, packages: number) {
  const body = { queries: {} as Record<string, unknown>, statuses: {} as Record<string, number>, messages: {} as Record<string, string>, node_key: key };
  for (const id of Object.keys(queries)) {
    body.queries[id] = answer(id.split(":")[2]!, packages);
    body.statuses[id] = 0;
    body.messages[id] = "";
  }
  return body;
}

/** Agents behind a balancer reach any instance: every step here goes to another one. */
describe.runIf(testDatabaseUrl && testRedisUrl)("fleet mode on three instances sharing PostgreSQL and Redis", () => {
  let database: TestDatabase;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let pki: TestPki;
  const instances: ServiceProcess[] = [];
  const origin = (i: number) => instances[i]!.origin.replace("127.0.0.1", "localhost");
  const agent = (i: number, path: string, body: unknown) => postAgent(origin(i), path, body, { ca: pki.ca });
  const gql = <R, V>(i: number, doc: Parameters<typeof execute<R, V>>[1], variables: V) =>
    execute(`${origin(i)}/graphql`, doc, variables, { fetch: fetchWithCa(pki.ca) });

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    dir = await makeTempDir("fleet-cluster");
    pki = makeTestPki(dir.path);
    const env = {
      ...database.env,
      REDIS_URL: testRedisUrl!,
      ENROLL_SECRET: SECRET,
      TLS_CERT_FILE: pki.certFile,
      TLS_KEY_FILE: pki.keyFile,
      COLLECT_LOCAL: "false",
      AGENT_COLLECT_WAIT_SECONDS: "15",
    };
    for (let i = 0; i < 3; i++) instances.push(await startService(env));
  });
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.stop("SIGKILL")));
    await database?.dispose();
    await dir?.remove();
  });

  it("when an agent enrolls on one instance, reads on another and writes on the third, then one snapshot is stored and a resend to any instance stores nothing", async () => {
    const key = (await agent(0, "/api/osquery/enroll", enrollment)).json!["node_key"] as string;
    const queries = (await agent(1, "/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;
    expect(Object.keys(queries)).toHaveLength(4);
    // No other instance hands the same inventory out again while it is pending.
    expect((await agent(0, "/api/osquery/distributed/read", { node_key: key })).json).toEqual({ queries: {} });
    expect((await agent(2, "/api/osquery/distributed/read", { node_key: key })).json).toEqual({ queries: {} });
    const body = writeOf(key, queries, 40);
    await Promise.all([agent(2, "/api/osquery/distributed/write", body), agent(0, "/api/osquery/distributed/write", body), agent(1, "/api/osquery/distributed/write", body)]);
    const db = await database.open({ migrate: false });
    expect(await db.prisma.snapshot.count()).toBe(1);
    expect(await db.prisma.app.count()).toBe(40);
    // Every instance has heard of the snapshot: none hands the inventory out again.
    for (const i of [0, 1, 2]) expect((await agent(i, "/api/osquery/distributed/read", { node_key: key })).json).toEqual({ queries: {} });
  });

  it("when collectSnapshot runs on one instance, then the agent reading from another gets the queries, and its write to the third answers the mutation", async () => {
    const key = (await agent(1, "/api/osquery/enroll", enrollment)).json!["node_key"] as string;
    const db = await database.open({ migrate: false });
    const host = await db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${UUID}` } });
    const pending = gql(0, CollectHostMutation, { hostId: encodeGlobalID("Host", host.id) });
    let queries: Record<string, string> = {};
    for (let tries = 0; tries < 50 && Object.keys(queries).length === 0; tries++) {
      queries = (await agent(1, "/api/osquery/distributed/read", { node_key: key })).json!["queries"] as Record<string, string>;
      if (Object.keys(queries).length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(Object.keys(queries)).toHaveLength(4);
    await agent(2, "/api/osquery/distributed/write", writeOf(key, queries, 39));
    expect(expectNoGraphQLErrors(await pending).collectSnapshot).toMatchObject({ status: "SUCCEEDED", source: "AGENT", appCount: 39, removed: 1 });
  });

  it("when a host is revoked on one instance, then the key is refused at once on the others, which had it in memory", async () => {
    const key = (await agent(2, "/api/osquery/enroll", enrollment)).json!["node_key"] as string;
    for (const i of [0, 1, 2]) expect((await agent(i, "/api/osquery/config", { node_key: key })).json).toHaveProperty("options");
    const db = await database.open({ migrate: false });
    const host = await db.prisma.host.findUniqueOrThrow({ where: { identifier: `uuid:${UUID}` } });
    expectNoGraphQLErrors(await gql(0, RevokeHostMutation, { id: encodeGlobalID("Host", host.id) }));
    // The event travels through Redis; allow it the time of a round trip.
    await new Promise((r) => setTimeout(r, 300));
    for (const i of [0, 1, 2]) expect((await agent(i, "/api/osquery/config", { node_key: key })).json).toEqual({ node_invalid: true });
  });

  it("when the machine re-enrolls on one instance, then its previous key is refused by all of them", async () => {
    const first = (await agent(0, "/api/osquery/enroll", enrollment)).json!["node_key"] as string;
    for (const i of [0, 1, 2]) expect((await agent(i, "/api/osquery/config", { node_key: first })).json).toHaveProperty("options");
    const second = (await agent(1, "/api/osquery/enroll", enrollment)).json!["node_key"] as string;
    await new Promise((r) => setTimeout(r, 300));
    for (const i of [0, 1, 2]) {
      expect((await agent(i, "/api/osquery/config", { node_key: first })).json).toEqual({ node_invalid: true });
      expect((await agent(i, "/api/osquery/config", { node_key: second })).json).toHaveProperty("options");
    }
  });
});
