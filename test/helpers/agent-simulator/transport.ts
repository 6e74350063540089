import { isIP, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, createSecureContext, type SecureContext } from "node:tls";
import { gunzipSync } from "node:zlib";

/**
 * One HTTP exchange the way osquery's TLSTransport and http::Client make it (osquery/remote/transports/tls.cpp,
 * osquery/remote/http_client.cpp): POST, HTTP/1.1 keep-alive, the same headers in the order and case beast
 * writes them and nothing else (no `Connection` header: beast's keep_alive(true) on HTTP/1.1 writes none),
 * a 16 s deadline for connect + handshake + write + read, up to 10 redirects followed with the same body,
 * TLS 1.2 at least with osquery's cipher list, the server certificate checked against the given CA.
 * The HTTP status is returned but judging the answer is the caller's job (osquery ignores the status).
 *
 * The request is written and the response read on a socket of our own rather than through node:http, which
 * adds `Connection: keep-alive` to every request and costs several times more CPU per exchange (about 120 µs
 * against 30 µs measured on a keep-alive connection): a fleet of thousands of agents polling every 10 s spends
 * most of its time there. The response reader follows what beast's parser accepts for osquery: a status line,
 * headers (at most 8 KiB, beast's header_limit), and a body by Content-Length, chunked, or up to the end of the
 * connection (at most 8 MiB, beast's default body_limit for responses).
 */

/** osquery's kTLSCiphers for TLS 1.2 (tls.h at 5.23.1); Node keeps its default TLS 1.3 suites. */
export const OSQUERY_TLS12_CIPHERS =
  "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:RSA+AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!CBC:!SHA";

/** beast's basic_parser header_limit. */
const HEADER_LIMIT = 8 * 1024;
/** beast's default body_limit for a response parser. */
const BODY_LIMIT = 8 * 1024 * 1024;

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

interface Response {
  status: number;
  /** Header values by lower-case name (the last one of a repeated header). */
  headers: Map<string, string>;
  body: Buffer;
  /** The server said `Connection: close`, or the body ran to the end of the connection. */
  close: boolean;
}

class ProtocolError extends Error {}

/**
 * Reads one HTTP/1.x response from the bytes of a connection. `push` returns the response once complete;
 * `end` is called when the peer closes (a body without length ends there).
 */
class ResponseReader {
  private head: Buffer | undefined = Buffer.alloc(0);
  private status = 0;
  private http10 = false;
  private headers = new Map<string, string>();
  private mode: "length" | "chunked" | "eof" | "none" = "none";
  private remaining = 0;
  private chunks: Buffer[] = [];
  private bodyBytes = 0;
  /** Chunked framing not consumed yet (a size line or CRLF split across reads). */
  private pending: Buffer = Buffer.alloc(0);
  private chunkState: "size" | "data" | "data-crlf" | "trailers" = "size";
  /** Body bytes as they came off the wire, framing excluded (what the stats count). */
  received = 0;

