import { spawn } from "node:child_process";
import { devNull } from "node:os";
import { CollectionError, CollectionErrorCode } from "../../errors.js";
import { parseOsqueryJson } from "./osqueryi-output.js";
import type { OsqueryResult } from "../../inventory/types.js";

export interface OsqueryRunnerOptions {
  /** Path or name (looked up on PATH) of osqueryi. @default "osqueryi" */
  binary: string;
  /** Kill osqueryi after this long. @default 60000 */
  timeoutMs: number;
  /** Kill osqueryi when its stdout grows past this many bytes. @default 16777216 */
  maxOutputBytes: number;
  /** Refuse output with more rows than this. @default 200000 */
  maxRows?: number;
  /** osqueryi's environment (see osqueryEnvironment); the service's own when unset. */
  env?: NodeJS.ProcessEnv;
}

/** What osqueryi may see of the service's environment: never its secrets (DATABASE_URL, API_TOKEN, …). */
const PASSED_TO_OSQUERY = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SystemRoot", "windir"];

export function osqueryEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(PASSED_TO_OSQUERY.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
}

export interface OsqueryRunner {
  /** Runs one SQL statement in a fresh osqueryi and returns its rows (every value a string). */
  query(sql: string, signal?: AbortSignal): Promise<OsqueryResult>;
}

const MAX_STDERR_BYTES = 16 * 1024;

/**
 * Flags that keep the shell from reading the host's own osquery configuration (osqueryi loads
 * /etc/osquery/osquery.flags by itself) or starting extensions and event publishers: a query must see
 * the same thing whatever the machine's osqueryd is set up to do.
 */
const OSQUERYI_ARGS = [
  "--json",
  `--flagfile=${devNull}`,
  `--config_path=${devNull}`,
  "--disable_extensions=true",
  "--disable_events=true",
];

const INSTALL_HINT =
  "Install osquery (https://osquery.io/downloads, or the osquery package repository for your OS) " +
  "or set OSQUERY_BIN to the path of osqueryi.";

export function createOsqueryRunner(options: OsqueryRunnerOptions): OsqueryRunner {
  return {
    query(sql, signal) {
      return new Promise<Buffer>((resolve, reject) => {
        if (signal?.aborted) {
          reject(new CollectionError(CollectionErrorCode.OSQUERY_ABORTED, "collection was cancelled"));
          return;
        }
        // No shell: the SQL travels on stdin and nothing in it is ever interpreted by /bin/sh.
        const child = spawn(options.binary, OSQUERYI_ARGS, {
          shell: false,
          ...(options.env ? { env: options.env } : {}),
          stdio: ["pipe", "pipe", "pipe"],
          windowsHide: true,
        });
        const stdout: Buffer[] = [];
        let stdoutBytes = 0;
        let stderr = "";
        let failure: CollectionError | undefined;

        const fail = (error: CollectionError) => {
          failure ??= error;
          child.kill("SIGKILL");
        };
        const timer = setTimeout(
          () =>
            fail(
              new CollectionError(
                CollectionErrorCode.OSQUERY_TIMEOUT,
                `osqueryi did not finish within ${options.timeoutMs} ms (OSQUERY_TIMEOUT_MS)`,
              ),
            ),
          options.timeoutMs,
        );
        const onAbort = () => fail(new CollectionError(CollectionErrorCode.OSQUERY_ABORTED, "collection was cancelled"));
        signal?.addEventListener("abort", onAbort, { once: true });

        child.stdout.on("data", (chunk: Buffer) => {
          stdoutBytes += chunk.length;
          if (stdoutBytes > options.maxOutputBytes) {
            fail(
              new CollectionError(
                CollectionErrorCode.OSQUERY_OUTPUT_TOO_LARGE,
                `osqueryi printed more than ${options.maxOutputBytes} bytes (OSQUERY_MAX_OUTPUT_BYTES)`,
              ),
            );
            return;
          }
          if (!failure) stdout.push(chunk);
        });
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (chunk: string) => {
          if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.slice(0, MAX_STDERR_BYTES - stderr.length);
        });
        // osqueryi may exit before reading stdin (a bad binary, a crash); that EPIPE is reported by 'close'.
        child.stdin.on("error", () => {});
        child.on("error", (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") {
            failure ??= new CollectionError(
              CollectionErrorCode.OSQUERY_NOT_FOUND,
              `osquery is not installed: "${options.binary}" was not found. ${INSTALL_HINT}`,
              { cause: error },
            );
          } else if (error.code === "EACCES") {
            failure ??= new CollectionError(
              CollectionErrorCode.OSQUERY_NOT_EXECUTABLE,
              `"${options.binary}" is not executable (${error.code}). ${INSTALL_HINT}`,
              { cause: error },
            );
          } else {
            failure ??= new CollectionError(
              CollectionErrorCode.OSQUERY_EXIT,
              `could not run "${options.binary}": ${error.message}`,
              { cause: error },
            );
          }
        });
        child.on("close", (code, killedBy) => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          if (failure) return reject(failure);
          if (code !== 0) {
            const detail = stderr.trim() || (killedBy ? `killed by ${killedBy}` : "no message on stderr");
            return reject(
              new CollectionError(
                CollectionErrorCode.OSQUERY_EXIT,
                `osqueryi exited with ${code === null ? `signal ${killedBy}` : `status ${code}`}: ${detail}`,
              ),
            );
          }
          resolve(Buffer.concat(stdout, stdoutBytes));
        });
        child.stdin.end(`${sql}\n`);
      }).then((output) => parseOsqueryJson(output, options.maxRows));
    },
  };
}
