import { createLimiter } from "../../../src/concurrency.js";
import { createAgent, type Agent, type AgentOptions } from "./agent.js";
import { createCatalog, type Catalog } from "./catalog.js";
import { createSimulatedHost, type ChurnRates, type SimulatedHost } from "./host.js";
import { mix } from "./random.js";
import { createStats, reportOf, type AgentStats, type StatsReport } from "./stats.js";
import { PLATFORMS, type Platform } from "./tables.js";
import { createTransport, secureContextFor } from "./transport.js";

export type AgentSettings = Omit<AgentOptions, "host" | "url" | "ca" | "stats" | "transport">;

export interface FleetOptions {
  url: string;
  ca?: string | Buffer;
  /** How many hosts. */
  hosts: number;
  /** Index of the first host: child processes take disjoint ranges of one fleet. @default 0 */
  firstIndex?: number;
  /** @default 1 */
  seed?: number;
  /** Relative weights of the platforms. @default { darwin: 4, windows: 3, ubuntu: 2, rhel: 1 } */
  mix?: Partial<Record<Platform, number>>;
  /** Requests in flight across the whole fleet. @default 256 */
  concurrency?: number;
  /** Host starts spread evenly over this many (unscaled) seconds, so enrollment is not one burst. @default 0 */
  rampUpSeconds?: number;
  /** Rows in each host's software table, for all platforms or per platform. */
  softwareCount?: number | Partial<Record<Platform, number>>;
  /** Churn per re-read of the software table. */
  churn?: number | ChurnRates;
  /** @default "5.23.1" */
  osqueryVersion?: string;
  /** What every agent is configured with (enroll secret, intervals, time scale, host identifier…). */
  agent?: AgentSettings;
}

export interface Fleet {
  readonly hosts: readonly SimulatedHost[];
  readonly agents: readonly Agent[];
  readonly stats: AgentStats;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Counters, latency percentiles, and this process's CPU time since start(). */
  report(): StatsReport;
}

const DEFAULT_MIX: Record<Platform, number> = { darwin: 4, windows: 3, ubuntu: 2, rhel: 1 };

/** The platform of host `index`: a deterministic weighted pick, so every process agrees on it. */
export function platformOf(seed: number, index: number, weights: Partial<Record<Platform, number>> = DEFAULT_MIX): Platform {
  const entries = PLATFORMS.map((p) => [p, weights[p] ?? 0] as const).filter(([, w]) => w > 0);
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  if (total <= 0) throw new Error("the platform mix has no positive weight");
  let x = (mix(seed, index, 0xf1ee7) / 2 ** 32) * total;
  for (const [platform, weight] of entries) {
    if (x < weight) return platform;
    x -= weight;
  }
  return entries[entries.length - 1]![0];
}

/** Requests in flight are bounded with the service's own semaphore. */
export { createLimiter };

export function createFleet(options: FleetOptions): Fleet {
  const seed = options.seed ?? 1;
  const firstIndex = options.firstIndex ?? 0;
  const stats = createStats();
  const limit = createLimiter(options.concurrency ?? 256);
  const catalogs = new Map<Platform, Catalog>();
  const catalogOf = (platform: Platform) => {
    let catalog = catalogs.get(platform);
    if (!catalog) catalogs.set(platform, (catalog = createCatalog(platform)));
    return catalog;
  };
  const hosts: SimulatedHost[] = [];
  const agents: Agent[] = [];
  const secureContext = new URL(options.url).protocol === "https:" ? secureContextFor(options.ca) : undefined;
  for (let i = 0; i < options.hosts; i++) {
    const index = firstIndex + i;
    const platform = platformOf(seed, index, options.mix);
    const count = typeof options.softwareCount === "number" ? options.softwareCount : options.softwareCount?.[platform];
    const host = createSimulatedHost({
      platform,
      seed,
      index,
      catalog: catalogOf(platform),
      ...(count !== undefined ? { softwareCount: count } : {}),
      ...(options.churn !== undefined ? { churn: options.churn } : {}),
      ...(options.osqueryVersion !== undefined ? { osqueryVersion: options.osqueryVersion } : {}),
      ...(options.agent?.now !== undefined ? { now: options.agent.now } : {}),
    });
    hosts.push(host);
    const transport = createTransport({
      baseUrl: options.url,
      ca: options.ca,
      secureContext,
      timeoutMs: options.agent?.requestTimeoutMs,
      acceptGzip: options.agent?.tlsAcceptGzip,
      limit,
    });
    agents.push(createAgent({ ...options.agent, host, url: options.url, stats, transport }));
  }

  let cpuAtStart = process.cpuUsage();
  let startedAt = performance.now();
  const rampTimers = new Set<NodeJS.Timeout>();
  const startedAgents = new Set<Agent>();

  return {
    hosts,
    agents,
    stats,
    start: async () => {
      cpuAtStart = process.cpuUsage();
      startedAt = performance.now();
      const spread = (options.rampUpSeconds ?? 0) * 1000;
      await Promise.all(
        agents.map(
          (agent, i) =>
            new Promise<void>((resolve) => {
              const begin = () => {
                startedAgents.add(agent);
                void agent.start().then(resolve);
              };
              if (spread === 0) return begin();
              const timer = setTimeout(() => {
                rampTimers.delete(timer);
                begin();
              }, (spread * i) / agents.length);
              rampTimers.add(timer);
              // A fleet stopped during the ramp-up resolves start() without starting the rest.
              timer.unref();
              resolve();
            }),
        ),
      );
    },
    stop: async () => {
      for (const timer of rampTimers) clearTimeout(timer);
      rampTimers.clear();
      await Promise.all([...startedAgents].map((agent) => agent.stop()));
      startedAgents.clear();
    },
    report: () => {
      const cpu = process.cpuUsage(cpuAtStart);
      return reportOf(stats, { cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 }, wallMs: performance.now() - startedAt, hosts: hosts.length });
    },
  };
}
