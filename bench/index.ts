/**
 * `npm run bench`: the performance benchmarks of issue 4, one after another, each in a process of its
 * own so one's heap and sockets never weigh on the next. Each prints its own table of medians and the
 * ratios against baselines it measures in the same run. BENCH_DATABASE_URL picks the PostgreSQL server.
 * Pass names to run a subset: npm run bench -- ingest fanout
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BENCHES = {
  "latest-data": "latest-data.ts",
  "read-queries": "read-queries.ts",
  ingest: "ingest.ts",
  fanout: "fanout.ts",
  fleet: "fleet.ts",
  "first-inventories": "first-inventories.ts",
  "cache-scope": "cache-scope.ts",
  "software-changes": "software-changes.ts",
  console: "console.ts",
} as const;

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(BENCHES).join(", ")}\n`);
  process.exit(2);
}
const names = (asked.length > 0 ? asked : Object.keys(BENCHES)) as (keyof typeof BENCHES)[];
let failed = 0;
for (const name of names) {
  process.stdout.write(`\n=== ${name}\n`);
  const script = fileURLToPath(new URL(BENCHES[name], import.meta.url));
  const result = spawnSync(process.execPath, ["--import", "tsx", script], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(`benchmark ${name} failed (exit ${result.status ?? result.signal})\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
