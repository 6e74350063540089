import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "../helpers/backends.js";
import { execute, expectNoGraphQLErrors } from "../helpers/graphql.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { ubuntu } from "../helpers/machine.js";
import { NodeQuery } from "../helpers/operations.js";

const globalId = (text: string) => Buffer.from(text).toString("base64");

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

describe.each(backends)("node and nodes on %s", (backend) => {
  let h: Harness;
  let snapshot: string;
  let host: string;
  let app: string;

  const ask = async (query: string, variables: Record<string, unknown> = {}): Promise<Answer> => {
    const response = await h.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Answer["body"], text };
  };
  const nodes = (ids: string[]) => ask("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", { ids });
  const errorLogs = () => h.logs.filter((l) => l.level === "error" || l.level === "fatal" || JSON.stringify(l).includes("findUniqueOrThrow"));

  beforeAll(async () => {
    h = await createHarness(backend, ubuntu());
    const collected = await h.collector.collect();
    snapshot = globalId(`Snapshot:${collected.id}`);
    host = globalId(`Host:${collected.hostId}`);
    const first = await h.db.prisma.app.findFirstOrThrow({ orderBy: { id: "asc" } });
    app = globalId(`App:${first.id}`);
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it.each(["Snapshot:999", "App:9999", "Host:99", "Snapshot:abc", "Snapshot:-1", "Snapshot:0", "App:99999999999"])(
    "when node(id:) names %s, which no record has, then it answers node: null without an error or a logged stack",
    async (id) => {
      const result = await execute(ENDPOINT, NodeQuery, { id: globalId(id) }, { fetch: h.fetch });
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ node: null });
      expect(errorLogs()).toEqual([]);
    },
  );

  it("when node(id:) names an existing snapshot, host or app, then it answers that record", async () => {
    for (const [id, typename] of [[snapshot, "Snapshot"], [host, "Host"], [app, "App"]] as const) {
      const data = expectNoGraphQLErrors(await execute(ENDPOINT, NodeQuery, { id }, { fetch: h.fetch }));
      expect(data.node).toMatchObject({ __typename: typename, id });
    }
  });

  it("when nodes(ids:) mixes existing and missing records, then each missing one is a null entry and the others are answered in order", async () => {
    const missing = [globalId("Snapshot:999"), globalId("App:9999"), globalId("Host:abc")];
    const result = await nodes([app, missing[0]!, snapshot, missing[1]!, host, missing[2]!, app]);
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data).toEqual({
      nodes: [
        { __typename: "App", id: app },
        null,
        { __typename: "Snapshot", id: snapshot },
        null,
        { __typename: "Host", id: host },
        null,
        { __typename: "App", id: app },
      ],
    });
    expect(errorLogs()).toEqual([]);
  });

  const malformed: [string, string][] = [
    ["text that is not base64 of an ID", "garbage"],
    ["the ID of a type this API does not have", globalId("Foo:1")],
    ["an ID without a type", globalId(":1")],
    ["an empty ID", ""],
    ["90 KB of text", "A".repeat(90_000)],
  ];

  it.each(malformed)("when node(id:) is given %s, then it answers BAD_USER_INPUT without echoing the ID or naming internals", async (_name, id) => {
    const result = await ask("query($id: ID!) { node(id: $id) { id } }", { id });
    expect(result.status).toBeLessThan(500);
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors![0]).toMatchObject({ message: "id is not a valid node ID", extensions: { code: "BAD_USER_INPUT" } });
    if (id.length > 0) expect(result.text).not.toContain(id);
    expect(result.text).not.toMatch(/Expected ref|Pothos|implemented|Invalid global ID/);
    expect(result.text.length).toBeLessThan(600);
  });

  it("when one ID given to nodes(ids:) is malformed, then the answer is BAD_USER_INPUT naming its position, not the ID", async () => {
    const result = await nodes([snapshot, "A".repeat(5_000)]);
    expect(result.body.errors![0]).toMatchObject({ message: "ids[1] is not a valid node ID", extensions: { code: "BAD_USER_INPUT" } });
    expect(result.text.length).toBeLessThan(600);
  });

  it("when nodes(ids:) is given more than 100 IDs, then it is refused with BAD_USER_INPUT naming the limit; 100 are answered", async () => {
    const refused = await nodes(Array.from({ length: 101 }, () => snapshot));
    expect(refused.body.errors![0]).toMatchObject({ message: "ids may hold at most 100 IDs, got 101", extensions: { code: "BAD_USER_INPUT" } });
    expect(refused.body.data ?? null).toBeNull();
    const answered = await nodes(Array.from({ length: 100 }, () => snapshot));
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data?.["nodes"]).toHaveLength(100);
  });
});
