import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../context.js";

/**
 * Says that the root field being resolved reads the stored data of these hosts only, so that the
 * response cache keeps its answer while other hosts report (ResponseHints.scope). Call it only where
 * that is certain: a host named by an argument, or by a snapshot or cursor that names its host; never
 * for a host found by default (which host that is depends on every host).
 */
export function dependsOnHosts(ctx: Context, info: GraphQLResolveInfo, hostIds: Iterable<number>): void {
  if (info.path.prev !== undefined) return;
  ctx.response.scope.fields.add(String(info.path.key));
  for (const id of hostIds) ctx.response.scope.hosts.add(id);
}
