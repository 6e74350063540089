import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import type pg from "pg";

export type LogLine = Record<string, unknown> & { msg?: unknown };

export interface ChildServer {
  label: string;
  /** The node process that serves: spawned as the node binary itself, no npm or shell in between. */
  pid: number;
  endpoint: string;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Every JSON log line it has printed so far (a line that is not JSON as `{ msg }`). */
  readonly logs: readonly LogLine[];
  /** SIGTERM, then SIGKILL if it has not exited after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildServerOptions {
  label: string;
  /** The node binary. @default process.execPath */
  node?: string;
  nodeArgs: string[];
  cwd: string;
  env: Record<string, string>;
  /** The JSON log message that carries the listening URL in its `url` field. */
  listening: string;
  timeoutMs: number;
}

export async function startChildServer(options: ChildServerOptions): Promise<ChildServer> {
  const child: ChildProcess = spawn(options.node ?? process.execPath, options.nodeArgs, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: LogLine[] = [];
  let stderr = "";
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of wakers) w();
  };
  createInterface({ input: child.stdout! }).on("line", (text) => {
    try {
      logs.push(JSON.parse(text) as LogLine);
    } catch {
      logs.push({ msg: text });
    }
    wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", wake);
  const running = () => child.exitCode === null && child.signalCode === null;

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const describe = () => `stderr: ${stderr.slice(-1500) || "(empty)"}; last logs: ${JSON.stringify(logs.slice(-3))}`;
      const done = () => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      const check = () => {
        const found = logs.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (!running()) {
          done();
          reject(new Error(`${options.label} exited (${child.exitCode ?? child.signalCode}) before the expected log line; ${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${options.label}: expected log line not seen within ${timeoutMs} ms; ${describe()}`));
      }, timeoutMs);
      wakers.add(check);
      check();
    });

  const stop = async (graceMs = 12_000) => {
    if (!running()) return;
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(kill);
  };

  try {
    const line = await waitForLog((l) => l.msg === options.listening && typeof l["url"] === "string", options.timeoutMs);
    return { label: options.label, pid: child.pid!, endpoint: String(line["url"]), waitForLog, logs, stop };
  } catch (error) {
    await stop(2000);
    throw error;
  }
}

export function clockTicksPerSecond(): number {
  const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  if (!Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK printed ${ticks}`);
  return ticks;
}

interface ProcStat {
  comm: string;
  /** utime + stime of every thread of the process, in clock ticks. */
  ticks: number;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses; the fields after its last ")" start at field 3 (state).
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return { comm: text.slice(text.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

export async function cpuTicks(pid: number): Promise<number> {
  const stat = await procStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone: the server died`);
  return stat.ticks;
}

/** Whether this session's backend is a postgres process on this machine, whose CPU /proc can read. */
export async function backendIsLocal(db: pg.Client): Promise<boolean> {
  const { rows } = await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return (await procStat(rows[0]!.pid))?.comm === "postgres";
}

/** CPU ticks of the PostgreSQL backends serving one application_name, by backend pid. */
export async function backendTicks(db: pg.Client, applicationName: string): Promise<Map<number, number>> {
  const { rows } = await db.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
    [applicationName],
  );
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    // A backend whose client closed it since the query above has nothing left to count.
    const stat = await procStat(pid);
    if (stat) ticks.set(pid, stat.ticks);
  }
  return ticks;
}

/** Ticks spent between two samples; a backend that exited in between is missing its last stretch. */
export function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0);
  return total;
}
