import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { redactUrl } from "../logger.js";
import type { PubSubOptions } from "./pubsub.js";

export interface RedisEvents {
  eventTarget: NonNullable<PubSubOptions["eventTarget"]>;
  /**
   * Calls `listener` each time the subscriber connection is back after a break: messages published
   * meanwhile are lost (pub/sub keeps nothing), so whatever was derived from them may be stale.
   */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * Subscription events over Redis pub/sub, so a subscriber on one instance hears a collection done by
 * another. A subscribed Redis connection can do nothing else, hence two clients.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisEvents> {
  const options = { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  for (const client of [publishClient, subscribeClient]) {
    client.on("error", (error: Error) => logger.warn({ err: error }, "redis connection error"));
  }
  try {
    await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  } catch (error) {
    publishClient.disconnect();
    subscribeClient.disconnect();
    throw new Error(`Redis is unreachable at ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  logger.info({ url: redactUrl(url) }, "subscription events go through Redis");

  const reconnectListeners: (() => void)[] = [];
  let broken = false;
  subscribeClient.on("close", () => {
    broken = true;
  });
  // ioredis subscribes again by itself on reconnect; "ready" comes after that.
  subscribeClient.on("ready", () => {
    if (!broken) return;
    broken = false;
    logger.warn("redis subscriber reconnected; events published while it was away are lost");
    for (const listener of reconnectListeners) listener();
  });

  // The event target fires these and drops the promise: while Redis is down a rejection would be
  // unhandled, and main treats those as fatal. An outage must cost events, not the process.
  const dropped = (what: string) => (error: unknown) => logger.error({ err: error }, `redis ${what} failed; the event is lost`);
  const guardedPublisher = {
    publish: (channel: string, message: string) => publishClient.publish(channel, message).catch(dropped("publish")),
  };
  const guardedSubscriber = {
    on: (event: "message", listener: (channel: string, message: string) => void) => subscribeClient.on(event, listener),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(dropped("subscribe")),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(dropped("unsubscribe")),
  };
  return {
    eventTarget: createRedisEventTarget({
      publishClient: guardedPublisher as unknown as Redis,
      subscribeClient: guardedSubscriber as unknown as Redis,
    }),
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
