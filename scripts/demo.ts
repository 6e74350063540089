/**
 * npm run demo: the service with realistic sample inventories and no osquery. It starts the service
 * (what npm start runs) in fleet and demo mode on a data directory of its own, then a handful of
 * simulated osqueryd agents (test/helpers/agent-simulator) of the four platforms that enroll, report
 * their inventories and change them every minute or so. Every host says it is simulated (Host.demo),
 * and so does the service's log.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createFleet, PLATFORMS, platformOf } from "../test/helpers/agent-simulator/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOSTS = Number(process.env["DEMO_HOSTS"] ?? 8);

const MIX = { darwin: 1, ubuntu: 1, rhel: 1, windows: 1 };
/** The first seed whose hosts cover every platform (when there are at least four). */
function seedWithEveryPlatform(): number {
  for (let seed = 1; ; seed++) {
    const platforms = new Set(Array.from({ length: HOSTS }, (_, i) => platformOf(seed, i, MIX)));
    if (platforms.size === Math.min(HOSTS, PLATFORMS.length)) return seed;
  }
}

const secret = randomBytes(24).toString("hex");
const env = {
  ...process.env,
  DEMO: "true",
  ENROLL_SECRET: secret,
  // Demo data never mixes with a real embedded database.
  DATA_DIR: process.env["DATA_DIR"] ?? "./data-demo",
  COLLECT_LOCAL: "false",
  // Agents check in every 5 s, and each inventory is asked for again about every minute.
  AGENT_DISTRIBUTED_INTERVAL_SECONDS: "5",
  AGENT_INVENTORY_INTERVAL_SECONDS: "60",
  // Every simulated agent enrolls from this machine's address.
  ENROLL_RATE_PER_MINUTE: "10000",
};

// The compiled service, as npm start runs it, rebuilt first if src/ changed since the last build.
const built = spawnSync(process.execPath, ["scripts/build.mjs", "--if-stale"], { cwd: ROOT, stdio: "inherit" });
if (built.status !== 0) process.exit(built.status ?? 1);
const service = spawn(process.execPath, ["dist/main.js"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
let fleet: ReturnType<typeof createFleet> | null = null;
let stopping = false;

async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await fleet?.stop();
  if (service.exitCode === null) service.kill("SIGTERM");
  service.once("exit", () => process.exit(code));
  if (service.exitCode !== null) process.exit(code);
}
process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));
service.once("exit", (code) => {
  if (!stopping) {
    process.stderr.write(`the service exited (${code ?? "signal"}); the demo stops\n`);
    void stop(code ?? 1);
  }
});

createInterface({ input: service.stdout! }).on("line", (line) => {
  process.stdout.write(`${line}\n`);
  let entry: { msg?: string; url?: string };
  try {
    entry = JSON.parse(line) as typeof entry;
  } catch {
    return;
  }
  if (entry.msg !== "GraphQL server listening" || !entry.url || fleet) return;
  const origin = entry.url.replace(/\/graphql$/, "");
  fleet = createFleet({
    url: origin,
    hosts: HOSTS,
    seed: seedWithEveryPlatform(),
    mix: MIX,
    softwareCount: { darwin: 120, ubuntu: 400, rhel: 300, windows: 150 },
    churn: 0.05,
    agent: { enrollSecret: secret, hostIdentifier: "uuid", distributedInterval: 5, loggerTlsPeriod: 10 },
  });
  void fleet.start();
  process.stdout.write(
    `${JSON.stringify({ level: "warn", msg: `demo: ${HOSTS} simulated osquery agents report to ${origin}; open ${origin}/ for the console, or ${entry.url} (GraphiQL) and run the example query, or subscribe to snapshotUpdated` })}\n`,
  );
});
