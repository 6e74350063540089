import type { Host } from "../generated/prisma/client.js";
import { escapeLike } from "../store/app-statements.js";
import type { HostFilterValues } from "../store/host-queries.js";
import type { Context } from "../context.js";
import { instantTime, type Instant } from "../db/instant.js";
import { HOST_COLUMNS, type ListedHost, type ListedHostKey } from "../store/host-statements.js";
import { CONNECTION_NODE, namingColumns, readingOf, selectedColumns } from "./columns.js";
import { appError, badInput, ErrorCode } from "../errors.js";
import { builder } from "./builder.js";
import { connectionById, decodeId } from "./paging.js";
import { dependsOnHosts } from "./scope.js";
import { checkText } from "./text-input.js";

/**
 * A host as Host's fields see it: a listed host (src/store/host-statements.ts: times as Instants,
 * int8 as text, only the columns its page's selection reads) or one Prisma's client read (all of
 * them, as Prisma types them).
 */
export type HostParent = { [K in ListedHostKey]: ListedHost[K] | Host[K] };

/**
 * A Host field's resolver that sees only the columns it names and the id: a listed page reads the
 * columns its selection's fields name (selectedColumns), so a field that read another would get undefined.
 */
export const reading = readingOf<HostParent, "id">();

/**
 * The agent's last request: the stored time, or a newer one this instance saw and has not written
 * yet (times are written in batches). Either way it changes without a snapshot, so a response with
 * it is not cached.
 */
function lastSeenAt(host: Pick<HostParent, "id" | "lastSeenAt">, ctx: Context): Instant | null {
  if (!ctx.fleet) return host.lastSeenAt;
  ctx.response.volatile = true;
  const held = ctx.fleet.lastSeenAt(host.id);
  if (!host.lastSeenAt) return held;
  return held && held.getTime() > instantTime(host.lastSeenAt) ? held : host.lastSeenAt;
}

/** Whether the host answered within the online window; this service's own machine is online while it runs. */
function isOnline(host: Pick<HostParent, "id" | "lastSeenAt" | "local">, ctx: Context): boolean {
  if (host.local) return true;
  const seen = lastSeenAt(host, ctx);
  if (!seen || !ctx.fleet) return false;
  return Date.now() - instantTime(seen) <= ctx.fleet.onlineWindowMs;
}

/**
 * Listed hosts as HostRef's nodes. Pothos types a prismaNode's parent as Prisma's full Host, which a
 * listed host is not; Host's fields read their parent only through `reading`, typed by the columns
 * they name (a test checks that every field names them), so this is the one place the type widens.
 */
export const listedNodes = async (rows: Promise<ListedHost[]>) => (await rows) as unknown as Host[];

/** An int8 column as a Float: Prisma's client reads it as a bigint, a listed page as text. */
const float = (value: bigint | string) => Number(value);

