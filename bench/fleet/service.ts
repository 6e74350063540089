import { fileURLToPath } from "node:url";
import { startChildServer, type ChildServer } from "../latest-data/processes.js";
import { LISTENING } from "../latest-data/serve-baseline.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The service as a pure fleet server on `databaseUrl`, for benchmarks: no local collection, enrollment
 * not rate-limited (every simulated agent comes from one address), logging at info. `env` adds or
 * overrides settings. Resolves its endpoint and origin once it listens.
 */
export async function startFleetService(databaseUrl: string, secret: string, env: Record<string, string> = {}): Promise<ChildServer & { origin: string }> {
  const service = await startChildServer({
    label: "service",
    nodeArgs: ["--import", "tsx", "src/main.ts"],
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
