import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { decodeCursor, decodeId, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE, pageSize } from "../../src/schema/paging.js";

function badUserInput(fn: () => unknown): GraphQLError {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(GraphQLError);
  const graphQLError = error as GraphQLError;
  expect(graphQLError.extensions["code"]).toBe("BAD_USER_INPUT");
  return graphQLError;
}

const b64url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("pageSize", () => {
  it("when neither first nor last is given, then the first 10 are returned", () => {
    expect(DEFAULT_PAGE_SIZE).toBe(10);
    expect(pageSize({})).toEqual({ first: 10, last: null });
    expect(pageSize({ first: null, last: null })).toEqual({ first: 10, last: null });
  });

  it.each([
    { args: { first: 0 }, expected: { first: 0, last: null } },
    { args: { first: 1 }, expected: { first: 1, last: null } },
    { args: { first: 100 }, expected: { first: 100, last: null } },
    { args: { last: 0 }, expected: { first: null, last: 0 } },
    { args: { last: 100 }, expected: { first: null, last: 100 } },
    { args: { first: 5, last: null }, expected: { first: 5, last: null } },
  ])("when given $args, then the page size is $expected", ({ args, expected }) => {
    expect(pageSize(args)).toEqual(expected);
  });

  it.each([
    { argument: "first", value: MAX_PAGE_SIZE + 1 },
    { argument: "first", value: -1 },
    { argument: "last", value: 101 },
    { argument: "last", value: -1 },
  ])("when $argument is $value, then it is BAD_USER_INPUT naming $argument", ({ argument, value }) => {
    const error = badUserInput(() => pageSize({ [argument]: value }));
    expect(error.message).toContain(argument);
    expect(error.message).toContain(String(value));
    expect(error.extensions["argument"]).toBe(argument);
  });

  it.each([
    { first: 1, last: 1 },
    { first: 0, last: 0 },
  ])("when both first ($first) and last ($last) are given, then it is BAD_USER_INPUT", (args) => {
    const error = badUserInput(() => pageSize(args));
    expect(error.message).toMatch(/first or last/);
  });
});

describe("encodeCursor and decodeCursor", () => {
  it.each([
    { kind: "app", parts: [1] },
    { kind: "app", parts: [42, 7] },
    { kind: "snapshot", parts: [2_147_483_647, 1, 99] },
  ])("when $kind cursor $parts is encoded, then decoding returns the same numbers", ({ kind, parts }) => {
    const cursor = encodeCursor(kind, parts);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(kind, cursor, parts.length, "after")).toEqual(parts);
  });

  it.each([
    { input: "not base64url", cursor: "app:1+/=" },
    { input: "padding", cursor: `${b64url("app:1")}=` },
    { input: "the wrong kind", cursor: encodeCursor("host", [1]) },
    { input: "too few parts", cursor: encodeCursor("app", []) },
    { input: "too many parts", cursor: encodeCursor("app", [1, 2]) },
    { input: "zero", cursor: encodeCursor("app", [0]) },
    { input: "a negative number", cursor: b64url("app:-1") },
    { input: "leading zeros", cursor: b64url("app:01") },
    { input: "a number above int32", cursor: encodeCursor("app", [2_147_483_648]) },
    { input: "a huge number", cursor: b64url("app:99999999999999999999") },
    { input: "a fraction", cursor: b64url("app:1.5") },
    { input: "an exponent", cursor: b64url("app:1e3") },
    { input: "no separator", cursor: b64url("app") },
    { input: "300 characters", cursor: "A".repeat(300) },
    { input: "an empty string", cursor: "" },
  ])("when the cursor has $input, then it is BAD_USER_INPUT naming the argument", ({ cursor }) => {
    const error = badUserInput(() => decodeCursor("app", cursor, 1, "after"));
    expect(error.message).toContain("after");
    expect(error.extensions["argument"]).toBe("after");
  });
});

describe("decodeId", () => {
  const hostId = (id: string) => Buffer.from(`Host:${id}`).toString("base64");

  it.each([
    { id: "1", expected: 1 },
    { id: "2147483647", expected: 2_147_483_647 },
  ])("when given the Host global ID for $id, then it returns $expected", ({ id, expected }) => {
    expect(decodeId("Host", hostId(id), "hostId")).toBe(expected);
  });

  it.each([
    { input: "another typename", value: Buffer.from("Snapshot:1").toString("base64") },
    { input: "a lower-case typename", value: Buffer.from("host:1").toString("base64") },
    { input: "id 0", value: hostId("0") },
    { input: "a leading zero", value: hostId("01") },
    { input: "a negative id", value: hostId("-1") },
    { input: "an id above int32", value: hostId("2147483648") },
    { input: "a non-numeric id", value: hostId("abc") },
    { input: "extra parts", value: hostId("1:2") },
    { input: "garbage", value: "!!!not-an-id!!!" },
    { input: "a bare number", value: "1" },
    { input: "an empty string", value: "" },
  ])("when given $input, then it is BAD_USER_INPUT naming the argument", ({ value }) => {
    const error = badUserInput(() => decodeId("Host", value, "hostId"));
    expect(error.message).toBe("hostId is not a valid Host ID");
    expect(error.extensions["argument"]).toBe("hostId");
  });
});
