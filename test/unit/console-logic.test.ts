import { createHash } from "node:crypto";
import { Client, CombinedError, gql, makeErrorResult, makeResult, type Exchange, type OperationResult } from "@urql/core";
import { describe, expect, it, vi } from "vitest";
import { filter, map, pipe } from "wonka";
import { createCoalescer } from "../../web/src/coalesce.js";
import { codeOf, describeError, isRefusedInput, isUnavailable, needsToken, snapshotFailure, type ErrorLike } from "../../web/src/errors.js";
import { createRefetcher } from "../../web/src/refetch.js";
import { asSentence, changeVersions, count, exactTime, formatBytes, platformLabel, relativeTime, versionPieces } from "../../web/src/format.js";
import { ariaSortOf, DEFAULT_CHANGE_DAYS, href, hostRoute, hostsRoute, parseRoute, titleRoute, toggledAppOrder, type Route } from "../../web/src/route.js";
import { isTypingTarget, nextRow, rowKeyAction, type KeyLike } from "../../web/src/keys.js";
import { graphiqlCsp } from "../../src/server/graphiql.js";
import { effectiveTheme, nextTheme, parseTheme } from "../../web/src/theme.js";
import { createTokenStore, type TokenStorage } from "../../web/src/token.js";
import { appendPage } from "../../web/src/snapshot-pages.js";

// The web console's own logic: pure modules of web/src, run here in Node.

const parse = (url: string) => {
  const u = new URL(url, "http://console.test");
  return parseRoute(u.pathname, u.search);
};

