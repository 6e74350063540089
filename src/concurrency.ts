/**
 * A counting semaphore: `limit(run)` runs at most `max` of its callers' work at once; the others
 * wait their turn, first come first served.
 */
export function createLimiter(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (run) => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await run();
    } finally {
      // The place passes straight to the next in line.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
