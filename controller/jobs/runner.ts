// Runs one job once: takes the job's lock in the database (so the controller's schedule and
// a sysadmin's `ivrctl jobs run` / `db purge` never run the same job at once, even from two
// processes), records the run with what it did or why it failed, and logs it. A failed run
// is not retried in a loop: every job catches up on what it missed, so its next slot is
// the retry, and `ivrctl status` shows the failure until then.
import os from 'node:os';
import type { Logger } from 'pino';
import type { JobRunRow, JobRunsRepo, JobTrigger } from '../storage/job-runs-repo';

export interface Job {
  name: string;
  description: string;
  /** cron slots (five fields) and their time zone */
  crons: string[];
  timezone: string;
  /** does the work for `slot`; returns a JSON-able summary of what it did */
  run(slot: Date): Promise<unknown> | unknown;
}

export type JobOutcome =
  | { job: string; runId: number; status: 'ok'; detail: unknown }
  | { job: string; runId: number; status: 'failed'; error: string }
  | { job: string; status: 'skipped'; reason: string };

/** Same host: the process is alive if signal 0 reaches it. Another host: assume it is. */
export function processAlive(row: Pick<JobRunRow, 'host' | 'pid'>): boolean {
  if (row.host !== os.hostname()) return true;
  try {
    process.kill(row.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a write of the runner's record: in the controller through its write queue (a busy
 *  database delays the job's record, it does not fail the job), elsewhere directly. */
export type RecordWrite = <T>(what: string, write: () => T) => Promise<T>;

const direct: RecordWrite = async (_what, write) => write();

export class JobRunner {
  constructor(
    private readonly repo: JobRunsRepo,
    private readonly log: Pick<Logger, 'info' | 'warn' | 'error'>,
    private readonly now: () => Date,
    private readonly onOutcome: (o: JobOutcome) => void = () => {},
    private readonly alive: (row: JobRunRow) => boolean = processAlive,
    private readonly write: RecordWrite = direct,
  ) {}

  async run(job: Job, trigger: JobTrigger, slot: Date = this.now()): Promise<JobOutcome> {
    const at = this.now();
    const begun = await this.write('job_begin', () => this.repo.begin({ job: job.name, trigger, slot, host: os.hostname(), pid: process.pid, at }, this.alive));
    if (!begun.ok) {
      const outcome: JobOutcome = {
        job: job.name,
        status: 'skipped',
        reason: `already running since ${begun.running.startedAt} (pid ${begun.running.pid} on ${begun.running.host})`,
      };
      this.log.warn({ job: job.name, trigger, reason: outcome.reason }, 'job skipped');
      this.onOutcome(outcome);
      return outcome;
    }
    for (const r of begun.interrupted) this.log.warn({ job: job.name, runId: r.id, pid: r.pid }, 'an earlier run of the job was interrupted');
    let outcome: JobOutcome;
    try {
      const detail = await job.run(slot);
      const end = this.now();
      await this.write('job_finish', () => this.repo.finish(begun.id, 'ok', detail ?? null, end));
      outcome = { job: job.name, runId: begun.id, status: 'ok', detail: detail ?? null };
      this.log.info({ job: job.name, trigger, slot: slot.toISOString(), detail }, 'job done');
    } catch (err) {
      const error = (err as Error).message;
      const end = this.now();
      await this.write('job_finish', () => this.repo.finish(begun.id, 'failed', { error }, end));
      outcome = { job: job.name, runId: begun.id, status: 'failed', error };
      this.log.error({ job: job.name, trigger, slot: slot.toISOString(), err: error }, 'job failed; retried at its next slot');
    }
    this.onOutcome(outcome);
    return outcome;
  }
}
