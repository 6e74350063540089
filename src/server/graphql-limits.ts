import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import {
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type GraphQLType,
  type SelectionSetNode,
  type ValidationContext,
} from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { ErrorCode } from "../errors.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../schema/paging.js";

/** A list that is not a connection and takes no list argument has no known length; it is costed as if this long. */
const PLAIN_LIST_FACTOR = 10;

/**
 * Levels of lists and objects allowed in a request's `variables` and `extensions` (the object
 * itself is the first). No input type of the schema nests more than three; the bound keeps
 * anything that recurses over the JSON (cache keys, serialisation) far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 32;

export function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, http: { status: 400 } } });
}

/** Whether a parsed JSON value nests lists and objects deeper than `max`; iterative, so any depth is safe to ask about. */
export function jsonDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The refusal of a request whose variables or extensions nest too deep; null when they do not. */
export function requestJsonError(params: { variables?: unknown; extensions?: unknown }): GraphQLError | null {
  for (const part of ["variables", "extensions"] as const) {
    if (jsonDeeperThan(params[part], MAX_JSON_DEPTH)) {
      return new GraphQLError(`${part} nest deeper than ${MAX_JSON_DEPTH} levels of lists and objects`, {
        extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
      });
    }
  }
  return null;
}

/** Whether a document has more than `max` tokens; stops lexing at the first one over. */
export function tokensExceed(source: string, max: number): boolean {
  const lexer = new Lexer(new Source(source));
  try {
    for (let count = 1; lexer.advance().kind !== TokenKind.EOF; count++) if (count > max) return true;
  } catch {
    // A syntax error is the parser's to report, with its position.
  }
  return false;
}

const SUGGESTION = / Did you mean .*$/s;

/**
 * Removes any trailing "Did you mean …?" from the messages, in place: the errors are this request's
 * own, or validation errors yoga caches per document, which no request should see with it either.
 */
export function dropSuggestions(errors: readonly Error[] | undefined): void {
  for (const error of errors ?? []) error.message = error.message.replace(SUGGESTION, "");
}

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

export interface CostArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null | undefined;
  variableValues?: Readonly<Record<string, unknown>> | null | undefined;
}

/**
 * Cost of an operation with its variables: each field costs 1 plus its children, and the children
 * count once per item the field can return. That is the page size for a connection (a type named
 * *Connection; `first`/`last`, 10 when neither is given, at most 100 since larger pages are
 * refused), and for a plain list the length of its longest list argument (`nodes(ids:)` answers
 * one entry per ID), else 10. Null when the operation cannot run at all (no such operation,
 * variables that do not fit their types): execution refuses it before any resolver runs.
 */
export function operationCost({ schema, document, operationName, variableValues }: CostArgs): number | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null;
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], variableValues ?? {}, { maxErrors: 1 });
  if (variables.errors) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentCosts = new Map<string, number>();

  const argumentsOf = (field: GraphQLField<unknown, unknown>, node: Parameters<typeof getArgumentValues>[1]): Record<string, unknown> => {
    try {
      return getArgumentValues(field, node, variables.coerced);
    } catch {
      // Execution answers this field with an error and runs nothing beneath it.
      return {};
    }
  };

  const cost = (selectionSet: SelectionSetNode, parentType: GraphQLOutputType, seen: ReadonlySet<string>): number => {
    const parent = getNamedType(parentType);
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += cost(selection.selectionSet, (type as GraphQLOutputType | null | undefined) ?? parentType, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (seen.has(name) || !fragment) continue;
        if (!fragmentCosts.has(name)) {
          const type = schema.getType(fragment.typeCondition.name.value) as GraphQLOutputType | null | undefined;
          fragmentCosts.set(name, cost(fragment.selectionSet, type ?? parentType, new Set([...seen, name])));
        }
        total += fragmentCosts.get(name)!;
      } else {
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!field || !selection.selectionSet) {
          total += 1;
          continue;
        }
        const children = cost(selection.selectionSet, field.type, seen);
        let factor = 1;
        if (getNamedType(field.type).name.endsWith("Connection")) {
          const { first, last } = argumentsOf(field, selection);
          const size = typeof first === "number" ? first : typeof last === "number" ? last : DEFAULT_PAGE_SIZE;
          factor = Math.min(Math.max(size, 0), MAX_PAGE_SIZE);
        } else if (isList(field.type) && !parent.name.endsWith("Connection")) {
          // A connection's edges are the page its size already counted.
          const lists = Object.values(argumentsOf(field, selection)).filter(Array.isArray);
          factor = lists.length > 0 ? Math.max(...lists.map((list) => list.length)) : PLAIN_LIST_FACTOR;
        }
        total += 1 + factor * children;
      }
    }
    return total;
  };

  const root =
    operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  return root ? cost(operation.selectionSet, root, new Set()) : null;
}