  push(data: Buffer): Response | undefined {
    if (this.head !== undefined) {
      const head = this.head.length === 0 ? data : Buffer.concat([this.head, data]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > HEADER_LIMIT) throw new ProtocolError("header limit exceeded");
        this.head = head;
        return undefined;
      }
      if (end + 4 > HEADER_LIMIT) throw new ProtocolError("header limit exceeded");
      this.parseHead(head.toString("latin1", 0, end));
      this.head = undefined;
      data = head.subarray(end + 4);
      if (this.mode === "none") return this.finish(false);
    }
    return this.mode === "chunked" ? this.pushChunked(data) : this.pushBody(data);
  }

  /** The connection ended: completes a body that runs to the end, otherwise the response is cut short. */
  end(): Response {
    if (this.head === undefined && this.mode === "eof") return this.finish(true);
    throw new ProtocolError(this.head !== undefined && this.head.length === 0 ? "end of stream" : "partial message");
  }

  private parseHead(text: string): void {
    const lines = text.split("\r\n");
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!statusLine) throw new ProtocolError("bad status line");
    this.status = Number(statusLine[2]);
    this.http10 = statusLine[1] === "0";
    let length: number | undefined;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new ProtocolError("bad header");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      this.headers.set(name, value);
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) throw new ProtocolError("bad Content-Length");
        length = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(value);
      }
    }
    if (this.status < 200 || this.status === 204 || this.status === 304) this.mode = "none";
    else if (chunked) this.mode = "chunked";
    else if (length !== undefined) {
      if (length > BODY_LIMIT) throw new ProtocolError("body limit exceeded");
      this.mode = length === 0 ? "none" : "length";
      this.remaining = length;
    } else this.mode = "eof";
  }

  private addBody(data: Buffer): void {
    if (data.length === 0) return;
    this.bodyBytes += data.length;
    this.received += data.length;
    if (this.bodyBytes > BODY_LIMIT) throw new ProtocolError("body limit exceeded");
    this.chunks.push(data);
  }

  private pushBody(data: Buffer): Response | undefined {
    if (this.mode === "eof") {
      this.addBody(data);
      return undefined;
    }
    // Bytes past the Content-Length would be a second response nobody asked for; beast leaves them in its
    // buffer and osquery drops that buffer with the read, so they are dropped here too.
    const take = Math.min(this.remaining, data.length);
    this.addBody(data.subarray(0, take));
    this.remaining -= take;
    return this.remaining === 0 ? this.finish(false) : undefined;
  }

  private pushChunked(data: Buffer): Response | undefined {
    let buffer = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    for (;;) {
      if (this.chunkState === "data") {
        const take = Math.min(this.remaining, buffer.length);
        this.addBody(buffer.subarray(0, take));
        this.remaining -= take;
        buffer = buffer.subarray(take);
        if (this.remaining > 0) break;
        this.chunkState = "data-crlf";
        continue;
      }
      const eol = buffer.indexOf("\r\n");
      if (eol < 0) {
        if (buffer.length > HEADER_LIMIT) throw new ProtocolError("chunk line too long");
        break;
      }
      const line = buffer.toString("latin1", 0, eol);
      buffer = buffer.subarray(eol + 2);
      if (this.chunkState === "data-crlf") {
        if (line !== "") throw new ProtocolError("bad chunk");
        this.chunkState = "size";
      } else if (this.chunkState === "size") {
        const size = /^([0-9a-fA-F]{1,8})(?:\s*;.*)?$/.exec(line);
        if (!size) throw new ProtocolError("bad chunk size");
        this.remaining = parseInt(size[1]!, 16);
        if (this.bodyBytes + this.remaining > BODY_LIMIT) throw new ProtocolError("body limit exceeded");
        this.chunkState = this.remaining === 0 ? "trailers" : "data";
      } else if (line === "") {
        this.pending = Buffer.alloc(0);
        return this.finish(false);
      }
    }
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
    return undefined;
  }

  private finish(atEof: boolean): Response {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    // osquery closes its socket when the answer says exactly `Connection: close` (http_client.cpp); an
    // HTTP/1.0 server closes its end unless it said keep-alive.
    const connection = this.headers.get("connection");
    const close = atEof || this.mode === "eof" || connection === "close" || (this.http10 && connection?.toLowerCase() !== "keep-alive");
    return { status: this.status, headers: this.headers, body, close };
  }
}

/** One keep-alive connection: the socket of one lane and the response it is reading, if any. */
interface Connection {
  origin: string;
  socket: Socket;
  open: boolean;
  onData?: ((data: Buffer) => void) | undefined;
  onEnd?: (() => void) | undefined;
  onError?: ((error: Error) => void) | undefined;
}

class TimedOut extends Error {}
class Aborted extends Error {}

