import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_CSP, IMMUTABLE, type ConsoleOptions } from "../../src/server/console.js";
import { OPEN_SECURITY } from "../../src/server/server.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { createHarness, type Harness } from "../helpers/harness.js";
import { createFakeMachine, type FakeMachine } from "../helpers/machine.js";
import { startService, type ServiceProcess } from "../helpers/service.js";
import { ubuntu } from "../helpers/machine.js";
import { makeTempDir } from "../helpers/temp.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The bytes as sent (still gzipped when content-encoding says so). */
  body: Buffer;
  text: string;
}

/** A raw HTTP request: fetch would decompress and hide what was sent. */
function get(origin: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        const text = (res.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8");
        resolve({ status: res.statusCode!, headers: res.headers, body, text });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="app"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify("x".repeat(4000))});\n`;

/** A console build as Vite writes it: index.html, hashed assets, a hidden source map, .gz next to each. */
async function writeBuild(dir: string) {
  await mkdir(join(dir, "assets"), { recursive: true });
  const files: Record<string, string> = {
    "index.html": INDEX,
    "favicon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "assets/index-abc123.js": SCRIPT,
    "assets/index-abc123.js.map": '{"version":3,"sources":["main.tsx"],"mappings":""}',
    "assets/index-def456.css": "body{color:red}",
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text);
    await writeFile(join(dir, `${name}.gz`), gzipSync(text));
  }
}

describe.each<[string, Omit<ConsoleOptions, "dir">]>([
  ["production", { sourceMaps: false, immutableAssets: true }],
  ["development", { sourceMaps: true, immutableAssets: false }],
])("the web console served by the service (%s)", (_mode, options) => {
  let h: Harness;
  let origin: string;
  let build: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    build = await makeTempDir("console-build");
    await writeBuild(build.path);
    h = await createHarness("pglite", ubuntu(), {
      console: { dir: build.path, ...options },
      responseCache: false,
      security: { ...OPEN_SECURITY, http: { ...OPEN_SECURITY.http, allowedHosts: [{ hostname: "127.0.0.1", port: null }] } },
    });
    origin = (await h.listen()).replace("localhost", "127.0.0.1");
  });
  afterAll(async () => {
    await h?.dispose();
    await build?.remove();
  });

  it("when / is opened, then index.html comes with a strict CSP, revalidation, nosniff and no referrer", async () => {
    const answer = await get(origin, "/");
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(INDEX);
    expect(answer.headers["content-type"]).toMatch(/^text\/html/);
    expect(answer.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toMatch(/default-src 'none'/);
    expect(CONSOLE_CSP).toMatch(/script-src 'self'(;|$)/);
    expect(CONSOLE_CSP).not.toMatch(/unsafe|\*|http/);
    expect(answer.headers["cache-control"]).toBe("no-cache");
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    expect(answer.headers["referrer-policy"]).toBe("no-referrer");
    expect(answer.headers["etag"]).toBeTruthy();
    const again = await get(origin, "/", { "if-none-match": String(answer.headers["etag"]) });
    expect(again.status).toBe(304);
  });

  it.each(["/hosts/SG9zdDox", "/hosts/SG9zdDox/snapshots/U25hcHNob3Q6Mw%3D%3D?against=x", "/software/title?name=python3.11&source=deb_packages", "/software"])(
    "when a deep link %s is opened, then the console's index.html answers",
    async (path) => {
      const answer = await get(origin, path);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(INDEX);
      expect(answer.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    },
  );

  it("when a hashed asset is asked for with gzip, then the precompressed file is sent, cached as the mode says", async () => {
    const answer = await get(origin, "/assets/index-abc123.js", { "accept-encoding": "gzip, deflate, br" });
    expect(answer.status).toBe(200);
    expect(answer.headers["content-encoding"]).toBe("gzip");
    expect(answer.headers["vary"]).toMatch(/Accept-Encoding/i);
    expect(answer.headers["content-type"]).toMatch(/javascript/);
    expect(answer.body.length).toBeLessThan(SCRIPT.length / 4);
    expect(answer.text).toBe(SCRIPT);
    expect(answer.headers["cache-control"]).toBe(options.immutableAssets ? IMMUTABLE : "no-cache");
    expect(answer.headers["sourcemap"]).toBe(options.sourceMaps ? "/assets/index-abc123.js.map" : undefined);
    const plain = await get(origin, "/assets/index-abc123.js");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
  });

  it("when a source map is asked for, then it is served only where source maps are on, however the path is spelled", async () => {
    for (const path of ["/assets/index-abc123.js.map", "/assets/index-abc123.js%2Emap", "/assets/index-abc123.js.MAP"]) {
      const answer = await get(origin, path);
      // .MAP is another file name (a case-sensitive disk); the escaped dot is the same file.
      if (options.sourceMaps && !path.endsWith(".MAP")) {
        expect(answer.status, path).toBe(200);
        expect(answer.text).toMatch(/"version":3/);
      } else {
        expect(answer.status, path).toBe(404);
      }
    }
  });

  it("when a missing asset is asked for, then it is a 404, not the console's HTML", async () => {
    const answer = await get(origin, "/assets/index-000000.js");
    expect(answer.status).toBe(404);
    expect(answer.text).not.toMatch(/<html/);
  });

  it("when a file of the build is gone from the disk (web/dist rebuilt under the running service), then asking for it fails that request alone, logged; the service carries on", async () => {
    const gone = "/assets/index-def456.css";
    expect((await get(origin, gone)).status).toBe(200);
    await rm(join(build.path, gone));
    await rm(join(build.path, `${gone}.gz`));
    const answer = await get(origin, gone, { "accept-encoding": "gzip" }).catch((error: Error) => error);
    if (options.immutableAssets) {
      // Production knows the files it started with, and sends the headers of one before reading it.
      expect(answer).toBeInstanceOf(Error);
      expect((answer as Error).message).toMatch(/socket hang up|ECONNRESET|aborted/);
      await expect.poll(() => h.logs.find((l) => l.msg === "console file unreadable")).toMatchObject({ level: "warn", path: gone, err: { code: "ENOENT" } });
    } else {
      expect((answer as Answer).status).toBe(404);
    }
    expect((await get(origin, "/health")).status).toBe(200);
    expect((await get(origin, "/")).text).toBe(INDEX);
  });

  it("when the console is sent anything but GET or HEAD, then it answers 405; HEAD has headers and no body", async () => {
    const post = await get(origin, "/", { "content-type": "application/json" }, "POST");
    expect(post.status).toBe(405);
    expect(post.headers["allow"]).toBe("GET, HEAD");
    const head = await get(origin, "/", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("when the Host header names another server, then the console is refused like the API (DNS rebinding)", async () => {
    expect((await get(origin, "/", { host: "127.0.0.1" })).status).toBe(200);
    const refused = await get(origin, "/", { host: "attacker.example" });
    expect(refused.status).toBe(421);
    expect(refused.text).toMatch(/HOST_NOT_ALLOWED/);
  });

  it("when /graphql, /health and GraphiQL are asked for, then they answer as before, next to the console", async () => {
    const health = await get(origin, "/health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: "ok" });
    const api = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ hosts(first: 1) { totalCount } }" }) });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ data: { hosts: { totalCount: expect.any(Number) } } });
  });

  it("when a browser opens GraphiQL, then the page is sent gzipped with an ETag, and revalidating it costs a 304", async () => {
    const raw = await get(origin, "/graphql", { accept: "text/html" });
    expect(raw.status).toBe(200);
    expect(raw.headers["content-encoding"]).toBeUndefined();
    expect(raw.text).toMatch(/graphiql/i);
    const zipped = await get(origin, "/graphql", { accept: "text/html,application/xhtml+xml", "accept-encoding": "gzip, br" });
    expect(zipped.status).toBe(200);
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(zipped.headers["cache-control"]).toBe("no-cache");
    expect(zipped.headers["vary"]).toBe("Accept-Encoding");
    expect(zipped.text).toBe(raw.text);
    // ~9 MB inlined scripts; gzip takes it to well under a third.
    expect(raw.body.length).toBeGreaterThan(1_000_000);
    expect(zipped.body.length).toBeLessThan(raw.body.length / 3);
    const etag = String(zipped.headers["etag"]);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(raw.headers["etag"]).toBe(etag);
    const revalidated = await get(origin, "/graphql", { accept: "text/html", "accept-encoding": "gzip", "if-none-match": `W/"other", ${etag}` });
    expect(revalidated.status).toBe(304);
    expect(revalidated.body.length).toBe(0);
    const refused = await get(origin, "/graphql", { accept: "text/html", "accept-encoding": "gzip;q=0" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });
});

describe("the web console before it is built", () => {
  let h: Harness;
  let origin: string;
  let empty: Awaited<ReturnType<typeof makeTempDir>>;
  beforeAll(async () => {
    empty = await makeTempDir("console-empty");
    h = await createHarness("pglite", ubuntu(), { console: { dir: empty.path, sourceMaps: false, immutableAssets: true } });
    origin = (await h.listen()).replace("localhost", "127.0.0.1");
  });
  afterAll(async () => {
    await h?.dispose();
    await empty?.remove();
  });

  it("when web/dist is missing, then / says how to build it (503), and once it is built, it is served without a restart", async () => {
    const missing = await get(origin, "/");
    expect(missing.status).toBe(503);
    expect(missing.text).toMatch(/npm run build:web/);
    await writeBuild(empty.path);
    const built = await get(origin, "/");
    expect(built.status).toBe(200);
    expect(built.text).toBe(INDEX);
  });
});

describe("the web console as `npm start` serves it (NODE_ENV=production)", () => {
  const dist = fileURLToPath(new URL("../../web/dist", import.meta.url));
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;

  beforeAll(async () => {
    // npm ci builds it (postinstall); a checkout without it cannot pass this test.
    if (!existsSync(join(dist, "index.html"))) throw new Error(`${dist} is missing: run npm ci or npm run build:web`);
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu());
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, NODE_ENV: "production" });
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when / is opened, then the production build comes with its CSP; its hashed assets are immutable and gzipped, and no source map is served", async () => {
    const listening = service.logs.find((l) => l.msg === "GraphQL server listening")!;
    expect(listening["console"]).toBe(`${service.origin}/`);
    const index = await get(service.origin, "/", { "accept-encoding": "gzip" });
    expect(index.status).toBe(200);
    expect(index.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.text).toBe(await readFile(join(dist, "index.html"), "utf8"));
    const assets = [...index.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const answer = await get(service.origin, asset, { "accept-encoding": "gzip" });
      expect(answer.status, asset).toBe(200);
      expect(answer.headers["cache-control"], asset).toBe(IMMUTABLE);
      expect(answer.headers["content-encoding"], asset).toBe("gzip");
      expect(answer.headers["sourcemap"], asset).toBeUndefined();
      expect(answer.text, asset).not.toMatch(/sourceMappingURL/);
      if (asset.endsWith(".js")) expect((await get(service.origin, `${asset}.map`)).status).toBe(404);
    }
    // GraphiQL is off in production unless GRAPHIQL=true: the browser gets the API's answer, not the console.
    const graphiql = await get(service.origin, "/graphql", { accept: "text/html" });
    expect(graphiql.text).not.toMatch(/<div id="app">/);
  });
});
