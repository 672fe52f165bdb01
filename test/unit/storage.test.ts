import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { durable, migrate, openDatabase, readMigrations, schemaVersion } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { CallsRepo } from '../../controller/storage/calls-repo';
import { MetaRepo } from '../../controller/storage/meta-repo';

const root = path.resolve(__dirname, '..', '..', '..');
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ivr-unit-'));

t.test('migrations apply once, in order, with WAL and foreign keys on', async (t) => {
  const file = path.join(tmp(), 'a.db');
  const db = openDatabase(file);
  const ms = readMigrations(path.join(root, 'db'));
  t.ok(ms.length >= 2);
  t.same(
    migrate(db, ms),
    ms.map((m) => m.name),
    'all applied on an empty database',
  );
  t.equal(schemaVersion(db), ms.length);
  t.same(migrate(db, ms), [], 'nothing applied the second time');
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1);
  db.close();
});

t.test('a durable write commits with synchronous=FULL; every other write with NORMAL, also after a failure', async (t) => {
  const db = openDatabase(path.join(tmp(), 'd.db'));
  const level = (): unknown => db.pragma('synchronous', { simple: true });
  t.equal(level(), 1, 'NORMAL by default');
  t.equal(
    durable(db, () => level()),
    2,
    'FULL inside',
  );
  t.equal(level(), 1, 'NORMAL again after');
  t.throws(
    () =>
      durable(db, () => {
        throw new Error('refused');
      }),
    /refused/,
  );
  t.equal(level(), 1, 'NORMAL again after a throw');
  db.close();
});

