import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const UNIT = join(ROOT, "deploy", "osquery-inventory.service");
const unit = readFileSync(UNIT, "utf8");
const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!);
const SYSTEMD_ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((path) => existsSync(path));

describe("the systemd unit", () => {
  it("when its Environment= lines are the whole environment, then the configuration is valid and the data lives in the state directory", () => {
    const env = Object.fromEntries(settings("Environment").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
    const parsed = parseConfig(env, "/opt/osquery-inventory");
    expect(parsed.ok && parsed.config.database).toEqual({ kind: "pglite", dataDir: `/var/lib/${settings("StateDirectory")[0]}/pglite` });
    expect(env["HOME"]).toBe(`/var/lib/${settings("StateDirectory")[0]}`);
  });

  it("when it starts the service, then it runs what npm start runs, in the install directory", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(settings("ExecStart")).toEqual([`/usr/bin/${pkg.scripts["start"]}`]);
    expect(settings("WorkingDirectory")).toEqual(["/opt/osquery-inventory"]);
  });

  it.skipIf(SYSTEMD_ANALYZE === undefined)("when systemd-analyze verifies it, then it reports nothing", () => {
    const result = spawnSync(SYSTEMD_ANALYZE!, ["verify", UNIT], { encoding: "utf8" });
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: "" });
  });
});
