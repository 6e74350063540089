import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/database.js";
import { spawnService } from "../helpers/service.js";

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
});
