import type { Context } from "../context.js";
import type { Host, Snapshot } from "../generated/prisma/client.js";
import { badInput } from "../errors.js";
import { titleKey, type SoftwareTitle, type SoftwareVersionCount, type TitleChange, type TitlePosition } from "../store/software-queries.js";
import { AppFilterInput, checkFilter, checkSource } from "./app.js";
import { builder } from "./builder.js";
import { AppChangeRef } from "./history.js";
import { CONNECTION_NODE, selectedColumns } from "./columns.js";
import { HostRef, listedNodes } from "./host.js";
import { connectionById, pageSize, type Connection, type PagingArgs } from "./paging.js";
import { SnapshotRef } from "./snapshot.js";
import { checkText } from "./text-input.js";
import { HOST_COLUMNS } from "../store/host-statements.js";

type Title = SoftwareTitle & { versions: SoftwareVersionCount[] };

const SoftwareVersionRef = builder.objectRef<SoftwareVersionCount>("SoftwareVersion").implement({
  description: "One version of a software title, and how many hosts have it now.",
  fields: (t) => ({
    version: t.exposeString("version", { nullable: true }),
    hostCount: t.exposeInt("hostCount"),
  }),
});

const SoftwareTitleRef = builder.objectRef<Title>("SoftwareTitle").implement({
  description: "A piece of software across the fleet: every version of one name from one osquery table, in the hosts' newest inventories.",
  fields: (t) => ({
    name: t.exposeString("name"),
    source: t.exposeString("source", { description: "The osquery table: apps, deb_packages, rpm_packages or programs." }),
    hostCount: t.exposeInt("hostCount", { description: "Hosts that have any version of it." }),
    versions: t.field({
      type: [SoftwareVersionRef],
      description: "Its versions, most hosts first (see softwareHosts for the hosts of one).",
      resolve: (title) => title.versions,
    }),
  }),
});

const CURSOR_KIND = "title";
const MAX_CURSOR_LENGTH = 4096;

/** Title cursors carry the title itself (source and name): base64url of JSON, checked on the way back. */
function encodeTitleCursor(title: TitlePosition): string {
  return Buffer.from(JSON.stringify([CURSOR_KIND, title.source, title.name]), "utf8").toString("base64url");
}

function decodeTitleCursor(value: string, argument: string): TitlePosition {
  const invalid = () => badInput(`${argument} is not a valid cursor for software; use a cursor it returned`, argument);
  if (value.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(value)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== CURSOR_KIND || typeof parsed[1] !== "string" || typeof parsed[2] !== "string") throw invalid();
  return { source: checkSource(parsed[1], argument), name: checkText(parsed[2], argument, 4096) };
}

/** Titles with their versions: one more read for all of them. */
async function withVersions(ctx: Context, titles: SoftwareTitle[]): Promise<Title[]> {
  const versions = await ctx.software.versions(titles);
  return titles.map((title) => ({ ...title, versions: versions.get(titleKey(title)) ?? [] }));
}

