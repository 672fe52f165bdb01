// Asterisk's own log files (written into <state dir>/log/asterisk by the container) with a
// size cap. Asterisk rotates only when asked: every minute the controller looks at their
// sizes, asks for a rotation over AMI (LoggerRotate) when one is past the cap, and deletes
// the rotated files beyond the number kept (logger.conf's rotatestrategy = rotate names them
// <file>.0, the newest, .1, ...).
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

export interface AsteriskLogCap {
  dir: string;
  maxBytes: number;
  /** rotated files kept per log */
  keep: number;
  files?: string[];
  rotate: () => Promise<unknown>;
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
  const rotated = files.some((f) => size(f) > c.maxBytes);
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
