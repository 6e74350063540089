import { GraphQLError } from "graphql";

/** Codes clients branch on (`extensions.code`); messages are for people and may change. */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  HOST_NOT_FOUND: "HOST_NOT_FOUND",
  COLLECTION_FAILED: "COLLECTION_FAILED",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  RATE_LIMITED: "RATE_LIMITED",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** collectSnapshot on an agent host: the agent did not answer in time; the refresh stays queued. */
  COLLECTION_PENDING: "COLLECTION_PENDING",
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  /** The request itself is malformed (its JSON, variables or extensions), before any GraphQL. */
  BAD_REQUEST: "BAD_REQUEST",
  /** A request a page on another site could have sent without the browser asking first. */
  CSRF_PREVENTED: "CSRF_PREVENTED",
  /** The Host header names a host this server does not answer to (ALLOWED_HOSTS). */
  HOST_NOT_ALLOWED: "HOST_NOT_ALLOWED",
  /** A websocket opened by a page whose origin is neither this server's nor in CORS_ORIGINS. */
  ORIGIN_NOT_ALLOWED: "ORIGIN_NOT_ALLOWED",
  /** The service is opening its database (HTTP 503, Retry-After). */
  STARTING: "STARTING",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export function badInput(message: string, argument?: string): GraphQLError {
  return appError(ErrorCode.BAD_USER_INPUT, message, argument ? { argument } : {});
}

/** Why a collection failed; stored on the FAILED snapshot as `[CODE] message`. */
export const CollectionErrorCode = {
  OSQUERY_NOT_FOUND: "OSQUERY_NOT_FOUND",
  OSQUERY_NOT_EXECUTABLE: "OSQUERY_NOT_EXECUTABLE",
  OSQUERY_EXIT: "OSQUERY_EXIT",
  OSQUERY_TIMEOUT: "OSQUERY_TIMEOUT",
  OSQUERY_OUTPUT_TOO_LARGE: "OSQUERY_OUTPUT_TOO_LARGE",
  OSQUERY_BAD_OUTPUT: "OSQUERY_BAD_OUTPUT",
  OSQUERY_ABORTED: "OSQUERY_ABORTED",
  UNSUPPORTED_PLATFORM: "UNSUPPORTED_PLATFORM",
  /** An enrolled agent reported that one of the inventory statements failed on its machine. */
  AGENT_QUERY_FAILED: "AGENT_QUERY_FAILED",
  DATABASE_ERROR: "DATABASE_ERROR",
} as const;
export type CollectionErrorCode = (typeof CollectionErrorCode)[keyof typeof CollectionErrorCode];

/**
 * Conditions of the machine rather than defects: osquery missing, not executable, too slow or too
 * verbose, an OS whose software table we do not read, or a run cut short by shutdown. They are
 * logged as one warning with the code and reason; a stack would point at our code, which did its job.
 */
const EXPECTED_COLLECTION_ERRORS: ReadonlySet<CollectionErrorCode> = new Set([
  CollectionErrorCode.OSQUERY_NOT_FOUND,
  CollectionErrorCode.OSQUERY_NOT_EXECUTABLE,
  CollectionErrorCode.OSQUERY_TIMEOUT,
  CollectionErrorCode.OSQUERY_OUTPUT_TOO_LARGE,
  CollectionErrorCode.OSQUERY_ABORTED,
  CollectionErrorCode.UNSUPPORTED_PLATFORM,
]);

export class CollectionError extends Error {
  readonly code: CollectionErrorCode;
  constructor(code: CollectionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CollectionError";
    this.code = code;
  }
}

export function isExpectedCollectionError(error: unknown): error is CollectionError {
  return error instanceof CollectionError && EXPECTED_COLLECTION_ERRORS.has(error.code);
}

/**
 * A condition of the machine or its configuration that stops the start (a port in use, a data
 * directory another process holds, an unreadable token file): logged as its message, without a stack.
 */
export class StartupError extends Error {
  override name = "StartupError";
}
