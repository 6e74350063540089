import type { Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailability, launchOfflineChromium, screenshotPath, type OfflineBrowser } from "../helpers/browser.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createFakeMachine, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { CollectSnapshotMutation } from "../helpers/operations.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

/** The text of a Monaco editor, which lays code out with non-breaking spaces, as plain spaced text. */
const monacoText = async (editor: Locator) => (await editor.innerText()).replace(/\s+/g, " ");

// GraphiQL does not depend on the database: PGlite only.
const browser = browserAvailability();
if (!browser.run) console.warn(browser.reason);

describe.skipIf(!browser.run)("GraphiQL in Chromium on a machine without internet", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let chromium: OfflineBrowser;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary });
    await service.waitForLog((l) => l.msg === "collection succeeded");
    chromium = await launchOfflineChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when /graphql is opened, then GraphiQL shows our paged latestData query, and Run shows the inventory", async () => {
    const page = await chromium.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(service.endpoint, { waitUntil: "load" });

    const editor = page.locator(".graphiql-query-editor");
    await editor.waitFor({ state: "visible", timeout: 30_000 });
    const editorText = () => monacoText(editor);
    await expect.poll(editorText, { timeout: 15_000 }).toContain("query LatestData($after: String) {");
    const shown = await editorText();
    expect(shown).toContain("latestData(first: 10, after: $after) {");
    expect(shown).not.toMatch(/Welcome to/);

    await page.getByRole("button", { name: /execute query/i }).click();
    const response = page.locator(".graphiql-response");
    await expect.poll(() => monacoText(response), { timeout: 15_000 }).toMatch(/"totalCount": \d+/);
    const text = await monacoText(response);
    expect(text).toMatch(/"status": "SUCCEEDED"/);
    expect(text).toMatch(/"name": "adduser", "version": "3.118ubuntu5"/);
    expect(text).not.toMatch(/"errors"/);
    await page.screenshot({ path: await screenshotPath("graphiql-after-run") });

    expect(chromium.refused).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("when a subscription is run in GraphiQL, then it is served over a websocket from the page's own origin and shows the next collection", async () => {
    const page = await chromium.newPage();
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(socket.url()));
    // GraphiQL opens with the query in the URL, as a shared link would.
    await page.goto(`${service.endpoint}?query=${encodeURIComponent("subscription { snapshotUpdated { id status appCount } }")}`);
    const editor = page.locator(".graphiql-query-editor");
    await expect.poll(() => monacoText(editor), { timeout: 30_000 }).toContain("subscription { snapshotUpdated { id status appCount } }");
    await page.getByRole("button", { name: /execute query/i }).click();
    await expect.poll(() => sockets.length, { timeout: 15_000 }).toBe(1);
    expect(sockets[0]).toBe(service.endpoint.replace(/^http/, "ws"));
    // The server has no "subscribed" message; a moment later the subscription is registered.
    await new Promise((r) => setTimeout(r, 500));

    const collected = expectNoGraphQLErrors(await execute(service.endpoint, CollectSnapshotMutation, {}));
    const response = page.locator(".graphiql-response");
    await expect.poll(() => monacoText(response), { timeout: 15_000 }).toContain(`"id": "${collected.collectSnapshot.id}"`);
    expect(await monacoText(response)).toMatch(/"status": "SUCCEEDED", "appCount": \d+/);
    await page.screenshot({ path: await screenshotPath("graphiql-subscription") });
    expect(chromium.refused).toEqual([]);
  });
});

describe.skipIf(!browser.run)("GraphiQL under NODE_ENV=production (GRAPHIQL=true) in Chromium", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let chromium: OfflineBrowser;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, NODE_ENV: "production", GRAPHIQL: "true" });
    await service.waitForLog((l) => l.msg === "collection succeeded");
    chromium = await launchOfflineChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when /graphql is opened, then it comes with a strict Content-Security-Policy that the page never violates, and the editor runs a query", async () => {
    const page = await chromium.newPage();
    const violations: string[] = [];
    const pageErrors: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (event) => {
        ((window as unknown as { __violations?: string[] }).__violations ??= []).push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const response = await page.goto(service.endpoint, { waitUntil: "load" });
    const csp = (await response!.allHeaders())["content-security-policy"] ?? "";
    // Scripts only by hash: nothing inline but GraphiQL's own, no eval, nothing from elsewhere.
    expect(csp).toMatch(/^default-src 'none'; script-src ('sha256-[A-Za-z0-9+/]+=*' ?)+;/);
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*('unsafe-inline'|https?:|\*)/);
    expect(csp).toContain("frame-ancestors 'none'");

    const editor = page.locator(".graphiql-query-editor");
    await editor.waitFor({ state: "visible", timeout: 30_000 });
    await expect.poll(() => monacoText(editor), { timeout: 15_000 }).toContain("query LatestData($after: String) {");
    // The editor takes typing (Monaco's workers and styles run under the policy).
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\n# typed under the policy");
    await expect.poll(() => monacoText(editor)).toContain("# typed under the policy");
    await page.getByRole("button", { name: /execute query/i }).click();
    const result = page.locator(".graphiql-response");
    await expect.poll(() => monacoText(result), { timeout: 15_000 }).toMatch(/"status": "SUCCEEDED"/);
    await page.screenshot({ path: await screenshotPath("graphiql-production-csp") });

    expect(await page.evaluate(() => (window as unknown as { __violations?: string[] }).__violations ?? [])).toEqual([]);
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(chromium.refused).toEqual([]);
  });
});
