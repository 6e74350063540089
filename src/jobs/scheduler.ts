import schedule from "node-schedule";
import { isExpectedCollectionError } from "../errors.js";
import type { Logger } from "../logger.js";

export interface ScheduledJob {
  name: string;
  /** node-schedule cron expression, or null to run only when asked. */
  cron: string | null;
  /** Also run once when the service starts. */
  runAtStart: boolean;
  run(): Promise<unknown>;
}

export interface Scheduler {
  /** Schedules every job; ticks run only while the scheduler is active. */
  start(): void;
  /**
   * Only the leader among instances sharing a database is active. Becoming active runs the jobs that
   * run at start, so a new leader catches up at once instead of at its next tick.
   */
  setActive(active: boolean): void;
  /** Cancels every schedule and waits for runs in progress to settle. */
  stop(): Promise<void>;
}

export function createScheduler(jobs: ScheduledJob[], logger: Logger): Scheduler {
  // Our own handles: node-schedule's gracefulShutdown() would cancel every job in the process.
  const handles: schedule.Job[] = [];
  const running = new Map<string, Promise<unknown>>();
  let stopped = false;
  let active = false;

  function trigger(job: ScheduledJob, reason: "start" | "schedule") {
    if (stopped) return;
    if (!active) {
      logger.debug({ job: job.name }, "not the leader; another instance runs this tick");
      return;
    }
    if (running.has(job.name)) {
      logger.warn({ job: job.name }, "previous run still in progress; skipping this tick");
      return;
    }
    const run = job
      .run()
      .catch((error: unknown) => {
        if (isExpectedCollectionError(error)) logger.warn({ job: job.name, reason, code: error.code, error: error.message }, "scheduled job failed");
        else logger.error({ err: error, job: job.name, reason }, "scheduled job failed");
      })
      .finally(() => running.delete(job.name));
    running.set(job.name, run);
  }

  return {
    start() {
      for (const job of jobs) {
        if (job.cron) {
          const handle = new schedule.Job(job.name, () => trigger(job, "schedule"));
          handle.on("error", (error: unknown) => logger.error({ err: error, job: job.name }, "scheduler error"));
          if (!handle.schedule(job.cron)) throw new Error(`job ${job.name}: invalid schedule "${job.cron}"`);
          handles.push(handle);
          logger.info({ job: job.name, cron: job.cron, next: handle.nextInvocation()?.toISOString() }, "job scheduled");
        }
      }
    },
    setActive(value) {
      if (value === active) return;
      active = value;
      if (!active) return;
      for (const job of jobs) if (job.runAtStart) trigger(job, "start");
    },
    async stop() {
      stopped = true;
      for (const handle of handles.splice(0)) handle.cancel();
      await Promise.allSettled(running.values());
    },
  };
}
