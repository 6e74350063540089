import { parse, type FieldNode, type SelectionSetNode } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, ENDPOINT, type Harness } from "../helpers/harness.js";
import { generatedPackages, ubuntu } from "../helpers/machine.js";

/**
 * The GraphQL spec orders a response's fields as the selection does. Fields whose resolvers settle
 * at different times (a promise next to a plain value) are where an executor can get this wrong.
 * Response order does not depend on the database: PGlite only.
 */

const MUTATION = "mutation { collectSnapshot { id status collectedAt appCount added removed version { osqueryVersion osName } } }";
const QUERIES: [string, string][] = [
  ["latestData's edges before its pageInfo", "{ latestData(first: 2) { edges { cursor node { id name version source } } pageInfo { hasNextPage endCursor } totalCount snapshot { id status } version { osName osqueryVersion } } }"],
  ["latestData's fields in reverse order at every level", "{ latestData(first: 2) { version { osqueryVersion osName } snapshot { status id } totalCount pageInfo { endCursor hasNextPage } edges { node { source name id } cursor } } }"],
  ["snapshots and hosts with nested records", "{ snapshots(first: 2) { edges { node { id status host { hostname id } version { osName } previous { id } } } pageInfo { hasNextPage } } hosts { edges { node { id hostname latestSnapshot { id status } } } } }"],
];

/** Response keys of each selected object, in selection order (the operations above use no fragments or aliases). */
function expectSelectionOrder(selectionSet: SelectionSetNode, value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => expectSelectionOrder(selectionSet, item, `${path}[${i}]`));
    return;
  }
  if (value === null || typeof value !== "object") return;
  const fields = selectionSet.selections as FieldNode[];
  expect(Object.keys(value), path).toEqual(fields.map((f) => f.name.value));
  for (const field of fields) {
    if (field.selectionSet) expectSelectionOrder(field.selectionSet, (value as Record<string, unknown>)[field.name.value], `${path}.${field.name.value}`);
  }
}

async function expectOrderedAnswer(h: Harness, query: string): Promise<void> {
  const response = await h.fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  // JSON.parse keeps the text's key order, so the keys read back are the order on the wire.
  const body = JSON.parse(text) as { data?: unknown; errors?: unknown };
  expect(body.errors).toBeUndefined();
  const operation = parse(query).definitions[0] as { selectionSet: SelectionSetNode };
  expectSelectionOrder(operation.selectionSet, body.data, "data");
}

describe.each([
  ["with the response cache", true],
  ["without the response cache", false],
])("response field order %s", (_name, responseCache) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("pglite", ubuntu(generatedPackages(5)), { responseCache });
  });
  afterAll(async () => {
    await h?.dispose();
  });

  it("when a mutation selects id before status, then the answer has id before status, and so on down", async () => {
    await expectOrderedAnswer(h, MUTATION);
    await expectOrderedAnswer(h, MUTATION);
  });

  it.each(QUERIES)("when a query selects %s, twice, then both answers follow the selection order", async (_name, query) => {
    await expectOrderedAnswer(h, query);
    // The second may come from the response cache.
    await expectOrderedAnswer(h, query);
  });
});
