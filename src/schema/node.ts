import { resolveNodes } from "@pothos/plugin-relay";
import { isInterfaceType, type GraphQLResolveInfo } from "graphql";
import { badInput } from "../errors.js";
import { builder } from "./builder.js";
import type { Context } from "../context.js";
import { decodeNodeId } from "./paging.js";
import { dependsOnHosts } from "./scope.js";

/** As many IDs as the largest page: a longer list is refused before anything is loaded. */
export const MAX_NODE_IDS = 100;

function nodeTypes(info: GraphQLResolveInfo): (typename: string) => boolean {
  const node = info.schema.getType("Node");
  const names = new Set(isInterfaceType(node) ? info.schema.getPossibleTypes(node).map((type) => type.name) : []);
  return (typename) => names.has(typename);
}

/**
 * Every node is a host or belongs to one (a snapshot, an app): the answer depends on those hosts only.
 * A missing record could be created later by any host, so an answer with one is not scoped.
 */
function scopeToOwners(ctx: Context, info: GraphQLResolveInfo, ids: ({ typename: string } | null)[], nodes: readonly unknown[]) {
  const hosts: number[] = [];
  for (const [i, node] of nodes.entries()) {
    const typename = ids[i]?.typename;
    if (node == null || typeof node !== "object") return;
    const owner = typename === "Host" ? (node as { id?: unknown }).id : (node as { hostId?: unknown }).hostId;
    if (typeof owner !== "number") return;
    hosts.push(owner);
  }
  dependsOnHosts(ctx, info, hosts);
}

// Relay's node fields, written out rather than left to the relay plugin: a record that does not
// exist (or no longer does, after retention) is null as Relay expects, not an error, and a
// malformed ID is the client's mistake, reported without echoing it.
builder.queryField("node", (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: "The App, Host or Snapshot with this ID; null when there is none (it may have been pruned).",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx, info) => {
      const id = decodeNodeId(String(args.id), "id", nodeTypes(info));
      const [node] = await resolveNodes(builder, ctx, info, [id]);
      scopeToOwners(ctx, info, [id], [node]);
      return node ?? null;
    },
  }),
);

builder.queryField("nodes", (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `The nodes with these IDs, in order; null for each ID with no record. At most ${MAX_NODE_IDS} IDs.`,
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_root, args, ctx, info) => {
      if (args.ids.length > MAX_NODE_IDS) throw badInput(`ids may hold at most ${MAX_NODE_IDS} IDs, got ${args.ids.length}`, "ids");
      const isNodeType = nodeTypes(info);
      const ids = args.ids.map((id, i) => decodeNodeId(String(id), `ids[${i}]`, isNodeType));
      const nodes = await resolveNodes(builder, ctx, info, ids);
      scopeToOwners(ctx, info, ids, nodes);
      return nodes.map((node) => node ?? null);
    },
  }),
);
