import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const UPSTREAM_DIR = fileURLToPath(new URL("../../../shared/fixtures/osquery", import.meta.url));
const LOCAL_DIR = fileURLToPath(new URL("../fixtures/osquery", import.meta.url));
const upstreamPresent = existsSync(UPSTREAM_DIR);

/** The local folder has its own README.md, so the upstream one is kept under another name. */
const localNameOf = (upstreamName: string) => (upstreamName === "README.md" ? "README.upstream.md" : upstreamName);

const upstreamFiles = upstreamPresent ? readdirSync(UPSTREAM_DIR).sort() : [];

describe("osquery fixtures", () => {
  it.skipIf(!upstreamPresent)("when the shared fixtures folder exists, then it is not empty", () => {
    expect(upstreamFiles.length).toBeGreaterThan(0);
  });

  it.skipIf(!upstreamPresent)("when the shared fixtures folder exists, then every file there has a byte-identical local copy", () => {
    const mismatches: string[] = [];
    for (const name of upstreamFiles) {
      const local = join(LOCAL_DIR, localNameOf(name));
      if (!existsSync(local)) {
        mismatches.push(`${name}: missing as test/fixtures/osquery/${localNameOf(name)}`);
        continue;
      }
      if (!readFileSync(join(UPSTREAM_DIR, name)).equals(readFileSync(local))) {
        mismatches.push(`${name}: differs from test/fixtures/osquery/${localNameOf(name)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
