import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CallbackLedger } from '../../controller/callbacks/ledger';
import { configSchema } from '../../controller/config/schema';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';

const root = path.resolve(__dirname, '..', '..', '..');
const policy = configSchema.parse({ directorates: [{ id: 'x', name: 'X', numbers: ['0600000001'], case: 'staff', ringsBeforeCallback: 2, hours: {} }] }).directorates[0]!.callback;
const at = new Date('2026-11-26T10:00:00Z');
const plus = (s: number) => new Date(at.getTime() + s * 1000);

function setup() {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-ledger-')), 'l.db');
  const db = openDatabase(file);
  migrate(db, readMigrations(path.join(root, 'db')));
  const callbacks = new CallbacksRepo(db);
  const attempts = new CallbackAttemptsRepo(db);
  const book = (number: string, dueAt = at) => {
    const r = callbacks.book({
      dp: 'x',
      number,
      language: 'it',
      callId: null,
      menuPath: null,
      ringCount: 2,
      at,
      dueAt,
      expiresAt: plus(3 * 86400),
      dayStart: plus(-36000),
      maxPerNumberPerDay: 9,
      dailyCapacity: 99,
    });
    if (!r.ok) throw new Error('booking refused');
    return r.id;
  };
  return { db, file, callbacks, attempts, ledger: new CallbackLedger(db, callbacks, attempts), book };
}

t.test('a request is claimed once: a second claim, even from another connection, gets nothing', async (t) => {
  const { ledger, book, file, callbacks } = setup();
  const id = book('0611111111');
  const first = await ledger.claim(id, 'op1', 'cbop-1-a', at);
  t.type(first, 'number');
  t.equal(callbacks.get(id)!.status, 'dialing');
  t.equal(await ledger.claim(id, 'op2', 'cbop-1-b', at), undefined, 'already dialing');
  // another process (a second controller) sharing the file
  const db2 = openDatabase(file);
  const other = new CallbackLedger(db2, new CallbacksRepo(db2), new CallbackAttemptsRepo(db2));
  t.equal(await other.claim(id, 'op2', 'cbop-1-c', at), undefined);
});

t.test('the database itself refuses a second live attempt for one request', async (t) => {
  const { attempts, book } = setup();
  const id = book('0611111111');
  attempts.open(id, 'op1', 'cbop-x', at);
  t.throws(() => attempts.open(id, 'op2', 'cbop-y', at), /UNIQUE/);
});

t.test('a request not yet due is not claimed', async (t) => {
  const { ledger, book, callbacks } = setup();
  const id = book('0611111111', plus(600));
  t.equal(await ledger.claim(id, 'op1', 'c', at), undefined);
  t.same(callbacks.due('x', at, 10), []);
  t.equal(callbacks.due('x', plus(600), 10).length, 1);
  t.equal(callbacks.nextDueAt(), plus(600).toISOString());
});

t.test('attempts: the caller dial is counted before it happens, outcomes move the request on', async (t) => {
  const { ledger, book, callbacks, attempts } = setup();
  const id = book('0611111111');
  const a1 = (await ledger.claim(id, 'op1', 'cbop', at))!;
  t.equal(await ledger.callerDialing(a1, 'cbcl', at), 1);
  t.same(await ledger.close(a1, 'no_answer', 19, plus(30), policy), { status: 'pending', dueAt: plus(30 + 600) });
  t.equal(await ledger.close(a1, 'busy', 17, plus(31), policy), undefined, 'an attempt is closed once');
  t.match(attempts.get(a1), { stage: 'ended', outcome: 'no_answer', cause: 19, callerAttempt: 1 });
  t.match(callbacks.get(id), { status: 'pending', attempts: 1, lastOutcome: 'no_answer' });

  const a2 = (await ledger.claim(id, 'op1', 'cbop2', plus(700)))!;
  t.same(await ledger.close(a2, 'operator_passed', null, plus(710), policy), { status: 'pending', dueAt: plus(710) }, 'a pass does not count');
  t.equal(callbacks.get(id)!.attempts, 1);

  const a3 = (await ledger.claim(id, 'op2', 'cbop3', plus(720)))!;
  await ledger.callerDialing(a3, 'cbcl3', plus(725));
  t.same(await ledger.close(a3, 'connected', null, plus(740), policy), { status: 'done', reason: 'connected' });
  t.match(attempts.get(a3), { outcome: 'connected', connectedAt: plus(740).toISOString() });
  t.match(callbacks.get(id), { status: 'done', attempts: 2 });
  t.same(attempts.live(), []);
});

t.test('the last attempt fails the request; past its validity it expires', async (t) => {
  const { ledger, book, callbacks } = setup();
  const id = book('0611111111');
  for (let i = 1; i <= 3; i++) {
    const a = (await ledger.claim(id, 'op', `o${i}`, plus(i * 1000)))!;
    await ledger.callerDialing(a, `c${i}`, plus(i * 1000));
    await ledger.close(a, 'busy', 17, plus(i * 1000 + 5), policy);
  }
  t.match(callbacks.get(id), { status: 'failed', attempts: 3, lastOutcome: 'busy' });
  const other = book('0622222222');
  t.same(callbacks.expireOverdue(plus(3 * 86400 - 1)), []);
  t.same(callbacks.expireOverdue(plus(3 * 86400)), [other]);
  t.equal(callbacks.get(other)!.status, 'expired');
});

t.test('a sysadmin reschedule reopens a closed request unless the number has another live one', async (t) => {
  const { book, callbacks } = setup();
  const id = book('0611111111');
  t.ok(callbacks.cancel(id, 'test', at));
  t.ok(callbacks.reschedule(id, plus(60), plus(86400), at));
  t.match(callbacks.get(id), { status: 'pending', dueAt: plus(60).toISOString() });
  t.ok(callbacks.cancel(id, 'again', at));
  book('0611111111');
  t.notOk(callbacks.reschedule(id, plus(60), plus(86400), at), 'one live request per number stays true');
});
