// ivrctl users add|remove|passwd|list: the web console's accounts.
import { Option, type Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../console/passwords';
import { SqliteConsoleAccounts, type ConsoleAccounts } from '../../storage/console-accounts';
import { CONSOLE_ROLES, type ConsoleRole } from '../../storage/console-users-repo';
import { OperatorsRepo, type OperatorRow } from '../../storage/operators-repo';
import { PgConsoleAccounts } from '../../storage/postgres/console-accounts';
import { PgOperatorsRepo } from '../../storage/postgres/operators-repo';
import { type DbAccess, type Cli } from '../context';
import { UsageError } from '../../errors';

const USERNAME = /^[a-z][a-z0-9._-]{1,31}$/;

async function readStdinLine(stdin: AsyncIterable<unknown>): Promise<string> {
  let data = '';
  for await (const chunk of stdin) data += String(chunk);
  return data.split(/\r?\n/)[0] ?? '';
}

/** The password from stdin (--password-stdin) or a generated one, which is printed once. */
async function newPassword(fromStdin: boolean | undefined, stdin: AsyncIterable<unknown>): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(12).toString('base64url'), generated: true };
  const password = await readStdinLine(stdin);
  if (password.length < MIN_PASSWORD_LENGTH) throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  return { password, generated: false };
}

/** The accounts and the roster where they are: the node's file, or (IVR_DB a postgres:// URL) the cluster's shared database. */
function withAccounts<T>(cli: Cli, use: (accounts: ConsoleAccounts, operators: () => Promise<OperatorRow[]>) => Promise<T>, access: DbAccess = {}): Promise<T> {
  return cli.withRecords(
    (db) => use(new SqliteConsoleAccounts(db), async () => new OperatorsRepo(db).list()),
    (pool) => use(new PgConsoleAccounts(pool), () => new PgOperatorsRepo().list(pool)),
    access,
  );
}

export function registerUsers(program: Command, cli: Cli): void {
  const users = program
    .command('users')
    .description('web console accounts (http://127.0.0.1:8080/console): supervisors and operators; with IVR_DB the shared database, one account for every node');
  users
    .command('list')
    .description('list console accounts')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const rows = (await withAccounts(cli, (accounts) => accounts.users())).map(({ passwordHash: _hidden, ...u }) => u);
      if (opts.json) cli.print.json(rows);
      else cli.print.line(cli.print.table(rows, ['username', 'role', 'operator', 'createdAt', 'updatedAt']));
    });
  users
    .command('add <username>')
    .description('create an account; the password is generated and printed once, or read from stdin')
    .addOption(new Option('--role <role>', 'supervisor: everything; operator: the live page, profiles and their own operator view').choices(CONSOLE_ROLES).makeOptionMandatory())
    .option('--operator <id>', 'the operator (SIP phone) the account works at (required with --role operator)')
    .option('--password-stdin', 'read the password (one line, at least 10 characters) from stdin')
    .option('--json', 'print the account (and a generated password) as JSON')
    .addHelpText('after', '\nExamples:\n  ivrctl users add rossi --role supervisor\n  echo "$PASSWORD" | ivrctl users add bianchi --role operator --operator sw1 --password-stdin')
    .action(async (username: string, opts: { role: ConsoleRole; operator?: string; passwordStdin?: boolean; json?: boolean }) => {
      if (!USERNAME.test(username)) throw new UsageError(`username "${username}": lower-case letters, digits, ".", "_" and "-", 2 to 32 characters, starting with a letter`);
      if (opts.role === 'operator' && !opts.operator) throw new UsageError('--operator <id> is required with --role operator');
      const { password, generated } = await newPassword(opts.passwordStdin, cli.io.stdin);
      const hash = await hashPassword(password);
      await withAccounts(
        cli,
        async (accounts, roster) => {
          if (opts.operator && !(await roster()).some((o) => o.id === opts.operator)) throw new UsageError(`no operator "${opts.operator}" (ivrctl operators list)`);
          if (!(await accounts.addUser({ username, passwordHash: hash, role: opts.role, operator: opts.operator ?? null, at: new Date() })))
            throw new UsageError(`user "${username}" already exists`);
        },
        { write: true },
      );
      if (opts.json) cli.print.json({ username, role: opts.role, operator: opts.operator ?? null, ...(generated ? { password } : {}) });
      else cli.print.line(`user ${username} added (${opts.role})${generated ? `; password: ${password}` : ''}`);
    });
  users
    .command('remove <username>')
    .description('delete an account; its sessions end at once')
    .action(async (username: string) => {
      if (!(await withAccounts(cli, (accounts) => accounts.removeUser(username), { write: true }))) throw new UsageError(`no user "${username}"`);
      cli.print.line(`user ${username} removed`);
    });
  users
    .command('passwd <username>')
    .description("set a new password (generated and printed once, or read from stdin); the account's sessions end")
    .option('--password-stdin', 'read the password from stdin')
    .option('--json', 'print the result as JSON')
    .action(async (username: string, opts: { passwordStdin?: boolean; json?: boolean }) => {
      const { password, generated } = await newPassword(opts.passwordStdin, cli.io.stdin);
      const hash = await hashPassword(password);
      if (!(await withAccounts(cli, (accounts) => accounts.setPassword(username, hash, new Date()), { write: true }))) throw new UsageError(`no user "${username}"`);
      if (opts.json) cli.print.json({ username, ...(generated ? { password } : {}) });
      else cli.print.line(`password of ${username} changed${generated ? `: ${password}` : ''}`);
    });
}
