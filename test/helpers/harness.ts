import { Writable } from "node:stream";
import { createCollector, type Collector } from "../../src/sources/local/collector.js";
import { createOsqueryRunner, type OsqueryRunnerOptions } from "../../src/sources/local/osqueryi.js";
import { createContext } from "../../src/context.js";
import type { Database } from "../../src/db/client.js";
import { createLogger } from "../../src/logger.js";
import { createPubSub, type PubSub, type SnapshotEvent } from "../../src/events/pubsub.js";
import { createResponseCache, invalidateOnChanges, type ResponseCache, type ResponseCacheOptions } from "../../src/server/response-cache.js";
import { schema } from "../../src/schema/index.js";
import type { ConsoleOptions } from "../../src/server/console.js";
import { createServer, OPEN_SECURITY, type SecurityOptions, type Server } from "../../src/server/server.js";
import { createHostSnapshots } from "../../src/store/host-snapshots.js";
import { createInventoryStore } from "../../src/store/inventory-store.js";
import { createSoftwareCounts } from "../../src/store/software-catalog.js";
import type { FleetConfig } from "../../src/config.js";
import { buildAgentConfig } from "../../src/sources/agent/agent-config.js";
import { createFleet, type Fleet } from "../../src/sources/agent/fleet.js";
import { makeTestPki, type TestPki } from "./tls.js";
import { makeTempDir } from "./temp.js";
import type { Backend } from "./backends.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import type { Fetch } from "./graphql.js";
import { createFakeMachine, type FakeMachine, type Scenario } from "./machine.js";
import type { LogLine } from "./service.js";

export const ENDPOINT = "http://yoga.test/graphql";

/** The real components wired as main wires them, served through yoga.fetch (no socket). */
export interface Harness {
  database: TestDatabase;
  db: Database;
  machine: FakeMachine;
  collector: Collector;
  pubsub: PubSub;
  server: Server;
  fetch: Fetch;
  logs: LogLine[];
  /** Every snapshot event published on the pubsub, in order. */
  published: SnapshotEvent[];
  /** Null when the harness runs without one. */
  responseCache: ResponseCache | null;
  /** A collector like the harness's (same database, pubsub and locks) with other runner options. */
  collectorWith(runner: Partial<OsqueryRunnerOptions>): Collector;
  /** Fleet mode, when the harness was created with `fleet`. */
  fleet: Fleet | null;
  /** The test CA and server certificate, with `fleet` (the server listens with HTTPS). */
  pki: TestPki | null;
  /** Listens on 127.0.0.1 with a free port; resolves with the origin (https:// with `fleet`). */
  listen(): Promise<string>;
  dispose(): Promise<void>;
}

/** Fleet settings for tests: fast intervals, and the secrets agents enroll with. */
export const TEST_FLEET: FleetConfig = {
  secrets: ["test-enroll-secret-0001"],
  secretFile: null,
  inventoryIntervalMs: 3_600_000,
  collectWaitMs: 5_000,
  inventoryConcurrency: 32,
  handOutWaitMs: 5_000,
  distributedIntervalSeconds: 1,
  configRefreshSeconds: 10,
  loggerPeriodSeconds: 1,
  onlineWindowMs: 60_000,
  configFile: null,
  maxBodyBytes: 4 * 1024 * 1024,
  errorsKept: 5,
  tlsHostname: null,
  enrollRatePerMinute: 10_000,
};

export interface HarnessOptions {
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** The collector's clock (snapshot collectedAt). */
  now?: () => Date;
  /** Diffs the history keeps in memory; 0 makes every read hit the database. @default 64 */
  historyCacheBytes?: number;
  /** Access control and limits of the server. @default OPEN_SECURITY */
  security?: SecurityOptions;
  /** collectSnapshot calls per client and minute; high, so only the tests about it meet it. @default 10000 */
  collectRatePerMinute?: number;
  /**
   * The response cache as main sets it up by default, or with these options instead; false serves
   * every query from the database. @default true
   */
  responseCache?: boolean | Partial<ResponseCacheOptions>;
  /**
   * Drops cached responses this long after each change instead of before subscribers hear of it: a
   * broken service, to show that the stale-response tests notice. @default 0
   */
  invalidationDelayMs?: number;
  /** Fleet mode with these settings (see TEST_FLEET), served over HTTPS with a test CA. */
  fleet?: Partial<FleetConfig> & { agentConfig?: string; /** @default 200 */ lastSeenFlushMs?: number };
  /** The local collector; false runs without one (COLLECT_LOCAL=false). @default true */
  collectLocal?: boolean;
  /** Serve the web console from this build. @default none */
  console?: ConsoleOptions;
}

