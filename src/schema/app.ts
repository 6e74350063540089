import type { Snapshot } from "../generated/prisma/client.js";
import { SnapshotStatus } from "../generated/prisma/enums.js";
import type { Context } from "../context.js";
import { badInput } from "../errors.js";
import { AppAlteration, SoftwareSource } from "../inventory/types.js";
import { checkText } from "./text-input.js";
import type { AppFilter, AppOrder, AppPosition, StoredApp } from "../store/app-queries.js";
import { MAX_FIELD_LENGTH, MAX_NAME_LENGTH } from "../inventory/rows.js";
import { APP_COLUMN_SETS } from "../store/app-statements.js";
import { builder } from "./builder.js";
import { CONNECTION_NODE, readingOf, selectedColumns } from "./columns.js";
import { resolveHostId } from "./host.js";
import { dependsOnHosts } from "./scope.js";
import { cursorParts, decodeCursor, decodeId, emptyConnection, encodeCursor, pageSize, type Connection } from "./paging.js";
import { SnapshotRef, succeededSnapshot } from "./snapshot.js";

const AppAlterationEnum = builder.enumType("AppAlteration", {
  description: "What had to change to store an app's text; anything not listed is byte for byte what osquery reported.",
  values: {
    [AppAlteration.NUL_REPLACED]: { description: "A NUL character, which PostgreSQL text cannot hold, was replaced with U+FFFD." },
    [AppAlteration.UNPAIRED_SURROGATE_REPLACED]: {
      description: "Half of a UTF-16 surrogate pair (a JSON escape such as \\ud800 alone), which is no character, was replaced with U+FFFD.",
    },
    [AppAlteration.INVALID_UTF8_REPLACED]: {
      description:
        "osquery reported bytes in this app's row that are not UTF-8 (in osqueryi's output or an agent's distributed write): " +
        "each invalid sequence was replaced with U+FFFD (a U+FFFD osquery reported itself, in a row without such bytes, is not marked).",
    },
    [AppAlteration.TRUNCATED]: {
      description: `A value was cut to its limit: ${MAX_NAME_LENGTH} UTF-16 code units for the name (it is indexed), ${MAX_FIELD_LENGTH} for the other fields.`,
    },
  } as const,
});

/**
 * An App field's resolver that sees only the columns it names and the id: latestData reads the
 * columns its selection's fields name (selectedColumns), so a field that read another would get undefined.
 */
const reading = readingOf<StoredApp, "id">();

export const AppRef = builder.node(builder.objectRef<StoredApp>("App"), {
  id: { resolve: (app) => app.id, parse: (id) => Number(id) },
  // node(id:) of a record that does not exist, or no longer does, is null rather than an error.
  // The relay plugin hands over the ID text as decodeNodeId checked it (an integer), not always parsed.
  loadMany: (ids, ctx) => ctx.apps.byIds(ids.map(Number)),
  description:
    "A piece of installed software as osquery reported it: every text field byte for byte, spaces included " +
    "(an optional field osquery left empty or blank is null). Where that cannot be stored, `alterations` says what changed.",
  fields: (t) => ({
    name: t.string(reading(["name"], (app) => app.name)),
    version: t.string({ nullable: true, ...reading(["version"], (app) => app.version) }),
    source: t.string({
      description: "The osquery table it came from: apps, deb_packages, rpm_packages or programs.",
      ...reading(["source"], (app) => app.source),
    }),
    path: t.string({ nullable: true, ...reading(["path"], (app) => app.path) }),
    bundleIdentifier: t.string({ nullable: true, ...reading(["bundleIdentifier"], (app) => app.bundleIdentifier) }),
    publisher: t.string({ nullable: true, description: "Publisher, vendor or maintainer, by source.", ...reading(["publisher"], (app) => app.publisher) }),
    alterations: t.field({
      type: [AppAlterationEnum],
      description:
        "Empty when every field is exactly what osquery reported. Otherwise how the stored text differs from it; the app is " +
        "still listed, and Snapshot.alteredApps counts such apps. Two rows that become the same app once altered are one app " +
        "listing the alterations of both. Recorded when the app first appeared, like publisher.",
      ...reading(["alterations"], (app) => app.alterations),
    }),
    firstSeenAt: t.field({
      type: "DateTime",
      description: "When this name, version and path first appeared on the host.",
      ...reading(["firstSeenAt"], (app) => app.firstSeenAt),
    }),
  }),
});

