// One repository test suite for the callback queue's storage port, run against both engines:
// SQLite (one box) and PostgreSQL (the cluster mode, a real server started by
// docker/postgres.sh). Every exactly-once rule is checked on both, with two "nodes" (two
// stores, each on its own connections) competing: one live request per number, the limits
// of a directorate never passed by bookings at once, each due request claimed by one
// dispatcher only, one live attempt per request, a dead node's attempts recovered and closed
// once. Also: after the migrations, both engines have the same tables, columns and indexes.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, readMigrations, type Db } from '../../controller/storage/database';
import type { CallbackStore, NextRequestStatus } from '../../controller/storage/callback-store';
import { SqliteCallbackStore } from '../../controller/storage/sqlite-callback-store';
import { migratePostgres } from '../../controller/storage/postgres/connection';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { bookingRequest } from '../fixtures/booking-request';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const SQLITE_MIGRATIONS = readMigrations(path.join(ROOT, 'db'));
const PG_MIGRATIONS = readMigrations(path.join(ROOT, 'db', 'postgres'));
const NOW = new Date('2026-11-30T09:30:00.000Z');
const at = (s: number): Date => new Date(NOW.getTime() + s * 1000);
const done: NextRequestStatus = { status: 'done', reason: 'connected' };
const retry: NextRequestStatus = { status: 'pending', dueAt: at(60), reason: 'interrupted' };

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('callback-store');
});
t.teardown(async () => server?.stop());

/** Two nodes on one database of the engine (each with its own connections), fresh for one test. */
interface Engine {
  name: 'sqlite' | 'postgres';
  open(t: Test): Promise<[CallbackStore, CallbackStore]>;
}

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    async open(t) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'callback-store-'));
      const file = path.join(dir, 'ivr.db');
      const dbs: Db[] = [openDatabase(file), openDatabase(file)];
      migrate(dbs[0]!, SQLITE_MIGRATIONS);
      t.teardown(() => {
        for (const db of dbs) db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return [new SqliteCallbackStore(dbs[0]!), new SqliteCallbackStore(dbs[1]!)];
    },
  },
  {
    name: 'postgres',
    async open(t) {
      const { pools } = await freshSchema(t, server, 2);
      await migratePostgres(pools[0]!, PG_MIGRATIONS);
      return [new PostgresCallbackStore(pools[0]!), new PostgresCallbackStore(pools[1]!)];
    },
  },
];

