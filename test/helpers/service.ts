import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface ServiceProcess {
  /** http://127.0.0.1:PORT/graphql */
  endpoint: string;
  origin: string;
  logs: LogLine[];
  /** Lines that were not JSON (there should be none). */
  stray: string[];
  stderr: () => string;
  /** Resolves with the first log line (from the start) that matches; rejects after timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends the signal and resolves with how the process exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  child: ChildProcess;
}

/** Environment every test service gets: ephemeral port, loopback, no schedule, no collectSnapshot rate limit to meet. */
export const baseEnv = { PORT: "0", HOST: "127.0.0.1", COLLECT_SCHEDULE: "off", LOG_LEVEL: "info", COLLECT_RATE_PER_MINUTE: "10000" };

/**
 * How the service runs: "tsx" runs the TypeScript sources (what `npm run dev` runs, and what tests use
 * so they need no build), "compiled" runs dist/main.js (what `npm start` and the image run; build it
 * first with `node scripts/build.mjs`).
 */
export type Runtime = "tsx" | "compiled";

export function entryArgs(runtime: Runtime): string[] {
  return runtime === "compiled" ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"];
}

/**
 * Runs `node [nodeArgs] --import tsx src/main.ts [args]` (or `node [nodeArgs] dist/main.js [args]`)
 * with the given environment. Node flags go on the command line because some (--cpu-prof) are refused
 * in NODE_OPTIONS.
 */
export function spawnService(env: Record<string, string>, args: string[] = [], nodeArgs: string[] = [], runtime: Runtime = "tsx"): ServiceProcess {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !["DATABASE_URL", "DATA_DIR", "OSQUERY_BIN", "PORT", "HOST", "COLLECT_SCHEDULE", "NODE_OPTIONS", "REDIS_URL"].includes(k) && !k.startsWith("VITEST"),
    ),
  );
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs(runtime), ...args], {
    cwd: ROOT,
    env: { ...clean, ...baseEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  const stray: string[] = [];
  let stderr = "";
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      stray.push(line);
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );

  const service: ServiceProcess = {
    endpoint: "",
    origin: "",
    logs,
    stray,
    stderr: () => stderr,
    child,
    waitForLog(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`service exited before the expected log line; stderr: ${stderr.slice(-2000)}; last logs: ${JSON.stringify(logs.slice(-5))}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`log line not seen within ${timeoutMs} ms; last logs: ${JSON.stringify(logs.slice(-5))}; stderr: ${stderr.slice(-1000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return service;
}

/** Starts the service and waits until it listens. */
export async function startService(env: Record<string, string>, runtime: Runtime = "tsx", nodeArgs: string[] = []): Promise<ServiceProcess> {
  const service = spawnService(env, [], nodeArgs, runtime);
  const listening = await service.waitForLog((l) => l.msg === "GraphQL server listening", 90_000);
  service.endpoint = String(listening["url"]);
  service.origin = service.endpoint.replace(/\/graphql$/, "");
  return service;
}
