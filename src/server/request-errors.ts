import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { appError, ErrorCode } from "../errors.js";
import { bodyTooLargeMessage } from "./request-body.js";

/**
 * Whatever request parser Yoga picked, its failures become client errors that echo nothing back:
 * Yoga answers malformed GET or form variables with a 500 (an unhandled SyntaxError, logged as an
 * error) and a malformed JSON body with JSON.parse's message, which quotes the body.
 */
export function useRequestParseErrors({ maxBodyBytes }: { maxBodyBytes: number }): Plugin {
  const toClientError = (error: unknown): unknown => {
    if (error instanceof GraphQLError) {
      // Yoga's own limit on bodies of undeclared length, met by in-process requests (the HTTP server
      // reads those bodies itself, see readBoundedBody).
      if (error.extensions["code"] === "REQUEST_ENTITY_TOO_LARGE") {
        return appError(ErrorCode.PAYLOAD_TOO_LARGE, bodyTooLargeMessage(maxBodyBytes), { http: { status: 413 } });
      }
      const { originalError: _quotesTheInput, ...extensions } = error.extensions;
      return new GraphQLError(error.message, { extensions });
    }
    if (error instanceof SyntaxError) {
      return appError(ErrorCode.BAD_REQUEST, "the request's variables or extensions are not valid JSON", { http: { status: 400 } });
    }
    return error;
  };
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          throw toClientError(error);
        }
      });
    },
  };
}
