import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { GraphiQLOptions } from "graphql-yoga";

const GRAPHIQL_QUERY = `# The newest inventory, 10 apps a page. Pass pageInfo.endCursor as "after" for the next page.
query LatestData($after: String) {
  latestData(first: 10, after: $after) {
    totalCount
    snapshot { id collectedAt status added removed }
    version { osqueryVersion osName osVersion platform arch }
    edges { node { name version source path publisher firstSeenAt } }
    pageInfo { hasNextPage endCursor }
  }
}

# Hear about every collection (run it, then collectSnapshot in another tab).
# subscription { snapshotUpdated { id status error appCount added removed } }

# Collect now.
# mutation { collectSnapshot { id status error appCount added removed } }
`;

/** A fleet server has no host of its own: its example starts from the hosts. */
const FLEET_GRAPHIQL_QUERY = `# The fleet, 10 hosts a page. Pass a host's id as hostId to latestData for its apps.
query Hosts($after: String) {
  hosts(first: 10, after: $after) {
    totalCount
    edges { node { id hostname demo platform osName osVersion osqueryVersion online lastSeenAt latestSucceededSnapshot { appCount collectedAt } } }
    pageInfo { hasNextPage endCursor }
  }
}

# One host's apps, 10 a page:
# { latestData(hostId: "<id>", first: 10) { totalCount edges { node { name version source } } pageInfo { hasNextPage endCursor } } }

# Software across the fleet, with host counts:
# { software(first: 10) { totalCount edges { node { name source hostCount versions { version hostCount } } } } }

# Hear about every snapshot of every host:
# subscription { snapshotUpdated { id status appCount added removed host { hostname } } }
`;

export const graphiqlOptions: GraphiQLOptions = { title: "osquery inventory", subscriptionsProtocol: "WS", defaultQuery: GRAPHIQL_QUERY };
export const fleetGraphiqlOptions: GraphiQLOptions = { ...graphiqlOptions, defaultQuery: FLEET_GRAPHIQL_QUERY };

/**
 * Renders GraphiQL with its scripts, styles and editor workers inlined from
 * @graphql-yoga/render-graphiql, so the page works without internet (Yoga's default loads them from
 * a CDN). The 9 MB module is imported on the first page view, never by a server without GraphiQL,
 * and the page is rendered once.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  let rendered: { key: string; html: Promise<string> } | null = null;
  return (options) => {
    const key = JSON.stringify(options);
    if (rendered?.key !== key) {
      const html = import("@graphql-yoga/render-graphiql").then(({ renderGraphiQL }) => renderGraphiQL(options));
      // A failed import is retried on the next page view rather than cached.
      html.catch(() => {
        if (rendered?.html === html) rendered = null;
      });
      rendered = { key, html };
    }
    return rendered.html;
  };
}

/**
 * GraphiQL's Content-Security-Policy. Its page is inline: each inline script is allowed by its
 * SHA-256, so no other script (an injected one included) runs, and nothing is loaded from anywhere
 * but this origin. React and Monaco insert <style> elements and style attributes as they render,
 * which no hash can name: styles alone stay 'unsafe-inline'. Monaco's editor workers start from
 * blob: URLs, its icon font and GraphiQL's images are data: URLs.
 */
export function graphiqlCsp(html: string): string {
  const hashes = [...html.matchAll(/<script(?:\s[^>]*)?>([\s\S]*?)<\/script/gi)]
    .filter((m) => !/\ssrc\s*=/i.test(m[0].slice(0, m[0].indexOf(">"))))
    .map((m) => `'sha256-${createHash("sha256").update(m[1]!, "utf8").digest("base64")}'`);
  return [
    "default-src 'none'",
    `script-src ${[...new Set(hashes)].join(" ") || "'none'"}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src blob:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export interface GraphiQLPage {
  /** Answers a browser's GET of the GraphQL endpoint with the GraphiQL page. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * GraphiQL's page is ~9 MB with everything inlined, the same on every view: it is gzipped once
 * (~2 MB), and browsers revalidate it with its ETag (a 304 instead of the page) rather than keep a
 * copy that a new version of the service would leave stale.
 */
export function createGraphiQLPage(render: () => Promise<string>): GraphiQLPage {
  let page: Promise<{ html: Buffer; gzipped: Buffer; etag: string; csp: string }> | null = null;
  const build = async () => {
    const text = await render();
    const html = Buffer.from(text, "utf8");
    const gzipped = await promisify(gzip)(html, { level: 9 });
    return { html, gzipped, etag: `"${createHash("sha256").update(html).digest("base64url").slice(0, 27)}"`, csp: graphiqlCsp(text) };
  };
  return {
    async handle(req, res) {
      page ??= build();
      let built;
      try {
        built = await page;
      } catch (error) {
        page = null;
        throw error;
      }
      const headers = { etag: built.etag, "cache-control": "no-cache", vary: "Accept-Encoding", "x-content-type-options": "nosniff" };
      if (req.headers["if-none-match"]?.split(/\s*,\s*/).includes(built.etag)) {
        res.writeHead(304, headers).end();
        return;
      }
      // "gzip;q=0" refuses it.
      const gzipOk = /\bgzip\b(?!\s*;\s*q=0(\.0+)?\b)/i.test(String(req.headers["accept-encoding"] ?? ""));
      const body = gzipOk ? built.gzipped : built.html;
      res.writeHead(200, {
        ...headers,
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": built.csp,
        "content-length": body.length,
        ...(gzipOk ? { "content-encoding": "gzip" } : {}),
      });
      res.end(req.method === "HEAD" ? undefined : body);
    },
  };
}