t.test('a failing migration leaves the previous version intact', async (t) => {
  const dir = tmp();
  mkdirSync(path.join(dir, 'db'));
  writeFileSync(path.join(dir, 'db', '001_a.sql'), 'CREATE TABLE a (x INTEGER);');
  writeFileSync(path.join(dir, 'db', '002_b.sql'), 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);');
  const db = openDatabase(path.join(dir, 'x.db'));
  t.throws(() => migrate(db, readMigrations(path.join(dir, 'db'))), /no such table: nowhere/);
  t.equal(schemaVersion(db), 1, 'still at version 1');
  t.notOk(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'b'").get(), 'the half of 002 was rolled back');
  db.close();
});

t.test('015 rebuilds callbacks for German and French: rows, ids, references and indexes kept', async (t) => {
  const db = openDatabase(path.join(tmp(), 'm.db'));
  const ms = readMigrations(path.join(root, 'db'));
  const v15 = ms.findIndex((m) => m.name.startsWith('015_'));
  migrate(db, ms.slice(0, v15));
  const indexes = (): string[] =>
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'callbacks' AND sql IS NOT NULL ORDER BY name").pluck().all() as string[];
  const before = indexes();
  const at = '2026-11-30T09:00:00.000Z';
  db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES ('c1', 'dp-a', '0612345678', '0611000001', ?)").run(at);
  const book = db.prepare(
    "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, updated_at) VALUES ('dp-a', ?, 'en', ?, ?, ?, ?, 'c1', ?)",
  );
  for (const [n, st] of [
    ['0612345678', 'done'],
    ['0612345679', 'pending'],
    ['0612345670', 'done'],
  ] as const)
    book.run(n, st, at, at, at, at);
  db.prepare('DELETE FROM callbacks WHERE id = 3').run(); // retention took the newest: its id must not come back
  db.prepare("UPDATE calls SET callback_id = 2 WHERE id = 'c1'").run();
  db.prepare("INSERT INTO callback_attempts (callback_id, operator, stage, operator_channel, started_at) VALUES (1, 'op1', 'ended', 'ch', ?)").run(at);
  book.run('0612345671', 'pending', at, at, at, at);
  t.throws(() => db.prepare("UPDATE callbacks SET language = 'de' WHERE id = 4").run(), /CHECK constraint failed/, "before: 'de' refused");

  t.same(
    migrate(db, ms),
    ms.slice(v15).map((m) => m.name),
  );
  t.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys on again');
  t.same(db.pragma('foreign_key_check'), [], 'every reference holds');
  t.same(indexes(), before, 'the same indexes');
  t.same(
    db.prepare('SELECT id, number, language, status FROM callbacks ORDER BY id').all(),
    [
      { id: 1, number: '0612345678', language: 'en', status: 'done' },
      { id: 2, number: '0612345679', language: 'en', status: 'pending' },
      { id: 4, number: '0612345671', language: 'en', status: 'pending' },
    ],
    'the rows as they were',
  );
  const id = book.run('0612345672', 'pending', at, at, at, at).lastInsertRowid;
  t.equal(Number(id), 5, 'ids go on from the old counter');
  db.prepare("UPDATE callbacks SET language = 'de' WHERE id = 5").run();
  db.prepare("UPDATE callbacks SET language = 'fr' WHERE id = 4").run();
  t.throws(() => db.prepare("UPDATE callbacks SET language = 'es' WHERE id = 4").run(), /CHECK constraint failed/, 'only it, en, de, fr');
  t.throws(
    () => db.prepare("INSERT INTO callback_attempts (callback_id, operator, stage, operator_channel, started_at) VALUES (99, 'op1', 'ended', 'ch', ?)").run(at),
    /FOREIGN KEY/,
    'references enforced again',
  );
  t.throws(() => book.run('0612345672', 'pending', at, at, at, at), /UNIQUE/, 'one live request per number, still');
  db.close();
});

t.test('a migration run with foreign keys off is refused when it breaks a reference', async (t) => {
  const dir = tmp();
  mkdirSync(path.join(dir, 'db'));
  writeFileSync(
    path.join(dir, 'db', '001_a.sql'),
    'CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER REFERENCES p (id)); INSERT INTO p VALUES (1); INSERT INTO c VALUES (1);',
  );
  writeFileSync(path.join(dir, 'db', '002_b.sql'), '-- foreign_keys: off\nDELETE FROM p;');
  const db = openDatabase(path.join(dir, 'x.db'));
  t.throws(() => migrate(db, readMigrations(path.join(dir, 'db'))), /002_b\.sql breaks 1 reference\(s\), e\.g\. c row 1 to p: not applied/);
  t.equal(schemaVersion(db), 1, 'still at version 1');
  t.equal(db.prepare('SELECT COUNT(*) FROM p').pluck().get(), 1, 'the delete was rolled back');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys on again');
  db.close();
});

t.test('a gap in the numbering is refused', async (t) => {
  const dir = tmp();
  writeFileSync(path.join(dir, '001_a.sql'), 'SELECT 1;');
  writeFileSync(path.join(dir, '003_c.sql'), 'SELECT 1;');
  t.throws(() => readMigrations(dir), /003_c\.sql breaks the numbering/);
});

t.test('a database newer than the program is refused', async (t) => {
  const db = openDatabase(path.join(tmp(), 'n.db'));
  const ms = readMigrations(path.join(root, 'db'));
  migrate(db, ms);
  t.throws(() => migrate(db, ms.slice(0, 1)), /newer than this program/);
});

t.test('operators repository', async (t) => {
  const db = openDatabase(path.join(tmp(), 'o.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const repo = new OperatorsRepo(db, () => new Date('2026-01-02T03:04:05Z'));
  t.ok(repo.insert({ id: 'a1', dp: 'd', role: 'staff', unit: null, ha1: 'h' }));
  t.notOk(repo.insert({ id: 'a1', dp: 'd', role: 'staff', unit: null, ha1: 'h' }), 'duplicate refused');
  t.throws(() => repo.insert({ id: 'u1', dp: 'd', role: 'unit', unit: null, ha1: 'h' }), /CHECK/, 'a unit operator needs a unit');
  t.ok(repo.setPaused('a1', true));
  t.equal(repo.get('a1')?.paused, true);
  t.notOk(repo.setPaused('zz', true));
  t.equal(repo.get('a1')?.createdAt, '2026-01-02T03:04:05.000Z');
  t.ok(repo.remove('a1'));
  t.notOk(repo.remove('a1'));
  t.same(repo.list(), []);
});

t.test('calls repository closes a call once', async (t) => {
  const db = openDatabase(path.join(tmp(), 'c.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const calls = new CallsRepo(db);
  const at = new Date('2026-03-01T10:00:00Z');
  calls.start({ id: 'ch1', dp: 'demo-sw', caller: '0612345678', dialed: '0600000001', at });
  t.equal(calls.open().length, 1);
  t.ok(calls.end('ch1', at, 'completed', 16));
  t.notOk(calls.end('ch1', at, 'lost', null), 'a late second close does not overwrite');
  t.equal(calls.get('ch1')?.endReason, 'completed');
  t.same(
    calls.byCaller('0612345678').map((c) => c.id),
    ['ch1'],
  );
  const meta = new MetaRepo(db);
  t.ok(meta.setOnce('k', 'v'));
  t.notOk(meta.setOnce('k', 'w'));
  t.equal(meta.get('k'), 'v');
});

t.test('checkpoint worker: committed rows reach the database file itself, off the committing thread', async (t) => {
  const { startCheckpointer } = await import('../../controller/storage/checkpointer');
  const { copyFileSync, mkdtempSync: mk } = await import('node:fs');
  const Database = (await import('better-sqlite3')).default;
  const dir = mk(path.join(os.tmpdir(), 'ivr-ckpt-'));
  const file = path.join(dir, 'c.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE x (v TEXT)');
  const errors: string[] = [];
  const worker = startCheckpointer(db, file, 100, (e) => errors.push(e));
  t.equal(db.pragma('wal_autocheckpoint', { simple: true }), 10_000, 'the commit itself no longer checkpoints until far behind');
  const insert = db.prepare('INSERT INTO x VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run('row ' + i);
  })();
  // the main file alone (no -wal beside the copy) holds the rows only once checkpointed
  const rowsInMainFile = (): number => {
    const copy = path.join(dir, `copy-${Date.now()}.db`);
    copyFileSync(file, copy);
    const c = new Database(copy, { readonly: true });
    try {
      return (c.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'x'").pluck().get() as number) ? (c.prepare('SELECT COUNT(*) FROM x').pluck().get() as number) : 0;
    } finally {
      c.close();
    }
  };
  const deadline = Date.now() + 5000;
  let n = rowsInMainFile();
  while (n < 2000 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = rowsInMainFile();
  }
  t.equal(n, 2000, 'checkpointed by the worker');
  t.same(errors, []);
  worker.stop();
  db.close();
});
