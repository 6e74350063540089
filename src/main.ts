import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { createCollector } from "./sources/local/collector.js";
import type { ScheduledJob } from "./jobs/scheduler.js";
import { createOsqueryRunner, osqueryEnvironment } from "./sources/local/osqueryi.js";
import { createScheduler, type Scheduler } from "./jobs/scheduler.js";
import { parseConfig, type Config } from "./config.js";
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

const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Daily, at a quiet minute rather than on the hour when other jobs fire. */
const PRUNE_SCHEDULE = "17 3 * * *";

interface Running {
  leadership?: Leadership;
  scheduler?: Scheduler;
  collector?: { stop(): Promise<void> };
  server?: Server;
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

async function main(command: string | undefined): Promise<void> {
  if (command !== undefined && command !== "migrate") {
    process.stderr.write(`Unknown command "${command}". Usage: main.ts [migrate]\n`);
    process.exit(2);
  }
  const parsed = parseConfig(process.env, process.cwd());
  if (!parsed.ok) {
    process.stderr.write(`Invalid configuration:\n${parsed.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    process.exit(1);
  }
  const { config } = parsed;
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
    }
    const inventory = createInventoryStore({ db: db.prisma, fallbackHostname: hostname() });
    const collector = createCollector({
      runner: createOsqueryRunner({ ...config.osquery, env: osqueryEnvironment(process.env) }),
      store: inventory,
      pubsub,
      logger: logger.child({ component: "collector" }),
      locks: db.locks,
      hostSnapshots: createHostSnapshots(db.prisma),
      fallbackHostname: hostname(),
    });
    running.collector = collector;

    const context = createContext({
      db: db.prisma,
      pubsub,
      logger,
      collector,
      inventory,
      collectRatePerMinute: config.collectRatePerMinute,
    });
    const retention = createRetention({ db: db.prisma, policy: config.retention, logger: logger.child({ component: "retention" }) });
    const server = createServer({
      schema,
      context,
      logger: logger.child({ component: "graphql" }),
      checkHealth: () => db.ping(),
      security: { token, authReads: config.auth.authReads, http: config.http, limits: config.limits },
      ...(responseCache ? { responseCache } : {}),
    });
    running.server = server;
    const port = await server.listen(config.server.port, config.server.host);
    const shownHost = config.server.host.includes(":") ? `[${config.server.host}]` : config.server.host;
    logger.info({ url: `http://${shownHost}:${port}/graphql`, health: `http://${shownHost}:${port}/health` }, "GraphQL server listening");

    const jobs: ScheduledJob[] = [
      { name: "collect-inventory", cron: config.collectSchedule, runAtStart: true, run: () => collector.collect() },
      {
        name: "prune-history",
        cron: PRUNE_SCHEDULE,
        runAtStart: true,
        run: async () => {
          const pruned = await retention.prune(new Date());
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
