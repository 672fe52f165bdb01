// ivrctl: the sysadmin's command line. Composition root of the CLI process.
// Exit codes (CONTRACT): 0 ok, 1 runtime failure, 2 usage or validation error; errors are
// one line on stderr; --json prints exactly one JSON value on stdout.
import { Command, CommanderError, Option } from 'commander';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { OPERATOR_ROLES, type OperatorRole } from '../config/schema';
import { migrationsDir, resolveEnvironment, type Environment } from '../environment';
import { migrate, openDatabase, readMigrations, schemaVersion } from '../storage/database';
import { ValidationError } from '../operators/operators-service';
import { prepare } from '../setup';
import type { OperatorRow } from '../storage/operators-repo';
import { AmiError } from '../telephony/ami';
import { promptManifest } from '../prompts/catalog';
import { collectStatus, formatStatus } from './status';
import { buildProfile, callbackView } from '../monitoring/profile';
import { CallbacksRepo, type CallbackStatus } from '../storage/callbacks-repo';
import { CallsRepo } from '../storage/calls-repo';
import { CallEventsRepo } from '../storage/call-events-repo';
import { CallbackAttemptsRepo } from '../storage/callback-attempts-repo';
import { OutcomesRepo } from '../storage/outcomes-repo';
import { callController } from './controller-client';

const CALLBACK_STATUSES: CallbackStatus[] = ['pending', 'dialing', 'done', 'failed', 'cancelled', 'expired'];

class UsageError extends Error {}

const env: Environment = resolveEnvironment(process.env);
const out = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const json = (v: unknown): void => out(JSON.stringify(v, null, 2));

const publicOperator = (o: OperatorRow) => ({ id: o.id, dp: o.dp, role: o.role, unit: o.unit, paused: o.paused, createdAt: o.createdAt });

function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

/** Applies an operator change to a running Asterisk; a stopped Asterisk reads it at start. */
async function reloadOrExplain(apply: () => Promise<void>): Promise<void> {
  try {
    await apply();
  } catch (err) {
    if (err instanceof AmiError) throw new Error(`saved, but Asterisk was not reloaded (${err.message}); it applies at next start`);
    throw err;
  }
}

