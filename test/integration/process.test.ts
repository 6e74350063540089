import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/database.js";
import { createFakeMachine, ubuntu } from "../helpers/machine.js";
import { spawnService, startService } from "../helpers/service.js";

describe("the service process", () => {
  it("when the configuration is invalid, then it exits 1 and names every bad variable", async () => {
    const service = spawnService({ PORT: "http", COLLECT_SCHEDULE: "every minute", DATABASE_URL: "mysql://x" });
    const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
    expect(exit).toBe(1);
    const stderr = service.stderr();
    expect(stderr).toMatch(/^Invalid configuration:/);
    expect(stderr).toMatch(/PORT: PORT must be a whole number/);
    expect(stderr).toMatch(/COLLECT_SCHEDULE: COLLECT_SCHEDULE must be a cron expression with 5 or 6 fields/);
    expect(stderr).toMatch(/DATABASE_URL: DATABASE_URL must start with postgres/);
    expect(service.logs).toEqual([]);
  });

  it("when run with the migrate command, then it applies migrations and exits 0 without serving; a second run applies none", async () => {
    const database = await createTestDatabase("pglite");
    try {
      const run = async () => {
        const service = spawnService({ ...database.env }, ["migrate"]);
        const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
        return { exit, messages: service.logs.map((l) => l.msg) };
      };
      const first = await run();
      expect(first.exit).toBe(0);
      expect(first.messages).toContain("migration applied");
      expect(first.messages).toContain("migrations are up to date");
      expect(first.messages).not.toContain("GraphQL server listening");
      const second = await run();
      expect(second.exit).toBe(0);
      expect(second.messages).not.toContain("migration applied");
    } finally {
      await database.dispose();
    }
  });

  it("when given an unknown command, then it exits 2 with the usage", async () => {
    const service = spawnService({}, ["serve-everything"]);
    const exit = await new Promise<number | null>((resolve) => service.child.once("exit", (code) => resolve(code)));
    expect(exit).toBe(2);
    expect(service.stderr()).toMatch(/Unknown command "serve-everything"/);
  });

  it("when a second process opens the same embedded data directory, then it refuses to start; after the first is SIGKILLed, a new one takes over", async () => {
    const database = await createTestDatabase("pglite");
    const machine = await createFakeMachine(ubuntu());
    const env = { ...database.env, OSQUERY_BIN: machine.binary };
    const first = await startService(env);
    try {
      const second = spawnService(env);
      const exit = await new Promise<number | null>((resolve) => second.child.once("exit", (code) => resolve(code)));
      expect(exit).toBe(1);
      const fatal = second.logs.find((l) => l.msg === "failed to start");
      expect(JSON.stringify(fatal)).toMatch(/is in use by another process \(pid \d+\)/);
      expect((await fetch(`${first.origin}/health`)).status).toBe(200);

      expect(await first.stop("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" });
      const third = await startService(env);
      await third.waitForLog((l) => l.msg === "collection succeeded");
      expect(await third.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    } finally {
      await first.stop("SIGKILL");
      await machine.dispose();
      await database.dispose();
    }
  });
});
