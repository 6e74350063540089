import { getNamedType, isLeafType, type GraphQLObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { columnsNamed } from "../../src/schema/columns.js";
import { schema } from "../../src/schema/index.js";
import { APP_COLUMN_SETS } from "../../src/store/app-statements.js";
import { backends } from "../helpers/backends.js";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { macos, windows, type Scenario } from "../helpers/machine.js";

const appFields = () => Object.values((schema.getType("App") as GraphQLObjectType).getFields());

describe.each(backends)("latestData reads the columns its selection shows, on %s", (backend) => {
  // No platform reports every field: macOS apps have bundle identifiers, Windows programs publishers.
  const harnesses: Harness[] = [];
  let h: Harness;
  const ask = async (query: string) => {
    const response = await h.fetch(ENDPOINT, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!;
  };

  beforeAll(async () => {
    for (const scenario of [macos(), windows()] as Scenario[]) {
      const harness = await createHarness(backend, scenario, { responseCache: false });
      harnesses.push(harness);
      expect((await harness.collector.collect()).status).toBe("SUCCEEDED");
    }
    h = harnesses[0]!;
  });
  afterAll(async () => {
    for (const harness of harnesses) await harness.dispose();
  });

  it("when each field of App is asked alone, in pairs and all together, then each app shows what node(id:) shows (read with every column)", async () => {
    const fields = appFields().map((field) => (isLeafType(getNamedType(field.type)) ? field.name : `${field.name} { __typename }`));
    const selections = [...fields, ...fields.slice(1).map((field, i) => `${fields[i]} ${field}`), fields.join(" ")];
    const shown = new Set<string>();
    for (const harness of harnesses) {
      h = harness;
      const all = (await ask(`{ latestData(first: 100) { edges { node { id ${fields.join(" ")} } } } }`)) as {
        latestData: { edges: { node: Record<string, unknown> }[] };
      };
      const apps = all.latestData.edges.map((edge) => edge.node);
      expect(apps.length).toBeGreaterThan(1);
      for (const app of apps) for (const [key, value] of Object.entries(app)) if (value !== null) shown.add(key);
      const ids = JSON.stringify(apps.map((app) => app["id"]));
      for (const selection of selections) {
        const listed = (await ask(`{ latestData(first: 100) { edges { node { id ${selection} } } } }`)) as { latestData: { edges: { node: unknown }[] } };
        const nodes = (await ask(`{ nodes(ids: ${ids}) { ... on App { id ${selection} } } }`)) as { nodes: unknown[] };
        expect({ selection, apps: listed.latestData.edges.map((edge) => edge.node) }).toEqual({ selection, apps: nodes.nodes });
      }
    }
    h = harnesses[0]!;
    // Every field has a value on some app, so a column left unread (null) would show.
    expect(appFields().filter((field) => !shown.has(field.name))).toEqual([]);
  });

  it("when App's fields come through fragments, inline fragments and aliases, then their columns are read too", async () => {
    const data = (await ask(`query { latestData(first: 1) { ...Edges } }
      fragment Edges on LatestDataConnection { edges { ... on AppEdge { node { ...Names p: path } } } }
      fragment Names on App { name ... on App { bundleIdentifier } }`)) as { latestData: { edges: { node: Record<string, unknown> }[] } };
    const node = data.latestData.edges[0]!.node;
    expect(Object.keys(node).sort()).toEqual(["bundleIdentifier", "name", "p"]);
    expect(Object.values(node).every((value) => typeof value === "string")).toBe(true);
  });

  it("when the schema is built, then every field of App but its id names the columns it reads, all of them App's", () => {
    const fields = appFields().filter((field) => field.name !== "id");
    expect(fields.filter((field) => columnsNamed(field) === undefined).map((field) => field.name)).toEqual([]);
    const known = new Set<string>(APP_COLUMN_SETS.all.keys);
    expect(fields.flatMap((field) => columnsNamed(field)!).filter((column) => !known.has(column))).toEqual([]);
  });
});
