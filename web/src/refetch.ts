import { makeOperation, type Client, type Exchange, type Operation } from "@urql/core";
import { pipe, tap } from "wonka";
import { isUnavailable } from "./errors.js";

export interface Refetcher {
  /** Goes first in the client's exchanges: it sees every query a page holds, and its results. */
  exchange: Exchange;
  /**
   * Asks the API again, past the cache: "failed", the queries whose last answer was that the
   * service could not be reached; "all", every query a page is showing. Returns how many.
   */
  refetch(which: "failed" | "all"): number;
}

/**
 * Nothing asks the API again by itself after it was unreachable: a page that said "cannot reach the
 * API" kept saying it after the service came back, and a page that stayed open through an outage kept
 * what it had, missing the snapshots that landed meanwhile (their events went to no socket). This
 * keeps the queries pages are subscribed to, so the console can run them again when its websocket
 * reconnects, or when someone presses "Try again".
 */
export function createRefetcher(): Refetcher {
  const active = new Map<number, Operation>();
  const failed = new Set<number>();
  let client: Client | null = null;
  const exchange: Exchange = (input) => {
    client = input.client;
    return (operations$) =>
      pipe(
        input.forward(
          pipe(
            operations$,
            tap((operation) => {
              if (operation.kind === "query") active.set(operation.key, operation);
              else if (operation.kind === "teardown") {
                active.delete(operation.key);
                failed.delete(operation.key);
              }
            }),
          ),
        ),
        tap((result) => {
          if (result.operation.kind !== "query") return;
          if (result.error && isUnavailable(result.error)) failed.add(result.operation.key);
          else failed.delete(result.operation.key);
        }),
      );
  };
  return {
    exchange,
    refetch(which) {
      const operations = which === "all" ? [...active.values()] : [...failed].flatMap((key) => active.get(key) ?? []);
      for (const operation of operations) {
        client?.reexecuteOperation(makeOperation("query", operation, { ...operation.context, requestPolicy: "network-only" }));
      }
      return operations.length;
    },
  };
}
