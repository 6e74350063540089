import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createAgent, createSimulatedHost, Severity, type Agent, type Platform } from "../helpers/agent-simulator/index.js";
import { backends } from "../helpers/backends.js";
import { browserAvailability, launchOfflineChromium, screenshotPath, type OfflineBrowser } from "../helpers/browser.js";
import { CollectHostMutation, FleetHostsQuery, HostPlatformsQuery, SoftwareChangesQuery, SoftwareHostsQuery, SoftwareTitlesQuery } from "../helpers/fleet-operations.js";
import { SnapshotChangesQuery, SnapshotDiffQuery, SnapshotsQuery } from "../helpers/operations.js";
import type { SqlResult } from "../helpers/agent-simulator/sql.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, TEST_FLEET, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { makeTempDir } from "../helpers/temp.js";
import { OPEN_SECURITY } from "../../src/server/server.js";

// The web console end to end: its production build, served by the real service in fleet mode, fed by
// simulated osqueryd agents, driven in Chromium on a machine without internet.

const browser = browserAvailability();
if (!browser.run) console.warn(browser.reason);

const PLATFORMS: Platform[] = ["darwin", "ubuntu", "rhel", "windows"];
const HOSTS = 40;
const PAGE_SIZE = 25;
const SEED = 20261201;
const THEMES = ["light", "dark"] as const;

/** Builds web/ into a directory of its own, so the test runs the console as the source is now. */
async function buildConsole(outDir: string) {
  const { build } = await import("vite");
  await build({ configFile: fileURLToPath(new URL("../../web/vite.config.ts", import.meta.url)), logLevel: "warn", build: { outDir, emptyOutDir: true } });
}

/** Whether the element with this id is wholly inside the window. */
const inView = (page: Page, id: string) =>
  page.evaluate((id) => {
    const box = document.getElementById(id)!.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= innerHeight;
  }, id);

const rowIds = (page: Page) => page.locator("tbody tr[data-host-id]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-host-id")!));

/** Each theme in turn; long pages (a host's apps) are taken at the window's size. */
async function screenshots(page: Page, name: string, { fullPage = true } = {}) {
  // Off the page's rows: the one a click left the pointer over would show its hover colour.
  await page.mouse.move(0, 0);
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme });
    // The theme follows the browser: wait for the attribute the console sets from it.
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset["theme"])).toBe(theme);
    await page.screenshot({ path: await screenshotPath(`console-${name}-${theme}`), fullPage });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

