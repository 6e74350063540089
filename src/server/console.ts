import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { Readable } from "node:stream";
import sirv from "sirv";
import type { Logger } from "../logger.js";

/**
 * Everything the console loads comes from this origin: its scripts and styles as files (nothing
 * inline, no eval), its data from /graphql over fetch and a same-origin websocket.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const IMMUTABLE = "public, max-age=31536000, immutable";

export interface ConsoleOptions {
  /** The console's production build (web/dist). */
  dir: string;
  /** Serve the source maps of the build, linked with a SourceMap header. */
  sourceMaps: boolean;
  /** Hashed assets (/assets/*) are cached for a year; otherwise every file is revalidated. */
  immutableAssets: boolean;
}

export interface ConsoleHandler {
  /** Answers a GET or HEAD of a console path: a file of the build, or index.html for a page's deep link. */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const MISSING = `<!doctype html><meta charset="utf-8"><title>osquery inventory</title>
<p>The web console is not built. Run <code>npm run build:web</code> (npm ci does it), then reload. The GraphQL API is at <a href="/graphql">/graphql</a>.</p>`;

function plain(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8") {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store", "x-content-type-options": "nosniff" }).end(body);
}

/** The path as the static server reads it (percent-decoded), so `%2Emap` is a .map too. */
function decodedPath(url: string): string {
  const path = url.split("?")[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function createConsoleHandler({ dir, sourceMaps, immutableAssets }: ConsoleOptions, logger: Logger): ConsoleHandler {
  const index = join(dir, "index.html");
  // Production reads the file list once at start; otherwise every request looks at the disk, so a
  // rebuilt console shows on reload.
  const create = () => sirv(dir, {
        dev: !immutableAssets,
        etag: true,
        gzip: true,
        // Deep links (/hosts/…) get index.html; a missing file (a path with an extension) does not.
        single: true,
        setHeaders: (res, pathname) => {
          const asset = pathname.startsWith("/assets/");
          res.setHeader("cache-control", asset && immutableAssets ? IMMUTABLE : "no-cache");
          res.setHeader("x-content-type-options", "nosniff");
          res.setHeader("referrer-policy", "no-referrer");
          if (!asset) res.setHeader("content-security-policy", CONSOLE_CSP);
          if (asset && sourceMaps && pathname.endsWith(".js")) res.setHeader("sourcemap", `${pathname}.map`);
        },
      });
  let serve = existsSync(index) ? create() : null;
  return {
    handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return plain(res, 405, "the console answers GET and HEAD only\n");
      }
      // Built after the start (npm run build:web while the service runs): served from then on.
      if (!serve && existsSync(index)) serve = create();
      if (!serve) return plain(res, 503, MISSING, "text/html; charset=utf-8");
      if (!sourceMaps && /\.map$/i.test(decodedPath(req.url ?? "/"))) return plain(res, 404, "not found\n");
      // sirv pipes a file to the response without listening for read errors, after sending its
      // headers: a file gone since production listed them (web/dist rebuilt under the running
      // service) threw ENOENT out of the process. Now only that response is cut off.
      res.once("pipe", (file: Readable) =>
        file.once("error", (error) => {
          logger.warn({ err: error, path: req.url }, "console file unreadable");
          res.destroy();
        }),
      );
      serve(req, res, () => plain(res, 404, "not found\n"));
    },
  };
}
