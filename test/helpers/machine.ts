import { readFileSync } from "node:fs";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "./temp.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/osquery", import.meta.url));
const FAKE_OSQUERYI = fileURLToPath(new URL("./fake-osqueryi.mjs", import.meta.url));

export const fixture = (name: string) => join(FIXTURES_DIR, name);

export function fixtureRows(name: string): Record<string, string>[] {
  return JSON.parse(readFileSync(fixture(name), "utf8")) as Record<string, string>[];
}

export interface TableAnswer {
  fixture?: string;
  rows?: Record<string, string>[];
  stdout?: string;
  stdoutBase64?: string;
  stderr?: string;
  exitCode?: number;
  delayMs?: number;
  floodBytes?: number;
}

export interface Scenario {
  crlf?: boolean;
  tables: Record<string, TableAnswer>;
}

export interface Package {
  name: string;
  version: string;
  /** dpkg's status ("want ok state"). @default "install ok installed" */
  status?: string;
}

/** An Ubuntu 22.04 machine; its packages default to the deb_packages fixture. */
export function ubuntu(packages?: Package[]): Scenario {
  return {
    tables: {
      osquery_info: { fixture: fixture("osquery_info_version.json") },
      os_version: { fixture: fixture("os_version_ubuntu2204.json") },
      system_info: { fixture: fixture("system_info_ubuntu2204.json") },
      deb_packages: packages
        ? { rows: packages.map((p) => ({ name: p.name, version: p.version, source: "", arch: "amd64", status: p.status ?? "install ok installed" })) }
        : { fixture: fixture("ubuntu2204_deb_packages.json") },
    },
  };
}

export function macos(): Scenario {
  return {
    tables: {
      osquery_info: { fixture: fixture("osquery_info_version.json") },
      os_version: { fixture: fixture("os_version_macos14.json") },
      system_info: { fixture: fixture("system_info_macos14.json") },
      apps: { fixture: fixture("macos14_apps_projection.json") },
    },
  };
}

export function windows(): Scenario {
  return {
    crlf: true,
    tables: {
      osquery_info: { fixture: fixture("osquery_info_version.json") },
      os_version: { fixture: fixture("os_version_windows11.json") },
      system_info: { fixture: fixture("system_info_windows11.json") },
      programs: { fixture: fixture("windows11_programs.json") },
    },
  };
}

/** Deterministic package lists with mixed-case names, so ordering and paging have something to chew on. */
export function generatedPackages(count: number, prefix = "pkg"): Package[] {
  const out: Package[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(4, "0");
    const name = i % 3 === 0 ? `${prefix.toUpperCase()}-${n}` : i % 3 === 1 ? `${prefix}-${n}` : `${prefix[0]!.toUpperCase()}${prefix.slice(1)}-${n}`;
    out.push({ name, version: `1.${i % 7}.${i}` });
  }
  return out;
}

/**
 * A fake machine: an osqueryi executable (a wrapper around fake-osqueryi.mjs bound to this machine's
 * scenario file) whose answers a test changes with set().
 */
export interface FakeMachine {
  /** Give this as OSQUERY_BIN. */
  binary: string;
  set(scenario: Scenario): Promise<void>;
  /** Every osqueryi run so far: its arguments, the SQL it got on stdin, the names in its environment. */
  invocations(): Promise<{ argv: string[]; sql: string; envKeys: string[] }[]>;
  dispose(): Promise<void>;
}

export async function createFakeMachine(initial: Scenario): Promise<FakeMachine> {
  const dir = await makeTempDir("osqueryi");
  const scenarioFile = join(dir.path, "scenario.json");
  const logFile = join(dir.path, "invocations.jsonl");
  const binary = join(dir.path, "osqueryi");
  await writeFile(
    binary,
    `#!/bin/sh\nFAKE_OSQUERY_SCENARIO='${scenarioFile}' FAKE_OSQUERY_LOG='${logFile}' exec '${process.execPath}' '${FAKE_OSQUERYI}' "$@"\n`,
  );
  await chmod(binary, 0o755);
  const set = (scenario: Scenario) => writeFile(scenarioFile, JSON.stringify(scenario));
  await set(initial);
  return {
    binary,
    set,
    async invocations() {
      const text = await readFile(logFile, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { argv: string[]; sql: string; envKeys: string[] });
    },
    dispose: dir.remove,
  };
}
