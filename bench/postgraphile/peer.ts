/**
 * PostGraphile v5 as an optional peer of the read benchmarks. It needs Node ≥ 22, which this project
 * does not: PostGraphile and a Node 22 binary (the npm registry's node-<os>-<arch> package) are
 * installed into a folder of their own under node_modules/.cache, never into the project's
 * dependencies, and reused by later runs. When they cannot be installed (no registry, another
 * platform), the benchmark prints why and goes on without them.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { childEnv, ROOT, withApplicationName, type Running, type StartOptions } from "../latest-data/harness.js";
import { startChildServer } from "../latest-data/processes.js";
import { LISTENING } from "../latest-data/serve-baseline.js";

const CACHE_DIR = join(ROOT, "node_modules/.cache/bench-postgraphile");
/** What is asked of the registry; the first install's lock file keeps what it resolved to. */
const POSTGRAPHILE_RANGE = "^5.1.5";
const NODE_RANGE = "^22.12.0";
/** serve.mjs makes the pool it hands PostGraphile (a peer dependency of it). */
const PG_RANGE = "^8.16.3";
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const STARTUP_TIMEOUT_MS = 90_000;
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
      const tail = stderr.trim().split("\n").slice(-4).join(" / ");
      reject(new Error(`npm install failed (${error.killed ? "timed out" : `exit ${error.code}`}): ${tail || error.message}`));
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
  const nodePkg = nodePackage();
  if (!nodePkg) return { ok: false, reason: `no Node 22 package on the npm registry is used for ${process.platform}-${process.arch}` };
  const manifest = { private: true, description: "PostGraphile v5 for bench/ (made by bench/postgraphile/peer.ts)", dependencies: { postgraphile: POSTGRAPHILE_RANGE, pg: PG_RANGE, [nodePkg]: NODE_RANGE } };
  const wanted = JSON.stringify(manifest);
  const node = join(CACHE_DIR, "node_modules", nodePkg, "bin/node");
  const marker = await readJson<{ manifest: string }>(join(CACHE_DIR, MARKER));
  if (marker?.manifest !== wanted) {
    process.stderr.write(`installing PostGraphile ${POSTGRAPHILE_RANGE} and Node ${NODE_RANGE} (${nodePkg}) into ${CACHE_DIR}\n`);
    await rm(CACHE_DIR, { recursive: true, force: true });
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(join(CACHE_DIR, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    try {
      await npmInstall(CACHE_DIR);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    await writeFile(join(CACHE_DIR, MARKER), JSON.stringify({ manifest: wanted }));
  }
  let nodeVersion: string;
  try {
    nodeVersion = execFileSync(node, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch (error) {
    return { ok: false, reason: `${node} does not run: ${(error as Error).message}` };
  }
  const pkg = await readJson<{ version: string }>(join(CACHE_DIR, "node_modules/postgraphile/package.json"));
  if (!pkg) return { ok: false, reason: `postgraphile is missing from ${CACHE_DIR}` };
  return { ok: true, peer: { dir: CACHE_DIR, node, nodeVersion, postgraphileVersion: pkg.version } };
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
