/**
 * Subscription fan-out benchmark: how long after a collection commits do 1,000 / 5,000 / 10,000
 * graphql-ws subscribers all have the event, and what do they cost the server in memory? Measured on
 * our real service (a child process on a scratch PostgreSQL database, a fake osqueryi with 200 deb
 * packages) and, in the same run and the same way, on a plain graphql-yoga + graphql-ws server
 * (bench/fanout/plain-server.ts) as the baseline, and on a floor that sends prebuilt frames with bare
 * `ws` and no GraphQL (bench/fanout/floor-server.ts). Subscribers are raw graphql-transport-ws sockets in
 * worker processes of their own (bench/fanout/client.ts), at most 4,000 per process.
 *
 * Run: npm run bench:fanout
 *   BENCH_SUBSCRIBERS   subscriber counts, e.g. "1000,5000" (default 1000,5000,10000)
 *   BENCH_DATABASE_URL  PostgreSQL server for the scratch database (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_SERVICE_NODE_FLAGS  Node flags for our service only, e.g. "--max-semi-space-size=4"
 *   BENCH_CPU_PROF      a directory: both servers run with --cpu-prof and write their profiles under it
 *   BENCH_HEAP_SNAPSHOTS  a directory: every server runs with an inspector on loopback and writes a heap
 *                       snapshot there before the subscribers connect and another once they are all
 *                       subscribed; compare them with `npm run bench:heap-diff -- <idle> <subscribed> 8 <subscribers>`
 * Exits 1 when any subscriber missed an event, got it twice, or got something else.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { decodeGlobalID } from "@pothos/plugin-relay";
import { redactUrl } from "../src/logger.js";
import { createFakeMachine, generatedPackages, ubuntu } from "../test/helpers/machine.js";
import type { PlainSnapshotEvent } from "./fanout/plain-server.js";
import { spawnService } from "../test/helpers/service.js";
import { startSubscriberPool, type RoundReport, type SubscriberPool } from "./fanout/pool.js";
import { buildService } from "./compiled.js";
import { formatTable, percentile } from "./measure.js";
import { connectInspector, inspectorUrl, type HeapProbe } from "./soak/inspector.js";
import { createScratchDatabase, type ScratchDatabase } from "./scratch-database.js";

const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const PLAIN_SERVER = fileURLToPath(new URL("./fanout/plain-server.ts", import.meta.url));
const FLOOR_SERVER = fileURLToPath(new URL("./fanout/floor-server.ts", import.meta.url));

const SUBSCRIBER_COUNTS = [1_000, 5_000, 10_000];
const MAX_SOCKETS_PER_WORKER = 4_000;
const PACKAGES = 200;
/** The first event after subscribing is not timed: it proves every subscription is live and warms the server's code paths. */
const WARMUP_ROUNDS = 1;
/** Five, not three: the machine is shared, and one round in a few lands next to someone else's burst. */
const ROUNDS = 5;
const DELIVERY_TIMEOUT_MS = 60_000;
/** After the last socket hears the event, how long a second copy gets to show up before the round is checked. */
const QUIET_MS = 250;
const SERVER_START_TIMEOUT_MS = 90_000;
const SERVER_STOP_TIMEOUT_MS = 20_000;
/** CPU use over a window below which the server counts as idle: 3 ticks (30 ms at 100 Hz) in 300 ms, 10%. */
const IDLE = { windowMs: 300, maxTicks: 3, timeoutMs: 120_000 } as const;
const TARGET = { subscribers: 10_000, lastMs: 250, rssMb: 300 } as const;

/** Loopback and a port of the kernel's choosing: the heap probe (BENCH_HEAP_SNAPSHOTS) is for this process only. */
const INSPECT = "--inspect=127.0.0.1:0";

const COLLECT = "mutation BenchFanoutCollect { collectSnapshot { id status } }";

type ServerKind = "ours" | "plain" | "floor";

interface Trigger {
  /** The snapshot ID every subscriber must receive. */
  expectedId: string;
  /** Epoch ms the event became final: the commit (ours) or the publish (plain). */
  committedAt: number;
  /** Epoch ms the trigger's HTTP response reached this process. */
  respondedAt: number;
}

