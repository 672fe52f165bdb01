// Benchmark: the callback booking transaction (policy checks + insert + commit) on a real
// SQLite file in WAL mode, as the controller runs it. Prints p50/p99 in milliseconds.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { figure } from './figure';

const root = path.resolve(__dirname, '..', '..', '..');
const N = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-bench-'));
const db = openDatabase(path.join(dir, 'bench.db'));
migrate(db, readMigrations(path.join(root, 'db')));
const repo = new CallbacksRepo(db);
const samples: number[] = [];
const now = new Date();
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  const r = repo.book({
    dp: `dp-${i % 5}`, number: `06${String(10_000_000 + i)}`, language: 'it', callId: null, menuPath: '1,offer:1', ringCount: 4,
    at: now, dueAt: now, expiresAt: new Date(now.getTime() + 86_400_000), dayStart: new Date(now.getTime() - 3_600_000),
    maxPerNumberPerDay: 3, dailyCapacity: 1_000_000,
  });
  samples.push(performance.now() - t0);
  if (!r.ok) throw new Error(`booking ${i} refused: ${r.reason}`);
}
samples.sort((a, b) => a - b);
const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!;
console.log(`booking commit (WAL, synchronous=NORMAL, ${N} bookings): p50 ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms, max ${samples.at(-1)!.toFixed(3)} ms`);
figure('booking commit (empty database), p50 / p99', `${pct(50).toFixed(3)} / ${pct(99).toFixed(3)} ms`, 'p99 < 2 ms');
db.close();
rmSync(dir, { recursive: true, force: true });
