// Asterisk's own log files (written into <state dir>/log/asterisk by the container) with a
// size cap. Asterisk rotates only when asked: every minute the controller looks at them, asks
// for a rotation over AMI (LoggerRotate) when one is past the cap or its first line is over a
// day old (so the retention job can delete the rotated files older than its days), and
// deletes the rotated files beyond the number kept (logger.conf's rotatestrategy = rotate
// names them <file>.0, the newest, .1, ...).
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface AsteriskLogCap {
  dir: string;
  maxBytes: number;
  /** rotated files kept per log */
  keep: number;
  files?: string[];
  rotate: () => Promise<unknown>;
  now?: Date;
}

/** a log whose first line is older than this is rotated (Asterisk's lines start with the date) */
const MAX_AGE_MS = 26 * 3600_000;

/** The date of a log's first line, "[2026-11-29 18:30:00.123] ...", or undefined. */
function firstLineDate(file: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)/.exec(buf.toString('latin1', 0, n));
    return m ? Date.parse(`${m[1]}T${m[2]}Z`) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** One look: rotates when a log is too big, prunes old rotations; returns what it did. */
export async function capAsteriskLogs(c: AsteriskLogCap): Promise<{ rotated: boolean; removed: string[] }> {
  const files = c.files ?? ['full.log', 'messages.log'];
  const size = (f: string): number => {
    try {
      return statSync(path.join(c.dir, f)).size;
    } catch {
      return 0;
    }
  };
  const now = (c.now ?? new Date()).getTime();
  const old = (f: string): boolean => {
    const first = size(f) > 0 ? firstLineDate(path.join(c.dir, f)) : undefined;
    return first !== undefined && now - first > MAX_AGE_MS;
  };
  const rotated = files.some((f) => size(f) > c.maxBytes || old(f));
  if (rotated) await c.rotate();
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(c.dir);
  } catch {
    return { rotated, removed };
  }
  for (const f of files) {
    for (const n of names) {
      const m = new RegExp(`^${f.replace('.', '\\.')}\\.(\\d+)$`).exec(n);
      if (m && Number(m[1]) >= c.keep) {
        rmSync(path.join(c.dir, n), { force: true });
        removed.push(n);
      }
    }
  }
  return { rotated, removed };
}
