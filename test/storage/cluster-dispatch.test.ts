// The cluster mode's dispatch (callbacks/dispatcher.ts with policy.ts directoratesServedBy),
// on both engines of the callback queue: one SQLite file shared by two controllers
// (callbacks/ledger.ts) and a real PostgreSQL (callbacks/shared-ledger.ts), as in production.
// Two controllers, nodes a and b, each over its own Asterisk (FakePbx), one clock. Each
// dispatches its own directorate while both renew their leases; node a dies mid-attempt (no
// more heartbeats): once its lease has run out node b recovers a's live attempt (closed once,
// as interrupted: its channels were in a's Asterisk) and dispatches a's directorate, each
// request exactly once; a back, b leaves a's directorate to it again. And on PostgreSQL: a
// bounded write the server could not make in time is rolled back, never made later.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dispatcher } from '../../controller/callbacks/dispatcher';
import { CallbackLedger } from '../../controller/callbacks/ledger';
import type { CallbackQueue } from '../../controller/callbacks/queue';
import { SharedLedger } from '../../controller/callbacks/shared-ledger';
import { configSchema } from '../../controller/config/schema';
import type { CallbackStore } from '../../controller/storage/callback-store';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations, type Db } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { migratePostgres, openPostgres } from '../../controller/storage/postgres/connection';
import { SqliteCallbackStore } from '../../controller/storage/sqlite-callback-store';
import { WriteQueue } from '../../controller/storage/write-queue';
import { bookingRequest } from '../fixtures/booking-request';
import { fakeDispatcher } from '../unit/fake-dispatcher';
import { FakePbx, settle } from '../unit/fake-pbx';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const allDay = '00:00-24:00';
const hours = { weekly: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay }, nationalHolidays: false };
const config = configSchema.parse({
  timing: { dispatcherPollSeconds: 1 },
  cluster: {
    edge: { address: '10.77.0.1', carriers: ['10.77.0.2'] },
    nodes: [
      { id: 'a', address: '10.77.1.2' },
      { id: 'b', address: '10.77.2.2' },
    ],
    leaseSeconds: 15,
  },
  directorates: [
    { id: 'c-one', name: 'Uno', numbers: ['0611000101'], case: 'staff', ringsBeforeCallback: 2, primary: 'a', hours },
    { id: 'c-two', name: 'Due', numbers: ['0611000102'], case: 'staff', ringsBeforeCallback: 2, primary: 'b', hours },
  ],
});

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('cluster-dispatch');
});
t.teardown(async () => server?.stop());

/** One controller's view of the callback queue: what the dispatcher uses, and the port for the test's bookings and checks. */
interface NodeQueue {
  queue: CallbackQueue;
  store: CallbackStore;
}
interface Engine {
  name: 'sqlite' | 'postgres';
  /** the queue of nodes a and b on one fresh database */
  open(t: Test): Promise<{ a: NodeQueue; b: NodeQueue }>;
}
const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    async open(t) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-dispatch-'));
      const file = path.join(dir, 'shared.db');
      const dbs: Db[] = [openDatabase(file), openDatabase(file)];
      migrate(dbs[0]!, readMigrations(path.join(ROOT, 'db')));
      t.teardown(() => {
        for (const db of dbs) db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const node = (db: Db, id: string): NodeQueue => ({
        queue: new CallbackLedger(db, new CallbacksRepo(db), new CallbackAttemptsRepo(db), new WriteQueue(), id),
        store: new SqliteCallbackStore(db),
      });
      return { a: node(dbs[0]!, 'a'), b: node(dbs[1]!, 'b') };
    },
  },
  {
    name: 'postgres',
    async open(t) {
      const { pools } = await freshSchema(t, server, 2);
      await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
      const node = (i: number, id: string): NodeQueue => {
        const store = new PostgresCallbackStore(pools[i]!);
        return { queue: new SharedLedger(store, id), store };
      };
      return { a: node(0, 'a'), b: node(1, 'b') };
    },
  },
];

const originates = (pbx: FakePbx): string[] => pbx.ops.filter((o) => o.startsWith('originate'));

/** the operator's leg of each attempt ends (rang out), so that nothing is left running */
const ringOut = async (pbx: FakePbx): Promise<void> => {
  for (let i = originates(pbx).length; i > 0; i--) pbx.gone('cbop', 19);
  await settle();
};

/** when the queue's last write has landed (an attempt's close runs after its leg ends) */
const closed = async (store: CallbackStore, callbackId: number): Promise<void> => {
  for (let i = 0; i < 100 && (await store.attemptsOf(callbackId)).some((a) => !a.endedAt); i++) await new Promise((r) => setTimeout(r, 20));
};

