/**
 * Memory of the service process as `npm start` runs it: resident set size once it has started,
 * collected and gone idle, and the peak during the start. On PGlite the first run creates the data
 * directory and the later runs reopen it; on PostgreSQL every run uses one scratch database.
 * Run: npm run bench:memory  (BENCH_DATABASE_URL picks the PostgreSQL server; BENCH_MEMORY_RUNS, default 3).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeMachine, generatedPackages, ubuntu } from "../test/helpers/machine.js";
import { startService, type ServiceProcess } from "../test/helpers/service.js";
import { makeTempDir } from "../test/helpers/temp.js";
import { formatTable } from "./measure.js";
import { benchMain } from "./scratch-database.js";

/** A desktop Ubuntu has about 2,000 packages. */
const PACKAGES = 2000;
const IDLE_MS = 20_000;
const SAMPLES = 5;

interface Sample {
  backend: string;
  run: string;
  idleMb: number;
  peakMb: number;
}

/** VmRSS and VmHWM (the peak) of a running process, in MB. */
async function memoryOf(service: ServiceProcess): Promise<{ rssMb: number; peakMb: number }> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) {
    throw new Error(`the service exited (${service.child.exitCode ?? service.child.signalCode}); last logs: ${JSON.stringify(service.logs.slice(-3))}; stderr: ${service.stderr().slice(-500)}`);
  }
  const status = await readFile(`/proc/${service.child.pid!}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)![1]);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

async function measure(backend: string, run: string, env: Record<string, string>): Promise<Sample> {
  const service: ServiceProcess = await startService(env);
  try {
    await service.waitForLog((l) => l.msg === "collection succeeded", 120_000);
    await service.waitForLog((l) => l.msg === "history pruned", 120_000);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const samples: number[] = [];
    let peakMb = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const memory = await memoryOf(service);
      samples.push(memory.rssMb);
      peakMb = memory.peakMb;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return { backend, run, idleMb: samples.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]!, peakMb };
  } finally {
    const exit = await service.stop("SIGTERM");
    if (exit.code !== 0) throw new Error(`the service exited with ${JSON.stringify(exit)}`);
  }
}

benchMain(async (postgresUrl, out) => {
  const runs = Number(process.env["BENCH_MEMORY_RUNS"] ?? 3);
  const machine = await createFakeMachine(ubuntu(generatedPackages(PACKAGES)));
  const dir = await makeTempDir("bench-memory");
  const samples: Sample[] = [];
  try {
    const common = { OSQUERY_BIN: machine.binary, COLLECT_SCHEDULE: "off" };
    for (let i = 1; i <= runs; i++) {
      samples.push(await measure("PGlite", i === 1 ? "1 (new data directory)" : String(i), { ...common, DATA_DIR: join(dir.path, "data") }));
      process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
    }
    for (let i = 1; i <= runs; i++) {
      samples.push(await measure("PostgreSQL", i === 1 ? "1 (new database)" : String(i), { ...common, DATABASE_URL: postgresUrl }));
      process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
    }
  } finally {
    await machine.dispose();
    await dir.remove();
  }
  out(`Service RSS, ${PACKAGES} packages collected, ${IDLE_MS / 1000} s idle (median of ${SAMPLES} samples), peak = VmHWM since start`);
  out(formatTable(["database", "run", "idle RSS MB", "peak RSS MB"], samples.map((s) => [s.backend, s.run, s.idleMb.toFixed(0), s.peakMb.toFixed(0)])));
});
