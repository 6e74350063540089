/**
 * Console benchmark (npm run bench -- console): the web console's production build in Chromium,
 * against the service on a scratch PostgreSQL database with 10,000 hosts.
 *
 * Measures, in one run:
 *  - first load of the hosts page: time from navigation to the first host rows, with an empty cache
 *    and with the browser's cache (immutable assets), against the baseline of the same GraphQL
 *    query sent from Node (what the server alone takes) and the page's bytes on the wire;
 *  - a host with 5,000 apps: scrolling its list down to the end (pages load as it scrolls), then
 *    through the whole list and back: frames, long tasks, frame rate;
 *  - a burst of 100 snapshotUpdated events in about a second (100 simulated agents reporting at
 *    once): the longest frame and the long tasks on the page, against the same page idle, and
 *    whether every visible row ends on its newest snapshot.
 *
 * 9,899 hosts are inserted with SQL (one SUCCEEDED snapshot each); 101 are real simulated agents (one with 5,000 apps),
 * enrolled first so they fill the first pages. Pages run with bypassCSP: the probes are evaluated
 * strings, which the console's CSP (no eval) would refuse.
 */
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { print } from "graphql";
import pg from "pg";
import { chromium, type Page } from "playwright-core";
import { startFleetService } from "./fleet/service.js";
import { formatTable, percentile } from "./measure.js";
import { benchMain } from "./scratch-database.js";
import { createAgent, createSimulatedHost, PLATFORMS, type Agent } from "../test/helpers/agent-simulator/index.js";
import { HostsQuery } from "../web/src/operations.js";

const HOSTS = Number(process.env["BENCH_CONSOLE_HOSTS"] ?? 10_000);
const AGENTS = 100;
const BIG_HOST_APPS = 5000;
const LOADS = 7;
const SECRET = "bench-console-enroll-secret-01";
const CHROMIUM = "/usr/bin/chromium";

/**
 * Installed before any script of the page: when the first host row enters the DOM, in ms since
 * navigation. (Scripts for the page are strings: tsx would wrap functions in helpers the page lacks.)
 */
const FIRST_ROWS_PROBE = `
  const observer = new MutationObserver(() => {
    if (window.__firstRows === undefined && document.querySelector("tbody tr[data-host-id]")) {
      window.__firstRows = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
`;

