// The worker thread behind db-worker.ts: its own connection to the database, and the long
// tasks that must not run on the controller's event loop: a year's figures, an online backup
// with its integrity check, the WAL truncated after retention, the backups masked. It may
// wait for locks (nobody's call waits on this thread); it never writes the call records.
import { parentPort, workerData } from 'node:worker_threads';
import { maskBackupFiles } from './retention';
import { computeFigures, type DpSelector, type FigureOptions, type FigureRange } from '../monitoring/figures';
import { backupDatabase } from '../storage/backup';
import { openDatabase } from '../storage/database';

export type DbTask =
  | { task: 'figures'; dps: DpSelector[]; range: FigureRange; opts: FigureOptions }
  | { task: 'backup'; target: string }
  | { task: 'truncateWal' }
  | { task: 'maskBackups'; dir: string; prefix: string; days: number; now: string };

const db = openDatabase((workerData as { file: string }).file);
db.pragma('busy_timeout = 30000');

async function perform(t: DbTask): Promise<unknown> {
  switch (t.task) {
    case 'figures':
      return computeFigures(db, t.dps, t.range, t.opts);
    case 'backup':
      return backupDatabase(db, t.target);
    case 'truncateWal':
      // waits for readers to move on, then empties the WAL: no old page image stays in it
      return db.pragma('wal_checkpoint(TRUNCATE)');
    case 'maskBackups':
      return maskBackupFiles(t.dir, t.prefix, t.days, new Date(t.now));
  }
}

parentPort!.on('message', (m: { id: number } & DbTask) => {
  perform(m).then(
    (result) => parentPort!.postMessage({ id: m.id, ok: true, result }),
    (err: Error) => parentPort!.postMessage({ id: m.id, ok: false, error: err.message, name: err.name }),
  );
});
