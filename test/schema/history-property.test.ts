import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { createRetention } from "../../src/store/retention.js";
import { compareVersions } from "../../src/store/version-order.js";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu, type Scenario } from "../helpers/machine.js";
import { LatestDataQuery, SnapshotChangesQuery, SnapshotDiffQuery } from "../helpers/operations.js";
import type { LatestDataQuery as LatestDataResult, SnapshotDiffQuery as SnapshotDiffResult } from "../gql/graphql.js";

/**
 * Random histories go through the real collection path (fake osqueryi → runner → parser → store), then
 * snapshotDiff and latestData(snapshotId) are checked against a naive model that keeps every
 * snapshot's full app set in memory — before and after retention pruned the older half.
 */

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse("2026-02-01T00:00:00Z");
const VERSIONS = ["0.9", "1.0~rc1", "1.0", "1.0+b1", "1.10", "1.9", "1:0.1", "2.0-1", "2.0-1ubuntu1"];

type AppSet = Map<string, string>;
type Op = { t: "add"; n: number; v: number } | { t: "remove"; pick: number } | { t: "bump"; pick: number; v: number };
type Step = "fail" | Op[];

const nameOf = (n: number) => (n % 3 === 0 ? `App${n}` : n % 3 === 1 ? `app-${n}` : `Z_app.${n}`);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("add" as const), n: fc.integer({ min: 0, max: 80 }), v: fc.nat(VERSIONS.length - 1) }),
  fc.record({ t: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({ t: fc.constant("bump" as const), pick: fc.nat(), v: fc.nat(VERSIONS.length - 1) }),
);
const historyArb = fc.record({
  initial: fc.uniqueArray(fc.integer({ min: 0, max: 80 }), { minLength: 5, maxLength: 40 }),
  steps: fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant<Step>("fail") }, { weight: 8, arbitrary: fc.array(opArb, { maxLength: 5 }) }), {
    minLength: 52,
    maxLength: 56,
  }),
  pairs: fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 12, maxLength: 12 }),
  keepFrom: fc.integer({ min: 10, max: 40 }),
});

function apply(set: AppSet, ops: Op[]): AppSet {
  const next = new Map(set);
  for (const op of ops) {
    const names = [...next.keys()].sort();
    if (op.t === "add") next.set(nameOf(op.n), VERSIONS[op.v]!);
    else if (names.length > 0 && op.t === "remove") next.delete(names[op.pick % names.length]!);
    else if (names.length > 0 && op.t === "bump") next.set(names[op.pick % names.length]!, VERSIONS[op.v]!);
  }
  return next;
}

function modelDiff(from: AppSet, to: AppSet): string[] {
  const names = [...new Set([...from.keys(), ...to.keys()])];
  const out: [string, string][] = [];
  for (const name of names) {
    const a = from.get(name);
    const b = to.get(name);
    if (a === b) continue;
    const kind = a === undefined ? "ADDED" : b === undefined ? "REMOVED" : compareVersions("deb", a, b) < 0 ? "UPGRADED" : "DOWNGRADED";
    out.push([name, `${kind} ${name} ${a ?? "-"}→${b ?? "-"}`]);
  }
  return out.sort((x, y) => Buffer.compare(Buffer.from(x[0].toLowerCase()), Buffer.from(y[0].toLowerCase()))).map((x) => x[1]);
}

const modelList = (set: AppSet) =>
  [...set.entries()]
    .sort((x, y) => Buffer.compare(Buffer.from(x[0].toLowerCase()), Buffer.from(y[0].toLowerCase())))
    .map(([name, version]) => `${name}@${version}`);

function machine(set: AppSet, uuid: string): Scenario {
  const scenario = ubuntu([...set.entries()].map(([name, version]) => ({ name, version })));
  scenario.tables["system_info"] = { rows: [{ hostname: `prop-${uuid.slice(0, 8)}`, uuid }] };
  return scenario;
}

