// ivrctl callbacks list|show|cancel|retry|reschedule. Reads go to the database (read-only; in
// the cluster mode, the shared PostgreSQL); actions go to the running controller, which owns
// the calls being dialled.
import { Option, type Command } from 'commander';
import { CallbackAttemptsRepo } from '../../storage/callback-attempts-repo';
import { CallbacksRepo } from '../../storage/callbacks-repo';
import { PgCallbackAttemptsRepo } from '../../storage/postgres/callback-attempts-repo';
import { PgCallbacksRepo } from '../../storage/postgres/callbacks-repo';
import { CALLBACK_STATUSES, type CallbackStatus } from '../../vocabulary/callbacks';
import { recordId, type Cli } from '../context';
import { callController } from '../controller-client';
import { UsageError } from '../../errors';

const callbackId = (id: string): number => recordId('callback', id);

export function registerCallbacks(program: Command, cli: Cli): void {
  const callbacks = program.command('callbacks').description('callback requests booked by callers');
  callbacks
    .command('list')
    .description('list callback requests, oldest first')
    .option('--dp <dp>', 'only this directorate')
    .addOption(new Option('--status <s>', 'only this status').choices(CALLBACK_STATUSES as readonly string[]))
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExamples:\n  ivrctl callbacks list --status pending\n  ivrctl callbacks list --dp demo-sw --json')
    .action(async (opts: { dp?: string; status?: CallbackStatus; json?: boolean }) => {
      cli.checkDp(opts.dp);
      const filter = { dp: opts.dp, status: opts.status };
      const rows = await cli.withRecords(
        (db) => {
          const repo = new CallbacksRepo(db);
          return repo.list(filter).map((r) => repo.withPosition(r));
        },
        async (pool) => {
          const repo = new PgCallbacksRepo();
          return Promise.all((await repo.list(pool, filter)).map((r) => repo.withPosition(pool, r)));
        },
      );
      if (opts.json) cli.print.json(rows);
      else cli.print.line(cli.print.table(rows, ['id', 'dp', 'group', 'number', 'status', 'position', 'attempts', 'lastOutcome', 'language', 'requestedAt', 'dueAt']));
    });
  callbacks
    .command('show <id>')
    .description('one callback request and its attempts')
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl callbacks show 42')
    .action(async (id: string, opts: { json?: boolean }) => {
      const n = callbackId(id);
      const view = await cli.withRecords(
        (db) => {
          const repo = new CallbacksRepo(db);
          const row = repo.get(n);
          return row && { ...repo.withPosition(row), attemptLog: new CallbackAttemptsRepo(db).ofCallback(row.id) };
        },
        async (pool) => {
          const repo = new PgCallbacksRepo();
          const row = await repo.get(pool, n);
          return row && { ...(await repo.withPosition(pool, row)), attemptLog: await new PgCallbackAttemptsRepo().ofCallback(pool, row.id) };
        },
      );
      if (!view) throw new UsageError(`no callback ${id}`);
      if (opts.json) return cli.print.json(view);
      const { attemptLog, ...fields } = view;
      cli.print.line(cli.print.fields(fields));
      if (attemptLog.length > 0) cli.print.line('\n' + cli.print.table(attemptLog, ['id', 'operator', 'callerAttempt', 'startedAt', 'endedAt', 'outcome', 'cause']));
    });

  const action = (name: 'cancel' | 'retry' | 'reschedule', description: string, example: string) =>
    callbacks
      .command(`${name} <id>`)
      .description(description)
      .option('--json', 'print the request afterwards as one JSON object')
      .addHelpText('after', `\nExample:\n  ${example}\nThe running controller carries it out (it owns the calls being dialled).`);
  const act = async (name: string, id: string, opts: { json?: boolean }, body?: unknown): Promise<void> => {
    const n = callbackId(id);
    const row = (await callController(cli.config, cli.env.stateDir, 'POST', `/api/callbacks/${n}/${name}`, body ?? {})) as { id: number; status: string; dueAt: string };
    if (opts.json) cli.print.json(row);
    else cli.print.line(`callback ${row.id}: ${row.status}${row.status === 'pending' ? `, due ${cli.print.cell(row.dueAt)}` : ''}`);
  };
  action('cancel', 'cancel a request; one being dialled is hung up first', 'ivrctl callbacks cancel 42').action((id: string, opts: { json?: boolean }) => act('cancel', id, opts));
  action('retry', 'call it back as soon as an operator is free (reopens a failed, expired or cancelled one)', 'ivrctl callbacks retry 42').action(
    (id: string, opts: { json?: boolean }) => act('retry', id, opts),
  );
  action('reschedule', 'call it back from a given time', 'ivrctl callbacks reschedule 42 --at 2026-11-27T09:30:00+01:00')
    .requiredOption('--at <time>', 'ISO 8601 time with its offset, e.g. 2026-11-27T09:30:00+01:00')
    .action((id: string, opts: { json?: boolean; at: string }) => {
      const at = new Date(opts.at);
      // the offset is required: without it the time would be read in this shell's zone, not Rome's
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(opts.at) || Number.isNaN(at.getTime()))
        throw new UsageError(`--at "${opts.at}" is not an ISO 8601 time with its offset (e.g. 2026-11-27T09:30:00+01:00)`);
      return act('reschedule', id, opts, { at: at.toISOString() });
    });
}
