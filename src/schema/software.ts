import type { Context } from "../context.js";
import { badInput } from "../errors.js";
import { titleKey, type SoftwareTitle, type SoftwareVersionCount, type TitlePosition } from "../store/software-queries.js";
import { AppFilterInput, checkFilter, checkSource } from "./app.js";
import { builder } from "./builder.js";
import { HostRef } from "./host.js";
import { connectionById, pageSize, type Connection, type PagingArgs } from "./paging.js";
import { checkText } from "./text-input.js";

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
  const versions = await ctx.software.versions(page);
  const edges = page.map((title) => ({ cursor: encodeTitleCursor(title), node: { ...title, versions: versions.get(titleKey(title)) ?? [] } }));
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
      resolve: async (_parent, args, ctx) => {
        checkText(args.name, "name", 4096);
        const source = args.source == null ? undefined : checkSource(args.source, "source");
        const version = args.version == null ? undefined : checkText(args.version, "version", 4096);
        const filter = { name: args.name, source, version };
        const [page, totalCount] = await Promise.all([
          connectionById(args, "host", "asc", async (range, direction, take) => {
            const ids = await ctx.software.hostIds(filter, range, direction, take);
            const hosts = await ctx.db.host.findMany({ where: { id: { in: ids } } });
            const byId = new Map(hosts.map((host) => [host.id, host]));
            return ids.flatMap((id) => byId.get(id) ?? []);
          }),
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
