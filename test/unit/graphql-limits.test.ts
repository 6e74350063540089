import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import { jsonDeeperThan, MAX_JSON_DEPTH, operationCost, requestJsonError, tokensExceed } from "../../src/server/graphql-limits.js";
import { schema } from "../../src/schema/index.js";

const cost = (query: string, variableValues: Record<string, unknown> = {}) => operationCost({ schema, document: parse(query), variableValues });

describe("operationCost", () => {
  it.each<[string, string, Record<string, unknown>, number]>([
    ["a scalar field", "{ __typename }", {}, 1],
    ["a connection with the default page of 10", "{ hosts { edges { cursor } } }", {}, 1 + 10 * (1 + 1)],
    ["a literal page size", "{ hosts(first: 3) { edges { cursor } } }", {}, 1 + 3 * (1 + 1)],
    ["a page size from a variable, as given", "query($n: Int) { hosts(first: $n) { edges { cursor } } }", { n: 2 }, 1 + 2 * (1 + 1)],
    ["a variable left out, as the default page", "query($n: Int) { hosts(first: $n) { edges { cursor } } }", {}, 1 + 10 * (1 + 1)],
    ["last instead of first", "query($n: Int) { hosts(last: $n) { edges { cursor } } }", { n: 4 }, 1 + 4 * (1 + 1)],
    ["a page above 100, counted as 100 (the resolver refuses it)", "{ hosts(first: 5000) { edges { cursor } } }", {}, 1 + 100 * (1 + 1)],
    ["a negative page, counted as 0", "{ hosts(first: -5) { edges { cursor } } }", {}, 1],
    ["nodes, once per ID given", "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", { ids: Array(4000).fill("x") }, 1 + 4000 * 1],
    ["nodes, once per ID of a literal list", '{ nodes(ids: ["a", "b", "c"]) { id } }', {}, 1 + 3 * 1],
    ["a plain list without list arguments, as 10", '{ appHistory(name: "x") { version } }', {}, 1 + 10 * 1],
    [
      "nested pages, multiplied",
      "query($n: Int) { snapshots(first: $n) { edges { node { changes(first: $n) { edges { node { name } } } } } } }",
      { n: 5 },
      1 + 5 * (1 + (1 + (1 + 5 * (1 + (1 + 1))))),
    ],
    [
      "fragments, inline and named, like the fields they hold",
      "query($ids: [ID!]!) { nodes(ids: $ids) { ...S ... on Host { hostname } } } fragment S on Snapshot { changes(first: 2) { edges { cursor } } }",
      { ids: ["a", "b"] },
      1 + 2 * (1 + 2 * (1 + 1) + 1),
    ],
  ])("when the operation has %s, then it costs as documented", (_name, query, variables, expected) => {
    expect(cost(query, variables)).toBe(expected);
  });

  it("when the variables do not fit their types, then there is no cost: execution refuses the operation before any resolver", () => {
    expect(cost("query($n: Int) { hosts(first: $n) { edges { cursor } } }", { n: "many" })).toBeNull();
    expect(cost("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {})).toBeNull();
  });
});

describe("jsonDeeperThan and requestJsonError", () => {
  const nested = (levels: number): unknown => (levels <= 1 ? [] : [nested(levels - 1)]);

  it.each<[string, unknown, number, boolean]>([
    ["a scalar", 5, 1, false],
    ["null", null, 0, false],
    ["an empty object at its limit", {}, 1, false],
    ["an empty object beyond a limit of 0", {}, 0, true],
    ["lists 32 deep at a limit of 32", nested(32), 32, false],
    ["lists 33 deep at a limit of 32", nested(33), 32, true],
    ["one deep branch among shallow ones", { a: 1, b: [1, 2], c: { d: { e: [[[]]] } } }, 5, true],
  ])("when the value is %s, then whether it is too deep is answered exactly", (_name, value, max, expected) => {
    expect(jsonDeeperThan(value, max)).toBe(expected);
  });

  it("when a value nests 200,000 levels, then the depth check answers without overflowing the stack", () => {
    const deep = JSON.parse("[".repeat(200_000) + "]".repeat(200_000)) as unknown;
    expect(jsonDeeperThan(deep, MAX_JSON_DEPTH)).toBe(true);
    expect(requestJsonError({ variables: { x: deep } })?.extensions["code"]).toBe("BAD_USER_INPUT");
    expect(requestJsonError({ extensions: { x: deep } })?.message).toBe("extensions nest deeper than 32 levels of lists and objects");
    expect(requestJsonError({ variables: { x: nested(31) }, extensions: {} })).toBeNull();
  });
});

describe("tokensExceed", () => {
  it.each<[string, string, number, boolean]>([
    ["exactly at the limit", "{ a b }", 4, false],
    ["one over", "{ a b c }", 4, true],
    ["comments, which are not tokens", "# one\n{ a # two\n b }", 4, false],
    ["a syntax error, left to the parser to report", '{ a "unterminated', 1000, false],
  ])("when the document is %s, then it is measured as the parser counts", (_name, source, max, expected) => {
    expect(tokensExceed(source, max)).toBe(expected);
  });
});
