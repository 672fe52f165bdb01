// The dispatcher's recovery after a controller died mid-attempt, against the fake port.
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
import { fakeDispatcher } from './fake-dispatcher';
import { FakePbx, settle } from './fake-pbx';
import { bookingRequest } from '../fixtures/booking-request';

const root = path.resolve(__dirname, '..', '..', '..');
const allDay = '00:00-24:00';
const weekly = { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay };
const config = configSchema.parse({
  directorates: [{ id: 'x', name: 'Prova', numbers: ['0611000009'], case: 'staff', ringsBeforeCallback: 2, hours: { weekly, nationalHolidays: false } }],
});

function setup() {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-disp-')), 'd.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const callbacks = new CallbacksRepo(db);
  const attempts = new CallbackAttemptsRepo(db);
  const ledger = new CallbackLedger(db, callbacks, attempts);
  const pbx = new FakePbx();
  const now = new Date();
  const r = callbacks.book(bookingRequest(now, { ringCount: 2 }));
  if (!r.ok) throw new Error('not booked');
  new OperatorsRepo(db).insert({ id: 'op1', dp: 'x', role: 'staff', unit: null, ha1: 'x' });
  const dispatcher = fakeDispatcher(config, db, ledger, pbx);
  return { pbx, ledger, callbacks, attempts, dispatcher, id: r.id };
}

t.test('an attempt left live by a dead controller: its channels are hung up first, then it is closed as interrupted and rescheduled', async (t) => {
  const { pbx, ledger, callbacks, attempts, dispatcher, id } = setup();
  const a = (await ledger.claim(id, 'op1', 'cbop-1-dead', new Date()))!;
  await ledger.callerDialing(a, 'cbcl-1-dead', new Date());
  pbx.channels = ['cbop-1-dead', 'cbcl-1-dead', 'someone-else'];
  await dispatcher.reconcile();
  dispatcher.stop();
  t.same(pbx.ops, ['hangup cbop', 'hangup cbcl'], 'both legs hung up, nothing else touched');
  t.match(attempts.get(a), { outcome: 'interrupted', callerAttempt: 1 });
  const row = callbacks.get(id)!;
  t.match(row, { status: 'pending', attempts: 1, lastOutcome: 'interrupted' });
  const wait = new Date(row.dueAt).getTime() - Date.now();
  t.ok(wait > 110_000 && wait <= 120_000, `retried after the interrupted delay (${wait} ms)`);
  t.same(attempts.live(), []);
});

t.test('an interrupted attempt whose channels are already gone is closed at once; a second reconcile changes nothing', async (t) => {
  const { ledger, callbacks, attempts, dispatcher, id, pbx } = setup();
  const a = (await ledger.claim(id, 'op1', 'cbop-1-x', new Date()))!;
  await dispatcher.reconcile();
  await dispatcher.reconcile();
  dispatcher.stop();
  t.same(pbx.ops, []);
  t.match(attempts.get(a), { outcome: 'interrupted', callerAttempt: null });
  t.match(callbacks.get(id), { status: 'pending', attempts: 0 }, 'the caller had not been dialled: no attempt used up');
  t.equal(attempts.ofCallback(id).length, 1);
});

t.test('a free operator gets the due request; one who lets it ring out is not rung again in a loop', async (t) => {
  const { pbx, callbacks, attempts, dispatcher, id } = setup();
  await dispatcher.passed();
  t.match(dispatcher.lastPass?.directorates.x, { dispatched: [id] }, 'dispatched to the only free operator');
  t.match(pbx.ops, [/^originate PJSIP\/op1 /]);
  pbx.gone('cbop', 19); // rang out
  await settle();
  t.match(attempts.ofCallback(id), [{ outcome: 'operator_no_answer' }]);
  t.match(callbacks.get(id), { status: 'pending', attempts: 0 }, 'back in the queue, no attempt of the caller used');
  await dispatcher.passed();
  dispatcher.stop();
  t.match(dispatcher.lastPass?.directorates.x, { blocked: 'no_free_operator', dispatched: [] }, 'not offered to the same operator at once');
  t.equal(pbx.ops.filter((o) => o.startsWith('originate')).length, 1);
});
