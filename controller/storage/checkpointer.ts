// WAL checkpoints off the call path. SQLite copies the write-ahead log back into the database
// file (and syncs it) whenever the log passes wal_autocheckpoint pages, inside whichever
// commit crosses the line: a booking that happens to be that commit waits several
// milliseconds (make bench: the booking's p99). Here a worker thread with its own
// connection checkpoints every few seconds (PASSIVE: it never blocks a writer), and the
// controller's connection only checkpoints itself if the worker falls far behind.
import { Worker } from 'node:worker_threads';
import type { Db } from './database';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
  }
}, workerData.everyMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); db.close(); process.exit(0); } });
`;

/** a safety net only: about 40 MB of log before a commit checkpoints by itself */
export const CONTROLLER_AUTOCHECKPOINT_PAGES = 10_000;

export function startCheckpointer(db: Db, file: string, everyMs: number, onError: (message: string) => void): { stop(): void } {
  db.pragma(`wal_autocheckpoint = ${CONTROLLER_AUTOCHECKPOINT_PAGES}`);
  const worker = new Worker(WORKER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, everyMs } });
  worker.on('message', (m: { ok: boolean; error?: string }) => {
    if (!m.ok) onError(m.error ?? 'checkpoint failed');
  });
  worker.on('error', (err) => onError(err.message));
  worker.unref();
  return { stop: () => worker.postMessage('stop') };
}
