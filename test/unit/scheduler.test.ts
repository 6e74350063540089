import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CollectionError, CollectionErrorCode } from "../../src/errors.js";
import { createScheduler } from "../../src/jobs/scheduler.js";
import { createLogger } from "../../src/logger.js";
import type { LogLine } from "../helpers/service.js";

/** Runs one job once (as a new leader does) and returns what the scheduler logged about it. */
async function logsOfFailingRun(error: Error): Promise<LogLine[]> {
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const scheduler = createScheduler(
    [{ name: "collect-inventory", cron: null, runAtStart: true, run: () => Promise.reject(error) }],
    createLogger({ level: "debug", destination }),
  );
  scheduler.start();
  scheduler.setActive(true);
  await scheduler.stop();
  return logs.filter((l) => l.level === "warn" || l.level === "error");
}

describe("scheduler logging", () => {
  it.each([CollectionErrorCode.OSQUERY_NOT_FOUND, CollectionErrorCode.OSQUERY_TIMEOUT, CollectionErrorCode.OSQUERY_ABORTED])(
    "when a run fails with %s (a state of the machine), then it is one warning with the code and no stack",
    async (code) => {
      const logs = await logsOfFailingRun(new CollectionError(code, "osquery is not installed"));
      expect(logs).toEqual([
        expect.objectContaining({ level: "warn", msg: "scheduled job failed", job: "collect-inventory", code, error: "osquery is not installed" }),
      ]);
      expect(JSON.stringify(logs)).not.toMatch(/stack|\bat \S+ \(/);
    },
  );

  it.each([
    ["a database error", new CollectionError(CollectionErrorCode.DATABASE_ERROR, "the database is unavailable")],
    ["an unexpected error", new TypeError("cannot read properties of undefined")],
  ])("when a run fails with %s, then it is logged as an error with its stack", async (_name, error) => {
    const logs = await logsOfFailingRun(error);
    expect(logs).toEqual([expect.objectContaining({ level: "error", msg: "scheduled job failed", err: expect.objectContaining({ stack: expect.stringContaining("\n    at ") }) })]);
  });
});
