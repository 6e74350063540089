/**
 * PostGraphile v5 for the read benchmarks, run by peer.ts with a Node 22 binary from the folder it
 * installed PostGraphile into (this file is copied there, so its imports resolve to those packages).
 * The Amber preset with PostGraphile's defaults, production mode (NODE_ENV), no GraphiQL, no watch, no
 * explain. Serves DATABASE_URL's schemas PGL_SCHEMAS (comma-separated) at /graphql on an ephemeral
 * loopback port and prints the benchmark's JSON listening line; SIGTERM closes it.
 * Plain JavaScript: the project's type check does not see PostGraphile's packages.
 */
import { createServer } from "node:http";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const LISTENING = "GraphQL server listening";

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write("postgraphile: DATABASE_URL is not set\n");
  process.exit(2);
}
const schemas = (process.env.PGL_SCHEMAS ?? "public").split(",").filter(Boolean);

// pg's default pool (10 connections), as the service and the baselines have.
const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000 });
pool.on("error", (error) => process.stderr.write(`postgraphile: idle PostgreSQL connection failed: ${error.message}\n`));

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ pool, schemas })],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  process.stderr.write(`postgraphile: ${error.stack ?? error}\n`);
  process.exit(1);
});
await serv.addTo(server);
// The schema is built on first use otherwise; build it now so that no request of the benchmark waits for it.
await pgl.getSchema();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();
process.stdout.write(`${JSON.stringify({ level: "info", server: "postgraphile", url: `http://127.0.0.1:${port}/graphql`, msg: LISTENING })}\n`);

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.resolve(pgl.release())
    .then(() => pool.end())
    .finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
