// Online copies of the database with SQLite's backup API: consistent while the controller
// keeps writing (WAL), and checked (integrity_check on the copy) before being called a backup.
import { chmodSync, existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { schemaVersion, type Db } from './database';

export interface BackupResult {
  file: string;
  bytes: number;
  schemaVersion: number;
  integrity: 'ok';
}

/** Writes `target` (which must not exist); a failed copy leaves no file behind under that name. */
export async function backupDatabase(db: Db, target: string): Promise<BackupResult> {
  if (existsSync(target)) throw new Error(`${target} already exists`);
  // written under a temporary name and renamed once checked: a half-written or corrupt copy
  // is never mistaken for a backup (nor counted by the rotation)
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  try {
    await db.backup(partial);
    // a copy of every caller's number: its owner's only, whatever the umask
    chmodSync(partial, 0o600);
    // the copy keeps the source's WAL mode; switched to a rollback journal it is one
    // self-contained file (no -wal / -shm beside it) that a restore simply copies back
    const copy = new Database(partial);
    let version: number;
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
      version = schemaVersion(copy);
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { file: target, bytes: statSync(target).size, schemaVersion: version, integrity: 'ok' };
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Deletes the oldest backups named `<prefix>*.db` in `dir` beyond the newest `keep`; returns the deleted paths. */
export function rotateBackups(dir: string, prefix: string, keep: number): string[] {
  // names carry a sortable local timestamp, so name order is age order
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.db'))
    .sort();
  const old = files.slice(0, Math.max(0, files.length - keep)).map((f) => path.join(dir, f));
  for (const f of old) rmSync(f, { force: true });
  return old;
}
