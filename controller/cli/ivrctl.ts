// ivrctl: the sysadmin's command line. Composition root of the CLI process: the environment,
// the printer and the command groups (commands/*.ts).
// Exit codes (fixed: scripts and outside tests rely on them): 0 ok, 1 runtime failure, 2 usage or validation error; errors are
// one line on stderr; --json prints exactly one JSON value on stdout.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/load';
import { resolveEnvironment } from '../environment';
import { jobPlan } from '../jobs/catalog';
import { ValidationError } from '../operators/operators-service';
import { registerCallbacks } from './commands/callbacks';
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
import { privateUmask } from '../storage/private-files';
import { collectStatus, formatStatus } from './status';

privateUmask();
const env = resolveEnvironment(process.env);
const cli = new Cli(env, new Printer((s) => void process.stdout.write(s), 'Europe/Rome'));
const version = (JSON.parse(readFileSync(path.join(env.root, 'package.json'), 'utf8')) as { version: string }).version;

function build(): Command {
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
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

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
        db = cli.openDb();
      } catch (err) {
        dbError = (err as Error).message;
      }
      try {
        const status = await collectStatus(cli.config, env.stateDir, db, dbError);
        if (opts.json) cli.print.json(status);
        else cli.print.line(formatStatus(status, cli.print));
        if (!status.ok) process.exitCode = 1;
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
      process.stdout.write(bashCompletion(program, { '--dp': dps }, { 'jobs run': jobs }));
    });
  return program;
}

async function run(): Promise<void> {
  // `ivrctl report | head`: the reader went away, which is not an error of ours
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = build();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; commander already printed its one-line message
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
      return;
    }
    const e = err as Error;
    const usage = e instanceof ValidationError || e instanceof ConfigError;
    process.stderr.write(`ivrctl: ${e.message.split('\n')[0]}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}

void run();
