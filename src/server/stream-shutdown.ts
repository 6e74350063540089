import { Repeater } from "@graphql-yoga/subscription";
import { isAsyncIterable, type Plugin } from "graphql-yoga";

export interface StreamShutdown {
  plugin: Plugin;
  /** Completes every subscription stream, open or opened later: SSE clients get `complete`. */
  end(): void;
}

/**
 * Subscriptions otherwise never end, and a stream cut by closing its socket is an error to an SSE
 * client (and a keep-alive socket the server waits for). Ending the source lets Yoga send
 * `event: complete` and finish the response like any other.
 */
export function createStreamShutdown(): StreamShutdown {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  return {
    plugin: {
      onSubscribe: () => ({
        onSubscribeResult: ({ result, setResult }) => {
          if (isAsyncIterable(result)) setResult(Repeater.race([result, ended]) as typeof result);
        },
      }),
    },
    end: () => end(),
  };
}
