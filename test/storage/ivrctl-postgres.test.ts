// ivrctl with IVR_DB a postgres:// URL (the cluster mode's shared database), on a real
// PostgreSQL server: `db migrate` applies the PostgreSQL migrations once (text and JSON),
// never shows the password; a command that still needs the SQLite file refuses in one line
// (exit 2) rather than opening a SQLite file somewhere else; a server that does not answer
// is one line too.
import t from 'tap';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMigrations } from '../../controller/storage/database';
import { ivrctlInProcess, type Run } from '../fixtures/ivrctl-in-process';
import { startPostgres, type PostgresServer } from './postgres-server';

const root = path.resolve(__dirname, '..', '..', '..');
const latest = readMigrations(path.join(root, 'db', 'postgres')).length;
let server: PostgresServer;
const state = mkdtempSync(path.join(os.tmpdir(), 'ivrctl-pg-'));
t.before(async () => {
  server = await startPostgres('ivrctl');
});
t.teardown(async () => {
  await server?.stop();
  rmSync(state, { recursive: true, force: true });
});

const ivrctl = (db: string, ...args: string[]): Promise<Run> =>
  ivrctlInProcess(args, { PATH: process.env.PATH, IVR_DB: db, IVR_STATE_DIR: state, IVR_CONFIG: path.join(root, 'config', 'demo.yaml') });

t.test('db migrate on PostgreSQL: every migration once, then up to date; the password never shown', async (t) => {
  const password = new URL(server.url).password;
  const first = await ivrctl(server.url, 'db', 'migrate');
  t.equal(first.code, 0, first.stderr);
  t.equal(first.stdout.split('\n').filter((l) => l.startsWith('migration applied: ')).length, latest, `${latest} migrations applied`);
  t.match(first.stdout, new RegExp(`postgres://ivr:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/ivr: schema version ${latest}\\n$`));
  const again = await ivrctl(server.url, 'db', 'migrate', '--json');
  t.equal(again.code, 0);
  t.match(JSON.parse(again.stdout), { applied: [], schemaVersion: latest, url: /^postgres:\/\/ivr:\*\*\*@/ });
  t.notOk(`${first.stdout}${again.stdout}${first.stderr}`.includes(password), 'the password is in no output');
});

t.test('a command that needs the SQLite file: one line, exit 2, no SQLite file made', async (t) => {
  const r = await ivrctl(server.url, 'callbacks', 'list');
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /^ivrctl: IVR_DB is a PostgreSQL database \(postgres:\/\/ivr:\*\*\*@[^)]+\): only ivrctl db migrate runs on it so far .*\n$/);
  t.notOk(existsSync(path.join(state, 'ivr.db')), 'no ivr.db in the state dir');
});

t.test('a PostgreSQL server that does not answer: one line naming it', async (t) => {
  const r = await ivrctl('postgres://ivr:secret@127.0.0.1:9/ivr', 'db', 'migrate');
  t.equal(r.code, 1);
  t.match(r.stderr, /^ivrctl: postgres:\/\/ivr:\*\*\*@127\.0\.0\.1:9\/ivr: .*ECONNREFUSED.*\n$/);
  t.notOk(r.stderr.includes('secret'));
});
