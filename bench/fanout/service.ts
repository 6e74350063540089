import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STDERR_KEPT = 4000;

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Resolves with the first log line since the start that matches; rejects on exit or after timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
}

/**
 * `node [nodeArgs] --import tsx src/main.ts`, as `npm start` runs it. Unlike test/helpers/service.ts
 * it takes Node flags: --cpu-prof is not allowed in NODE_OPTIONS, so a profiled service needs them on
 * the command line.
 */
export function spawnService(env: Record<string, string>, nodeArgs: string[] = []): ServiceProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !["DATABASE_URL", "DATA_DIR", "OSQUERY_BIN", "PORT", "HOST", "COLLECT_SCHEDULE", "NODE_OPTIONS", "REDIS_URL"].includes(k)),
  );
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = "";
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as LogLine);
    } catch {
      return;
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  child.once("exit", () => {
    for (const wake of waiters) wake();
  });

  return {
    child,
    waitForLog(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        const check = () => {
          const found = logs.find(match);
          if (found) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the service exited (${child.exitCode ?? child.signalCode}); stderr: ${stderr.trim()}; last logs: ${JSON.stringify(logs.slice(-3))}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no such log line within ${timeoutMs} ms; last logs: ${JSON.stringify(logs.slice(-3))}; stderr: ${stderr.trim()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}
