// Benchmark: the database at scale, on a real SQLite file in WAL mode as the controller runs
// it. One million historic callback requests (closed, spread over 20 directorates and two
// years) plus a busy directorate's month of calls; then: picking the next callback to dial,
// booking, and the month's report. Prints p50/p99 (milliseconds).
//   node dist/test/bench/database.js [historic-requests] [calls-per-day]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeFigures } from '../../controller/monitoring/figures';
import { figure, percentile } from './figure';
import { CallbacksRepo, type BookingRequest } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { startCheckpointer } from '../../controller/storage/checkpointer';
import { bookingRequest } from '../fixtures/booking-request';

const root = path.resolve(__dirname, '..', '..', '..');
const HISTORIC = Number(process.argv[2] ?? 1_000_000);
const CALLS_PER_DAY = Number(process.argv[3] ?? 3000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-bench-db-'));
const db = openDatabase(path.join(dir, 'bench.db'));
migrate(db, readMigrations(path.join(root, 'db')));
const repo = new CallbacksRepo(db);
// as the controller runs it: checkpoints in a worker, not inside the bookings
const checkpointer = startCheckpointer(db, path.join(dir, 'bench.db'), 1000, (e) => console.error(`checkpoint: ${e}`));

const fmt = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(3)} ms, p99 ${percentile(xs, 99).toFixed(3)} ms`;
const time = (fn: () => unknown): number => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

// ---- history: closed requests over two years -------------------------------------------
const now = new Date('2026-11-26T10:00:00Z');
const twoYears = 730 * 86_400_000;
const statuses = ['done', 'done', 'done', 'failed', 'expired', 'cancelled'];
let t0 = performance.now();
db.transaction(() => {
  const ins = db.prepare(
    `INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, attempts, updated_at, last_outcome)
     VALUES (?, ?, 'it', ?, ?, ?, ?, ?, ?, 'connected')`,
  );
  for (let i = 0; i < HISTORIC; i++) {
    const at = new Date(now.getTime() - twoYears + Math.floor((i / HISTORIC) * twoYears)).toISOString();
    ins.run(`dp-${i % 20}`, `06${String(10_000_000 + (i % 5_000_000))}`, statuses[i % statuses.length], at, at, at, 1 + (i % 3), at);
  }
})();
const loadHistory = performance.now() - t0;

// ---- a busy directorate's month of calls, with their events -----------------------------
t0 = performance.now();
const monthStart = new Date('2026-10-01T00:00:00+02:00');
db.transaction(() => {
  const call = db.prepare(
    `INSERT INTO calls (id, dp, caller, dialed, started_at, ended_at, end_reason, answered_by, ring_count) VALUES (?, 'dp-0', ?, '0600000001', ?, ?, ?, ?, ?)`,
  );
  const ev = db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)');
  for (let d = 0; d < 31; d++) {
    for (let i = 0; i < CALLS_PER_DAY; i++) {
      const id = `c-${d}-${i}`;
      const start = new Date(monthStart.getTime() + d * 86_400_000 + 9 * 3_600_000 + Math.floor((i / CALLS_PER_DAY) * 4 * 3_600_000));
      const at = start.toISOString();
      const answered = i % 3 !== 0;
      call.run(
        id,
        `06${String(20_000_000 + i)}`,
        at,
        new Date(start.getTime() + 90_000).toISOString(),
        answered ? 'completed' : 'caller_hangup',
        answered ? `op${i % 8}` : null,
        answered ? 1 + (i % 4) : 4,
      );
      ev.run(id, at, 'menu', '{"menu":"main","digit":"1"}');
      ev.run(id, at, 'ringing_started', '{"phones":["op1"]}');
      ev.run(id, at, 'ringing_ended', answered ? '{"answered":true}' : '{"answered":false}');
      if (!answered) ev.run(id, at, 'offer', null);
    }
  }
})();
const loadCalls = performance.now() - t0;

// ---- measurements ---------------------------------------------------------------------------
// a few live requests among the history: what the dispatcher asks for at each pass
const benchRequest = (dp: string, number: string): BookingRequest =>
  bookingRequest(now, { dp, number, menuPath: 'bench', ringCount: 4, maxPerNumberPerDay: 3, dailyCapacity: 1_000_000 });
for (let i = 0; i < 20; i++) {
  const r = repo.book(benchRequest('dp-0', `06${String(30_000_000 + i)}`));
  if (!r.ok) throw new Error(`booking refused: ${r.reason}`);
}
const picks: number[] = [];
for (let i = 0; i < 2000; i++) picks.push(time(() => repo.due('dp-0', now, 50)));
const bookings: number[] = [];
for (let i = 0; i < 2000; i++) {
  bookings.push(time(() => repo.book(benchRequest(`dp-${1 + (i % 19)}`, `06${String(40_000_000 + i)}`))));
}
const reports: number[] = [];
let figures = computeFigures(db, ['dp-0'], { from: '2026-10-01', to: '2026-10-31' });
for (let i = 0; i < 5; i++) reports.push(time(() => (figures = computeFigures(db, ['dp-0'], { from: '2026-10-01', to: '2026-10-31' }))));

console.log(
  `database: ${HISTORIC.toLocaleString('en')} historic requests loaded in ${(loadHistory / 1000).toFixed(1)} s, ${(31 * CALLS_PER_DAY).toLocaleString('en')} calls of one directorate's month in ${(loadCalls / 1000).toFixed(1)} s`,
);
console.log(`  pick the next callbacks (dispatcher pass, 20 live among the history): ${fmt(picks)}`);
console.log(`  booking commit with the history:                                     ${fmt(bookings)}`);
console.log(`  month report of the busy directorate (${figures[0]!.callsReceived.toLocaleString('en')} calls):        ${fmt(reports)} (5 runs)`);
figure(`database: next callbacks to dial among ${HISTORIC.toLocaleString('en')} historic requests, p99`, `${percentile(picks, 99).toFixed(3)} ms`, '< 1 ms');
figure('database: booking commit with that history, p99', `${percentile(bookings, 99).toFixed(3)} ms`, '< 2 ms');
figure(`database: a busy directorate's month report (${figures[0]!.callsReceived.toLocaleString('en')} calls), p50`, `${percentile(reports, 50).toFixed(0)} ms`);
checkpointer.stop();
db.close();
rmSync(dir, { recursive: true, force: true });
