import { createPubSub as createYogaPubSub } from "graphql-yoga";
import type { Snapshot } from "./generated/prisma/client.js";

/** Every topic the service publishes on; subscriptions read from the same instance. */
export type Topics = {
  snapshotUpdated: [snapshot: Snapshot];
};

export type PubSub = ReturnType<typeof createPubSub>;

export function createPubSub() {
  return createYogaPubSub<Topics>();
}
