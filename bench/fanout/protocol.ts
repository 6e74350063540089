/** What bench/fanout.ts and its subscriber workers (client.ts) say to each other over Node IPC. */

/** Every subscriber sends exactly this document, so a server that shares work across equal operations can. */
export const SUBSCRIPTION = "subscription { snapshotUpdated { id status collectedAt appCount added removed } }";

/** graphql-ws operation ids are per connection; each socket carries one subscription, always this one. */
export const OPERATION_ID = "1";

export type ToClient =
  /** Forget the previous round: from now on the next frame on each socket belongs to `round`. */
  | { type: "arm"; round: number }
  /** Stop listening for `round`, check what arrived against the snapshot the parent expects, and send it. */
  | { type: "report"; round: number; expectedId: string };

export interface ClientReport {
  type: "report";
  round: number;
  /** Receipt times (epoch ms, sub-millisecond) of the sockets whose one frame was the expected event. */
  times: number[];
  /** Sockets that received nothing in the round. */
  missing: number;
  /** Sockets that received more than one frame in the round. */
  duplicates: number;
  /** Sockets whose frame was not a `next` for the expected snapshot (errors, complete, another id). */
  wrong: number;
  /** Sockets that closed since they subscribed. */
  closed: number;
  /** Frames that arrived between rounds, when nothing was published. */
  stray: number;
  /** A few of the problems above, spelled out. */
  examples: string[];
}

export type FromClient =
  | {
      type: "ready";
      subscribed: number;
      failed: number;
      examples: string[];
      /** Date.now() minus timeOrigin + now(): how far this process's receipt clock is from the wall clock. */
      clockSkewMs: number;
    }
  | { type: "armed"; round: number }
  /** Sent once, at the moment the last of this worker's sockets hears its first frame of the round. */
  | { type: "delivered"; round: number }
  | ClientReport;
