import type { ExecutionResult } from "graphql";

type Result = ExecutionResult;
type Source = AsyncIterable<Result> | Result;

/** Takes each result already serialised (once per event for all subscribers) and writes it out. */
export type Delivery = (serialisedResult: string) => void;

export interface SubscriptionFanout {
  /**
   * Subscribes with `start` once per key; every subscriber with the same key shares that one
   * subscription, so each event is executed and serialised once, however many subscribers hear it,
   * and handed to each subscriber's `deliver` as JSON. The stream returned carries no results: it
   * ends (or fails) with the source, and returning it unsubscribes. A result that is not a stream (a
   * subscription refused with errors) goes to whoever asked and is not shared.
   */
  subscribe(key: string, start: () => Source | Promise<Source>, deliver: Delivery): Promise<Source>;
  /** Shared subscriptions running now (for tests and metrics). */
  size(): number;
}

interface Subscriber extends AsyncIterableIterator<Result> {
  deliver: Delivery;
  fail(error: unknown): void;
  end(): void;
}

/** What the transport waits on: it settles once, when the source ends or fails, or when the client leaves. */
function createSubscriber(deliver: Delivery, onLeave: (subscriber: Subscriber) => void): Subscriber {
  let settle: ((outcome: { error: unknown } | null) => void) | null = null;
  const outcome = new Promise<{ error: unknown } | null>((resolve) => (settle = resolve));
  const subscriber: Subscriber = {
    deliver,
    fail: (error) => settle!({ error }),
    end: () => settle!(null),
    async next() {
      const ended = await outcome;
      if (ended) throw ended.error;
      return { value: undefined, done: true };
    },
    async return() {
      subscriber.end();
      onLeave(subscriber);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return subscriber;
    },
  };
  return subscriber;
}

function isStream(source: Source): source is AsyncIterable<Result> {
  return typeof (source as AsyncIterable<Result>)[Symbol.asyncIterator] === "function";
}

interface Shared {
  subscribers: Set<Subscriber>;
  /** Resolves when the source has started: with its iterator, or with a result to hand out as is. */
  started: Promise<AsyncIterator<Result> | Result>;
}

export function createSubscriptionFanout(): SubscriptionFanout {
  const shared = new Map<string, Shared>();

  const forget = (key: string, entry: Shared) => {
    if (shared.get(key) === entry) shared.delete(key);
  };
  /** The last subscriber to go closes the source, however it went. */
  const leave = (key: string, entry: Shared, iterator: AsyncIterator<Result>, subscriber: Subscriber) => {
    entry.subscribers.delete(subscriber);
    if (entry.subscribers.size > 0) return;
    forget(key, entry);
    void iterator.return?.();
  };

  function pump(key: string, entry: Shared, iterator: AsyncIterator<Result>) {
    void (async () => {
      try {
        for (;;) {
          const item = await iterator.next();
          if (item.done) break;
          const serialised = JSON.stringify(item.value);
          for (const subscriber of entry.subscribers) {
            try {
              subscriber.deliver(serialised);
            } catch (error) {
              // One broken socket ends its own subscription, not everyone else's.
              subscriber.fail(error);
              leave(key, entry, iterator, subscriber);
            }
          }
        }
      } catch (error) {
        for (const subscriber of entry.subscribers) subscriber.fail(error);
      } finally {
        forget(key, entry);
        for (const subscriber of entry.subscribers) subscriber.end();
      }
    })();
  }

  return {
    async subscribe(key, start, deliver) {
      let entry = shared.get(key);
      if (!entry) {
        const created: Shared = {
          subscribers: new Set(),
          started: Promise.resolve()
            .then(start)
            .then((source) => {
              if (!isStream(source)) {
                forget(key, created);
                return source;
              }
              const iterator = source[Symbol.asyncIterator]();
              pump(key, created, iterator);
              return iterator;
            }),
        };
        entry = created;
        shared.set(key, entry);
        created.started.catch(() => forget(key, created));
      }
      const current = entry;
      const started = await current.started;
      if (!isIterator(started)) return started;
      if (shared.get(key) !== current) {
        // The source ended while this subscriber was arriving; start afresh rather than join a dead one.
        return this.subscribe(key, start, deliver);
      }
      const subscriber = createSubscriber(deliver, (leaving) => leave(key, current, started, leaving));
      current.subscribers.add(subscriber);
      return subscriber;
    },
    size: () => shared.size,
  };
}

function isIterator(value: AsyncIterator<Result> | Result): value is AsyncIterator<Result> {
  return typeof (value as AsyncIterator<Result>).next === "function";
}
