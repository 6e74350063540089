import { filter, pipe } from "graphql-yoga";
import type { Snapshot } from "../generated/prisma/client.js";
import { SnapshotSource, SnapshotStatus } from "../generated/prisma/enums.js";
import { appError, badInput, CollectionError, ErrorCode } from "../errors.js";
import { builder } from "./builder.js";
import { reading, resolveHostId } from "./host.js";
import { dependsOnHosts } from "./scope.js";
import type { Context } from "../context.js";
import { snapshotFromEvent } from "../events/pubsub.js";
import { connectionById, decodeId, emptyConnection } from "./paging.js";

const SnapshotStatusEnum = builder.enumType(SnapshotStatus, { name: "SnapshotStatus" });
const SnapshotSourceEnum = builder.enumType(SnapshotSource, {
  name: "SnapshotSource",
  description: "LOCAL: this service ran osqueryi. AGENT: the host's enrolled osqueryd answered the inventory queries.",
});

export const SnapshotRef = builder.prismaNode("Snapshot", {
  id: { field: "id" },
  // node(id:) of a record that does not exist, or no longer does, is null rather than an error.
  nullable: true,
  description: "One collection run. A FAILED snapshot records why and changes nothing else.",
  fields: (t) => ({
    collectedAt: t.expose("collectedAt", { type: "DateTime" }),
    status: t.expose("status", { type: SnapshotStatusEnum }),
    source: t.expose("source", { type: SnapshotSourceEnum }),
    error: t.exposeString("error", { nullable: true, description: "Why the run failed: `[CODE] message`." }),
    appCount: t.exposeInt("appCount", { description: "Apps installed at this snapshot (0 when FAILED)." }),
    added: t.exposeInt("added", { description: "Apps that appeared since the host's previous SUCCEEDED snapshot." }),
    removed: t.exposeInt("removed", { description: "Apps that disappeared since the host's previous SUCCEEDED snapshot." }),
    alteredApps: t.exposeInt("alteredApps", {
      description:
        "Apps of this snapshot (of appCount) that could not be stored exactly as osquery reported them: those whose " +
        "App.alterations is not empty. 0 when FAILED.",
    }),
    version: t.relation("version", { nullable: true }),
    host: t.relation("host"),
  }),
});

/** A snapshot named by an argument, which must exist and have succeeded (FAILED ones have no app set). */
export async function succeededSnapshot(ctx: Context, id: string, argument: string): Promise<Snapshot> {
  const snapshotId = decodeId("Snapshot", id, argument);
  const snapshot = await ctx.apps.snapshot(snapshotId);
  if (!snapshot) throw appError(ErrorCode.NOT_FOUND, `${argument}: no snapshot has the ID ${id} (it may have been pruned)`, { argument });
  if (snapshot.status !== SnapshotStatus.SUCCEEDED) {
    throw badInput(`${argument}: snapshot ${id} is FAILED and has no app set`, argument);
  }
  return snapshot;
}

builder.queryField("snapshots", (t) =>
  t.connection({
    type: SnapshotRef,
    description: "The host's snapshots, newest first.",
    args: { hostId: t.arg.id({ required: false, description: "Defaults to the only host." }) },
    resolve: async (_parent, args, ctx, info) => {
      const hostId = await resolveHostId(ctx, args.hostId);
      if (hostId === null) return emptyConnection<Snapshot>();
      if (args.hostId != null) dependsOnHosts(ctx, info, [hostId]);
      return connectionById(args, "snapshot", "desc", (id, direction, take) =>
        ctx.db.snapshot.findMany({ where: { hostId, id }, orderBy: { id: direction }, take }),
      );
    },
  }, { name: "SnapshotConnection" }, { name: "SnapshotEdge" }),
);

