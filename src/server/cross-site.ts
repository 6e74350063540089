import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import type { CORSOptions, Plugin, YogaServerOptions } from "graphql-yoga";
import { parseHostHeader, type HostAndPort } from "../config.js";
import { appError, ErrorCode } from "../errors.js";

/** The header that lets a client without a JSON body through CSRF prevention (it needs a preflight). */
export const CSRF_HEADER = "x-graphql-yoga-csrf";

/**
 * Refuses what an HTML form or a plain fetch from another site can send without a CORS preflight:
 * a POST whose content type is not JSON (or another non-simple type) and that lacks CSRF_HEADER.
 * GETs pass: Yoga answers a mutation over GET with 405, and EventSource and links cannot set headers.
 */
export function useCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      if (payload.request.method === "GET") return;
      try {
        csrf.onRequestParse?.(payload);
      } catch {
        throw appError(
          ErrorCode.CSRF_PREVENTED,
          `request refused as a possible cross-site request forgery: send Content-Type: application/json, or the ${CSRF_HEADER} header`,
          { http: { status: 403 } },
        );
      }
    },
  };
}

/**
 * Yoga's CORS answers an origin outside a list of two or more with `Access-Control-Allow-Origin:
 * null` and credentials, which a sandboxed iframe or a data: page (Origin: null) passes. So an
 * unlisted origin gets no CORS headers at all, and every answer varies by Origin.
 */
export function corsFor(origins: readonly string[]): { cors: YogaServerOptions<object, object>["cors"]; plugin: Plugin } | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  const options: CORSOptions = {
    origin: [...origins],
    credentials: true,
    methods: ["GET", "POST"],
    allowedHeaders: ["content-type", "authorization", CSRF_HEADER],
  };
  return {
    cors: (request) => (allowed.has(request.headers.get("origin") ?? "") ? options : false),
    plugin: {
      onResponse({ response }) {
        if (!/\borigin\b/i.test(response.headers.get("vary") ?? "")) response.headers.append("vary", "Origin");
      },
    },
  };
}

/** Whether a Host header names this server; null allows any (ALLOWED_HOSTS). */
export function createHostCheck(allowed: readonly HostAndPort[] | null): (host: string | undefined) => boolean {
  if (allowed === null) return () => true;
  return (header) => {
    const host = header === undefined ? null : parseHostHeader(header);
    return host !== null && allowed.some((a) => a.hostname === host.hostname && (a.port === null || a.port === host.port));
  };
}

/**
 * Whether a websocket handshake may proceed. Browsers send Origin with every websocket and apply no
 * CORS to it, so a page on any site could otherwise talk to the API with the user's network position.
 * Clients that are not browsers send no Origin; a page served by this server has the Host's origin.
 */
export function createWebSocketOriginCheck(corsOrigins: readonly string[]): (origin: string | undefined, host: string | undefined) => boolean {
  const allowed = new Set(corsOrigins);
  return (origin, host) => {
    if (origin === undefined) return true;
    if (allowed.has(origin)) return true;
    return host !== undefined && URL.canParse(origin) && new URL(origin).host === host.toLowerCase();
  };
}