export const AppFilterInput = builder.inputType("AppFilter", {
  fields: (t) => ({
    nameContains: t.string({ required: false, description: "Case-insensitive substring of the name." }),
    source: t.string({ required: false, description: "Only apps from this osquery table: apps, deb_packages, rpm_packages or programs." }),
  }),
});

/**
 * latestData's orders: which way the store reads, and the cursor kind that binds a cursor to its
 * order. NAME_ASC keeps the kind its cursors had before there was a choice, so they still work.
 */
const APP_ORDERS = {
  NAME_ASC: { direction: "asc", cursorKind: "app" },
  NAME_DESC: { direction: "desc", cursorKind: "app_desc" },
} as const satisfies Record<string, { direction: AppOrder; cursorKind: string }>;
type AppOrderName = keyof typeof APP_ORDERS;
const APP_ORDER_NAMES = Object.keys(APP_ORDERS) as AppOrderName[];

const AppOrderEnum = builder.enumType("AppOrder", {
  description: "The order latestData lists apps in.",
  values: {
    NAME_ASC: {
      description:
        "By name, A to Z: case-insensitive (the byte order of the lower-cased UTF-8 name, the same on every database), " +
        "apps with the same name (other versions, paths or sources) by a stable id.",
    },
    NAME_DESC: { description: "By name, Z to A: exactly NAME_ASC reversed, apps with the same name included." },
  } as const satisfies Record<AppOrderName, { description: string }>,
});

const MAX_FILTER_LENGTH = 200;

const SOURCES: ReadonlySet<string> = new Set(Object.values(SoftwareSource));

/** A source argument names an osquery table apps come from; any other value would silently match nothing. */
export function checkSource(value: string, argument: string): string {
  if (!SOURCES.has(value)) throw badInput(`${argument} must be one of ${[...SOURCES].join(", ")}`, argument);
  return value;
}

export function checkFilter(filter: AppFilter | null | undefined): AppFilter {
  const nameContains = filter?.nameContains;
  const source = filter?.source;
  return {
    nameContains: nameContains == null ? null : checkText(nameContains, "filter.nameContains", MAX_FILTER_LENGTH),
    source: source == null ? null : checkSource(source, "filter.source"),
  };
}

/**
 * A latestData cursor names the snapshot it was read from and the app at that position. Every page
 * requested with it comes from that same snapshot, so a walk never skips or repeats an app while new
 * snapshots land. Both halves are checked against the database: a forged cursor gets BAD_USER_INPUT.
 * Its kind names the order it was read in: in the other order the same position would start a page
 * on the wrong side of it, so such a cursor is refused as well, saying which order it belongs to.
 */
async function readCursor(ctx: Context, value: string, argument: string, order: AppOrderName) {
  const readIn = APP_ORDER_NAMES.find((other) => other !== order && cursorParts(APP_ORDERS[other].cursorKind, value, 2));
  if (readIn) {
    throw badInput(`${argument} is a cursor of orderBy: ${readIn}; page on with the orderBy it was read with, or start again without a cursor`, argument);
  }
  const [snapshotId, appId] = decodeCursor(APP_ORDERS[order].cursorKind, value, 2, argument) as [number, number];
  const found = await ctx.apps.snapshotWithPosition(snapshotId, appId);
  if (found?.snapshot.status !== SnapshotStatus.SUCCEEDED || !found.position) {
    throw badInput(`${argument} is not a valid cursor for latestData; use a cursor it returned`, argument);
  }
  return { snapshot: found.snapshot, position: found.position };
}

/**
 * The host latestData reads when no cursor or snapshotId names one, and its newest SUCCEEDED
 * snapshot. A page is a handful of statements, each a round trip that costs the server as much CPU as
 * a small one's rows, so the usual case is one: a snapshot proves its host exists (foreign key), and
 * the default host (this machine) is found in the same statement as its snapshot. Only a host without
 * a snapshot, or a service with no local host, takes resolveHostId's way.
 */
async function newestSnapshotOf(ctx: Context, hostIdArgument: string | null | undefined): Promise<{ hostId: number | null; snapshot: Snapshot | null }> {
  const newest = hostIdArgument != null ? await ctx.apps.newestSucceeded(decodeId("Host", hostIdArgument, "hostId")) : await ctx.apps.newestSucceededOfLocal();
  if (newest) return { hostId: newest.hostId, snapshot: newest };
  const hostId = await resolveHostId(ctx, hostIdArgument);
  return { hostId, snapshot: hostId === null || hostIdArgument != null ? null : await ctx.apps.newestSucceeded(hostId) };
}

