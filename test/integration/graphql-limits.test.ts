import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { postRaw } from "../helpers/graphql.js";
import { createFakeMachine, generatedPackages, ubuntu, type FakeMachine } from "../helpers/machine.js";
import { startService, type ServiceProcess } from "../helpers/service.js";

// The limits do not depend on the database: PGlite only.

interface WsOutcome {
  /** The payload of each next message, then of the error message if there was one. */
  results: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] }[];
  errors: { message: string; extensions?: { code?: string } }[] | null;
  /** Set when the server closed the socket instead of answering. */
  closeCode: number | null;
}

/**
 * Runs one operation over graphql-ws with the subscribe message written by hand: the graphql-ws
 * client would itself overflow its stack serialising 50,000-deep variables.
 */
function overWebSocket(endpoint: string, payloadJson: string): Promise<WsOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(endpoint.replace(/^http/, "ws"), "graphql-transport-ws");
    const outcome: WsOutcome = { results: [], errors: null, closeCode: null };
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error("no answer over graphql-ws within 30 s"));
    }, 30_000);
    const finish = () => {
      clearTimeout(timer);
      socket.close(1000);
      resolve(outcome);
    };
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === "connection_ack") socket.send(`{"id":"1","type":"subscribe","payload":${payloadJson}}`);
      else if (message.type === "next") outcome.results.push(message.payload as WsOutcome["results"][number]);
      else if (message.type === "error") {
        outcome.errors = message.payload as WsOutcome["errors"];
        finish();
      } else if (message.type === "complete") finish();
    });
    socket.once("close", (code) => {
      clearTimeout(timer);
      outcome.closeCode ??= code === 1000 ? null : code;
      resolve(outcome);
    });
    socket.once("error", reject);
  });
}

/** Every error the operation got, as a request error or inside a result. */
const errorsOf = (outcome: WsOutcome) => [...(outcome.errors ?? []), ...outcome.results.flatMap((r) => r.errors ?? [])];

describe("limits over graphql-ws and HTTP in the service process", () => {
  let database: TestDatabase;
  let machine: FakeMachine;
  let service: ServiceProcess;
  let snapshotId: string;

  beforeAll(async () => {
    database = await createTestDatabase("pglite");
    machine = await createFakeMachine(ubuntu(generatedPackages(150)));
    service = await startService({ ...database.env, OSQUERY_BIN: machine.binary, INTROSPECTION: "false" });
    const collected = await service.waitForLog((l) => l.msg === "collection succeeded");
    snapshotId = Buffer.from(`Snapshot:${String(collected["snapshotId"])}`).toString("base64");
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await machine?.dispose();
    await database?.dispose();
  });

  it("when nodes(ids:) repeats a snapshot 4,000 times under changes(first: 100) over graphql-ws, then it is refused at once and /health stays responsive", async () => {
    const query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Snapshot { changes(first: 100) { edges { node { name fromVersion toVersion } } } } } }";
    const started = Date.now();
    const [outcome, health] = await Promise.all([
      overWebSocket(service.endpoint, JSON.stringify({ query, variables: { ids: Array.from({ length: 4000 }, () => snapshotId) } })),
      fetch(`${service.origin}/health`),
    ]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(health.status).toBe(200);
    expect(outcome.closeCode).toBeNull();
    expect(outcome.results.every((r) => r.data == null)).toBe(true);
    expect(errorsOf(outcome)).toEqual([
      { message: expect.stringMatching(/^Query cost limit of 20000 exceeded, found \d+/), extensions: expect.objectContaining({ code: "QUERY_TOO_COMPLEX" }) },
    ]);
    // The same snapshot with a short list runs.
    const few = await overWebSocket(service.endpoint, JSON.stringify({ query, variables: { ids: [snapshotId, snapshotId] } }));
    expect(errorsOf(few)).toEqual([]);
    expect((few.results[0]?.data as { nodes: unknown[] }).nodes).toHaveLength(2);
  });

  it("when page sizes come as variables over graphql-ws, then the cost is computed with their values", async () => {
    const query = "query($n: Int) { snapshots(first: $n) { edges { node { changes(first: $n) { edges { node { name kind app { id name } } } } } } } }";
    const large = await overWebSocket(service.endpoint, JSON.stringify({ query, variables: { n: 100 } }));
    expect(errorsOf(large).map((e) => e.extensions?.code)).toEqual(["QUERY_TOO_COMPLEX"]);
    const small = await overWebSocket(service.endpoint, JSON.stringify({ query, variables: { n: 3 } }));
    expect(errorsOf(small)).toEqual([]);
  });

  it("when variables or extensions nest 50,000 deep over graphql-ws, then the operation is refused with BAD_USER_INPUT and the socket stays open", async () => {
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    for (const part of ["variables", "extensions"]) {
      const outcome = await overWebSocket(service.endpoint, `{"query":"{ __typename }","${part}":{"x":${deep}}}`);
      expect(outcome.closeCode).toBeNull();
      expect(outcome.errors).toEqual([
        { message: `${part} nest deeper than 32 levels of lists and objects`, extensions: expect.objectContaining({ code: "BAD_USER_INPUT" }) },
      ]);
    }
    const http = await postRaw(service.endpoint, `{"query":"{ __typename }","variables":{"x":${deep}}}`);
    expect(http.status).toBe(400);
    expect(JSON.parse(http.body).errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("when a query has too many tokens, then graphql-ws and HTTP both answer QUERY_TOO_COMPLEX, in either order", async () => {
    for (const query of [`{ ${"__typename ".repeat(2100)}}`, `{ ${"hosts { edges { cursor } } ".repeat(300)}}`]) {
      const ws = await overWebSocket(service.endpoint, JSON.stringify({ query }));
      expect(ws.errors).toEqual([{ message: "Token limit of 2000 exceeded (MAX_TOKENS).", extensions: expect.objectContaining({ code: "QUERY_TOO_COMPLEX" }) }]);
      // HTTP after graphql-ws: nothing the websocket answered may be replayed without its code.
      const http = await postRaw(service.endpoint, JSON.stringify({ query }));
      expect(http.status).toBe(400);
      expect(JSON.parse(http.body)).toEqual({ errors: [{ message: "Token limit of 2000 exceeded (MAX_TOKENS).", extensions: { code: "QUERY_TOO_COMPLEX" } }] });
      const again = await overWebSocket(service.endpoint, JSON.stringify({ query }));
      expect(again.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
    }
  });

  it("when introspection is off and a variable is misspelt over graphql-ws, then the error suggests nothing", async () => {
    const outcome = await overWebSocket(
      service.endpoint,
      JSON.stringify({ query: "query($k: [ChangeKind!]) { snapshotDiff(from: \"x\", to: \"y\", kind: $k) { totalCount } }", variables: { k: ["UPGRADE"] } }),
    );
    const errors = errorsOf(outcome);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/Value "UPGRADE" does not exist in "ChangeKind" enum\.$/);
    expect(JSON.stringify(outcome)).not.toMatch(/Did you mean|UPGRADED/);
  });
});
