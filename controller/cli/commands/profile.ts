// ivrctl profile <number>: the caller's whole history, oldest first, from the SQLite file or,
// in the cluster mode, the shared PostgreSQL; ivrctl audit: who looked at whose profile (the
// console's views and these), newest first. A sysadmin's view is in the audit log too, under
// the system user who ran the command, in the database the profile was read from.
import type { Command } from 'commander';
import { AuditRepo, type AuditEntry } from '../../storage/audit-repo';
import { buildProfile, type Profile } from '../../monitoring/profile';
import { PgAuditRepo } from '../../storage/postgres/audit-repo';
import { PgProfileSource } from '../../storage/postgres/profile-source';
import { SqliteProfileSource } from '../../storage/profile-source';
import { type Cli } from '../context';
import { UsageError } from '../../errors';

export function registerProfile(program: Command, cli: Cli): void {
  program
    .command('profile <number>')
    .description("the caller's profile: every call, booking, attempt, outcome and transfer for a number, oldest first")
    .option('--json', 'print one JSON object')
    .addHelpText('after', '\nExample:\n  ivrctl profile 0612345678')
    .action((number: string, opts: { json?: boolean }) => {
      if (!/^\+?[0-9]{3,16}$/.test(number)) throw new UsageError(`"${number}" is not a phone number`);
      // the view is audited where the records are, before they are shown
      const viewed: AuditEntry = { at: new Date(), username: cli.env.systemUser, role: 'sysadmin', action: 'profile_view', subject: number, detail: 'ivrctl profile' };
      const show = (profile: Profile): void => {
        if (opts.json) return cli.print.json(profile);
        if (profile.timeline.length === 0) return cli.print.line(`${number}: no calls or callbacks`);
        cli.print.line(`profile of ${number}: ${profile.calls.length} call(s), ${profile.callbacks.length} callback request(s)`);
        const others = profile.numbers.filter((n) => n !== number);
        if (others.length > 0) cli.print.line(`the same person's other numbers (linked by a callback booking): ${others.join(', ')}`);
        cli.print.line(cli.print.table(profile.timeline, others.length > 0 ? ['at', 'number', 'kind', 'summary'] : ['at', 'kind', 'summary']));
      };
      // written to (the audit log): the file opened for writing; in the cluster mode the shared database
      return cli.withRecords(
        async (db) => {
          new AuditRepo(db).add(viewed);
          show(await buildProfile(number, new SqliteProfileSource(db)));
        },
        async (pool) => {
          await new PgAuditRepo().add(pool, viewed);
          show(await buildProfile(number, new PgProfileSource(pool)));
        },
        { write: true },
      );
    });

  program
    .command('audit')
    .description('who looked at whose profile and when (console and ivrctl), refusals and notes, newest first')
    .option('--user <name>', 'only this console user or system user')
    .option('--number <number>', "only views of this caller's profile")
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--json', 'print one JSON array')
    .addHelpText('after', '\nExamples:\n  ivrctl audit --number 0612345678\n  ivrctl audit --user rossi --json')
    .action(async (opts: { user?: string; number?: string; limit: string; json?: boolean }) => {
      if (!/^[1-9]\d{0,5}$/.test(opts.limit)) throw new UsageError(`--limit must be a whole number from 1 to 999999, got "${opts.limit}"`);
      const filter = { username: opts.user, subject: opts.number, limit: Number(opts.limit) };
      const rows = await cli.withRecords(
        (db) => new AuditRepo(db).list(filter),
        (pool) => new PgAuditRepo().list(pool, filter),
      );
      if (opts.json) return cli.print.json(rows);
      cli.print.line(cli.print.table(rows, ['at', 'username', 'role', 'action', 'subject', 'detail']));
    });
}