interface LatestData extends Connection<StoredApp> {
  totalCount: number;
  snapshot: Snapshot | null;
}

builder.queryField("latestData", (t) =>
  t.connection(
    {
      type: AppRef,
      description:
        "The apps of the host's newest SUCCEEDED snapshot, ordered by name (case-insensitive; orderBy), 10 per page by default " +
        "and at most 100. A cursor keeps reading the snapshot it came from, even after newer snapshots land, and pages " +
        "only in the order it was read in.",
      args: {
        hostId: t.arg.id({ required: false, description: "Defaults to the only host." }),
        snapshotId: t.arg.id({
          required: false,
          description: "Read this SUCCEEDED snapshot instead of the newest (a point-in-time inventory).",
        }),
        filter: t.arg({ type: AppFilterInput, required: false }),
        orderBy: t.arg({
          type: AppOrderEnum,
          required: false,
          defaultValue: "NAME_ASC",
          description: "A to Z (the default) or Z to A. after and before must be cursors read in the same order.",
        }),
      },
      resolve: async (_parent, args, ctx, info): Promise<LatestData> => {
        const { first, last } = pageSize(args);
        const filter = checkFilter(args.filter);
        const order = args.orderBy ?? "NAME_ASC";
        const after = args.after ? await readCursor(ctx, args.after, "after", order) : null;
        const before = args.before ? await readCursor(ctx, args.before, "before", order) : null;
        if (after && before && after.snapshot.id !== before.snapshot.id) {
          throw badInput("after and before come from different snapshots", "before");
        }
        const fromCursor = (after ?? before)?.snapshot ?? null;
        const chosen = args.snapshotId != null ? await succeededSnapshot(ctx, args.snapshotId, "snapshotId") : null;
        if (chosen && fromCursor && chosen.id !== fromCursor.id) {
          throw badInput("the cursor was read from another snapshot than snapshotId", after ? "after" : "before");
        }
        const pinned = fromCursor ?? chosen;
        let hostId: number | null;
        let snapshot: Snapshot | null;
        if (pinned) {
          hostId = args.hostId != null ? await resolveHostId(ctx, args.hostId) : pinned.hostId;
          if (hostId !== pinned.hostId) throw badInput(`the ${fromCursor ? "cursor" : "snapshot"} belongs to another host than hostId`, "hostId");
          snapshot = pinned;
        } else ({ hostId, snapshot } = await newestSnapshotOf(ctx, args.hostId));

        if (hostId !== null && (args.hostId != null || pinned)) dependsOnHosts(ctx, info, [hostId]);
        if (!snapshot) return { ...emptyConnection<StoredApp>(), totalCount: 0, snapshot: null };
        const position = (p: { position: AppPosition } | null) => p?.position ?? null;
        const [page, totalCount] = await Promise.all([
          ctx.apps.page({
            snapshot,
            filter,
            order: APP_ORDERS[order].direction,
            after: position(after),
            before: position(before),
            first,
            last,
            columns: selectedColumns(info, "App", CONNECTION_NODE, APP_COLUMN_SETS),
          }),
          ctx.apps.count(snapshot, filter),
        ]);
        const cursor = (appId: number) => encodeCursor(APP_ORDERS[order].cursorKind, [snapshot.id, appId]);
        const edges = page.apps.map((app) => ({ cursor: cursor(app.id), node: app }));
        return {
          edges,
          pageInfo: {
            hasNextPage: page.hasNextPage,
            hasPreviousPage: page.hasPreviousPage,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
          totalCount,
          snapshot,
        };
      },
    },
    {
      name: "LatestDataConnection",
      fields: (c) => ({
        totalCount: c.int({ description: "Apps matching the filter in this snapshot.", resolve: (parent) => (parent as unknown as LatestData).totalCount }),
        snapshot: c.field({
          type: SnapshotRef,
          nullable: true,
          description: "The snapshot these apps belong to; null before the first successful collection.",
          resolve: (parent) => (parent as unknown as LatestData).snapshot,
        }),
        version: c.prismaField({
          type: "Version",
          nullable: true,
          description: "The versions that snapshot saw.",
          resolve: (query, parent, _args, ctx) => {
            const snapshot = (parent as unknown as LatestData).snapshot;
            return snapshot?.versionId ? ctx.db.version.findUnique({ ...query, where: { id: snapshot.versionId } }) : null;
          },
        }),
      }),
    },
    { name: "AppEdge" },
  ),
);