interface ServerUnderTest {
  kind: ServerKind;
  child: ChildProcess;
  pid: number;
  wsUrl: string;
  trigger(round: number): Promise<Trigger>;
  stop(): Promise<void>;
  /** Present with BENCH_HEAP_SNAPSHOTS. */
  heap: HeapProbe | null;
}

interface Round {
  firstMs: number;
  medianMs: number;
  lastMs: number;
  responseMs: number;
  rssMb: number;
}

interface Scenario {
  kind: ServerKind;
  subscribers: number;
  workers: number;
  idleRssMb: number | null;
  rounds: Round[];
  /** Anything that makes the numbers worthless: a missed or wrong delivery, a refused socket, a crash. */
  problems: string[];
}

const now = () => performance.timeOrigin + performance.now();
const log = (line: string) => process.stderr.write(`${line}\n`);
const grouped = (n: number) => n.toLocaleString("en-US");
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const median = (values: readonly number[]) => percentile(values, 50);

function parseCounts(text: string | undefined): number[] {
  if (!text) return SUBSCRIBER_COUNTS;
  const counts = text.split(",").map((part) => Number(part.trim().replaceAll("_", "")));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`BENCH_SUBSCRIBERS must list positive whole numbers, e.g. "1000,5000" (got "${text}")`);
  }
  return counts;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return kb / 1024;
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself hold spaces: utime is 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * graphql-ws answers a subscribe with nothing, so the only sign that thousands of subscriptions are
 * all registered is a server with nothing left to do. It also keeps one round's garbage collection
 * out of the next round.
 */
async function waitForIdle(pid: number): Promise<void> {
  const deadline = Date.now() + IDLE.timeoutMs;
  let before = await cpuTicks(pid);
  for (;;) {
    await sleep(IDLE.windowMs);
    const after = await cpuTicks(pid);
    if (after - before <= IDLE.maxTicks) return;
    if (Date.now() > deadline) throw new Error(`the server (pid ${pid}) did not settle: still busy after ${IDLE.timeoutMs / 1000} s`);
    before = after;
  }
}

