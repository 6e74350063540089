/**
 * Baseline for the fleet benchmark: the least a server must do per check-in, on node:http. It reads
 * the body, parses it, looks the node key up in PostgreSQL (by its SHA-256, in the service's own
 * hosts table) and answers an empty distributed read.
 *
 * It keeps nothing between requests: every check-in is one query, and only a row found answers
 * `{"queries":{}}`, which the benchmark checks on every response (wrk's `expect`). The service instead
 * keeps enrolled hosts in memory; the benchmark counts the PostgreSQL backends' CPU of both servers
 * in a second column, so that saving shows as what it is.
 */
import { createHash } from "node:crypto";
import { serveBaseline } from "../latest-data/serve-baseline.js";

await serveBaseline("node:http + pg key lookup", (pool) => (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { node_key?: string };
      const hash = createHash("sha256").update(body.node_key ?? "").digest();
      const { rows } = await pool.query("SELECT id FROM hosts WHERE node_key_hash = $1", [hash]);
      const answer = rows.length > 0 ? '{"queries":{}}' : '{"node_invalid":true}';
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }).end(answer);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
});
