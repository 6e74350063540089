import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import fc from "fast-check";
import { print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu, type Package } from "../helpers/machine.js";
import { HostsQuery, LatestDataQuery, SnapshotDiffQuery, SnapshotsQuery } from "../helpers/operations.js";

/**
 * Random arguments for latestData, snapshots and snapshotDiff — real IDs and cursors from a collected
 * inventory, the same off by one, of the wrong type or kind, negative and huge page sizes, null, random
 * text and base64 of it — sent as variables or inline literals. A client can get its request refused,
 * but never a 5xx, never a masked "Unexpected error." and never a page breaking the connection rules.
 */

/**
 * The codes a refusal may carry:
 * - ours (src/errors.ts): BAD_USER_INPUT, HOST_NOT_FOUND, NOT_FOUND, QUERY_TOO_COMPLEX;
 * - yoga's: GRAPHQL_VALIDATION_FAILED (an inline literal of the wrong type), GRAPHQL_PARSE_FAILED (an
 *   inline string holding an unpaired surrogate escape, which graphql 16's lexer refuses), BAD_REQUEST
 *   (a body yoga cannot read).
 * Variable coercion errors ($first: "abc", $hostId: true, $kind: ["NOPE"]) carry no code at all: the
 * executor tags them BAD_USER_INPUT only in subscribe (@graphql-tools/executor execute.js), so yoga
 * answers HTTP 400 with `Variable "$x" got invalid value …` and no extensions.code. Those are accepted
 * only with exactly that shape, see checkErrors.
 */
const ALLOWED_CODES = new Set([
  "BAD_USER_INPUT",
  "HOST_NOT_FOUND",
  "NOT_FOUND",
  "QUERY_TOO_COMPLEX",
  "GRAPHQL_VALIDATION_FAILED",
  "GRAPHQL_PARSE_FAILED",
  "BAD_REQUEST",
]);
const VARIABLE_COERCION = /^Variable "\$\w+" (got invalid value|of non-null type|of required type)/;
const RUNS = 200;
const MAX_PAGE = 100;
const DEFAULT_PAGE = 10;
const CHANGE_KINDS = ["ADDED", "REMOVED", "UPGRADED", "DOWNGRADED"] as const;

const globalId = (type: string, id: string | number) => Buffer.from(`${type}:${id}`).toString("base64");
const cursorOf = (text: string) => Buffer.from(text, "utf8").toString("base64url");

interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}
interface Response {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorShape[] };
}

function checkErrors(response: Response): void {
  expect(response.status).toBeLessThan(500);
  for (const error of response.body.errors ?? []) {
    expect(error.message).not.toBe("Unexpected error.");
    const code = error.extensions?.code;
    expect(code).toBeDefined();
    expect(code).not.toBe("INTERNAL_SERVER_ERROR");
    expect(ALLOWED_CODES).toContain(code);
    if (VARIABLE_COERCION.test(error.message)) expect(response.status).toBe(400);
  }
}

interface PageShape {
  edges: { cursor: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount?: number;
}

/** A page that came back must obey the connection rules whatever it was asked with. */
function checkPage(page: PageShape, args: { first?: unknown; last?: unknown }): void {
  const asked = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : DEFAULT_PAGE;
  expect(page.edges.length).toBeLessThanOrEqual(Math.min(MAX_PAGE, asked));
  expect(page.pageInfo).toBeDefined();
  expect(typeof page.pageInfo.hasNextPage).toBe("boolean");
  expect(typeof page.pageInfo.hasPreviousPage).toBe("boolean");
  expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
  expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
  expect(new Set(page.edges.map((e) => e.cursor)).size).toBe(page.edges.length);
  if (page.totalCount !== undefined) expect(page.totalCount).toBeGreaterThanOrEqual(page.edges.length);
}

/** Prints a value as a GraphQL literal; upper-case strings in `enums` print as enum values. */
function literal(value: unknown, enums = false): string {
  if (value === null) return "null";
  if (typeof value === "string") return enums && /^[A-Z_]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, enums)).join(", ")}]`;
  const fields = Object.entries(value as object).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${k}: ${literal(v, enums)}`).join(", ")}}`;
}

/** The variables that are not left out, as inline arguments. */
function inlineArguments(variables: Record<string, unknown>, enumArgs: string[] = []): string {
  const parts = Object.entries(variables)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${literal(v, enumArgs.includes(k))}`);
  return parts.length > 0 ? `(${parts.join(", ")})` : "";
}

