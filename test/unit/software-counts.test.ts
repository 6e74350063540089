import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import { createLogger } from "../../src/logger.js";
import { createSoftwareCounts } from "../../src/store/software-catalog.js";

const silent = createLogger({ level: "error", destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

/**
 * A database whose every transaction takes `ms` (of the fake clock) and folds nothing: a fold is one
 * batch and one shrink check, so it lasts 2 × ms. Records when each transaction starts.
 */
function slowDatabase(ms: number) {
  const started: number[] = [];
  const db = {
    $transaction: async () => {
      started.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { rows: 0, n: 0 };
    },
  } as unknown as PrismaClient;
  return { db, started };
}

describe("software counts: when folds run", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The start of the second fold: a change, a fold, then a change just after that fold ended. */
  async function secondFoldAfter(transactionMs: number): Promise<number> {
    const { db, started } = slowDatabase(transactionMs);
    const counts = createSoftwareCounts({ db, logger: silent });
    counts.changed();
    await vi.advanceTimersByTimeAsync(1000 + 2 * transactionMs);
    expect(started).toEqual([1000, 1000 + transactionMs]);
    const changedAt = Date.now();
    counts.changed();
    await vi.advanceTimersByTimeAsync(20_000);
    await counts.close();
    return started[2]! - changedAt;
  }

  it("when folds are short, then the next one waits the least delay (1 s)", async () => {
    expect(await secondFoldAfter(10)).toBe(1000);
  });

  it("when a fold took long, then the next one waits 9 times its duration, so folding takes about a tenth of the time", async () => {
    expect(await secondFoldAfter(300)).toBe(9 * 600);
  });

  it("when a fold took very long, then the next one waits at most 10 s", async () => {
    expect(await secondFoldAfter(2000)).toBe(10_000);
  });
});