export const HostRef = builder.prismaNode("Host", {
  id: { field: "id" },
  // node(id:) of a record that does not exist, or no longer does, is null rather than an error.
  nullable: true,
  description:
    "A machine whose inventory is collected: this service's own machine (local osqueryi), an enrolled osquery agent (fleet mode), or both.",
  fields: (t) => ({
    hostname: t.string(reading(["hostname"], (host) => host.hostname)),
    platform: t.string({
      nullable: true,
      description: "osquery's platform name (darwin, ubuntu, rhel, windows, ...).",
      ...reading(["platform"], (host) => host.platform),
    }),
    osName: t.string({ nullable: true, description: "Operating system name, e.g. Ubuntu or macOS.", ...reading(["osName"], (host) => host.osName) }),
    osVersion: t.string({ nullable: true, ...reading(["osVersion"], (host) => host.osVersion) }),
    osqueryVersion: t.string({ nullable: true, ...reading(["osqueryVersion"], (host) => host.osqueryVersion) }),
    hardwareVendor: t.string({ nullable: true, ...reading(["hardwareVendor"], (host) => host.hardwareVendor) }),
    hardwareModel: t.string({ nullable: true, ...reading(["hardwareModel"], (host) => host.hardwareModel) }),
    hardwareSerial: t.string({ nullable: true, ...reading(["hardwareSerial"], (host) => host.hardwareSerial) }),
    cpuBrand: t.string({ nullable: true, ...reading(["cpuBrand"], (host) => host.cpuBrand) }),
    physicalMemory: t.float({
      nullable: true,
      description: "Bytes of RAM (a Float: exact up to 2^53).",
      ...reading(["physicalMemory"], (host) => (host.physicalMemory === null ? null : float(host.physicalMemory))),
    }),
    local: t.boolean({ description: "This service's own machine, inventoried by its local osqueryi.", ...reading(["local"], (host) => host.local) }),
    demo: t.boolean({
      description: "A simulated host: the service runs in demo mode (npm run demo), and nothing it shows is a real machine's inventory.",
      ...reading([], (_host, _args, ctx) => ctx.demo),
    }),
    enrolled: t.boolean({
      description: "An osquery agent is enrolled for this host with a valid node key (false once revoked).",
      ...reading(["nodeKeyHash"], (host) => host.nodeKeyHash !== null),
    }),
    agentIdentifier: t.string({
      nullable: true,
      description: "The host_identifier the agent sent at enrollment.",
      ...reading(["agentIdentifier"], (host) => host.agentIdentifier),
    }),
    enrolledAt: t.field({ type: "DateTime", nullable: true, description: "The agent's last enrollment.", ...reading(["enrolledAt"], (host) => host.enrolledAt) }),
    lastSeenAt: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "The agent's last request. Exact on the instance the agent talks to; other instances see it once it is written (every few seconds, in batches).",
      ...reading(["lastSeenAt"], (host, _args, ctx) => lastSeenAt(host, ctx)),
    }),
    online: t.boolean({
      description: "The agent made a request within the online window (AGENT_ONLINE_SECONDS); always true for this service's own machine.",
      ...reading(["local", "lastSeenAt"], (host, _args, ctx) => isOnline(host, ctx)),
    }),
    inventoryRequested: t.boolean({
      description: "collectSnapshot asked this host's agent for its inventory and the answer has not arrived yet.",
      ...reading(["inventoryRequestedAt"], (host) => host.inventoryRequestedAt !== null),
    }),
    resultLines: t.float({
      description: "Scheduled-query result lines the agent sent (counted, not stored).",
      ...reading(["resultLines"], (host, _args, ctx) => {
        // Counted as log batches arrive, which is no snapshot: the response cache must not keep it.
        ctx.response.volatile = true;
        return float(host.resultLines);
      }),
    }),
    createdAt: t.field({ type: "DateTime", ...reading(["createdAt"], (host) => host.createdAt) }),
    agentErrors: t.prismaField({
      type: ["AgentError"],
      description: "The agent's recent status lines of severity warning or error, newest first (at most AGENT_ERRORS_KEPT are kept).",
      args: { first: t.arg.int({ required: false, defaultValue: 20, description: "At most 100." }) },
      extensions: namingColumns([]),
      resolve: (query, host: Pick<HostParent, "id">, args, ctx) => {
        const first = args.first ?? 20;
        if (first < 0 || first > 100) throw badInput(`first must be between 0 and 100, got ${first}`, "first");
        // Stored as log batches arrive, which is no snapshot: the response cache must not keep them.
        ctx.response.volatile = true;
        return ctx.db.agentError.findMany({ ...query, where: { hostId: host.id }, orderBy: { id: "desc" }, take: first });
      },
    }),
  }),
});

const SeverityEnum = builder.enumType("AgentErrorSeverity", { values: ["WARNING", "ERROR"] as const, description: "osquery's glog severities 1 and 2." });

builder.prismaObject("AgentError", {
  description: "A status line of severity warning or error an enrolled agent logged.",
  fields: (t) => ({
    loggedAt: t.expose("loggedAt", { type: "DateTime", description: "When the agent logged it (its own clock)." }),
    receivedAt: t.expose("receivedAt", { type: "DateTime" }),
    severity: t.field({ type: SeverityEnum, resolve: (e) => (e.severity >= 2 ? "ERROR" : "WARNING") }),
    message: t.exposeString("message"),
    filename: t.exposeString("filename", { nullable: true, description: "osquery's source file that logged it." }),
    line: t.exposeInt("line", { nullable: true }),
    osqueryVersion: t.exposeString("osqueryVersion", { nullable: true }),
  }),
});

/**
 * The host an operation is about: the one named by `hostId`; else this service's own machine; else
 * the only host. Null when no host exists yet (before the first collection or enrollment).
 */
export async function resolveHostId(ctx: Context, hostId: string | null | undefined): Promise<number | null> {
  if (hostId != null) {
    const id = decodeId("Host", hostId, "hostId");
    if (!(await ctx.hosts.exists(id))) throw appError(ErrorCode.HOST_NOT_FOUND, `no host has the ID ${hostId}`, { argument: "hostId" });
    return id;
  }
  const local = await ctx.hosts.local();
  if (local !== null) return local;
  const hosts = await ctx.hosts.firstTwo();
  if (hosts.length > 1) throw badInput("hostId is required: this service has more than one host and none is its own machine (see the hosts query)", "hostId");
  return hosts[0] ?? null;
}

builder.queryField("host", (t) =>
  t.prismaField({
    type: "Host",
    nullable: true,
    description: "One host by ID; null when there is none.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _parent, args, ctx, info) => {
      const id = decodeId("Host", args.id, "id");
      // A host created later under this ID is created by a change of that host, which drops this answer.
      dependsOnHosts(ctx, info, [id]);
      return ctx.db.host.findUnique({ ...query, where: { id } });
    },
  }),
);

