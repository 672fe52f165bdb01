// ivrctl db migrate|backup|purge: the database's maintenance.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { migrationsDir, postgresMigrationsDir, redactedUrl } from '../../environment';
import { migratePostgres, openPostgres, schemaVersionPg } from '../../storage/postgres/connection';
import { dumpShared } from '../../storage/postgres/dump';
import { maskOldNumbersShared } from '../../jobs/retention-shared';
import type { RetentionResult } from '../../jobs/retention';
import { RETENTION_JOB, jobPlan, retentionRun, type RetentionRunResult } from '../../jobs/catalog';
import { JobRunner } from '../../jobs/runner';
import { backupDatabase } from '../../storage/backup';
import { migrate, openDatabase, readMigrations, schemaVersion } from '../../storage/database';
import { JobRunsRepo } from '../../storage/job-runs-repo';
import { type Cli } from '../context';
import { UsageError } from '../../errors';

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

interface Migrated {
  where: string;
  applied: string[];
  version: number;
}

function migrateFile(file: string, root: string): Migrated {
  const conn = openDatabase(file);
  try {
    const applied = migrate(conn, readMigrations(migrationsDir(root)));
    return { where: file, applied, version: schemaVersion(conn) };
  } finally {
    conn.close();
  }
}

/** The cluster mode's shared database; the driver's message ("connect ECONNREFUSED …") said with where. */
async function migrateShared(dbUrl: string, root: string): Promise<Migrated> {
  const where = redactedUrl(dbUrl);
  const pool = openPostgres(dbUrl, { max: 1, application: 'ivrctl' });
  try {
    const applied = await migratePostgres(pool, readMigrations(postgresMigrationsDir(root)));
    return { where, applied, version: await schemaVersionPg(pool) };
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  } finally {
    await pool.end();
  }
}

