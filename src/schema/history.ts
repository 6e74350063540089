import type { Snapshot } from "../generated/prisma/client.js";
import type { StoredApp } from "../store/app-queries.js";
import { SnapshotStatus } from "../generated/prisma/enums.js";
import { badInput } from "../errors.js";
import { checkText } from "./text-input.js";
import { CHANGE_KINDS, ChangeKind, type AppChange, type Diff } from "../store/history.js";
import { AppRef, checkSource } from "./app.js";
import { builder } from "./builder.js";
import { resolveHostId } from "./host.js";
import { dependsOnHosts } from "./scope.js";
import { decodeCursor, encodeCursor, pageSize, type Connection, type PagingArgs } from "./paging.js";
import { SnapshotRef, succeededSnapshot } from "./snapshot.js";

const ChangeKindEnum = builder.enumType(ChangeKind, {
  name: "ChangeKind",
  description:
    "UPGRADED/DOWNGRADED: same source, name and path with another version, ordered the way the package system does " +
    "(dpkg for deb_packages, rpm for rpm_packages, dotted numbers for macOS bundles and Windows programs).",
});

export const AppChangeRef = builder.objectRef<AppChange>("AppChange").implement({
  description: "One difference between two snapshots of a host.",
  fields: (t) => ({
    kind: t.expose("kind", { type: ChangeKindEnum }),
    name: t.exposeString("name"),
    source: t.exposeString("source"),
    path: t.exposeString("path", { nullable: true }),
    fromVersion: t.exposeString("fromVersion", { nullable: true, description: "null for ADDED." }),
    toVersion: t.exposeString("toVersion", { nullable: true, description: "null for REMOVED." }),
    app: t.field({
      type: AppRef,
      description: "The app at the newer side (ADDED, UPGRADED, DOWNGRADED) or as it was (REMOVED).",
      resolve: (change) => change.app,
    }),
  }),
});

const ChangeCountsRef = builder.objectRef<Diff["counts"]>("ChangeCounts").implement({
  description: "How many changes of each kind, whatever the kind filter.",
  fields: (t) => ({
    added: t.int({ resolve: (c) => c.ADDED }),
    removed: t.int({ resolve: (c) => c.REMOVED }),
    upgraded: t.int({ resolve: (c) => c.UPGRADED }),
    downgraded: t.int({ resolve: (c) => c.DOWNGRADED }),
  }),
});

interface DiffPage extends Connection<AppChange> {
  totalCount: number;
  counts: Diff["counts"];
  from: Snapshot | null;
  to: Snapshot;
}

/** A bit per kind, so a cursor records the filter it was read with. */
function kindMask(kinds: readonly ChangeKind[] | null | undefined): number {
  const chosen = kinds?.length ? kinds : CHANGE_KINDS;
  return chosen.reduce((mask, kind) => mask | (1 << CHANGE_KINDS.indexOf(kind)), 0);
}

/**
 * Pages a diff. A diff of two snapshots never changes, so a cursor is a position in it: the cursor
 * also names both snapshots and the kind filter, and is refused with anything else.
 */
