import type pg from "pg";
import { backendTicks } from "../latest-data/processes.js";

export interface BackendMeter {
  /** Stops sampling; resolves the CPU ticks the backends spent since the meter started. */
  stop(): Promise<number>;
}

/**
 * CPU of the PostgreSQL backends serving `applicationName`, sampled every `everyMs` so that a backend
 * that exits (a pool closing an idle connection) is counted up to its last sample, and one that starts
 * is counted from zero. A single before/after reading misses every backend that exited in between.
 */
export function createBackendMeter(monitor: pg.Client, applicationName: string, everyMs = 500): BackendMeter {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let primed = false;
  let sampling: Promise<void> = Promise.resolve();
  const sample = () =>
    (sampling = sampling.then(async () => {
      for (const [pid, ticks] of await backendTicks(monitor, applicationName)) {
        // Backends already running at the first sample count from there; later ones from their start.
        if (!first.has(pid)) first.set(pid, primed ? 0 : ticks);
        last.set(pid, ticks);
      }
      primed = true;
    }));
  void sample();
  const timer = setInterval(() => void sample(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      let total = 0;
      for (const [pid, ticks] of last) total += ticks - first.get(pid)!;
      return total;
    },
  };
}
