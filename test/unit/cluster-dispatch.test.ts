// The cluster mode's dispatch (callbacks/dispatcher.ts with policy.ts directoratesServedBy):
// two controllers, nodes a and b, on one database (here one SQLite file, as the shared
// PostgreSQL is in production), each over its own Asterisk (FakePbx). Each dispatches its own
// directorate while both renew their leases; node a dies mid-attempt (no more heartbeats):
// once its lease has run out node b recovers a's live attempt (closed once, as interrupted,
// its channels being in a's Asterisk) and dispatches a's directorate, each request exactly
// once; a back, b leaves a's directorate to it again. Nodes' clocks are one fake clock.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallbackLedger } from '../../controller/callbacks/ledger';
import { configSchema } from '../../controller/config/schema';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { WriteQueue } from '../../controller/storage/write-queue';
import { bookingRequest } from '../fixtures/booking-request';
import { fakeDispatcher } from './fake-dispatcher';
import { FakePbx, settle } from './fake-pbx';

const root = path.resolve(__dirname, '..', '..', '..');
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

function setup() {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-cluster-disp-')), 'shared.db');
  const first = openDatabase(file);
  migrate(first, readMigrations(path.join(root, 'db')));
  const ops = new OperatorsRepo(first);
  ops.insert({ id: 'op-one', dp: 'c-one', role: 'staff', unit: null, ha1: 'x' });
  ops.insert({ id: 'op-two', dp: 'c-two', role: 'staff', unit: null, ha1: 'x' });
  let clock = Date.now();
  const now = (): Date => new Date(clock);
  const node = (id: string) => {
    const db = openDatabase(file); // each controller its own connection to the one database
    const callbacks = new CallbacksRepo(db);
    const attempts = new CallbackAttemptsRepo(db);
    const ledger = new CallbackLedger(db, callbacks, attempts, new WriteQueue(), id);
    const pbx = new FakePbx();
    return {
      db,
      ledger,
      callbacks,
      attempts,
      pbx,
      dispatcher: fakeDispatcher(config, db, ledger, pbx, { node: id, now }),
      restart: () => fakeDispatcher(config, db, ledger, new FakePbx(), { node: id, now }),
    };
  };
  const book = (dp: string, number: string): number => {
    const r = new CallbacksRepo(first).book(bookingRequest(now(), { dp, number }));
    if (!r.ok) throw new Error('not booked');
    return r.id;
  };
  return { a: node('a'), b: node('b'), book, advance: (ms: number) => (clock += ms), now };
}

const originates = (pbx: FakePbx): string[] => pbx.ops.filter((o) => o.startsWith('originate'));

/** each node's first pass, with nothing due: both leases taken, as when a cluster starts */
async function bothUp(a: { dispatcher: { passed(): Promise<void> } }, b: { dispatcher: { passed(): Promise<void> } }): Promise<void> {
  await a.dispatcher.passed();
  await b.dispatcher.passed();
}

/** the operator's leg of each attempt ends (rang out), so that nothing is left running */
const ringOut = async (pbx: FakePbx): Promise<void> => {
  for (let i = originates(pbx).length; i > 0; i--) pbx.gone('cbop', 19);
  await settle();
};

t.test("both alive: each node dispatches its own directorate's callbacks, never the other's", async (t) => {
  const { a, b, book } = setup();
  await bothUp(a, b);
  const one = book('c-one', '0612000001');
  const two = book('c-two', '0612000002');
  await b.dispatcher.passed();
  await a.dispatcher.passed();
  t.same(a.dispatcher.lastPass?.served, ['c-one'], 'a serves c-one');
  t.same(b.dispatcher.lastPass?.served, ['c-two'], 'b serves c-two');
  t.match(originates(a.pbx), [/^originate PJSIP\/op-one /], "a rang c-one's operator");
  t.match(originates(b.pbx), [/^originate PJSIP\/op-two /], "b rang c-two's operator, and only that");
  t.equal(originates(b.pbx).length, 1);
  t.match(a.attempts.ofCallback(one), [{ operator: 'op-one', node: 'a' }], "c-one's attempt carries node a");
  t.match(b.attempts.ofCallback(two), [{ operator: 'op-two', node: 'b' }], "c-two's attempt carries node b");
  a.dispatcher.stop();
  b.dispatcher.stop();
  await ringOut(a.pbx);
  await ringOut(b.pbx);
});

t.test("node a dies mid-attempt: after its lease b recovers a's attempt once and places a's callbacks, each once; a back, c-one is a's again", async (t) => {
  const { a, b, book, advance } = setup();
  await bothUp(a, b);
  const ringing = book('c-one', '0612000011');
  await a.dispatcher.passed();
  t.match(originates(a.pbx), [/^originate PJSIP\/op-one /], "a rings c-one's operator for the first request");
  const dead = a.attempts.live()[0]!;
  t.match(dead, { callbackId: ringing, node: 'a' });
  a.dispatcher.stop(); // node a killed: no more passes, no more heartbeats; its attempt stays live
  const waiting = book('c-one', '0612000012');

  advance(10_000); // a's lease (15 s) still runs
  await b.dispatcher.passed();
  t.same(b.dispatcher.lastPass?.served, ['c-two'], "within a's lease b leaves c-one alone");
  t.same(originates(b.pbx), []);
  t.match(b.attempts.get(dead.id), { endedAt: null }, "and a's attempt too");

  advance(6_000); // a's lease ran out
  await b.dispatcher.passed();
  t.same(b.dispatcher.lastPass?.served, ['c-one', 'c-two'], 'b now serves c-one too');
  t.match(b.attempts.get(dead.id), { outcome: 'interrupted' }, "a's live attempt recovered by b: closed as interrupted");
  t.match(b.callbacks.get(ringing), { status: 'pending', attempts: 0 }, 'its request back in the queue, no try of the caller used');
  t.match(originates(b.pbx), [/^originate PJSIP\/op-one /], "b rings c-one's operator (through its own Asterisk) for the waiting request");
  t.match(b.attempts.ofCallback(waiting), [{ node: 'b', endedAt: null }], 'the waiting request: one live attempt, placed by b');

  await b.dispatcher.passed();
  t.equal(b.attempts.ofCallback(ringing).length, 1, 'a second pass: the recovered attempt is not closed again');
  t.equal(b.attempts.ofCallback(waiting).length, 1, 'nor the waiting request dialled again');
  t.equal(originates(b.pbx).length, 1);

  // a restarts (its service manager): its first pass renews its lease
  const again = a.restart();
  await again.passed();
  await b.dispatcher.passed();
  t.same(b.dispatcher.lastPass?.served, ['c-two'], 'a back: b leaves c-one to it again');
  t.same(again.lastPass?.served, ['c-one'], 'and a serves c-one');
  t.equal(b.attempts.ofCallback(waiting).length, 1, "the attempt b placed is b's to finish: a does not recover a live node's attempt");
  again.stop();
  b.dispatcher.stop();
  await ringOut(b.pbx);
  // the attempt object of the 'dead' a (a real kill takes it along) ends late: its close finds the row closed
  await ringOut(a.pbx);
  t.match(b.attempts.get(dead.id), { outcome: 'interrupted' }, "a late close of a's attempt changes nothing: closed once");
  t.match(b.callbacks.get(ringing), { status: 'pending', attempts: 0 });
});
