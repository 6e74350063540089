import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { HostIdentifierMode } from "./agent.js";
import { createFleet } from "./fleet.js";
import { mergeReports, type StatsReport } from "./stats.js";
import { PLATFORMS, type Platform } from "./tables.js";

/**
 * node --import tsx test/helpers/agent-simulator/cli.ts --url https://127.0.0.1:8443 --ca ca.pem \
 *   --enroll-secret-file secret --hosts 1000 [--processes 4] [--duration 60] …
 *
 * Runs a fleet of simulated osqueryd agents until --duration seconds pass or SIGINT/SIGTERM, then prints
 * one JSON report (counters, latency percentiles, the simulator's own CPU) on stdout. With --processes N the
 * hosts are split over N child processes and their reports added up. SIGUSR2 prints the report so far
 * (marked "interim": true) and carries on: a benchmark takes two and subtracts them to see one phase.
 */

const USAGE = `options:
  --url URL                    server origin (https://host:port, or http:// behind a TLS proxy)  [required]
  --ca FILE                    PEM the server certificate chains to
  --enroll-secret-file FILE    enroll secret (trimmed, like --enroll_secret_path)
  --enroll-secret TEXT         enroll secret given directly
  --hosts N                    simulated hosts (default 10)
  --processes N                child processes to spread them over (default 1)
  --duration S                 stop after S seconds (default: until SIGINT/SIGTERM)
  --seed N                     fleet seed (default 1)
  --mix darwin=4,windows=3,ubuntu=2,rhel=1   platform weights
  --concurrency N              requests in flight per process (default 256)
  --ramp-up S                  spread host starts over S seconds (default 0)
  --software-count N           rows in each host's software table (default per platform)
  --churn F                    share of software changed per re-read (default 0.02)
  --osquery-version V          default 5.23.1
  --host-identifier MODE       hostname (default), uuid, instance, ephemeral
  --distributed-interval S     default 60
  --logger-tls-period S        default 4
  --config-refresh S           default 0 (load once)
  --compress                   gzip /log bodies (--logger_tls_compress)
  --time-scale F               multiply every wait by F (default 1)
  --request-timeout-ms N       default 16000
  --first-index N              index of the first host (set for child processes)`;

function numberArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

function parseMix(value: string | undefined): Partial<Record<Platform, number>> | undefined {
  if (value === undefined) return undefined;
  const weights: Partial<Record<Platform, number>> = {};
  for (const part of value.split(",")) {
    const [name, weight] = part.split("=");
    if (!PLATFORMS.includes(name as Platform) || weight === undefined || !Number.isFinite(Number(weight))) {
      throw new Error(`--mix: expected platform=weight with a platform among ${PLATFORMS.join(", ")}, got ${part}`);
    }
    weights[name as Platform] = Number(weight);
  }
  return weights;
}

/** Event-loop delay of a simulator process since its previous report, in ms. */
interface LoopDelay {
  p99: number;
  max: number;
}
type WithLoopDelay = StatsReport & { loopDelayMs?: LoopDelay };