async function setup(t: Test, engine: Engine) {
  const { a, b } = await engine.open(t);
  // the dispatchers' other tables (the operators they ring, the outcomes) on a side file
  const side = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'cluster-side-')), 'side.db'));
  migrate(side, readMigrations(path.join(ROOT, 'db')));
  t.teardown(() => side.close());
  const ops = new OperatorsRepo(side);
  ops.insert({ id: 'op-one', dp: 'c-one', role: 'staff', unit: null, ha1: 'x' });
  ops.insert({ id: 'op-two', dp: 'c-two', role: 'staff', unit: null, ha1: 'x' });
  let clock = Date.now();
  const now = (): Date => new Date(clock);
  const node = (q: NodeQueue, id: string) => {
    const pbx = new FakePbx();
    // every attempt close this controller makes, kept so that the test can wait for one it
    // cannot see in the rows (a late close that finds its attempt closed already)
    const closes: Array<Promise<unknown>> = [];
    const queue = new Proxy(q.queue, {
      get: (target, key) =>
        key === 'close'
          ? (...args: Parameters<CallbackQueue['close']>) => {
              const closing = target.close(...args);
              closes.push(closing);
              return closing;
            }
          : (Reflect.get(target, key) as unknown),
    });
    return {
      ...q,
      queue,
      pbx,
      closes,
      dispatcher: fakeDispatcher(config, side, queue, pbx, { node: id, now }),
      restart: (): Dispatcher => fakeDispatcher(config, side, queue, new FakePbx(), { node: id, now }),
    };
  };
  const book = async (dp: string, number: string): Promise<number> => {
    const r = await a.store.book(bookingRequest(now(), { dp, number }));
    if (!r.ok) throw new Error('not booked');
    return r.id;
  };
  const na = node(a, 'a');
  const nb = node(b, 'b');
  // each node's first pass, with nothing due: both leases taken, as when a cluster starts
  await na.dispatcher.passed();
  await nb.dispatcher.passed();
  return { a: na, b: nb, book, advance: (ms: number) => (clock += ms) };
}

for (const engine of ENGINES) {
  t.test(`${engine.name}: both alive, each node dispatches its own directorate's callbacks, never the other's`, async (t) => {
    const { a, b, book } = await setup(t, engine);
    const one = await book('c-one', '0612000001');
    const two = await book('c-two', '0612000002');
    await b.dispatcher.passed();
    await a.dispatcher.passed();
    t.same(a.dispatcher.lastPass?.served, ['c-one'], 'a serves c-one');
    t.same(b.dispatcher.lastPass?.served, ['c-two'], 'b serves c-two');
    t.match(originates(a.pbx), [/^originate PJSIP\/op-one /], "a rang c-one's operator");
    t.match(originates(b.pbx), [/^originate PJSIP\/op-two /], "b rang c-two's operator, and only that");
    t.equal(originates(b.pbx).length, 1);
    t.match(await a.store.attemptsOf(one), [{ operator: 'op-one', node: 'a' }], "c-one's attempt carries node a");
    t.match(await b.store.attemptsOf(two), [{ operator: 'op-two', node: 'b' }], "c-two's attempt carries node b");
    a.dispatcher.stop();
    b.dispatcher.stop();
    await ringOut(a.pbx);
    await ringOut(b.pbx);
    await closed(a.store, one);
    await closed(b.store, two);
  });

  t.test(`${engine.name}: node a dies mid-attempt; after its lease b recovers a's attempt once and places a's callbacks, each once; a back, c-one is a's again`, async (t) => {
    const { a, b, book, advance } = await setup(t, engine);
    const ringing = await book('c-one', '0612000011');
    await a.dispatcher.passed();
    t.match(originates(a.pbx), [/^originate PJSIP\/op-one /], "a rings c-one's operator for the first request");
    const [dead] = await a.queue.liveAttempts();
    t.match(dead, { callbackId: ringing, node: 'a' });
    a.dispatcher.stop(); // node a killed: no more passes, no more heartbeats; its attempt stays live
    const waiting = await book('c-one', '0612000012');

    advance(10_000); // a's lease (15 s) still runs
    await b.dispatcher.passed();
    t.same(b.dispatcher.lastPass?.served, ['c-two'], "within a's lease b leaves c-one alone");
    t.same(originates(b.pbx), []);
    t.match(await b.queue.attempt(dead!.id), { endedAt: null }, "and a's attempt too");

    advance(6_000); // a's lease ran out
    await b.dispatcher.passed();
    t.same(b.dispatcher.lastPass?.served, ['c-one', 'c-two'], 'b now serves c-one too');
    t.match(await b.queue.attempt(dead!.id), { outcome: 'interrupted' }, "a's live attempt recovered by b: closed as interrupted");
    t.match(await b.queue.get(ringing), { status: 'pending', attempts: 0 }, 'its request back in the queue, no try of the caller used');
    t.match(originates(b.pbx), [/^originate PJSIP\/op-one /], "b rings c-one's operator (through its own Asterisk) for the waiting request");
    t.match(await b.store.attemptsOf(waiting), [{ node: 'b', endedAt: null }], 'the waiting request: one live attempt, placed by b');

    await b.dispatcher.passed();
    t.equal((await b.store.attemptsOf(ringing)).length, 1, 'a second pass: the recovered attempt is not closed again');
    t.equal((await b.store.attemptsOf(waiting)).length, 1, 'nor the waiting request dialled again');
    t.equal(originates(b.pbx).length, 1);

    // a restarts (its service manager): its first pass renews its lease
    const again = a.restart();
    await again.passed();
    await b.dispatcher.passed();
    t.same(b.dispatcher.lastPass?.served, ['c-two'], 'a back: b leaves c-one to it again');
    t.same(again.lastPass?.served, ['c-one'], 'and a serves c-one');
    t.equal((await b.store.attemptsOf(waiting)).length, 1, "the attempt b placed is b's to finish: a does not recover a live node's attempt");
    again.stop();
    b.dispatcher.stop();
    await ringOut(b.pbx);
    await closed(b.store, waiting);
    // the attempt object of the 'dead' a (a real kill takes it along) ends late: its close finds the row closed
    await ringOut(a.pbx);
    for (let i = 0; i < 50 && a.closes.length === 0; i++) await settle();
    t.equal(a.closes.length, 1, "a's attempt, its leg gone, was closed by a");
    t.equal(await a.closes[0], undefined, 'and that close found the attempt closed already');
    t.match(await b.queue.attempt(dead!.id), { outcome: 'interrupted' }, "a late close of a's attempt changes nothing: closed once");
    t.match(await b.queue.get(ringing), { status: 'pending', attempts: 0 });
  });
}

