// Everything the product writes about people (the database with its WAL and shared memory,
// backups, daily reports, logs) and its credentials (secrets, operators' digest HA1s in the
// database and the Asterisk includes) is readable by its owner only: the state dir 0700, the
// files 0600, whatever umask the process was started with. The entry points set umask 077;
// lockDownStateDir() also repairs what an older version or another tool left readable. One
// exception: the generated Asterisk includes are read by Asterisk, which runs as its own user:
// that folder is 2750 and its files 0640, group-readable by Asterisk's group (the stack script
// sets the group; the setgid bit passes it on to every file written there), never by others.
import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;
/** the includes Asterisk reads, group-readable by Asterisk's group only */
export const SHARED_DIR = 0o2750;
export const SHARED_FILE = 0o640;

/** Called first by every entry point (controller, supervisor, ivrctl). */
export function privateUmask(): void {
  process.umask(0o077);
}

function tighten(p: string, depth: number, shared = false): void {
  let st;
  try {
    st = statSync(p);
  } catch {
    return; // gone meanwhile
  }
  if (st.isDirectory()) {
    if (shared ? (st.mode & 0o7777) !== SHARED_DIR : (st.mode & 0o777) !== PRIVATE_DIR) chmodSync(p, shared ? SHARED_DIR : PRIVATE_DIR);
    if (depth > 0) for (const f of readdirSync(p)) tighten(path.join(p, f), depth - 1, shared);
  } else if (st.isFile() && (st.mode & (shared ? 0o037 : 0o077)) !== 0) {
    chmodSync(p, shared ? SHARED_FILE : PRIVATE_FILE);
  }
}

/** The state dir, the database's files, and the folders of backups, reports, logs and includes. */
export function lockDownStateDir(stateDir: string, dbFile: string): void {
  if (existsSync(stateDir)) tighten(stateDir, 0);
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) tighten(f, 0);
  if (path.dirname(dbFile) !== stateDir) tighten(path.dirname(dbFile), 0);
  for (const sub of ['backups', 'reports', 'log']) {
    const dir = path.join(stateDir, sub);
    if (existsSync(dir)) tighten(dir, sub === 'backups' ? 1 : 2);
  }
  const includes = path.join(stateDir, 'asterisk');
  if (existsSync(includes)) tighten(includes, 1, true);
  for (const f of readdirSync(stateDir)) {
    const p = path.join(stateDir, f);
    if (statSync(p).isFile()) tighten(p, 0);
  }
}
