// One profile per person: a callback booked to another number links the two numbers, and a
// profile looked up by either shows the whole history, each entry with its number. The
// whisper's "earlier contacts" counts what came before the request, not the call that booked it.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildProfile } from '../../controller/monitoring/profile';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { SqliteProfileSource } from '../../controller/storage/profile-source';
import { sqliteRecords } from './records';

const root = path.resolve(__dirname, '..', '..', '..');

function world() {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-prof-')), 'p.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const source = new SqliteProfileSource(db);
  const callbacks = new CallbacksRepo(db);
  const call = (id: string, caller: string, at: string) =>
    db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at, end_reason) VALUES (?, 'demo-st', ?, '0200000002', ?, 'completed')").run(id, caller, at);
  const booking = (number: string, callId: string | null, at: string, status = 'done') =>
    (
      db
        .prepare(
          "INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, call_id, attempts, updated_at) VALUES ('demo-st', ?, 'it', ?, ?, ?, ?, ?, 1, ?) RETURNING id",
        )
        .get(number, status, at, at, at, callId, at) as { id: number }
    ).id;
  return { db, source, callbacks, call, booking };
}

t.test('a callback booked to another number: either number shows the whole history, marked by number', async (t) => {
  const { source, call, booking } = world();
  call('c1', '3331111111', '2026-11-20T09:00:00.000Z');
  call('c2', '3331111111', '2026-11-25T09:00:00.000Z');
  const cb = booking('0612222222', 'c2', '2026-11-25T09:01:00.000Z');
  call('c3', '0655555555', '2026-11-25T10:00:00.000Z'); // somebody else
  for (const looked of ['0612222222', '3331111111']) {
    const p = await buildProfile(looked, source);
    t.same(new Set(p.numbers), new Set(['0612222222', '3331111111']), `${looked}: both numbers`);
    t.same(
      p.timeline.map((e) => [e.kind, e.id, e.number]),
      [
        ['call', 'c1', '3331111111'],
        ['call', 'c2', '3331111111'],
        ['callback', cb, '0612222222'],
      ],
      `${looked}: the calls from the mobile and the callback to the landline, in time order`,
    );
  }
  t.same((await buildProfile('0655555555', source)).numbers, ['0655555555'], 'an unrelated caller stays alone');
});

t.test("the whisper's earlier contacts: not the booking call itself; a first caller has none", async (t) => {
  const { db, callbacks, call, booking } = world();
  const records = sqliteRecords(db);
  call('first', '3332222222', '2026-11-25T09:00:00.000Z');
  const a = booking('3332222222', 'first', '2026-11-25T09:01:00.000Z', 'pending');
  t.equal(await records.earlierContacts(callbacks.get(a)!), 0, 'a first-time caller: no earlier contact (the booking call was counted before)');
  call('again', '3333333333', '2026-11-20T09:00:00.000Z');
  call('books', '3333333333', '2026-11-26T09:00:00.000Z');
  const done = booking('0613333333', 'books', '2026-11-26T09:01:00.000Z');
  call('later', '3333333333', '2026-11-27T09:00:00.000Z');
  const b = booking('0613333333', 'later', '2026-11-27T09:01:00.000Z', 'pending');
  // earlier: the call of the 20th, the booking call of the 26th, the completed callback #done
  t.equal(await records.earlierContacts(callbacks.get(b)!), 3, `calls from the mobile and the completed callback ${done} to the landline`);
});

t.test('masked numbers (retention) link nobody', async (t) => {
  const { source, call, booking } = world();
  call('m1', '3334******', '2026-01-01T09:00:00.000Z');
  booking('0614******', 'm1', '2026-01-01T09:01:00.000Z');
  call('m2', '3334******', '2026-01-02T09:00:00.000Z');
  t.same((await buildProfile('0614******', source)).numbers, ['0614******']);
});
