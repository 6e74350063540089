import { lexicographicSortSchema } from "graphql";
import { builder } from "./builder.js";
import "./scalars.js";
import "./version.js";
import "./host.js";
import "./snapshot.js";
import "./app.js";
import "./history.js";
import "./software.js";
import "./node.js";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

export const schema = lexicographicSortSchema(builder.toSchema());