async function titlePage(ctx: Context, args: PagingArgs & { filter?: Parameters<typeof checkFilter>[0] }) {
  const { first, last } = pageSize(args);
  const filter = checkFilter(args.filter);
  const after = args.after ? decodeTitleCursor(args.after, "after") : null;
  const before = args.before ? decodeTitleCursor(args.before, "before") : null;
  const size = first ?? last ?? 0;
  const [rows, totalCount] = await Promise.all([
    ctx.software.titles(filter, { after, before }, first !== null ? "asc" : "desc", size + 1),
    ctx.software.countTitles(filter),
  ]);
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (first === null) page.reverse();
  const edges = (await withVersions(ctx, page)).map((title) => ({ cursor: encodeTitleCursor(title), node: title }));
  const connection: Connection<Title> & { totalCount: number } = {
    edges,
    pageInfo: {
      hasNextPage: first !== null ? more : before !== null,
      hasPreviousPage: first !== null ? after !== null : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
  return connection;
}

builder.queryField("software", (t) =>
  t.connection(
    {
      type: SoftwareTitleRef,
      description:
        "Software titles across the fleet with the number of hosts that have them, ordered by name (case-insensitive); " +
        "`filter` narrows by name and source as in latestData.",
      args: { filter: t.arg({ type: AppFilterInput, required: false }) },
      resolve: (_parent, args, ctx) => titlePage(ctx, args),
    },
    {
      name: "SoftwareTitleConnection",
      fields: (c) => ({
        totalCount: c.int({ description: "Titles matching the filter.", resolve: (parent) => (parent as unknown as { totalCount: number }).totalCount }),
      }),
    },
    { name: "SoftwareTitleEdge" },
  ),
);

builder.queryField("softwareTitles", (t) =>
  t.field({
    type: [SoftwareTitleRef],
    description:
      "The titles of an app by its exact name (byte for byte, as in softwareHosts), with host counts and versions: the one " +
      "from `source`, or without `source` one per source that has the name (deb_packages and rpm_packages can share one), " +
      "in the order of `software`. Empty when no host's newest inventory has it.",
    args: {
      name: t.arg.string({ required: true }),
      source: t.arg.string({ required: false }),
    },
    resolve: async (_parent, args, ctx) => {
      const name = checkText(args.name, "name", 4096);
      const source = args.source == null ? undefined : checkSource(args.source, "source");
      return withVersions(ctx, await ctx.software.titlesNamed(name, source));
    },
  }),
);

builder.queryField("softwareHosts", (t) =>
  t.connection(
    {
      type: HostRef,
      description:
        "The hosts whose newest inventory has this app: the exact name (as osquery reported it), optionally only from one source " +
        "and of one version. Oldest host first, with stable cursors.",
      args: {
        name: t.arg.string({ required: true }),
        source: t.arg.string({ required: false }),
        version: t.arg.string({ required: false, description: "Only this version, exactly." }),
      },
      resolve: async (_parent, args, ctx, info) => {
        const columns = selectedColumns(info, "Host", CONNECTION_NODE, HOST_COLUMNS);
        checkText(args.name, "name", 4096);
        const source = args.source == null ? undefined : checkSource(args.source, "source");
        const version = args.version == null ? undefined : checkText(args.version, "version", 4096);
        const filter = { name: args.name, source, version };
        const [page, totalCount] = await Promise.all([
          connectionById(args, "host", "asc", (range, direction, take) => listedNodes(ctx.software.hosts(filter, columns, range, direction, take))),
          ctx.software.countHosts(filter),
        ]);
        return { ...page, totalCount };
      },
    },
    {
      name: "SoftwareHostConnection",
      fields: (c) => ({
        totalCount: c.int({ description: "Hosts that have it.", resolve: (parent) => (parent as unknown as { totalCount: number }).totalCount }),
      }),
    },
    { name: "SoftwareHostEdge" },
  ),
);

/** The longest window softwareChanges looks back: a year (RETAIN_DAYS keeps 90 days by default). */
export const MAX_CHANGE_DAYS = 366;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The start of the window `days` or `since` names (never both; neither is the last 7 days). */
export function changeWindowStart(args: { days?: number | null | undefined; since?: Date | null | undefined }, now: number): Date {
  if (args.days != null && args.since != null) throw badInput("pass either days or since, not both", "since");
  const earliest = now - MAX_CHANGE_DAYS * DAY_MS;
  if (args.since != null) {
    if (args.since.getTime() < earliest) throw badInput(`since must be within the last ${MAX_CHANGE_DAYS} days`, "since");
    return args.since;
  }
  const days = args.days ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > MAX_CHANGE_DAYS) throw badInput(`days must be between 1 and ${MAX_CHANGE_DAYS}, got ${days}`, "days");
  return new Date(now - days * DAY_MS);
}

type SoftwareChange = TitleChange & { id: number; host: Host; snapshot: Snapshot | null };

const SoftwareChangeRef = builder.objectRef<SoftwareChange>("SoftwareChange").implement({
  description: "One snapshot of a host that added, removed or changed the version of an app.",
  fields: (t) => ({
    host: t.field({ type: HostRef, resolve: (change) => change.host }),
    at: t.expose("at", { type: "DateTime", description: "When that snapshot was collected." }),
    snapshot: t.field({
      type: SnapshotRef,
      nullable: true,
      description: "The snapshot; null once retention has deleted it (`at` and the changes remain).",
      resolve: (change) => change.snapshot,
    }),
    changes: t.field({
      type: [AppChangeRef],
      description: "The app's changes at that snapshot, as in snapshotDiff (one per path or copy of it).",
      resolve: (change) => change.changes,
    }),
  }),
});

builder.queryField("softwareChanges", (t) =>
  t.connection(
    {
      type: SoftwareChangeRef,
      description:
        "Which hosts added, removed, upgraded or downgraded an app within the last `days` days (default 7) or `since` an " +
        "instant: one edge per snapshot that changed it, newest first, with stable cursors. The name is exact, as in " +
        `softwareHosts. The window reaches back at most ${MAX_CHANGE_DAYS} days, and no further than retention kept history. ` +
        "A host's first inventory counts as adding every app it has.",
      args: {
        name: t.arg.string({ required: true }),
        source: t.arg.string({ required: false }),
        days: t.arg.int({ required: false, description: `1 to ${MAX_CHANGE_DAYS}; the window ends now.` }),
        since: t.arg({ type: "DateTime", required: false, description: `Within the last ${MAX_CHANGE_DAYS} days; instead of days.` }),
      },
      resolve: async (_parent, args, ctx) => {
        checkText(args.name, "name", 4096);
        const source = args.source == null ? undefined : checkSource(args.source, "source");
        const since = changeWindowStart(args, Date.now());
        const filter = { name: args.name, source };
        const [page, counts] = await Promise.all([
          connectionById(args, "swchange", "desc", async (range, direction, take) => {
            const changes = await ctx.software.changes(filter, since, range, direction, take);
            const [hosts, snapshots] = await Promise.all([
              ctx.db.host.findMany({ where: { id: { in: [...new Set(changes.map((c) => c.hostId))] } } }),
              ctx.db.snapshot.findMany({ where: { id: { in: changes.map((c) => c.snapshotId) } } }),
            ]);
            const hostById = new Map(hosts.map((host) => [host.id, host]));
            const snapshotById = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot]));
            // A host deleted since the query has nothing left to show.
            return changes.flatMap((change) => {
              const host = hostById.get(change.hostId);
              return host ? [{ ...change, id: change.snapshotId, host, snapshot: snapshotById.get(change.snapshotId) ?? null }] : [];
            });
          }),
          ctx.software.countChanges(filter, since),
        ]);
        return { ...page, ...counts };
      },
    },
    {
      name: "SoftwareChangeConnection",
      fields: (c) => ({
        totalCount: c.int({ description: "Snapshots that changed it in the window.", resolve: (parent) => (parent as unknown as { snapshots: number }).snapshots }),
        hostCount: c.int({ description: "Hosts that changed it in the window.", resolve: (parent) => (parent as unknown as { hosts: number }).hosts }),
      }),
    },
    { name: "SoftwareChangeEdge" },
  ),
);
