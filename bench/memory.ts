/**
 * Memory of the service process: resident set size once it has started, collected and gone idle, the
 * peak during the start, and how long the start took (spawn to "GraphQL server listening"). Each
 * database is measured running the compiled output (dist/main.js, what `npm start` and the image run)
 * and the TypeScript sources through tsx (`npm run dev`), alternating so drift on a shared machine
 * weighs on both. On PGlite each runtime's first run creates a data directory and its later runs reopen
 * it; on PostgreSQL every run uses one scratch database.
 * Run: npm run bench:memory
 *   BENCH_DATABASE_URL     the PostgreSQL server
 *   BENCH_MEMORY_RUNS      runs per database and runtime (default 3)
 *   BENCH_MEMORY_DATABASES pglite,postgres (default both)
 *   BENCH_MEMORY_RUNTIMES  compiled,tsx (default both)
 *   BENCH_MEMORY_IDLE_S    seconds idle before sampling (default 20)
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createFakeMachine, generatedPackages, ubuntu } from "../test/helpers/machine.js";
import { spawnService, type Runtime, type ServiceProcess } from "../test/helpers/service.js";
import { makeTempDir } from "../test/helpers/temp.js";
import { buildService } from "./compiled.js";
import { formatTable } from "./measure.js";
import { benchMain } from "./scratch-database.js";

/** A desktop Ubuntu has about 2,000 packages. */
const PACKAGES = 2000;
const IDLE_MS = Number(process.env["BENCH_MEMORY_IDLE_S"] ?? 20) * 1000;
const SAMPLES = 5;
const TARGET_POSTGRES_IDLE_MB = 150;

interface Sample {
  backend: string;
  runtime: Runtime;
  run: string;
  /** The first run on a new data directory or database. */
  first: boolean;
  /** Spawn to listening, ms. */
  readyMs: number;
  idleMb: number;
  peakMb: number;
}

function listOf<T extends string>(variable: string, allowed: readonly T[]): T[] {
  const asked = (process.env[variable] ?? allowed.join(",")).split(",").map((v) => v.trim());
  const unknown = asked.filter((v) => !(allowed as readonly string[]).includes(v));
  if (unknown.length > 0) throw new Error(`${variable}: unknown ${unknown.join(", ")}; known: ${allowed.join(", ")}`);
  return asked as T[];
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

async function measure(backend: string, runtime: Runtime, first: boolean, env: Record<string, string>): Promise<Sample> {
  const run = first ? (backend === "PGlite" ? "first (new data directory)" : "first (new database)") : "restart";
  const started = performance.now();
  const service: ServiceProcess = spawnService(env, [], [], runtime);
  try {
    await service.waitForLog((l) => l.msg === "GraphQL server listening", 120_000);
    const readyMs = performance.now() - started;
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
    return { backend, runtime, run, first, readyMs, idleMb: samples.sort((a, b) => a - b)[Math.floor(SAMPLES / 2)]!, peakMb };
  } finally {
    const exit = await service.stop("SIGTERM");
    if (exit.code !== 0) throw new Error(`the service exited with ${JSON.stringify(exit)}`);
  }
}

benchMain(async (postgresUrl, out) => {
  const runs = Number(process.env["BENCH_MEMORY_RUNS"] ?? 3);
  const databases = listOf("BENCH_MEMORY_DATABASES", ["pglite", "postgres"] as const);
  const runtimes = listOf("BENCH_MEMORY_RUNTIMES", ["compiled", "tsx"] as const);
  if (runtimes.includes("compiled")) buildService();
  const machine = await createFakeMachine(ubuntu(generatedPackages(PACKAGES)));
  const dir = await makeTempDir("bench-memory");
  const samples: Sample[] = [];
  try {
    const common = { OSQUERY_BIN: machine.binary, COLLECT_SCHEDULE: "off" };
    for (const database of databases) {
      for (let i = 1; i <= runs; i++) {
        for (const runtime of runtimes) {
          const sample =
            database === "pglite"
              ? await measure("PGlite", runtime, i === 1, { ...common, DATA_DIR: join(dir.path, `data-${runtime}`) })
              : await measure("PostgreSQL", runtime, i === 1 && runtime === runtimes[0], { ...common, DATABASE_URL: postgresUrl });
          samples.push(sample);
          process.stderr.write(`${JSON.stringify(sample)}\n`);
        }
      }
    }
  } finally {
    await machine.dispose();
    await dir.remove();
  }
  out(`Service RSS, ${PACKAGES} packages collected, ${IDLE_MS / 1000} s idle (median of ${SAMPLES} samples), peak = VmHWM since start, ready = spawn to listening`);
  out(
    formatTable(
      ["database", "runtime", "run", "ready s", "idle RSS MB", "peak RSS MB"],
      samples.map((s) => [s.backend, s.runtime, s.run, (s.readyMs / 1000).toFixed(1), s.idleMb.toFixed(0), s.peakMb.toFixed(0)]),
    ),
  );
  const compiledAgainstTsx = (backend: string) => {
    const median = (runtime: Runtime) => {
      const idle = samples.filter((s) => s.backend === backend && s.runtime === runtime && !s.first).map((s) => s.idleMb).sort((a, b) => a - b);
      return idle.length > 0 ? idle[Math.floor(idle.length / 2)]! : null;
    };
    const [compiled, tsx] = [median("compiled"), median("tsx")];
    if (compiled !== null && tsx !== null) out(`${backend}, restarts: compiled idles at ${compiled.toFixed(0)} MB, tsx at ${tsx.toFixed(0)} MB (${(compiled / tsx).toFixed(2)}×)`);
    if (compiled !== null && backend === "PostgreSQL") {
      out(`target (issue 11): idle RSS on PostgreSQL ≤ ${TARGET_POSTGRES_IDLE_MB} MB, compiled: ${compiled.toFixed(0)} MB, ${compiled <= TARGET_POSTGRES_IDLE_MB ? "met" : "NOT met"}`);
    }
  };
  compiledAgainstTsx("PGlite");
  compiledAgainstTsx("PostgreSQL");
});