async function postJson<T>(url: string, body: unknown): Promise<{ body: T; respondedAt: number }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify(body),
  });
  const respondedAt = now();
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url} answered HTTP ${response.status}: ${text.slice(0, 500)}`);
  return { body: JSON.parse(text) as T, respondedAt };
}

async function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  ask();
  const timer = setTimeout(() => child.kill("SIGKILL"), SERVER_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** `track` hears of the process as soon as it exists, so an interrupted start is still cleaned up. */
async function startOurs(
  databaseUrl: string,
  osqueryBin: string,
  profileDir: string | null,
  inspect: boolean,
  track: (child: ChildProcess) => void,
): Promise<ServerUnderTest> {
  const service = spawnService(
    {
      DATABASE_URL: databaseUrl,
      OSQUERY_BIN: osqueryBin,
      COLLECT_SCHEDULE: "off",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      // Every round is a collectSnapshot from one client; 10,000 a minute is the most the config accepts.
      COLLECT_RATE_PER_MINUTE: "10000",
      // Every subscriber connects from 127.0.0.1.
      MAX_SOCKETS_PER_CLIENT: "1000000",
    },
    [],
    [
      ...(process.env["BENCH_SERVICE_NODE_FLAGS"]?.split(/\s+/).filter(Boolean) ?? []),
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
      ...(inspect ? [INSPECT] : []),
    ],
    "compiled",
  );
  track(service.child);
  let endpoint: string;
  let heap: HeapProbe | null = null;
  try {
    if (inspect) heap = await connectInspector(await inspectorUrl(service.stderr, SERVER_START_TIMEOUT_MS));
    endpoint = String((await service.waitForLog((l) => l.msg === "GraphQL server listening", SERVER_START_TIMEOUT_MS))["url"]);
    // The collection at start must be over before anyone subscribes, or it would be a stray event.
    await service.waitForLog((l) => l.msg === "collection succeeded" || l.msg === "collection failed", SERVER_START_TIMEOUT_MS);
  } catch (error) {
    service.child.kill("SIGKILL");
    throw error;
  }
  return {
    kind: "ours",
    child: service.child,
    pid: service.child.pid!,
    wsUrl: endpoint.replace(/^http/, "ws"),
    async trigger() {
      const { body, respondedAt } = await postJson<{ data?: { collectSnapshot: { id: string; status: string } }; errors?: unknown[] }>(endpoint, {
        query: COLLECT,
      });
      const snapshot = body.data?.collectSnapshot;
      if (!snapshot || body.errors?.length) throw new Error(`collectSnapshot failed: ${JSON.stringify(body).slice(0, 500)}`);
      if (snapshot.status !== "SUCCEEDED") throw new Error(`collectSnapshot produced a ${snapshot.status} snapshot`);
      const snapshotId = Number(decodeGlobalID(snapshot.id).id);
      // The commit time is the `time` of the collector's "collection succeeded" line. It is written
      // (synchronously: pino on a pipe) right after recordSuccess's transaction commits and right
      // before the publish, so it is the moment the event exists. The mutation's response is no
      // cleaner: it leaves only after the resolver returns, behind the publish and whatever fan-out
      // work the event loop does first, so it arrives after many of the subscribers' events ("trigger
      // response" in the progress lines says by how much). The price: isoTime has millisecond
      // resolution, so latencies read up to 1 ms long.
      const committed = await service.waitForLog((l) => l.msg === "collection succeeded" && l["snapshotId"] === snapshotId, 10_000);
      const committedAt = Date.parse(String(committed["time"]));
      if (!Number.isFinite(committedAt)) throw new Error(`"collection succeeded" has no usable time: ${JSON.stringify(committed)}`);
      return { expectedId: snapshot.id, committedAt, respondedAt };
    },
    stop: () => {
      // A process with an inspector session attached waits at exit until the session goes.
      heap?.close();
      return stopChild(service.child, () => service.child.kill("SIGTERM"));
    },
    heap,
  };
}

async function startBaseline(
  kind: "plain" | "floor",
  profileDir: string | null,
  inspect: boolean,
  track: (child: ChildProcess) => void,
): Promise<ServerUnderTest> {
  const child = fork(kind === "plain" ? PLAIN_SERVER : FLOOR_SERVER, [], {
    execArgv: ["--import", "tsx", ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []), ...(inspect ? [INSPECT] : [])],
    // With an inspector, its address is read from stderr, which is passed on as it comes.
    stdio: ["ignore", "inherit", inspect ? "pipe" : "inherit", "ipc"],
  });
  track(child);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${kind} server did not listen within ${SERVER_START_TIMEOUT_MS} ms`)), SERVER_START_TIMEOUT_MS);
    child.once("message", (message: { type: string; port: number }) => {
      clearTimeout(timer);
      resolve(message.port);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ${kind} server exited (${code ?? signal}) before it listened`));
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  const heap = inspect ? await connectInspector(await inspectorUrl(() => stderr, SERVER_START_TIMEOUT_MS)) : null;
  return {
    kind,
    heap,
    child,
    pid: child.pid!,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    async trigger(round) {
      const event: PlainSnapshotEvent = {
        // Shaped like ours (a Relay global ID, an ISO timestamp) so both servers send frames of the same size.
        id: Buffer.from(`Snapshot:${round}`).toString("base64"),
        status: "SUCCEEDED",
        collectedAt: new Date().toISOString(),
        appCount: PACKAGES,
        added: 0,
        removed: 0,
      };
      const { body, respondedAt } = await postJson<{ publishedAt: number }>(`${origin}/publish`, event);
      return { expectedId: event.id, committedAt: body.publishedAt, respondedAt };
    },
    // Disconnecting lets it exit normally, which is when --cpu-prof writes the profile.
    stop: () => {
      heap?.close();
      return stopChild(child, () => (child.connected ? child.disconnect() : child.kill("SIGTERM")));
    },
  };
}

function roundProblems(report: RoundReport, subscribers: number): string[] {
  const problems: string[] = [];
  const counted: [number, string][] = [
    [report.missing, "subscribers got nothing"],
    [report.duplicates, "subscribers got more than one frame"],
    [report.wrong, "subscribers got something other than the expected snapshot"],
    [report.closed, "subscribers had their socket closed"],
    [report.stray, "frames arrived between rounds"],
  ];
  for (const [n, what] of counted) if (n > 0) problems.push(`${grouped(n)} ${what}`);
  if (problems.length === 0 && report.times.length !== subscribers) problems.push(`${grouped(report.times.length)} receipts for ${grouped(subscribers)} subscribers`);
  if (problems.length > 0) problems.push(...report.examples.map((e) => `  ${e}`));
  return problems;
}

async function heapSnapshot(server: ServerUnderTest, dir: string | null, name: string): Promise<void> {
  if (!server.heap || !dir) return;
  const path = join(dir, `${server.kind}-${name}.heapsnapshot`);
  const started = now();
  await server.heap.snapshot(path);
  log(`${server.kind}: heap snapshot ${path} (${((now() - started) / 1000).toFixed(1)} s, the server paused meanwhile)`);
}

async function measure(server: ServerUnderTest, subscribers: number, heapDir: string | null): Promise<Scenario> {
  const label = `${server.kind} ${grouped(subscribers)}`;
  const scenario: Scenario = { kind: server.kind, subscribers, workers: 0, idleRssMb: null, rounds: [], problems: [] };
  await waitForIdle(server.pid);
  scenario.idleRssMb = await rssMb(server.pid);
  await heapSnapshot(server, heapDir, `${subscribers}-idle`);
  const connectStarted = now();
  const pool: SubscriberPool = startSubscriberPool(server.wsUrl, subscribers, MAX_SOCKETS_PER_WORKER);
  scenario.workers = pool.workers;
  try {
    const ready = await pool.ready;
    if (ready.failed > 0) {
      scenario.problems.push(`${grouped(ready.failed)} subscribers never subscribed`, ...ready.examples.map((e) => `  ${e}`));
      return scenario;
    }
    await waitForIdle(server.pid);
    // Before any event: what the subscriptions hold, not what a delivery left behind.
    await heapSnapshot(server, heapDir, `${subscribers}-subscribed`);
    log(
      `${label}: ${grouped(ready.subscribed)} subscribed in ${pool.workers} worker(s) in ${((now() - connectStarted) / 1000).toFixed(1)} s` +
        ` (receipt clock within ${ready.clockSkewMs.toFixed(2)} ms of the wall clock), idle RSS before ${scenario.idleRssMb.toFixed(0)} MB`,
    );
    for (let round = 1; round <= WARMUP_ROUNDS + ROUNDS; round++) {
      const name = round <= WARMUP_ROUNDS ? "warm-up" : `round ${round - WARMUP_ROUNDS}/${ROUNDS}`;
      await waitForIdle(server.pid);
      await pool.arm(round);
      const delivered = pool.delivered(round, DELIVERY_TIMEOUT_MS);
      // Awaited below; if the trigger throws first, a dying worker must not also be an unhandled rejection.
      delivered.catch(() => {});
      const trigger = await server.trigger(round);
      const complete = await delivered;
      await sleep(QUIET_MS);
      const report = await pool.report(round, trigger.expectedId);
      const problems = roundProblems(report, subscribers);
      if (!complete && problems.length === 0) problems.push(`not delivered within ${DELIVERY_TIMEOUT_MS} ms`);
      if (problems.length > 0) {
        scenario.problems.push(`${name}:`, ...problems);
        log(`${label} ${name}: FAILED\n  ${problems.join("\n  ")}`);
        return scenario;
      }
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const t of report.times) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
      const result: Round = {
        firstMs: first - trigger.committedAt,
        medianMs: median(report.times) - trigger.committedAt,
        lastMs: last - trigger.committedAt,
        responseMs: trigger.respondedAt - trigger.committedAt,
        rssMb: await rssMb(server.pid),
      };
      log(
        `${label} ${name}: first ${ms(result.firstMs)} ms, median ${ms(result.medianMs)} ms, last ${ms(result.lastMs)} ms after commit;` +
          ` trigger response +${ms(result.responseMs)} ms; RSS ${result.rssMb.toFixed(0)} MB`,
      );
      if (round > WARMUP_ROUNDS) scenario.rounds.push(result);
    }
    return scenario;
  } finally {
    await pool.close();
  }
}

interface Summary {
  firstMs: number;
  medianMs: number;
  lastMs: number;
  /** The largest RSS seen after a delivery: the limit is a ceiling, so the worst sample is the one to hold against it. */
  rssMb: number;
}

function summarize(scenario: Scenario): Summary | null {
  if (scenario.problems.length > 0 || scenario.rounds.length === 0) return null;
  const of = (key: keyof Round) => scenario.rounds.map((r) => r[key]);
  return { firstMs: median(of("firstMs")), medianMs: median(of("medianMs")), lastMs: median(of("lastMs")), rssMb: Math.max(...of("rssMb")) };
}

function printResults(scenarios: Scenario[], counts: number[], loadAtStart: number): boolean {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const find = (kind: ServerKind, subscribers: number) => scenarios.find((s) => s.kind === kind && s.subscribers === subscribers);
  const rows: string[][] = [];
  for (const subscribers of counts) {
    const plain = find("plain", subscribers);
    const plainSummary = plain ? summarize(plain) : null;
    const floor = find("floor", subscribers);
    const floorSummary = floor ? summarize(floor) : null;
    for (const kind of ["ours", "plain", "floor"] as const) {
      const scenario = find(kind, subscribers);
      if (!scenario) continue;
      const s = summarize(scenario);
      if (!s) {
        rows.push([kind, grouped(subscribers), "FAILED", "-", "-", "-", "-", "-", "-", "-", "-"]);
        continue;
      }
      const perSubscriberKb = scenario.idleRssMb === null ? "-" : (((s.rssMb - scenario.idleRssMb) * 1024) / subscribers).toFixed(1);
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      rows.push([
        kind,
        grouped(subscribers),
        ms(s.firstMs),
        ms(s.medianMs),
        ms(s.lastMs),
        ((s.lastMs * 1000) / subscribers).toFixed(1),
        s.rssMb.toFixed(0),
        perSubscriberKb,
        kind === "ours" && plainSummary ? ratio(s.lastMs, plainSummary.lastMs) : "-",
        kind === "ours" && plainSummary ? ratio(s.rssMb, plainSummary.rssMb) : "-",
        kind !== "floor" && floorSummary ? ratio(s.lastMs, floorSummary.lastMs) : "-",
      ]);
    }
  }
  out();
  out(
    `Fan-out of one snapshotUpdated event: ms from the commit (ours: the "collection succeeded" log line) or the publish (plain, floor)` +
      ` until the frame reached JavaScript in the subscriber workers; median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up.` +
      ` RSS: largest VmRSS after a delivery, subscribers connected; KB/subscriber: that minus the RSS before they connected.`,
  );
  out(
    `Machine: ${availableParallelism()} CPUs shared by the servers, the subscriber workers and anything else running;` +
      ` 1-minute load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
  );
  out();
  out(
    formatTable(
      ["server", "subscribers", "first ms", "median ms", "last ms", "µs/subscriber", "RSS MB", "KB/subscriber", "last ÷ plain", "RSS ÷ plain", "last ÷ floor"],
      rows,
    ),
  );

  out();
  out(`Targets: ${grouped(TARGET.subscribers)} subscribers all notified ≤ ${TARGET.lastMs} ms after commit, server RSS ≤ ${TARGET.rssMb} MB`);
  const ours = find("ours", TARGET.subscribers);
  const summary = ours ? summarize(ours) : null;
  if (!ours) out(`  not measured: ${grouped(TARGET.subscribers)} is not among the subscriber counts of this run`);
  else if (!summary) out("  NOT met: the deliveries were incomplete (see the problems below)");
  else {
    const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
    out(`  all notified ≤ ${TARGET.lastMs} ms: ${verdict(summary.lastMs <= TARGET.lastMs)} (last ${ms(summary.lastMs)} ms)`);
    out(`  server RSS ≤ ${TARGET.rssMb} MB:   ${verdict(summary.rssMb <= TARGET.rssMb)} (${summary.rssMb.toFixed(0)} MB)`);
  }

  const failed = scenarios.filter((s) => s.problems.length > 0);
  for (const s of failed) {
    out();
    out(`${s.kind} with ${grouped(s.subscribers)} subscribers: the numbers were discarded because`);
    for (const p of s.problems) out(`  ${p}`);
  }
  return failed.length === 0 && scenarios.length === counts.length * 3;
}

