import { describe, expect, it } from "vitest";
import { escapeLike } from "../../src/store/app-queries.js";
import { sortKeyOf } from "../../src/store/sort-key.js";

const compareKeys = (a: string, b: string) => Math.sign(Buffer.compare(sortKeyOf(a), sortKeyOf(b)));

describe("sortKeyOf", () => {
  it.each([
    { a: "apple", b: "Banana" },
    { a: "Banana", b: "cherry" },
    { a: "apple", b: "cherry" },
    { a: "APPLE", b: "banana" },
    { a: "zoom", b: "Zoom Workplace" },
    { a: "7-Zip", b: "adobe" },
    { a: "zzz", b: "Éclair" },
  ])("when comparing $a with $b, then $a sorts first", ({ a, b }) => {
    expect(compareKeys(a, b)).toBe(-1);
    expect(compareKeys(b, a)).toBe(1);
  });

  it("when a list of names is sorted by key, then the order ignores case", () => {
    const names = ["cherry", "Banana", "apple", "Docker.app", "1Password.app"];
    const sorted = [...names].sort((a, b) => Buffer.compare(sortKeyOf(a), sortKeyOf(b)));
    expect(sorted).toEqual(["1Password.app", "apple", "Banana", "cherry", "Docker.app"]);
  });

  it.each([
    ["Zoom", "zoom"],
    ["FIREFOX.APP", "firefox.app"],
    ["Éclair", "éclair"],
  ])("when names %j and %j differ only in case, then their keys are equal", (a, b) => {
    expect(compareKeys(a, b)).toBe(0);
    expect(Buffer.from(sortKeyOf(a)).equals(Buffer.from(sortKeyOf(b)))).toBe(true);
  });

  it.each([
    { name: "zoom", bytes: [0x7a, 0x6f, 0x6f, 0x6d] },
    { name: "Café", bytes: [0x63, 0x61, 0x66, 0xc3, 0xa9] },
    { name: "日本", bytes: [0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac] },
    { name: "😀", bytes: [0xf0, 0x9f, 0x98, 0x80] },
    { name: "", bytes: [] },
  ])("when the name is $name, then the key is the UTF-8 bytes of its lower case", ({ name, bytes }) => {
    const key = sortKeyOf(name);
    expect(key).toBeInstanceOf(Uint8Array);
    expect([...key]).toEqual(bytes);
    expect(Buffer.from(key).equals(Buffer.from(name.toLowerCase(), "utf8"))).toBe(true);
  });
});

describe("escapeLike", () => {
  it.each([
    { input: "firefox", expected: "firefox" },
    { input: "100%", expected: "100\\%" },
    { input: "my_app", expected: "my\\_app" },
    { input: "C:\\Program Files", expected: "C:\\\\Program Files" },
    { input: "%_\\", expected: "\\%\\_\\\\" },
    { input: "a%%b__c", expected: "a\\%\\%b\\_\\_c" },
    { input: "", expected: "" },
  ])("when the value is $input, then %, _ and backslash are escaped", ({ input, expected }) => {
    expect(escapeLike(input)).toBe(expected);
  });
});
