import type { Context } from "../context.js";
import { appError, badInput, ErrorCode } from "../errors.js";
import { builder } from "./builder.js";
import { decodeCursor, decodeId, encodeCursor, pageSize } from "./paging.js";

export const HostRef = builder.prismaNode("Host", {
  id: { field: "id" },
  description: "A machine whose inventory is collected. A local install has one.",
  fields: (t) => ({
    hostname: t.exposeString("hostname"),
    platform: t.exposeString("platform", { nullable: true, description: "osquery's platform name, once a collection succeeded." }),
    latestSnapshot: t.prismaField({
      type: "Snapshot",
      nullable: true,
      description: "The newest snapshot of this host, succeeded or failed.",
      resolve: (query, host, _args, ctx) =>
        ctx.db.snapshot.findFirst({ ...query, where: { hostId: host.id }, orderBy: { id: "desc" } }),
    }),
  }),
});

/**
 * The host an operation is about: the one named by `hostId`, else the only host. Null when no host
 * exists yet (before the first collection).
 */
export async function resolveHostId(ctx: Context, hostId: string | null | undefined): Promise<number | null> {
  if (hostId != null) {
    const id = decodeId("Host", hostId, "hostId");
    const host = await ctx.db.host.findUnique({ where: { id }, select: { id: true } });
    if (!host) throw appError(ErrorCode.HOST_NOT_FOUND, `no host has the ID ${hostId}`, { argument: "hostId" });
    return host.id;
  }
  const hosts = await ctx.db.host.findMany({ select: { id: true }, orderBy: { id: "asc" }, take: 2 });
  if (hosts.length > 1) throw badInput("hostId is required: this service has more than one host (see the hosts query)", "hostId");
  return hosts[0]?.id ?? null;
}

builder.queryField("hosts", (t) =>
  t.connection({
    type: HostRef,
    description: "Every host, oldest first.",
    resolve: async (_parent, args, ctx) => {
      const { first, last } = pageSize(args);
      const after = args.after ? decodeCursor("host", args.after, 1, "after")[0] : undefined;
      const before = args.before ? decodeCursor("host", args.before, 1, "before")[0] : undefined;
      const idRange = { ...(after !== undefined ? { gt: after } : {}), ...(before !== undefined ? { lt: before } : {}) };
      const take = (first ?? last ?? 0) + 1;
      const rows = await ctx.db.host.findMany({
        where: { id: idRange },
        orderBy: { id: first !== null ? "asc" : "desc" },
        take,
      });
      const size = take - 1;
      const more = rows.length > size;
      const page = rows.slice(0, size);
      if (first === null) page.reverse();
      return {
        edges: page.map((host) => ({ cursor: encodeCursor("host", [host.id]), node: host })),
        pageInfo: {
          hasNextPage: first !== null ? more : before !== undefined,
          hasPreviousPage: first !== null ? after !== undefined : more,
          startCursor: page[0] ? encodeCursor("host", [page[0].id]) : null,
          endCursor: page.at(-1) ? encodeCursor("host", [page.at(-1)!.id]) : null,
        },
      };
    },
  }, { name: "HostConnection" }, { name: "HostEdge" }),
);
