import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { ExecutionResult } from "graphql";

type Result = ExecutionResult;
type Source = AsyncIterable<Result> | Result;

/** Writes one result, already serialised (once per event for all subscribers), to one subscriber's `target`. */
export type Delivery<T> = (target: T, serialisedResult: string) => void;

export interface SubscriptionFanout<T> {
  /**
   * Subscribes with `start` once per key; every subscriber with the same key shares that one
   * subscription, so each event is executed and serialised once, however many subscribers hear it,
   * and handed to the fan-out's delivery with each subscriber's `target`. The stream returned carries
   * no results: it ends (or fails) with the source, and returning it unsubscribes. A result that is
   * not a stream (a subscription refused with errors) goes to whoever asked and is not shared.
   */
  subscribe(key: string, start: () => Source | Promise<Source>, target: T): Promise<Source>;
  /** Shared subscriptions running now (for tests and metrics). */
  size(): number;
}

export interface SubscriptionFanoutOptions<T> {
  deliver: Delivery<T>;
  /**
   * Deliveries between two yields to the event loop: an event for thousands of subscribers is written
   * in slices, so requests and other events are not held up until the last socket has it.
   * @default 1000
   */
  sliceSize?: number;
}

interface Shared<T> {
  key: string;
  subscribers: Set<Subscriber<T>>;
  /** Resolves when the source has started: with its iterator, or with a result to hand out as is. */
  started: Promise<AsyncIterator<Result> | Result>;
  /** Set once the source has started as a stream. */
  iterator: AsyncIterator<Result> | null;
}

const done = (): IteratorReturnResult<undefined> => ({ value: undefined, done: true });

/**
 * What the transport waits on: a stream with no items that settles once, when the source ends or
 * fails, or when the client leaves. Thousands are held at once, so it is one object with its
 * methods on the prototype; the promise the transport waits on exists only while it waits.
 */
class Subscriber<T> implements AsyncIterableIterator<Result> {
  /** Undefined while running; null once ended; the error once failed. */
  #ended: { error: unknown } | null | undefined = undefined;
  /** The transport's pending next(), and how to settle it (a failure settles it with a rejected promise). */
  #waiting: Promise<IteratorResult<Result>> | null = null;
  #wake: ((result: IteratorResult<Result> | Promise<never>) => void) | null = null;

  constructor(
    readonly target: T,
    readonly entry: Shared<T>,
    private readonly leave: (subscriber: Subscriber<T>) => void,
  ) {}

  get active(): boolean {
    return this.#ended === undefined;
  }

  fail(error: unknown): void {
    this.#settle({ error });
  }

  end(): void {
    this.#settle(null);
  }

  #settle(outcome: { error: unknown } | null): void {
    if (this.#ended !== undefined) return;
    this.#ended = outcome;
    const wake = this.#wake;
    this.#waiting = this.#wake = null;
    wake?.(outcome ? Promise.reject(outcome.error) : done());
  }

  next(): Promise<IteratorResult<Result>> {
    const ended = this.#ended;
    if (ended === null) return Promise.resolve(done());
    if (ended) return Promise.reject(ended.error);
    return (this.#waiting ??= new Promise((resolve) => (this.#wake = resolve)));
  }

  return(): Promise<IteratorResult<Result>> {
    this.end();
    this.leave(this);
    return Promise.resolve(done());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function isStream(source: Source): source is AsyncIterable<Result> {
  return typeof (source as AsyncIterable<Result>)[Symbol.asyncIterator] === "function";
}

function isIterator(value: AsyncIterator<Result> | Result): value is AsyncIterator<Result> {
  return typeof (value as AsyncIterator<Result>).next === "function";
}

export function createSubscriptionFanout<T>({ deliver, sliceSize = 1000 }: SubscriptionFanoutOptions<T>): SubscriptionFanout<T> {
  if (!(Number.isInteger(sliceSize) && sliceSize > 0)) throw new Error(`sliceSize must be a positive whole number (got ${sliceSize})`);
  const shared = new Map<string, Shared<T>>();

  const forget = (entry: Shared<T>) => {
    if (shared.get(entry.key) === entry) shared.delete(entry.key);
  };
  /** The last subscriber to go closes the source, however it went. */
  const leave = (subscriber: Subscriber<T>) => {
    const { entry } = subscriber;
    if (!entry.subscribers.delete(subscriber) || entry.subscribers.size > 0) return;
    forget(entry);
    void entry.iterator?.return?.();
  };

  /** Hands one event to everyone subscribed when it came, a slice at a time. */
  async function broadcast(entry: Shared<T>, serialised: string) {
    // A copy: subscribers come and go while the loop yields, and one who came after the event has no claim on it.
    const audience = [...entry.subscribers];
    for (let i = 0; i < audience.length; i++) {
      if (i > 0 && i % sliceSize === 0) await yieldToLoop();
      const subscriber = audience[i]!;
      if (!subscriber.active) continue;
      try {
        deliver(subscriber.target, serialised);
      } catch (error) {
        // One broken socket ends its own subscription, not everyone else's.
        subscriber.fail(error);
        leave(subscriber);
      }
    }
  }

  async function pump(entry: Shared<T>, iterator: AsyncIterator<Result>) {
    try {
      for (;;) {
        const item = await iterator.next();
        if (item.done) break;
        // Events stay in order: the next is not taken before every subscriber has this one.
        await broadcast(entry, JSON.stringify(item.value));
      }
    } catch (error) {
      for (const subscriber of entry.subscribers) subscriber.fail(error);
    } finally {
      forget(entry);
      for (const subscriber of entry.subscribers) subscriber.end();
    }
  }

  return {
    async subscribe(key, start, target) {
      let entry = shared.get(key);
      if (!entry) {
        const created: Shared<T> = {
          key,
          subscribers: new Set(),
          iterator: null,
          started: Promise.resolve()
            .then(start)
            .then((source) => {
              if (!isStream(source)) {
                forget(created);
                return source;
              }
              const iterator = source[Symbol.asyncIterator]();
              created.iterator = iterator;
              void pump(created, iterator);
              return iterator;
            }),
        };
        entry = created;
        shared.set(key, entry);
        created.started.catch(() => forget(created));
      }
      const current = entry;
      const started = await current.started;
      if (!isIterator(started)) return started;
      if (shared.get(key) !== current) {
        // The source ended while this subscriber was arriving; start afresh rather than join a dead one.
        return this.subscribe(key, start, target);
      }
      const subscriber = new Subscriber(target, current, leave);
      current.subscribers.add(subscriber);
      return subscriber;
    },
    size: () => shared.size,
  };
}
