// The ivrctl command tree, run against an IO of its own (output, errors, stdin, environment)
// and returning the exit code, so the same code serves the binary (ivrctl.ts) and the
// tests, which call it in-process.
// Exit codes (fixed: scripts and outside tests rely on them): 0 ok, 1 runtime failure, 2 usage or validation error; errors are
// one line on stderr; --json prints exactly one JSON value on stdout.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveEnvironment } from '../environment';
import { jobPlan } from '../jobs/catalog';
import { registerCallbacks } from './commands/callbacks';
import { registerCluster } from './commands/cluster';
import { registerConfig } from './commands/config';
import { registerDb } from './commands/db';
import { registerDp } from './commands/dp';
import { registerJobs } from './commands/jobs';
import { registerOperators } from './commands/operators';
import { registerFollowups } from './commands/followups';
import { registerProfile } from './commands/profile';
import { registerReport } from './commands/report';
import { registerUsers } from './commands/users';
import { bashCompletion } from './completion';
import { Cli } from './context';
import { Printer } from './format';
import type { Db } from '../storage/database';
import { collectStatus, formatStatus, type SharedPending } from './status';
import { PgCallbacksRepo } from '../storage/postgres/callbacks-repo';
import { ConfigError, ValidationError } from '../errors';

/** Where a run of ivrctl reads and writes: the process's own streams, or a test's buffers. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: AsyncIterable<unknown>;
  env: NodeJS.ProcessEnv;
}

function build(cli: Cli, version: string, io: CliIo): Command {
  const program = new Command('ivrctl')
    .description('Manage the callback IVR of the provincial directorates (Agenzia delle Entrate).')
    .version(version, '-V, --version', 'print the version')
    .addHelpText(
      'after',
      `\nEnvironment: IVR_CONFIG (deployment config, default config/demo.yaml), IVR_DB (SQLite file,\ndefault $IVR_STATE_DIR/ivr.db), IVR_STATE_DIR (default var/).\nTimes in tables are Italian local time (CET/CEST); --json gives ISO 8601 UTC.\nExit codes: 0 ok, 1 runtime failure, 2 usage or validation error.\nBash completion: source <(ivrctl completion bash)`,
    )
    .showSuggestionAfterError(true)
    // set before the subcommands are created: they copy these settings
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('status')
    .description('Asterisk (AMI), ARI, controller uptime, operators per directorate, pending callbacks, the jobs’ last runs')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl status\nExit 1 when Asterisk, ARI or the controller is down, or the last run of a job failed (listed as PROBLEM lines).')
    .action(async (opts: { json?: boolean }) => {
      // without a database, Asterisk and the controller are still worth knowing about
      let db: Db | undefined;
      let dbError: string | undefined;
      try {
        db = cli.openNodeDb();
      } catch (err) {
        dbError = (err as Error).message;
      }
      try {
        // the cluster mode: the pending callbacks are the shared database's
        const shared: SharedPending | undefined = cli.env.dbUrl
          ? await cli.withShared(async (pool) => ({ pending: await new PgCallbacksRepo().pendingCountByDp(pool) })).catch((err: Error) => ({ error: err.message }))
          : undefined;
        const status = await collectStatus(cli.config, cli.env.stateDir, db, dbError, shared);
        if (opts.json) cli.print.json(status);
        else cli.print.line(formatStatus(status, cli.print));
        if (!status.ok) cli.exitCode = 1;
      } finally {
        db?.close();
      }
    });
  registerOperators(program, cli);
  registerCallbacks(program, cli);
  registerProfile(program, cli);
  registerFollowups(program, cli);
  registerReport(program, cli);
  registerDb(program, cli);
  registerJobs(program, cli);
  registerDp(program, cli);
  registerUsers(program, cli);
  registerConfig(program, cli);
  registerCluster(program, cli);
  program
    .command('completion')
    .description('shell completion')
    .command('bash')
    .description('print the bash completion script')
    .addHelpText('after', '\nExample:\n  ivrctl completion bash > /etc/bash_completion.d/ivrctl')
    .action(() => {
      // values known from the configuration; without a valid one, completion still works without them
      let dps: string[] = [];
      let jobs: string[] = [];
      try {
        dps = cli.config.directorates.map((d) => d.id);
        jobs = jobPlan(cli.config).map((j) => j.name);
      } catch {
        /* no config: complete commands and options only */
      }
      io.out(bashCompletion(program, { '--dp': dps }, { 'jobs run': jobs }));
    });
  return program;
}

/** Runs one ivrctl command line (without "node ivrctl"); resolves to the exit code. */
export async function runIvrctl(argv: string[], io: CliIo): Promise<number> {
  const env = resolveEnvironment(io.env);
  const cli = new Cli(env, new Printer(io.out, 'Europe/Rome'), io);
  const version = (JSON.parse(readFileSync(path.join(env.root, 'package.json'), 'utf8')) as { version: string }).version;
  const program = build(cli, version, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; commander already printed its one-line message
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
    }
    const e = err as Error;
    const usage = e instanceof ValidationError || e instanceof ConfigError;
    io.err(`ivrctl: ${e.message.split('\n')[0]}\n`);
    return usage ? 2 : 1;
  }
}
