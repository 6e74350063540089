/**
 * The plain-GraphQL yardstick: graphql-yoga with its defaults, a hand-written SDL schema for latestData
 * and resolvers over `pg`, no ORM and no response cache. It reads through the same statements as the
 * floor, so the difference between the two is what GraphQL itself costs.
 */
import { GraphQLError, GraphQLScalarType } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import type pg from "pg";
import { BadRequestError, createLatestDataSource, encodeCursor, globalId, type AppRow, type LatestDataArgs, type SnapshotRow } from "./pg-source.js";
import { serveBaseline } from "./serve-baseline.js";

const typeDefs = /* GraphQL */ `
  scalar DateTime

  type Query {
    latestData(first: Int, after: String): LatestDataConnection!
  }

  type LatestDataConnection {
    totalCount: Int!
    snapshot: Snapshot
    edges: [AppEdge!]!
    pageInfo: PageInfo!
  }

  type Snapshot {
    id: ID!
    collectedAt: DateTime!
    appCount: Int!
  }

  type AppEdge {
    cursor: String!
    node: App!
  }

  type App {
    id: ID!
    name: String!
    version: String
    source: String!
    publisher: String
    firstSeenAt: DateTime!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
`;

function createYogaBaseline(pool: pg.Pool) {
  const source = createLatestDataSource(pool);
  const schema = createSchema({
    typeDefs,
    resolvers: {
      DateTime: new GraphQLScalarType({ name: "DateTime", serialize: (value) => (value as Date).toISOString() }),
      Query: {
        latestData: async (_root: unknown, args: LatestDataArgs) => {
          let page;
          try {
            page = await source.read(args);
          } catch (error) {
            if (error instanceof BadRequestError) throw new GraphQLError(error.message, { extensions: { code: "BAD_USER_INPUT" } });
            throw error;
          }
          const { snapshot } = page;
          const edges = snapshot ? page.apps.map((app) => ({ cursor: encodeCursor(snapshot.id, app.id), node: app })) : [];
          return {
            totalCount: page.totalCount,
            snapshot,
            edges,
            pageInfo: {
              hasNextPage: page.hasNextPage,
              hasPreviousPage: page.hasPreviousPage,
              startCursor: edges[0]?.cursor ?? null,
              endCursor: edges.at(-1)?.cursor ?? null,
            },
          };
        },
      },
      Snapshot: { id: (snapshot: SnapshotRow) => globalId("Snapshot", snapshot.id) },
      App: { id: (app: AppRow) => globalId("App", app.id) },
    },
  });
  return createYoga({ schema, graphqlEndpoint: "/graphql", landingPage: false, graphiql: false });
}

await serveBaseline("yoga", createYogaBaseline);
