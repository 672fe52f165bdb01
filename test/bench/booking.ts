// Benchmark: the callback booking transaction (policy checks + insert + commit) on a real
// SQLite file in WAL mode, as the controller runs it: with its checkpoint worker (the
// controller's setting), and, in the same run, with SQLite's default checkpoints inside
// the commits, to show what the worker takes off the booking's tail. p50/p99 in ms. The
// booking commits with synchronous=FULL (storage/database.ts durable()), so each includes
// the WAL fsync.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCheckpointer } from '../../controller/storage/checkpointer';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { figure, percentile } from './figure';
import { bookingRequest } from '../fixtures/booking-request';

const root = path.resolve(__dirname, '..', '..', '..');
const N = Number(process.argv[2] ?? 2000);

async function pass(withWorker: boolean): Promise<number[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-bench-'));
  const file = path.join(dir, 'bench.db');
  const db = openDatabase(file);
  migrate(db, readMigrations(path.join(root, 'db')));
  const worker = withWorker ? startCheckpointer(db, file, 1000, (e) => console.error(`checkpoint: ${e}`)) : undefined;
  const repo = new CallbacksRepo(db);
  const samples: number[] = [];
  const now = new Date();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = repo.book(
      bookingRequest(now, { dp: `dp-${i % 5}`, number: `06${String(10_000_000 + i)}`, menuPath: '1,offer:1', ringCount: 4, maxPerNumberPerDay: 3, dailyCapacity: 1_000_000 }),
    );
    samples.push(performance.now() - t0);
    if (!r.ok) throw new Error(`booking ${i} refused: ${r.reason}`);
    // calls arrive spread in time, not back to back: give the event loop (and the worker) a turn
    if (i % 20 === 0) await new Promise((res) => setImmediate(res));
  }
  worker?.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const inCommit = await pass(false);
  const worker = await pass(true);
  console.log(
    `booking commit (WAL, the booking fsynced: synchronous=FULL, ${N} bookings), checkpoint worker: p50 ${percentile(worker, 50).toFixed(3)} ms, p99 ${percentile(worker, 99).toFixed(3)} ms, max ${worker.at(-1)!.toFixed(3)} ms`,
  );
  console.log(
    `  same, SQLite's checkpoints inside the commits:       p50 ${percentile(inCommit, 50).toFixed(3)} ms, p99 ${percentile(inCommit, 99).toFixed(3)} ms, max ${inCommit.at(-1)!.toFixed(3)} ms`,
  );
  figure(
    'booking commit, p50 / p99 (checkpoint worker; checkpoints in the commit)',
    `${percentile(worker, 50).toFixed(3)} / ${percentile(worker, 99).toFixed(3)} ms (${percentile(inCommit, 50).toFixed(3)} / ${percentile(inCommit, 99).toFixed(3)} ms)`,
    'p99 < 2 ms',
  );
}

void main();
