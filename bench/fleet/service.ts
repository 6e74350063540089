import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startChildServer, type ChildServer } from "../latest-data/processes.js";
import { LISTENING } from "../latest-data/serve-baseline.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The service as a pure fleet server on `databaseUrl`, for benchmarks: no local collection, enrollment
 * not rate-limited (every simulated agent comes from one address), logging at info. `env` adds or
 * overrides settings. Runs the compiled build (dist/main.js, rebuilt first when src/ changed), as
 * `npm start` and the image do. BENCH_CPU_PROFILE_DIR writes a --cpu-prof profile of it there.
 * Resolves its endpoint and origin once it listens.
 */
export async function startFleetService(databaseUrl: string, secret: string, env: Record<string, string> = {}): Promise<ChildServer & { origin: string }> {
  const build = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal})`);
  const profileDir = process.env["BENCH_CPU_PROFILE_DIR"];
  const service = await startChildServer({
    label: "service",
    nodeArgs: [...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", resolve(profileDir)] : []), "dist/main.js"],
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
  return { ...service, origin: service.endpoint.replace(/\/graphql$/, "") };
}
