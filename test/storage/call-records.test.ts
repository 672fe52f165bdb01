// The call records' storage port (storage/call-records.ts) on both engines: SQLite through the
// write queue (one box) and the shared PostgreSQL (the cluster mode, a real server started by
// docker/postgres.sh). What a call writes lands in order (its row before the events and the
// booking that refer to it), the caller's live request is read and cancelled, a node closes
// only the calls it left open, and the whisper's earlier contacts count alike. On PostgreSQL:
// facts wait while a table is locked and land after; a booking that cannot be written within
// its deadline is refused and never appears later.
import t, { type Test } from 'tap';
import path from 'node:path';
import type { CallRecords } from '../../controller/storage/call-records';
import { readMigrations } from '../../controller/storage/database';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { PostgresCallRecords } from '../../controller/storage/postgres/call-records';
import { migratePostgres, type Pg } from '../../controller/storage/postgres/connection';
import { sqliteRecords } from '../unit/records';
import { bookingRequest } from '../fixtures/booking-request';
import type pg from 'pg';
import { migratedSqlite } from './sqlite-file';
import { freshSchema, questionMarkRows, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NOW = new Date('2026-11-30T09:30:00.000Z');
const at = (s: number): Date => new Date(NOW.getTime() + s * 1000);

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('call-records');
});
t.teardown(async () => server?.stop());

/** Two nodes' records on one database of the engine, and a plain read of it (`?` placeholders). */
interface Opened {
  a: CallRecords;
  b: CallRecords;
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}
interface Engine {
  name: 'sqlite' | 'postgres';
  open(t: Test): Promise<Opened>;
}

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    async open(t) {
      const db = migratedSqlite(t, 'call-records');
      const records = sqliteRecords(db);
      return { a: records, b: records, rows: async <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[] };
    },
  },
  {
    name: 'postgres',
    async open(t) {
      const { pools } = await freshSchema(t, server, 2);
      await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
      const records = (pool: Pg, node: string): PostgresCallRecords => new PostgresCallRecords(pool, new PostgresCallbackStore(pool), node);
      return {
        a: records(pools[0]!, 'a'),
        b: records(pools[1]!, 'b'),
        rows: questionMarkRows(pools[0]!),
      };
    },
  },
];

const started = (records: CallRecords, id: string, caller: string, s = 0): void => records.callStarted({ id, dp: 'c-one', caller, dialed: '0611000001', at: at(s) });

for (const engine of ENGINES) {
  t.test(`${engine.name}: a call's records land in order; its booking refers to it; the live request is read and cancelled`, async (t) => {
    const { a, rows } = await engine.open(t);
    started(a, 'ch-1', '0612000001');
    a.callAnswered('ch-1', at(1));
    a.event('ch-1', at(2), 'menu', { key: '1' });
    a.event('ch-1', at(3), 'offer');
    a.callUpdated('ch-1', { language: 'en', menuPath: '1' });
    // at once after the facts: the booking's row refers to the call's, written before it
    const booked = await a.book(bookingRequest(at(4), { dp: 'c-one', number: '0612000001', callId: 'ch-1' }), { deadlineMs: 2000 });
    t.match(booked, { ok: true, position: 1 }, 'booked, first in the queue');
    if (!booked.ok) return;
    a.callUpdated('ch-1', { callbackId: booked.id });
    a.event('ch-1', at(5), 'ended', { reason: 'caller_hangup' });
    t.equal(await a.closeCall('ch-1', at(5), 'caller_hangup', 16), 'c-one', 'closed once, after everything before it: its directorate');
    t.equal(await a.closeCall('ch-1', at(6), 'completed', null), undefined, 'a second close changes nothing');
    t.same(
      (await rows<{ type: string }>('SELECT type FROM call_events WHERE call_id = ? ORDER BY id', 'ch-1')).map((r) => r.type),
      ['menu', 'offer', 'ended'],
      'the events, in order',
    );
    t.match(await rows('SELECT language, menu_path, callback_id, end_reason, hangup_cause, answered_at FROM calls WHERE id = ?', 'ch-1'), [
      { language: 'en', menu_path: '1', callback_id: booked.id, end_reason: 'caller_hangup', hangup_cause: 16, answered_at: /T09:30:01/ },
    ]);
    t.same(await a.pendingBooking('c-one', '0612000001'), { id: booked.id, position: 1 }, 'the live request, as the next call reads it');
    t.match(
      await a.book(bookingRequest(at(7), { dp: 'c-one', number: '0612000001' }), { deadlineMs: 2000 }),
      { ok: false, reason: 'duplicate', id: booked.id },
      'a second booking: duplicate',
    );
    t.equal(await a.cancelBooking(booked.id, 'cancelled by the caller', at(8), { deadlineMs: 2000 }), true, 'cancelled by the caller');
    t.equal(await a.pendingBooking('c-one', '0612000001'), undefined, 'no live request any more');
    t.equal(await a.cancelBooking(booked.id, 'again', at(9), {}), false, 'a second cancel: false');
  });

  t.test(`${engine.name}: outcomes, follow-ups and notes land with their call; the whisper's earlier contacts`, async (t) => {
    const { a, rows } = await engine.open(t);
    started(a, 'first', '3330000001', -86_400 * 3);
    a.callEnded('first', at(-86_400 * 3 + 60), 'completed', 16);
    started(a, 'books', '3330000001');
    const r = await a.book(bookingRequest(at(1), { dp: 'c-one', number: '0612000002', callId: 'books' }), { deadlineMs: 2000 });
    if (!r.ok) throw new Error('not booked');
    const record = { dp: 'c-one', number: '0612000002', callId: 'books', callbackId: r.id };
    a.outcome({ ...record, kind: 'operator', official: 'op1', code: '4', label: 'needs_follow_up', byDefault: false, at: at(2) });
    a.followup({ ...record, unit: null, openedBy: 'op1', at: at(2) });
    a.note({ ...record, author: 'op1', operator: 'op1', info: 'Rimborsi', text: '', at: at(2) });
    await a.closeCall('books', at(3), 'completed', 16);
    t.match(await rows('SELECT code, by_default FROM outcomes WHERE callback_id = ?', r.id), [{ code: '4', by_default: 0 }], 'the outcome');
    t.match(await rows('SELECT status, opened_by FROM followups WHERE callback_id = ?', r.id), [{ status: 'open', opened_by: 'op1' }], 'the follow-up');
    t.match(await rows('SELECT info FROM notes WHERE callback_id = ?', r.id), [{ info: 'Rimborsi' }], 'the topic noted');
    const [cb] = await rows<{ id: number; number: string; requestedAt: string; callId: string }>(
      'SELECT id, number, requested_at AS "requestedAt", call_id AS "callId" FROM callbacks WHERE id = ?',
      r.id,
    );
    t.equal(await a.earlierContacts(cb!), 1, "the mobile's call three days before (not the call that booked it)");
  });

  t.test(`${engine.name}: a controller starting again closes the calls it left open${engine.name === 'postgres' ? ", never another node's" : ''}`, async (t) => {
    const { a, b } = await engine.open(t);
    started(a, 'a-call', '0612000003');
    started(b, 'b-call', '0612000004');
    await a.flushed();
    await b.flushed();
    const open = (await a.openCalls()).map((c) => c.id).sort();
    t.same(
      open,
      engine.name === 'postgres' ? ['a-call'] : ['a-call', 'b-call'],
      engine.name === 'postgres' ? "node a's own open call only" : 'one box: every open call is its own',
    );
  });
}

