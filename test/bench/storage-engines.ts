// Benchmark: the callback queue's storage port on its two engines in the same run (the
// cluster mode's question: what does a shared PostgreSQL cost against the box's SQLite?).
// 1. Booking commit: N bookings one after the other over five directorates, each committed
//    durably (SQLite: WAL fsynced; PostgreSQL: synchronous_commit on, over loopback TCP), p50/p99.
// 2. Claims with two nodes competing: M due requests of one directorate, two nodes with two
//    dispatchers each claiming the next until none is left (PostgreSQL: FOR UPDATE SKIP
//    LOCKED); each claim's latency p50/p99, and a check that every request was claimed once.
// The PostgreSQL server is the project's own (docker/postgres.sh), on this machine.
//   node dist/test/bench/storage-engines.js [bookings] [claims]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CallbackStore } from '../../controller/storage/callback-store';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { migratePostgres, openPostgres } from '../../controller/storage/postgres/connection';
import { SqliteCallbackStore } from '../../controller/storage/sqlite-callback-store';
import { bookingRequest } from '../fixtures/booking-request';
import { startPostgres } from '../storage/postgres-server';
import { figure, percentile } from './figure';

const root = path.resolve(__dirname, '..', '..', '..');
const BOOKINGS = Number(process.argv[2] ?? 2000);
const CLAIMS = Number(process.argv[3] ?? 400);
const ms = (s: number[]): string => `p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms`;

async function measure(engine: string, nodes: [CallbackStore, CallbackStore]): Promise<{ booking: number[]; claim: number[] }> {
  const [a, b] = nodes;
  const now = new Date();
  const booking: number[] = [];
  for (let i = 0; i < BOOKINGS; i++) {
    const t0 = performance.now();
    const r = await a.book(bookingRequest(now, { dp: `dp-${i % 5}`, number: `06${String(10_000_000 + i)}`, dailyCapacity: 1_000_000 }));
    booking.push(performance.now() - t0);
    if (!r.ok) throw new Error(`${engine}: booking ${i} refused: ${r.reason}`);
  }
  for (let i = 0; i < CLAIMS; i++) await b.book(bookingRequest(now, { dp: 'race', number: `07${String(10_000_000 + i)}`, dailyCapacity: 1_000_000 }));
  const claim: number[] = [];
  const seen = new Set<number>();
  const dispatcher = async (store: CallbackStore, node: string): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      const c = await store.claimNext('race', `op-${node}`, 'ch', node, new Date(now.getTime() + 1000));
      if (!c) return;
      claim.push(performance.now() - t0);
      if (seen.has(c.callbackId)) throw new Error(`${engine}: request ${c.callbackId} claimed twice`);
      seen.add(c.callbackId);
    }
  };
  await Promise.all([dispatcher(a, 'a'), dispatcher(a, 'a'), dispatcher(b, 'b'), dispatcher(b, 'b')]);
  if (seen.size !== CLAIMS) throw new Error(`${engine}: ${seen.size} of ${CLAIMS} requests claimed`);
  return { booking: booking.sort((x, y) => x - y), claim: claim.sort((x, y) => x - y) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-bench-engines-'));
  const file = path.join(dir, 'bench.db');
  const dbs = [openDatabase(file), openDatabase(file)] as const;
  migrate(dbs[0], readMigrations(path.join(root, 'db')));
  const sqlite = await measure('sqlite', [new SqliteCallbackStore(dbs[0]), new SqliteCallbackStore(dbs[1])]);
  for (const db of dbs) db.close();
  rmSync(dir, { recursive: true, force: true });

  const server = await startPostgres('bench');
  try {
    const pools = [openPostgres(server.url), openPostgres(server.url)] as const;
    await migratePostgres(pools[0], readMigrations(path.join(root, 'db', 'postgres')));
    const pg = await measure('postgres', [new PostgresCallbackStore(pools[0]), new PostgresCallbackStore(pools[1])]);
    await Promise.all(pools.map((p) => p.end()));
    console.log(`booking commit, ${BOOKINGS} one after the other: SQLite ${ms(sqlite.booking)}; PostgreSQL ${ms(pg.booking)}`);
    console.log(`claim with two nodes competing (${CLAIMS} requests, 4 dispatchers, each claimed once): SQLite ${ms(sqlite.claim)}; PostgreSQL ${ms(pg.claim)}`);
    figure(
      'booking commit p50 / p99, SQLite vs PostgreSQL (same run)',
      `${percentile(sqlite.booking, 50).toFixed(2)} / ${percentile(sqlite.booking, 99).toFixed(2)} ms vs ${percentile(pg.booking, 50).toFixed(2)} / ${percentile(pg.booking, 99).toFixed(2)} ms`,
      'p99 < 10 ms on PostgreSQL',
    );
    figure(
      'claim p50 / p99 with two nodes competing, SQLite vs PostgreSQL',
      `${percentile(sqlite.claim, 50).toFixed(2)} / ${percentile(sqlite.claim, 99).toFixed(2)} ms vs ${percentile(pg.claim, 50).toFixed(2)} / ${percentile(pg.claim, 99).toFixed(2)} ms`,
      'each claimed once',
    );
  } finally {
    await server.stop();
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