builder.mutationField("collectSnapshot", (t) =>
  t.field({
    type: SnapshotRef,
    description:
      "Collects the inventory now and returns the snapshot it produced (SUCCEEDED or FAILED). " +
      "When a collection is already running, waits for it and returns its snapshot instead of starting another.",
    args: {
      hostId: t.arg.id({
        required: false,
        description:
          "This service's own machine (the default) runs osqueryi now. An enrolled agent's host is sent the inventory queries at its next check-in, " +
          "and the answer is waited for up to AGENT_COLLECT_WAIT_SECONDS (then COLLECTION_PENDING, with the refresh left queued).",
      }),
    },
    resolve: async (_parent, args, ctx) => {
      const budget = ctx.collectLimiter.take(ctx.viewer.client);
      if (!budget.ok) {
        throw appError(ErrorCode.RATE_LIMITED, `collectSnapshot was called too often from this client; retry in ${budget.retryAfterSeconds} s`, {
          retryAfter: budget.retryAfterSeconds,
          http: { status: 429, headers: { "retry-after": String(budget.retryAfterSeconds) } },
        });
      }
      const hostId = args.hostId != null ? await resolveHostId(ctx, args.hostId) : null;
      const host = hostId === null ? null : await ctx.db.host.findUnique({ where: { id: hostId }, select: { local: true, nodeKeyHash: true } });
      if (host && !host.local) {
        if (!ctx.fleet || host.nodeKeyHash === null) {
          throw badInput("this host has no enrolled osquery agent (it may have been revoked) and is not this service's own machine", "hostId");
        }
        const result = await ctx.fleet.refresh.request(hostId!);
        if (result.ok) return result.snapshot;
        if (result.reason === "not-enrolled") throw badInput("this host's agent was revoked", "hostId");
        const seconds = Math.round(ctx.fleet.refreshWaitMs / 1000);
        const held = ctx.fleet.lastSeenAt(hostId!);
        const lastSeen = held && (!result.lastSeenAt || held > result.lastSeenAt) ? held : result.lastSeenAt;
        throw appError(
          ErrorCode.COLLECTION_PENDING,
          `the agent has not answered within ${seconds} s (AGENT_COLLECT_WAIT_SECONDS); the refresh stays queued and is stored when the agent next checks in` +
            (lastSeen ? ` (last seen ${lastSeen.toISOString()})` : " (it has not been seen yet)"),
          { hostId: args.hostId },
        );
      }
      if (!ctx.collector) {
        throw badInput(
          "local collection is off (COLLECT_LOCAL=false): name an enrolled host with hostId",
          "hostId",
        );
      }
      try {
        return await ctx.collector.collect();
      } catch (error) {
        // Our own reasons are safe to show; anything else stays masked.
        if (error instanceof CollectionError) throw appError(ErrorCode.COLLECTION_FAILED, error.message, { reason: error.code });
        throw error;
      }
    },
  }),
);

builder.subscriptionField("snapshotUpdated", (t) =>
  t.field({
    type: SnapshotRef,
    description: "Every new snapshot, succeeded or failed, once it is stored.",
    args: { hostId: t.arg.id({ required: false, description: "Only this host's snapshots; all hosts when omitted." }) },
    subscribe: async (_parent, args, ctx) => {
      const hostId = args.hostId != null ? await resolveHostId(ctx, args.hostId) : null;
      const events = ctx.pubsub.subscribe("snapshotUpdated");
      return hostId === null ? events : pipe(events, filter((event) => event.hostId === hostId));
    },
    resolve: (event) => snapshotFromEvent(event),
  }),
);

// On Host, here rather than in host.ts, which snapshot.ts depends on. One query per page of hosts
// (NewestSnapshots batches them), not one per host.
builder.prismaObjectFields("Host", (t) => ({
  latestSnapshot: t.field({
    type: SnapshotRef,
    nullable: true,
    description: "The newest snapshot of this host, succeeded or failed.",
    ...reading([], (host, _args, ctx) => ctx.snapshots.newest(host.id)),
  }),
  latestSucceededSnapshot: t.field({
    type: SnapshotRef,
    nullable: true,
    description: "The newest SUCCEEDED snapshot: the inventory latestData shows (its appCount is the app count).",
    ...reading([], (host, _args, ctx) => ctx.snapshots.newestSucceeded(host.id)),
  }),
}));