describe("console routes", () => {
  it.each<[string, Route]>([
    ["/", hostsRoute()],
    ["/?hostname=web&platform=ubuntu", hostsRoute({ hostname: "web", platform: "ubuntu" })],
    ["/?after=YWJj&hostname=db", hostsRoute({ hostname: "db", after: "YWJj" })],
    ["/?before=YWJj", hostsRoute({ before: "YWJj" })],
    ["/hosts/SG9zdDox", { page: "host", id: "SG9zdDox", apps: "", order: "NAME_ASC" }],
    ["/hosts/SG9zdDox?apps=python%203", { page: "host", id: "SG9zdDox", apps: "python 3", order: "NAME_ASC" }],
    ["/hosts/SG9zdDox?order=name-desc", hostRoute("SG9zdDox", { order: "NAME_DESC" })],
    ["/hosts/SG9zdDox?apps=lib&order=name-desc", hostRoute("SG9zdDox", { apps: "lib", order: "NAME_DESC" })],
    // An order the console does not write opens A to Z instead of an error.
    ...["name-asc", "NAME_DESC", "desc", "", "name-desc "].map((order): [string, Route] => [`/hosts/SG9zdDox?order=${encodeURIComponent(order)}`, hostRoute("SG9zdDox")]),
    ["/hosts/SG9zdDox/app?name=Google%20Chrome.app&source=apps", { page: "app", hostId: "SG9zdDox", name: "Google Chrome.app", source: "apps" }],
    ["/hosts/SG9zdDox/snapshots/U25hcHNob3Q6Mw%3D%3D", { page: "snapshot", hostId: "SG9zdDox", id: "U25hcHNob3Q6Mw==", against: null }],
    ["/hosts/a/snapshots/b?against=c", { page: "snapshot", hostId: "a", id: "b", against: "c" }],
    ["/software", { page: "software", name: "", after: null, before: null }],
    ["/software?name=zip&after=x", { page: "software", name: "zip", after: "x", before: null }],
    ["/software/title?name=python3.11&source=deb_packages", { page: "title", name: "python3.11", source: "deb_packages", version: null, days: null }],
    ["/software/title?name=7-Zip&source=programs&version=", { page: "title", name: "7-Zip", source: "programs", version: "", days: null }],
    ["/software/title?name=a%2Fb%26c&source=apps&version=1.0", { page: "title", name: "a/b&c", source: "apps", version: "1.0", days: null }],
    ["/software/title?name=curl&source=deb_packages&days=30", { page: "title", name: "curl", source: "deb_packages", version: null, days: 30 }],
    ["/software/title?name=curl&days=366", { page: "title", name: "curl", source: "", version: null, days: 366 }],
    // Windows the API refuses open the default one instead of an error.
    ...["0", "367", "-1", "7.5", "x", "", "1e2"].map((days): [string, Route] => [`/software/title?name=curl&days=${days}`, titleRoute("curl", "", { days: DEFAULT_CHANGE_DAYS })]),
  ])("when the URL is %s, then it names %j", (url, route) => {
    expect(parse(url)).toEqual(route);
  });

  it.each(["/hosts", "/hosts/a/b", "/hosts/a/app", "/hosts/a/snapshots", "/software/title", "/software/x", "/nope", "/hosts/%E0%A4%A"])(
    "when the URL is %s, then it is not found (and says which path)",
    (url) => {
      expect(parse(url)).toEqual({ page: "not-found", path: new URL(url, "http://console.test").pathname });
    },
  );

  it.each<Route>([
    hostsRoute(),
    hostsRoute({ hostname: "a b&c", platform: "darwin", after: "Y3Vyc29y" }),
    hostsRoute({ before: "Y3Vyc29y" }),
    { page: "host", id: "SG9zdDox+/=", apps: "Microsoft Edge", order: "NAME_ASC" },
    hostRoute("SG9zdDox", { apps: "a&b", order: "NAME_DESC" }),
    { page: "app", hostId: "SG9zdDox", name: "python3.11 & co", source: "deb_packages" },
    { page: "snapshot", hostId: "SG9zdDox", id: "U25hcHNob3Q6Mw==", against: "U25hcHNob3Q6Mg==" },
    { page: "software", name: "?#%", after: null, before: "b" },
    { page: "title", name: "name with / and ? and #", source: "programs", version: "1.2 (x64)", days: null },
    { page: "title", name: "libc6", source: "deb_packages", version: "", days: null },
    titleRoute("libc6", "deb_packages", { days: 1 }),
    titleRoute("Slack", "apps", { version: "4.1", days: 90 }),
  ])("when a route is written as a URL and read back, then it is the same route: %j", (route) => {
    const url = href(route);
    expect(url.startsWith("/")).toBe(true);
    expect(parse(url)).toEqual(route);
  });

  it("when a route names a token-like value, then nothing but the route's own fields reach the URL", () => {
    expect(href(hostsRoute({ hostname: "", platform: "" }))).toBe("/");
    expect(href(hostRoute("SG9zdDox"))).toBe("/hosts/SG9zdDox");
    expect(href(hostRoute("SG9zdDox", { order: "NAME_DESC" }))).toBe("/hosts/SG9zdDox?order=name-desc");
  });

  it.each([
    ["NAME_ASC", "NAME_DESC", "ascending"],
    ["NAME_DESC", "NAME_ASC", "descending"],
  ] as const)("when the apps are in %s and the Name header is pressed, then they turn to %s; the header says %s", (order, next, ariaSort) => {
    expect(toggledAppOrder(order)).toBe(next);
    expect(toggledAppOrder(toggledAppOrder(order))).toBe(order);
    expect(ariaSortOf(order)).toBe(ariaSort);
  });
});