/** Steps that undo what the run started, newest first; each runs once even when called again. */
function createCleanup() {
  const steps: { name: string; run: () => Promise<void> }[] = [];
  return {
    add(name: string, run: () => Promise<void>) {
      steps.push({ name, run });
    },
    async runAll() {
      while (steps.length > 0) {
        const step = steps.pop()!;
        try {
          await step.run();
        } catch (error) {
          log(`cleanup: ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    },
  };
}

async function main(): Promise<boolean> {
  const started = now();
  const loadAtStart = loadavg()[0]!;
  const counts = parseCounts(process.env["BENCH_SUBSCRIBERS"]);
  const adminUrl = process.env["BENCH_DATABASE_URL"] || DEFAULT_DATABASE_URL;
  const profileRoot = process.env["BENCH_CPU_PROF"] || null;
  const heapDir = process.env["BENCH_HEAP_SNAPSHOTS"] || null;
  if (heapDir) await mkdir(heapDir, { recursive: true });
  const cleanup = createCleanup();
  // Servers still running. The subscriber workers and the plain server end themselves when this
  // process goes (their IPC channel closes); the service has no such channel.
  const servers = new Set<ChildProcess>();
  const track = (child: ChildProcess) => {
    servers.add(child);
    child.once("exit", () => servers.delete(child));
  };
  const killServers = (signal: NodeJS.Signals) => {
    for (const child of servers) child.kill(signal);
  };
  process.once("exit", () => killServers("SIGKILL"));
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    log("\ninterrupted: stopping the servers and dropping the scratch database");
    killServers("SIGTERM");
    void cleanup.runAll().finally(() => process.exit(130));
  });

  buildService();
  const scratch: ScratchDatabase = await createScratchDatabase(adminUrl);
  cleanup.add("drop the scratch database", () => scratch.drop());
  log(`scratch database ${scratch.name} on ${redactUrl(adminUrl)}; subscriber counts ${counts.map(grouped).join(", ")}`);
  const scenarios: Scenario[] = [];
  try {
    const machine = await createFakeMachine(ubuntu(generatedPackages(PACKAGES)));
    cleanup.add("remove the fake osqueryi", () => machine.dispose());
    for (const subscribers of counts) {
      for (const kind of ["floor", "plain", "ours"] as const) {
        if (interrupted) break;
        // A fresh server per measurement, so no count inherits the heap another count left behind.
        const profileDir = profileRoot ? join(profileRoot, `${kind}-${subscribers}`) : null;
        let server: ServerUnderTest | null = null;
        try {
          server =
            kind === "ours"
              ? await startOurs(scratch.url, machine.binary, profileDir, heapDir !== null, track)
              : await startBaseline(kind, profileDir, heapDir !== null, track);
          if (profileDir) log(`${kind} server pid ${server.pid} writes its CPU profile under ${profileDir}`);
          scenarios.push(await measure(server, subscribers, heapDir));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log(`${kind} ${grouped(subscribers)}: ${message}`);
          scenarios.push({ kind, subscribers, workers: 0, idleRssMb: null, rounds: [], problems: [message] });
        } finally {
          await server?.stop();
        }
      }
    }
  } finally {
    await cleanup.runAll();
  }
  // The SIGINT handler ends the process; numbers from a cut-short run are not worth printing.
  if (interrupted) return false;
  const ok = printResults(scenarios, counts, loadAtStart);
  process.stdout.write(`\ntotal runtime ${((now() - started) / 1000).toFixed(1)} s\n`);
  return ok;
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
