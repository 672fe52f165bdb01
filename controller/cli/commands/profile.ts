// ivrctl profile <number>: the caller's whole history, oldest first.
import type { Command } from 'commander';
import { buildProfile } from '../../monitoring/profile';
import { CallEventsRepo } from '../../storage/call-events-repo';
import { CallbackAttemptsRepo } from '../../storage/callback-attempts-repo';
import { CallbacksRepo } from '../../storage/callbacks-repo';
import { CallsRepo } from '../../storage/calls-repo';
import { OutcomesRepo } from '../../storage/outcomes-repo';
import { NotesRepo } from '../../storage/notes-repo';
import { UsageError, type Cli } from '../context';

export function registerProfile(program: Command, cli: Cli): void {
  program
    .command('profile <number>')
    .description("the caller's profile: every call, booking, attempt, outcome and transfer for a number, oldest first")
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl profile 0612345678')
    .action((number: string, opts: { json?: boolean }) => {
      if (!/^\+?[0-9]{3,16}$/.test(number)) throw new UsageError(`"${number}" is not a phone number`);
      return cli.withDb((db) => {
        const profile = buildProfile(number, {
          calls: new CallsRepo(db),
          events: new CallEventsRepo(db),
          callbacks: new CallbacksRepo(db),
          attempts: new CallbackAttemptsRepo(db),
          outcomes: new OutcomesRepo(db),
          notes: new NotesRepo(db),
        });
        if (opts.json) return cli.print.json(profile);
        if (profile.timeline.length === 0) return cli.print.line(`${number}: no calls or callbacks`);
        cli.print.line(`profile of ${number}: ${profile.calls.length} call(s), ${profile.callbacks.length} callback request(s)`);
        cli.print.line(cli.print.table(profile.timeline, ['at', 'kind', 'summary']));
      });
    });
}