describe("coalescing live events", () => {
  type Event = { host: string | null; n: number };
  const setup = (maxKeys?: number) => {
    const emitted: Event[][] = [];
    let run: (() => void) | null = null;
    const coalescer = createCoalescer<Event>({
      keyOf: (e) => e.host,
      emit: (items) => emitted.push(items),
      intervalMs: 250,
      ...(maxKeys ? { maxKeys } : {}),
      setTimer: (fn) => {
        run = fn;
        return 1;
      },
      clearTimer: () => {
        run = null;
      },
    });
    return { coalescer, emitted, tick: () => run?.() };
  };

  it("when a burst of 100 events for 10 hosts arrives, then one flush emits the newest event of each host, in the order they last changed", () => {
    const { coalescer, emitted, tick } = setup();
    for (let n = 0; n < 100; n++) coalescer.push({ host: `h${n % 10}`, n });
    expect(emitted).toEqual([]);
    tick();
    expect(emitted).toEqual([Array.from({ length: 10 }, (_, i) => ({ host: `h${i}`, n: 90 + i }))]);
    tick();
    expect(emitted).toHaveLength(1);
  });

  it("when an event has no key, then it passes through at once, and held events keep waiting", () => {
    const { coalescer, emitted, tick } = setup();
    coalescer.push({ host: "a", n: 1 });
    coalescer.push({ host: null, n: 2 });
    expect(emitted).toEqual([[{ host: null, n: 2 }]]);
    tick();
    expect(emitted).toEqual([[{ host: null, n: 2 }], [{ host: "a", n: 1 }]]);
  });

  it("when more hosts than maxKeys report before a flush, then it flushes at maxKeys instead of holding more", () => {
    const { coalescer, emitted } = setup(3);
    for (let n = 0; n < 7; n++) coalescer.push({ host: `h${n}`, n });
    expect(emitted.map((batch) => batch.length)).toEqual([3, 3]);
  });

  it("when disposed, then what it held is dropped and the timer stops", () => {
    const { coalescer, emitted, tick } = setup();
    coalescer.push({ host: "a", n: 1 });
    coalescer.dispose();
    tick();
    coalescer.flush();
    expect(emitted).toEqual([]);
  });

  it("when used with the real timers, then events are emitted once per interval", () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const coalescer = createCoalescer<number>({ keyOf: (n) => String(n % 2), emit: (items) => batches.push(items), intervalMs: 100 });
      for (let n = 0; n < 50; n++) coalescer.push(n);
      vi.advanceTimersByTime(99);
      expect(batches).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(batches).toEqual([[48, 49]]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("console text", () => {
  const now = Date.parse("2026-12-01T12:00:00.000Z");
  it.each([
    ["2026-12-01T12:00:00.000Z", "just now"],
    ["2026-12-01T11:59:55.000Z", "just now"],
    ["2026-12-01T11:59:30.000Z", "30 seconds ago"],
    ["2026-12-01T11:57:00.000Z", "3 minutes ago"],
    ["2026-12-01T10:00:00.000Z", "2 hours ago"],
    ["2026-11-30T12:00:00.000Z", "yesterday"],
    ["2026-11-17T12:00:00.000Z", "2 weeks ago"],
    ["2026-12-01T14:00:00.000Z", "in 2 hours"],
    ["not a date", "not a date"],
  ])("when a time is %s, then it reads %s", (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });

  it.each([
    [null, "—"],
    [-1, "—"],
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [34359738368, "32 GiB"],
    [17179869184 * 1024, "16 TiB"],
  ])("when %s bytes are shown, then they read %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    ["darwin", "macOS", "14.5", "macOS 14.5 (darwin)"],
    ["ubuntu", null, null, "ubuntu"],
    [null, "Windows", "11", "Windows 11"],
    [null, null, null, "unknown"],
  ])("when platform %s, OS %s %s, then the label is %s", (platform, name, version, label) => {
    expect(platformLabel(platform, name, version)).toBe(label);
  });

  it.each([
    ["no such table: deb_packages", "no such table: deb_packages."],
    ["Install osquery or set OSQUERY_BIN.", "Install osquery or set OSQUERY_BIN."],
    ["osqueryi exited with code 1 (see its stderr)", "osqueryi exited with code 1 (see its stderr)"],
    ["  timed out  ", "timed out."],
    ["", ""],
  ])("when a reason is %j, then as a sentence it reads %j", (reason, sentence) => {
    expect(asSentence(reason)).toBe(sentence);
  });

  it("when counting, then one is singular and thousands are grouped", () => {
    expect(count(1, "host")).toBe("1 host");
    expect(count(12345, "app")).toBe("12,345 apps");
    expect(exactTime("2026-12-01T00:10:05.123Z")).toBe("2026-12-01 00:10:05 UTC");
  });
});

describe("console errors in words", () => {
  const gql = (code: string | undefined, message = "m"): ErrorLike => ({ graphQLErrors: [{ message, extensions: code ? { code } : {} }] });

  it.each([
    ["UNAUTHENTICATED", /needs its token/],
    ["RATE_LIMITED", /Too many requests/],
    ["HOST_NOT_FOUND", /no such host/],
    ["COLLECTION_PENDING", /has not answered yet/],
    ["QUERY_TOO_COMPLEX", /MAX_COST/],
    ["BAD_USER_INPUT", /^The API refused what this page asked for: m\.$/],
    ["SOMETHING_NEW", /SOMETHING_NEW: m/],
  ])("when the API answers %s, then the sentence matches %s", (code, text) => {
    expect(describeError(gql(code))).toMatch(text);
    expect(codeOf(gql(code))).toBe(code);
  });

  it("when the API cannot be reached, then the page says so and names /graphql", () => {
    expect(describeError({ graphQLErrors: [], networkError: new Error("Failed to fetch") })).toBe(
      "Cannot reach the API at /graphql: is the service running? (Failed to fetch)",
    );
    expect(describeError({ graphQLErrors: [], networkError: new Error("x"), response: { status: 503 } })).toMatch(/HTTP 503/);
  });

  it.each<[string, ErrorLike, boolean]>([
    ["no connection", { graphQLErrors: [], networkError: new Error("Failed to fetch") }, true],
    ["HTTP 502 from a proxy", { graphQLErrors: [], networkError: new Error("Bad Gateway"), response: { status: 502 } }, true],
    ["STARTING (503)", { graphQLErrors: [{ message: "starting", extensions: { code: "STARTING" } }], response: { status: 503 } }, true],
    ["a bad cursor", gql("BAD_USER_INPUT"), false],
    ["a missing token (401)", { graphQLErrors: [], networkError: new Error("401"), response: { status: 401 } }, false],
    ["RATE_LIMITED", gql("RATE_LIMITED"), false],
  ])("when the answer is %s, then asking again later is worth it: %s", (_, error, unavailable) => {
    expect(isUnavailable(error)).toBe(unavailable);
  });

  it("when the API refuses an ID or a cursor, then the page can tell it from the service being down", () => {
    expect(isRefusedInput(gql("BAD_USER_INPUT"))).toBe(true);
    expect(isRefusedInput(gql("RATE_LIMITED"))).toBe(false);
    expect(isRefusedInput({ graphQLErrors: [], networkError: new Error("Failed to fetch") })).toBe(false);
  });

  it("when the answer is 401 or UNAUTHENTICATED, then the token is asked for; otherwise not", () => {
    expect(needsToken(gql("UNAUTHENTICATED"))).toBe(true);
    expect(needsToken({ graphQLErrors: [], networkError: new Error("401"), response: { status: 401 } })).toBe(true);
    expect(needsToken(gql("RATE_LIMITED"))).toBe(false);
  });

  it.each([
    ["[OSQUERY_TIMEOUT] osqueryi did not finish within 60000 ms", { code: "OSQUERY_TIMEOUT", reason: "osqueryi did not finish within 60000 ms" }],
    ["plain reason", { code: null, reason: "plain reason" }],
    [null, null],
    ["", null],
  ])("when a failed snapshot's error is %j, then it reads %j", (error, expected) => {
    expect(snapshotFailure(error)).toEqual(expected);
  });
});

describe("asking the API again", () => {
  const Query = gql`
    query Probe($n: Int) {
      probe(n: $n)
    }
  `;
  /** A client whose API answers "Failed to fetch" while `down`, a refusal for n = 0, and else how often it was asked. */
  function setup() {
    const api = { down: true, asked: 0 };
    const fake: Exchange = () => (operations$) =>
      pipe(
        operations$,
        filter((operation) => operation.kind === "query"),
        map((operation): OperationResult => {
          api.asked++;
          if (api.down) return makeErrorResult(operation, new Error("Failed to fetch"));
          if ((operation.variables as { n?: number }).n === 0) return makeResult(operation, { errors: [{ message: "no", extensions: { code: "BAD_USER_INPUT" } }] });
          return makeResult(operation, { data: { probe: api.asked } });
        }),
      );
    const refetcher = createRefetcher();
    const client = new Client({ url: "http://console.test/graphql", exchanges: [refetcher.exchange, fake] });
    const watch = (n: number) => {
      const results: OperationResult[] = [];
      const { unsubscribe } = client.query(Query, { n }).subscribe((r) => results.push(r));
      return { results, unsubscribe, last: () => results.at(-1)! };
    };
    return { api, refetcher, watch };
  }
  // The client dispatches re-executed operations on a microtask.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  it("when a query failed because the service was unreachable, then refetching the failed ones asks again and the page gets its data", async () => {
    const { api, refetcher, watch } = setup();
    const page = watch(1);
    expect(page.last().error).toBeInstanceOf(CombinedError);
    expect(page.last().error!.networkError?.message).toBe("Failed to fetch");
    api.down = false;
    expect(refetcher.refetch("failed")).toBe(1);
    await settle();
    expect(page.last().error).toBeUndefined();
    expect(page.last().data).toEqual({ probe: 2 });
    // Answered: nothing is left to ask again.
    expect(refetcher.refetch("failed")).toBe(0);
    page.unsubscribe();
  });

  it("when the socket comes back after an outage, then every query a page holds is asked again, refused ones as well, but none it let go", async () => {
    const { api, refetcher, watch } = setup();
    api.down = false;
    const shown = watch(1);
    const refused = watch(0);
    const gone = watch(2);
    gone.unsubscribe();
    expect(refused.last().error?.graphQLErrors[0]?.extensions["code"]).toBe("BAD_USER_INPUT");
    // A refusal is an answer: "Try again" would get the same.
    expect(refetcher.refetch("failed")).toBe(0);
    const before = api.asked;
    expect(refetcher.refetch("all")).toBe(2);
    await settle();
    expect(api.asked).toBe(before + 2);
    expect(shown.last().data).toEqual({ probe: before + 1 });
    shown.unsubscribe();
    refused.unsubscribe();
    expect(refetcher.refetch("all")).toBe(0);
  });
});

describe("console token and theme", () => {
  const memory = (): TokenStorage & { items: Map<string, string> } => {
    const items = new Map<string, string>();
    return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
  };

  it("when a token is entered, then it is kept trimmed (a pasted Bearer prefix dropped) and read back; clear forgets it", () => {
    const storage = memory();
    const tokens = createTokenStore(storage);
    expect(tokens.get()).toBeNull();
    expect(tokens.set("  Bearer s3cret-token \n")).toBe("s3cret-token");
    expect(tokens.get()).toBe("s3cret-token");
    expect([...storage.items.values()]).toEqual(["s3cret-token"]);
    tokens.clear();
    expect(tokens.get()).toBeNull();
  });

  it.each(["", "   ", "two words"])("when the token entered is %j, then it is refused and nothing is stored", (value) => {
    const storage = memory();
    expect(createTokenStore(storage).set(value)).toBeNull();
    expect(storage.items.size).toBe(0);
  });

  it("when storage throws (private mode), then the store answers without throwing", () => {
    const throwing: TokenStorage = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("QuotaExceededError");
      },
      removeItem: () => {
        throw new Error("SecurityError");
      },
    };
    const tokens = createTokenStore(throwing);
    expect(tokens.set("abc")).toBe("abc");
    expect(tokens.get()).toBeNull();
    expect(() => tokens.clear()).not.toThrow();
    expect(createTokenStore(null).get()).toBeNull();
  });

  it("when the theme button is pressed, then it cycles system → light → dark → system; system follows the browser", () => {
    expect(parseTheme(null)).toBe("system");
    expect(parseTheme("dark")).toBe("dark");
    expect(parseTheme("purple")).toBe("system");
    expect([nextTheme("system"), nextTheme("light"), nextTheme("dark")]).toEqual(["light", "dark", "system"]);
    expect(effectiveTheme("system", true)).toBe("dark");
    expect(effectiveTheme("system", false)).toBe("light");
    expect(effectiveTheme("light", true)).toBe("light");
  });
});

