import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthPlugin } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type FragmentDefinitionNode,
  type GraphQLOutputType,
  type GraphQLType,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { ErrorCode } from "../errors.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../schema/paging.js";

/** A list that is not a connection has no page size; it is costed as if this long. */
const PLAIN_LIST_FACTOR = 10;

function limitError(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX } });
}

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/**
 * Cost of an operation: each field costs 1 plus its children, and the children of a connection
 * (a type named *Connection) count once per item of the page it asks for. A page size given as a
 * variable counts as the largest allowed, since validation runs before variables are known.
 */
export function costRule(maxCost: number): ValidationRule {
  return (context: ValidationContext) => {
    const fragments = new Map<string, number>();
    const cost = (selectionSet: SelectionSetNode, parentType: GraphQLOutputType, seen: Set<string>): number => {
      const parent = getNamedType(parentType);
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? context.getSchema().getType(selection.typeCondition.name.value) : parent;
          total += cost(selection.selectionSet, (type as GraphQLOutputType | null) ?? parentType, seen);
        } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const name = selection.name.value;
          if (seen.has(name)) continue;
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
          if (!fragment) continue;
          const type = context.getSchema().getType(fragment.typeCondition.name.value) as GraphQLOutputType | null;
          if (!fragments.has(name)) fragments.set(name, cost(fragment.selectionSet, type ?? parentType, new Set([...seen, name])));
          total += fragments.get(name)!;
        } else {
          const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
          if (!field || !selection.selectionSet) {
            total += 1;
            continue;
          }
          const children = cost(selection.selectionSet, field.type, seen);
          const named = getNamedType(field.type).name;
          let factor = 1;
          if (named.endsWith("Connection")) {
            const size = selection.arguments?.find((a) => a.name.value === "first" || a.name.value === "last")?.value;
            factor = !size ? DEFAULT_PAGE_SIZE : size.kind === Kind.INT ? Math.max(0, Number(size.value)) : MAX_PAGE_SIZE;
          } else if (isList(field.type) && !parent.name.endsWith("Connection")) {
            // A connection's edges are the page its size already counted.
            factor = PLAIN_LIST_FACTOR;
          }
          total += 1 + factor * children;
        }
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        const root =
          operation.operation === "query"
            ? context.getSchema().getQueryType()
            : operation.operation === "mutation"
              ? context.getSchema().getMutationType()
              : context.getSchema().getSubscriptionType();
        if (!root) return;
        const total = cost(operation.selectionSet, root, new Set());
        if (total > maxCost) context.reportError(limitError(`Query cost limit of ${maxCost} exceeded, found ${total} (MAX_COST; page sizes multiply).`));
      },
    };
  };
}

/** The checks every operation passes before it runs. Messages name the limit, never echo the query. */
export function limitPlugins(limits: Config["limits"], options: { introspection: boolean }): Plugin[] {
  // Report through the validation context instead of throwing, so a refusal is an ordinary
  // validation error: HTTP 400 with a code, like every other invalid document.
  const report = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(limitError(error.message.replace(/^Syntax Error: /, "")))] };
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.maxTokens }),
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...report }),
    // Aliased __typename counts too: a thousand of them is a thousand response entries.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], ...report }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...report }),
    { onValidate: ({ addValidationRule }) => addValidationRule(costRule(limits.maxCost)) },
  ] as Plugin[];
  if (!options.introspection) {
    plugins.push({
      onValidate: ({ addValidationRule }) => {
        addValidationRule(NoSchemaIntrospectionCustomRule);
        // "Did you mean …?" would hand out the schema that turning introspection off hides.
        return ({ result, setResult }) => {
          if (result.length === 0) return;
          setResult(result.map((error) => (/Did you mean/.test(error.message) ? new GraphQLError(error.message.replace(/ Did you mean .*$/, ""), { nodes: error.nodes ?? null }) : error)));
        };
      },
    });
  }
  return plugins;
}