t.test('postgres: a bounded write that cannot be made in time is given up for good; the database unreachable is StorageUnavailable', async (t) => {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  const store = new PostgresCallbackStore(pools[0]!);
  const ledger = new SharedLedger(store, 'a');
  const now = new Date();
  const r = await store.book(bookingRequest(now, { dp: 'c-one', number: '0612000021' }));
  if (!r.ok) throw new Error('not booked');
  // another node in the middle of a transaction on this very request (its row locked)
  const other = await pools[1]!.connect();
  await other.query('BEGIN');
  await other.query('SELECT id FROM callbacks WHERE id = $1 FOR UPDATE', [r.id]);
  const started = Date.now();
  await t.rejects(ledger.claim(r.id, 'op-one', 'cbop-x', now, { deadlineMs: 300 }), { name: 'StorageUnavailable', state: 'busy' }, 'the claim gives up at its bound');
  const waited = Date.now() - started;
  t.ok(waited >= 250 && waited < 3000, `after about its bound (${waited} ms)`);
  await other.query('ROLLBACK');
  other.release();
  t.match(await store.get(r.id), { status: 'pending' }, 'and it was never made: the server rolled it back');
  t.same(await store.attemptsOf(r.id), []);
  t.type(await ledger.claim(r.id, 'op-one', 'cbop-y', now, { deadlineMs: 300 }), 'number', 'the lock gone, the next claim is made');

  const gone = openPostgres('postgres://ivr:x@127.0.0.1:9/ivr', { max: 1 }); // nothing listens on port 9
  t.teardown(() => gone.end());
  await t.rejects(
    new SharedLedger(new PostgresCallbackStore(gone), 'a').due('c-one', now, 5),
    { name: 'StorageUnavailable', state: 'failing' },
    'a server that cannot be reached: failing',
  );
});

for (const engine of ENGINES) {
  t.test(`${engine.name}: the queue's other writes behave alike: expiry, a sysadmin's cancel and reschedule, the next due time`, async (t) => {
    const { a } = await engine.open(t);
    const q = a.queue;
    const now = new Date('2026-11-30T10:00:00.000Z');
    const later = (s: number): Date => new Date(now.getTime() + s * 1000);
    const booked = async (number: string, o: { dueAt?: Date; expiresAt?: Date } = {}): Promise<number> => {
      const r = await a.store.book(bookingRequest(now, { dp: 'c-one', number, ...o }));
      if (!r.ok) throw new Error('not booked');
      return r.id;
    };
    const soon = await booked('0612000031', { dueAt: later(60) });
    const old = await booked('0612000032', { expiresAt: later(30) });
    t.equal(await q.nextDueAt(), now.toISOString(), 'the next due time: the earliest pending request');
    t.same(await q.expireOverdue(later(31)), [old], 'past its validity: expired, once');
    t.same(await q.expireOverdue(later(32)), []);
    t.match(await q.get(old), { status: 'expired', closedReason: 'validity ended' });
    t.same(
      (await q.due('c-one', later(61), 10)).map((r) => r.id),
      [soon],
      'due: only the pending request whose time came',
    );
    t.ok(await q.cancel(soon, 'cancelled by the sysadmin', later(62)), 'a pending request is cancelled');
    t.notOk(await q.cancel(soon, 'again', later(63)), 'once');
    t.equal(await q.nextDueAt(), undefined, 'nothing pending any more');
    t.ok(await q.reschedule(old, later(120), later(86_400), later(64)), 'an expired request reopened by the sysadmin');
    t.match(await q.get(old), { status: 'pending', closedReason: null, dueAt: later(120).toISOString() });
    await booked('0612000031', { dueAt: later(70) }); // the cancelled one's number books again
    t.notOk(await q.reschedule(soon, later(130), later(86_400), later(65)), 'the cancelled one cannot come back: its number has a live request again');
    t.match(await q.get(soon), { status: 'cancelled' });
  });
}
