import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readBuildInfo } from "../../src/version.js";
import { makeTempDir } from "../helpers/temp.js";

const dirs: { remove(): Promise<void> }[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await dir.remove();
});

async function project(): Promise<string> {
  const dir = await makeTempDir("build-info");
  dirs.push(dir);
  await writeFile(join(dir.path, "package.json"), JSON.stringify({ name: "osquery-inventory", version: "9.8.7" }));
  return dir.path;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();
}

describe("readBuildInfo", () => {
  it("when the code is not a git checkout, then the revision is SOURCE_REVISION", async () => {
    const root = await project();
    expect(readBuildInfo(root, " 0123abc \n")).toEqual({ name: "osquery-inventory", version: "9.8.7", revision: "0123abc", revisionFrom: "SOURCE_REVISION" });
  });

  it("when the code is not a checkout and SOURCE_REVISION is unset, then the revision is unknown", async () => {
    expect(readBuildInfo(await project(), undefined)).toMatchObject({ revision: null, revisionFrom: null });
  });

  it("when the code is a checkout, then the revision is its HEAD, marked -dirty once a tracked file changes", async () => {
    const root = await project();
    git(root, "init", "-q");
    git(root, "add", "package.json");
    git(root, "commit", "-q", "-m", "first");
    const head = git(root, "rev-parse", "HEAD");
    expect(readBuildInfo(root, "ignored")).toMatchObject({ revision: head, revisionFrom: "git" });
    await writeFile(join(root, "package.json"), JSON.stringify({ name: "osquery-inventory", version: "9.8.8" }));
    expect(readBuildInfo(root, "ignored")).toMatchObject({ version: "9.8.8", revision: `${head}-dirty`, revisionFrom: "git" });
  });

  it("when the code sits inside another repository, then that repository's commit is not reported", async () => {
    const outer = await project();
    git(outer, "init", "-q");
    git(outer, "commit", "-q", "--allow-empty", "-m", "outer");
    const root = join(outer, "vendor", "inventory");
    await mkdir(root, { recursive: true });
    await writeFile(join(root, "package.json"), JSON.stringify({ name: "osquery-inventory", version: "1.0.0" }));
    expect(readBuildInfo(root, undefined)).toMatchObject({ revision: null, revisionFrom: null });
    expect(readBuildInfo(root, "abc")).toMatchObject({ revision: "abc", revisionFrom: "SOURCE_REVISION" });
  });
});
