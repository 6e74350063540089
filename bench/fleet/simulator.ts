import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatsReport } from "../../test/helpers/agent-simulator/stats.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Simulator {
  pid: number;
  /** The report so far (SIGUSR2), added up over the simulator's processes. */
  interim(): Promise<StatsReport>;
  /** SIGTERM, then the final report. */
  stop(): Promise<StatsReport>;
}

export interface SimulatorOptions {
  /** The service's origin (http://127.0.0.1:PORT). */
  url: string;
  /** A file holding the enroll secret. */
  secretFile: string;
  hosts: number;
  processes: number;
  /** A cap in case the benchmark dies without stopping it. */
  durationSeconds: number;
  distributedIntervalSeconds: number;
  rampUpSeconds: number;
  /** Further command-line options of test/helpers/agent-simulator/cli.ts. */
  args?: string[];
}

/** BENCH_SIM_CPU_PROFILE_DIR: --cpu-prof of every simulator process, written there (one file each). */
const profileArgs = () => {
  const dir = process.env["BENCH_SIM_CPU_PROFILE_DIR"];
  return dir ? ["--cpu-prof", "--cpu-prof-dir", resolve(dir)] : [];
};

/** Runs the simulator CLI as a child process (itself spreading hosts over child processes) until stopped. */
export function startSimulator(options: SimulatorOptions): Simulator {
  const child = spawn(
    process.execPath,
    [
      "--import", "tsx", ...profileArgs(), "test/helpers/agent-simulator/cli.ts",
      "--url", options.url, "--enroll-secret-file", options.secretFile,
      "--hosts", String(options.hosts), "--processes", String(options.processes),
      "--duration", String(options.durationSeconds), "--distributed-interval", String(options.distributedIntervalSeconds),
      "--ramp-up", String(options.rampUpSeconds),
      ...(options.args ?? []),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const waiting: ((report: StatsReport) => void)[] = [];
  let final: StatsReport | undefined;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let report: StatsReport & { interim?: boolean };
    try {
      report = JSON.parse(line) as StatsReport & { interim?: boolean };
    } catch {
      return;
    }
    if (report.interim) waiting.shift()?.(report);
    else final = report;
  });
  const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid!,
    interim: () =>
      new Promise<StatsReport>((resolve, reject) => {
        if (!running()) return reject(new Error(`the simulator exited (${child.exitCode ?? child.signalCode}) early`));
        const timer = setTimeout(() => reject(new Error("the simulator sent no interim report within 30 s")), 30_000);
        waiting.push((report) => {
          clearTimeout(timer);
          resolve(report);
        });
        child.kill("SIGUSR2");
      }),
    async stop() {
      if (running()) child.kill("SIGTERM");
      const code = await closed;
      if (!final) throw new Error(`the simulator exited ${code} without a report`);
      return final;
    },
  };
}
