import { setMaxListeners } from "node:events";
import type { PubSubEventTarget } from "@graphql-yoga/subscription";
import { createPubSub as createYogaPubSub } from "graphql-yoga";
import type { Snapshot } from "./generated/prisma/client.js";

/**
 * A stored snapshot as it travels between processes (Redis carries JSON): plain values only, so
 * the timestamp is an ISO string until snapshotFromEvent turns it back.
 */
export type SnapshotEvent = Omit<Snapshot, "collectedAt"> & { collectedAt: string };

/** Every topic the service publishes on; subscriptions read from the same pubsub. */
export type Topics = {
  snapshotUpdated: [event: SnapshotEvent];
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
  return createYogaPubSub<Topics>({ eventTarget: options.eventTarget ?? localEventTarget() });
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
