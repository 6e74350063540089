import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createFleet, createLimiter, platformOf, type Fleet } from "../helpers/agent-simulator/fleet.js";
import { createStats, mergeReports, reportBetween, reportOf, transportErrorKind } from "../helpers/agent-simulator/stats.js";
import type { StatsReport } from "../helpers/agent-simulator/stats.js";
import { createTestPkis, defaultHandler, startTestDouble, type TestDouble, type TestPkis } from "../helpers/osquery-tls-double.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = "test/helpers/agent-simulator/cli.ts";

let pki: TestPkis;
let double: TestDouble | undefined;
let fleet: Fleet | undefined;

beforeAll(async () => {
  pki = await createTestPkis();
});
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
  await double?.close();
  double = undefined;
});
afterAll(async () => {
  await pki.remove();
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("the fleet runner", () => {
  it("when a mixed fleet runs, then every host enrolls and polls, and the report counts requests, bytes and the simulator's CPU", async () => {
    double = await startTestDouble({ tls: { key: pki.server.key, cert: pki.server.cert } });
    const server = double;
    fleet = createFleet({
      url: server.url,
      ca: pki.server.ca,
      hosts: 8,
      mix: { darwin: 1, ubuntu: 1, rhel: 1, windows: 1 },
      softwareCount: 50,
      agent: { enrollSecret: "s", timeScale: 0.01, distributedInterval: 10, hostIdentifier: "uuid" },
    });
    await fleet.start();
    await until(() => server.to("/api/osquery/distributed/read").length >= 16);
    await fleet.stop();
    const report = fleet.report();
    const enrolls = server.to("/api/osquery/enroll").map((r) => JSON.parse(r.text) as { host_identifier: string });
    expect(new Set(enrolls.map((e) => e.host_identifier))).toEqual(new Set(fleet.hosts.map((h) => h.osqueryUuid)));
    expect(new Set(fleet.hosts.map((h) => h.platform)).size).toBeGreaterThanOrEqual(3);
    expect(report.hosts).toBe(8);
    expect(report.enrollments).toBe(8);
    expect(report.requests.enroll).toBe(8);
    expect(report.requests.config).toBe(8);
    // The report counts requests that were answered; a read already on the wire when stop() aborted it
    // reaches the server unanswered, at most one per host.
    const reads = server.to("/api/osquery/distributed/read");
    const unanswered = reads.length - report.requests.distributed_read;
    expect(unanswered).toBeGreaterThanOrEqual(0);
    expect(unanswered).toBeLessThanOrEqual(8);
    const bytes = server.requests.reduce((sum, r) => sum + r.raw.length, 0);
    expect(report.bytesSent).toBeLessThanOrEqual(bytes);
    expect(report.bytesSent).toBeGreaterThanOrEqual(bytes - unanswered * Math.max(...reads.map((r) => r.raw.length)));
    expect(report.cpu.userMs).toBeGreaterThan(0);
    expect(report.latencyMs.distributed_read.p50).toBeGreaterThan(0);
    expect(report.crashes).toBe(0);
  });

  it("when the fleet is limited to 2 requests in flight, then the server never sees more than 2 at once", async () => {
    let inFlight = 0;
    let peak = 0;
    const answer = defaultHandler();
    double = await startTestDouble({
      handler: async (request) => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return answer(request);
      },
    });
    const server = double;
    fleet = createFleet({ url: server.url, hosts: 6, concurrency: 2, softwareCount: 5, agent: { timeScale: 0.01, distributedInterval: 10 } });
    await fleet.start();
    await until(() => server.to("/api/osquery/distributed/read").length >= 6);
    expect(peak).toBe(2);
  });

  it("when platforms are drawn for many hosts, then the draw is deterministic and follows the weights", () => {
    const weights = { darwin: 4, windows: 3, ubuntu: 2, rhel: 1 };
    const draw = Array.from({ length: 10_000 }, (_, i) => platformOf(9, i, weights));
    expect(draw).toEqual(Array.from({ length: 10_000 }, (_, i) => platformOf(9, i, weights)));
    const share = (p: string) => draw.filter((d) => d === p).length / draw.length;
    expect(share("darwin")).toBeCloseTo(0.4, 1);
    expect(share("windows")).toBeCloseTo(0.3, 1);
    expect(share("ubuntu")).toBeCloseTo(0.2, 1);
    expect(share("rhel")).toBeCloseTo(0.1, 1);
  });

  it("when a limiter of 3 runs 10 jobs, then at most 3 run at once and all finish", async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limit(async () => {
          peak = Math.max(peak, ++running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
  });

  it("when reports of several processes are merged, then counters and CPU add up and latency buckets combine", () => {
    const a = createStats();
    const b = createStats();
    a.record("log", { ok: true, status: 200, body: "{}", bytesSent: 10, bytesReceived: 2, ms: 1 });
    b.record("log", { ok: true, status: 200, body: "{}", bytesSent: 5, bytesReceived: 2, ms: 100 });
    b.record("log", { ok: false, error: "x", bytesSent: 5, bytesReceived: 0, ms: 100, aborted: false });
    const merged = mergeReports([reportOf(a, { cpu: { userMs: 1, systemMs: 2 }, wallMs: 5, hosts: 1 }), reportOf(b, { cpu: { userMs: 3, systemMs: 4 }, wallMs: 7, hosts: 2 })]);
    expect(merged.requests.log).toBe(3);
    expect(merged.transportErrors.log).toBe(1);
    expect(merged.bytesSent).toBe(20);
    expect(merged.httpStatus).toEqual({ "200": 2 });
    expect(merged.cpu).toEqual({ userMs: 4, systemMs: 6 });
    expect(merged.wallMs).toBe(7);
    expect(merged.hosts).toBe(3);
    expect(merged.latencyMs.log.p50).toBeGreaterThanOrEqual(90);
    expect(merged.latencyMs.log.max).toBeLessThan(130);
  });

  it("when transport errors of several kinds happen, then they are counted by endpoint and kind, addresses left out, in reports, merges and windows", () => {
    const fail = (error: string) => ({ ok: false as const, error, bytesSent: 1, bytesReceived: 0, ms: 1, aborted: false });
    expect(transportErrorKind("Request error: Request timeout")).toBe("timeout");
    expect(transportErrorKind("Request error: connect ECONNREFUSED 127.0.0.1:4000")).toBe("ECONNREFUSED");
    expect(transportErrorKind("Request error: socket closed at byte 17 of 10.0.0.1:443")).toBe("socket closed at byte # of #");
    const a = createStats();
    a.record("enroll", fail("Request error: read ECONNRESET"));
    const early = reportOf(a, { cpu: { userMs: 0, systemMs: 0 }, wallMs: 1, hosts: 1 });
    a.record("enroll", fail("Request error: read ECONNRESET"));
    a.record("distributed_read", fail("Request error: Request timeout"));
    const late = reportOf(a, { cpu: { userMs: 0, systemMs: 0 }, wallMs: 2, hosts: 1 });
    expect(late.transportErrorKinds).toEqual({ "enroll: ECONNRESET": 2, "distributed_read: timeout": 1 });
    expect(reportBetween(early, late).transportErrorKinds).toEqual({ "enroll: ECONNRESET": 1, "distributed_read: timeout": 1 });
    expect(mergeReports([late, late]).transportErrorKinds).toEqual({ "enroll: ECONNRESET": 4, "distributed_read: timeout": 2 });
    // However many distinct messages, a bounded number of kinds.
    const b = createStats();
    for (let i = 0; i < 100; i++) b.record("log", fail(`Request error: strange failure ${"x".repeat(i)}`));
    expect(Object.keys(b.transportErrorKinds).length).toBeLessThanOrEqual(25);
    expect(b.transportErrorKinds["other"]).toBeGreaterThan(0);
  });
});

describe("a window between two reports", () => {
  it("when an earlier report is subtracted from a later one, then counters, CPU and latency cover only the requests in between", () => {
    const stats = createStats();
    for (let i = 0; i < 100; i++) stats.record("distributed_read", { ok: true, status: 200, body: "{}", bytesSent: 10, bytesReceived: 2, ms: 1000 });
    const earlier = reportOf(stats, { cpu: { userMs: 10, systemMs: 5 }, wallMs: 1000, hosts: 4 });
    for (let i = 0; i < 50; i++) stats.record("distributed_read", { ok: true, status: 200, body: "{}", bytesSent: 10, bytesReceived: 2, ms: 2 });
    stats.record("log", { ok: true, status: 503, body: "{}", bytesSent: 1, bytesReceived: 1, ms: 2 });
    const later = reportOf(stats, { cpu: { userMs: 25, systemMs: 7 }, wallMs: 4000, hosts: 4 });
    const window = reportBetween(earlier, later);
    expect(window.requests.distributed_read).toBe(50);
    expect(window.requests.log).toBe(1);
    expect(window.httpStatus).toEqual({ "200": 50, "503": 1 });
    expect(window.bytesSent).toBe(501);
    expect(window.cpu).toEqual({ userMs: 15, systemMs: 2 });
    expect(window.wallMs).toBe(3000);
    // The slow requests before the window are not in its percentiles.
    expect(window.latencyMs.distributed_read.p99).toBeLessThan(3);
    expect(later.latencyMs.distributed_read.p50).toBeGreaterThan(900);
  });
});

describe("the CLI", () => {
  it("when run with 2 processes and sent SIGUSR2 midway, then it prints an interim report and then one final JSON report covering every host, with the enroll secret trimmed", async () => {
    double = await startTestDouble({ tls: { key: pki.server.key, cert: pki.server.cert } });
    const secretFile = join(pki.dir, "secret");
    await writeFile(secretFile, "fleet-secret\n");
    const args = [
      "--import",
      "tsx",
      CLI,
      "--url",
      double.url,
      "--ca",
      pki.server.caFile,
      "--enroll-secret-file",
      secretFile,
      "--hosts",
      "5",
      "--processes",
      "2",
      "--duration",
      "3",
      "--time-scale",
      "0.01",
      "--distributed-interval",
      "10",
      "--software-count",
      "20",
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    // Every child has installed its SIGUSR2 handler before its fleet enrolls anyone.
    await expect.poll(() => double!.to("/api/osquery/enroll").length, { timeout: 20_000 }).toBe(5);
    child.kill("SIGUSR2");
    await expect.poll(() => out.includes("\n"), { timeout: 5000 }).toBe(true);
    const code = await exited;
    expect(err).toBe("");
    expect(code).toBe(0);
    const [interimLine, finalLine, ...rest] = out.trim().split("\n");
    expect(rest).toEqual([]);
    const interim = JSON.parse(interimLine!) as StatsReport & { interim: boolean; processes: number };
    expect(interim).toMatchObject({ interim: true, hosts: 5, processes: 2, enrollments: 5, loopDelayMs: { p99: expect.any(Number), max: expect.any(Number) } });
    const report = JSON.parse(finalLine!) as StatsReport & { processes: number; failedProcesses: number; interim?: boolean };
    expect(report.interim).toBeUndefined();
    expect(report.requests.distributed_read).toBeGreaterThanOrEqual(interim.requests.distributed_read);
    expect(report).toMatchObject({ hosts: 5, processes: 2, failedProcesses: 0, enrollments: 5 });
    expect(report.requests.distributed_read).toBeGreaterThanOrEqual(10);
    expect(report.cpu.userMs).toBeGreaterThan(0);
    const enrolls = double.to("/api/osquery/enroll").map((r) => JSON.parse(r.text) as { enroll_secret: string; host_identifier: string });
    expect(enrolls.map((e) => e.enroll_secret)).toEqual(Array(5).fill("fleet-secret"));
    expect(new Set(enrolls.map((e) => e.host_identifier)).size).toBe(5);
  });

  it("when --url is missing, then it prints the usage and exits 2", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "--hosts", "1"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(2);
    expect(err).toContain("--url is required");
  });
});