describe.skipIf(!browser.run).each(backends)("the web console in Chromium, on %s with simulated agents", (backend) => {
  let h: Harness;
  let origin: string;
  let chromium: OfflineBrowser;
  let dist: Awaited<ReturnType<typeof makeTempDir>>;
  const agents: Agent[] = [];
  const pageErrors: string[] = [];
  const gql = <R, V>(doc: Parameters<typeof execute<R, V>>[1], variables?: V) => execute(ENDPOINT, doc, variables, { fetch: h.fetch });

  const open = async (path: string) => {
    const page = await chromium.newPage({ ignoreHTTPSErrors: true, colorScheme: "light" });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${origin}${path}`);
    return page;
  };

  /** Asks for a host's inventory through the API and runs its agent until the answer is stored. */
  async function collect(agent: Agent, hostId: string) {
    const reads = agent.host.softwareReads;
    const pending = gql(CollectHostMutation, { hostId });
    await vi.waitFor(async () => {
      await agent.distributedCycle();
      expect(agent.host.softwareReads).toBeGreaterThan(reads);
    }, { timeout: 20_000, interval: 100 });
    return expectNoGraphQLErrors(await pending).collectSnapshot;
  }

  beforeAll(async () => {
    dist = await makeTempDir("console-dist");
    await buildConsole(dist.path);
    h = await createHarness(backend, ubuntu(), {
      fleet: { onlineWindowMs: 600_000, collectWaitMs: 20_000 },
      collectLocal: false,
      console: { dir: dist.path, sourceMaps: false, immutableAssets: true },
    });
    origin = (await h.listen()).replace("localhost", "127.0.0.1");
    for (let index = 0; index < HOSTS; index++) {
      const host = createSimulatedHost({ platform: PLATFORMS[index % 4]!, seed: SEED, index, softwareCount: 40 + (index % 5) * 30, churn: 0.15 });
      agents.push(createAgent({ host, url: origin, ca: h.pki!.ca, enrollSecret: TEST_FLEET.secrets[0]!, hostIdentifier: "uuid", timeScale: 0.001 }));
    }
    await Promise.all(
      agents.map(async (agent) => {
        await agent.enroll();
        await agent.loadConfig();
        await agent.distributedCycle();
      }),
    );
    // Hosts beyond AGENT_INVENTORY_CONCURRENCY are handed their inventory at a later check-in.
    const inventoried = async () => (await h.db.prisma.snapshot.groupBy({ by: ["hostId"], where: { status: "SUCCEEDED" } })).length;
    for (let round = 0; round < 10 && (await inventoried()) < HOSTS; round++) await Promise.all(agents.map((agent) => agent.distributedCycle()));
    chromium = await launchOfflineChromium();
  }, 240_000);
  afterAll(async () => {
    await chromium?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await h?.dispose();
    await dist?.remove();
  });

  const hostIdOf = async (agent: Agent) => {
    const hosts = expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 5, filter: { hostnameContains: agent.host.hostname } })).hosts;
    return hosts.edges.find((e) => e.node.hostname === agent.host.hostname)!.node.id;
  };

  it("when the hosts are paged forward and back while new snapshots land, then every host shows once, and Previous returns the same page", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    await expect.poll(() => page.locator(".page-head .muted").innerText()).toBe(`${HOSTS} hosts`);
    await screenshots(page, "hosts");
    const first = await rowIds(page);

    // New snapshots land between the pages.
    await Promise.all([collect(agents[3]!, await hostIdOf(agents[3]!)), collect(agents[30]!, await hostIdOf(agents[30]!))]);
    await page.getByRole("button", { name: "Next →" }).click();
    await expect.poll(() => rowIds(page)).toHaveLength(HOSTS - PAGE_SIZE);
    expect(page.url()).toMatch(/\?after=/);
    const second = await rowIds(page);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(HOSTS);
    const api = expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 100 })).hosts.edges.map((e) => e.node.id);
    expect(all).toEqual(api);
    await expect(page.getByRole("button", { name: "Next →" }).isDisabled()).resolves.toBe(true);

    await page.getByRole("button", { name: "← Previous" }).click();
    await expect.poll(() => rowIds(page)).toEqual(first);
    expect(page.url()).toMatch(/\?before=/);
    // The browser's own back button walks the same history.
    await page.goBack();
    await expect.poll(() => rowIds(page)).toEqual(second);
    expect(pageErrors).toEqual([]);
    expect(chromium.refused).toEqual([]);
  });

  it("when the hosts are filtered by hostname and platform, then the URL names the filter, and opening that URL shows the same rows", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    // The platforms the fleet has, from the API, with their host counts.
    const platforms = expectNoGraphQLErrors(await gql(HostPlatformsQuery)).hostPlatforms;
    expect(platforms.map((p) => p.platform).sort()).toEqual([...PLATFORMS].sort());
    await expect
      .poll(() => page.getByLabel("Platform").locator("option").allInnerTexts())
      .toEqual(["all", ...platforms.map((p) => `${p.platform} (${p.hostCount})`)]);
    await page.getByLabel("Platform").selectOption("windows");
    await expect.poll(() => page.url()).toMatch(/platform=windows/);
    await expect.poll(() => rowIds(page)).toHaveLength(HOSTS / 4);
    const texts = await page.locator("tbody tr[data-host-id]").allInnerTexts();
    for (const text of texts) expect(text).toMatch(/\(windows\)/);

    const target = agents[5]!.host.hostname;
    const fragment = target.slice(0, Math.max(6, target.length - 2));
    await page.getByLabel("Platform").selectOption("");
    await page.getByLabel("Hostname").fill(fragment);
    await expect.poll(() => page.url()).toContain(`hostname=${encodeURIComponent(fragment)}`);
    // The rows of the filter before (shown while the filtered page loads) give way to the filtered ones.
    const filtered = async () => {
      const texts = await page.locator("tbody tr[data-host-id]").allInnerTexts();
      return texts.some((text) => text.includes(target)) && texts.every((text) => text.toLowerCase().includes(fragment.toLowerCase()));
    };
    await expect.poll(filtered).toBe(true);

    const deep = await open(new URL(page.url()).pathname + new URL(page.url()).search);
    await expect.poll(() => rowIds(deep), { timeout: 20_000 }).toEqual(await rowIds(page));
    await expect.poll(() => deep.getByLabel("Hostname").inputValue()).toBe(fragment);

    await page.getByLabel("Hostname").fill("no-such-host-anywhere");
    await expect(page.getByText("No host matches this filter.").waitFor()).resolves.toBeUndefined();
    await screenshots(page, "hosts-no-match");
    expect(pageErrors).toEqual([]);
  });

  it("when the hosts page is scrolled to its end while snapshots land, then the next pages append in place: every host once, in order, rows still live", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    await expect.poll(() => page.locator(".live.on").count(), { timeout: 10_000 }).toBe(1);
    const first = await rowIds(page);
    const late = agents[HOSTS - 2]!;
    const lateId = await hostIdOf(late);
    // Snapshots land while the page scrolls: one host of the first page, one of the page to come.
    const landing = Promise.all([collect(agents[11]!, await hostIdOf(agents[11]!)), collect(late, lateId)]);
    await page.mouse.wheel(0, 20_000);
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(HOSTS);
    const [, lateSnapshot] = await landing;
    const all = await rowIds(page);
    expect(all.slice(0, PAGE_SIZE)).toEqual(first);
    expect(all).toEqual(expectNoGraphQLErrors(await gql(FleetHostsQuery, { first: 100 })).hosts.edges.map((e) => e.node.id));
    // Scrolling is no navigation: the URL still names the first page, and there is no page after the last.
    expect(page.url()).toBe(`${origin}/`);
    await expect(page.getByRole("button", { name: "Next →" }).isDisabled()).resolves.toBe(true);
    await expect(page.locator("button.load-more").count()).resolves.toBe(0);
    // A row of an appended page follows its host's snapshots like any other.
    await expect.poll(() => page.locator(`tr[data-host-id="${lateId}"]`).getAttribute("data-snapshot-id"), { timeout: 10_000 }).toBe(lateSnapshot.id);
    expect(await rowIds(page)).toEqual(all);
    expect(pageErrors).toEqual([]);
  });

  it("when rows are walked with the keyboard, then j/k and the arrows move a visible focus, Enter opens, and typing in a field is left alone", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    const ids = await rowIds(page);
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-host-id") ?? document.activeElement?.tagName ?? null);
    await page.keyboard.press("j");
    await expect.poll(focused).toBe(ids[0]);
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await expect.poll(focused).toBe(ids[2]);
    await page.keyboard.press("k");
    await expect.poll(focused).toBe(ids[1]);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await expect.poll(focused).toBe(ids[3]);
    await page.keyboard.press("ArrowUp");
    await expect.poll(focused).toBe(ids[2]);
    // The focus shows (an outline in the accent colour), in both themes.
    expect(await page.evaluate(() => document.activeElement!.matches(":focus-visible"))).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe("solid");
    await screenshots(page, "hosts-keyboard", { fullPage: false });

    // In the hostname field, j is a letter of the filter.
    await page.getByLabel("Hostname").focus();
    await page.keyboard.type("jk");
    await expect.poll(() => page.getByLabel("Hostname").inputValue()).toBe("jk");
    expect(await focused()).toBe("INPUT");
    await page.getByLabel("Hostname").fill("");
    await expect.poll(() => page.url()).toBe(`${origin}/`);
    await expect.poll(() => rowIds(page)).toEqual(ids);
    await page.locator("h1").click();
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await expect.poll(focused).toBe(ids[1]);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toBe(`${origin}/hosts/${encodeURIComponent(ids[1]!)}`);

    // On a host, the same keys walk its apps; Enter opens an app's history.
    const firstApp = page.locator(".apps .app-row").first();
    await firstApp.waitFor({ timeout: 20_000 });
    const appName = await firstApp.locator(".app-name a").innerText();
    await page.keyboard.press("j");
    await expect.poll(() => page.evaluate(() => document.activeElement?.querySelector(".app-name a")?.textContent ?? null)).toBe(appName);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toContain(`/app?name=${encodeURIComponent(appName).replace(/%20/g, "+")}`);
    expect(pageErrors).toEqual([]);
  });

  it("when an agent's inventory query fails, then the host page shows the failed snapshot with its reason, and so does the snapshot's page", async () => {
    const agent = agents[9]!;
    const hostId = await hostIdOf(agent);
    const host = agent.host as { query: (sql: string) => SqlResult };
    const query = host.query;
    const message = `no such table: ${agent.host.softwareTable}`;
    host.query = (sql) => {
      const result = query(sql);
      return sql.includes(agent.host.softwareTable) ? { ok: false, message } : result;
    };
    let failed;
    try {
      failed = await collect(agent, hostId);
    } finally {
      host.query = query;
    }
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toContain(message);

    const page = await open(`/hosts/${encodeURIComponent(hostId)}`);
    const newest = page.locator(".timeline li").first();
    await expect.poll(() => newest.getAttribute("class"), { timeout: 20_000 }).toBe("failed");
    await expect.poll(() => newest.locator(".badge").innerText()).toBe("failed: AGENT_QUERY_FAILED");
    await expect.poll(() => newest.locator(".reason").innerText()).toContain(message);
    await screenshots(page, "host-failed-snapshot", { fullPage: false });
    // Its row on the hosts page says it too.
    const list = await open(`/?hostname=${encodeURIComponent(agent.host.hostname)}`);
    await expect.poll(() => list.locator(`tr[data-host-id="${hostId}"] .badge-bad`).innerText(), { timeout: 20_000 }).toBe("failed: AGENT_QUERY_FAILED");
    await expect(list.locator(`tr[data-host-id="${hostId}"] .badge-bad`).getAttribute("title")).resolves.toContain(message);

    await newest.locator("a").click();
    await expect.poll(() => page.url()).toContain(`/snapshots/${encodeURIComponent(failed.id)}`);
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.innerText(), { timeout: 20_000 }).toMatch(/^This collection failed \(AGENT_QUERY_FAILED\)\./);
    expect(await alert.innerText()).toContain(message);
    await screenshots(page, "snapshot-failed");
    expect(pageErrors).toEqual([]);
  });

  it("when another snapshot is picked to compare with, then the URL names it and the diff is the API's between the two", async () => {
    const agent = agents[12]!;
    const hostId = await hostIdOf(agent);
    await collect(agent, hostId);
    const newest = await collect(agent, hostId);
    const page = await open(`/hosts/${encodeURIComponent(hostId)}/snapshots/${encodeURIComponent(newest.id)}`);
    await expect.poll(() => page.locator("h2", { hasText: "Changes since the previous snapshot" }).count(), { timeout: 20_000 }).toBe(1);
    const select = page.getByLabel("Compare with");
    // The host's other snapshots, newest first: the oldest is its first inventory.
    await expect.poll(() => select.locator("option").count(), { timeout: 20_000 }).toBe(3);
    const oldest = await select.locator("option").last().getAttribute("value");
    await select.selectOption(oldest!);
    await expect.poll(() => page.url()).toContain(`against=${encodeURIComponent(oldest!)}`);
    await expect.poll(() => page.locator("h2", { hasText: /^Changes from .* to this snapshot$/ }).count(), { timeout: 20_000 }).toBe(1);
    const diff = expectNoGraphQLErrors(await gql(SnapshotDiffQuery, { from: oldest!, to: newest.id, first: 100 })).snapshotDiff;
    const { added, removed, upgraded, downgraded } = diff.counts;
    await expect.poll(() => page.locator(".counts").innerText()).toBe(`+${added} added · −${removed} removed · ${upgraded} upgraded · ${downgraded} downgraded`);
    expect(added + removed + upgraded + downgraded).toBeGreaterThan(0);
    const rows = page.locator("table.changes tbody tr:not(.skeleton-row)");
    await expect.poll(() => rows.count()).toBe(Math.min(diff.totalCount, 100));
    expect((await rows.locator("td:nth-child(2) a").allInnerTexts()).slice(0, 10)).toEqual(diff.edges.slice(0, 10).map((e) => e.node.name));
    await screenshots(page, "snapshot-against");
    // Back to the previous snapshot: the choice leaves the URL.
    await select.selectOption("");
    await expect.poll(() => page.url()).not.toContain("against=");
    expect(pageErrors).toEqual([]);
  });

  it("when a title's changes are opened, then the hosts that changed it in the last N days are listed as the API has them, and the window is in the URL", async () => {
    // An app the churn of host 12's newest snapshot changed (an upgrade where there is one).
    const agent = agents[12]!;
    const hostId = await hostIdOf(agent);
    const page = await open(`/hosts/${encodeURIComponent(hostId)}`);
    const latest = page.locator(".timeline li a").first();
    await latest.waitFor({ timeout: 20_000 });
    const snapshotId = decodeURIComponent(/\/snapshots\/([^/?]+)/.exec((await latest.getAttribute("href"))!)![1]!);
    const node = expectNoGraphQLErrors(await gql(SnapshotChangesQuery, { id: snapshotId, first: 100 })).node;
    const edges = node && "changes" in node ? node.changes!.edges : [];
    const change = (edges.find((e) => e.node.kind === "UPGRADED") ?? edges[0])!.node;

    await page.goto(`${origin}/software/title?name=${encodeURIComponent(change.name)}&source=${change.source}`);
    await page.locator("nav.tabs").getByRole("link", { name: "Changes", exact: true }).click();
    await expect.poll(() => page.url()).toContain("days=7");
    const api = expectNoGraphQLErrors(await gql(SoftwareChangesQuery, { name: change.name, source: change.source, days: 7, first: 50 })).softwareChanges;
    expect(api.edges.some((e) => e.node.host.id === hostId)).toBe(true);
    const rows = page.locator("table.title-changes-table tbody tr:not(.skeleton-row)");
    await expect.poll(() => rows.locator("td:first-child a").allInnerTexts(), { timeout: 20_000 }).toEqual(api.edges.map((e) => e.node.host.hostname));
    await expect.poll(() => page.locator(".title-changes > p.muted").innerText()).toMatch(new RegExp(`^${api.hostCount} hosts? changed it \\(${api.totalCount} snapshots?\\)`));
    const row = rows.filter({ has: page.locator(`a[href="/hosts/${encodeURIComponent(hostId)}"]`) }).first();
    await expect(row.locator(".change").first().innerText()).resolves.toContain(change.kind.toLowerCase());
    await screenshots(page, "software-changes");

    // Another window: the URL follows, and opening that URL shows it again.
    await page.getByRole("button", { name: "30 days" }).click();
    await expect.poll(() => page.url()).toContain("days=30");
    await expect.poll(() => page.getByRole("button", { name: "30 days" }).getAttribute("aria-pressed")).toBe("true");
    const deep = await open(new URL(page.url()).pathname + new URL(page.url()).search);
    await expect.poll(() => deep.locator("#changes-title").innerText(), { timeout: 20_000 }).toBe("Hosts that changed it in the last 30 days");
    const month = expectNoGraphQLErrors(await gql(SoftwareChangesQuery, { name: change.name, source: change.source, days: 30, first: 50 })).softwareChanges;
    await expect.poll(() => deep.locator("table.title-changes-table tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBe(month.edges.length);
    // The hosts tab is one click away and leaves the window out of the URL.
    await deep.locator("nav.tabs").getByRole("link", { name: "Hosts", exact: true }).click();
    await expect.poll(() => deep.url()).not.toContain("days=");
    await expect.poll(() => deep.locator("table.hosts tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  it("when an agent reports a new snapshot, then its row updates live without a reload", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    // Subscribed once the socket is up (the header says live).
    await expect.poll(() => page.locator(".live.on").count(), { timeout: 10_000 }).toBe(1);
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    const agent = agents[7]!;
    const hostId = await hostIdOf(agent);
    const row = page.locator(`tr[data-host-id="${hostId}"]`);
    const before = await row.getAttribute("data-snapshot-id");
    await new Promise((r) => setTimeout(r, 300));
    const snapshot = await collect(agent, hostId);
    expect(snapshot.id).not.toBe(before);
    await expect.poll(() => row.getAttribute("data-snapshot-id"), { timeout: 10_000 }).toBe(snapshot.id);
    await expect.poll(() => row.locator("td.num").innerText()).toBe(snapshot.appCount.toLocaleString("en"));
    expect(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("when a host is opened, then its details, apps (paged, filtered as you type), snapshots and collect now work, and a diff opens", async () => {
    // The biggest inventory: more apps than one page.
    const agent = agents[4]!;
    const hostId = await hostIdOf(agent);
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    await page.locator(`tr[data-host-id="${hostId}"] a`).first().click();
    await expect.poll(() => page.url()).toBe(`${origin}/hosts/${encodeURIComponent(hostId)}`);
    await expect.poll(() => page.locator("h1").innerText(), { timeout: 20_000 }).toBe(agent.host.hostname);

    const appRows = page.locator(".apps .app-row");
    await expect.poll(() => appRows.count(), { timeout: 20_000 }).toBe(100);
    const totalText = await page.locator("main .muted", { hasText: /apps? in the inventory/ }).innerText();
    const total = Number(/^([\d,]+) apps?/.exec(totalText)![1]!.replace(/,/g, ""));
    expect(total).toBeGreaterThan(100);
    await screenshots(page, "host", { fullPage: false });
    // More apps: the button (also reached by scrolling), until every app is listed once.
    for (let i = 0; i < 5 && (await appRows.count()) < total; i++) {
      const shown = await appRows.count();
      if (i === 0) {
        // From the keyboard: this host's second page is its last, and reading it removes the button;
        // the focus goes to the last app read, not back to the top of the page.
        expect(total).toBeLessThanOrEqual(200);
        await page.getByRole("button", { name: "More apps" }).focus();
        await page.keyboard.press("Enter");
        await expect.poll(() => appRows.count()).toBe(total);
        const lastApp = await page.locator(".apps .app-name a").last().innerText();
        await expect.poll(() => page.evaluate(() => (document.activeElement?.closest(".app-name") ? document.activeElement.textContent : null))).toBe(lastApp);
        continue;
      }
      await page.getByRole("button", { name: "More apps" }).click();
      await expect.poll(() => appRows.count()).toBeGreaterThan(shown);
    }
    expect(await appRows.count()).toBe(total);
    // Text, not innerText: rows scrolled out of view are not rendered (content-visibility), and the
    // focus left the page at its end.
    const names = await page.locator(".apps .app-name a").allTextContents();
    expect(new Set(names.map((n, i) => `${n}\u0000${i}`)).size).toBe(total);

    // Sorted Z to A from the Name header: the list starts again at its first page, which opens with
    // the app A to Z ended with, and the URL names the order.
    const nameHeader = page.locator(".apps .grid-head [role=columnheader]").first();
    const sortButton = nameHeader.getByRole("button", { name: /^Name/ });
    const firstName = () => page.locator(".apps .app-name a").first().innerText();
    expect(await nameHeader.getAttribute("aria-sort")).toBe("ascending");
    await sortButton.click();
    await expect.poll(() => page.url()).toBe(`${origin}/hosts/${encodeURIComponent(hostId)}?order=name-desc`);
    await expect.poll(() => nameHeader.getAttribute("aria-sort")).toBe("descending");
    await expect.poll(firstName, { timeout: 20_000 }).toBe(names.at(-1));
    await expect.poll(() => appRows.count()).toBe(100);
    const descFirstPage = await page.locator(".apps .app-name a").allTextContents();
    expect(descFirstPage).toEqual(names.slice(-100).reverse());
    // The click scrolled the header's button into view; the picture shows the host from its top.
    await page.evaluate(() => scrollTo(0, 0));
    await screenshots(page, "host-sorted", { fullPage: false });
    // Scrolling on reads the next page in the same order.
    await page.getByRole("button", { name: "More apps" }).click();
    await expect.poll(() => appRows.count()).toBe(Math.min(total, 200));
    expect(await page.locator(".apps .app-name a").allTextContents()).toEqual(names.slice(-200).reverse());
    // The link opens the same order.
    const sorted = await open(new URL(page.url()).pathname + new URL(page.url()).search);
    await expect.poll(() => sorted.locator(".apps .app-name a").first().innerText(), { timeout: 20_000 }).toBe(names.at(-1));
    expect(await sorted.locator(".apps .grid-head [role=columnheader]").first().getAttribute("aria-sort")).toBe("descending");
    await sorted.close();
    // Back to A to Z with the keyboard: the header's button is next after the filter in tab order.
    await page.getByLabel("Filter apps").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("[role=columnheader]")?.getAttribute("aria-sort") ?? null)).toBe("descending");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toBe(`${origin}/hosts/${encodeURIComponent(hostId)}`);
    await expect.poll(() => nameHeader.getAttribute("aria-sort")).toBe("ascending");
    await expect.poll(firstName).toBe(names[0]);

    const pick = names[Math.floor(names.length / 2)]!;
    const fragment = pick.slice(0, 5);
    await page.getByLabel("Filter apps").fill(fragment);
    await expect.poll(() => page.url()).toContain(`apps=${encodeURIComponent(fragment).replace(/%20/g, "+")}`);
    await expect.poll(async () => (await page.locator(".apps .app-name a").allTextContents()).every((n) => n.toLowerCase().includes(fragment.toLowerCase()))).toBe(true);
    await expect.poll(() => page.locator(".apps .app-name a").allTextContents()).toContain(pick);

    // The app's history on this host, and back.
    await page.locator(".apps .app-name a", { hasText: pick }).first().click();
    await expect.poll(() => page.url()).toContain(`/hosts/${encodeURIComponent(hostId)}/app?name=`);
    await expect.poll(() => page.locator("h1").innerText()).toBe(pick);
    await expect.poll(() => page.locator("table.app-history tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect(page.locator("table.app-history").getByText("installed").count()).resolves.toBeGreaterThan(0);
    await screenshots(page, "app-history");
    await page.goBack();
    await expect.poll(() => page.getByLabel("Filter apps").inputValue()).toBe(fragment);

    // Collect now: the agent answers at its next check-in, which this test drives.
    await page.getByLabel("Filter apps").fill("");
    await expect.poll(() => page.url()).toBe(`${origin}/hosts/${encodeURIComponent(hostId)}`);
    // Every page read so far is still there (the list keeps its place).
    await expect.poll(() => appRows.count()).toBe(total);
    const timelineBefore = await page.locator(".timeline li").count();
    await page.getByRole("button", { name: "Collect now" }).click();
    await expect(page.getByText("waiting for the agent's next check-in").waitFor()).resolves.toBeUndefined();
    await screenshots(page, "host-collecting", { fullPage: false });
    const reads = agent.host.softwareReads;
    await vi.waitFor(async () => {
      await agent.distributedCycle();
      expect(agent.host.softwareReads).toBeGreaterThan(reads);
    }, { timeout: 20_000, interval: 200 });
    const result = page.locator(".collect .result");
    await expect.poll(() => result.innerText(), { timeout: 20_000 }).toMatch(/^Collected [\d,]+ apps: \+\d+ −\d+( ↑\d+)?( ↓\d+)?\. See the changes$/);
    await expect.poll(() => page.locator(".timeline li").count(), { timeout: 10_000 }).toBe(timelineBefore + 1);
    // Counted as the timeline counts the same snapshot: an upgrade is one change, not an app added and one removed.
    const collected = /: (\+\d+ −\d+(?: ↑\d+)?(?: ↓\d+)?)\./.exec(await result.innerText())![1]!;
    await expect.poll(() => page.locator(".timeline li").first().innerText()).toContain(`${collected} · `);

    await page.getByRole("link", { name: "See the changes" }).click();
    await expect.poll(() => page.url()).toMatch(/\/hosts\/[^/]+\/snapshots\/[^/?]+$/);
    await expect.poll(() => page.locator("h2", { hasText: "Changes since the previous snapshot" }).count(), { timeout: 20_000 }).toBe(1);
    const counts = await page.locator(".counts").innerText();
    const [added, removed, upgraded, downgraded] = [/\+(\d+) added/, /−(\d+) removed/, /(\d+) upgraded/, /(\d+) downgraded/].map((re) => Number(re.exec(counts)![1]));
    expect(added! + removed!).toBeGreaterThan(0);
    expect(collected).toBe(`+${added} −${removed}${upgraded ? ` ↑${upgraded}` : ""}${downgraded ? ` ↓${downgraded}` : ""}`);
    await expect.poll(() => page.locator("table.changes tbody tr:not(.skeleton-row)").count()).toBeGreaterThan(0);
    await screenshots(page, "snapshot-diff");

    // The same diff from its URL, as a shared link.
    const deep = await open(new URL(page.url()).pathname);
    await expect.poll(() => deep.locator(".counts").innerText(), { timeout: 20_000 }).toBe(counts);
    expect(pageErrors).toEqual([]);
    expect(chromium.refused).toEqual([]);
  });

  it("when a host has more snapshots than a page, then scrolling down to its agent errors leaves the timeline as it is, and Older snapshots reads the next page", async () => {
    const agent = agents[16]!;
    const hostId = await hostIdOf(agent);
    // Its first inventory and 20 more: one more than the timeline's first page.
    for (let i = 0; i < 20; i++) await collect(agent, hostId);
    const message = "Error executing distributed query: no such table: chrome_extensions";
    agent.emitStatus(Severity.ERROR, message, { filename: "distributed.cpp", line: 118 });
    await agent.flushLogs();

    const page = await open(`/hosts/${encodeURIComponent(hostId)}`);
    const entries = page.locator(".timeline li");
    await expect.poll(() => entries.count(), { timeout: 20_000 }).toBe(20);
    await expect.poll(() => page.locator(".agent-errors").innerText(), { timeout: 20_000 }).toContain(message);
    // Scrolled down as a reader would, past the end of the timeline to the errors below it: each page
    // of snapshots loaded on the way would push them further, until the host had no snapshots left.
    for (let i = 0; i < 20 && !(await inView(page, "agent-errors")); i++) {
      await page.mouse.wheel(0, 150);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await inView(page, "agent-errors")).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await entries.count()).toBe(20);
    expect(await inView(page, "agent-errors")).toBe(true);
    await page.getByRole("button", { name: "Older snapshots" }).click();
    await expect.poll(() => entries.count(), { timeout: 20_000 }).toBe(21);
    await expect(page.getByRole("button", { name: "Older snapshots" }).count()).resolves.toBe(0);
    // A snapshot landing goes on top, and the older page stays (it was lost when the query read again).
    await expect.poll(() => page.locator(".live.on").count(), { timeout: 10_000 }).toBe(1);
    const landed = await collect(agent, hostId);
    await expect.poll(() => entries.count(), { timeout: 20_000 }).toBe(22);
    await expect.poll(() => entries.first().locator("a").getAttribute("href")).toBe(`/hosts/${encodeURIComponent(hostId)}/snapshots/${encodeURIComponent(landed.id)}`);
    expect(pageErrors).toEqual([]);
  });

  it("when the API cannot be reached, then the page says so in words and reads again on Try again; on a phone's screen the hosts and a host still read", async () => {
    const page = await open("/");
    await expect.poll(() => rowIds(page), { timeout: 20_000 }).toHaveLength(PAGE_SIZE);
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshots(page, "hosts-phone", { fullPage: false });
    // Columns that do not fit are dropped, the hostname and state stay.
    expect(await page.locator("thead th").evaluateAll((cells) => cells.filter((c) => getComputedStyle(c).display !== "none").map((c) => c.textContent))).toEqual([
      "Hostname",
      "Online",
      "Apps",
      "Newest snapshot",
    ]);

    // A host with two pages of apps: the page stays as wide as the screen once both are loaded (an
    // off-screen page of apps once made it 330rem wide), and a link under Collect now reaches the
    // snapshots below the apps.
    const host = await open(`/hosts/${encodeURIComponent(await hostIdOf(agents[4]!))}`);
    await host.setViewportSize({ width: 390, height: 844 });
    const appRows = host.locator(".apps .app-row");
    await expect.poll(() => appRows.count(), { timeout: 20_000 }).toBe(100);
    // The next page lands off screen, never rendered, as when it loads while the reader is elsewhere.
    await host.evaluate(() => document.querySelector<HTMLButtonElement>("button.load-more")!.click());
    await expect.poll(() => appRows.count()).toBeGreaterThan(100);
    await expect.poll(() => host.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBe(0);
    await host.getByRole("navigation", { name: "On this page" }).getByRole("link", { name: "Snapshots" }).click();
    await expect.poll(() => inView(host, "snapshots")).toBe(true);
    await screenshots(host, "host-phone", { fullPage: false });

    // A change's badge keeps its word on one line in a phone's narrow column ("upgraded", never "upgrad / ed").
    await host.locator(".timeline li a").first().click();
    const kinds = host.locator("table.changes tbody .badge");
    await expect.poll(() => kinds.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const broken = await kinds.evaluateAll((badges) =>
      badges
        .filter((badge) => {
          const range = document.createRange();
          range.selectNodeContents(badge);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
        })
        .map((badge) => badge.textContent),
    );
    expect(broken).toEqual([]);

    // A host with one snapshot: below it the page ends too soon for a jump to scroll the snapshots to
    // the top, and the end of the apps' first page stays in the lower half of the window. The jump
    // loads no more apps there (they would push the snapshots it went to away); once the reader is
    // back up at the apps, scrolling down to their end loads the next page again.
    const few = await open(`/hosts/${encodeURIComponent(await hostIdOf(agents[14]!))}`);
    await few.setViewportSize({ width: 390, height: 844 });
    const fewRows = few.locator(".apps .app-row");
    await expect.poll(() => fewRows.count(), { timeout: 20_000 }).toBe(100);
    await expect.poll(() => few.locator(".timeline li").count(), { timeout: 20_000 }).toBe(1);
    await few.getByRole("navigation", { name: "On this page" }).getByRole("link", { name: "Snapshots" }).click();
    await expect.poll(() => inView(few, "snapshots")).toBe(true);
    expect(await few.evaluate(() => document.querySelector("button.load-more")!.getBoundingClientRect().top / innerHeight)).toBeGreaterThan(0.5);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await fewRows.count()).toBe(100);
    expect(await inView(few, "snapshots")).toBe(true);
    await few.evaluate(() => scrollTo(0, 0));
    await expect.poll(() => few.evaluate(() => document.querySelector("button.load-more")!.getBoundingClientRect().top > innerHeight)).toBe(true);
    // Scroll events come once a frame: the way back up is seen before the way down.
    await few.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await few.evaluate(() => document.querySelector("button.load-more")!.scrollIntoView({ block: "end" }));
    await expect.poll(() => fewRows.count(), { timeout: 20_000 }).toBeGreaterThan(100);

    const down = await chromium.newPage({ ignoreHTTPSErrors: true, colorScheme: "light" });
    await down.route("**/graphql", (route) => route.abort("connectionrefused"));
    await down.goto(`${origin}/software`);
    await expect(down.getByRole("alert").innerText({ timeout: 20_000 })).resolves.toMatch(/^Cannot reach the API at \/graphql: is the service running\?/);
    await screenshots(down, "api-down");
    // The service answers again: Try again reads what could not be read, without a reload.
    await down.unroute("**/graphql");
    await down.getByRole("button", { name: "Try again now" }).click();
    await expect.poll(() => down.locator("table.software tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBe(50);
    await expect(down.getByRole("alert").count()).resolves.toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it("when the software page is opened, then titles have host counts, and a title lists its versions and hosts", async () => {
    const page = await open("/software");
    const rows = page.locator("table.software tbody tr:not(.skeleton-row)");
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(50);
    await screenshots(page, "software");
    await page.getByLabel("Name").fill("a");
    await expect.poll(() => page.url()).toContain("name=a");
    const link = page.locator("table.software tbody tr td:first-child a").first();
    const name = await link.innerText();
    const hostCount = Number((await page.locator("table.software tbody tr td.num").first().innerText()).replace(/,/g, ""));
    await link.click();
    await expect.poll(() => page.url()).toMatch(/\/software\/title\?name=/);
    await expect.poll(() => page.locator("h1").innerText()).toBe(name);
    await expect.poll(() => page.locator("table.hosts tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBe(Math.min(hostCount, 50));
    await expect.poll(() => page.locator(".versions .chip").count()).toBeGreaterThan(1);
    await screenshots(page, "software-title");

    // Without a source, a name Ubuntu and RHEL hosts both have: each source's title, and the hosts of both.
    const shared = ["openssl", "sudo", "systemd", "tzdata", "rsync", "less"];
    let titles: { source: string; hostCount: number; versions: unknown[] }[] = [];
    let both = "";
    for (const candidate of shared) {
      titles = expectNoGraphQLErrors(await gql(SoftwareTitlesQuery, { name: candidate })).softwareTitles;
      both = candidate;
      if (titles.length > 1) break;
    }
    expect(titles.map((t) => t.source)).toEqual(["deb_packages", "rpm_packages"]);
    const hosts = expectNoGraphQLErrors(await gql(SoftwareHostsQuery, { name: both, first: 100 })).softwareHosts;
    expect(hosts.totalCount).toBe(titles[0]!.hostCount + titles[1]!.hostCount);
    const any = await open(`/software/title?name=${encodeURIComponent(both)}`);
    await expect
      .poll(() => any.locator(".page-head .muted").innerText(), { timeout: 20_000 })
      .toBe(`any source · ${titles.map((t) => `${t.source} on ${t.hostCount} host${t.hostCount === 1 ? "" : "s"}`).join(", ")}`);
    await expect.poll(() => any.locator(".title-source h3 a").allInnerTexts()).toEqual(["deb_packages", "rpm_packages"]);
    await expect(any.getByRole("button", { name: `all versions ${hosts.totalCount}` }).count()).resolves.toBe(1);
    for (const title of titles) {
      await expect(any.getByRole("list", { name: `Versions from ${title.source}` }).getByRole("button").count()).resolves.toBe(title.versions.length);
    }
    await expect.poll(() => any.locator("table.hosts tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBe(Math.min(hosts.totalCount, 50));
    await screenshots(any, "software-title-any-source");
    // A source's heading narrows the page to its title.
    await any.locator(".title-source h3 a", { hasText: "rpm_packages" }).click();
    await expect.poll(() => any.url()).toContain("source=rpm_packages");
    await expect.poll(() => any.locator(".page-head .muted").innerText()).toBe(`rpm_packages · on ${titles[1]!.hostCount} host${titles[1]!.hostCount === 1 ? "" : "s"}`);
    await expect.poll(() => any.locator("table.hosts tbody tr:not(.skeleton-row)").count(), { timeout: 20_000 }).toBe(Math.min(titles[1]!.hostCount, 50));

    // A name no host has.
    const none = await open("/software/title?name=no-such-software&source=deb_packages");
    await expect(none.getByText("No host has this software in its newest inventory.").waitFor({ timeout: 20_000 })).resolves.toBeUndefined();
    expect(pageErrors).toEqual([]);
  });

  it("when a host has more snapshots than the picker's first page, then older ones load from the keyboard, the choice is kept, and one past the 50th is compared with", async () => {
    const agent = agents[21]!;
    const hostId = await hostIdOf(agent);
    // Its first inventory and 51 more: two older than the newest 50.
    for (let i = 0; i < 51; i++) await collect(agent, hostId);
    const all = expectNoGraphQLErrors(await gql(SnapshotsQuery, { hostId, first: 100 })).snapshots.edges.map((e) => e.node);
    expect(all).toHaveLength(52);
    expect(all.every((s) => s.status === "SUCCEEDED")).toBe(true);
    const [newest, ...older] = all;
    const oldest = older.at(-1)!.id;

    const page = await open(`/hosts/${encodeURIComponent(hostId)}/snapshots/${encodeURIComponent(newest!.id)}`);
    const select = page.getByLabel("Compare with");
    const values = () => select.locator("option").evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    // The newest 50, less this one.
    await expect.poll(values, { timeout: 20_000 }).toEqual(["", ...older.slice(0, 49).map((s) => s.id)]);
    await expect.poll(() => page.getByRole("status").innerText()).toBe("49 snapshots to compare with, and older ones");
    const picked = older[9]!.id;
    await select.selectOption(picked);
    await expect.poll(() => page.url()).toContain(`against=${encodeURIComponent(picked)}`);

    // From the keyboard: Tab from the list to the button, Enter reads the next page; the choice stays.
    await select.focus();
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Load older snapshots");
    await page.keyboard.press("Enter");
    await expect.poll(values, { timeout: 20_000 }).toEqual(["", ...older.map((s) => s.id)]);
    await expect.poll(() => page.getByRole("status").innerText()).toBe("51 snapshots to compare with");
    await expect(page.getByRole("button", { name: "Load older snapshots" }).count()).resolves.toBe(0);
    expect(await select.inputValue()).toBe(picked);
    expect(page.url()).toContain(`against=${encodeURIComponent(picked)}`);
    // The button is gone: the focus is on the list it grew, not lost to the page.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("against");
    // A snapshot landing meanwhile joins the choices; none read before is lost.
    await expect.poll(() => page.locator(".live.on").count(), { timeout: 10_000 }).toBe(1);
    const landed = await collect(agent, hostId);
    await expect.poll(values, { timeout: 20_000 }).toEqual(["", landed.id, ...older.map((s) => s.id)]);
    expect(await select.inputValue()).toBe(picked);

    await select.selectOption(oldest);
    await expect.poll(() => page.url()).toContain(`against=${encodeURIComponent(oldest)}`);
    const diff = expectNoGraphQLErrors(await gql(SnapshotDiffQuery, { from: oldest, to: newest!.id, first: 100 })).snapshotDiff;
    const { added, removed, upgraded, downgraded } = diff.counts;
    const counts = `+${added} added · −${removed} removed · ${upgraded} upgraded · ${downgraded} downgraded`;
    await expect.poll(() => page.locator("h2", { hasText: /^Changes from .* to this snapshot$/ }).count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => page.locator(".counts").innerText(), { timeout: 20_000 }).toBe(counts);
    expect(added + removed + upgraded + downgraded).toBeGreaterThan(0);
    const rows = page.locator("table.changes tbody tr:not(.skeleton-row)");
    await expect.poll(() => rows.count()).toBe(Math.min(diff.totalCount, 100));
    expect(await rows.locator("td:nth-child(2) a").allInnerTexts()).toEqual(diff.edges.map((e) => e.node.name));
    await screenshots(page, "snapshot-against-older", { fullPage: false });

    // The link, opened afresh: the snapshot it names is chosen before any older page is read.
    const deep = await open(new URL(page.url()).pathname + new URL(page.url()).search);
    await expect.poll(() => deep.locator(".counts").innerText(), { timeout: 20_000 }).toBe(counts);
    await expect.poll(() => deep.getByLabel("Compare with").inputValue()).toBe(oldest);
    await expect(deep.getByRole("button", { name: "Load older snapshots" }).count()).resolves.toBe(1);
    await screenshots(deep, "snapshot-against-linked", { fullPage: false });
    expect(pageErrors).toEqual([]);
  });

  it("when Tab is pressed after a page loads, then the first stop is a visible skip link, and Enter moves the focus to the page's main region", async () => {
    const hostId = await hostIdOf(agents[2]!);
    for (const path of ["/", `/hosts/${encodeURIComponent(hostId)}`, "/software"]) {
      const page = await open(path);
      await page.locator("main h1").first().waitFor({ timeout: 20_000 });
      const skip = page.getByRole("link", { name: "Skip to main content" });
      // Out of sight until focused.
      expect((await skip.boundingBox())!.y + (await skip.boundingBox())!.height).toBeLessThanOrEqual(0);
      await page.keyboard.press("Tab");
      await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to main content");
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        await expect.poll(() => page.evaluate(() => document.documentElement.dataset["theme"])).toBe(theme);
        const box = (await skip.boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        // Drawn in the theme's accent, its text in the accent's text colour, over the header.
        const style = await skip.evaluate((a) => {
          const colour = (value: string) => {
            const probe = document.body.appendChild(document.createElement("span"));
            probe.style.color = value;
            const computed = getComputedStyle(probe).color;
            probe.remove();
            return computed;
          };
          const css = getComputedStyle(a);
          const box = a.getBoundingClientRect();
          return {
            background: css.backgroundColor === colour("var(--accent)"),
            text: css.color === colour("var(--accent-text)"),
            ring: css.outlineStyle,
            onTop: a.contains(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)),
          };
        });
        expect(style).toEqual({ background: true, text: true, ring: "solid", onTop: true });
        if (path === "/") await page.screenshot({ path: await screenshotPath(`console-skip-link-${theme}`), clip: { x: 0, y: 0, width: 700, height: 120 } });
      }
      await page.emulateMedia({ colorScheme: "light" });
      const url = page.url();
      await page.keyboard.press("Enter");
      await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("MAIN");
      expect(page.url()).toBe(url);
      // The next Tab goes on inside the page, past the header.
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
    }
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!browser.run)("the web console in Chromium with AUTH_READS and no hosts yet", () => {
  const TOKEN = "console-test-token-0123456789";
  let h: Harness;
  let origin: string;
  let chromium: OfflineBrowser;
  let dist: Awaited<ReturnType<typeof makeTempDir>>;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dist = await makeTempDir("console-dist");
    await buildConsole(dist.path);
    h = await createHarness("pglite", ubuntu(), {
      fleet: {},
      collectLocal: false,
      security: { ...OPEN_SECURITY, token: TOKEN, authReads: true },
      console: { dir: dist.path, sourceMaps: false, immutableAssets: true },
    });
    origin = (await h.listen()).replace("localhost", "127.0.0.1");
    chromium = await launchOfflineChromium();
  }, 240_000);
  afterAll(async () => {
    await chromium?.close();
    await h?.dispose();
    await dist?.remove();
  });

  it("when the console opens, then it asks for the token once, refuses a wrong one, keeps the right one for the tab only, and shows how to enroll", async () => {
    const page = await chromium.newPage({ ignoreHTTPSErrors: true, colorScheme: "light" });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(`${origin}/`);
    const dialog = page.getByRole("dialog", { name: "This server needs its API token" });
    await dialog.waitFor({ timeout: 20_000 });
    // Refused, not still connecting: no live updates until the token is given.
    await expect.poll(() => page.locator(".live").innerText()).toBe("offline");
    await screenshots(page, "token-prompt");

    await page.getByLabel("API token", { exact: true }).fill("wrong-token");
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByText("The server refused that token.").waitFor({ timeout: 10_000 })).resolves.toBeUndefined();

    await page.getByLabel("API token", { exact: true }).fill(TOKEN);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { name: "No hosts yet" }).waitFor({ timeout: 20_000 })).resolves.toBeUndefined();
    expect(await dialog.count()).toBe(0);
    await expect(page.getByText("npm run flagfile").count()).resolves.toBe(1);
    await expect.poll(() => page.locator(".live.on").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator(".live").innerText()).toBe("live");
    await screenshots(page, "empty-fleet");

    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([TOKEN]);
    expect(await page.evaluate(() => Object.values(localStorage).join(" "))).not.toContain(TOKEN);

    // A reload in the same tab keeps it; a new visitor is asked again.
    await page.reload();
    await expect(page.getByRole("heading", { name: "No hosts yet" }).waitFor({ timeout: 20_000 })).resolves.toBeUndefined();
    expect(await dialog.count()).toBe(0);
    const stranger = await chromium.newPage({ ignoreHTTPSErrors: true });
    await stranger.goto(`${origin}/software`);
    await stranger.getByRole("dialog", { name: "This server needs its API token" }).waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
    expect(chromium.refused).toEqual([]);
  });
});
