#!/usr/bin/env node
// npm run build: compiles src/ (with the generated Prisma client in src/generated) to dist/, one .js
// file per .ts file, so dist/main.js finds package.json and prisma/migrations at the same relative
// paths ("..") as src/main.ts does. esbuild only strips types (`npm run check` is the type check),
// which takes well under a second: fast enough to run after every `npm ci` (postinstall) and before
// every `npm start` whose sources changed (--if-stale). The first build for a PGlite version also packs
// a new embedded database (a few seconds, once), which later builds copy from the previous dist/.
//
//   node scripts/build.mjs             build
//   node scripts/build.mjs --if-stale  build only when a file under src/ was added, removed or changed
import { spawnSync } from "node:child_process";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");
const DIST = join(ROOT, "dist");
/** What the last build compiled: each source file and its modification time. */
const STAMP = ".build-stamp.json";
/** Node versions package.json's "engines" allows; esbuild lowers nothing they run natively. */
const TARGET = "node20.19";

async function sources(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(path)));
    else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

/** path relative to src/ → mtime in ms, for every source file, plus the build script itself. */
async function fingerprint(files) {
  const entries = await Promise.all(
    [...files, fileURLToPath(import.meta.url)].map(async (file) => [relative(ROOT, file).split(sep).join("/"), (await stat(file)).mtimeMs]),
  );
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}

async function isFresh(current) {
  if (!(await exists(join(DIST, TEMPLATE_DIR, `${await pgliteVersion()}.tar.gz`)))) return false;
  try {
    const built = JSON.parse(await readFile(join(DIST, STAMP), "utf8"));
    return JSON.stringify(built) === JSON.stringify(current);
  } catch {
    return false;
  }
}

/**
 * Prisma's generated client imports its query compiler as a module that exports the WebAssembly as a
 * 4.5 MB base64 string. A module is never unloaded, so its source and that string stay on the heap for
 * the life of the process (9 MB). The build writes the decoded bytes next to the compiled client
 * instead and has the client read them from there. If a Prisma upgrade changes the generated code, the
 * build says so and leaves the client as generated (it works either way).
 */
const WASM_IMPORT = /const \{ wasm \} = await import\("(@prisma\/client\/runtime\/query_compiler_[a-z]+_bg\.[a-z]+\.wasm-base64\.mjs)"\)\s*\n\s*return await decodeBase64AsWasm\(wasm\)/;
const WASM_FILE = "query-compiler.wasm";

function queryCompilerFromFile(outdir) {
  return {
    name: "query-compiler-from-file",
    setup(build) {
      build.onLoad({ filter: /[\\/]generated[\\/]prisma[\\/]internal[\\/]class\.ts$/ }, async (args) => {
        const source = await readFile(args.path, "utf8");
        const match = WASM_IMPORT.exec(source);
        if (!match) {
          return { contents: source, loader: "ts", warnings: [{ text: "the generated Prisma client no longer imports its query compiler as expected; it keeps the base64 module (9 MB more heap)" }] };
        }
        const { wasm } = await import(match[1]);
        const target = join(outdir, relative(SRC, dirname(args.path)), WASM_FILE);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, Buffer.from(wasm, "base64"));
        const replacement = `const { readFile } = await import("node:fs/promises")\n    return new WebAssembly.Module(await readFile(new URL("./${WASM_FILE}", import.meta.url)))`;
        return { contents: source.replace(match[0], replacement), loader: "ts" };
      });
    },
  };
}

/**
 * A new embedded database, as PGlite's initdb creates it, packed once at build time: a first start on an
 * empty DATA_DIR unpacks it instead of running initdb, which PGlite does in a second, temporary
 * PostgreSQL whose whole memory it copies (about 700 MB at its peak, and 2.5 s). Named after the PGlite
 * version, whose PostgreSQL must match the files; kept from one build to the next.
 */
const TEMPLATE_DIR = "pglite-template";
const MAKE_TEMPLATE = `
import { writeFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
const pg = await PGlite.create();
const packed = await pg.dumpDataDir("gzip");
await pg.close();
await writeFile(process.argv[1], Buffer.from(await packed.arrayBuffer()));
`;

async function pgliteVersion() {
  const pkg = JSON.parse(await readFile(join(ROOT, "node_modules", "@electric-sql", "pglite", "package.json"), "utf8"));
  return pkg.version;
}

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Copies the template from the previous dist/ when it is there, otherwise makes it. */
async function pgliteTemplate(outdir) {
  const name = join(TEMPLATE_DIR, `${await pgliteVersion()}.tar.gz`);
  const target = join(outdir, name);
  await mkdir(dirname(target), { recursive: true });
  if (await exists(join(DIST, name))) {
    await writeFile(target, await readFile(join(DIST, name)));
    return;
  }
  const made = spawnSync(process.execPath, ["--input-type=module", "-e", MAKE_TEMPLATE, `${target}.partial`], { cwd: ROOT, stdio: "inherit" });
  if (made.status !== 0) throw new Error(`build: making the PGlite template failed (exit ${made.status ?? made.signal})`);
  await rename(`${target}.partial`, target);
}

const { values } = parseArgs({ options: { "if-stale": { type: "boolean" }, quiet: { type: "boolean" } } });
const files = await sources(SRC);
if (!files.some((f) => f.startsWith(join(SRC, "generated") + sep))) {
  process.stderr.write("build: src/generated is missing; run `npm run generate` (npm ci runs it) first\n");
  process.exit(1);
}
const current = await fingerprint(files);
if (values["if-stale"] && (await isFresh(current))) process.exit(0);

const started = performance.now();
// esbuild is loaded only when there is something to build: `npm start` with a fresh dist/ needs no
// dev dependency, so a checkout pruned with `npm prune --omit=dev` after `npm ci` still starts.
let build;
try {
  ({ build } = await import("esbuild"));
} catch (error) {
  if (error.code !== "ERR_MODULE_NOT_FOUND") throw error;
  process.stderr.write("build: src/ changed since dist/ was built, and esbuild (a dev dependency) is not installed: run `npm ci`, which builds dist/\n");
  process.exit(1);
}
// Built next to dist/ and swapped in, so an interrupted build never leaves half a dist/ behind.
const next = join(ROOT, `dist.building-${process.pid}`);
await rm(next, { recursive: true, force: true });
await mkdir(next, { recursive: true });
try {
  await build({
    entryPoints: files,
    outbase: SRC,
    outdir: next,
    format: "esm",
    platform: "node",
    target: TARGET,
    sourcemap: true,
    plugins: [queryCompilerFromFile(next)],
    logLevel: "warning",
  });
  await pgliteTemplate(next);
  await writeFile(join(next, STAMP), `${JSON.stringify(current, null, 1)}\n`);
  const old = join(ROOT, `dist.old-${process.pid}`);
  await rename(DIST, old).catch((error) => {
    if (error.code !== "ENOENT") throw error;
  });
  await rename(next, DIST).catch(async (error) => {
    // Another build of the same sources swapped its dist/ in between our two renames: keep that one.
    if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    await rm(next, { recursive: true, force: true });
  });
  await rm(old, { recursive: true, force: true });
} catch (error) {
  await rm(next, { recursive: true, force: true });
  throw error;
}
// stderr: `npm start --silent -- --version` prints only the service's own output on stdout.
if (!values.quiet) {
  process.stderr.write(`build: ${files.length} files from src/ to dist/ in ${Math.round(performance.now() - started)} ms\n`);
}