describe("keyboard row navigation", () => {
  const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, ...mods });
  const free = { typing: false, onRow: false };
  const onRow = { typing: false, onRow: true };

  it.each<[KeyLike, { typing: boolean; onRow: boolean }, ReturnType<typeof rowKeyAction>]>([
    [key("j"), free, { kind: "move", by: 1 }],
    [key("k"), free, { kind: "move", by: -1 }],
    [key("j"), onRow, { kind: "move", by: 1 }],
    [key("ArrowDown"), onRow, { kind: "move", by: 1 }],
    [key("ArrowUp"), onRow, { kind: "move", by: -1 }],
    [key("Enter"), onRow, { kind: "open" }],
    // Arrows scroll and Enter does nothing special until a row has focus.
    [key("ArrowDown"), free, null],
    [key("ArrowUp"), free, null],
    [key("Enter"), free, null],
    // Typing in a field is never taken over, nor are shortcuts with a modifier.
    [key("j"), { typing: true, onRow: false }, null],
    [key("ArrowDown"), { typing: true, onRow: true }, null],
    [key("j", { ctrlKey: true }), free, null],
    [key("k", { metaKey: true }), onRow, null],
    [key("Enter", { altKey: true }), onRow, null],
    [key("J"), free, null],
    [key("x"), onRow, null],
  ])("when %j is pressed (%j), then the action is %j", (event, where, action) => {
    expect(rowKeyAction(event, where)).toEqual(action);
  });

  it.each<[number, number, 1 | -1, number | null]>([
    [-1, 5, 1, 0],
    [-1, 5, -1, 0],
    [0, 5, 1, 1],
    [3, 5, -1, 2],
    [4, 5, 1, 4],
    [0, 5, -1, 0],
    [7, 5, 1, 0],
    [-1, 0, 1, null],
  ])("when the focused row is %i of %i and the move is %i, then the next is %s", (current, rows, by, next) => {
    expect(nextRow(current, rows, by)).toBe(next);
  });

  it("when the key's target is a field or editable, then it counts as typing", () => {
    const inside = (matches: boolean) => ({ closest: (selector: string) => (matches && selector.includes("input") ? {} : null) });
    expect(isTypingTarget(inside(true) as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget(inside(false) as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe("the versions of a change", () => {
  it.each([
    [{ kind: "ADDED", fromVersion: null, toVersion: "7.1" }, "7.1"],
    [{ kind: "REMOVED", fromVersion: "7.0", toVersion: null }, "7.0"],
    [{ kind: "UPGRADED", fromVersion: "7.0", toVersion: "7.1" }, "7.0 → 7.1"],
    [{ kind: "DOWNGRADED", fromVersion: "2:1.0", toVersion: null }, "2:1.0 → —"],
    [{ kind: "ADDED", fromVersion: null, toVersion: null }, "—"],
  ] as const)("when the change is %j, then it reads %s", (change, text) => {
    expect(changeVersions(change)).toBe(text);
  });
});

describe("where a version may wrap", () => {
  it.each([
    ["9.38.11-0ubuntu0.22.04.4", ["9.", "38.", "11-0ubuntu0.", "22.", "04.", "4"]],
    ["1:2.35+dfsg-7", ["1:", "2.", "35+", "dfsg-7"]],
    ["0.14.0-1~ubuntu.22.04~jammy", ["0.", "14.", "0-1~", "ubuntu.", "22.", "04~", "jammy"]],
    ["12_0_1", ["12_", "0_", "1"]],
    ["2024a", ["2024a"]],
  ])("when the version is %s, then it wraps only after a separator", (version, pieces) => {
    expect(versionPieces(version)).toEqual(pieces);
    expect(versionPieces(version).join("")).toBe(version);
  });
});

describe("a list read a page at a time", () => {
  const edges = (...cursors: string[]) => cursors.map((cursor) => ({ cursor }));

  it.each([
    ["an older page follows", edges("c", "b"), edges("a"), edges("c", "b", "a")],
    ["the answer repeats the pages shown before it", edges("c", "b"), edges("c", "b", "a"), edges("c", "b", "a")],
    ["a new snapshot pushed the last one shown onto the next page", edges("d", "c", "b"), edges("b", "a"), edges("d", "c", "b", "a")],
    ["nothing is shown yet", [], edges("b", "a"), edges("b", "a")],
    ["the page is empty", edges("b"), [], edges("b")],
  ])("when %s, then each edge is listed once, in order", (_case, shown, more, expected) => {
    expect(appendPage(shown, more)).toEqual(expected);
  });
});

describe("GraphiQL's Content-Security-Policy", () => {
  const sha = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

  it("when the page has inline scripts, then exactly those are allowed by hash, and scripts with a src are not hashed", () => {
    const one = "window.a = 1; const s = '<div>';";
    const two = "\n  boot({ \"é\": 2 })\n";
    const html = `<!doctype html><html><head><style>body{}</style><script>${one}</script><script type="module">${two}</script><script src="/x.js"></script></head></html>`;
    const csp = graphiqlCsp(html);
    const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src "))!;
    expect(scriptSrc).toBe(`script-src ${sha(one)} ${sha(two)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
  });

  it("when the page has no inline script, then no script may run", () => {
    expect(graphiqlCsp("<p>nothing</p>")).toContain("script-src 'none'");
  });
});