function build(): Command {
  const program = new Command('ivrctl')
    .description('Manage the callback IVR of the provincial directorates (Agenzia delle Entrate).')
    .addHelpText(
      'after',
      `\nEnvironment: IVR_CONFIG (deployment config, default config/demo.yaml), IVR_DB (SQLite file,\ndefault $IVR_STATE_DIR/ivr.db), IVR_STATE_DIR (default var/).\nExit codes: 0 ok, 1 runtime failure, 2 usage or validation error.`,
    )
    .showSuggestionAfterError(true)
    // set before the subcommands are created: they copy these settings
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('status')
    .description('Asterisk reachable, controller up, operators online/busy/paused (exit 1 if Asterisk or the controller is down)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const status = await collectStatus(env);
      if (opts.json) json(status);
      else out(formatStatus(status, table));
      if (!status.asterisk.reachable || !status.controller.up) process.exitCode = 1;
    });

  const operators = program.command('operators').description('operator accounts (SIP phones of switchboard, staff and internal units)');
  operators
    .command('list')
    .description('list operators')
    .option('--json', 'print one JSON array')
    .action((opts: { json?: boolean }) => {
      const rows = prepare(env).operators.list().map(publicOperator);
      if (opts.json) json(rows);
      else out(table(rows, ['id', 'dp', 'role', 'unit', 'paused']));
    });
  operators
    .command('add <id>')
    .description('create an operator; takes effect in Asterisk at once (prints the SIP password when generated)')
    .requiredOption('--dp <dp>', 'directorate id')
    .addOption(new Option('--role <role>', 'what the operator does').choices(OPERATOR_ROLES as string[]).makeOptionMandatory())
    .option('--unit <unit>', 'internal unit id (with --role unit)')
    .option('--password <pw>', 'SIP password (default: generated)')
    .option('--json', 'print the created operator (and password) as JSON')
    .action(async (id: string, opts: { dp: string; role: OperatorRole; unit?: string; password?: string; json?: boolean }) => {
      const p = prepare(env);
      const { operator, password } = p.operators.create({ id, dp: opts.dp, role: opts.role, unit: opts.unit, password: opts.password });
      const shown = opts.password ? undefined : password;
      await reloadOrExplain(() => p.operators.applyToAsterisk());
      if (opts.json) json({ ...publicOperator(operator), ...(shown ? { password: shown } : {}) });
      else out(`operator ${id} added${shown ? `; SIP password: ${shown}` : ''} (register as sip:${id}@127.0.0.1)`);
    });
  for (const [name, desc] of [
    ['remove', 'delete an operator; their phone can no longer register'],
    ['pause', 'stop ringing this operator (calls and callbacks) until resumed'],
    ['resume', 'make a paused operator available again'],
  ] as const) {
    operators
      .command(`${name} <id>`)
      .description(desc)
      .action(async (id: string) => {
        const p = prepare(env);
        if (name === 'remove') {
          p.operators.remove(id);
          await reloadOrExplain(() => p.operators.applyToAsterisk());
        } else {
          p.operators.setPaused(id, name === 'pause');
        }
        out(`operator ${id} ${name === 'remove' ? 'removed' : name === 'pause' ? 'paused' : 'resumed'}`);
      });
  }

  const callbacks = program.command('callbacks').description('callback requests booked by callers');
  callbacks
    .command('list')
    .description('list callback requests, oldest first')
    .option('--dp <dp>', 'only this directorate')
    .addOption(new Option('--status <s>', 'only this status').choices(CALLBACK_STATUSES))
    .option('--json', 'print one JSON array')
    .action((opts: { dp?: string; status?: CallbackStatus; json?: boolean }) => {
      const p = prepare(env);
      if (opts.dp && !p.config.directorates.some((d) => d.id === opts.dp)) throw new ValidationError(`unknown directorate "${opts.dp}"`);
      const repo = new CallbacksRepo(p.db);
      const rows = repo.list({ dp: opts.dp, status: opts.status }).map((r) => callbackView(r, repo));
      if (opts.json) json(rows);
      else out(table(rows as unknown as Array<Record<string, unknown>>, ['id', 'dp', 'number', 'status', 'position', 'attempts', 'lastOutcome', 'language', 'requestedAt', 'dueAt']));
    });
  callbacks
    .command('show <id>')
    .description('one callback request')
    .option('--json', 'print one JSON object')
    .action((id: string, opts: { json?: boolean }) => {
      if (!/^\d+$/.test(id)) throw new ValidationError(`callback id must be a number, got "${id}"`);
      const p = prepare(env);
      const repo = new CallbacksRepo(p.db);
      const row = repo.get(Number(id));
      if (!row) throw new ValidationError(`no callback ${id}`);
      const view = { ...callbackView(row, repo), attemptLog: new CallbackAttemptsRepo(p.db).ofCallback(row.id) };
      if (opts.json) return json(view);
      const { attemptLog, ...fields } = view;
      out(Object.entries(fields).map(([k, v]) => `${k.padEnd(13)} ${v ?? '-'}`).join('\n'));
      if (attemptLog.length > 0) out('\n' + table(attemptLog as unknown as Array<Record<string, unknown>>, ['id', 'operator', 'callerAttempt', 'startedAt', 'endedAt', 'outcome', 'cause']));
    });

  const action = (name: 'cancel' | 'retry' | 'reschedule', description: string, example: string) =>
    callbacks
      .command(`${name} <id>`)
      .description(description)
      .option('--json', 'print the request afterwards as one JSON object')
      .addHelpText('after', `\nExample:\n  ${example}\nThe running controller carries it out (it owns the calls being dialled).`);
  const act = async (name: string, id: string, opts: { json?: boolean }, body?: unknown): Promise<void> => {
    if (!/^\d{1,12}$/.test(id)) throw new ValidationError(`callback id must be a number, got "${id}"`);
    const cfg = loadConfig(env.configFile);
    const row = (await callController(cfg, env.stateDir, 'POST', `/api/callbacks/${id}/${name}`, body ?? {})) as { id: number; status: string; dueAt: string };
    if (opts.json) json(row);
    else out(`callback ${row.id}: ${row.status}${row.status === 'pending' ? `, due ${row.dueAt}` : ''}`);
  };
  action('cancel', 'cancel a request; one being dialled is hung up first', 'ivrctl callbacks cancel 42').action((id: string, opts: { json?: boolean }) => act('cancel', id, opts));
  action('retry', 'call it back as soon as an operator is free (reopens a failed, expired or cancelled one)', 'ivrctl callbacks retry 42').action(
    (id: string, opts: { json?: boolean }) => act('retry', id, opts),
  );
  action('reschedule', 'call it back from a given time', 'ivrctl callbacks reschedule 42 --at 2026-11-27T09:30:00+01:00')
    .requiredOption('--at <time>', 'ISO 8601 time, e.g. 2026-11-27T09:30:00+01:00')
    .action((id: string, opts: { json?: boolean; at: string }) => {
      const at = new Date(opts.at);
      if (!/^\d{4}-\d\d-\d\dT/.test(opts.at) || Number.isNaN(at.getTime())) throw new ValidationError(`--at "${opts.at}" is not an ISO 8601 time (e.g. 2026-11-27T09:30:00+01:00)`);
      return act('reschedule', id, opts, { at: at.toISOString() });
    });

  program
    .command('profile <number>')
    .description("the caller's profile: every call, booking, attempt, outcome and transfer for a number, oldest first")
    .option('--json', 'print one JSON object')
    .action((number: string, opts: { json?: boolean }) => {
      if (!/^\+?[0-9]{3,16}$/.test(number)) throw new ValidationError(`"${number}" is not a phone number`);
      const p = prepare(env);
      const profile = buildProfile(number, {
        calls: new CallsRepo(p.db),
        events: new CallEventsRepo(p.db),
        callbacks: new CallbacksRepo(p.db),
        attempts: new CallbackAttemptsRepo(p.db),
        outcomes: new OutcomesRepo(p.db),
      });
      if (opts.json) return json(profile);
      if (profile.timeline.length === 0) return out(`${number}: no calls or callbacks`);
      out(`profile of ${number}: ${profile.calls.length} call(s), ${profile.callbacks.length} callback request(s)`);
      for (const e of profile.timeline) out(`${e.at}  ${e.kind.padEnd(8)}  ${e.summary}`);
    });

  const dbCmd = program.command('db').description('the SQLite database ($IVR_DB)');
  dbCmd
    .command('migrate')
    .description('apply the pending migrations (db/NNN_*.sql), each in its own transaction')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  ivrctl db migrate\nThe controller also migrates at start; running both at once is safe (each migration takes the write lock).')
    .action((opts: { json?: boolean }) => {
      const db = openDatabase(env.dbFile);
      try {
        const applied = migrate(db, readMigrations(migrationsDir(env.root)));
        const version = schemaVersion(db);
        if (opts.json) return json({ file: env.dbFile, applied, schemaVersion: version });
        for (const m of applied) out(`migration applied: ${m}`);
        out(`${env.dbFile}: schema version ${version}${applied.length === 0 ? ' (up to date)' : ''}`);
      } finally {
        db.close();
      }
    });
  dbCmd
    .command('backup <file>')
    .description('an online copy of the database (consistent while the controller writes), checked after writing')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  ivrctl db backup /var/backups/ivr-$(date +%F).db\nRestore: stop the stack (make down), copy the file to $IVR_DB, start it again.')
    .action(async (file: string, opts: { json?: boolean }) => {
      const target = path.resolve(file);
      if (existsSync(target)) throw new ValidationError(`${target} already exists: choose a new file name`);
      if (!existsSync(path.dirname(target))) throw new ValidationError(`directory ${path.dirname(target)} does not exist`);
      if (!existsSync(env.dbFile)) throw new Error(`no database at ${env.dbFile}`);
      // not read-only: a WAL database needs its shared-memory file, which a reader may have to create
      const db = openDatabase(env.dbFile);
      try {
        await db.backup(target);
      } finally {
        db.close();
      }
      const copy = openDatabase(target, { readonly: true });
      try {
        const check = copy.pragma('integrity_check', { simple: true });
        if (check !== 'ok') throw new Error(`the backup ${target} failed its integrity check: ${String(check)}`);
        const result = { file: target, bytes: statSync(target).size, schemaVersion: schemaVersion(copy), integrity: 'ok' };
        if (opts.json) json(result);
        else out(`backup written: ${target} (${result.bytes} bytes, schema version ${result.schemaVersion}, integrity ok)`);
      } finally {
        copy.close();
      }
    });

  const config = program.command('config').description('deployment configuration');
  config
    .command('check [file]')
    .description('validate a configuration file (default: $IVR_CONFIG or the demo config)')
    .option('--json', 'print the result as JSON')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const cfgFile = file ?? env.configFile;
      const cfg = loadConfig(cfgFile);
      const summary = { file: cfgFile, valid: true, directorates: cfg.directorates.map((d) => ({ id: d.id, case: d.case, numbers: d.numbers, ringsBeforeCallback: d.ringsBeforeCallback })) };
      if (opts.json) json(summary);
      else out(`${cfgFile}: ok (${cfg.directorates.map((d) => `${d.id} ${d.numbers.join('/')}`).join(', ')})`);
    });

  program
    .command('setup')
    .description('prepare the state dir: migrate the database, generate secrets and Asterisk includes, seed operators (run by make up)')
    .action(() => {
      const p = prepare(env);
      for (const m of p.migrationsApplied) out(`migration applied: ${m}`);
      for (const s of p.seeded) out(`operator ${s.id} created; SIP password: ${s.password}`);
    });

  const prompts = program.command('prompts').description('prompt texts (audio is built by make prompts)');
  prompts
    .command('manifest')
    .description('print the prompts to synthesize, one per line: <path>\\t<lang>\\t<text>')
    .action(() => {
      const cfg = loadConfig(env.configFile);
      for (const p of promptManifest(cfg, env.root)) out(`${p.path}\t${p.lang}\t${p.text}`);
    });

  return program;
}

async function run(): Promise<void> {
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
    const usage = e instanceof ValidationError || e instanceof ConfigError || e instanceof UsageError;
    process.stderr.write(`ivrctl: ${e.message.split('\n')[0]}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}

void run();
