import { describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "../../src/generated/prisma/client.js";
import type { StoredApp } from "../../src/store/app-queries.js";
import type { Read, Statement } from "../../src/db/read.js";
import { DIFF_STATEMENTS } from "../../src/store/app-statements.js";
import { computeDiff, createHistory, DIFF_BYTES, diffBytes } from "../../src/store/history.js";
import { sortKeyOf } from "../../src/store/sort-key.js";
import type { SoftwareSource } from "../../src/inventory/types.js";
import { appRecord } from "../helpers/app-record.js";

let nextId = 1;
function app(name: string, version: string | null, source: SoftwareSource = "deb_packages", path: string | null = null): StoredApp {
  const id = nextId++;
  return {
    id,
    hostId: 1,
    softwareId: id,
    ...appRecord(source, name, version, path),
    sortKey: sortKeyOf(name),
    firstSeenSnapshotId: 1,
    firstSeenAt: new Date(0),
    removedSnapshotId: null,
    removedAt: null,
  };
}
const summary = (d: ReturnType<typeof computeDiff>) => d.changes.map((c) => `${c.kind} ${c.name} ${c.fromVersion ?? "-"}→${c.toVersion ?? "-"}`);

describe("computeDiff", () => {
  it("when one identity changes version, then it is one UPGRADED or DOWNGRADED change by the source's rules", () => {
    const d = computeDiff([app("curl", "7.81.0-1ubuntu1.9"), app("Firefox", "125.0b3", "apps", "/Applications/Firefox.app")], [
      app("curl", "7.81.0-1ubuntu1.10"),
      app("Firefox", "124.0", "apps", "/Applications/Firefox.app"),
    ]);
    expect(summary(d)).toEqual(["UPGRADED curl 7.81.0-1ubuntu1.9→7.81.0-1ubuntu1.10", "DOWNGRADED Firefox 125.0b3→124.0"]);
    expect(d.counts).toEqual({ ADDED: 0, REMOVED: 0, UPGRADED: 1, DOWNGRADED: 1 });
  });

  it("when the same identity is on both sides, then it cancels out", () => {
    expect(summary(computeDiff([app("vim", "9.0")], [app("vim", "9.0")]))).toEqual([]);
  });

  it("when path or source differ, then they are different apps: one REMOVED, one ADDED", () => {
    const d = computeDiff([app("Code", "1.0", "apps", "/Applications/Code.app")], [app("Code", "1.1", "apps", "/Users/a/Applications/Code.app")]);
    expect(summary(d)).toEqual(["REMOVED Code 1.0→-", "ADDED Code -→1.1"]);
  });

  it("when two versions of one app sit side by side on a side, then no upgrade is guessed", () => {
    const d = computeDiff([app("python3", "3.10"), app("python3", "3.11")], [app("python3", "3.12")]);
    expect(d.counts).toEqual({ ADDED: 1, REMOVED: 2, UPGRADED: 0, DOWNGRADED: 0 });
  });

  it("when changes are listed, then they follow latestData's order: name without case, then kind", () => {
    const d = computeDiff([app("beta", "1"), app("Alpha", "1")], [app("alpha", "1"), app("Gamma", "2"), app("beta", "2")]);
    expect(summary(d)).toEqual(["REMOVED Alpha 1→-", "ADDED alpha -→1", "UPGRADED beta 1→2", "ADDED Gamma -→2"]);
  });
});

describe("the diff cache", () => {
  /** A test double for the two statements a diff runs: every call returns `size` added apps. */
  function fakeDb(size: () => number) {
    let calls = 0;
    let failNext = false;
    const read = (async (statement: Statement) => {
      calls++;
      if (failNext) {
        failNext = false;
        throw new Error("connection lost");
      }
      return statement === DIFF_STATEMENTS.onlyNewer ? Array.from({ length: size() }, (_, i) => app(`a${i}`, "1")) : [];
    }) as Read;
    return { deps: { db: {} as PrismaClient, read }, calls: () => calls, failOnce: () => (failNext = true) };
  }
  const s = (id: number) => ({ id, hostId: 1 });
  /** Room for exactly `n` diffs of `changes` changes each. */
  const roomFor = (n: number, changes: number) => n * (DIFF_BYTES.perDiff + changes * DIFF_BYTES.perChange);

  it("when a diff is estimated, then it costs its own bytes plus each change's, even with no changes", () => {
    expect(diffBytes(computeDiff([], []))).toBe(DIFF_BYTES.perDiff);
    expect(diffBytes(computeDiff([app("vim", "9.0")], [app("vim", "9.1"), app("curl", "8")]))).toBe(DIFF_BYTES.perDiff + 2 * DIFF_BYTES.perChange);
  });

  it("when the same diff is asked for twice, then the database is asked once", async () => {
    const fake = fakeDb(() => 3);
    const history = createHistory({ ...fake.deps, cacheBytes: roomFor(10, 3) });
    expect((await history.diff(s(1), s(2))).changes).toHaveLength(3);
    await history.diff(s(1), s(2));
    expect(fake.calls()).toBe(2);
    await history.diff(s(2), s(1));
    expect(fake.calls()).toBe(4);
  });

  it("when the same diff is asked for again while it is computed, then both wait for one computation", async () => {
    const fake = fakeDb(() => 3);
    const history = createHistory({ ...fake.deps, cacheBytes: 0 });
    const [a, b] = await Promise.all([history.diff(s(1), s(2)), history.diff(s(1), s(2))]);
    expect(a).toBe(b);
    expect(fake.calls()).toBe(2);
  });

  it("when the cache's bytes are used up, then the least recently used diff goes first and oversized diffs are not kept", async () => {
    const fake = fakeDb(() => 4);
    const history = createHistory({ ...fake.deps, cacheBytes: roomFor(2, 4) });
    await history.diff(s(1), s(2));
    await history.diff(s(1), s(3));
    await history.diff(s(1), s(2));
    await history.diff(s(1), s(4));
    const before = fake.calls();
    await history.diff(s(1), s(2));
    expect(fake.calls()).toBe(before);
    await history.diff(s(1), s(3));
    expect(fake.calls()).toBe(before + 2);

    const big = fakeDb(() => 9);
    const small = createHistory({ ...big.deps, cacheBytes: roomFor(1, 8) });
    await small.diff(s(1), s(2));
    await small.diff(s(1), s(2));
    expect(big.calls()).toBe(4);
  });

  it("when diffs have no changes, then they still count: at most cacheEntries are kept, and their bytes", async () => {
    const fake = fakeDb(() => 0);
    const history = createHistory({ ...fake.deps, cacheBytes: roomFor(1000, 0), cacheEntries: 3 });
    for (let to = 2; to <= 5; to++) await history.diff(s(1), s(to));
    const before = fake.calls();
    await history.diff(s(1), s(5));
    expect(fake.calls()).toBe(before);
    await history.diff(s(1), s(2));
    expect(fake.calls()).toBe(before + 2);

    const bytes = fakeDb(() => 0);
    const byBytes = createHistory({ ...bytes.deps, cacheBytes: roomFor(2, 0) });
    for (let to = 2; to <= 4; to++) await byBytes.diff(s(1), s(to));
    const after = bytes.calls();
    await byBytes.diff(s(1), s(2));
    expect(bytes.calls()).toBe(after + 2);
  });

  it("when nobody asks for a diff for cacheIdleMs, then it is dropped; asking again keeps it longer", async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeDb(() => 2);
      const history = createHistory({ ...fake.deps, cacheBytes: roomFor(10, 2), cacheIdleMs: 1000, now: () => Date.now() });
      await history.diff(s(1), s(2));
      await vi.advanceTimersByTimeAsync(800);
      await history.diff(s(1), s(2));
      await vi.advanceTimersByTimeAsync(800);
      await history.diff(s(1), s(2));
      expect(fake.calls()).toBe(2);
      await vi.advanceTimersByTimeAsync(1100);
      await history.diff(s(1), s(2));
      expect(fake.calls()).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it("when a diff fails or the cache is off, then nothing is kept", async () => {
    const fake = fakeDb(() => 1);
    const history = createHistory({ ...fake.deps, cacheBytes: roomFor(10, 1) });
    fake.failOnce();
    await expect(history.diff(s(1), s(2))).rejects.toThrow("connection lost");
    await history.diff(s(1), s(2));
    expect(fake.calls()).toBe(4);
    const off = fakeDb(() => 1);
    const uncached = createHistory({ ...off.deps, cacheBytes: 0 });
    await uncached.diff(s(1), s(2));
    await uncached.diff(s(1), s(2));
    expect(off.calls()).toBe(4);
  });
});