function pageDiff(
  diff: Diff,
  args: PagingArgs & { kind?: readonly ChangeKind[] | null | undefined },
  scope: { kind: string; ids: number[] },
  sides: { from: Snapshot | null; to: Snapshot },
): DiffPage {
  const { first, last } = pageSize(args);
  const mask = kindMask(args.kind);
  const list = diff.changes.filter((c) => mask & (1 << CHANGE_KINDS.indexOf(c.kind)));
  const position = (value: string, argument: string) => {
    const parts = decodeCursor(scope.kind, value, scope.ids.length + 2, argument);
    const index = parts.at(-1)! - 1;
    const matches = scope.ids.every((id, i) => parts[i] === id) && parts.at(-2) === mask && index < list.length;
    if (!matches) throw badInput(`${argument} is not a valid cursor for these snapshots and kinds; use a cursor this field returned`, argument);
    return index;
  };
  let start = args.after ? position(args.after, "after") + 1 : 0;
  let end = args.before ? position(args.before, "before") : list.length;
  if (end < start) end = start;
  if (first !== null) end = Math.min(end, start + first);
  else if (last !== null) start = Math.max(start, end - last);
  const edges = list.slice(start, end).map((node, i) => ({ cursor: encodeCursor(scope.kind, [...scope.ids, mask, start + i + 1]), node }));
  return {
    edges,
    pageInfo: {
      hasPreviousPage: start > 0,
      hasNextPage: end < list.length,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: list.length,
    counts: diff.counts,
    ...sides,
  };
}

const DiffConnection = builder.connectionObject(
  {
    type: AppChangeRef,
    name: "SnapshotDiffConnection",
    fields: (c) => ({
      totalCount: c.int({ description: "Changes of the requested kinds.", resolve: (p) => (p as unknown as DiffPage).totalCount }),
      counts: c.field({ type: ChangeCountsRef, resolve: (p) => (p as unknown as DiffPage).counts }),
      from: c.field({
        type: SnapshotRef,
        nullable: true,
        description: "The older side of Snapshot.changes may be null: the host's first snapshot, or one retention deleted.",
        resolve: (p) => (p as unknown as DiffPage).from,
      }),
      to: c.field({ type: SnapshotRef, resolve: (p) => (p as unknown as DiffPage).to }),
    }),
  },
  { name: "AppChangeEdge" },
);

builder.queryField("snapshotDiff", (t) =>
  t.connection(
    {
      type: AppChangeRef,
      description:
        "What changed between two SUCCEEDED snapshots of one host, ordered by app name. `from` may be newer than `to` " +
        "(a reversed diff). Filter with `kind`; `counts` always counts every kind.",
      args: {
        from: t.arg.id({ required: true }),
        to: t.arg.id({ required: true }),
        kind: t.arg({ type: [ChangeKindEnum], required: false }),
      },
      resolve: async (_parent, args, ctx, info) => {
        pageSize(args);
        const [from, to] = await Promise.all([succeededSnapshot(ctx, args.from, "from"), succeededSnapshot(ctx, args.to, "to")]);
        if (from.hostId !== to.hostId) throw badInput("from and to are snapshots of different hosts", "to");
        dependsOnHosts(ctx, info, [from.hostId]);
        const diff = await ctx.history.diff(from, to);
        return pageDiff(diff, args, { kind: "diff", ids: [from.id, to.id] }, { from, to });
      },
    },
    DiffConnection,
  ),
);

builder.prismaObjectFields("Snapshot", (t) => ({
  previous: t.field({
    type: SnapshotRef,
    nullable: true,
    description: "The host's SUCCEEDED snapshot before this one (null for the first, or once retention deleted it).",
    resolve: (snapshot, _args, ctx) => ctx.history.previous(snapshot),
  }),
  changes: t.connection(
    {
      type: AppChangeRef,
      description:
        "What this snapshot changed against the host's previous SUCCEEDED snapshot (everything ADDED for the first). " +
        "Empty for a FAILED snapshot. Select it in snapshotUpdated to hear each collection's changes.",
      args: { kind: t.arg({ type: [ChangeKindEnum], required: false }) },
      resolve: async (snapshot, args, ctx) => {
        pageSize(args);
        const empty: Diff = { changes: [], counts: { ADDED: 0, REMOVED: 0, UPGRADED: 0, DOWNGRADED: 0 } };
        const succeeded = snapshot.status === SnapshotStatus.SUCCEEDED;
        const [diff, previous] = await Promise.all([
          succeeded ? ctx.history.changesAt(snapshot) : empty,
          succeeded ? ctx.history.previous(snapshot) : null,
        ]);
        return pageDiff(diff, args, { kind: "changes", ids: [snapshot.id] }, { from: previous, to: snapshot });
      },
    },
    DiffConnection,
  ),
}));

const AppVersionRef = builder.objectRef<StoredApp>("AppVersion").implement({
  description: "One version of an app on a host, and when it came and went.",
  fields: (t) => ({
    version: t.exposeString("version", { nullable: true }),
    source: t.exposeString("source"),
    path: t.exposeString("path", { nullable: true }),
    app: t.field({ type: AppRef, resolve: (app) => app }),
    firstSeenAt: t.expose("firstSeenAt", { type: "DateTime" }),
    firstSeenSnapshot: t.field({
      type: SnapshotRef,
      nullable: true,
      description: "null once retention has deleted that snapshot (firstSeenAt remains).",
      resolve: (app, _args, ctx) => ctx.db.snapshot.findUnique({ where: { id: app.firstSeenSnapshotId } }),
    }),
    removedAt: t.expose("removedAt", { type: "DateTime", nullable: true, description: "null while installed." }),
    removedSnapshot: t.field({
      type: SnapshotRef,
      nullable: true,
      description: "null while installed.",
      resolve: (app, _args, ctx) =>
        app.removedSnapshotId === null ? null : ctx.db.snapshot.findUnique({ where: { id: app.removedSnapshotId } }),
    }),
  }),
});

builder.queryField("appHistory", (t) =>
  t.field({
    type: [AppVersionRef],
    description:
      "Every version of an app the host had within retention, oldest first. The name is matched case-insensitively " +
      "and otherwise exactly, spaces included.",
    args: {
      hostId: t.arg.id({ required: false, description: "Defaults to the only host." }),
      name: t.arg.string({ required: true }),
      source: t.arg.string({ required: false, description: "Only this osquery table: apps, deb_packages, rpm_packages or programs." }),
    },
    resolve: async (_parent, args, ctx, info) => {
      // Names are stored as reported, so " " is a name; "" never is (osqueryi's NULL).
      if (args.name === "") throw badInput("name must not be empty", "name");
      checkText(args.name, "name", 500);
      if (args.source != null) checkSource(args.source, "source");
      const hostId = await resolveHostId(ctx, args.hostId);
      if (hostId !== null && args.hostId != null) dependsOnHosts(ctx, info, [hostId]);
      return hostId === null ? [] : ctx.history.appHistory(hostId, args.name, args.source ?? null);
    },
  }),
);
