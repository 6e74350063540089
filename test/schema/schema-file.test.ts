import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { printSchema } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/schema/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the checked-in schema", () => {
  it("when the code's schema is printed, then it equals src/schema/schema.graphql", async () => {
    const checkedIn = await readFile(`${ROOT}/src/schema/schema.graphql`, "utf8");
    expect(checkedIn.trim()).toBe(printSchema(schema).trim());
  });

  it("when graphql-codegen --check runs, then schema.graphql and test/gql are up to date", () => {
    const result = spawnSync(process.execPath, [`${ROOT}/node_modules/@graphql-codegen/cli/cjs/bin.js`, "--check"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.stdout + result.stderr).not.toMatch(/Failed|out of date|changes/i);
    expect(result.status).toBe(0);
  });
});
