// One box's database beside the shared one in the storage tests: a migrated SQLite file in a
// directory of its own, closed and removed after the test.
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, readMigrations, type Db } from '../../controller/storage/database';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export function migratedSqlite(t: Test, prefix: string): Db {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const db = openDatabase(path.join(dir, 'ivr.db'));
  t.teardown(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  migrate(db, readMigrations(path.join(ROOT, 'db')));
  return db;
}