/** Over several processes, the worst one's: a percentile cannot be added up. */
function worstLoopDelay(reports: readonly WithLoopDelay[]): LoopDelay {
  return {
    p99: Math.max(0, ...reports.map((r) => r.loopDelayMs?.p99 ?? 0)),
    max: Math.max(0, ...reports.map((r) => r.loopDelayMs?.max ?? 0)),
  };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      ca: { type: "string" },
      "enroll-secret-file": { type: "string" },
      "enroll-secret": { type: "string" },
      hosts: { type: "string" },
      processes: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      mix: { type: "string" },
      concurrency: { type: "string" },
      "ramp-up": { type: "string" },
      "software-count": { type: "string" },
      churn: { type: "string" },
      "osquery-version": { type: "string" },
      "host-identifier": { type: "string" },
      "distributed-interval": { type: "string" },
      "logger-tls-period": { type: "string" },
      "config-refresh": { type: "string" },
      compress: { type: "boolean" },
      "time-scale": { type: "string" },
      "request-timeout-ms": { type: "string" },
      "first-index": { type: "string" },
      help: { type: "boolean" },
    },
    strict: true,
  });
  if (values.help || values.url === undefined) {
    process.stderr.write(`${values.help ? "" : "--url is required\n"}${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const hosts = numberArg(values.hosts, "hosts", 10);
  const processes = Math.max(1, Math.floor(numberArg(values.processes, "processes", 1)));
  const duration = values.duration === undefined ? undefined : numberArg(values.duration, "duration", 0);

  if (processes > 1) return runChildren(argv, hosts, processes, numberArg(values["first-index"], "first-index", 0));

  const hostIdentifier = values["host-identifier"] as HostIdentifierMode | undefined;
  if (hostIdentifier !== undefined && !["hostname", "uuid", "instance", "ephemeral"].includes(hostIdentifier)) {
    throw new Error(`--host-identifier must be hostname, uuid, instance or ephemeral`);
  }
  const enrollSecret = values["enroll-secret-file"] !== undefined ? readFileSync(values["enroll-secret-file"], "utf8") : values["enroll-secret"];
  const fleet = createFleet({
    url: values.url,
    ...(values.ca !== undefined ? { ca: readFileSync(values.ca) } : {}),
    hosts,
    firstIndex: numberArg(values["first-index"], "first-index", 0),
    seed: numberArg(values.seed, "seed", 1),
    ...(values.mix !== undefined ? { mix: parseMix(values.mix)! } : {}),
    concurrency: numberArg(values.concurrency, "concurrency", 256),
    rampUpSeconds: numberArg(values["ramp-up"], "ramp-up", 0),
    ...(values["software-count"] !== undefined ? { softwareCount: numberArg(values["software-count"], "software-count", 0) } : {}),
    ...(values.churn !== undefined ? { churn: numberArg(values.churn, "churn", 0) } : {}),
    ...(values["osquery-version"] !== undefined ? { osqueryVersion: values["osquery-version"] } : {}),
    agent: {
      ...(enrollSecret !== undefined ? { enrollSecret } : {}),
      ...(hostIdentifier !== undefined ? { hostIdentifier } : {}),
      distributedInterval: numberArg(values["distributed-interval"], "distributed-interval", 60),
      loggerTlsPeriod: numberArg(values["logger-tls-period"], "logger-tls-period", 4),
      configRefresh: numberArg(values["config-refresh"], "config-refresh", 0),
      loggerTlsCompress: values.compress === true,
      timeScale: numberArg(values["time-scale"], "time-scale", 1),
      requestTimeoutMs: numberArg(values["request-timeout-ms"], "request-timeout-ms", 16_000),
    },
  });

  // How late this process's own event loop ran, since the previous report: latency it adds to what it
  // measures (a busy simulator, or a machine short of cores), apart from the server's.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const loopDelay = (): LoopDelay => {
    const delay = { p99: Number((loop.percentile(99) / 1e6).toFixed(1)), max: Number((loop.max / 1e6).toFixed(1)) };
    loop.reset();
    return delay;
  };
  process.on("SIGUSR2", () => process.stdout.write(`${JSON.stringify({ ...fleet.report(), loopDelayMs: loopDelay(), interim: true })}\n`));
  await fleet.start();
  await new Promise<void>((resolve) => {
    const timer = duration === undefined ? undefined : setTimeout(resolve, duration * 1000);
    const onSignal = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  await fleet.stop();
  process.stdout.write(`${JSON.stringify({ ...fleet.report(), loopDelayMs: loopDelay() })}\n`);
  return 0;
}

/** Splits the hosts over child processes running this CLI, forwards signals, adds their reports up. */
async function runChildren(argv: string[], hosts: number, processes: number, firstIndex: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const base = argv.filter((_, i, all) => !["--processes", "--hosts", "--first-index"].includes(all[i]!) && !["--processes", "--hosts", "--first-index"].includes(all[i - 1]!));
  const children = Array.from({ length: processes }, (_, p) => {
    const share = Math.floor(hosts / processes) + (p < hosts % processes ? 1 : 0);
    const start = firstIndex + p * Math.floor(hosts / processes) + Math.min(p, hosts % processes);
    // The parent's node flags (its loader, --cpu-prof and its directory) apply to the hosts' processes too.
    return spawn(process.execPath, [...process.execArgv, self, ...base, "--hosts", String(share), "--first-index", String(start)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
  });
  const forward = (signal: NodeJS.Signals) => () => {
    for (const child of children) child.kill(signal);
  };
  process.once("SIGINT", forward("SIGTERM"));
  process.once("SIGTERM", forward("SIGTERM"));
  // An interim report is printed once every child has answered the SIGUSR2 forwarded to it.
  const interim: (StatsReport | undefined)[] = children.map(() => undefined);
  process.on("SIGUSR2", () => {
    for (const child of children) child.kill("SIGUSR2");
  });
  const onInterim = (index: number, report: StatsReport) => {
    interim[index] = report;
    if (interim.some((r) => r === undefined)) return;
    const reports = interim as WithLoopDelay[];
    process.stdout.write(`${JSON.stringify({ ...mergeReports(reports), loopDelayMs: worstLoopDelay(reports), processes, interim: true })}\n`);
    interim.fill(undefined);
  };
  const reports = await Promise.all(
    children.map(
      (child, index) =>
        new Promise<StatsReport | undefined>((resolve) => {
          let last: StatsReport | undefined;
          createInterface({ input: child.stdout! }).on("line", (line) => {
            let report: (StatsReport & { interim?: boolean }) | undefined;
            try {
              report = JSON.parse(line) as StatsReport & { interim?: boolean };
            } catch {
              return;
            }
            if (report.interim) onInterim(index, report);
            else last = report;
          });
          // After stdout has closed, so the final line has been read.
          child.once("close", () => resolve(last));
        }),
    ),
  );
  const complete = reports.filter((r): r is StatsReport => r !== undefined);
  process.stdout.write(
    `${JSON.stringify({ ...mergeReports(complete), loopDelayMs: worstLoopDelay(complete as WithLoopDelay[]), processes, failedProcesses: processes - complete.length })}\n`,
  );
  return complete.length === processes ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
