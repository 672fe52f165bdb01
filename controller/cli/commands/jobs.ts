// ivrctl jobs list|run: the scheduled jobs, their last runs, and running one now.
import type { Command } from 'commander';
import { jobPlan } from '../../jobs/catalog';
import type { JobOutcome } from '../../jobs/runner';
import { type Cli } from '../context';
import { callController } from '../controller-client';
import { jobStatuses } from '../status';
import { UsageError } from '../../errors';

export function registerJobs(program: Command, cli: Cli): void {
  const jobs = program.command('jobs').description("the controller's scheduled jobs (Europe/Rome): end-of-window carry-over, daily report, nightly backup, retention");
  jobs
    .command('list')
    .description('each job: its slots, last run and result, next run')
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExample:\n  ivrctl jobs list')
    .action((opts: { json?: boolean }) =>
      // the node's own runs (in the cluster mode each node runs every job; the shared part once per cluster, said in its detail)
      cli.withNodeDb((db) => {
        const rows = jobStatuses(cli.config, db);
        if (opts.json) return cli.print.json(rows);
        const view = rows.map((r) => ({ ...r, slots: r.crons.join(' | '), lastRun: r.lastRun?.startedAt, result: r.lastRun?.status ?? 'never run' }));
        cli.print.line(cli.print.table(view, ['name', 'slots', 'lastRun', 'result', 'nextRun']));
      }),
    );
  jobs
    .command('run <name>')
    .description('run a job now, in the controller, with the same lock and record as its scheduled runs')
    .option('--json', 'print the outcome as one JSON object')
    .addHelpText('after', '\nExamples:\n  ivrctl jobs run backup\n  ivrctl jobs run close-window:demo-sw\nExit 1 when the run fails or the job is already running.')
    .action(async (name: string, opts: { json?: boolean }) => {
      const names = jobPlan(cli.config).map((j) => j.name);
      if (!names.includes(name)) throw new UsageError(`no job "${name}" (jobs: ${names.join(', ')})`);
      // a backup of a large database takes a while: wait for it
      const outcome = (await callController(cli.config, cli.env.stateDir, 'POST', `/api/jobs/${encodeURIComponent(name)}/run`, {}, 600_000)) as JobOutcome;
      if (opts.json) cli.print.json(outcome);
      if (outcome.status === 'skipped') throw new Error(`job ${name} not run: ${outcome.reason}`);
      if (outcome.status === 'failed') throw new Error(`job ${name} failed: ${outcome.error}`);
      if (!opts.json) cli.print.line(`job ${name}: ok ${JSON.stringify(outcome.detail)}`);
    });
}
