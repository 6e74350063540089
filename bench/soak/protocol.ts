/** Messages between the soak's parent process and its subscriber workers (Node IPC, JSON-serialized). */

export const SUBSCRIPTION = "subscription SoakSnapshots($hostId: ID) { snapshotUpdated(hostId: $hostId) { id status added removed host { id } } }";

export type ProblemKind =
  /** A graphql-ws error that is not a socket closing: the server refused or broke the subscription. */
  | "error"
  /** The socket closed while nobody was stopping anything. */
  | "closed"
  /** The server ended the subscription on its own; snapshotUpdated never ends. */
  | "complete"
  /** An event with GraphQL errors, without a snapshot, for a FAILED collection, or of a host not subscribed to. */
  | "bad-event"
  /** A snapshot id at or below one this subscriber already had of that host: a repeat or an out-of-order event. */
  | "repeat"
  /** The connection never got to connection_ack. */
  | "connect";

export type ToWorker =
  | { type: "report"; requestId: number }
  /** From now on the server is going away: closures are expected, not problems. */
  | { type: "expect-close"; requestId: number }
  | { type: "close" };

export type FromWorker =
  | { type: "ready"; subscribed: number; failed: number }
  /** Pushed every few seconds so the parent can print progress without asking. */
  | { type: "stats"; events: number; problems: number; open: number }
  | { type: "problem"; subscriber: number; kind: ProblemKind; detail: string }
  /** bySnapshot: [numeric snapshot id, how many of this worker's subscribers received it]. */
  | { type: "report"; requestId: number; events: number; problems: number; open: number; bySnapshot: [number, number][] }
  | { type: "expecting-close"; requestId: number }
  /** Close codes seen over the whole run, as [code, count]; sent right before the worker exits. */
  | { type: "closed"; closeCodes: [number, number][] };
