// The real ivrctl binary, as a child process, on a temporary database: db migrate and
// db backup, their output and exit codes.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const root = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ivrctl-db-'));
const env = { ...process.env, IVR_STATE_DIR: dir, IVR_DB: path.join(dir, 'ivr.db'), IVR_CONFIG: path.join(root, 'config', 'demo.yaml') };

const ivrctl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile('node', [path.join(root, 'dist', 'controller', 'cli', 'ivrctl.js'), ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

t.test('db migrate: applies every migration once, then reports the database up to date', async (t) => {
  const first = await ivrctl('db', 'migrate', '--json');
  t.equal(first.code, 0, first.stderr);
  const r = JSON.parse(first.stdout) as { applied: string[]; schemaVersion: number };
  t.ok(r.applied.length >= 4 && r.applied[0] === '001_schema_version_and_operators.sql', `applied ${r.applied.join(', ')}`);
  t.equal(r.schemaVersion, r.applied.length);
  const again = await ivrctl('db', 'migrate');
  t.equal(again.code, 0);
  t.match(again.stdout, new RegExp(`schema version ${r.schemaVersion} \\(up to date\\)\\n$`));
});

t.test('db backup: an identical, checked copy; an existing target or a missing directory is refused (exit 2)', async (t) => {
  const db = new Database(env.IVR_DB);
  db.prepare(
    "INSERT INTO operators (id, dp, role, unit, ha1, paused, created_at, updated_at) VALUES ('sw1', 'demo-sw', 'switchboard', NULL, 'abc', 0, '2026-11-26T10:00:00Z', '2026-11-26T10:00:00Z')",
  ).run();
  db.close();
  const file = path.join(dir, 'copy.db');
  const r = await ivrctl('db', 'backup', file, '--json');
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { file, integrity: 'ok' });
  const dump = (f: string): unknown => {
    const d = new Database(f, { readonly: true });
    try {
      return Object.fromEntries(
        (d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(({ name }) => [
          name,
          d.prepare(`SELECT * FROM "${name}"`).all(),
        ]),
      );
    } finally {
      d.close();
    }
  };
  t.same(dump(file), dump(env.IVR_DB), 'every table has the same rows');
  const exists = await ivrctl('db', 'backup', file);
  t.equal(exists.code, 2);
  t.match(exists.stderr, /^ivrctl: .*copy\.db already exists: choose a new file name\n$/);
  const nodir = await ivrctl('db', 'backup', path.join(dir, 'no', 'such', 'x.db'));
  t.equal(nodir.code, 2);
  t.match(nodir.stderr, /^ivrctl: directory .* does not exist\n$/);
});
