import type { ExecutionResult } from "graphql";

type Result = ExecutionResult;
type Source = AsyncIterable<Result> | Result;

/** Takes each result already serialised (once per event for all subscribers) and writes it out. */
export type DirectDelivery = (serialisedResult: string) => void;

export interface SubscriptionFanout {
  /**
   * Subscribes with `start` once per key; every subscriber with the same key shares that one
   * subscription, so each event is executed once, however many subscribers hear it. A result that is
   * not a stream (a subscription refused with errors) goes to whoever asked and is not shared.
   *
   * With `deliver`, results go to it as JSON instead of through the returned stream, which then only
   * ends (or fails) with the source: a transport can frame one shared string per socket instead of
   * serialising the same object thousands of times.
   */
  subscribe(key: string, start: () => Source | Promise<Source>, deliver?: DirectDelivery): Promise<Source>;
  /** Shared subscriptions running now (for tests and metrics). */
  size(): number;
}

interface Subscriber extends AsyncIterableIterator<Result> {
  deliver: DirectDelivery | undefined;
  push(result: Result): void;
  fail(error: unknown): void;
  end(): void;
}

/** A queue the source fills and one client drains; it keeps what the client has not read yet. */
function createSubscriber(onLeave: (subscriber: Subscriber) => void, deliver?: DirectDelivery): Subscriber {
  const buffered: Result[] = [];
  let waiting: { resolve: (item: IteratorResult<Result>) => void; reject: (error: unknown) => void } | null = null;
  let failure: { error: unknown } | null = null;
  let done = false;

  const subscriber: Subscriber = {
    deliver,
    push(result) {
      if (done) return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.resolve({ value: result, done: false });
      } else buffered.push(result);
    },
    fail(error) {
      if (done) return;
      failure = { error };
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.reject(error);
      }
    },
    end() {
      if (done) return;
      done = true;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w.resolve({ value: undefined, done: true });
      }
    },
    next() {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift()!, done: false });
      if (failure) {
        const { error } = failure;
        failure = null;
        done = true;
        return Promise.reject(error);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      buffered.length = 0;
      subscriber.end();
      onLeave(subscriber);
      return Promise.resolve({ value: undefined, done: true });
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

  function pump(key: string, entry: Shared, iterator: AsyncIterator<Result>) {
    void (async () => {
      try {
        for (;;) {
          const item = await iterator.next();
          if (item.done) break;
          let serialised: string | undefined;
          let dropped = false;
          for (const subscriber of entry.subscribers) {
            if (!subscriber.deliver) subscriber.push(item.value);
            else {
              try {
                subscriber.deliver((serialised ??= JSON.stringify(item.value)));
              } catch (error) {
                // One broken socket ends its own subscription, not everyone else's.
                subscriber.fail(error);
                entry.subscribers.delete(subscriber);
                dropped = true;
              }
            }
          }
          // The source may run a moment before its first subscriber attaches: only a drop here empties it.
          if (dropped && entry.subscribers.size === 0) {
            if (shared.get(key) === entry) shared.delete(key);
            await iterator.return?.();
            break;
          }
        }
      } catch (error) {
        for (const subscriber of entry.subscribers) subscriber.fail(error);
      } finally {
        if (shared.get(key) === entry) shared.delete(key);
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
                if (shared.get(key) === created) shared.delete(key);
                return source;
              }
              const iterator = source[Symbol.asyncIterator]();
              pump(key, created, iterator);
              return iterator;
            }),
        };
        entry = created;
        shared.set(key, entry);
        created.started.catch(() => {
          if (shared.get(key) === created) shared.delete(key);
        });
      }
      const current = entry;
      const started = await current.started;
      if (!("next" in started) || typeof started.next !== "function") return started as Result;
      const iterator = started as AsyncIterator<Result>;
      if (shared.get(key) !== current) {
        // The source ended while this subscriber was arriving; start afresh rather than join a dead one.
        return this.subscribe(key, start, deliver);
      }
      const subscriber = createSubscriber((leaving) => {
        current.subscribers.delete(leaving);
        if (current.subscribers.size > 0) return;
        if (shared.get(key) === current) shared.delete(key);
        void iterator.return?.();
      }, deliver);
      current.subscribers.add(subscriber);
      return subscriber;
    },
    size: () => shared.size,
  };
}
