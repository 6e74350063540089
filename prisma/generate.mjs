#!/usr/bin/env node
// `prisma generate` never runs Prisma's native schema engine, but the CLI insists on finding it and
// downloads it when missing. Where that download is impossible (offline or firewalled machines) any
// existing file satisfies the check. Only this command gets the override, so `prisma migrate ...`
// still fetches and uses the real engine on machines that can download it.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE ??= "1";
// Generators such as prisma-pothos-types are looked up on PATH, as npm scripts would.
env.PATH = [join(fileURLToPath(new URL("..", import.meta.url)), "node_modules", ".bin"), env.PATH].join(delimiter);
const result = spawnSync(process.execPath, [cli, "generate", ...process.argv.slice(2)], {
  stdio: "inherit",
  env,
});
process.exit(result.status ?? 1);
