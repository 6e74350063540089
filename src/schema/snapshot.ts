import { filter, pipe } from "graphql-yoga";
import { SnapshotStatus } from "../generated/prisma/enums.js";
import { appError, CollectionError, ErrorCode } from "../errors.js";
import { builder } from "./builder.js";
import { resolveHostId } from "./host.js";
import { decodeCursor, encodeCursor, pageSize } from "./paging.js";

const SnapshotStatusEnum = builder.enumType(SnapshotStatus, { name: "SnapshotStatus" });

export const SnapshotRef = builder.prismaNode("Snapshot", {
  id: { field: "id" },
  description: "One collection run. A FAILED snapshot records why and changes nothing else.",
  fields: (t) => ({
    collectedAt: t.expose("collectedAt", { type: "DateTime" }),
    status: t.expose("status", { type: SnapshotStatusEnum }),
    error: t.exposeString("error", { nullable: true, description: "Why the run failed: `[CODE] message`." }),
    appCount: t.exposeInt("appCount", { description: "Apps installed at this snapshot (0 when FAILED)." }),
    added: t.exposeInt("added", { description: "Apps that appeared since the host's previous SUCCEEDED snapshot." }),
    removed: t.exposeInt("removed", { description: "Apps that disappeared since the host's previous SUCCEEDED snapshot." }),
    version: t.relation("version", { nullable: true }),
    host: t.relation("host"),
  }),
});

builder.queryField("snapshots", (t) =>
  t.connection({
    type: SnapshotRef,
    description: "The host's snapshots, newest first.",
    args: { hostId: t.arg.id({ required: false, description: "Defaults to the only host." }) },
    resolve: async (_parent, args, ctx) => {
      const { first, last } = pageSize(args);
      const after = args.after ? decodeCursor("snapshot", args.after, 1, "after")[0] : undefined;
      const before = args.before ? decodeCursor("snapshot", args.before, 1, "before")[0] : undefined;
      const hostId = await resolveHostId(ctx, args.hostId);
      const empty = { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
      if (hostId === null) return empty;
      // Newest first: "after" a cursor means older, i.e. smaller ids.
      const idRange = { ...(after !== undefined ? { lt: after } : {}), ...(before !== undefined ? { gt: before } : {}) };
      const size = first ?? last ?? 0;
      const rows = await ctx.db.snapshot.findMany({
        where: { hostId, id: idRange },
        orderBy: { id: first !== null ? "desc" : "asc" },
        take: size + 1,
      });
      const more = rows.length > size;
      const page = rows.slice(0, size);
      if (first === null) page.reverse();
      const cursor = (id: number) => encodeCursor("snapshot", [id]);
      return {
        edges: page.map((snapshot) => ({ cursor: cursor(snapshot.id), node: snapshot })),
        pageInfo: {
          hasNextPage: first !== null ? more : before !== undefined,
          hasPreviousPage: first !== null ? after !== undefined : more,
          startCursor: page[0] ? cursor(page[0].id) : null,
          endCursor: page.at(-1) ? cursor(page.at(-1)!.id) : null,
        },
      };
    },
  }, { name: "SnapshotConnection" }, { name: "SnapshotEdge" }),
);

builder.mutationField("collectSnapshot", (t) =>
  t.field({
    type: SnapshotRef,
    description:
      "Collects the inventory now and returns the snapshot it produced (SUCCEEDED or FAILED). " +
      "When a collection is already running, waits for it and returns its snapshot instead of starting another.",
    args: { hostId: t.arg.id({ required: false, description: "Must be this service's own host; defaults to it." }) },
    resolve: async (_parent, args, ctx) => {
      if (args.hostId != null) {
        const hostId = await resolveHostId(ctx, args.hostId);
        const local = await ctx.inventory.localHostId();
        if (local !== null && hostId !== local) {
          throw appError(ErrorCode.BAD_USER_INPUT, "this service collects only the machine it runs on; hostId names another host", {
            argument: "hostId",
          });
        }
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
      return hostId === null ? events : pipe(events, filter((snapshot) => snapshot.hostId === hostId));
    },
    resolve: (snapshot) => snapshot,
  }),
);
