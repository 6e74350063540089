/**
 * The plain-GraphQL yardstick for hosts, software, softwareHosts and snapshotDiff: graphql-yoga with
 * its defaults, a hand-written SDL schema of those fields and resolvers over `pg` (pg-source.ts, the
 * service's statements), no ORM, no cache of any kind.
 */
import { GraphQLError, GraphQLScalarType } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import type pg from "pg";
import type { AppChange } from "../../src/store/history.js";
import { globalId } from "../latest-data/pg-source.js";
import { serveBaseline } from "../latest-data/serve-baseline.js";
import {
  BadRequestError,
  createReadSource,
  decodeCursor,
  decodeTitleCursor,
  encodeCursor,
  encodeTitleCursor,
  pageSize,
  type HostRow,
} from "./pg-source.js";

const typeDefs = /* GraphQL */ `
  scalar DateTime

  type Query {
    hosts(first: Int, after: String): HostConnection!
    software(first: Int, after: String): SoftwareTitleConnection!
    softwareHosts(name: String!, source: String, first: Int, after: String): HostConnection!
    snapshotDiff(from: ID!, to: ID!, first: Int, after: String): SnapshotDiffConnection!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type Host {
    id: ID!
    hostname: String!
    platform: String
    osName: String
    osVersion: String
    osqueryVersion: String
    hardwareVendor: String
    hardwareModel: String
    cpuBrand: String
    enrolledAt: DateTime
    lastSeenAt: DateTime
    createdAt: DateTime!
  }

  type HostEdge {
    cursor: String!
    node: Host!
  }

  type HostConnection {
    totalCount: Int!
    edges: [HostEdge!]!
    pageInfo: PageInfo!
  }

  type SoftwareVersion {
    version: String
    hostCount: Int!
  }

  type SoftwareTitle {
    name: String!
    source: String!
    hostCount: Int!
    versions: [SoftwareVersion!]!
  }

  type SoftwareTitleEdge {
    cursor: String!
    node: SoftwareTitle!
  }

  type SoftwareTitleConnection {
    totalCount: Int!
    edges: [SoftwareTitleEdge!]!
    pageInfo: PageInfo!
  }

  enum ChangeKind {
    ADDED
    REMOVED
    UPGRADED
    DOWNGRADED
  }

  type App {
    id: ID!
    name: String!
    version: String
    source: String!
    path: String
    publisher: String
    firstSeenAt: DateTime!
  }

  type AppChange {
    kind: ChangeKind!
    name: String!
    source: String!
    path: String
    fromVersion: String
    toVersion: String
    app: App!
  }

  type AppChangeEdge {
    cursor: String!
    node: AppChange!
  }

  type ChangeCounts {
    added: Int!
    removed: Int!
    upgraded: Int!
    downgraded: Int!
  }

  type SnapshotDiffConnection {
    totalCount: Int!
    counts: ChangeCounts!
    edges: [AppChangeEdge!]!
    pageInfo: PageInfo!
  }
`;

/** Every kind selected: the kind filter's bit mask as the service writes it into a diff cursor. */
const ALL_KINDS = 0b1111;

function fromGlobalId(typename: string, value: string): number {
  const [kind, id, ...rest] = Buffer.from(value, "base64").toString("utf8").split(":");
  const n = Number(id);
  if (kind !== typename || rest.length > 0 || !Number.isSafeInteger(n) || n <= 0) throw new BadRequestError(`not a ${typename} ID`);
  return n;
}

/** A forward page out of `rows` (one more than `size` when there are more). */
function connection<T>(rows: T[], size: number, after: string | null | undefined, cursor: (row: T) => string) {
  const edges = rows.slice(0, size).map((node) => ({ cursor: cursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: after != null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}

const badInput = <Args, R>(resolve: (args: Args) => Promise<R>) => async (_root: unknown, args: Args) => {
  try {
    return await resolve(args);
  } catch (error) {
    if (error instanceof BadRequestError) throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
    throw error;
  }
};

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

function createYogaBaseline(pool: pg.Pool) {
  const source = createReadSource(pool);
  const hostCursor = (host: HostRow) => encodeCursor("host", [host.id]);
  const schema = createSchema({
    typeDefs,
    resolvers: {
      DateTime: new GraphQLScalarType({ name: "DateTime", serialize: (value) => (value as Date).toISOString() }),
      Query: {
        hosts: badInput(async (args: PageArgs) => {
          const size = pageSize(args.first);
          const after = args.after ? decodeCursor("host", args.after, 1)[0]! : null;
          const { hosts, totalCount } = await source.hosts(after, size);
          return { ...connection(hosts, size, args.after, hostCursor), totalCount };
        }),
        software: badInput(async (args: PageArgs) => {
          const size = pageSize(args.first);
          const { titles, totalCount } = await source.titles(args.after ? decodeTitleCursor(args.after) : null, size);
          return { ...connection(titles, size, args.after, encodeTitleCursor), totalCount };
        }),
        softwareHosts: badInput(async (args: PageArgs & { name: string; source?: string | null }) => {
          const size = pageSize(args.first);
          const after = args.after ? decodeCursor("host", args.after, 1)[0]! : null;
          const { hosts, totalCount } = await source.softwareHosts({ name: args.name, ...(args.source ? { source: args.source } : {}) }, after, size);
          return { ...connection(hosts, size, args.after, hostCursor), totalCount };
        }),
        snapshotDiff: badInput(async (args: PageArgs & { from: string; to: string }) => {
          const size = pageSize(args.first);
          const from = fromGlobalId("Snapshot", args.from);
          const to = fromGlobalId("Snapshot", args.to);
          const diff = await source.diff(from, to);
          const start = args.after ? decodeCursor("diff", args.after, 4)[3]! : 0;
          const cursor = (index: number) => encodeCursor("diff", [from, to, ALL_KINDS, index]);
          const page = diff.changes.slice(start, start + size);
          const edges = page.map((node, i) => ({ cursor: cursor(start + i + 1), node }));
          return {
            edges,
            pageInfo: {
              hasNextPage: start + size < diff.changes.length,
              hasPreviousPage: start > 0,
              startCursor: edges[0]?.cursor ?? null,
              endCursor: edges.at(-1)?.cursor ?? null,
            },
            totalCount: diff.changes.length,
            counts: { added: diff.counts.ADDED, removed: diff.counts.REMOVED, upgraded: diff.counts.UPGRADED, downgraded: diff.counts.DOWNGRADED },
          };
        }),
      },
      Host: { id: (host: HostRow) => globalId("Host", host.id) },
      App: { id: (app: AppChange["app"]) => globalId("App", app.id) },
    },
  });
  return createYoga({ schema, graphqlEndpoint: "/graphql", landingPage: false, graphiql: false });
}

await serveBaseline("read-queries-yoga", createYogaBaseline);
