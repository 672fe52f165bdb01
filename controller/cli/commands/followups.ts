// ivrctl followups list|show|close: the cases officials marked "needs follow-up" (an
// operator's outcome 4, a unit's intervention 2), on the worklist of a directorate's
// operators or of one of its units until closed with what was done. In the cluster mode they
// are in the shared database.
import type { Command } from 'commander';
import { FollowupsRepo } from '../../storage/followups-repo';
import { PgFollowupsRepo } from '../../storage/postgres/followups-repo';
import { recordId, type Cli } from '../context';
import { UsageError } from '../../errors';

const itemId = (id: string): number => recordId('follow-up', id);

export function registerFollowups(program: Command, cli: Cli): void {
  const followups = program.command('followups').description('follow-up items: cases marked "needs follow-up", open until closed');
  followups
    .command('list')
    .description('the worklist, oldest first: the open items (with --all the closed ones too)')
    .option('--dp <dp>', 'only this directorate')
    .option('--unit <unit>', "only this unit's worklist ('operators' for the operators')")
    .option('--all', 'closed items too')
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExamples:\n  ivrctl followups list --dp demo-st\n  ivrctl followups list --unit rimborsi --all --json')
    .action(async (opts: { dp?: string; unit?: string; all?: boolean; json?: boolean }) => {
      cli.checkDp(opts.dp);
      const filter = { dp: opts.dp, unit: opts.unit === undefined ? undefined : opts.unit === 'operators' ? null : opts.unit, status: opts.all ? undefined : ('open' as const) };
      const rows = await cli.withRecords(
        (db) => new FollowupsRepo(db).list(filter),
        (pool) => new PgFollowupsRepo().list(pool, filter),
      );
      const view = rows.map((r) => ({ ...r, worklist: r.unit ?? 'operators', ageHours: Math.round((Date.now() - Date.parse(r.openedAt)) / 360_000) / 10 }));
      if (opts.json) return cli.print.json(view);
      cli.print.line(cli.print.table(view, ['id', 'dp', 'worklist', 'number', 'openedBy', 'openedAt', 'ageHours', 'status', 'closedBy', 'outcome']));
    });
  followups
    .command('show <id>')
    .description('one follow-up item')
    .option('--json', 'print one JSON object')
    .action(async (id: string, opts: { json?: boolean }) => {
      const n = itemId(id);
      const row = await cli.withRecords(
        (db) => new FollowupsRepo(db).get(n),
        (pool) => new PgFollowupsRepo().get(pool, n),
      );
      if (!row) throw new UsageError(`no follow-up ${id}`);
      if (opts.json) return cli.print.json(row);
      cli.print.line(cli.print.fields(row));
    });
  followups
    .command('close <id>')
    .description("close an open item with what was done; the outcome goes into the caller's profile")
    .requiredOption('--outcome <text>', 'what was done (e.g. "rimborso disposto, utente informato")')
    .option('--json', 'print the closed item as one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl followups close 12 --outcome "pratica completata, utente richiamato"')
    .action(async (id: string, opts: { outcome: string; json?: boolean }) => {
      const n = itemId(id);
      const outcome = opts.outcome.trim();
      if (!outcome || outcome.length > 2000) throw new UsageError('--outcome: from 1 to 2000 characters');
      const at = new Date();
      const by = cli.env.systemUser;
      const r = await cli.withRecords(
        (db) => {
          const repo = new FollowupsRepo(db);
          const before = repo.get(n);
          return { before, closed: !!before && repo.close(n, by, outcome, at), after: repo.get(n) };
        },
        async (pool) => {
          const repo = new PgFollowupsRepo();
          const before = await repo.get(pool, n);
          return { before, closed: !!before && (await repo.close(pool, n, by, outcome, at)), after: await repo.get(pool, n) };
        },
        { write: true },
      );
      if (!r.before) throw new UsageError(`no follow-up ${id}`);
      if (!r.closed) throw new UsageError(`follow-up ${id} is already closed (by ${r.before.closedBy} at ${r.before.closedAt})`);
      if (opts.json) return cli.print.json(r.after);
      cli.print.line(`follow-up ${id} closed: ${outcome}`);
    });
}
