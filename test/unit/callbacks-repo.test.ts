import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { CallbacksRepo, type BookingRequest } from '../../controller/storage/callbacks-repo';

const root = path.resolve(__dirname, '..', '..', '..');

function repo() {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-cb-')), 'c.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  return { db, repo: new CallbacksRepo(db) };
}

const at = new Date('2026-11-26T10:00:00Z');
const req = (over: Partial<BookingRequest> = {}): BookingRequest => ({
  dp: 'demo-sw',
  number: '0612345678',
  language: 'it',
  callId: null,
  menuPath: '1,offer:1',
  ringCount: 4,
  at,
  dueAt: at,
  expiresAt: new Date(at.getTime() + 3 * 86_400_000),
  dayStart: new Date('2026-11-25T23:00:00Z'),
  maxPerNumberPerDay: 3,
  dailyCapacity: 100,
  ...over,
});

t.test('bookings queue per directorate, oldest first', async (t) => {
  const { repo: r } = repo();
  t.match(r.book(req({ number: '0611111111' })), { ok: true, position: 1 });
  t.match(r.book(req({ number: '0622222222' })), { ok: true, position: 2 });
  t.match(r.book(req({ number: '0633333333', dp: 'demo-st' })), { ok: true, position: 1 }, 'another directorate has its own queue');
  t.same(r.live('demo-sw', '0622222222'), { id: 2, position: 2 });
  t.ok(r.cancel(1, 'test', at));
  t.same(r.live('demo-sw', '0622222222'), { id: 2, position: 1 }, 'moves up when an earlier one is cancelled');
  t.notOk(r.cancel(1, 'again', at), 'a cancelled request cannot be cancelled again');
  t.same(r.pendingCountByDp(), { 'demo-sw': 1, 'demo-st': 1 });
});

t.test('one live request per number per directorate, enforced by the database too', async (t) => {
  const { db, repo: r } = repo();
  const first = r.book(req());
  t.match(first, { ok: true, id: 1 });
  t.same(r.book(req()), { ok: false, reason: 'duplicate', id: 1, position: 1 });
  t.match(r.book(req({ dp: 'demo-st' })), { ok: true }, 'the same number may wait at another directorate');
  t.throws(
    () =>
      db
        .prepare(
          "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at) VALUES ('demo-sw', '0612345678', 'it', 'pending', 'x', 'x', 'x', 'x')",
        )
        .run(),
    /UNIQUE constraint failed/,
  );
  r.cancel(1, 'test', at);
  t.match(r.book(req()), { ok: true, id: 3 }, 'after cancelling, a new request is accepted');
});

t.test('daily caps: per number and per directorate, counted from the local day start', async (t) => {
  const { repo: r } = repo();
  for (let i = 0; i < 2; i++) {
    const b = r.book(req({ maxPerNumberPerDay: 2 }));
    t.ok(b.ok);
    if (b.ok) r.cancel(b.id, 'test', at);
  }
  t.same(r.book(req({ maxPerNumberPerDay: 2 })), { ok: false, reason: 'number_cap' });
  t.match(r.book(req({ maxPerNumberPerDay: 2, dayStart: new Date('2026-11-26T23:00:00Z'), at: new Date('2026-11-27T08:00:00Z') })), { ok: true }, 'a new day resets it');
  const { repo: r2 } = repo();
  t.ok(r2.book(req({ number: '0611111111', dailyCapacity: 2 })).ok);
  t.ok(r2.book(req({ number: '0622222222', dailyCapacity: 2 })).ok);
  t.same(r2.book(req({ number: '0633333333', dailyCapacity: 2 })), { ok: false, reason: 'dp_capacity' });
});

t.test('list, show and the per-number history', async (t) => {
  const { repo: r } = repo();
  r.book(req({ number: '0611111111' }));
  r.book(req({ number: '0622222222', dp: 'demo-st', language: 'en' }));
  t.same(
    r.list({ dp: 'demo-st' }).map((x) => x.number),
    ['0622222222'],
  );
  t.same(r.list({ status: 'cancelled' }), []);
  t.match(r.get(2), { id: 2, dp: 'demo-st', language: 'en', status: 'pending', attempts: 0, ringCount: 4, menuPath: '1,offer:1' });
  t.equal(r.byNumber('0611111111').length, 1);
});

t.test('one calling number books at most maxPerCallerPerDay requests a day, whatever numbers they are for', async (t) => {
  const { db, repo: r } = repo();
  const call = db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES (?, 'demo-sw', ?, '0600000001', ?)");
  const book = (i: number, caller = '3331234567') => {
    call.run(`c${i}-${caller}`, caller, at.toISOString());
    return r.book(req({ number: `06111111${String(i).padStart(2, '0')}`, callId: `c${i}-${caller}`, caller, maxPerCallerPerDay: 3 }));
  };
  for (let i = 0; i < 3; i++) t.match(book(i), { ok: true }, `booking ${i + 1} for another number`);
  t.same(book(3), { ok: false, reason: 'caller_cap' }, 'the fourth from the same calling number is refused');
  t.same(book(4), { ok: false, reason: 'caller_cap' }, 'and so are the next ones (ten numbers asked: three booked)');
  t.match(book(5, '3339999999'), { ok: true }, 'another calling number is not affected');
  t.match(r.book(req({ number: '0622222299', dp: 'demo-st', callId: null, caller: '3331234567', maxPerCallerPerDay: 3 })), { ok: true }, 'another directorate counts its own');
});
