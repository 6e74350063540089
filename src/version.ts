import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";

export interface BuildInfo {
  name: string;
  version: string;
  /** The commit the code was built from, `-dirty` when tracked files differ from it; null when unknown. */
  revision: string | null;
  /** Where the revision came from. */
  revisionFrom: "git" | "SOURCE_REVISION" | null;
}

const GIT_TIMEOUT_MS = 3000;

function git(root: string, args: string[]): string {
  // The checkout is the code this process runs, so it is trusted even when another user owns it
  // (a service account running an administrator's checkout); git refuses such a checkout otherwise.
  return execFileSync("git", ["-c", `safe.directory=${root}`, ...args], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: GIT_TIMEOUT_MS,
  }).trim();
}

/** The commit of the checkout at `root`, or null when root is not the top of a git checkout (an image, a tarball). */
function gitRevision(root: string): string | null {
  try {
    const [top, head] = git(root, ["rev-parse", "--show-toplevel", "HEAD"]).split("\n");
    // A copy of the code inside some other repository must not report that repository's commit.
    if (!top || !head || realpathSync(top) !== realpathSync(root)) return null;
    const modified = git(root, ["status", "--porcelain", "--untracked-files=no"]) !== "";
    return modified ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/**
 * The package's name and version, and the revision it was built from: git's when `root` is a
 * checkout, otherwise SOURCE_REVISION (which the Dockerfile sets from a build argument).
 */
export function readBuildInfo(root: string, sourceRevision: string | undefined): BuildInfo {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; version: string };
  const fromGit = gitRevision(root);
  const fromEnv = sourceRevision?.trim() || null;
  return {
    name: pkg.name,
    version: pkg.version,
    revision: fromGit ?? fromEnv,
    revisionFrom: fromGit ? "git" : fromEnv ? "SOURCE_REVISION" : null,
  };
}