const defined = (variables: Record<string, unknown>) => Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined));

/** Real values gathered from the collected inventory. */
interface Known {
  hostId: string;
  succeeded: string[];
  failed: string[];
  appIds: string[];
  names: string[];
  /** latestData cursors read in NAME_ASC (the default) and in NAME_DESC. */
  latestCursors: string[];
  latestDescCursors: string[];
  snapshotCursors: string[];
  diffCursors: string[];
}

/** Off-by-one and out-of-range versions of a real cursor: each number nudged, and other encodings of it. */
function nudgedCursors(cursors: string[]): string[] {
  const out = new Set<string>();
  for (const cursor of cursors.slice(0, 6)) {
    const parts = Buffer.from(cursor, "base64url").toString("utf8").split(":");
    for (let i = 1; i < parts.length; i++) {
      for (const change of [(n: number) => n + 1, (n: number) => n - 1, () => 0, () => 2_147_483_648, () => -1]) {
        const copy = [...parts];
        copy[i] = String(change(Number(parts[i])));
        out.add(cursorOf(copy.join(":")));
      }
    }
    out.add(Buffer.from(Buffer.from(cursor, "base64url").toString("utf8")).toString("base64"));
    out.add(`${cursor}=`);
    out.add(cursor.slice(0, -1));
  }
  return [...out];
}

function nudgedIds(ids: string[]): string[] {
  const out = new Set<string>();
  for (const id of ids.slice(0, 6)) {
    const [type, n] = Buffer.from(id, "base64").toString("utf8").split(":") as [string, string];
    for (const value of [Number(n) + 1, Number(n) - 1, 0, -1, 2_147_483_648, `0${n}`, `${n}.0`, ` ${n}`]) out.add(globalId(type, value));
    out.add(globalId(type.toLowerCase(), n));
    out.add(Buffer.from(`${type}:${n}`).toString("base64url").replace(/=+$/, ""));
  }
  return [...out];
}

// Random text may hold U+0000 and lone surrogates: they must come back as BAD_USER_INPUT.
const noNul = (s: string) => s;
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom("", " ", "%", "_", "\\", "'", '"', "%_\\", "\u0000", "a\u0000b", "\ud800", "ünïcödé", "😀", "a".repeat(201), "x".repeat(5000)),
);
const base64Text = fc.oneof(
  text.map((s) => Buffer.from(s).toString("base64")),
  text.map((s) => Buffer.from(s).toString("base64url")),
  fc.tuple(fc.constantFrom("app", "snapshot", "host", "diff", "Snapshot", "Host", "App"), fc.array(fc.integer({ min: -5, max: 2_147_483_650 }), { maxLength: 5 })).map(
    ([kind, numbers]) => cursorOf([kind, ...numbers].join(":")),
  ),
);
const wrongTypes = fc.constantFrom<unknown>(true, false, 1.5, {}, { id: "1" }, [], ["a"], 0, 7, -1, 2_147_483_648);
/** Int arguments: mostly in GraphQL's Int range, around the page limits, sometimes not an Int at all. */
const intArg = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(undefined, null, 0, 1, 2, 9, 10, 11, 99, 100, 101, -1, -100, 2_147_483_647, -2_147_483_648) },
  { weight: 3, arbitrary: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 120 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(2_147_483_648, -2_147_483_649, 1.5, "10", true, [10]) },
);

function stringArg(real: string[], weight = 4): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom<unknown>(undefined, null) },
    { weight, arbitrary: real.length > 0 ? fc.constantFrom(...real) : fc.constant(undefined) },
    { weight: 2, arbitrary: text },
    { weight: 2, arbitrary: base64Text },
    { weight: 1, arbitrary: wrongTypes },
  );
}

