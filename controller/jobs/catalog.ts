// The jobs the controller runs on its own, built from the configuration: their names, their
// slots and what each does. Also read by ivrctl (names, slots, next runs) without running them.
import type { Config } from '../config/schema';
import { CallEventsRepo } from '../storage/call-events-repo';
import { CallbacksRepo } from '../storage/callbacks-repo';
import { CallsRepo } from '../storage/calls-repo';
import { createdAt, type Db } from '../storage/database';
import { NotesRepo } from '../storage/notes-repo';
import { OutcomesRepo } from '../storage/outcomes-repo';
import { closeWindow, windowEndCrons } from './close-window';
import { reportsDir, writeDailyReports } from './daily-report';
import { backupsDir, nightlyBackup } from './nightly-backup';
import { maskOldNumbers } from './retention';
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
}

/** The retention job, also run by `ivrctl db purge` (possibly with other days). */
export function retentionRun(d: Pick<JobDeps, 'db' | 'now'>, days: number): () => unknown {
  return () =>
    maskOldNumbers(d.db, { calls: new CallsRepo(d.db), events: new CallEventsRepo(d.db), callbacks: new CallbacksRepo(d.db), outcomes: new OutcomesRepo(d.db), notes: new NotesRepo(d.db) }, days, d.now());
}

export function buildJobs(d: JobDeps): Job[] {
  const { config, db } = d;
  const callbacks = new CallbacksRepo(db);
  return jobPlan(config).map((plan): Job => {
    if (plan.name.startsWith('close-window:')) {
      const dp = config.directorates.find((x) => `close-window:${x.id}` === plan.name)!;
      // the real time, not the slot: a late run must judge the requests as they are now
      return { ...plan, run: () => closeWindow(dp, callbacks, d.now()) };
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
        return { ...plan, run: (slot) => nightlyBackup(db, backupsDir(d.stateDir), config.jobs.backup.keep, slot, plan.timezone) };
      default:
        return { ...plan, run: retentionRun(d, config.jobs.retention.days) };
    }
  });
}
