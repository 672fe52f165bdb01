// The worker thread behind read-worker.ts: its own connection to the database, and the long
// tasks that must not run on the controller's event loop (a year's figures, an online backup
// with its integrity check). It never writes to the controller's database.
import { parentPort, workerData } from 'node:worker_threads';
import { computeFigures, type DpSelector, type FigureOptions, type FigureRange } from '../monitoring/figures';
import { backupDatabase } from './backup';
import { openDatabase } from './database';

export type ReadTask =
  | { task: 'figures'; dps: DpSelector[]; range: FigureRange; opts: FigureOptions }
  | { task: 'backup'; target: string };

const db = openDatabase((workerData as { file: string }).file);
// a worker may wait for a lock: nobody's call waits on this thread
db.pragma('busy_timeout = 30000');

async function perform(t: ReadTask): Promise<unknown> {
  switch (t.task) {
    case 'figures':
      return computeFigures(db, t.dps, t.range, t.opts);
    case 'backup':
      return backupDatabase(db, t.target);
  }
}

parentPort!.on('message', (m: { id: number } & ReadTask) => {
  perform(m).then(
    (result) => parentPort!.postMessage({ id: m.id, ok: true, result }),
    (err: Error) => parentPort!.postMessage({ id: m.id, ok: false, error: err.message, name: err.name }),
  );
});
