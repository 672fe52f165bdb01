// ivrctl dp list|close|open: a directorate's extraordinary closure (a strike, a power cut, an
// evacuation). Closing and reopening go through the controller, which owns what callers hear
// and builds the message; the list reads the database, so it works with the controller down.
import type { Command } from 'commander';
import { parseUntil } from '../../schedule/closures';
import type { ClosureOutcome } from '../../schedule/closures-service';
import { ClosuresRepo } from '../../storage/closures-repo';
import { PgClosuresRepo } from '../../storage/postgres/closures-repo';
import { type Cli } from '../context';
import { callController } from '../controller-client';
import { ClosureTimeError, UsageError } from '../../errors';

export function registerDp(program: Command, cli: Cli): void {
  const dp = program.command('dp').description('directorates: extraordinary closures (callers hear the closure message; nobody is called back until it ends)');
  dp.command('list')
    .description('each directorate: open, or closed until when, by whom, with which message')
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExample:\n  ivrctl dp list\nReads the database: works with the controller down.')
    .action(async (opts: { json?: boolean }) => {
      // the cluster mode: the shared table, which every node's copy follows
      const at = new Date();
      const live = await cli.withRecords(
        (db) => new ClosuresRepo(db).live(at),
        (pool) => new PgClosuresRepo().live(pool, at),
      );
      const now = at.getTime();
      const rows = cli.config.directorates.map((d) => {
        const c = live.filter((x) => x.dp === d.id && Date.parse(x.startsAt) <= now).pop();
        return {
          dp: d.id,
          state: c ? 'closed' : 'open',
          until: c?.endsAt ?? null,
          closedBy: c?.createdBy ?? null,
          message: c?.messageIt ?? null,
          offerCallback: c?.offerCallback ?? null,
          closureId: c?.id ?? null,
        };
      });
      if (opts.json) return cli.print.json(rows);
      cli.print.line(cli.print.table(rows, ['dp', 'state', 'until', 'closedBy', 'offerCallback', 'message']));
    });
  dp.command('close <dp>')
    .description(
      'close a directorate now, until a time: callers hear the closure message (generated from the end time, or yours) and, unless --no-callback, the offer of a callback in the next open window',
    )
    .requiredOption(
      '--until <time>',
      "the end, in the directorate's time: HH:MM (today), YYYY-MM-DD (closed through the day before), YYYY-MM-DD HH:MM, or ISO 8601; at most 31 days ahead",
    )
    .option('--message <text>', 'what Italian callers hear instead of the generated "closed until ..." (synthesized)')
    .option('--message-en <text>', 'what English callers hear')
    .option('--callback', "offer a callback in the next open window (default: the directorate's callback.offerWhenClosed)")
    .option('--no-callback', 'no callback offer: the message, then goodbye')
    .option('--json', 'print the closure as one JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  ivrctl dp close demo-sw --until 14:00\n  ivrctl dp close demo-st --until 2026-12-03 --message "Gli uffici sono chiusi per sciopero. Ci scusiamo per il disagio."\nA new closure replaces one still running (to extend or shorten it).',
    )
    .action(async (id: string, opts: { until: string; message?: string; messageEn?: string; callback?: boolean; json?: boolean }) => {
      cli.checkDp(id);
      const d = cli.config.directorates.find((x) => x.id === id)!;
      let until: Date;
      try {
        until = parseUntil(opts.until, new Date(), d.hours.timezone);
      } catch (err) {
        if (err instanceof ClosureTimeError) throw new UsageError(`--until ${err.message}`);
        throw err;
      }
      // --callback defined before --no-callback: neither given leaves it undefined (the directorate's default)
      const body = { until: until.toISOString(), messageIt: opts.message, messageEn: opts.messageEn, offerCallback: opts.callback, by: `ivrctl:${cli.env.systemUser}` };
      const r = (await callController(cli.config, cli.env.stateDir, 'POST', `/api/dps/${encodeURIComponent(id)}/close`, body, 330_000)) as ClosureOutcome;
      if (opts.json) return cli.print.json(r);
      const heard = r.message.built ? 'its message' : `the generic closure notice (${r.message.reason})`;
      cli.print.line(
        `${id} closed until ${cli.print.cell(r.closure.endsAt)} (closure ${r.closure.id}); callers hear ${heard}${r.closure.offerCallback ? ', then the callback offer' : ', then goodbye'}`,
      );
    });
  dp.command('open <dp>')
    .description('end the closure of a directorate now: the next caller gets the menu, waiting callbacks go')
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl dp open demo-sw\nExit 2 when the directorate was not closed.')
    .action(async (id: string, opts: { json?: boolean }) => {
      cli.checkDp(id);
      const r = (await callController(cli.config, cli.env.stateDir, 'POST', `/api/dps/${encodeURIComponent(id)}/open`, { by: `ivrctl:${cli.env.systemUser}` })) as {
        dp: string;
        reopened: boolean;
      };
      if (opts.json) cli.print.json(r);
      if (!r.reopened) throw new UsageError(`${id} was not closed`);
      if (!opts.json) cli.print.line(`${id} open`);
    });
}
