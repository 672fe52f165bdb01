// The jobs the controller runs on its own, built from the configuration: their names, their
// slots and what each does. Also read by ivrctl (names, slots, next runs) without running them.
import type { Config } from '../config/schema';
import { backupDatabase, type BackupResult } from '../storage/backup';
import { CallbacksRepo } from '../storage/callbacks-repo';
import { createdAt, type Db } from '../storage/database';
import type { WriteQueue } from '../storage/write-queue';
import { closeWindow, windowEndCrons } from './close-window';
import { reportsDir, writeDailyReports } from './daily-report';
import { backupsDir, nightlyBackup } from './nightly-backup';
import { maskOldNumbers, type RetentionStep } from './retention';
import type { Job } from './runner';

export type JobPlan = Omit<Job, 'run'>;

export const RETENTION_JOB = 'retention';

/** What runs when, without the means to run it. */
export function jobPlan(config: Config): JobPlan[] {
  const tz = config.jobs.timezone;
  return [
    ...config.directorates
      .map((dp) => ({
        name: `close-window:${dp.id}`,
        description: `at the end of each service window of ${dp.id}: requests not reached wait for the next window (${dp.callback.atClose})`,
        crons: windowEndCrons(dp),
        timezone: dp.hours.timezone,
      }))
      .filter((j) => j.crons.length > 0),
    { name: 'daily-report', description: "each directorate's report of the previous day(s), CSV + JSON under <state dir>/reports", crons: [config.jobs.dailyReport.at], timezone: tz },
    { name: 'backup', description: `online backup of the database under <state dir>/backups, keeping the newest ${config.jobs.backup.keep}`, crons: [config.jobs.backup.at], timezone: tz },
    { name: RETENTION_JOB, description: `mask caller numbers in records older than ${config.jobs.retention.days} days`, crons: [config.jobs.retention.at], timezone: tz },
  ];
}

export interface JobDeps {
  config: Config;
  db: Db;
  stateDir: string;
  now: () => Date;
  /** the controller's write queue: the jobs' writes take their turn with the calls' */
  writes?: WriteQueue;
  /** an online backup off the event loop (the controller's database worker) */
  backup?: (target: string) => Promise<BackupResult>;
}

/** The retention job, also run by `ivrctl db purge` (possibly with other days). */
export function retentionRun(d: Pick<JobDeps, 'db' | 'now' | 'writes'>, days: number): () => unknown {
  const writes = d.writes;
  // each chunk is one transaction, queued behind the calls' writes
  const step: RetentionStep | undefined = writes && (<T>(what: string, write: () => T) => writes.apply(what, () => d.db.transaction(write).immediate()));
  return () => maskOldNumbers(d.db, days, d.now(), step);
}

export function buildJobs(d: JobDeps): Job[] {
  const { config, db } = d;
  const callbacks = new CallbacksRepo(db);
  return jobPlan(config).map((plan): Job => {
    if (plan.name.startsWith('close-window:')) {
      const dp = config.directorates.find((x) => `close-window:${x.id}` === plan.name)!;
      // the real time, not the slot: a late run must judge the requests as they are now
      return { ...plan, run: () => (d.writes ? d.writes.apply(plan.name, () => closeWindow(dp, callbacks, d.now())) : closeWindow(dp, callbacks, d.now())) };
    }
    switch (plan.name) {
      case 'daily-report':
        return {
          ...plan,
          run: (slot) =>
            writeDailyReports(db, config.directorates, reportsDir(d.stateDir), {
              slot,
              timezone: plan.timezone,
              catchUpDays: config.jobs.dailyReport.catchUpDays,
              since: createdAt(db) ?? d.now(),
            }),
        };
      case 'backup':
        return { ...plan, run: (slot) => nightlyBackup(d.backup ?? ((target) => backupDatabase(db, target)), backupsDir(d.stateDir), config.jobs.backup.keep, slot, plan.timezone) };
      default:
        return { ...plan, run: retentionRun(d, config.jobs.retention.days) };
    }
  });
}
