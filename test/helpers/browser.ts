import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContextOptions, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install -y chromium`); browsers are never downloaded. */
export const CHROMIUM = "/usr/bin/chromium";

export const SCREENSHOTS_DIR = fileURLToPath(new URL("../../test-results/screenshots", import.meta.url));

/**
 * Whether the browser suites run. Without Chromium they are skipped with a message, except under CI
 * (.ci/run sets REQUIRE_BROWSER=1), where a missing browser is a failure.
 */
export function browserAvailability(): { run: true } | { run: false; reason: string } {
  if (existsSync(CHROMIUM)) return { run: true };
  const reason = `${CHROMIUM} not found: the browser tests are skipped (install it with apt-get install -y chromium)`;
  if (process.env["REQUIRE_BROWSER"] === "1") throw new Error(`REQUIRE_BROWSER=1 but ${reason.split(":")[0]}`);
  return { run: false, reason };
}

export interface OfflineBrowser {
  /** A page in a context of its own (fresh storage, as for a first-time visitor). */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Every URL a page asked for that was not on 127.0.0.1 (refused); there should be none. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Chromium as on a machine without internet: every host but 127.0.0.1 is refused twice over, by a
 * dead proxy and a resolver that resolves nothing, so a page that needs a CDN shows what it would
 * show offline; requests that leave 127.0.0.1 are recorded as well.
 */
export async function launchOfflineChromium(): Promise<OfflineBrowser> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--proxy-server=http://127.0.0.1:9",
      "--proxy-bypass-list=127.0.0.1",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  const refused: string[] = [];
  return {
    refused,
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
      await context.route(
        (url) => !/^(blob|data):/.test(url.protocol) && url.hostname !== "127.0.0.1",
        async (route) => {
          refused.push(route.request().url());
          await route.abort("internetdisconnected");
        },
      );
      return context.newPage();
    },
    close: () => browser.close(),
  };
}

export async function screenshotPath(name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  return `${SCREENSHOTS_DIR}/${name}.png`;
}
