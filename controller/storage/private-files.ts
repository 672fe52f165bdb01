// Everything the product writes about people (the database with its WAL and shared memory,
// backups, daily reports, logs) and its credentials (secrets, operators' digest HA1s in the
// database and the Asterisk includes) is readable by its owner only: the state dir 0700, the
// files 0600, whatever umask the process was started with. The entry points set umask 077;
// lockDownStateDir() also repairs what an older version or another tool left readable.
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Called first by every entry point (controller, supervisor, ivrctl). */
export function privateUmask(): void {
  process.umask(0o077);
}

function tighten(p: string, depth: number): void {
  let st;
  try {
    st = statSync(p);
  } catch {
    return; // gone meanwhile
  }
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== PRIVATE_DIR) chmodSync(p, PRIVATE_DIR);
    if (depth > 0) for (const f of readdirSync(p)) tighten(path.join(p, f), depth - 1);
  } else if (st.isFile() && (st.mode & 0o077) !== 0) {
    chmodSync(p, PRIVATE_FILE);
  }
}

/** The state dir, the database's files, and the folders of backups, reports, logs and includes. */
export function lockDownStateDir(stateDir: string, dbFile: string): void {
  if (existsSync(stateDir)) tighten(stateDir, 0);
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) tighten(f, 0);
  if (path.dirname(dbFile) !== stateDir) tighten(path.dirname(dbFile), 0);
  for (const sub of ['backups', 'reports', 'log', 'asterisk']) {
    const dir = path.join(stateDir, sub);
    if (existsSync(dir)) tighten(dir, sub === 'reports' ? 2 : sub === 'log' ? 2 : 1);
  }
  for (const f of readdirSync(stateDir)) {
    const p = path.join(stateDir, f);
    if (statSync(p).isFile()) tighten(p, 0);
  }
}