describe.each(backends)("argument fuzz on %s", (backend) => {
  let h: Harness;
  let known: Known;

  async function send(query: string, variables: Record<string, unknown> = {}): Promise<Response> {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.text();
    try {
      return { status: response.status, body: JSON.parse(body) as Response["body"] };
    } catch {
      throw new Error(`HTTP ${response.status} with a body that is not JSON: ${body.slice(0, 300)}`);
    }
  }
  const errorLogs = () => h.logs.filter((line) => line.level === "error" || line.level === "fatal").length;

  beforeAll(async () => {
    const packages: Package[] = generatedPackages(150);
    h = await createHarness(backend, ubuntu(packages));
    expect((await h.collector.collect()).status).toBe("SUCCEEDED");
    // Upgrades, removals and additions, a FAILED run, and another change: diffs with every kind.
    const second = [...packages.slice(0, 5).map((p) => ({ ...p, version: `${p.version}.1` })), ...packages.slice(12), ...generatedPackages(6, "extra")];
    await h.machine.set(ubuntu(second));
    expect((await h.collector.collect()).status).toBe("SUCCEEDED");
    await h.machine.set({ tables: { ...ubuntu(second).tables, deb_packages: { stdout: "[\n  {" } } });
    expect((await h.collector.collect()).status).toBe("FAILED");
    await h.machine.set(ubuntu([...second.slice(0, 3).map((p) => ({ ...p, version: "0.1" })), ...second.slice(3, 120)]));
    expect((await h.collector.collect()).status).toBe("SUCCEEDED");

    const q = async <R, V>(doc: TypedDocumentNode<R, V>, variables: V) => expectNoGraphQLErrors(await execute(ENDPOINT, doc, variables, { fetch: h.fetch }));
    const hostId = (await q(HostsQuery, {})).hosts.edges[0]!.node.id;
    const snapshots = (await q(SnapshotsQuery, { first: 100 })).snapshots;
    const succeeded = snapshots.edges.filter((e) => e.node.status === "SUCCEEDED").map((e) => e.node.id);
    const failed = snapshots.edges.filter((e) => e.node.status === "FAILED").map((e) => e.node.id);
    const latestCursors: string[] = [];
    const latestDescCursors: string[] = [];
    const appIds: string[] = [];
    const names: string[] = [];
    for (const snapshotId of succeeded) {
      for (const orderBy of ["NAME_ASC", "NAME_DESC"] as const) {
        const cursors = orderBy === "NAME_ASC" ? latestCursors : latestDescCursors;
        for (const variables of [{ snapshotId, first: 100 }, { snapshotId, last: 7 }, { snapshotId, first: 3, filter: { nameContains: "pkg-00" } }]) {
          const page = (await q(LatestDataQuery, { ...variables, orderBy })).latestData;
          cursors.push(...page.edges.filter((_, i) => i % 17 === 0).map((e) => e.cursor), page.pageInfo.startCursor!, page.pageInfo.endCursor!);
          appIds.push(...page.edges.slice(0, 3).map((e) => e.node.id));
          names.push(...page.edges.slice(0, 3).map((e) => e.node.name));
        }
      }
    }
    const diffCursors: string[] = [];
    const pairs: [string, string][] = [[succeeded.at(-1)!, succeeded[0]!], [succeeded[0]!, succeeded.at(-1)!], [succeeded[1]!, succeeded[0]!]];
    for (const [from, to] of pairs) {
      for (const kind of [null, ["ADDED" as const], ["UPGRADED" as const, "REMOVED" as const]]) {
        const diff = (await q(SnapshotDiffQuery, { from, to, kind, first: 5 })).snapshotDiff;
        diffCursors.push(...diff.edges.map((e) => e.cursor));
      }
    }
    known = {
      hostId,
      succeeded,
      failed,
      appIds,
      names,
      latestCursors: latestCursors.filter(Boolean),
      latestDescCursors: latestDescCursors.filter(Boolean),
      snapshotCursors: snapshots.edges.map((e) => e.cursor),
      diffCursors,
    };
    expect(known.succeeded).toHaveLength(3);
    expect(known.failed).toHaveLength(1);
    expect(known.diffCursors.length).toBeGreaterThan(0);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  /** IDs for an argument of `type`: real ones, nudged ones, and real IDs of other types. */
  const idArg = (real: string[]) => {
    const others = [known.hostId, ...known.succeeded, ...known.failed, ...known.appIds];
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...real) },
      { weight: 2, arbitrary: fc.constantFrom(...nudgedIds(real)) },
      { weight: 2, arbitrary: fc.constantFrom(...others) },
      { weight: 3, arbitrary: stringArg([], 0) },
    );
  };
  const cursorArg = (real: string[]) => {
    const all = [...known.latestCursors, ...known.latestDescCursors, ...known.snapshotCursors, ...known.diffCursors];
    return fc.oneof(
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 4, arbitrary: fc.constantFrom(...real) },
      { weight: 2, arbitrary: fc.constantFrom(...nudgedCursors(real)) },
      { weight: 1, arbitrary: fc.constantFrom(...all) },
      { weight: 2, arbitrary: stringArg([], 0) },
    );
  };
  const filterArg = () => {
    const field = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.constantFrom(...known.names, "deb_packages", "apps", "PKG", "pkg-00"),
      text.map(noNul),
    );
    return fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom<unknown>(undefined, null) },
      { weight: 6, arbitrary: fc.record({ nameContains: field, source: field }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>("pkg", 1, [], { nameContains: 1 }, { bogus: "x" }) },
    );
  };
  const kindArg = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom<unknown>(undefined, null, []) },
    { weight: 6, arbitrary: fc.subarray([...CHANGE_KINDS]) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>("ADDED", ["NOPE"], ["added"], [null], [1]) },
  );
  /** Arguments a well-behaved client sends, so a share of the runs gets pages whose shape is checked. */
  const pageArgs: fc.Arbitrary<{ first?: number | undefined; last?: number }> = fc.oneof(
    fc.record({ first: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: MAX_PAGE })) }),
    fc.record({ last: fc.integer({ min: 0, max: MAX_PAGE }) }),
  );
  const validFilter = () =>
    fc.oneof(
      fc.constant(undefined),
      fc.record({ nameContains: fc.oneof(fc.constantFrom(...known.names.map((n) => n.slice(1, 5)), "pkg", "EXTRA"), text.map((t) => noNul(t).slice(0, 200))) }, { requiredKeys: [] }),
    );
  /**
   * Valid arguments, valid ones with one or two replaced by fuzz (so the fuzz reaches the checks after
   * the first one: host and snapshot lookups, cursor positions, the filter in SQL), or all fuzz.
   */
  const mixed = (valid: fc.Arbitrary<Record<string, unknown>>, fuzzed: fc.Arbitrary<Record<string, unknown>>, keys: string[]) =>
    fc.oneof(
      { weight: 2, arbitrary: valid },
      {
        weight: 4,
        arbitrary: fc.tuple(valid, fuzzed, fc.subarray(keys, { minLength: 1, maxLength: 2 })).map(([base, fuzz, replaced]) => ({
          ...base,
          ...Object.fromEntries(replaced.map((key) => [key, fuzz[key]])),
        })),
      },
      { weight: 1, arbitrary: fuzzed },
    );
  /** Mostly variables; sometimes the same values inline in the document. */
  const inline = fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

  /** Sends one case and checks it; returns whether the field answered without errors. */
  async function run(field: string, document: string, variables: Record<string, unknown>, asInline: boolean, selection: string, enumArgs: string[] = []) {
    const response = asInline
      ? await send(`query { ${field}${inlineArguments(variables, enumArgs)} ${selection} }`)
      : await send(document, defined(variables));
    checkErrors(response);
    if (response.body.errors?.length) return false;
    expect(response.status).toBe(200);
    const page = response.body.data?.[field] as PageShape | undefined;
    expect(page).toBeDefined();
    checkPage(page!, variables);
    return true;
  }

  const PAGE_SELECTION = "{ edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }";

  it("when latestData gets fuzzed hostId, snapshotId, first, after, last, before, filter and orderBy, then it answers a valid page or a coded client error", async () => {
    const logsBefore = errorLogs();
    let answered = 0;
    // A valid cursor is one read in the order asked for.
    const validOrder = fc.oneof(
      fc.constantFrom(undefined, "NAME_ASC").map((orderBy) => ({ orderBy, cursors: known.latestCursors })),
      fc.constant({ orderBy: "NAME_DESC", cursors: known.latestDescCursors }),
    );
    const valid = fc
      .tuple(pageArgs, fc.constantFrom(undefined, known.hostId), fc.constantFrom(undefined, ...known.succeeded), validOrder, validFilter())
      .chain(([page, hostId, snapshotId, { orderBy, cursors }, filter]) =>
        fc
          .option(fc.constantFrom(...cursors), { nil: undefined })
          .map((cursor) => ({ ...page, hostId, ...(cursor ? { [page.last !== undefined ? "before" : "after"]: cursor } : { snapshotId }), filter, orderBy })),
      );
    const bothOrders = [...known.latestCursors, ...known.latestDescCursors];
    const fuzzed = fc.record({
      hostId: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: idArg([known.hostId]) }),
      snapshotId: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: idArg([...known.succeeded, ...known.failed]) }),
      first: intArg,
      after: cursorArg(bothOrders),
      last: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: intArg }),
      before: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: cursorArg(bothOrders) }),
      filter: filterArg(),
      orderBy: fc.constantFrom<unknown>(undefined, null, "NAME_ASC", "NAME_DESC", "NAME", "name_desc", "DESC", 1, ["NAME_DESC"]),
    });
    const args = mixed(valid, fuzzed, ["hostId", "snapshotId", "first", "after", "last", "before", "filter", "orderBy"]);
    await fc.assert(
      fc.asyncProperty(args, inline, async (variables, asInline) => {
        if (await run("latestData", print(LatestDataQuery), variables, asInline, `{ totalCount ${PAGE_SELECTION.slice(1)}`, ["orderBy"])) answered++;
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(RUNS / 10);
    expect(errorLogs()).toBe(logsBefore);
  });

  it("when snapshots gets fuzzed hostId, first, after, last and before, then it answers a valid page or a coded client error", async () => {
    const logsBefore = errorLogs();
    let answered = 0;
    const valid = fc
      .tuple(pageArgs, fc.constantFrom(undefined, known.hostId), fc.option(fc.constantFrom(...known.snapshotCursors), { nil: undefined }))
      .map(([page, hostId, cursor]) => ({ ...page, hostId, ...(cursor ? { [page.last !== undefined ? "before" : "after"]: cursor } : {}) }));
    const fuzzed = fc.record({
      hostId: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: idArg([known.hostId]) }),
      first: intArg,
      after: cursorArg(known.snapshotCursors),
      last: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: intArg }),
      before: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: cursorArg(known.snapshotCursors) }),
    });
    const args = mixed(valid, fuzzed, ["hostId", "first", "after", "last", "before"]);
    await fc.assert(
      fc.asyncProperty(args, inline, async (variables, asInline) => {
        if (await run("snapshots", print(SnapshotsQuery), variables, asInline, PAGE_SELECTION)) answered++;
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(RUNS / 10);
    expect(errorLogs()).toBe(logsBefore);
  });

  it("when snapshotDiff gets fuzzed from, to, kind, first, after, last and before, then it answers a valid page or a coded client error", async () => {
    const logsBefore = errorLogs();
    let answered = 0;
    const snapshotIds = [...known.succeeded, ...known.failed];
    const valid = fc
      .tuple(pageArgs, fc.constantFrom(...known.succeeded), fc.constantFrom(...known.succeeded), fc.option(fc.subarray([...CHANGE_KINDS]), { nil: undefined }))
      .map(([page, from, to, kind]) => ({ ...page, from, to, kind }));
    const fuzzed = fc.record({
      from: fc.oneof({ weight: 8, arbitrary: idArg(snapshotIds) }, { weight: 1, arbitrary: fc.constant(null) }),
      to: idArg(snapshotIds),
      kind: kindArg,
      first: intArg,
      after: cursorArg(known.diffCursors),
      last: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: intArg }),
      before: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: cursorArg(known.diffCursors) }),
    });
    const args = mixed(valid, fuzzed, ["from", "to", "kind", "first", "after", "last", "before"]);
    await fc.assert(
      fc.asyncProperty(args, inline, async (variables, asInline) => {
        if (await run("snapshotDiff", print(SnapshotDiffQuery), variables, asInline, `{ totalCount ${PAGE_SELECTION.slice(1)}`, ["kind"])) answered++;
      }),
      { numRuns: RUNS },
    );
    expect(answered).toBeGreaterThan(RUNS / 10);
    expect(errorLogs()).toBe(logsBefore);
  });

  it.each([
    ["an Int variable given a string", print(LatestDataQuery), { first: "ten" }],
    ["an Int variable out of the 32-bit range", print(LatestDataQuery), { first: 2_147_483_648 }],
    ["an ID variable given a boolean", print(SnapshotsQuery), { hostId: true }],
    ["a non-null ID variable given null", print(SnapshotDiffQuery), { from: null, to: "x" }],
    ["an enum list variable given an unknown value", print(SnapshotDiffQuery), { from: "x", to: "y", kind: ["NOPE"] }],
  ])("when %s, then it answers HTTP 400 with a variable error coded BAD_USER_INPUT", async (_name, query, variables) => {
    const response = await send(query, variables);
    expect(response.status).toBe(400);
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]!.message).toMatch(VARIABLE_COERCION);
    expect(response.body.errors![0]!.extensions?.code).toBe("BAD_USER_INPUT");
  });

  // PostgreSQL refuses text holding U+0000: the filter check turns it into BAD_USER_INPUT first.
  it.each([["nameContains"], ["source"]])("when filter.%s holds a NUL character, then latestData answers BAD_USER_INPUT", async (field) => {
    const response = await send(print(LatestDataQuery), { filter: { [field]: "a\u0000b" } });
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