export function registerDb(program: Command, cli: Cli): void {
  const db = program.command('db').description("the database ($IVR_DB: the SQLite file, or in the cluster mode the shared PostgreSQL beside the node's own file)");
  db.command('migrate')
    .description('apply the pending migrations (db/NNN_*.sql), each in its own transaction; with $IVR_DB a postgres:// URL, the PostgreSQL ones (db/postgres/, the cluster mode)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  ivrctl db migrate\n  IVR_DB=postgres://ivr:…@10.0.0.5:5432/ivr ivrctl db migrate\nThe controller also migrates at start; running both at once is safe (each migration takes the write lock; on PostgreSQL, an advisory lock).',
    )
    .action(async (opts: { json?: boolean }) => {
      // the database migrated: where (the file, or the URL without its password), what was applied, the version
      const r = cli.env.dbUrl ? await migrateShared(cli.env.dbUrl, cli.env.root) : migrateFile(cli.env.dbFile, cli.env.root);
      if (opts.json) return cli.print.json({ ...(cli.env.dbUrl ? { url: r.where } : { file: r.where }), applied: r.applied, schemaVersion: r.version });
      for (const m of r.applied) cli.print.line(`migration applied: ${m}`);
      cli.print.line(`${r.where}: schema version ${r.version}${r.applied.length === 0 ? ' (up to date)' : ''}`);
    });
  db.command('backup <file>')
    .description('an online copy of the database (consistent while the controller writes), checked after writing; in the cluster mode, of the shared database (pg_dump)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  ivrctl db backup /var/backups/ivr-$(date +%F).db\nRestore: stop the stack (make down), copy the file to $IVR_DB, start it again.\nThe controller also makes one every night under $IVR_STATE_DIR/backups (see ivrctl jobs list).\nCluster mode (IVR_DB a postgres:// URL): a pg_dump custom-format file of the shared database, its table of\ncontents checked; restore it with pg_restore --clean --dbname=<url> <file> while the nodes are stopped.',
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const target = path.resolve(file);
      if (existsSync(target)) throw new UsageError(`${target} already exists: choose a new file name`);
      if (!existsSync(path.dirname(target))) throw new UsageError(`directory ${path.dirname(target)} does not exist`);
      const url = cli.env.dbUrl;
      if (url) {
        const dumped = await cli.withShared(async (pool) => dumpShared(url, target, await schemaVersionPg(pool)));
        if (opts.json) return cli.print.json(dumped);
        return cli.print.line(
          `backup written: ${target} (${dumped.bytes} bytes, ${dumped.format}, schema version ${dumped.schemaVersion}, ${dumped.tables} tables, contents checked)`,
        );
      }
      // written with a connection that may create the WAL's shared-memory file a reader needs
      const result = await cli.withDb((conn) => backupDatabase(conn, target), { write: true, anySchema: true });
      if (opts.json) cli.print.json(result);
      else cli.print.line(`backup written: ${target} (${result.bytes} bytes, schema version ${result.schemaVersion}, integrity ok)`);
    });
  db.command('purge')
    .description('forget callers older than N days (the retention job, run now): numbers masked, notes emptied, in the database, its backups and the logs')
    .option('--days <n>', 'age in days, 0 for everything up to now (default: jobs.retention.days of the config, 90)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\nExample:\n  ivrctl db purge --days 90\nNumbers keep their prefix (\"0612******\"): figures stay, the person is no longer identified.\nRequests still waiting to be called back keep their number. Also: the notes' text, the digits typed\nto enter a number, the backups under $IVR_STATE_DIR/backups, log files not written for N days;\nthe database's free space and WAL keep no old copy. The controller runs this every night.\nCluster mode (IVR_DB a postgres:// URL): the shared database's records too (masking twice is harmless),\nand this node's own file, backups and logs; run it on each node for their files.",
    )
    .action(async (opts: { days?: string; json?: boolean }) => {
      if (opts.days !== undefined && !/^(0|[1-9]\d{0,3})$/.test(opts.days)) throw new UsageError(`--days must be a whole number of days from 0 to 9999, got "${opts.days}"`);
      const days = opts.days !== undefined ? Number(opts.days) : cli.config.jobs.retention.days;
      const plan = jobPlan(cli.config).find((j) => j.name === RETENTION_JOB)!;
      const outcome = await cli.withNodeDb(
        (conn) => {
          // the same lock and record as the controller's nightly run: never both at once
          const runner = new JobRunner(new JobRunsRepo(conn), quietLog, () => new Date());
          const local = retentionRun({ db: conn, now: () => new Date(), stateDir: cli.env.stateDir }, days);
          // the cluster mode: the shared records as well (row locks keep it apart from another node's nightly run)
          const run = cli.env.dbUrl
            ? async (): Promise<RetentionRunResult & { shared: RetentionResult }> => ({
                ...(await local()),
                shared: await cli.withShared((pool) => maskOldNumbersShared(pool, days, new Date())),
              })
            : local;
          return runner.run({ ...plan, run }, 'manual');
        },
        { write: true },
      );
      if (outcome.status === 'skipped') throw new Error(`the retention job is running now, ${outcome.reason}: try again later`);
      if (outcome.status === 'failed') throw new Error(`purge failed: ${outcome.error}`);
      const r = outcome.detail as RetentionRunResult & { shared?: RetentionResult };
      if (opts.json) return cli.print.json(r);
      const counts = (m: RetentionResult['masked']): string =>
        `calls ${m.calls}, call events ${m.callEvents}, callback requests ${m.callbacks}, outcomes ${m.outcomes}, notes ${m.notes}`;
      cli.print.line(`caller numbers masked in records before ${cli.print.cell(r.cutoff)} (${r.days} days): ${counts(r.masked)}`);
      if (r.shared) cli.print.line(`in the shared database: ${counts(r.shared.masked)}`);
      for (const b of r.backups)
        cli.print.line(`backup ${b.file}: calls ${b.calls}, call events ${b.callEvents}, callback requests ${b.callbacks}, outcomes ${b.outcomes}, notes ${b.notes}`);
      if (r.logsRemoved.length > 0) cli.print.line(`log files removed: ${r.logsRemoved.join(', ')}`);
    });
}
