import { spawnSync } from "node:child_process";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { fetchWithCa, postAgent } from "../helpers/agent-requests.js";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors, subscribeWs } from "../helpers/graphql.js";
import { FleetHostsQuery } from "../helpers/fleet-operations.js";
import { fixtureRows } from "../helpers/machine.js";
import { SnapshotUpdatedSubscription } from "../helpers/operations.js";
import { baseEnv, startService, type ServiceProcess } from "../helpers/service.js";
import { makeTempDir } from "../helpers/temp.js";
import { makeTestPki, type TestPki } from "../helpers/tls.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRETS = ["integration-secret-old-0001", "integration-secret-new-0002"];
const apps = fixtureRows("ubuntu2204_deb_packages.json");

function enrollment(secret: string) {
  return {
    enroll_secret: secret,
    host_identifier: "web-01",
    platform_type: "9",
    host_details: {
      os_version: { name: "Ubuntu", version: "22.04.4 LTS (Jammy Jellyfish)", platform: "ubuntu", platform_like: "debian", major: "22", minor: "4", arch: "x86_64" },
      osquery_info: { version: "5.23.1", uuid: "0f8f3a1e-5d0b-4e5e-9e53-2a3c4b5d6e7f", instance_id: "c0ffee00-0000-4000-8000-000000000001" },
      platform_info: { vendor: "SeaBIOS ", version: "1.16.0 " },
      system_info: { hostname: "web-01", uuid: "0F8F3A1E-5D0B-4E5E-9E53-2A3C4B5D6E7F", hardware_vendor: "QEMU", hardware_model: "Standard PC (Q35 + ICH9, 2009)", physical_memory: "8589934592" },
    },
  };
}

function ubuntuAnswer(part: string): Record<string, string>[] {
  if (part === "osquery_info") return [{ version: "5.23.1" }];
  if (part === "os_version") return [{ name: "Ubuntu", version: "22.04.4 LTS (Jammy Jellyfish)", platform: "ubuntu", platform_like: "debian", build: "", arch: "x86_64" }];
  if (part === "system_info") return [{ hostname: "web-01", uuid: "0F8F3A1E-5D0B-4E5E-9E53-2A3C4B5D6E7F" }];
  return apps;
}

describe.each(backends)("a fleet server process over HTTPS on %s", (backend) => {
  let database: TestDatabase;
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let pki: TestPki;
  let service: ServiceProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    dir = await makeTempDir("fleet");
    pki = makeTestPki(dir.path);
    await writeFile(join(dir.path, "enroll_secret"), `${SECRETS.join("\n")}\n`);
    env = {
      ...database.env,
      ENROLL_SECRET_FILE: join(dir.path, "enroll_secret"),
      TLS_CERT_FILE: pki.certFile,
      TLS_KEY_FILE: pki.keyFile,
      COLLECT_LOCAL: "false",
      AGENT_TLS_HOSTNAME: "localhost:8443",
    };
    service = await startService(env);
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await database?.dispose();
    await dir?.remove();
  });

  it("when it starts with TLS files and an enroll secret file, then it serves HTTPS and says fleet mode is on", () => {
    expect(service.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(service.logs.some((l) => l.msg.startsWith("fleet mode") && l["secrets"] === 2)).toBe(true);
    expect(service.logs.some((l) => l.msg === "collection succeeded" || l.msg === "job scheduled" && l["job"] === "collect-inventory")).toBe(false);
  });

  it("when the flagfile command runs with the same settings, then it prints a flagfile for this server", () => {
    const printed = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "flagfile"], { cwd: ROOT, env: { ...process.env, ...baseEnv, ...env }, encoding: "utf8" });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain("--tls_hostname=localhost:8443\n");
    expect(printed.stdout).toContain("--enroll_tls_endpoint=/api/osquery/enroll\n");
    expect(printed.stdout).toContain("--distributed_interval=10\n");
  });

  it("when an agent enrolls, reads and writes over HTTPS, then a subscriber hears the snapshot and hosts shows the host with its inventory", async () => {
    const origin = service.origin.replace("127.0.0.1", "localhost");
    const agent = (path: string, body: unknown) => postAgent(origin, path, body, { ca: pki.ca });
    const enrolled = await agent("/api/osquery/enroll", enrollment(SECRETS[0]!));
    const key = enrolled.json!["node_key"] as string;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const ws = createClient({
      url: `${origin.replace(/^https/, "wss")}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { ca: pki.ca });
        }
      },
      retryAttempts: 0,
    });
    const hostId = encodeGlobalID("Host", 1);
    const subscription = subscribeWs(ws, SnapshotUpdatedSubscription, { hostId });
    // The subscription is registered before the write (the server acknowledges subscribe by listening).
    await new Promise((resolve) => setTimeout(resolve, 500));

    const read = await agent("/api/osquery/distributed/read", { node_key: key });
    const queries = read.json!["queries"] as Record<string, string>;
    const write = { queries: {} as Record<string, unknown>, statuses: {} as Record<string, number>, messages: {} as Record<string, string>, node_key: key };
    for (const id of Object.keys(queries)) {
      write.queries[id] = ubuntuAnswer(id.split(":")[2]!);
      write.statuses[id] = 0;
      write.messages[id] = "";
    }
    expect((await agent("/api/osquery/distributed/write", write)).json).toEqual({});
    const event = await subscription.next(20_000);
    expect(event.data?.snapshotUpdated).toMatchObject({ status: "SUCCEEDED", appCount: apps.length });
    await subscription.close();
    await ws.dispose();

    const hosts = expectNoGraphQLErrors(await execute(service.endpoint.replace("127.0.0.1", "localhost"), FleetHostsQuery, { first: 10 }, { fetch: fetchWithCa(pki.ca) })).hosts;
    expect(hosts.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({
        hostname: "web-01",
        platform: "ubuntu",
        osName: "Ubuntu",
        hardwareVendor: "QEMU",
        physicalMemory: 8589934592,
        enrolled: true,
        online: true,
        latestSnapshot: expect.objectContaining({ status: "SUCCEEDED", source: "AGENT", appCount: apps.length }),
      }),
    ]);
  });

  it("when the certificate files are replaced and the process gets SIGHUP, then new connections get the new certificate", async () => {
    await mkdir(join(dir.path, "renewed"));
    const renewed = makeTestPki(join(dir.path, "renewed"), ["localhost"]);
    await copyFile(renewed.certFile, pki.certFile);
    await copyFile(renewed.keyFile, pki.keyFile);
    service.child.kill("SIGHUP");
    await service.waitForLog((l) => l.msg === "TLS certificate reloaded");
    const origin = service.origin.replace("127.0.0.1", "localhost");
    const config = await postAgent(origin, "/api/osquery/config", {}, { ca: renewed.ca });
    expect(config.json).toEqual({ node_invalid: true });
    await expect(postAgent(origin, "/api/osquery/config", {}, { ca: pki.ca })).rejects.toThrow(/certificate|self.signed|unable to verify/i);
  });

  it("when it gets SIGTERM, then it exits 0", async () => {
    expect(await service.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});
