// The jobs the controller runs on its own, built from the configuration: their names, their
// slots and what each does. Also read by ivrctl (names, slots, next runs) without running them.
import type { Config } from '../config/schema';
import path from 'node:path';
import { backupDatabase } from '../storage/backup';
import type { DatabaseWorker } from './db-worker';
import { CallbacksRepo } from '../storage/callbacks-repo';
import { createdAt, type Db } from '../storage/database';
import type { WriteQueue } from '../storage/write-queue';
import { closeWindow, windowEndCrons } from './close-window';
import { figuresOfFile, reportsDir, writeDailyReports } from './daily-report';
import { computeFiguresShared } from '../monitoring/figures';
import { BACKUP_PREFIX, backupsDir, nightlyBackup } from './nightly-backup';
import { maskBackupFiles, maskOldNumbers, removeOldLogs, type RetentionResult, type RetentionStep } from './retention';
import type { Job } from './runner';
import { closeWindowShared, oncePerCluster, type SharedJobs } from './cluster-jobs';
import { maskOldNumbersShared } from './retention-shared';

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
    {
      name: 'daily-report',
      description: "each directorate's report of the previous day(s), CSV + JSON under <state dir>/reports",
      crons: [config.jobs.dailyReport.at],
      timezone: tz,
    },
    {
      name: 'backup',
      description: `online backup of the database under <state dir>/backups, keeping the newest ${config.jobs.backup.keep}`,
      crons: [config.jobs.backup.at],
      timezone: tz,
    },
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
  /** the controller's database worker: the long work off the event loop */
  worker?: Pick<DatabaseWorker, 'backup' | 'truncateWal' | 'maskBackups'>;
  /** the cluster mode: the shared database, whose work each slot one node does (cluster-jobs.ts) */
  shared?: SharedJobs;
}

export interface RetentionRunResult extends RetentionResult {
  /** what each backup had masked */
  backups: Array<{ file: string } & RetentionResult['masked']>;
  /** log files older than the retention, deleted */
  logsRemoved: string[];
}

/**
 * The retention job, also run by `ivrctl db purge` (possibly with other days): the records,
 * then the old versions of what it masked (out of the WAL; secure_delete zeroes them in the
 * file's pages), the backups, and the logs older than the retention.
 */
export function retentionRun(d: Pick<JobDeps, 'db' | 'now' | 'writes' | 'worker' | 'stateDir'>, days: number): () => Promise<RetentionRunResult> {
  const writes = d.writes;
  // each chunk is one transaction, queued behind the calls' writes
  const step: RetentionStep | undefined = writes && (<T>(what: string, write: () => T) => writes.apply(what, () => d.db.transaction(write).immediate()));
  return async () => {
    const now = d.now();
    const r = await maskOldNumbers(d.db, days, now, step);
    if (d.worker) await d.worker.truncateWal();
    else d.db.pragma('wal_checkpoint(TRUNCATE)');
    const dir = backupsDir(d.stateDir);
    const backups = d.worker ? await d.worker.maskBackups(dir, BACKUP_PREFIX, days, now) : await maskBackupFiles(dir, BACKUP_PREFIX, days, now);
    const logsRemoved = removeOldLogs(path.join(d.stateDir, 'log'), days, now);
    return { ...r, backups: backups.map((b) => ({ file: path.basename(b.file), ...b.masked })), logsRemoved };
  };
}

export function buildJobs(d: JobDeps): Job[] {
  const { config, db, shared } = d;
  const callbacks = new CallbacksRepo(db);
  return jobPlan(config).map((plan): Job => {
    if (plan.name.startsWith('close-window:')) {
      const dp = config.directorates.find((x) => `close-window:${x.id}` === plan.name)!;
      // the real time, not the slot: a late run must judge the requests as they are now
      if (shared) return { ...plan, run: (slot) => oncePerCluster(shared, plan.name, slot, () => closeWindowShared(dp, shared.pool, d.now())) };
      return { ...plan, run: () => (d.writes ? d.writes.apply(plan.name, () => closeWindow(dp, callbacks, d.now())) : closeWindow(dp, callbacks, d.now())) };
    }
    switch (plan.name) {
      case 'daily-report':
        return {
          ...plan,
          run: (slot) =>
            writeDailyReports(shared ? (dps, range) => computeFiguresShared(shared.pool, dps, range) : figuresOfFile(db), config.directorates, reportsDir(d.stateDir), {
              slot,
              timezone: plan.timezone,
              catchUpDays: config.jobs.dailyReport.catchUpDays,
              since: createdAt(db) ?? d.now(),
            }),
        };
      case 'backup':
        return {
          ...plan,
          run: (slot) =>
            nightlyBackup(
              d.worker ? (target) => d.worker!.backup(target) : (target) => backupDatabase(db, target),
              backupsDir(d.stateDir),
              config.jobs.backup.keep,
              slot,
              plan.timezone,
            ),
        };
      default: {
        const days = config.jobs.retention.days;
        const local = retentionRun(d, days);
        if (!shared) return { ...plan, run: local };
        // the node's own file, backups and logs; the shared records once per cluster
        return {
          ...plan,
          run: async (slot) => ({ ...(await local()), shared: await oncePerCluster(shared, plan.name, slot, () => maskOldNumbersShared(shared.pool, days, d.now())) }),
        };
      }
    }
  });
}
