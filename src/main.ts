import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import type { ScheduledJob, Scheduler } from "./jobs/scheduler.js";
import { environmentVariables, MIN_SECRET_LENGTH, parseConfig, splitSecrets, type Config, type FleetConfig } from "./config.js";
import type { Database } from "./db/client.js";
import type { Leadership } from "./db/locks.js";
import { StartupError } from "./errors.js";
import { createLogger, redactUrl, type Logger } from "./logger.js";
import type { PubSubOptions } from "./events/pubsub.js";
import type { RedisEvents } from "./events/redis.js";
import type { ResponseCache } from "./server/response-cache.js";
import type { SoftwareCounts } from "./store/software-catalog.js";
import { holdPort, type HeldPort } from "./server/hold-port.js";
import type { Server } from "./server/server.js";
import type { Fleet } from "./sources/agent/fleet.js";
import { readBuildInfo } from "./version.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
/** Made by `npm run build`; found from src/main.ts (tsx) and dist/main.js alike. */
const PGLITE_TEMPLATE_DIR = fileURLToPath(new URL("../dist/pglite-template", import.meta.url));
/** The web console's production build (npm run build:web, run by npm ci). */
const CONSOLE_DIR = fileURLToPath(new URL("../web/dist", import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Daily, at a quiet minute rather than on the hour when other jobs fire. */
const PRUNE_SCHEDULE = "17 3 * * *";
/** Result-line fingerprints are kept this long: agents resend within hours, not days. */
const LOG_DEDUPE_MS = 86_400_000;

interface Running {
  port?: HeldPort;
  leadership?: Leadership;
  scheduler?: Scheduler;
  collector?: { stop(): Promise<void> };
  server?: Server;
  fleet?: Fleet;
  responseCache?: ResponseCache;
  softwareCounts?: SoftwareCounts;
  redis?: RedisEvents;
  db?: Database;
}

/** Stops what started, in reverse order, logging each step; resolves false if any step failed. */
async function shutdown(running: Running, logger: Logger): Promise<boolean> {
  const steps: [string, (() => Promise<void>) | undefined][] = [
    [
      "scheduler",
      running.scheduler &&
        (async () => {
          // The scheduler waits for its runs; a collection in progress is cancelled at once rather
          // than awaited, or a slow or hung osqueryi would hold the shutdown past its deadline.
          const stopped = running.scheduler!.stop();
          await running.collector?.stop();
          await stopped;
        }),
    ],
    // Right after the schedule stops, so a follower takes over while we still drain connections.
    ["leadership", running.leadership && (() => running.leadership!.stop())],
    ["collection in progress", running.collector && (() => running.collector!.stop())],
    // Before the server: a poll waiting for an inventory place is answered now, not cut at the grace period.
    ["agent polls waiting for a hand-out", running.fleet && (async () => running.fleet!.stopWaiting())],
    ["server (websockets, HTTP)", running.server && (() => running.server!.close())],
    // Only while starting: once the server took the port over, closing the server closed it.
    ["port", running.port && (() => running.port!.release())],
    // After the server: the last requests' last-seen times are written too.
    ["agent last-seen times", running.fleet && (() => running.fleet!.stop())],
    ["response cache", running.responseCache && (async () => running.responseCache!.close())],
    // After everything that collects: the last collections' count changes are folded too.
    ["software counts", running.softwareCounts && (async () => {
      await running.softwareCounts!.close();
      await running.softwareCounts!.fold();
    })],
    ["redis", running.redis && (() => running.redis!.close())],
    ["database", running.db && (() => running.db!.close())],
  ];
  let ok = true;
  for (const [name, stop] of steps) {
    if (!stop) continue;
    logger.info({ step: name }, "stopping");
    try {
      await stop();
    } catch (error) {
      ok = false;
      logger.error({ err: error, step: name }, "failed to stop cleanly");
    }
  }
  return ok;
}

/** API_TOKEN, or the first line of API_TOKEN_FILE (a mounted secret); never logged. */
async function readToken(auth: Config["auth"]): Promise<string | null> {
  if (auth.tokenFile === null) return auth.token;
  const text = await readFileNamed(auth.tokenFile, "API_TOKEN_FILE");
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token.length < 16) throw new StartupError(`API_TOKEN_FILE ${auth.tokenFile} must hold a token of at least 16 characters`);
  return token;
}

async function readFileNamed(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new StartupError(`${variable} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** ENROLL_SECRET and the lines of ENROLL_SECRET_FILE: every one of them enrolls (a rotation has two). */
async function readEnrollSecrets(fleet: FleetConfig): Promise<string[]> {
  const secrets = [...fleet.secrets];
  if (fleet.secretFile !== null) {
    const fromFile = splitSecrets(await readFileNamed(fleet.secretFile, "ENROLL_SECRET_FILE"));
    if (fromFile.length === 0) throw new Error(`ENROLL_SECRET_FILE ${fleet.secretFile} holds no secret`);
    if (fromFile.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
      throw new Error(`ENROLL_SECRET_FILE ${fleet.secretFile}: each enroll secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    secrets.push(...fromFile);
  }
  return secrets;
}

/** host[:port] agents reach this server at, for the printed flagfile. */
function agentTlsHostname(config: Config, fleet: FleetConfig): string {
  if (fleet.tlsHostname) return fleet.tlsHostname;
  const { host, port } = config.server;
  const name = host === "0.0.0.0" || host === "::" ? hostname() : isIP(host) === 6 ? `[${host}]` : host;
  return port === 443 ? name : `${name}:${port}`;
}

function addresses(scheme: "http" | "https", host: string, port: number): { url: string; health: string } {
  const shown = host.includes(":") ? `[${host}]` : host;
  return { url: `${scheme}://${shown}:${port}/graphql`, health: `${scheme}://${shown}:${port}/health` };
}

const COMMANDS = ["migrate", "flagfile"] as const;
type Command = "serve" | (typeof COMMANDS)[number];

const USAGE = `Usage: node dist/main.js [command] [options]    (npm start -- [options])

Commands:
  (none)       open the database, apply migrations, serve the API and collect on the schedule
  migrate      apply database migrations and exit
  flagfile     print the osquery flagfile agents enroll with (fleet mode) and exit

Options:
  -h, --help       print this help and exit
  -v, --version    print the version and the source revision, and exit
`;

function help(): string {
  const variables = environmentVariables();
  const width = Math.max(...variables.map((v) => v.name.length));
  const lines = variables.map((v) => `  ${v.name.padEnd(width)}  ${v.defaultValue ?? "(unset)"}`);
  return `${USAGE}\nEnvironment (default; README "Configuration" says what each does):\n${lines.join("\n")}\n`;
}

/** Exits 2 with the usage on stderr: the command line is wrong, not the service. */
function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine(args: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    usageError((error as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(help());
    process.exit(0);
  }
  if (parsed.values.version) {
    const build = readBuildInfo(ROOT, process.env["SOURCE_REVISION"]);
    const revision = build.revision ? `${build.revision} (from ${build.revisionFrom})` : "unknown (not a git checkout, and SOURCE_REVISION is unset)";
    process.stdout.write(`${build.name} ${build.version}\nrevision ${revision}\nnode ${process.version}\n`);
    process.exit(0);
  }
  const [command, ...rest] = parsed.positionals;
  if (command !== undefined && !(COMMANDS as readonly string[]).includes(command)) usageError(`Unknown command "${command}".`);
  if (rest.length > 0) usageError(`Unexpected argument "${rest[0]}".`);
  return (command as Command | undefined) ?? "serve";
}

/**
 * WebAssembly runs on V8's baseline compiler only (Liftoff), never re-optimised by TurboFan: Prisma's
 * query compiler and PGlite's PostgreSQL are wasm, and TurboFan's compilations of them leave 60-75 MB
 * in malloc arenas that the process keeps. With PostgreSQL the CPU per request is unchanged (the query
 * compiler is a small share of it); on PGlite uncached reads take about 20% more CPU (README "Memory").
 * Set here, before anything compiles wasm, rather than on node's command line, so that every way of
 * starting the service (npm start, the image, the systemd unit, tests) gets it.
 */
function configureRuntime(): void {
  setFlagsFromString("--liftoff-only");
}

async function main(args: string[]): Promise<void> {
  configureRuntime();
  const command = parseCommandLine(args);
  const parsed = parseConfig(process.env, process.cwd());
  if (!parsed.ok) {
    process.stderr.write(`Invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    process.exit(1);
  }
  const { config } = parsed;
  if (command === "flagfile") {
    if (!config.fleet) {
      process.stderr.write("Fleet mode is off: set ENROLL_SECRET or ENROLL_SECRET_FILE, then print the flagfile again.\n");
      process.exit(1);
    }
    const { flagfile } = await import("./sources/agent/agent-config.js");
    process.stdout.write(flagfile({ tlsHostname: agentTlsHostname(config, config.fleet), fleet: config.fleet }));
    return;
  }
  const logger = createLogger(config.log);
  if (config.demo) {
    logger.warn("DEMO MODE: every host is simulated (npm run demo); nothing this service shows is a real machine's inventory");
  }
  const running: Running = {};

  let stopping = false;
  const stop = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    const force = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    void shutdown(running, logger).then((ok) => {
      logger.info("stopped");
      process.exit(ok ? exitCode : 1);
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM", 0));
  process.once("SIGINT", () => stop("SIGINT", 0));
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception");
    stop("uncaughtException", 1);
  });
  process.on("unhandledRejection", (error) => {
    logger.fatal({ err: error }, "unhandled rejection");
    stop("unhandledRejection", 1);
  });

  try {
    const build = readBuildInfo(ROOT, process.env["SOURCE_REVISION"]);
    logger.info({ version: build.version, revision: build.revision, node: process.version, command }, "starting");
    const tls = config.tls
      ? { cert: await readFileNamed(config.tls.certFile, "TLS_CERT_FILE"), key: await readFileNamed(config.tls.keyFile, "TLS_KEY_FILE") }
      : null;
    const scheme = tls ? "https" : "http";
    if (command === "serve") {
      running.port = await holdPort(config.server.port, config.server.host, tls, config.server.sockets);
      logger.info({ ...addresses(scheme, config.server.host, running.port.port), sockets: config.server.sockets }, "port bound; answering 503 until started");
    }
    // Imported once the port is held: the schema and Prisma take seconds to load, and a port that is
    // in use has to stop the start before that rather than after.
    const [
      { createCollector },
      { createOsqueryRunner, osqueryEnvironment },
      { createScheduler },
      { createContext },
      { openDatabase },
      { applyMigrations },
      { createPubSub },
      { createResponseCache, invalidateOnChanges },
      { schema },
      { createServer },
      { createHostSnapshots },
      { createInventoryStore },
      { createSoftwareCounts },
      { createRetention },
    ] = await Promise.all([
      import("./sources/local/collector.js"),
      import("./sources/local/osqueryi.js"),
      import("./jobs/scheduler.js"),
      import("./context.js"),
      import("./db/client.js"),
      import("./db/migrate.js"),
      import("./events/pubsub.js"),
      import("./server/response-cache.js"),
      import("./schema/index.js"),
      import("./server/server.js"),
      import("./store/host-snapshots.js"),
      import("./store/inventory-store.js"),
      import("./store/software-catalog.js"),
      import("./store/retention.js"),
    ]);
    if (stopping) return;
    const token = await readToken(config.auth);
    logger.info(
      {
        auth: token ? (config.auth.authReads ? "token for every operation" : "token for mutations") : "open",
        graphiql: config.http.graphiql,
        introspection: config.http.introspection,
        corsOrigins: config.http.corsOrigins,
        allowedHosts: config.http.allowedHosts?.map((h) => (h.port === null ? h.hostname : `${h.hostname}:${h.port}`)) ?? "any",
      },
      "access",
    );
    logger.info(
      config.database.kind === "postgres"
        ? { database: "postgres", url: redactUrl(config.database.url) }
        : { database: "pglite", dataDir: config.database.dataDir },
      "opening database",
    );
    const db = await openDatabase(config.database, logger.child({ component: "db" }), { pgliteTemplateDir: PGLITE_TEMPLATE_DIR });
    running.db = db;
    const conn = await db.connect();
    try {
      await applyMigrations(conn, MIGRATIONS_DIR, logger.child({ component: "migrate" }));
    } finally {
      await conn.release();
    }
    if (stopping) return;
    if (command === "migrate") {
      await db.close();
      logger.info("migrations are up to date");
      return;
    }

    let eventTarget: PubSubOptions["eventTarget"];
    if (config.redisUrl) {
      // ioredis is loaded only by the instances that use it, as is the agent API below.
      const { connectRedis } = await import("./events/redis.js");
      const redis = await connectRedis(config.redisUrl, logger.child({ component: "redis" }));
      running.redis = redis;
      eventTarget = redis.eventTarget;
    }
    const pubsub = createPubSub(eventTarget ? { eventTarget } : {});
    let responseCache: ResponseCache | undefined;
    if (config.responseCache.ttlMs > 0) {
      const cache = createResponseCache(config.responseCache);
      invalidateOnChanges(cache, pubsub);
      running.redis?.onReconnect(() => cache.invalidate());
      responseCache = cache;
      running.responseCache = cache;
    }
    const softwareCounts = createSoftwareCounts({ db: db.prisma, logger: logger.child({ component: "software-counts" }) });
    running.softwareCounts = softwareCounts;
    const inventory = createInventoryStore({ db: db.prisma, fallbackHostname: hostname(), counts: softwareCounts });
    const collector = config.collectLocal
      ? createCollector({
          runner: createOsqueryRunner({ ...config.osquery, env: osqueryEnvironment(process.env) }),
          store: inventory,
          pubsub,
          logger: logger.child({ component: "collector" }),
          locks: db.locks,
          hostSnapshots: createHostSnapshots(db.prisma),
          fallbackHostname: hostname(),
        })
      : null;
    if (collector) running.collector = collector;

    let fleet: Fleet | null = null;
    if (config.fleet) {
      const [{ buildAgentConfig }, { createFleet }] = await Promise.all([import("./sources/agent/agent-config.js"), import("./sources/agent/fleet.js")]);
      const secrets = await readEnrollSecrets(config.fleet);
      const agentConfig = buildAgentConfig(
        config.fleet,
        config.fleet.configFile === null ? null : await readFileNamed(config.fleet.configFile, "AGENT_CONFIG_FILE"),
      );
      if (!agentConfig.ok) throw new Error(agentConfig.error);
      fleet = createFleet({
        db: db.prisma,
        store: inventory,
        pubsub,
        logger: logger.child({ component: "agents" }),
        config: config.fleet,
        secrets,
        agentConfig: agentConfig.json,
        maxRows: config.osquery.maxRows,
        connections: db.connections,
        ...(running.redis ? { onEventsLost: running.redis.onReconnect } : {}),
      });
      running.fleet = fleet;
      logger.info(
        { secrets: secrets.length, inventoryIntervalSeconds: config.fleet.inventoryIntervalMs / 1000, distributedIntervalSeconds: config.fleet.distributedIntervalSeconds },
        "fleet mode: osquery agents enroll at /api/osquery/enroll",
      );
    }
    if (!collector && !config.fleet) logger.warn("COLLECT_LOCAL=false and no ENROLL_SECRET: this instance collects nothing and only serves the API");

    const context = createContext({
      db: db.prisma,
      read: db.read,
      pubsub,
      logger,
      collector,
      fleet: fleet?.context ?? null,
      demo: config.demo,
      inventory,
      collectRatePerMinute: config.collectRatePerMinute,
      historyCacheBytes: config.diffCacheBytes,
    });
    const retention = createRetention({ db: db.prisma, policy: config.retention, logger: logger.child({ component: "retention" }) });
    const server = createServer({
      schema,
      context,
      logger: logger.child({ component: "graphql" }),
      checkHealth: () => db.ping(),
      security: { token, authReads: config.auth.authReads, http: config.http, limits: config.limits },
      websocket: config.websocket,
      ...(responseCache ? { responseCache } : {}),
      ...(fleet ? { agentHttp: fleet.http, fleetExample: !collector } : {}),
      ...(tls ? { tls } : {}),
      ...(config.console ? { console: { dir: CONSOLE_DIR, ...config.console } } : {}),
    });
    running.server = server;
    const port = await server.listen(running.port!);
    delete running.port;
    const listening = addresses(scheme, config.server.host, port);
    logger.info(config.console ? { ...listening, console: listening.url.replace(/graphql$/, "") } : listening, "GraphQL server listening");
    if (config.tls) {
      // A renewed certificate (certbot, cert-manager) is picked up without a restart.
      const tlsFiles = config.tls;
      process.on("SIGHUP", () => {
        void (async () => {
          try {
            server.setTls({ cert: await readFileNamed(tlsFiles.certFile, "TLS_CERT_FILE"), key: await readFileNamed(tlsFiles.keyFile, "TLS_KEY_FILE") });
            logger.info("TLS certificate reloaded");
          } catch (error) {
            logger.error({ err: error }, "TLS certificate reload failed; the previous one is still served");
          }
        })();
      });
    }

    const jobs: ScheduledJob[] = [
      ...(collector ? [{ name: "collect-inventory", cron: config.collectSchedule, runAtStart: true, run: () => collector.collect() }] : []),
      {
        name: "prune-history",
        cron: PRUNE_SCHEDULE,
        runAtStart: true,
        run: async () => {
          const pruned = await retention.prune(new Date());
          await fleet?.logs.prune(new Date(Date.now() - LOG_DEDUPE_MS));
          const snapshots = pruned.failedSnapshots + pruned.succeededSnapshots;
          if (snapshots > 0) pubsub.publish("historyPruned", { snapshots });
        },
      },
    ];
    const scheduler = createScheduler(jobs, logger.child({ component: "scheduler" }));
    running.scheduler = scheduler;
    if (stopping) return;
    scheduler.start();
    const leadership = db.locks.createLeadership({
      checkIntervalMs: config.leaderCheckMs,
      onChange: (leader) => scheduler.setActive(leader),
    });
    running.leadership = leadership;
    leadership.start();
  } catch (error) {
    // A port in use or a data directory another process holds is a fact about the machine; its
    // message says what to do, and a stack would only point at the code that found it.
    if (error instanceof StartupError) logger.fatal({ reason: error.message }, "failed to start");
    else logger.fatal({ err: error }, "failed to start");
    stop("startup failure", 1);
  }
}

void main(process.argv.slice(2));
