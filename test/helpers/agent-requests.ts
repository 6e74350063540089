import { request } from "node:https";
import { gzipSync } from "node:zlib";

export interface AgentReply {
  status: number;
  text: string;
  /** The body parsed, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface AgentRequestOptions {
  ca: string;
  headers?: Record<string, string>;
  gzip?: boolean;
  method?: string;
}

/**
 * One raw request to the agent API over HTTPS, verifying the server against the test CA as osquery
 * does. For protocol edge cases (wrong keys, malformed and oversized bodies); whole agents are in
 * test/helpers/agent-simulator.
 */
export function postAgent(origin: string, path: string, body: unknown, { ca, headers = {}, gzip = false, method = "POST" }: AgentRequestOptions): Promise<AgentReply> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const payload = gzip ? gzipSync(raw) : raw;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, origin),
      {
        method,
        ca,
        agent: false,
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": "osquery/5.23.1",
          "content-length": String(payload.length),
          ...(gzip ? { "content-encoding": "gzip" } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
