import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { Logger } from "./logger.js";
import { redactUrl } from "./logger.js";
import type { PubSubOptions } from "./pubsub.js";

export interface RedisEvents {
  eventTarget: NonNullable<PubSubOptions["eventTarget"]>;
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
  return {
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
