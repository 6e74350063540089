import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { createSecureContext, type SecureContext } from "node:tls";
import { gunzipSync } from "node:zlib";

/**
 * One HTTP exchange the way osquery's TLSTransport and http::Client make it (osquery/remote/transports/tls.cpp,
 * osquery/remote/http_client.cpp): POST, HTTP/1.1 keep-alive, the same headers in the order beast writes them,
 * a 16 s deadline for connect + handshake + write + read, up to 10 redirects followed with the same body,
 * TLS 1.2 at least with osquery's cipher list, the server certificate checked against the given CA.
 * The HTTP status is returned but judging the answer is the caller's job (osquery ignores the status).
 */

/** osquery's kTLSCiphers for TLS 1.2 (tls.h at 5.23.1); Node keeps its default TLS 1.3 suites. */
export const OSQUERY_TLS12_CIPHERS =
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:RSA+AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!CBC:!SHA";

export interface TransportOptions {
  /** `https://host:port[/prefix]`, or `http://…` behind a TLS-terminating proxy (osquery itself cannot). */
  baseUrl: string;
  /** PEM of the CA(s) that signed the server certificate (osquery's --tls_server_certs). */
  ca?: string | Buffer | undefined;
  /**
   * Parsed CA and TLS settings to share between transports: without it every new connection parses the CA
   * again, which is most of a fleet's client-side TLS cost. See secureContextFor().
   */
  secureContext?: SecureContext | undefined;
  /** An agent of your own (connection pooling, a proxy); it must trust the server for https. */
  agent?: HttpAgent | undefined;
  /** @default 16000 */
  timeoutMs?: number | undefined;
  /** Decode gzip responses (--tls_accept_gzip, osquery ≥ 5.21). @default false */
  acceptGzip?: boolean | undefined;
  /** Wraps every exchange, e.g. to bound a fleet's requests in flight. */
  limit?: (<T>(run: () => Promise<T>) => Promise<T>) | undefined;
}

/**
 * osqueryd keeps one client per thread (`thread_local` in tls.cpp getClient): the distributed thread, the
 * logger thread and the config thread each hold their own keep-alive connection.
 */
export type Lane = "distributed" | "logger" | "config";

export interface PostOptions {
  lane: Lane;
  userAgent: string;
  /** Sent as `Authorization: NodeKey <key>` when given (osquery ≥ 5.23 with a key). */
  authorization?: string | undefined;
  gzip?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export type Exchange =
  | { ok: true; status: number; body: string; bytesSent: number; bytesReceived: number; ms: number }
  | { ok: false; error: string; bytesSent: number; bytesReceived: number; ms: number; aborted: boolean };

export interface Transport {
  post(path: string, body: Buffer, options: PostOptions): Promise<Exchange>;
  close(): void;
}

/** TLS ≥ 1.2 with osquery's cipher list, trusting `ca` (or Node's bundle when none is given). */
export function secureContextFor(ca: string | Buffer | undefined): SecureContext {
  return createSecureContext({ ...(ca !== undefined ? { ca } : {}), minVersion: "TLSv1.2", ciphers: OSQUERY_TLS12_CIPHERS });
}

const REDIRECTS = new Set([301, 302, 303, 304, 305, 307, 308]);

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error(`unsupported URL scheme: ${base.protocol}`);
  const timeoutMs = options.timeoutMs ?? 16_000;
  const lanes = new Map<Lane, HttpAgent>();
  let secureContext = options.secureContext;
  const agentFor = (lane: Lane): HttpAgent => {
    if (options.agent) return options.agent;
    let agent = lanes.get(lane);
    if (!agent) {
      agent =
        base.protocol === "https:"
          ? new HttpsAgent({ keepAlive: true, maxSockets: 1, secureContext: (secureContext ??= secureContextFor(options.ca)) })
          : new HttpAgent({ keepAlive: true, maxSockets: 1 });
      lanes.set(lane, agent);
    }
    return agent;
  };
  const prefix = base.pathname.replace(/\/+$/, "");

  const once = (url: URL, body: Buffer, post: PostOptions, deadline: number): Promise<Exchange & { location?: string | undefined }> =>
    new Promise((resolve) => {
      const started = performance.now();
      let received = 0;
      let settled = false;
      const finish = (result: Exchange & { location?: string | undefined }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        post.signal?.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const fail = (error: string, aborted = false) =>
        finish({ ok: false, error, bytesSent: body.length, bytesReceived: received, ms: performance.now() - started, aborted });
      if (post.signal?.aborted) {
        resolve({ ok: false, error: "Request error: aborted", bytesSent: 0, bytesReceived: 0, ms: 0, aborted: true });
        return;
      }
      const https = url.protocol === "https:";
      const defaultPort = https ? "443" : "80";
      // beast's order: decorateRequest's headers, then Host, Accept-Encoding and Content-Length.
      const headers = ["Content-Type", "application/json", "Accept", "application/json", "User-Agent", post.userAgent];
      if (post.authorization !== undefined) headers.push("Authorization", `NodeKey ${post.authorization}`);
      if (post.gzip) headers.push("Content-Encoding", "gzip");
      headers.push("Host", url.port && url.port !== defaultPort ? `${url.hostname}:${url.port}` : url.hostname);
      if (options.acceptGzip) headers.push("Accept-Encoding", "gzip");
      headers.push("Content-Length", String(body.length));
      const req = (https ? httpsRequest : httpRequest)(url, { method: "POST", agent: agentFor(post.lane), headers, setHost: false });
      const timer = setTimeout(() => {
        req.destroy();
        fail("Request error: Request timeout");
      }, Math.max(0, deadline - performance.now()));
      const onAbort = () => {
        req.destroy();
        fail("Request error: aborted", true);
      };
      post.signal?.addEventListener("abort", onAbort, { once: true });
      req.on("error", (error) => fail(`Request error: ${error.message}`));
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          chunks.push(chunk);
        });
        res.on("error", (error) => fail(`Request error: ${error.message}`));
        res.on("end", () => {
          let raw = Buffer.concat(chunks);
          if (options.acceptGzip && res.headers["content-encoding"] === "gzip") {
            try {
              raw = gunzipSync(raw);
            } catch {
              // osquery's decompressString returns "" on a bad stream, which then reads as an empty body.
              raw = Buffer.alloc(0);
            }
          }
          const status = res.statusCode ?? 0;
          finish({
            ok: true,
            status,
            body: raw.toString("utf8"),
            bytesSent: body.length,
            bytesReceived: received,
            ms: performance.now() - started,
            location: REDIRECTS.has(status) ? res.headers.location : undefined,
          });
        });
      });
      req.end(body);
    });

  const exchange = async (path: string, body: Buffer, post: PostOptions): Promise<Exchange> => {
    let url = new URL(prefix + path, base);
    const deadline = performance.now() + timeoutMs;
    let sent = 0;
    let received = 0;
    const started = performance.now();
    for (let redirects = 0; ; redirects++) {
      const result = await once(url, body, post, deadline);
      sent += result.bytesSent;
      received += result.bytesReceived;
      if (!result.ok || result.location === undefined || redirects === 10) {
        const { location: _ignored, ...exchanged } = result;
        return { ...exchanged, bytesSent: sent, bytesReceived: received, ms: performance.now() - started };
      }
      url = new URL(result.location, url);
    }
  };

  return {
    post: (path, body, post) => (options.limit ? options.limit(() => exchange(path, body, post)) : exchange(path, body, post)),
    close: () => {
      for (const agent of lanes.values()) agent.destroy();
      lanes.clear();
    },
  };
}
