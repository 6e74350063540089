import { Kind, type GraphQLObjectType, type GraphQLResolveInfo, type SelectionNode } from "graphql";
import type { Context } from "../context.js";
import type { ColumnSet, Columns } from "../db/column-set.js";

/** The extension in which a field names the columns of its parent it reads (`reading`). */
const COLUMNS_EXTENSION = "columns";

/** Where a connection's nodes are. */
export const CONNECTION_NODE = ["edges", "node"] as const;

/** The extensions of a field that reads `columns` of its parent and no other (a resolver `reading` cannot type). */
export const namingColumns = (columns: readonly string[]) => ({ [COLUMNS_EXTENSION]: columns });

/**
 * Field resolvers of a type whose list statements read only the columns a selection shows: each
 * resolver names its columns and sees only those (and `always`), so reading another does not
 * compile; selectedColumns reads the same names.
 */
export function readingOf<Parent, Always extends keyof Parent>() {
  return <const K extends keyof Parent & string, Args, R>(columns: readonly K[], resolve: (parent: Pick<Parent, K | Always>, args: Args, ctx: Context) => R) => ({
    extensions: namingColumns(columns),
    resolve,
  });
}

/** The columns a field names with `reading`; undefined for a field made without it. */
export const columnsNamed = (field: { extensions: Readonly<Record<string, unknown>> }): readonly string[] | undefined =>
  field.extensions[COLUMNS_EXTENSION] as readonly string[] | undefined;

/**
 * The columns of `typeName` that the selection under `path` of the field being resolved reads (e.g.
 * a connection's edges.node): the union of what each selected field names with `reading`. Directives
 * are not evaluated (a field under @skip still counts), and a field that names no columns (one made
 * without `reading`) reads them all.
 */
export function selectedColumns<K extends string>(info: GraphQLResolveInfo, typeName: string, path: readonly string[], columns: Columns<K>): ColumnSet<K> {
  const fields = (info.schema.getType(typeName) as GraphQLObjectType).getFields();
  const chosen = new Set<K>();
  let all = false;
  const visit = (selections: readonly SelectionNode[], depth: number) => {
    for (const selection of selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections, depth);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet.selections, depth);
      } else if (depth < path.length) {
        if (selection.name.value === path[depth] && selection.selectionSet) visit(selection.selectionSet.selections, depth + 1);
      } else {
        const name = selection.name.value;
        if (name === "id" || name === "__typename") continue;
        const field = fields[name];
        const named = field && columnsNamed(field);
        if (named) for (const column of named) chosen.add(column as K);
        else all = true;
      }
    }
  };
  for (const node of info.fieldNodes) if (node.selectionSet) visit(node.selectionSet.selections, 0);
  return all ? columns.all : columns.of(chosen);
}
