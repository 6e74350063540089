import { spawn, execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { cpuTicks } from "../latest-data/processes.js";

/**
 * nginx in front of the service, as README "Fleet mode in the production layout" runs it
 * (deploy/nginx-agents.conf): the agents' connections end at nginx, which sends their requests over a
 * few kept-alive connections to the service. The bench runs without TLS, so this listens in plain
 * HTTP; everything else that shapes the traffic is the production file's (body limits and buffers,
 * keep-alive, timeouts, retries, upstream keep-alive).
 */
export interface AgentProxy {
  origin: string;
  /** CPU of nginx's processes since it started, in clock ticks. */
  ticks(): Promise<number>;
  stop(): Promise<void>;
}

/** A port free right now (nginx cannot report the port it chose for port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const NGINX = "/usr/sbin/nginx";

function nginxMissing(): string | null {
  try {
    execFileSync(NGINX, ["-v"], { stdio: "ignore" });
    return null;
  } catch {
    return `BENCH_FLEET_PROXY=nginx needs nginx at ${NGINX} (apt-get install nginx-light)`;
  }
}

export async function startAgentProxy(upstreamOrigin: string, dir: string): Promise<AgentProxy> {
  const missing = nginxMissing();
  if (missing) throw new Error(missing);
  const prefix = join(dir, "nginx");
  await mkdir(join(prefix, "temp"), { recursive: true });
  const port = await freePort();
  const upstream = new URL(upstreamOrigin).host;
  // Two workers, one per core, each with a listening socket of its own (reuseport) so the kernel
  // spreads connections evenly; a worker holds up to two descriptors per agent connection.
  const conf = `
worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  upstream inventory_api {
    server ${upstream};
    keepalive 32;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port} reuseport;
    keepalive_timeout 120s;
    keepalive_requests 100000;
    client_max_body_size 16m;
    client_body_buffer_size 1m;
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_connect_timeout 2s;
    proxy_read_timeout 14s;
    proxy_next_upstream error timeout non_idempotent;
    proxy_next_upstream_tries 2;
    location /api/osquery/ { proxy_pass http://inventory_api; }
    location / { default_type application/json; return 404 '{"error":"not an agent endpoint"}\\n'; }
    error_page 502 503 504 = @unavailable;
    location @unavailable { default_type application/json; return 503 '{"error":"the inventory service is unavailable"}\\n'; }
  }
}
`;
  const confFile = join(prefix, "nginx.conf");
  await writeFile(confFile, conf);
  const child = spawn(NGINX, ["-p", prefix, "-c", confFile, "-e", join(prefix, "error.log")], { stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${await readFile(join(prefix, "error.log"), "utf8").catch(() => "")}`);
    const ok = await fetch(`${origin}/`).then((r) => r.status === 404, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error("nginx did not answer within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const workers = execFileSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" }).trim().split("\n").map(Number);
  const pids = [child.pid!, ...workers];
  return {
    origin,
    async ticks() {
      let sum = 0;
      for (const pid of pids) sum += await cpuTicks(pid);
      return sum;
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGQUIT");
      await exited;
    },
  };
}
