// Personal data at rest, with the real ivrctl binary on a temporary state dir (controller and
// Asterisk down): the files that hold callers' numbers and credentials are their owner's only
// whatever the umask; after retention a caller's number is found nowhere the product wrote
// it (database file, WAL, backups, logs); a damaged database is refused at start; the writes
// that guard "never dialled twice" are durable; a masked request cannot be called back.
import t from 'tap';
import { execFile } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CallbackLedger } from '../../controller/callbacks/ledger';
import { parseConfig } from '../../controller/config/load';
import { figuresOfFile, writeDailyReports } from '../../controller/jobs/daily-report';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { fakeDispatcher } from './fake-dispatcher';
import { bookingRequest } from '../fixtures/booking-request';
import { ActionError } from '../../controller/errors';

const root = path.resolve(__dirname, '..', '..', '..');
const bin = path.join(root, 'dist', 'controller', 'cli', 'ivrctl.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A state dir with the demo config pointed at ports nothing listens on. */
function world(): { dir: string; dbFile: string; run: (umask: string, ...args: string[]) => Promise<Run> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-priv-'));
  // a state dir an older version (or a sysadmin's mkdir) made world-readable
  const state = path.join(dir, 'var');
  mkdirSync(state, { mode: 0o755 });
  const cfg = parseYaml(readFileSync(path.join(root, 'config', 'demo.yaml'), 'utf8')) as Record<string, unknown>;
  cfg.http = { host: '127.0.0.1', port: 1 };
  cfg.asterisk = { ariUrl: 'http://127.0.0.1:1', amiPort: 1 };
  const cfgFile = path.join(dir, 'deployment.yaml');
  writeFileSync(cfgFile, stringifyYaml(cfg));
  const dbFile = path.join(state, 'ivr.db');
  const run = (umask: string, ...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, IVR_STATE_DIR: state, IVR_DB: dbFile, IVR_CONFIG: cfgFile };
      delete env.NODE_OPTIONS;
      // the shell sets the umask the sysadmin happens to have
      execFile('sh', ['-c', `umask ${umask} && exec node "$@"`, 'sh', bin, ...args], { env, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  return { dir: state, dbFile, run };
}

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

t.test('under umask 022: the state dir is 0700; the database, secrets, passwords, includes, backups and reports 0600', async (t) => {
  const w = world();
  const setup = await w.run('022', 'setup');
  t.equal(setup.code, 0, setup.stderr);
  t.equal(mode(w.dir), '700', 'the state dir (made 0755 before)');
  for (const f of ['ivr.db', 'secrets.json', 'operator-passwords.txt']) t.equal(mode(path.join(w.dir, f)), '600', f);
  // the includes: Asterisk (its own user) reads them through its group, nobody else can
  t.equal((statSync(path.join(w.dir, 'asterisk')).mode & 0o7777).toString(8), '2750', 'the includes folder (setgid: its group passes to new files)');
  for (const f of readdirSync(path.join(w.dir, 'asterisk'))) t.equal(mode(path.join(w.dir, 'asterisk', f)), '640', `asterisk/${f}`);
  // the WAL and its shared memory, while a connection has them open
  const db = new Database(w.dbFile);
  db.prepare("INSERT INTO meta (key, value) VALUES ('x', 'y')").run();
  t.equal(mode(`${w.dbFile}-wal`), '600', 'ivr.db-wal');
  t.equal(mode(`${w.dbFile}-shm`), '600', 'ivr.db-shm');
  db.close();
  const backup = path.join(w.dir, 'copy.db');
  const b = await w.run('022', 'db', 'backup', backup);
  t.equal(b.code, 0, b.stderr);
  t.equal(mode(backup), '600', 'ivrctl db backup');
  // a file a previous version left readable is tightened at the next start
  writeFileSync(path.join(w.dir, 'operator-passwords.txt'), 'x', { mode: 0o644 });
  t.equal((await w.run('022', 'setup')).code, 0);
  t.equal(mode(path.join(w.dir, 'operator-passwords.txt')), '600', 'repaired at the next start');
  // the daily report files, whatever the process umask
  const old = process.umask(0o022);
  try {
    const conn = openDatabase(w.dbFile);
    const cfg = parseConfig(readFileSync(path.join(root, 'config', 'demo.yaml'), 'utf8'), 'demo.yaml');
    const r = await writeDailyReports(figuresOfFile(conn), cfg.directorates, path.join(w.dir, 'reports'), {
      slot: new Date(),
      timezone: 'Europe/Rome',
      catchUpDays: 1,
      since: new Date(Date.now() - 3 * 86_400_000),
    });
    conn.close();
    t.ok(r.written.length > 0);
    for (const f of r.written) t.equal(mode(f), '600', path.relative(w.dir, f));
    t.equal(mode(path.dirname(r.written[0]!)), '700', 'the day folder');
  } finally {
    process.umask(old);
  }
});

/** Byte offsets of a string in a file (0 when the file does not exist). */
function hits(file: string, needle: string): number {
  if (!existsSync(file)) return 0;
  const buf = readFileSync(file);
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) n++;
  return n;
}

t.test('after retention a caller is found nowhere: database file, WAL, backups, logs; digits typed one by one masked; notes emptied', async (t) => {
  const w = world();
  t.equal((await w.run('077', 'setup')).code, 0);
  const NUMBER = '3479876543';
  const TYPED = '0698765432';
  const old = new Date(Date.now() - 120 * 86_400_000).toISOString();
  const db = new Database(w.dbFile);
  db.transaction(() => {
    db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at, ended_at, end_reason) VALUES ('c1', 'demo-st', ?, '0200000002', ?, ?, 'completed')").run(NUMBER, old, old);
    const ev = db.prepare("INSERT INTO call_events (call_id, at, type, data) VALUES ('c1', ?, ?, ?)");
    for (const d of TYPED) ev.run(old, 'dtmf', JSON.stringify({ digit: d, phase: 'typing' }));
    ev.run(old, 'dtmf', JSON.stringify({ digit: '1', phase: 'menu' }));
    ev.run(old, 'number_typed', JSON.stringify({ digits: TYPED, ok: true }));
    ev.run(old, 'booked', JSON.stringify({ id: 1, number: TYPED, position: 1 }));
    db.prepare(
      "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, attempts, updated_at) VALUES ('demo-st', ?, 'it', 'done', ?, ?, ?, 'c1', 1, ?)",
    ).run(TYPED, old, old, old, old);
    db.prepare("INSERT INTO outcomes (dp, number, call_id, kind, official, code, label, at) VALUES ('demo-st', ?, 'c1', 'operator', 'st1', '1', 'info', ?)").run(NUMBER, old);
    db.prepare("INSERT INTO notes (number, dp, author, text, at) VALUES (?, 'demo-st', 'rossi', ?, ?)").run(NUMBER, `richiamare il signor Rossi al ${NUMBER}`, old);
  })();
  db.close();
  // a backup taken while the records were whole, and a log line from back then
  mkdirSync(path.join(w.dir, 'backups'), { mode: 0o700 });
  t.equal((await w.run('077', 'db', 'backup', path.join(w.dir, 'backups', 'ivr-20260801-0230.db'))).code, 0);
  mkdirSync(path.join(w.dir, 'log', 'asterisk'), { recursive: true });
  const oldLog = path.join(w.dir, 'log', 'asterisk', 'full.log.0');
  writeFileSync(oldLog, `[2026-08-01 10:00:00.000] VERBOSE[1] Called PJSIP/${TYPED}@trunk\n`);
  utimesSync(oldLog, new Date(old), new Date(old));
  const files = (): string[] => [w.dbFile, `${w.dbFile}-wal`, path.join(w.dir, 'backups', 'ivr-20260801-0230.db'), oldLog];
  t.ok(
    files().some((f) => hits(f, NUMBER) + hits(f, TYPED) > 0),
    'before: the numbers are there',
  );

  const purge = await w.run('077', 'db', 'purge', '--json');
  t.equal(purge.code, 0, purge.stderr);
  const r = JSON.parse(purge.stdout) as { masked: Record<string, number>; backups: Array<Record<string, unknown>>; logsRemoved: string[] };
  t.match(r.masked, { calls: 1, callEvents: 12, callbacks: 1, outcomes: 1, notes: 1 }, 'ten typed digits, the typed and the booked number');
  t.match(r.backups, [{ file: 'ivr-20260801-0230.db', calls: 1, callEvents: 12, notes: 1 }], 'the backup masked the same');
  t.same(r.logsRemoved, [path.join('asterisk', 'full.log.0')], 'the old log file removed');
  for (const f of files()) {
    t.equal(hits(f, NUMBER), 0, `${path.basename(f)}: no ${NUMBER}`);
    t.equal(hits(f, TYPED), 0, `${path.basename(f)}: no ${TYPED}`);
    t.equal(hits(f, 'signor Rossi'), 0, `${path.basename(f)}: no note text`);
  }
  const after = new Database(w.dbFile, { readonly: true });
  try {
    const typedDigits = after.prepare("SELECT json_extract(data, '$.digit') FROM call_events WHERE json_extract(data, '$.phase') = 'typing'").pluck().all();
    t.same(typedDigits, Array(10).fill('*'), 'each digit typed to enter a number is masked');
    t.equal(after.prepare("SELECT json_extract(data, '$.digit') FROM call_events WHERE json_extract(data, '$.phase') = 'menu'").pluck().get(), '1', 'menu keys stay');
    t.same(after.prepare('SELECT number, text FROM notes').get(), { number: '3479******', text: '' }, "the note's text is gone");
  } finally {
    after.close();
  }
});

t.test('a damaged database is refused at start with one line saying what to do', async (t) => {
  const w = world();
  t.equal((await w.run('077', 'setup')).code, 0);
  const db = new Database(w.dbFile);
  db.pragma('journal_mode = DELETE');
  db.transaction(() => {
    const ins = db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES (?, 'demo-st', '0612345678', '0200000002', '2026-11-01T10:00:00Z')");
    for (let i = 0; i < 2000; i++) ins.run(`c${i}`);
  })();
  db.close();
  // scribble over the middle of the file, as a failing disk would
  const fd = openSync(w.dbFile, 'r+');
  const size = statSync(w.dbFile).size;
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size / 2 / 4096) * 4096);
  closeSync(fd);
  const r = await w.run('077', 'setup');
  t.equal(r.code, 1, 'exit 1');
  t.match(r.stderr, /^ivrctl: .*ivr\.db is damaged \(quick_check: .*\): it is not served; restore the newest backup/);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('claiming, dialling and closing an attempt commit with synchronous=FULL', async (t) => {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-dur-')), 'd.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const callbacks = new CallbacksRepo(db);
  const ledger = new CallbackLedger(db, callbacks, new CallbackAttemptsRepo(db));
  const now = new Date();
  const r = callbacks.book(bookingRequest(now));
  if (!r.ok) throw new Error('not booked');
  const seen: string[] = [];
  const pragma = db.pragma.bind(db);
  // what synchronous is at each commit of the ledger
  db.pragma = ((s: string, o?: unknown) => {
    if (/^synchronous =/.test(s)) seen.push(s);
    return pragma(s, o as never);
  }) as typeof db.pragma;
  const policy = parseConfig(
    'directorates: [{ id: x, name: X, numbers: ["0611000009"], case: staff, ringsBeforeCallback: 2, hours: { weekly: { mon: "00:00-24:00" } } }]',
    'x.yaml',
  ).directorates[0]!.callback;
  const a = (await ledger.claim(r.id, 'op1', 'cbop-1', now))!;
  await ledger.callerDialing(a, 'cbcl-1', now);
  await ledger.close(a, 'no_answer', 19, now, policy);
  t.same(seen, ['synchronous = FULL', 'synchronous = NORMAL', 'synchronous = FULL', 'synchronous = NORMAL', 'synchronous = FULL', 'synchronous = NORMAL']);
});

t.test('a request whose number retention masked can never be called back', async (t) => {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-mask-')), 'd.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const callbacks = new CallbacksRepo(db);
  const at = new Date(Date.now() - 100 * 86_400_000).toISOString();
  const { id } = db
    .prepare(
      "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, attempts, updated_at) VALUES ('x', '0612******', 'it', 'failed', ?, ?, ?, 3, ?) RETURNING id",
    )
    .get(at, at, at, at) as { id: number };
  const config = parseConfig(
    'directorates: [{ id: x, name: X, numbers: ["0611000009"], case: staff, ringsBeforeCallback: 2, hours: { weekly: { mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00" }, nationalHolidays: false } }]',
    'x.yaml',
  );
  const d = fakeDispatcher(config, db, new CallbackLedger(db, callbacks, new CallbackAttemptsRepo(db)));
  await t.rejects(d.retry(id), ActionError);
  await d.retry(id).catch((err: ActionError) => {
    t.equal(err.status, 409);
    t.match(err.message, /its number was masked by retention \(0612\*\*\*\*\*\*\): it cannot be called back/);
  });
  t.equal(callbacks.reschedule(id, new Date(), new Date(Date.now() + 86_400_000), new Date()), false, 'the repository refuses it too');
  t.same(callbacks.due('x', new Date(), 10), [], 'never due');
  d.stop();
});
