import { setMaxListeners } from "node:events";
import type { PubSubEventTarget } from "@graphql-yoga/subscription";
import { createPubSub as createYogaPubSub } from "graphql-yoga";
import type { Snapshot } from "../generated/prisma/client.js";

/**
 * A stored snapshot as it travels between processes (Redis carries JSON): plain values only, so
 * the timestamp is an ISO string until snapshotFromEvent turns it back.
 */
export type SnapshotEvent = Omit<Snapshot, "collectedAt"> & { collectedAt: string };

/** What retention deleted; other instances drop cached responses that may name those snapshots. */
export interface HistoryPrunedEvent {
  snapshots: number;
}

/**
 * An enrolled host changed in a way every instance must see at once: a new node key (the old one is
 * revoked), a revoked key, or a refresh asked for by collectSnapshot. Instances drop what they keep
 * in memory of the host and read it again.
 */
export interface AgentChangedEvent {
  hostId: number;
  change: "enrolled" | "revoked" | "inventoryRequested";
}

/** Every topic the service publishes on; subscriptions read from the same pubsub. */
export type Topics = {
  snapshotUpdated: [event: SnapshotEvent];
  historyPruned: [event: HistoryPrunedEvent];
  agentChanged: [event: AgentChangedEvent];
};

export function toSnapshotEvent(snapshot: Snapshot): SnapshotEvent {
  return { ...snapshot, collectedAt: snapshot.collectedAt.toISOString() };
}

export function snapshotFromEvent(event: SnapshotEvent): Snapshot {
  return { ...event, collectedAt: new Date(event.collectedAt) };
}

export type PubSub = ReturnType<typeof createPubSub>;

export interface PubSubOptions {
  /** Where events go: in-process by default, Redis (createRedisEventTarget) across instances. */
  eventTarget?: PubSubEventTarget<Topics>;
}

export function createPubSub(options: PubSubOptions = {}) {
  const eventTarget = options.eventTarget ?? localEventTarget();
  return Object.assign(createYogaPubSub<Topics>({ eventTarget }), {
    /**
     * Calls `listener` synchronously as each event arrives, before any subscription's async iterator
     * sees it: for work that must be done before a subscriber can react (cache invalidation).
     * Listeners run in the order they were added.
     */
    listen<K extends keyof Topics>(topic: K, listener: (payload: Topics[K][0]) => void): void {
      eventTarget.addEventListener(topic, (event: Event) => listener((event as CustomEvent<Topics[K][0]>).detail));
    },
  });
}

/**
 * Every subscription adds a listener; Node warns past 10 on an EventTarget ("possible memory
 * leak"), which a thousand subscribers are not.
 */
function localEventTarget(): PubSubEventTarget<Topics> {
  const target = new EventTarget();
  setMaxListeners(0, target);
  return target as PubSubEventTarget<Topics>;
}
