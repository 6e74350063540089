import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface WrkOptions {
  url: string;
  /** The exact request body, sent on every request. */
  body: string;
  /** Text every response body must contain: proof that each answer was the page asked for. */
  expect: string;
  connections: number;
  threads: number;
  durationSeconds: number;
  /** Where the generated Lua script goes. */
  dir: string;
  name: string;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** 2xx responses that carried GraphQL errors or not the expected page. */
  wrongBody: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
}

const RESULT_PREFIX = "WRK_RESULT ";

// A Lua long bracket needs no escaping as long as the text never contains its closing bracket.
function luaString(text: string): string {
  for (let level = 1; ; level++) {
    const eq = "=".repeat(level);
    if (!text.includes(`]${eq}]`)) return `[${eq}[${text}]${eq}]`;
  }
}

/**
 * wrk counts only statuses over 399 as errors and never looks at a body, so `response` checks both
 * per thread and `done` sums the threads and prints one JSON line. Reading every body costs wrk some
 * CPU; it is the same for every server.
 */
function script(options: WrkOptions): string {
  return `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"
wrk.body = ${luaString(options.body)}

local expected = ${luaString(options.expect)}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  wrong = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif string.find(body, expected, 1, true) == nil or string.find(body, '"errors"', 1, true) ~= nil then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local non2xx, wrong = 0, 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("non2xx")
    wrong = wrong + thread:get("wrong")
  end
  local e = summary.errors
  io.write(string.format(
    '${RESULT_PREFIX}{"requests":%.0f,"durationUs":%.0f,"non2xx":%.0f,"wrong":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"timeout":%.0f,"p50Us":%.1f,"p99Us":%.1f}\\n',
    summary.requests, summary.duration, non2xx, wrong, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

interface RawResult {
  requests: number;
  durationUs: number;
  non2xx: number;
  wrong: number;
  connect: number;
  read: number;
  write: number;
  timeout: number;
  p50Us: number;
  p99Us: number;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const file = join(options.dir, `${options.name}.lua`);
  await writeFile(file, script(options));
  const args = ["-c", String(options.connections), "-t", String(options.threads), "-d", `${options.durationSeconds}s`, "--latency", "-s", file, options.url];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("wrk", args, { maxBuffer: 1024 * 1024 }, (error, out, err) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
        reject(new Error(missing ? "wrk is not installed (apt-get install wrk)" : `wrk ${args.join(" ")} failed: ${err || error.message}`));
      } else resolve(out);
    });
  });
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`wrk printed no result line:\n${stdout}`);
  const raw = JSON.parse(line.slice(RESULT_PREFIX.length)) as RawResult;
  const seconds = raw.durationUs / 1e6;
  return {
    requests: raw.requests,
    seconds,
    rps: raw.requests / seconds,
    p50Ms: raw.p50Us / 1000,
    p99Ms: raw.p99Us / 1000,
    non2xx: raw.non2xx,
    wrongBody: raw.wrong,
    socketErrors: { connect: raw.connect, read: raw.read, write: raw.write, timeout: raw.timeout },
  };
}

/** Why a run's numbers cannot be reported, or null when every request got the page it asked for. */
export function wrkFailure(result: WrkResult): string | null {
  const { connect, read, write, timeout } = result.socketErrors;
  const problems = [
    result.requests === 0 && "no request completed",
    result.non2xx > 0 && `${result.non2xx} non-2xx responses`,
    result.wrongBody > 0 && `${result.wrongBody} responses with GraphQL errors or not the expected page`,
    connect + read + write + timeout > 0 && `socket errors: connect ${connect}, read ${read}, write ${write}, timeout ${timeout}`,
  ].filter((p): p is string => typeof p === "string");
  return problems.length > 0 ? problems.join("; ") : null;
}