/** Frames and long tasks on the page while `during` runs (and for at least `minMs`): the longest gap between two animation frames. */
async function watchFrames(page: Page, during: () => Promise<void>, minMs: number) {
  await page.evaluate(`(() => {
    window.__frames = { maxGap: 0, frames: 0, longTasks: [], stop: false, elapsed: 0 };
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__frames.longTasks.push(entry.duration);
    }).observe({ type: "longtask" });
    const start = performance.now();
    let last = start;
    const tick = (now) => {
      window.__frames.maxGap = Math.max(window.__frames.maxGap, now - last);
      window.__frames.frames++;
      window.__frames.elapsed = now - start;
      last = now;
      if (!window.__frames.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  const started = performance.now();
  await during();
  const left = minMs - (performance.now() - started);
  if (left > 0) await new Promise((r) => setTimeout(r, left));
  return page.evaluate<{ maxGap: number; frames: number; longTasks: number[]; elapsed: number }>("(window.__frames.stop = true, window.__frames)");
}

benchMain(async (databaseUrl, out) => {
  if (!existsSync(fileURLToPath(new URL("../web/dist/index.html", import.meta.url)))) throw new Error("web/dist is missing: run npm run build:web");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const service = await startFleetService(databaseUrl, SECRET, {
    NODE_ENV: "production",
    COLLECT_RATE_PER_MINUTE: "10000",
    AGENT_COLLECT_WAIT_SECONDS: "60",
  });
  const origin = service.endpoint.replace(/\/graphql$/, "");
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const agents: Agent[] = [];
  let big: Agent | null = null;
  try {
    // ---- the fleet: 100 agents enroll and report, then 9,900 hosts by SQL
    for (let index = 0; index < AGENTS; index++) {
      const host = createSimulatedHost({ platform: PLATFORMS[index % PLATFORMS.length]!, seed: 7, index, softwareCount: 150, churn: 0.05 });
      agents.push(createAgent({ host, url: origin, enrollSecret: SECRET, hostIdentifier: "uuid", timeScale: 0.001 }));
    }
    big = createAgent({
      host: createSimulatedHost({ platform: "ubuntu", seed: 7, index: AGENTS, softwareCount: BIG_HOST_APPS, churn: 0 }),
      url: origin,
      enrollSecret: SECRET,
      hostIdentifier: "uuid",
      timeScale: 0.001,
    });
    await big.enroll();
    await big.loadConfig();
    await big.distributedCycle();
    for (const agent of agents) await agent.enroll();
    await Promise.all(agents.map(async (a) => {
      await a.loadConfig();
      await a.distributedCycle();
    }));
    await db.query(
      `INSERT INTO hosts (hostname, platform, os_name, os_version, osquery_version, enrolled_at, last_seen_at, updated_at)
       SELECT 'bench-host-' || lpad(i::text, 5, '0'), (ARRAY['darwin','ubuntu','rhel','windows'])[1 + i % 4],
              (ARRAY['macOS','Ubuntu','Red Hat Enterprise Linux','Microsoft Windows 11 Pro'])[1 + i % 4], '14.5', '5.23.1',
              now() - interval '1 day', now() - (i % 900) * interval '1 second', now()
       FROM generate_series(1, $1::int) AS i`,
      [HOSTS - AGENTS - 1],
    );
    await db.query(
      `INSERT INTO snapshots (host_id, status, collected_at, app_count, added, removed, source)
       SELECT id, 'SUCCEEDED', now() - (id % 3600) * interval '1 second', 100 + id % 900, 100 + id % 900, 0, 'AGENT'
       FROM hosts WHERE hostname LIKE 'bench-host-%'`,
    );
    const { rows: counted } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM hosts");
    if (counted[0]!.n !== HOSTS) throw new Error(`expected ${HOSTS} hosts, found ${counted[0]!.n}`);

    // ---- baseline: the console's first query, from Node
    const body = JSON.stringify({ query: print(HostsQuery), variables: { first: 25, filter: {} } });
    const api: number[] = [];
    for (let i = 0; i < LOADS + 2; i++) {
      const started = performance.now();
      const response = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body });
      const json = (await response.json()) as { data?: { hosts: { totalCount: number; edges: unknown[] } } };
      if (json.data?.hosts.totalCount !== HOSTS || json.data.hosts.edges.length !== 25) throw new Error(`unexpected answer: ${JSON.stringify(json).slice(0, 300)}`);
      if (i >= 2) api.push(performance.now() - started);
    }

    // ---- first rows, cold (new context each time) and warm (reload in the same context)
    const cold: number[] = [];
    const warm: number[] = [];
    let bytes = 0;
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
      await context.addInitScript({ content: FIRST_ROWS_PROBE });
      const page = await context.newPage();
      let transferred = 0;
      page.on("response", (response) => {
        void response.request().sizes().then((s) => (transferred += s.responseBodySize + s.responseHeadersSize)).catch(() => undefined);
      });
      for (const [list, label] of [[cold, "cold"], [warm, "warm"]] as const) {
        if (label === "warm") await page.reload({ waitUntil: "commit" });
        else await page.goto(`${origin}/`, { waitUntil: "commit" });
        await page.waitForFunction("window.__firstRows !== undefined", undefined, { timeout: 30_000 });
        list.push(await page.evaluate<number>("window.__firstRows"));
        if (label === "cold") {
          await page.waitForLoadState("networkidle").catch(() => undefined);
          if (i === 0) bytes = transferred;
        }
      }
      await context.close();
    }

    // ---- a host with 5,000 apps: scroll to the end while pages load, then through the whole list
    const bigId = (
      (await (
        await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ hosts(first: 1) { edges { node { id latestSucceededSnapshot { appCount } } } } }" }) })
      ).json()) as { data: { hosts: { edges: { node: { id: string; latestSucceededSnapshot: { appCount: number } } }[] } } }
    ).data.hosts.edges[0]!.node;
    const appsContext = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    const appsPage = await appsContext.newPage();
    await appsPage.goto(`${origin}/hosts/${encodeURIComponent(bigId.id)}`);
    await appsPage.waitForSelector(".apps .app-name a");
    await appsPage.mouse.move(400, 600);
    const rowCount = () => appsPage.evaluate<number>(`document.querySelectorAll(".apps .app-row").length`);
    let loadedAllMs = 0;
    const loading = await watchFrames(
      appsPage,
      async () => {
        const started = performance.now();
        while ((await rowCount()) < bigId.latestSucceededSnapshot.appCount && performance.now() - started < 60_000) {
          await appsPage.mouse.wheel(0, 3000);
          await new Promise((r) => setTimeout(r, 50));
        }
        loadedAllMs = performance.now() - started;
      },
      1000,
    );
    const loaded = await rowCount();
    await appsPage.evaluate("window.scrollTo(0, 0)");
    const scrolling = await watchFrames(
      appsPage,
      async () => {
        for (let i = 0; i < 40; i++) {
          await appsPage.mouse.wheel(0, i < 20 ? 8000 : -8000);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      4000,
    );
    await appsContext.close();

    // ---- a burst of 100 snapshotUpdated events while the hosts page is open
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.waitForSelector("tbody tr[data-host-id]");
    await page.waitForSelector(".live.on", { timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 500));
    const idle = await watchFrames(page, async () => undefined, 3000);
    const ids = (await (
      await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ hosts(first: 100) { edges { node { id hostname } } } }" }) })
    ).json()) as { data: { hosts: { edges: { node: { id: string; hostname: string } }[] } } };
    const idOf = new Map(ids.data.hosts.edges.map((e) => [e.node.hostname, e.node.id]));
    let burstMs = 0;
    const burst = await watchFrames(
      page,
      async () => {
        // Every agent is asked for its inventory, then all answer at once.
        const pending = agents.map((a) =>
          fetch(`${origin}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: "mutation($h: ID) { collectSnapshot(hostId: $h) { id status } }", variables: { h: idOf.get(a.host.hostname) } }),
          }),
        );
        await new Promise((r) => setTimeout(r, 300));
        const started = performance.now();
        await Promise.all(agents.map((a) => a.distributedCycle()));
        await Promise.all(pending);
        burstMs = performance.now() - started;
      },
      4000,
    );
    // Every visible row ends on its host's newest snapshot.
    await new Promise((r) => setTimeout(r, 1000));
    const shown = await page.evaluate<[string, string][]>(
      `[...document.querySelectorAll("tbody tr[data-host-id]")].map((r) => [r.getAttribute("data-host-id"), r.getAttribute("data-snapshot-id")])`,
    );
    const newest = (await (
      await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ hosts(first: 25) { edges { node { id latestSnapshot { id } } } } }" }) })
    ).json()) as { data: { hosts: { edges: { node: { id: string; latestSnapshot: { id: string } } }[] } } };
    const stale = newest.data.hosts.edges.filter((e) => !shown.some(([h, s]) => h === e.node.id && s === e.node.latestSnapshot.id)).length;
    const { rows: stored } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM snapshots WHERE host_id IN (SELECT id FROM hosts WHERE hostname NOT LIKE 'bench-host-%')");
    await context.close();

    const ms = (v: number) => `${v.toFixed(0)} ms`;
    out(`== console: ${HOSTS.toLocaleString("en")} hosts (PostgreSQL), production build, Chromium headless`);
    out(
      formatTable(
        ["measure", "median", "p95/max"],
        [
          ["first host rows, empty cache", ms(percentile(cold, 50)), ms(Math.max(...cold))],
          ["first host rows, cached assets (reload)", ms(percentile(warm, 50)), ms(Math.max(...warm))],
          ["baseline: the same hosts query from Node", ms(percentile(api, 50)), ms(Math.max(...api))],
        ],
      ),
    );
    out(`first rows vs the query alone: ${(percentile(cold, 50) / percentile(api, 50)).toFixed(1)}x (empty cache), ${(percentile(warm, 50) / percentile(api, 50)).toFixed(1)}x (cached)`);
    out(`bytes on the wire for the first load (page, assets, first query): ${(bytes / 1024).toFixed(1)} KiB`);
    out();
    out(`a host with ${bigId.latestSucceededSnapshot.appCount.toLocaleString("en")} apps: all ${loaded.toLocaleString("en")} rows listed by scrolling in ${ms(loadedAllMs)}`);
    out(
      formatTable(
        ["apps list", "longest frame", "long tasks (>50 ms)", "longest task", "frames/s"],
        [
          [`scrolling down while pages load (${(loadedAllMs / 1000).toFixed(1)} s)`, ms(loading.maxGap), String(loading.longTasks.length), ms(Math.max(0, ...loading.longTasks)), (loading.frames / (loading.elapsed / 1000)).toFixed(0)],
          ["scrolling the full list down and back", ms(scrolling.maxGap), String(scrolling.longTasks.length), ms(Math.max(0, ...scrolling.longTasks)), (scrolling.frames / (scrolling.elapsed / 1000)).toFixed(0)],
        ],
      ),
    );
    out();
    out(`burst: ${AGENTS} agents reported in ${ms(burstMs)} (${stored[0]!.n - AGENTS} new snapshots stored), hosts page open`);
    out(
      formatTable(
        ["page", "longest frame", "long tasks (>50 ms)", "longest task", "frames"],
        [
          ["idle, 3 s (baseline)", ms(idle.maxGap), String(idle.longTasks.length), ms(Math.max(0, ...idle.longTasks)), String(idle.frames)],
          ["during the burst, 4 s", ms(burst.maxGap), String(burst.longTasks.length), ms(Math.max(0, ...burst.longTasks)), String(burst.frames)],
        ],
      ),
    );
    out(`rows on the newest snapshot after the burst: ${newest.data.hosts.edges.length - stale}/${newest.data.hosts.edges.length}`);
  } finally {
    await browser.close();
    await Promise.all([...agents, ...(big ? [big] : [])].map((a) => a.stop()));
    await db.end();
    await service.stop();
  }
});
