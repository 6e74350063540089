/** The parts of an urql CombinedError the console reads (kept structural so it is testable without urql). */
export interface ErrorLike {
  networkError?: Error | undefined;
  graphQLErrors: readonly { message: string; extensions?: Record<string, unknown> | undefined }[];
  response?: { status?: number } | undefined;
}

export const codeOf = (error: ErrorLike): string | null => {
  for (const e of error.graphQLErrors) {
    const code = e.extensions?.["code"];
    if (typeof code === "string") return code;
  }
  return null;
};

export const needsToken = (error: ErrorLike): boolean => codeOf(error) === "UNAUTHENTICATED" || error.response?.status === 401;

/** The service did not answer (down, starting, or failing): asking again later may work, unlike a refusal. */
export function isUnavailable(error: ErrorLike): boolean {
  if (needsToken(error)) return false;
  const code = codeOf(error);
  const status = error.response?.status;
  return code === "STARTING" || (status !== undefined && status >= 500) || (error.networkError !== undefined && code === null);
}

/** The API refused an argument: an ID or a cursor that is not one it gave out (a hand-edited or stale link). */
export const isRefusedInput = (error: ErrorLike): boolean => codeOf(error) === "BAD_USER_INPUT";

/** A sentence a person can act on; the API's codes, never its wording, decide which. */
export function describeError(error: ErrorLike): string {
  const code = codeOf(error);
  switch (code) {
    case "UNAUTHENTICATED":
      return "The API needs its token (API_TOKEN). Enter it to continue.";
    case "RATE_LIMITED":
      return "Too many requests for now; wait a moment and try again.";
    case "HOST_NOT_FOUND":
    case "NOT_FOUND":
      return "There is no such host or snapshot (it may have been removed by retention).";
    case "COLLECTION_PENDING":
      return "The agent has not answered yet. The request stays queued: the inventory arrives at its next check-in.";
    case "STARTING":
      return "The service is starting; this page asks again once it is up.";
    case "BAD_USER_INPUT":
      return `The API refused what this page asked for: ${error.graphQLErrors[0]?.message ?? "invalid input"}.`;
    case "QUERY_TOO_COMPLEX":
      return "The server refused the query as too complex (MAX_COST).";
    case null:
      break;
    default:
      return `The API answered ${code}: ${error.graphQLErrors[0]?.message ?? ""}`.trim();
  }
  if (error.networkError) {
    const status = error.response?.status;
    if (status === 503) return "The service is starting or its database is unreachable (HTTP 503).";
    return `Cannot reach the API at /graphql${status ? ` (HTTP ${status})` : ""}: is the service running? (${error.networkError.message})`;
  }
  return error.graphQLErrors[0]?.message ?? "Something went wrong.";
}

/** `[OSQUERY_TIMEOUT] osqueryi did not finish…` → code and reason of a failed snapshot. */
export function snapshotFailure(error: string | null | undefined): { code: string | null; reason: string } | null {
  if (!error) return null;
  const match = /^\[([A-Z_]+)\]\s*(.*)$/s.exec(error);
  return match ? { code: match[1]!, reason: match[2]! } : { code: null, reason: error };
}