/**
 * The checks every operation passes, over HTTP and graphql-ws alike. Messages name the limit and
 * never echo the query; every refusal carries QUERY_TOO_COMPLEX (or BAD_USER_INPUT for variables
 * nested too deep).
 */
export function limitPlugins(limits: Config["limits"], options: { introspection: boolean }): Plugin[] {
  // Report through the validation context instead of throwing, so a refusal is an ordinary
  // validation error: HTTP 400 with a code, like every other invalid document.
  const report = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(limitError(error.message))] };
  const refuseByCost = (args: CostArgs): GraphQLError | null => {
    const cost = operationCost(args);
    return cost !== null && cost > limits.maxCost ? limitError(`Query cost limit of ${limits.maxCost} exceeded, found ${cost} (MAX_COST; page sizes and ID lists multiply).`) : null;
  };
  const plugins: Plugin[] = [
    {
      // Right after the body is parsed, before anything recurses over variables or extensions
      // (the response cache serialises them into its key).
      onRequestParse: () => ({
        onRequestParseDone: ({ requestParserResult }) => {
          for (const params of Array.isArray(requestParserResult) ? requestParserResult : [requestParserResult]) {
            const error = requestJsonError(params);
            if (error) throw error;
          }
        },
      }),
      // Counted before yoga's parse cache is consulted: a refusal thrown here is never cached, so it
      // cannot be replayed to another transport without its code.
      onParse: ({ params }) => {
        const source = typeof params.source === "string" ? params.source : params.source.body;
        if (tokensExceed(source, limits.maxTokens)) {
          throw limitError(`Token limit of ${limits.maxTokens} exceeded (MAX_TOKENS).`);
        }
      },
      // The cost needs the variables, so it is checked when the operation is about to run.
      onExecute: ({ args, setResultAndStopExecution }) => {
        const error = refuseByCost(args);
        if (error) setResultAndStopExecution({ errors: [error] });
      },
      onSubscribe: ({ args, setResultAndStopExecution }) => {
        const error = refuseByCost(args);
        if (error) setResultAndStopExecution({ errors: [error] });
      },
    },
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...report }),
    // Aliased __typename counts too: a thousand of them is a thousand response entries.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...report }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...report }),
  ] as Plugin[];
  if (!options.introspection) {
    // "Did you mean …?" would hand out the schema that turning introspection off hides: in
    // validation (misspelt fields, arguments, literal values) and in execution (values of variables).
    // graphql's hideSuggestions option would not do: yoga's executor coerces variables with graphql
    // 16's coerceInputValue, which suggests regardless.
    const hide = ({ result }: { result: ExecutionResult }) => dropSuggestions(result.errors);
    plugins.push({
      onValidate: ({ addValidationRule }) => {
        addValidationRule(NoSchemaIntrospectionCustomRule);
        return ({ result }) => dropSuggestions(result);
      },
      onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, hide) }),
      onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, hide) }),
    });
  }
  return plugins;
}
