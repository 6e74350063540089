import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { environmentVariables } from "../../src/config.js";
import { createFakeMachine, ubuntu } from "../helpers/machine.js";
import { spawnService, type ServiceProcess } from "../helpers/service.js";
import { makeTempDir } from "../helpers/temp.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };

const exitOf = (service: ServiceProcess) =>
  service.child.exitCode !== null ? Promise.resolve(service.child.exitCode) : new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

describe("starting the service", () => {
  it("when the port is already in use, then it exits 1 within seconds, naming the port, without opening the database", async () => {
    const port = await occupyPort();
    const dir = await makeTempDir("port-in-use");
    cleanups.push(() => dir.remove());
    const dataDir = join(dir.path, "data");
    const started = performance.now();
    const service = spawnService({ PORT: String(port), DATA_DIR: dataDir });
    expect(await exitOf(service)).toBe(1);
    const elapsed = performance.now() - started;

    const fatal = service.logs.find((l) => l.msg === "failed to start");
    expect(fatal).toMatchObject({ level: "fatal", reason: `PORT ${port} on 127.0.0.1 is already in use by another process` });
    expect(fatal).not.toHaveProperty("err");
    expect(service.logs.map((l) => l.msg)).not.toContain("opening database");
    expect(existsSync(dataDir)).toBe(false);
    // Node and tsx alone take about a second on a busy machine; opening a fresh PGlite takes one to several more.
    expect(elapsed).toBeLessThan(5000);
  });

  it("when requests arrive while the database opens, then /health, the API and websockets get 503 starting; once started, the same port serves", async () => {
    const dir = await makeTempDir("starting");
    const machine = await createFakeMachine(ubuntu());
    cleanups.push(() => dir.remove(), () => machine.dispose());
    const service = spawnService({ DATA_DIR: join(dir.path, "data"), OSQUERY_BIN: machine.binary });
    cleanups.push(() => service.stop("SIGKILL"));

    const bound = await service.waitForLog((l) => l.msg === "port bound; answering 503 until started");
    const origin = String(bound["health"]).replace(/\/health$/, "");
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(503);
    expect(health.headers.get("retry-after")).toBe("2");
    expect(await health.json()).toEqual({ status: "starting" });
    const api = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
    expect(api.status).toBe(503);
    expect(await api.json()).toEqual({ errors: [{ message: "the service is starting; retry shortly", extensions: { code: "STARTING" } }] });
    const upgrade = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${origin.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
      ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.once("open", () => reject(new Error("the websocket opened while the service was starting")));
      ws.once("error", reject);
    });
    expect(upgrade).toBe(503);
    // Still starting: the database was not even open when these were answered.
    expect(service.logs.map((l) => l.msg)).not.toContain("GraphQL server listening");

    const listening = await service.waitForLog((l) => l.msg === "GraphQL server listening", 120_000);
    expect(listening["url"]).toBe(`${origin}/graphql`);
    expect((await fetch(`${origin}/health`)).status).toBe(200);
    const ready = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"{ __typename }"}' });
    expect(await ready.json()).toEqual({ data: { __typename: "Query" } });
    expect(await service.stop("SIGTERM")).toEqual({ code: 0, signal: null });
  });
});

describe("stopping the service", () => {
  it("when SIGTERM arrives while a scheduled collection waits on a hung osqueryi, then the run is abandoned and it exits 0 well within 10 s", async () => {
    const dir = await makeTempDir("stop-while-collecting");
    const scenario = ubuntu();
    scenario.tables["deb_packages"] = { ...scenario.tables["deb_packages"], delayMs: 60_000 };
    const machine = await createFakeMachine(scenario);
    cleanups.push(() => dir.remove(), () => machine.dispose());
    const service = spawnService({ DATA_DIR: join(dir.path, "data"), OSQUERY_BIN: machine.binary, OSQUERY_TIMEOUT_MS: "120000" });
    cleanups.push(() => service.stop("SIGKILL"));
    await service.waitForLog((l) => l.msg === "GraphQL server listening", 120_000);
    // The collection at start is under way once osqueryi has been asked for the packages.
    await vi.waitFor(async () => expect((await machine.invocations()).some((run) => /deb_packages/.test(run.sql))).toBe(true), { timeout: 30_000, interval: 100 });

    const started = performance.now();
    expect(await service.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeLessThan(5000);
    const messages = service.logs.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(["collection abandoned: the service is shutting down", "stopped"]));
    expect(messages).not.toContain("shutdown took too long; exiting");
    expect(service.logs.filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
  });
});

describe("the command line", () => {
  it("when run with --help, then it prints the commands and every environment variable with its default, and exits 0 even with a bad environment", async () => {
    const service = spawnService({ PORT: "not-a-port" }, ["--help"]);
    expect(await exitOf(service)).toBe(0);
    const out = service.stray.join("\n");
    expect(out).toMatch(/^Usage: /);
    expect(out).toMatch(/^ {2}migrate +apply database migrations and exit$/m);
    const variables = environmentVariables();
    expect(variables.length).toBeGreaterThan(30);
    for (const v of variables) {
      expect(out).toMatch(new RegExp(`^ {2}${v.name} +${(v.defaultValue ?? "(unset)").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    }
    expect(out).toMatch(/^ {2}PORT +4000$/m);
    expect(out).toMatch(/^ {2}DATABASE_URL +\(unset\)$/m);
    expect(service.logs).toEqual([]);
    expect(service.stderr()).toBe("");
  });

  it("when run with --version, then it prints the package version and the checkout's git revision, and exits 0", async () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const service = spawnService({}, ["--version"]);
    expect(await exitOf(service)).toBe(0);
    expect(service.stray[0]).toBe(`${pkg.name} ${pkg.version}`);
    expect(service.stray[1]).toMatch(new RegExp(`^revision ${head}(-dirty)? \\(from git\\)$`));
    expect(service.stderr()).toBe("");
  });

  it("when started through npm start -- --version, then the arguments reach the service", async () => {
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn("npm", ["start", "--silent", "--", "--version"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.once("exit", (code) => resolve({ code, stdout }));
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^${pkg.name} ${pkg.version.replace(/\./g, "\\.")}\\n`));
  });

  it.each([["--frobnicate", /Unknown option '--frobnicate'/], ["migrate extra", /Unexpected argument "extra"/]])(
    "when run with %s, then it exits 2 with the usage on stderr and starts nothing",
    async (args, message) => {
      const service = spawnService({}, args.split(" "));
      expect(await exitOf(service)).toBe(2);
      expect(service.stderr()).toMatch(message);
      expect(service.stderr()).toMatch(/^Usage: /m);
      expect(service.logs).toEqual([]);
    },
  );
});