export function createTransport(options: TransportOptions): Transport {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "https:" && base.protocol !== "http:") throw new Error(`unsupported URL scheme: ${base.protocol}`);
  const timeoutMs = options.timeoutMs ?? 16_000;
  const connections = new Map<Lane, Connection>();
  /** Requests of one lane go one after another on its connection, as one osqueryd thread makes them. */
  const queues = new Map<Lane, Promise<unknown>>();
  let secureContext = options.secureContext;
  const prefix = base.pathname.replace(/\/+$/, "");

  const connect = (url: URL, deadline: number, signal: AbortSignal | undefined): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const https = url.protocol === "https:";
      const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
      const port = Number(url.port || (https ? 443 : 80));
      const socket = https
        ? tlsConnect({
            host,
            port,
            secureContext: (secureContext ??= secureContextFor(options.ca)),
            // SNI names a host, never an address (Node refuses an IP there; the certificate check still sees it).
            ...(isIP(host) === 0 ? { servername: host } : {}),
          })
        : netConnect({ host, port });
      const connection: Connection = { origin: url.origin, socket, open: true };
      let settled = false;
      const done = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.removeListener(https ? "secureConnect" : "connect", onConnect);
        if (error) {
          connection.open = false;
          socket.destroy();
          reject(error);
        } else resolve(connection);
      };
      const onConnect = () => done();
      const onAbort = () => done(new Aborted());
      const timer = setTimeout(() => done(new TimedOut()), Math.max(0, deadline - performance.now()));
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.setNoDelay(true);
      // osquery sets SO_KEEPALIVE on its socket when keep-alive is on (http_client.cpp createConnection).
      socket.setKeepAlive(true);
      socket.once(https ? "secureConnect" : "connect", onConnect);
      socket.on("data", (data: Buffer) => connection.onData?.(data));
      socket.on("end", () => {
        connection.open = false;
        connection.onEnd?.();
      });
      socket.on("close", () => {
        connection.open = false;
        connection.onEnd?.();
      });
      socket.on("error", (error) => {
        connection.open = false;
        if (!settled) done(error);
        else connection.onError?.(error);
      });
    });

  const close = (lane: Lane, connection: Connection) => {
    connection.open = false;
    connection.socket.destroy();
    if (connections.get(lane) === connection) connections.delete(lane);
  };

  /** Writes the request on the connection and reads its response. */
  const roundTrip = (connection: Connection, head: string, body: Buffer, deadline: number, signal: AbortSignal | undefined): Promise<{ response: Response; received: number }> =>
    new Promise((resolve, reject) => {
      const reader = new ResponseReader();
      let settled = false;
      const done = (error: Error | undefined, response?: Response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        connection.onData = connection.onEnd = connection.onError = undefined;
        connection.socket.unref();
        if (error) reject(Object.assign(error, { received: reader.received }));
        else resolve({ response: response!, received: reader.received });
      };
      const onAbort = () => done(new Aborted());
      const timer = setTimeout(() => done(new TimedOut()), Math.max(0, deadline - performance.now()));
      signal?.addEventListener("abort", onAbort, { once: true });
      connection.onData = (data) => {
        try {
          const response = reader.push(data);
          if (response) done(undefined, response);
        } catch (error) {
          done(error as Error);
        }
      };
      connection.onEnd = () => {
        try {
          done(undefined, reader.end());
        } catch (error) {
          done(error as Error);
        }
      };
      connection.onError = (error) => done(error);
      connection.socket.ref();
      // One writev of the head and the body as given, rather than copying both into a buffer of their own.
      connection.socket.cork();
      connection.socket.write(head, "utf8");
      connection.socket.write(body);
      connection.socket.uncork();
    });

  const once = async (lane: Lane, url: URL, body: Buffer, post: PostOptions, deadline: number): Promise<Exchange & { location?: string | undefined }> => {
    const started = performance.now();
    let received = 0;
    const fail = (error: string, aborted = false): Exchange => ({ ok: false, error, bytesSent: body.length, bytesReceived: received, ms: performance.now() - started, aborted });
    if (post.signal?.aborted) return { ok: false, error: "Request error: aborted", bytesSent: 0, bytesReceived: 0, ms: 0, aborted: true };
    const head = requestHead(url, body, post, options.acceptGzip === true);
    if (head === undefined) return fail("Request error: invalid header value");
    // osquery retries once on a new connection when an attempt fails other than by the deadline: a
    // keep-alive connection the server has just closed costs the agent one reconnect, not a failed request
    // (http_client.cpp sendHTTPRequest).
    for (let attempt = 1; ; attempt++) {
      let connection = connections.get(lane);
      try {
        if (!connection || !connection.open || connection.origin !== url.origin) {
          if (connection) close(lane, connection);
          connection = await connect(url, deadline, post.signal);
          connections.set(lane, connection);
        }
        const { response, received: bytes } = await roundTrip(connection, head, body, deadline, post.signal);
        received += bytes;
        if (response.close) close(lane, connection);
        let raw = response.body;
        if (options.acceptGzip && response.headers.get("content-encoding") === "gzip") {
          try {
            raw = gunzipSync(raw, { maxOutputLength: BODY_LIMIT });
          } catch {
            // osquery's decompressString returns "" on a bad stream, which then reads as an empty body.
            raw = Buffer.alloc(0);
          }
        }
        return {
          ok: true,
          status: response.status,
          body: raw.toString("utf8"),
          bytesSent: body.length,
          bytesReceived: received,
          ms: performance.now() - started,
          location: REDIRECTS.has(response.status) ? response.headers.get("location") : undefined,
        };
      } catch (error) {
        received += (error as { received?: number }).received ?? 0;
        if (connection) close(lane, connection);
        if (error instanceof Aborted) return fail("Request error: aborted", true);
        if (error instanceof TimedOut) return fail("Request error: Request timeout");
        if (attempt >= 2) return fail(`Request error: ${(error as Error).message}`);
      }
    }
  };

  // The five endpoints, parsed once rather than for every request.
  const urls = new Map<string, URL>();
  const exchange = async (path: string, body: Buffer, post: PostOptions): Promise<Exchange> => {
    let url = urls.get(path);
    if (!url) {
      url = new URL(prefix + path, base);
      if (urls.size < 16) urls.set(path, url);
    }
    const deadline = performance.now() + timeoutMs;
    let sent = 0;
    let received = 0;
    const started = performance.now();
    for (let redirects = 0; ; redirects++) {
      const result = await once(post.lane, url, body, post, deadline);
      sent += result.bytesSent;
      received += result.bytesReceived;
      if (!result.ok || result.location === undefined || redirects === 10) {
        const { location: _ignored, ...exchanged } = result;
        return { ...exchanged, bytesSent: sent, bytesReceived: received, ms: performance.now() - started };
      }
      try {
        url = new URL(result.location, url);
      } catch {
        return { ok: false, error: "Request error: bad Location in redirect", bytesSent: sent, bytesReceived: received, ms: performance.now() - started, aborted: false };
      }
    }
  };

  const inLane = (path: string, body: Buffer, post: PostOptions): Promise<Exchange> => {
    const previous = queues.get(post.lane);
    const next = () => exchange(path, body, post);
    const run = previous ? previous.then(next, next) : next();
    queues.set(post.lane, run);
    void run.finally(() => {
      if (queues.get(post.lane) === run) queues.delete(post.lane);
    });
    return run;
  };

  return {
    post: (path, body, post) => (options.limit ? options.limit(() => inLane(path, body, post)) : inLane(path, body, post)),
    close: () => {
      for (const [lane, connection] of connections) close(lane, connection);
      connections.clear();
    },
  };
}

const HEADER_VALUE = /^[^\r\n\0]*$/;

/**
 * The request line and headers as beast serialises osquery's: decorateRequest's headers (Content-Type,
 * Accept, User-Agent, Authorization, Content-Encoding), then Host, Accept-Encoding and Content-Length.
 * Undefined when a value would break the header block (a node key with a line break).
 */
function requestHead(url: URL, body: Buffer, post: PostOptions, acceptGzip: boolean): string | undefined {
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nContent-Type: application/json\r\nAccept: application/json\r\nUser-Agent: ${post.userAgent}\r\n`;
  if (post.authorization !== undefined) head += `Authorization: NodeKey ${post.authorization}\r\n`;
  if (post.gzip) head += "Content-Encoding: gzip\r\n";
  head += `Host: ${url.port && url.port !== defaultPort ? `${url.hostname}:${url.port}` : url.hostname}\r\n`;
  if (acceptGzip) head += "Accept-Encoding: gzip\r\n";
  head += `Content-Length: ${body.length}\r\n\r\n`;
  if (!HEADER_VALUE.test(post.userAgent) || (post.authorization !== undefined && !HEADER_VALUE.test(post.authorization))) return undefined;
  return head;
}
