import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST, getVariableValues, GraphQLError, type ExecutionArgs } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

/**
 * graphql-jit's errors are GraphQLErrors whose message cannot be changed (the plugins that hide
 * suggestions rewrite it); this one is graphql-js's own, with the same message, place and cause.
 * A result with errors and no data is a request error: a 400, as Yoga's executor makes it.
 */
function standardError(error: GraphQLError, requestError: boolean): GraphQLError {
  const given = error.extensions?.["http"] as { status?: number } | undefined;
  if (error.constructor === GraphQLError && (!requestError || given?.status !== undefined)) return error;
  const http = requestError ? { http: { ...given, status: given?.status ?? 400 } } : {};
  const copy = new GraphQLError(error.message, {
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: { ...error.extensions, ...http },
  });
  // graphql-js computes locations from AST nodes, which graphql-jit does not keep; its locations are the same.
  if (error.locations) Object.assign(copy, { locations: error.locations });
  return copy;
}

/**
 * Queries and mutations run as code graphql-jit compiles once per document (kept with the parsed
 * document, which Yoga's parse cache bounds), instead of graphql-js walking the document for every
 * field of every row: on a page of 100 apps, execution was the largest part of the request's CPU
 * (README "Performance"). Subscriptions keep the standard executor, which the fan-out shares.
 * Register it before any plugin that reads or rewrites execution errors.
 */
export function useCompiledExecution(): Plugin {
  // Variables that do not fit go to graphql-js, whose errors (and their wording) clients already get.
  const variablesFit = ({ schema, document, operationName, variableValues }: ExecutionArgs) => {
    const definitions = getOperationAST(document, operationName ?? undefined)?.variableDefinitions ?? [];
    return definitions.length === 0 || getVariableValues(schema, definitions, variableValues ?? {}, { maxErrors: 1 }).errors === undefined;
  };
  const jit = useGraphQlJit({}, { enableIf: variablesFit });
  return {
    onExecute(payload) {
      jit.onExecute?.(payload as never);
      return {
        onExecuteDone: ({ result, setResult }) => {
          if (isAsyncIterable(result) || !result.errors?.length) return;
          const requestError = !("data" in result);
          setResult({ ...result, errors: result.errors.map((e) => standardError(e, requestError)) });
        },
      };
    },
  };
}