async function lockedRecords(t: Test): Promise<{ records: PostgresCallRecords; states: string[]; pools: Pg[]; other: pg.PoolClient }> {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  const states: string[] = [];
  const records = new PostgresCallRecords(pools[0]!, new PostgresCallbackStore(pools[0]!), 'a', { onState: (s) => states.push(s) });
  const other = await pools[1]!.connect();
  t.teardown(() => other.release());
  await other.query('BEGIN');
  return { records, states, pools, other };
}

const bookingsOf = async (pool: Pg, number: string): Promise<number> =>
  (await pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM callbacks WHERE number = $1', [number])).rows[0]!.n;

t.test('postgres: a booking begun but not committed within its deadline (another node books the directorate) is rolled back by the server', async (t) => {
  const { records, states, pools, other } = await lockedRecords(t);
  // another node in the middle of a booking of the same directorate: it holds its booking lock
  await other.query("SELECT pg_advisory_xact_lock(hashtextextended('booking:' || 'c-one', 0))");
  started(records, 'ch-8', '0612000008');
  const t0 = Date.now();
  await t.rejects(
    records.book(bookingRequest(at(1), { dp: 'c-one', number: '0612000008', callId: 'ch-8' }), { deadlineMs: 400, failFast: true }),
    { name: 'StorageUnavailable', state: 'busy' },
    'the booking is refused at its deadline',
  );
  const waited = Date.now() - t0;
  t.ok(waited >= 350 && waited < 3000, `after about its deadline (${waited} ms)`);
  await other.query('COMMIT');
  t.equal(await records.closeCall('ch-8', at(3), 'caller_hangup', 16), 'c-one', 'the call is closed');
  t.equal(await bookingsOf(pools[0]!, '0612000008'), 0, 'the refused booking never appeared');
  t.ok(states.includes('busy') && states.at(-1) === 'ok', `the state went busy and back to ok (${states.join(' -> ')})`);
});

t.test("postgres: a call's facts wait for a locked table and land after; its booking queued behind them is withdrawn at its deadline and never appears", async (t) => {
  const { records, pools, other } = await lockedRecords(t);
  started(records, 'ch-9', '0612000009');
  await records.flushed();
  await other.query('LOCK TABLE call_events IN ACCESS EXCLUSIVE MODE');
  records.event('ch-9', at(1), 'offer');
  await t.rejects(
    records.book(bookingRequest(at(2), { dp: 'c-one', number: '0612000009', callId: 'ch-9' }), { deadlineMs: 300 }),
    { name: 'StorageUnavailable' },
    "the booking, behind the waiting event in its call's lane, is refused at its deadline",
  );
  records.event('ch-9', at(3), 'ended', { reason: 'caller_hangup' });
  await other.query('COMMIT');
  t.equal(await records.closeCall('ch-9', at(4), 'caller_hangup', 16), 'c-one', 'the lock gone, the call is closed after its other records');
  t.same(
    (await pools[0]!.query<{ type: string }>("SELECT type FROM call_events WHERE call_id = 'ch-9' ORDER BY id")).rows,
    [{ type: 'offer' }, { type: 'ended' }],
    'the facts landed, in order',
  );
  t.equal(await bookingsOf(pools[0]!, '0612000009'), 0, 'the withdrawn booking never appeared');
});
