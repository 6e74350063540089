import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { FleetHostsQuery } from "../helpers/fleet-operations.js";
import { makeTempDir } from "../helpers/temp.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("npm run demo", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("when a new user runs the demo without osquery, then simulated hosts of the four platforms report within a minute, and every one says it is simulated", async () => {
    const dir = await makeTempDir("demo");
    cleanup.push(dir.remove);
    const demo = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", DATA_DIR: join(dir.path, "data"), DEMO_HOSTS: "4", LOG_LEVEL: "info", OSQUERY_BIN: "/nonexistent/osqueryi" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    cleanup.push(async () => {
      if (demo.exitCode === null) demo.kill("SIGKILL");
      await exited;
    });
    const lines: { level?: string; msg?: string; url?: string }[] = [];
    createInterface({ input: demo.stdout! }).on("line", (line) => {
      try {
        lines.push(JSON.parse(line) as (typeof lines)[number]);
      } catch {
        // Only JSON lines are of interest.
      }
    });
    const started = Date.now();
    let endpoint: string | undefined;
    while (!endpoint && Date.now() - started < 60_000) {
      endpoint = lines.find((l) => l.msg === "GraphQL server listening")?.url;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(endpoint).toBeDefined();
    expect(lines.some((l) => l.level === "warn" && l.msg?.startsWith("DEMO MODE"))).toBe(true);
    let hosts: Awaited<ReturnType<typeof hostsNow>> | undefined;
    const hostsNow = async () => expectNoGraphQLErrors(await execute(endpoint!, FleetHostsQuery, { first: 10 })).hosts;
    while (Date.now() - started < 60_000) {
      hosts = await hostsNow();
      if (hosts.edges.length === 4 && hosts.edges.every((e) => e.node.latestSnapshot?.status === "SUCCEEDED")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(hosts?.edges.map((e) => e.node.platform).sort()).toEqual(["darwin", "rhel", "ubuntu", "windows"]);
    for (const edge of hosts!.edges) {
      expect(edge.node).toMatchObject({ demo: true, enrolled: true, online: true, local: false, latestSnapshot: { status: "SUCCEEDED", source: "AGENT" } });
      expect(edge.node.latestSnapshot!.appCount).toBeGreaterThan(50);
    }
    demo.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