export async function createHarness(backend: Backend, scenario: Scenario, options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase(backend);
  const db = await database.open();
  const machine = await createFakeMachine(scenario);
  const logs: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  const pubsub = createPubSub();
  const responseCache =
    options.responseCache === false
      ? null
      : createResponseCache({
          ttlMs: 60_000,
          maxEntries: 1000,
          maxBytes: 32 * 1024 * 1024,
          maxEntryBytes: 1024 * 1024,
          ...(typeof options.responseCache === "object" ? options.responseCache : {}),
        });
  const delay = options.invalidationDelayMs ?? 0;
  if (responseCache) {
    invalidateOnChanges(delay > 0 ? { invalidate: (hostId) => void setTimeout(() => responseCache.invalidate(hostId), delay) } : responseCache, pubsub);
  }
  const published: SnapshotEvent[] = [];
  // Folds soon after each collection, so tests read counts both folded and pending.
  const softwareCounts = createSoftwareCounts({ db: db.prisma, logger, delayMs: 20 });
  const inventory = createInventoryStore({ db: db.prisma, fallbackHostname: "test-fallback-host", counts: softwareCounts });
  const collectorWith = (runner: Partial<OsqueryRunnerOptions>) =>
    createCollector({
      runner: createOsqueryRunner({
        binary: machine.binary,
        timeoutMs: options.timeoutMs ?? 20_000,
        maxOutputBytes: options.maxOutputBytes ?? 8 * 1024 * 1024,
        ...runner,
      }),
      store: inventory,
      pubsub,
      logger,
      locks: db.locks,
      hostSnapshots: createHostSnapshots(db.prisma),
      fallbackHostname: "test-fallback-host",
      ...(options.now ? { now: options.now } : {}),
    });
  const collector = collectorWith({});
  const events = pubsub.subscribe("snapshotUpdated");
  void (async () => {
    for await (const snapshot of events) published.push(snapshot);
  })();
  let fleet: Fleet | null = null;
  let pki: TestPki | null = null;
  const tlsDir = options.fleet ? await makeTempDir("tls") : null;
  if (options.fleet) {
    const { agentConfig: configText, lastSeenFlushMs = 200, ...overrides } = options.fleet;
    const config = { ...TEST_FLEET, ...overrides };
    const built = buildAgentConfig(config, configText ?? null);
    if (!built.ok) throw new Error(built.error);
    fleet = createFleet({
      db: db.prisma,
      store: inventory,
      pubsub,
      logger: logger.child({ component: "agents" }),
      config,
      secrets: config.secrets,
      agentConfig: built.json,
      maxRows: 200_000,
      lastSeenFlushMs,
      connections: db.connections,
    });
    pki = makeTestPki(tlsDir!.path);
  }
  const context = createContext({
    db: db.prisma,
    read: db.read,
    pubsub,
    logger,
    collector: options.collectLocal === false ? null : collector,
    fleet: fleet?.context ?? null,
    inventory,
    collectRatePerMinute: options.collectRatePerMinute ?? 10_000,
    ...(options.historyCacheBytes !== undefined ? { historyCacheBytes: options.historyCacheBytes } : {}),
  });
  const server = createServer({
    schema,
    context,
    logger,
    checkHealth: () => db.ping(),
    security: options.security ?? OPEN_SECURITY,
    ...(responseCache ? { responseCache } : {}),
    ...(fleet && pki ? { agentHttp: fleet.http, tls: { cert: pki.cert, key: pki.key } } : {}),
    ...(options.console ? { console: options.console } : {}),
  });
  return {
    database,
    db,
    machine,
    collector,
    pubsub,
    server,
    fetch: (input, init) => Promise.resolve(server.fetch(input, init)),
    logs,
    published,
    responseCache,
    collectorWith: (runner) => collectorWith(runner),
    fleet,
    pki,
    async listen() {
      const port = await server.listen(0, "127.0.0.1");
      return `${pki ? "https" : "http"}://localhost:${port}`;
    },
    async dispose() {
      await collector.stop();
      await events.return?.();
      await server.close();
      await fleet?.stop();
      await softwareCounts.close();
      await tlsDir?.remove();
      responseCache?.close();
      await machine.dispose();
      await database.dispose();
    },
  };
}
