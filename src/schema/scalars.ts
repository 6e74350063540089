import { GraphQLError, Kind } from "graphql";
import { instantIso } from "../db/instant.js";
import { builder } from "./builder.js";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function parseDate(value: unknown): Date {
  if (typeof value !== "string" || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError("DateTime must be an ISO 8601 date-time with a time zone, e.g. 2024-05-01T12:00:00Z", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }
  return new Date(value);
}

builder.scalarType("DateTime", {
  description: "An instant, as an ISO 8601 date-time string in UTC (e.g. 2024-05-01T12:00:00.000Z).",
  serialize: instantIso,
  parseValue: parseDate,
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
});
