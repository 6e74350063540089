import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";

/** The service's listen message: the benchmark waits for the same line from all three servers. */
export const LISTENING = "GraphQL server listening";

/**
 * Runs a baseline as its own process, so the benchmark can read the CPU time of exactly the process
 * serving. Reads DATABASE_URL, listens on an ephemeral loopback port and prints a JSON line with the
 * URL, as the service does; SIGTERM closes it.
 */
export async function serveBaseline(name: string, createHandler: (pool: pg.Pool) => RequestListener): Promise<void> {
  const url = process.env["DATABASE_URL"];
  if (!url) {
    process.stderr.write(`${name}: DATABASE_URL is not set\n`);
    process.exit(2);
  }
  // The service's pool settings (src/db/client.ts), so no baseline gets more connections than it has.
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 5000 });
  // The benchmark drops the database under idle connections when it ends; that is no reason to crash.
  pool.on("error", (error) => process.stderr.write(`${name}: idle PostgreSQL connection failed: ${error.message}\n`));
  const server = createServer(createHandler(pool));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ level: "info", server: name, url: `http://127.0.0.1:${port}/graphql`, msg: LISTENING })}\n`);

  const stop = () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