for (const engine of ENGINES) {
  t.test(`${engine.name}: one live request per number; its place in the queue; the number's daily limit`, async (t) => {
    const [a, b] = await engine.open(t);
    const first = await a.book(bookingRequest(NOW, { dp: 't-cb', number: '0612345001' }));
    t.match(first, { ok: true, position: 1 });
    t.match(await b.book(bookingRequest(NOW, { dp: 't-cb', number: '0612345002' })), { ok: true, position: 2 }, 'another number: second in the queue');
    t.same(
      await b.book(bookingRequest(NOW, { dp: 't-cb', number: '0612345001' })),
      { ok: false, reason: 'duplicate', id: (first as { id: number }).id, position: 1 },
      'the same number again, from the other node: its live request',
    );
    t.match(await a.book(bookingRequest(NOW, { number: '0612345001', dp: 'other' })), { ok: true, position: 1 }, 'the same number at another directorate');
    const row = await a.get((first as { id: number }).id);
    t.match(row, { dp: 't-cb', number: '0612345001', status: 'pending', requestedAt: NOW.toISOString(), attempts: 0, group: 'operators' }, 'read back the same on either engine');
  });

  t.test(`${engine.name}: bookings at once never pass a limit: the directorate's capacity, one live request per number`, async (t) => {
    const [a, b] = await engine.open(t);
    // 16 numbers at once from two nodes, a capacity of 10
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).book(bookingRequest(NOW, { dp: 't-cb', number: `06123460${String(i).padStart(2, '0')}`, dailyCapacity: 10 }))),
    );
    t.equal(results.filter((r) => r.ok).length, 10, 'exactly the capacity booked');
    t.equal(results.filter((r) => !r.ok && r.reason === 'dp_capacity').length, 6, 'the rest refused: capacity');
    t.same(
      results
        .filter((r) => r.ok)
        .map((r) => (r as { position: number }).position)
        .sort((x, y) => x - y),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      'each its own place',
    );
    // one number 8 times at once
    const same = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).book(bookingRequest(NOW, { number: '0612347000', dp: 'other' }))));
    t.equal(same.filter((r) => r.ok).length, 1, 'one request for the number');
    t.equal(same.filter((r) => !r.ok && r.reason === 'duplicate').length, 7, 'the others told it is already there');
  });

  t.test(`${engine.name}: two dispatchers competing claim each due request exactly once, oldest first, with one live attempt each`, async (t) => {
    const [a, b] = await engine.open(t);
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await a.book(bookingRequest(at(i), { dp: 't-cb', number: `06123480${String(i).padStart(2, '0')}`, dueAt: at(i) }));
      ids.push((r as { id: number }).id);
    }
    // not yet due: nothing to claim
    t.equal(await a.claimNext('t-cb', 'op', 'ch', 'node-a', at(-1)), undefined, 'nothing due before its time');
    const claimed: Array<{ node: string; callbackId: number; attemptId: number }> = [];
    const dispatcher = async (store: CallbackStore, node: string): Promise<void> => {
      for (;;) {
        const c = await store.claimNext('t-cb', `op-${node}`, `ch-${node}`, node, at(100));
        if (!c) return;
        claimed.push({ node, ...c });
      }
    };
    await Promise.all([dispatcher(a, 'node-a'), dispatcher(b, 'node-b'), dispatcher(a, 'node-a'), dispatcher(b, 'node-b')]);
    t.equal(claimed.length, 24, 'every due request claimed');
    t.same(
      [...new Set(claimed.map((c) => c.callbackId))].sort((x, y) => x - y),
      ids,
      'each exactly once',
    );
    t.ok(
      new Set(claimed.map((c) => c.node)).size === 2,
      `both nodes took some (${claimed.filter((c) => c.node === 'node-a').length} and ${claimed.filter((c) => c.node === 'node-b').length})`,
    );
    for (const c of claimed.slice(0, 3)) {
      const attempts = await b.attemptsOf(c.callbackId);
      t.match(attempts, [{ id: c.attemptId, node: c.node, stage: 'operator', endedAt: null }], `request ${c.callbackId}: one live attempt, by ${c.node}`);
      t.match(await b.get(c.callbackId), { status: 'dialing' });
    }
    t.equal(await b.claimNext('t-cb', 'op', 'ch', 'node-b', at(100)), undefined, 'a request being dialled is not claimed again');
  });

  t.test(`${engine.name}: an attempt's life: the caller dialled, connected, closed once`, async (t) => {
    const [a, b] = await engine.open(t);
    const booked = await a.book(bookingRequest(NOW, { dp: 't-cb', number: '0612349001' }));
    const c = (await a.claimNext('t-cb', 'cb1', 'cbop-1', 'node-a', at(1)))!;
    t.equal(c.callbackId, (booked as { id: number }).id);
    t.equal(await a.callerDialing(c.attemptId, 'cbcl-1', at(2)), 1, 'the first dial of the caller');
    const facts: unknown[] = [];
    const closed = await a.closeAttempt(c.attemptId, 'connected', null, at(3), (f) => (facts.push(f), done));
    t.same(closed, done);
    t.match(
      facts,
      [{ attempt: { id: c.attemptId, stage: 'caller', callerAttempt: 1 }, request: { id: c.callbackId, status: 'dialing', attempts: 1 } }],
      'the rules decided on the state before the close',
    );
    t.equal(await b.closeAttempt(c.attemptId, 'interrupted', null, at(4), () => retry), undefined, 'closed once: the second close changes nothing');
    t.match(await b.attemptsOf(c.callbackId), [{ stage: 'ended', outcome: 'connected', connectedAt: at(3).toISOString(), endedAt: at(3).toISOString(), callerChannel: 'cbcl-1' }]);
    t.match(await b.get(c.callbackId), { status: 'done', lastOutcome: 'connected', attempts: 1 });
  });

  t.test(`${engine.name}: a dead node's live attempts are recovered by another, each closed once; a live node's are left alone`, async (t) => {
    const [a, b] = await engine.open(t);
    for (const n of ['0612349101', '0612349102', '0612349103']) await a.book(bookingRequest(NOW, { dp: 't-cb', number: n }));
    await a.heartbeat('node-a', at(0), 10_000);
    await b.heartbeat('node-b', at(0), 10_000);
    const mine = [(await a.claimNext('t-cb', 'op', 'ch', 'node-a', at(1)))!, (await a.claimNext('t-cb', 'op', 'ch', 'node-a', at(1)))!];
    const theirs = (await b.claimNext('t-cb', 'op', 'ch', 'node-b', at(1)))!;
    t.same(
      (await b.recoverable('node-b', at(5))).map((x) => x.id),
      [theirs.attemptId],
      "while node-a's lease runs: node-b recovers only its own",
    );
    t.same(await b.aliveNodes(at(5)), ['node-a', 'node-b'], 'both alive at 5 s');
    await b.heartbeat('node-b', at(9), 10_000);
    t.same(await a.aliveNodes(at(12)), ['node-b'], 'at 12 s only node-b (renewed at 9 s)');
    const after = (await b.recoverable('node-b', at(12))).map((x) => x.id);
    t.same(after, [...mine.map((m) => m.attemptId), theirs.attemptId], "node-a's lease ran out (no heartbeat for 10 s): its attempts too");
    // node-b recovers node-a's attempts while node-a, back at that instant, closes one of them
    const results = await Promise.all([
      b.closeAttempt(mine[0]!.attemptId, 'interrupted', null, at(12), () => retry),
      a.closeAttempt(mine[0]!.attemptId, 'interrupted', null, at(12), () => retry),
      b.closeAttempt(mine[1]!.attemptId, 'interrupted', null, at(12), () => retry),
    ]);
    t.equal(results.filter((r) => r !== undefined).length, 2, 'each attempt closed once, whoever got there first');
    for (const m of mine) t.match(await a.get(m.callbackId), { status: 'pending', lastOutcome: 'interrupted' }, `request ${m.callbackId} back in the queue`);
    t.same(
      (await a.recoverable('node-a', at(12))).map((x) => x.id),
      [],
      'node-b renewed its lease until 19 s: node-a recovers nothing of it',
    );
  });
}

