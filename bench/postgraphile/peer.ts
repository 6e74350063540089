/**
 * PostGraphile v5 as an optional peer of the read benchmarks. It needs Node ≥ 22, which this project
 * does not: PostGraphile and a Node 22 binary (the npm registry's node-<os>-<arch> package) are
 * installed into a folder of their own under node_modules/.cache, never into the project's
 * dependencies, and reused by later runs. When they cannot be installed (no registry, another
 * platform), the benchmark prints why and goes on without them.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type pg from "pg";
import { childEnv, ROOT, withApplicationName, type Running, type StartOptions } from "../latest-data/harness.js";
import { startChildServer } from "../latest-data/processes.js";
import { LISTENING } from "../latest-data/serve-baseline.js";

/** Where the packages go unless BENCH_POSTGRAPHILE_DIR names another folder (e.g. one shared by several checkouts). */
const DEFAULT_DIR = join(ROOT, "node_modules/.cache/bench-postgraphile");
/** What is asked of the registry; the first install's lock file keeps what it resolved to. */
const POSTGRAPHILE_RANGE = "^5.1.5";
const NODE_RANGE = "^22.12.0";
/** serve.mjs makes the pool it hands PostGraphile (a peer dependency of it). */
const PG_RANGE = "^8.16.3";
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const STARTUP_TIMEOUT_MS = 90_000;
const MANIFEST_DESCRIPTION = "PostGraphile v5 for bench/ (made by bench/postgraphile/peer.ts)";
/** Written after an install succeeded: a folder without it is a broken install and is done again. */
const MARKER = "installed.json";

export interface PostGraphilePeer {
  dir: string;
  /** The Node 22 binary. */
  node: string;
  nodeVersion: string;
  postgraphileVersion: string;
}

export type PeerResult = { ok: true; peer: PostGraphilePeer } | { ok: false; reason: string };

/** The registry's package of a Node binary for this machine, or null where the benchmark does not run (it reads /proc). */
function nodePackage(): string | null {
  if (process.platform !== "linux") return null;
  return ["x64", "arm64"].includes(process.arch) ? `node-linux-${process.arch}` : null;
}

function npmInstall(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // No lifecycle scripts: the Node package ships its binary, and nothing else needs one.
    const args = ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--engine-strict=false", "--loglevel=error"];
    execFile("npm", args, { cwd: dir, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      // npm's first lines say what failed (code, then the request); the rest is a stack and advice.
      const lines = stderr.split("\n").filter((line) => /^npm error (code|[A-Za-z]*Error|\d{3}|notarget|network)/.test(line));
      const why = lines.slice(0, 2).map((line) => line.replace(/^npm error /, "")).join("; ");
      reject(new Error(`npm install failed (${error.killed ? "timed out" : `exit ${error.code}`}): ${why || stderr.trim().split("\n")[0] || error.message}`));
    });
  });
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** Installs PostGraphile and Node 22 into the cache folder, or finds them there from an earlier run. */
export async function installPostGraphile(): Promise<PeerResult> {
  const dir = resolve(process.env["BENCH_POSTGRAPHILE_DIR"] || DEFAULT_DIR);
  const nodePkg = nodePackage();
  if (!nodePkg) return { ok: false, reason: `no Node 22 package on the npm registry is used for ${process.platform}-${process.arch}` };
  const manifest = { private: true, description: MANIFEST_DESCRIPTION, dependencies: { postgraphile: POSTGRAPHILE_RANGE, pg: PG_RANGE, [nodePkg]: NODE_RANGE } };
  const wanted = JSON.stringify(manifest);
  const node = join(dir, "node_modules", nodePkg, "bin/node");
  const marker = await readJson<{ manifest: string }>(join(dir, MARKER));
  if (marker?.manifest !== wanted) {
    // Only a folder this made (or none) is emptied: BENCH_POSTGRAPHILE_DIR may name any folder.
    const existing = await readJson<{ description?: string }>(join(dir, "package.json"));
    const entries = await readdir(dir).catch(() => []);
    if (entries.length > 0 && existing?.description !== MANIFEST_DESCRIPTION) return { ok: false, reason: `${dir} is not empty and not a folder this benchmark made` };
    process.stderr.write(`installing PostGraphile ${POSTGRAPHILE_RANGE} and Node ${NODE_RANGE} (${nodePkg}) into ${dir}\n`);
    await mkdir(dir, { recursive: true });
    for (const made of [MARKER, "package.json", "package-lock.json", "node_modules", "serve.mjs"]) await rm(join(dir, made), { recursive: true, force: true });
    await writeFile(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await npmInstall(dir);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    await writeFile(join(dir, MARKER), JSON.stringify({ manifest: wanted }));
  }
  let nodeVersion: string;
  try {
    nodeVersion = execFileSync(node, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch (error) {
    return { ok: false, reason: `${node} does not run: ${(error as Error).message}` };
  }
  const pkg = await readJson<{ version: string }>(join(dir, "node_modules/postgraphile/package.json"));
  if (!pkg) return { ok: false, reason: `postgraphile is missing from ${dir}` };
  return { ok: true, peer: { dir, node, nodeVersion, postgraphileVersion: pkg.version } };
}

/** PostGraphile unless BENCH_POSTGRAPHILE=0, or why not (also said at once on stderr, before the run goes on without it). */
export async function optionalPostGraphile(): Promise<PeerResult> {
  const result: PeerResult = process.env["BENCH_POSTGRAPHILE"] === "0" ? { ok: false, reason: "BENCH_POSTGRAPHILE=0" } : await installPostGraphile();
  if (!result.ok) process.stderr.write(`PostGraphile skipped: ${result.reason}\n`);
  return result;
}

/**
 * Creates `objects` (the views and functions PostGraphile serves for a benchmark: SQL of the
 * benchmark's own, in a schema of its own) on the scratch database. PostGraphile reads the database's
 * catalog when it starts, so this comes first.
 */
export async function createObjects(db: pg.Client, schema: string, objects: string): Promise<void> {
  await db.query(`CREATE SCHEMA "${schema}"`);
  await db.query(objects);
}

/**
 * PostGraphile (serve.mjs, the Amber preset, PostGraphile's own defaults otherwise) on `url` with
 * the Node 22 binary, serving the `public` schema and `schemas`. serve.mjs is copied next to the
 * packages it imports.
 */
export async function startPostGraphile(peer: PostGraphilePeer, key: string, schemas: string[], options: StartOptions): Promise<Running> {
  const script = join(peer.dir, "serve.mjs");
  await copyFile(new URL("serve.mjs", import.meta.url), script);
  const applicationName = `bench-${key}`;
  process.stderr.write(`starting PostGraphile ${peer.postgraphileVersion} on Node ${peer.nodeVersion}\n`);
  const profile = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(options.profileDir, key)}`] : [];
  const server = await startChildServer({
    label: "PostGraphile",
    node: peer.node,
    nodeArgs: [...profile, script],
    cwd: peer.dir,
    env: childEnv({ DATABASE_URL: withApplicationName(options.url, applicationName), PGL_SCHEMAS: ["public", ...schemas].join(",") }),
    listening: LISTENING,
    timeoutMs: STARTUP_TIMEOUT_MS,
  });
  const running = { server, applicationName };
  options.started.push(running);
  return running;
}
