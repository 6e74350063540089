import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Benchmarks measure the service as production runs it: `npm start` runs dist/main.js after its
 * `prestart` rebuilt dist/ when a source changed, and this does the same rebuild. A benchmark of the
 * TypeScript sources through tsx would count tsx's loader thread and source maps (50–100 MB of RSS,
 * README "Memory") against the service.
 */
export function buildService(): void {
  // The build's one line of output goes to stderr with the progress, not into a benchmark's results.
  const built = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: ROOT, stdio: ["ignore", process.stderr, process.stderr] });
  if (built.status !== 0) throw new Error(`node scripts/build.mjs --if-stale failed (${built.status ?? built.signal})`);
}