describe.each(backends)("history properties on %s", (backend) => {
  let h: Harness;
  let clock = T0;
  let runNo = 0;
  const gid = (id: number) => Buffer.from(`Snapshot:${id}`).toString("base64");

  beforeAll(async () => {
    // No diff cache: every read after pruning must come from the database.
    h = await createHarness(backend, ubuntu([]), { now: () => new Date(clock), historyCacheBytes: 0 });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  async function walk(snapshotId: number): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: LatestDataResult["latestData"] = expectNoGraphQLErrors(
        await execute(ENDPOINT, LatestDataQuery, { snapshotId: gid(snapshotId), first: 40, after }, { fetch: h.fetch }),
      ).latestData;
      out.push(...page.edges.map((e) => `${e.node.name}@${e.node.version}`));
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor;
    }
  }

  async function diff(from: number, to: number): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: SnapshotDiffResult["snapshotDiff"] = expectNoGraphQLErrors(
        await execute(ENDPOINT, SnapshotDiffQuery, { from: gid(from), to: gid(to), first: 25, after }, { fetch: h.fetch }),
      ).snapshotDiff;
      out.push(...page.edges.map((e) => `${e.node.kind} ${e.node.name} ${e.node.fromVersion ?? "-"}→${e.node.toVersion ?? "-"}`));
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor;
    }
  }

  async function changes(id: number): Promise<string[]> {
    const node = expectNoGraphQLErrors(await execute(ENDPOINT, SnapshotChangesQuery, { id: gid(id), first: 100 }, { fetch: h.fetch })).node;
    if (!node || !("changes" in node)) throw new Error("not a snapshot");
    return node.changes.edges.map((e) => `${e.node.kind} ${e.node.name} ${e.node.fromVersion ?? "-"}→${e.node.toVersion ?? "-"}`);
  }

  it(
    "when random histories are collected, then diffs, point-in-time reads and changes match the model, also after pruning",
    async () => {
      await fc.assert(
        fc.asyncProperty(historyArb, async ({ initial, steps, pairs, keepFrom }) => {
          runNo++;
          const uuid = `00000000-0000-4000-8000-${String(runNo).padStart(12, "0")}`;
          const dayZero = clock;
          let set: AppSet = new Map(initial.map((n) => [nameOf(n), VERSIONS[n % VERSIONS.length]!]));
          const history: { id: number; set: AppSet; day: number }[] = [];
          for (const [i, step] of ["initial" as const, ...steps].entries()) {
            clock = dayZero + i * DAY;
            if (step === "fail") {
              const broken = machine(set, uuid);
              broken.tables["deb_packages"] = { stdout: '[\n  {"name":', exitCode: 0 };
              await h.machine.set(broken);
              expect((await h.collector.collect()).status).toBe("FAILED");
              continue;
            }
            if (step !== "initial") set = apply(set, step);
            await h.machine.set(machine(set, uuid));
            const snapshot = await h.collector.collect();
            expect(snapshot.status).toBe("SUCCEEDED");
            history.push({ id: snapshot.id, set, day: i });
          }
          clock = dayZero + (steps.length + 1) * DAY;

          const check = async (snapshots: typeof history) => {
            for (const [x, y] of pairs) {
              const a = snapshots[x % snapshots.length]!;
              const b = snapshots[y % snapshots.length]!;
              expect(await diff(a.id, b.id)).toEqual(modelDiff(a.set, b.set));
              expect(await walk(a.id)).toEqual(modelList(a.set));
            }
            // Every snapshot's own changes, against its predecessor in the full history (which
            // retention may have deleted: the changes must stay exact regardless).
            for (const snapshot of snapshots) {
              const index = history.indexOf(snapshot);
              const previous = index > 0 ? history[index - 1]!.set : new Map<string, string>();
              expect(await changes(snapshot.id)).toEqual(modelDiff(previous, snapshot.set));
            }
          };
          await check(history);

          // Keep the snapshots from day `keepFrom` on: retention counts days back from the newest.
          const newestDay = history.at(-1)!.day;
          const cutDay = Math.min(keepFrom, newestDay);
          const retention = createRetention({
            db: h.db.prisma,
            policy: { retainDays: newestDay - cutDay, retainFailedDays: 1 },
            logger: createLogger({ level: "silent" }),
            batchSize: 7,
          });
          await retention.prune(new Date(dayZero + newestDay * DAY));
          const kept = history.filter((s) => s.day >= cutDay);
          const remaining = await h.db.prisma.snapshot.findMany({
            where: { host: { identifier: `uuid:${uuid}` }, status: "SUCCEEDED" },
            orderBy: { id: "asc" },
          });
          expect(remaining.map((s) => s.id)).toEqual(kept.map((s) => s.id));
          await check(kept);
          // Later runs collect on later days than anything this run pruned.
          clock = dayZero + (steps.length + 2) * DAY;
        }),
        { numRuns: 3, endOnFailure: true },
      );
    },
    600_000,
  );
});
