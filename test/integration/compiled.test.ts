import { spawnSync } from "node:child_process";
import { readdir, readFile, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/backends.js";
import { createTestDatabase, MIGRATIONS_DIR, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { LatestDataQuery } from "../helpers/operations.js";
import { spawnService, startService, type ServiceProcess } from "../helpers/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STAMP = join(ROOT, "dist", ".build-stamp.json");

function build(...args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ["scripts/build.mjs", ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stderr: result.stderr };
}

/** What `npm start` runs: the JavaScript in dist/, with neither tsx nor the TypeScript sources. */
describe("the compiled service (dist/main.js)", () => {
  beforeAll(() => {
    const built = build();
    expect(built.status, built.stderr).toBe(0);
  });

  describe.each(backends)("on %s", (backend) => {
    let database: TestDatabase;
    let machine: FakeMachine;
    let service: ServiceProcess;

    beforeAll(async () => {
      database = await createTestDatabase(backend);
      machine = await createFakeMachine(ubuntu(generatedPackages(25)));
      service = await startService({ ...database.env, OSQUERY_BIN: machine.binary }, "compiled");
      await service.waitForLog((l) => l.msg === "collection succeeded");
    });
    afterAll(async () => {
      await service?.stop("SIGKILL");
      await machine?.dispose();
      await database?.dispose();
    });

    it("when started on a new database, then it applies the migrations from prisma/migrations and answers a GraphQL query from the database through the generated client", async () => {
      const migrations = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      // A fresh PGlite data directory and a fresh PostgreSQL database both start with none applied.
      expect(service.logs.filter((l) => l.msg === "migration applied").map((l) => l["migration"])).toEqual(migrations.sort());
      const { latestData } = expectNoGraphQLErrors(await execute(service.endpoint, LatestDataQuery, { first: 100 }));
      expect(latestData.totalCount).toBe(25);
      expect(latestData.edges.map((e) => e.node.name).sort()).toEqual(generatedPackages(25).map((p) => p.name).sort());
      const cmdline = (await readFile(`/proc/${service.child.pid!}/cmdline`, "utf8")).split("\0");
      expect(cmdline).toContain("dist/main.js");
      expect(cmdline.join(" ")).not.toMatch(/tsx/);
      expect(service.stray).toEqual([]);
      if (backend === "pglite") {
        // A new DATA_DIR: the build's packed database is unpacked instead of running initdb.
        expect(service.logs.find((l) => l.msg === "embedded database (PGlite) opened")).toMatchObject({ created: "from template" });
      }
    });
  });

  it("when built, then the Prisma client reads its query compiler from a .wasm file rather than keeping a base64 module on the heap", async () => {
    const client = await readFile(join(ROOT, "dist", "generated", "prisma", "internal", "class.js"), "utf8");
    expect(client).not.toMatch(/wasm-base64/);
    const wasm = await readFile(join(ROOT, "dist", "generated", "prisma", "internal", "query-compiler.wasm"));
    expect(WebAssembly.validate(wasm)).toBe(true);
  });

  it("when run with --version, then it finds package.json from dist/ and prints the version", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
    const service = spawnService({}, ["--version"], [], "compiled");
    const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
    expect(exit).toBe(0);
    expect(service.stray[0]).toBe(`${pkg.name} ${pkg.version}`);
  });

  it("when nothing under src/ changed, then build --if-stale leaves dist/ alone; when a source file changed, then it rebuilds", async () => {
    const builtAt = (await stat(STAMP)).mtimeMs;
    expect(build("--if-stale").status).toBe(0);
    expect((await stat(STAMP)).mtimeMs).toBe(builtAt);

    const source = join(ROOT, "src", "text.ts");
    const before = await stat(source);
    try {
      await utimes(source, before.atime, new Date(before.mtimeMs + 1000));
      expect(build("--if-stale").status).toBe(0);
      expect((await stat(STAMP)).mtimeMs).toBeGreaterThan(builtAt);
    } finally {
      await utimes(source, before.atime, before.mtime);
      build("--if-stale");
    }
  });
});
