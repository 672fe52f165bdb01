// The nightly backup: an online copy under <state dir>/backups named after its local time,
// then the oldest beyond `keep` are deleted. A copy that fails its check is not kept and
// does not count, so a bad night never rotates a good backup away.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { localTime } from '../schedule/service-hours';
import { rotateBackups, type BackupResult } from '../storage/backup';

export const BACKUP_PREFIX = 'ivr-';

export const backupsDir = (stateDir: string): string => path.join(stateDir, 'backups');

const two = (n: number): string => String(n).padStart(2, '0');

/** "ivr-20261126-0230.db": sortable, in the jobs' local time. */
export function backupName(at: Date, tz: string): string {
  const t = localTime(at, tz);
  return `${BACKUP_PREFIX}${t.year}${two(t.month)}${two(t.day)}-${two(t.hour)}${two(t.minute)}.db`;
}

/** `backup` writes the copy (in the controller, on its database worker thread). */
export async function nightlyBackup(
  backup: (target: string) => Promise<BackupResult>,
  dir: string,
  keep: number,
  slot: Date,
  tz: string,
): Promise<(BackupResult & { removed: string[] }) | { skipped: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, backupName(slot, tz));
  if (existsSync(target)) return { skipped: `${target} exists (this slot is already backed up)` };
  const result = await backup(target);
  return { ...result, removed: rotateBackups(dir, BACKUP_PREFIX, keep) };
}
