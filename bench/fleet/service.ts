import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildService } from "../compiled.js";
import { startChildServer, type ChildServer } from "../latest-data/processes.js";
import { LISTENING } from "../latest-data/serve-baseline.js";
import { entryArgs } from "../../test/helpers/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The service as a pure fleet server on `databaseUrl`, for benchmarks: the compiled build (rebuilt
 * first if a source changed, as `npm start` does), no local collection, enrollment
 * not rate-limited (every simulated agent comes from one address), logging at info. `env` adds or
 * overrides settings. BENCH_CPU_PROFILE_DIR writes a --cpu-prof profile of it there; BENCH_SERVICE_NODE
 * names the node binary that runs it (the Docker image runs Node 22, which listens on several sockets in
 * fleet mode: see LISTEN_SOCKETS). Resolves its endpoint and origin once it listens, with the Node
 * version and the number of listening sockets it reported.
 */
export async function startFleetService(
  databaseUrl: string,
  secret: string,
  env: Record<string, string> = {},
): Promise<ChildServer & { origin: string; runtime: string }> {
  buildService();
  const profileDir = process.env["BENCH_CPU_PROFILE_DIR"];
  const node = process.env["BENCH_SERVICE_NODE"];
  const service = await startChildServer({
    label: "service",
    ...(node ? { node } : {}),
    nodeArgs: [...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", resolve(profileDir)] : []), ...entryArgs("compiled")],
    cwd: ROOT,
    env: {
      PATH: process.env["PATH"] ?? "",
      DATABASE_URL: databaseUrl,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ENROLL_SECRET: secret,
      COLLECT_LOCAL: "false",
      ENROLL_RATE_PER_MINUTE: "1000000",
      ...env,
    },
    listening: LISTENING,
    timeoutMs: 120_000,
  });
  const started = service.logs.find((line) => line.msg === "starting");
  const bound = service.logs.find((line) => line.msg === "port bound; answering 503 until started");
  const sockets = Number(bound?.["sockets"] ?? 1);
  const runtime = `Node ${String(started?.["node"] ?? "?")}, ${sockets} listening socket${sockets === 1 ? "" : "s"}`;
  return { ...service, origin: service.endpoint.replace(/\/graphql$/, ""), runtime };
}
