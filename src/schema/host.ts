import type { Context } from "../context.js";
import { appError, badInput, ErrorCode } from "../errors.js";
import { builder } from "./builder.js";
import { connectionById, decodeId } from "./paging.js";

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
    resolve: (_parent, args, ctx) =>
      connectionById(args, "host", "asc", (id, direction, take) =>
        ctx.db.host.findMany({ where: { id }, orderBy: { id: direction }, take }),
      ),
  }, { name: "HostConnection" }, { name: "HostEdge" }),
);
