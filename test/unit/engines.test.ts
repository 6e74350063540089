import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import semver from "semver";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface LockEntry {
  version?: string;
  engines?: { node?: string };
}

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };

/**
 * Packages that want a newer Node than we claim and cannot be pinned lower, with the reason it does
 * not matter. Every version of @prisma/streams-local wants Node 22, Prisma 7.10 pins it exactly, and
 * only `prisma dev` (a local Prisma Postgres we never run) imports it.
 */
const KNOWN: Record<string, string> = {
  "node_modules/@prisma/streams-local": "imported only by `prisma dev`",
};

/** The lowest Node of each range we claim: `^20.19.0 || >=22.12.0` → 20.19.0 and 22.12.0. */
function lowestClaimed(range: string): string[] {
  return new semver.Range(range).set.map((comparators) => semver.minVersion(new semver.Range(comparators.map(String).join(" ")))!.version);
}

/** Lockfile entries npm installed on this machine (optional packages for other platforms are not). */
function installed(): [string, LockEntry][] {
  return Object.entries(lock.packages).filter(([path]) => path !== "" && existsSync(join(ROOT, path, "package.json")));
}

describe("Node engines", () => {
  it("when the claimed range is read, then its lowest versions are those the README names", () => {
    expect(lowestClaimed(pkg.engines.node)).toEqual(["20.19.0", "22.12.0"]);
  });

  it.each(lowestClaimed(pkg.engines.node))(
    "when the locked dependencies are installed on Node %s, then every one of them supports it",
    (node) => {
      const unsupported = installed()
        .filter(([path, entry]) => entry.engines?.node !== undefined && !semver.satisfies(node, entry.engines.node) && !(path in KNOWN))
        .map(([path, entry]) => `${path.replace(/^.*node_modules\//, "")}@${entry.version} wants node ${entry.engines!.node}`);
      expect(unsupported).toEqual([]);
    },
  );

  it("when a package is listed as a known exception, then it is installed and still needs the exception", () => {
    for (const path of Object.keys(KNOWN)) {
      const entry = lock.packages[path];
      expect(entry?.engines?.node, path).toBeDefined();
      expect(lowestClaimed(pkg.engines.node).some((node) => !semver.satisfies(node, entry!.engines!.node!)), path).toBe(true);
    }
  });
});