const HostFilterInput = builder.inputType("HostFilter", {
  fields: (t) => ({
    hostnameContains: t.string({ required: false, description: "Case-insensitive substring of the hostname." }),
    platform: t.string({ required: false, description: "osquery's platform name, exactly (darwin, ubuntu, rhel, windows, ...)." }),
    online: t.boolean({ required: false, description: "Only hosts that are (true) or are not (false) online." }),
  }),
});

const MAX_FILTER_LENGTH = 200;

interface HostFilter {
  hostnameContains?: string | null | undefined;
  platform?: string | null | undefined;
  online?: boolean | null | undefined;
}

/** The filter for the store; `online` is the same rule as Host.online. */
function hostFilter(filter: HostFilter | null | undefined, ctx: Context): HostFilterValues {
  if (!filter) return {};
  const values: HostFilterValues = {};
  if (filter.hostnameContains != null) {
    checkText(filter.hostnameContains, "filter.hostnameContains", MAX_FILTER_LENGTH);
    values.hostnameLike = `%${escapeLike(filter.hostnameContains)}%`;
  }
  if (filter.platform != null) {
    checkText(filter.platform, "filter.platform", MAX_FILTER_LENGTH);
    values.platform = filter.platform;
  }
  if (filter.online != null) {
    if (ctx.fleet) ctx.response.volatile = true;
    values.online = { value: filter.online, seenSince: ctx.fleet ? new Date(Date.now() - ctx.fleet.onlineWindowMs) : null };
  }
  return values;
}

builder.queryField("hosts", (t) =>
  t.connection(
    {
      type: HostRef,
      description: "Hosts, oldest first, optionally filtered. Cursors are stable: a walk never skips or repeats a host while others enroll.",
      args: { filter: t.arg({ type: HostFilterInput, required: false }) },
      resolve: async (_parent, args, ctx, info) => {
        const columns = selectedColumns(info, "Host", CONNECTION_NODE, HOST_COLUMNS);
        // The filter reads stored times: those this instance holds are stored first, so it agrees with Host.online here.
        if (args.filter?.online != null && ctx.fleet) await ctx.fleet.flushLastSeen();
        const filter = hostFilter(args.filter, ctx);
        const [page, totalCount] = await Promise.all([
          connectionById(args, "host", "asc", (range, direction, take) => listedNodes(ctx.hosts.page(filter, columns, range, direction, take))),
          ctx.hosts.count(filter),
        ]);
        return { ...page, totalCount };
      },
    },
    {
      name: "HostConnection",
      fields: (c) => ({
        totalCount: c.int({ description: "Hosts matching the filter.", resolve: (parent) => (parent as unknown as { totalCount: number }).totalCount }),
      }),
    },
    { name: "HostEdge" },
  ),
);

/** Platforms listed by hostPlatforms at most: a fleet has a handful, and agents name their own. */
export const MAX_PLATFORMS = 100;

const PlatformCountRef = builder.objectRef<{ platform: string; hostCount: number }>("PlatformCount").implement({
  description: "A platform and how many hosts have it.",
  fields: (t) => ({
    platform: t.exposeString("platform", { description: "As HostFilter.platform takes it." }),
    hostCount: t.exposeInt("hostCount"),
  }),
});

builder.queryField("hostPlatforms", (t) =>
  t.field({
    type: [PlatformCountRef],
    description:
      `The platforms of the fleet's hosts with their host counts, most hosts first, at most ${MAX_PLATFORMS}. ` +
      "Hosts that have not reported a platform yet are not counted.",
    resolve: async (_parent, _args, ctx) => {
      const groups = await ctx.db.host.groupBy({
        by: ["platform"],
        where: { platform: { not: null } },
        _count: { _all: true },
        orderBy: [{ _count: { platform: "desc" } }, { platform: "asc" }],
        take: MAX_PLATFORMS,
      });
      return groups.map((g) => ({ platform: g.platform!, hostCount: g._count._all }));
    },
  }),
);

builder.mutationField("revokeHost", (t) =>
  t.prismaField({
    type: "Host",
    description:
      "Revokes the node key of the host's agent: its next request is answered node_invalid, and it can come back only by enrolling again with a valid enroll secret. History is kept.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _parent, args, ctx) => {
      const id = decodeId("Host", args.id, "id");
      const found = await ctx.db.host.findUnique({ where: { id }, select: { id: true } });
      if (!found) throw appError(ErrorCode.HOST_NOT_FOUND, `no host has the ID ${args.id}`, { argument: "id" });
      const host = await ctx.db.host.update({ ...query, where: { id }, data: { nodeKeyHash: null, inventoryBatch: null, inventorySentAt: null } });
      ctx.pubsub.publish("agentChanged", { hostId: id, change: "revoked" });
      ctx.logger.info({ hostId: id }, "agent node key revoked");
      return host;
    },
  }),
);
