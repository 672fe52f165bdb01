// The jobs' clock: each job's cron slots, in its time zone, drive the runner. node-cron's
// noOverlap keeps a slow run from being stacked on by its own next slot inside the process;
// the runner's database lock covers every other process.
import cron from 'node-cron';
import type { Logger } from 'pino';
import type { Boundary } from '../runtime/boundary';
import type { Job, JobOutcome, JobRunner } from './runner';

export interface CronHandle {
  stop(): void;
  nextRun(): Date | null;
}

/** What the scheduler needs from a cron library; tests drive the slots themselves. */
export interface CronDriver {
  schedule(expression: string, timezone: string, name: string, fire: (slot: Date) => Promise<void>): CronHandle;
}

/** node-cron, its own warnings (e.g. a slot missed while the process was stalled) sent to our log. */
export function nodeCronDriver(log?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>): CronDriver {
  const logger = log && {
    info: (m: string) => log.info({ cron: true }, m),
    warn: (m: string) => log.warn({ cron: true }, m),
    error: (m: string | Error) => log.error({ cron: true, err: String(m) }, 'node-cron error'),
    debug: (m: string | Error) => log.debug({ cron: true }, String(m)),
  };
  return {
    schedule(expression, timezone, name, fire) {
      const task = cron.schedule(expression, (ctx) => fire(ctx.date), { timezone, name, noOverlap: true, ...(logger ? { logger } : {}) });
      return { stop: () => void task.destroy(), nextRun: () => task.getNextRun() };
    },
  };
}

/** The next slot of a cron expression after now (for `ivrctl jobs list` without a controller). */
export function nextSlot(expression: string, timezone: string): Date | null {
  const task = cron.schedule(expression, () => {}, { timezone });
  try {
    return task.getNextRun();
  } finally {
    void task.destroy();
  }
}

export interface JobInfo {
  name: string;
  description: string;
  crons: string[];
  timezone: string;
  nextRun: string | null;
}

export class JobScheduler {
  private handles = new Map<string, CronHandle[]>();

  constructor(
    private jobs: Job[],
    private readonly runner: JobRunner,
    private readonly driver: CronDriver = nodeCronDriver(),
    private readonly boundary?: Boundary,
  ) {}

  start(): void {
    for (const job of this.jobs) {
      this.handles.set(
        job.name,
        job.crons.map((expr) =>
          this.driver.schedule(expr, job.timezone, job.name, async (slot) => {
            // the runner records a job's own failure; this catches a failure of the record itself
            await this.runner.run(job, 'schedule', slot).catch((err: unknown) => {
              if (!this.boundary) throw err;
              this.boundary.report('job', err, { job: job.name });
            });
          }),
        ),
      );
    }
  }

  stop(): void {
    for (const hs of this.handles.values()) for (const h of hs) h.stop();
    this.handles.clear();
  }

  /**
   * New slots after a configuration reload (the close-window slots follow the hours). A run
   * in progress goes on: the runner's lock keeps it from being doubled by a new slot.
   */
  replace(jobs: Job[]): void {
    const running = this.handles.size > 0;
    this.stop();
    this.jobs = jobs;
    if (running) this.start();
  }

  find(name: string): Job | undefined {
    return this.jobs.find((j) => j.name === name);
  }

  /** A sysadmin's run, now, through the same lock and record as a scheduled one. */
  runNow(job: Job): Promise<JobOutcome> {
    return this.runner.run(job, 'manual');
  }

  list(): JobInfo[] {
    return this.jobs.map((j) => {
      const next = (this.handles.get(j.name) ?? []).map((h) => h.nextRun()).filter((d): d is Date => d !== null);
      next.sort((a, b) => a.getTime() - b.getTime());
      return { name: j.name, description: j.description, crons: j.crons, timezone: j.timezone, nextRun: next[0]?.toISOString() ?? null };
    });
  }
}
