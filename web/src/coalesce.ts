export interface CoalescerOptions<T> {
  /** Items with the same key replace each other until the next flush; null passes an item straight through. */
  keyOf: (item: T) => string | null;
  /** Receives the items of a flush, in the order their keys first arrived. */
  emit: (items: T[]) => void;
  /** @default 250 */
  intervalMs?: number;
  /** Most keys held between flushes; reaching it flushes at once, so a burst cannot grow memory. @default 1000 */
  maxKeys?: number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export interface Coalescer<T> {
  push(item: T): void;
  /** Emits what is held now. */
  flush(): void;
  /** Drops what is held and stops the timer. */
  dispose(): void;
}

/**
 * Live events arrive in bursts (a hundred hosts reporting in one second): each key keeps only its
 * newest item, and what is held is emitted at most once per interval, so the page renders a burst
 * once instead of a hundred times.
 */
export function createCoalescer<T>({
  keyOf,
  emit,
  intervalMs = 250,
  maxKeys = 1000,
  setTimer = (run, ms) => setTimeout(run, ms),
  clearTimer = (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
}: CoalescerOptions<T>): Coalescer<T> {
  let held = new Map<string, T>();
  let timer: unknown = null;
  const flush = () => {
    if (timer !== null) clearTimer(timer);
    timer = null;
    if (held.size === 0) return;
    const items = [...held.values()];
    held = new Map();
    emit(items);
  };
  return {
    push(item) {
      const key = keyOf(item);
      if (key === null) return emit([item]);
      // Deleting first moves a replaced key to the end: items leave in the order they last changed.
      held.delete(key);
      held.set(key, item);
      if (held.size >= maxKeys) return flush();
      timer ??= setTimer(flush, intervalMs);
    },
    flush,
    dispose() {
      if (timer !== null) clearTimer(timer);
      timer = null;
      held = new Map();
    },
  };
}
