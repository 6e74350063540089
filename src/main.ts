import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { fileURLToPath } from "node:url";
import { createCollector } from "./sources/local/collector.js";
import type { ScheduledJob } from "./jobs/scheduler.js";
import { createOsqueryRunner, osqueryEnvironment } from "./sources/local/osqueryi.js";
import { createScheduler, type Scheduler } from "./jobs/scheduler.js";
import { MIN_SECRET_LENGTH, parseConfig, splitSecrets, type Config, type FleetConfig } from "./config.js";
import { createContext } from "./context.js";
import { openDatabase, type Database } from "./db/client.js";
import type { Leadership } from "./db/locks.js";
import { applyMigrations } from "./db/migrate.js";
import { createLogger, redactUrl, type Logger } from "./logger.js";
import { createPubSub, type PubSubOptions } from "./events/pubsub.js";
import { connectRedis, type RedisEvents } from "./events/redis.js";
import { createResponseCache, invalidateOnChanges, type ResponseCache } from "./server/response-cache.js";
import { schema } from "./schema/index.js";
import { createServer, type Server } from "./server/server.js";
import { createHostSnapshots } from "./store/host-snapshots.js";
import { createInventoryStore } from "./store/inventory-store.js";
import { createRetention } from "./store/retention.js";
import { buildAgentConfig, flagfile } from "./sources/agent/agent-config.js";
import { createFleet, type Fleet } from "./sources/agent/fleet.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Daily, at a quiet minute rather than on the hour when other jobs fire. */
const PRUNE_SCHEDULE = "17 3 * * *";
/** Result-line fingerprints are kept this long: agents resend within hours, not days. */
const LOG_DEDUPE_MS = 86_400_000;

interface Running {
  leadership?: Leadership;
  scheduler?: Scheduler;
  collector?: { stop(): Promise<void> };
  server?: Server;
  fleet?: Fleet;
  responseCache?: ResponseCache;
  redis?: RedisEvents;
  db?: Database;
}

/** Stops what started, in reverse order, logging each step; resolves false if any step failed. */
async function shutdown(running: Running, logger: Logger): Promise<boolean> {
  const steps: [string, (() => Promise<void>) | undefined][] = [
    ["scheduler", running.scheduler && (() => running.scheduler!.stop())],
    // Right after the schedule stops, so a follower takes over while we still drain connections.
    ["leadership", running.leadership && (() => running.leadership!.stop())],
    ["collection in progress", running.collector && (() => running.collector!.stop())],
    ["server (websockets, HTTP)", running.server && (() => running.server!.close())],
    // After the server: the last requests' last-seen times are written too.
    ["agent last-seen times", running.fleet && (() => running.fleet!.stop())],
    ["response cache", running.responseCache && (async () => running.responseCache!.close())],
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
  let text: string;
  try {
    text = await readFile(auth.tokenFile, "utf8");
  } catch (error) {
    throw new Error(`API_TOKEN_FILE ${auth.tokenFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token.length < 16) throw new Error(`API_TOKEN_FILE ${auth.tokenFile} must hold a token of at least 16 characters`);
  return token;
}

async function readFileNamed(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`${variable} ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
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

const COMMANDS = ["migrate", "flagfile"];

async function main(command: string | undefined): Promise<void> {
  if (command !== undefined && !COMMANDS.includes(command)) {
    process.stderr.write(`Unknown command "${command}". Usage: main.ts [${COMMANDS.join("|")}]\n`);
    process.exit(2);
  }
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
    process.stdout.write(flagfile({ tlsHostname: agentTlsHostname(config, config.fleet), fleet: config.fleet }));
    return;
  }
  const logger = createLogger(config.log);
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
    const db = await openDatabase(config.database, logger.child({ component: "db" }));
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
    const inventory = createInventoryStore({ db: db.prisma, fallbackHostname: hostname() });
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
      pubsub,
      logger,
      collector,
      fleet: fleet?.context ?? null,
      inventory,
      collectRatePerMinute: config.collectRatePerMinute,
    });
    const retention = createRetention({ db: db.prisma, policy: config.retention, logger: logger.child({ component: "retention" }) });
    const tls = config.tls
      ? { cert: await readFileNamed(config.tls.certFile, "TLS_CERT_FILE"), key: await readFileNamed(config.tls.keyFile, "TLS_KEY_FILE") }
      : null;
    const server = createServer({
      schema,
      context,
      logger: logger.child({ component: "graphql" }),
      checkHealth: () => db.ping(),
      security: { token, authReads: config.auth.authReads, http: config.http, limits: config.limits },
      websocket: config.websocket,
      ...(responseCache ? { responseCache } : {}),
      ...(fleet ? { agentHttp: fleet.http } : {}),
      ...(tls ? { tls } : {}),
    });
    running.server = server;
    const port = await server.listen(config.server.port, config.server.host);
    const shownHost = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
    const scheme = tls ? "https" : "http";
    logger.info({ url: `${scheme}://${shownHost}:${port}/graphql`, health: `${scheme}://${shownHost}:${port}/health` }, "GraphQL server listening");
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
    logger.fatal({ err: error }, "failed to start");
    stop("startup failure", 1);
  }
}

void main(process.argv[2]);
