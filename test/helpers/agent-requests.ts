import { readFileSync } from "node:fs";
import { fixture, fixtureRows } from "./machine.js";
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
  /** Aborting closes the request's connection, as osquery does at its deadline. */
  signal?: AbortSignal;
}

/**
 * One raw request to the agent API over HTTPS, verifying the server against the test CA as osquery
 * does. For protocol edge cases (wrong keys, malformed and oversized bodies); whole agents are in
 * test/helpers/agent-simulator.
 */
export function postAgent(origin: string, path: string, body: unknown, { ca, headers = {}, gzip = false, method = "POST", signal }: AgentRequestOptions): Promise<AgentReply> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const payload = gzip ? gzipSync(raw) : raw;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, origin),
      {
        method,
        ca,
        agent: false,
        ...(signal ? { signal } : {}),
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "user-agent": "osquery/5.23.1",
          ...(headers["transfer-encoding"] ? {} : { "content-length": String(payload.length) }),
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

/** A fetch that trusts the test CA, for GraphQL over HTTPS (Node's fetch takes no CA of its own). */
export function fetchWithCa(ca: string): (input: string, init: RequestInit) => Promise<Response> {
  return (input, init) =>
    new Promise((resolve, reject) => {
      const body = typeof init.body === "string" ? init.body : "";
      const req = request(
        new URL(input),
        { method: init.method ?? "GET", ca, agent: false, headers: { ...(init.headers as Record<string, string>), "content-length": String(Buffer.byteLength(body)) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: res.headers as Record<string, string> })));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

/** The apps of the recorded macOS 14 fixture, as an agent reports them. */
export const MAC_APPS = fixtureRows("macos14_apps_projection.json");

/** What a simulated Mac agent answers to each inventory part (`apps` for the software table). */
export function macAnswer(part: string, apps = MAC_APPS): Record<string, string>[] {
  switch (part) {
    case "osquery_info":
      return [{ version: "5.23.1" }];
    case "os_version":
      return [{ name: "macOS", version: "14.4.1", platform: "darwin", platform_like: "darwin", build: "23E224", arch: "arm64" }];
    case "system_info":
      return [{ hostname: "jdoe-mbp.local", uuid: "7A1C2D3E-4F50-5A6B-8C7D-9E0F1A2B3C4D" }];
    default:
      return apps;
  }
}

/**
 * An enrollment as a macOS osqueryd sends it (test/fixtures/osquery/tls_enroll_request.json), for the
 * machine `uuid` named `hostname`.
 */
export function macEnrollment(secret: string, uuid: string, hostname: string) {
  const request = JSON.parse(readFileSync(fixture("tls_enroll_request.json"), "utf8")) as { host_details: Record<string, Record<string, string>> };
  const details = request.host_details;
  details["system_info"]!["uuid"] = uuid;
  details["system_info"]!["hostname"] = hostname;
  return { enroll_secret: secret, host_identifier: hostname, platform_type: "21", host_details: details };
}
