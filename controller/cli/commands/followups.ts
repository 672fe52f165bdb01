// ivrctl followups list|show|close: the cases officials marked "needs follow-up" (an
// operator's outcome 4, a unit's intervention 2), on the worklist of a directorate's
// operators or of one of its units until closed with what was done.
import type { Command } from 'commander';
import { FollowupsRepo } from '../../storage/followups-repo';
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
    .action((opts: { dp?: string; unit?: string; all?: boolean; json?: boolean }) => {
      cli.checkDp(opts.dp);
      return cli.withDb((db) => {
        const rows = new FollowupsRepo(db).list({
          dp: opts.dp,
          unit: opts.unit === undefined ? undefined : opts.unit === 'operators' ? null : opts.unit,
          status: opts.all ? undefined : 'open',
        });
        const view = rows.map((r) => ({ ...r, worklist: r.unit ?? 'operators', ageHours: Math.round((Date.now() - Date.parse(r.openedAt)) / 360_000) / 10 }));
        if (opts.json) return cli.print.json(view);
        cli.print.line(cli.print.table(view, ['id', 'dp', 'worklist', 'number', 'openedBy', 'openedAt', 'ageHours', 'status', 'closedBy', 'outcome']));
      });
    });
  followups
    .command('show <id>')
    .description('one follow-up item')
    .option('--json', 'print one JSON object')
    .action((id: string, opts: { json?: boolean }) =>
      cli.withDb((db) => {
        const row = new FollowupsRepo(db).get(itemId(id));
        if (!row) throw new UsageError(`no follow-up ${id}`);
        if (opts.json) return cli.print.json(row);
        cli.print.line(cli.print.fields(row));
      }),
    );
  followups
    .command('close <id>')
    .description("close an open item with what was done; the outcome goes into the caller's profile")
    .requiredOption('--outcome <text>', 'what was done (e.g. "rimborso disposto, utente informato")')
    .option('--json', 'print the closed item as one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl followups close 12 --outcome "pratica completata, utente richiamato"')
    .action((id: string, opts: { outcome: string; json?: boolean }) => {
      const n = itemId(id);
      const outcome = opts.outcome.trim();
      if (!outcome || outcome.length > 2000) throw new UsageError('--outcome: from 1 to 2000 characters');
      return cli.withDb(
        (db) => {
          const repo = new FollowupsRepo(db);
          const row = repo.get(n);
          if (!row) throw new UsageError(`no follow-up ${id}`);
          if (!repo.close(n, cli.env.systemUser, outcome, new Date())) throw new UsageError(`follow-up ${id} is already closed (by ${row.closedBy} at ${row.closedAt})`);
          const closed = repo.get(n)!;
          if (opts.json) return cli.print.json(closed);
          cli.print.line(`follow-up ${id} closed: ${outcome}`);
        },
        { write: true },
      );
    });
}