t.test('after the migrations both engines have the same tables, columns and indexes', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'schema-parity-'));
  const db = openDatabase(path.join(dir, 'ivr.db'));
  migrate(db, SQLITE_MIGRATIONS);
  t.teardown(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const {
    schema,
    pools: [pool],
  } = await freshSchema(t, server, 1);
  t.same(
    await migratePostgres(pool, PG_MIGRATIONS),
    PG_MIGRATIONS.map((m) => m.name),
    'every PostgreSQL migration applied',
  );
  t.same(
    PG_MIGRATIONS.map((m) => m.name),
    SQLITE_MIGRATIONS.map((m) => m.name),
    'the same numbers and names on both engines',
  );
  t.same(await migratePostgres(pool, PG_MIGRATIONS), [], 'applied once: a second start finds nothing to do');
  const sqliteTables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(
    (r) => r.name,
  );
  const pgTables = (await pool.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema])).rows.map(
    (r) => r.name,
  );
  t.same(pgTables, sqliteTables, 'the same tables');
  for (const table of sqliteTables) {
    const sqliteColumns = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
    const pgColumns = (
      await pool.query<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [
        schema,
        table,
      ])
    ).rows.map((c) => c.name);
    t.same(pgColumns, sqliteColumns, `${table}: the same columns, in order`);
  }
  const sqliteIndexes = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name").all() as Array<{ name: string }>
  ).map((r) => r.name);
  const pgIndexes = (
    await pool.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname NOT LIKE '%_pkey' ORDER BY indexname", [schema])
  ).rows.map((r) => r.name);
  t.same(pgIndexes, sqliteIndexes, 'the same indexes (the primary keys aside)');
});
