// The web console's storage ports on both engines: what its pages read and write
// (storage/console-store.ts) and its accounts and sessions (storage/console-accounts.ts), on
// SQLite through the write queue (one box) and on the shared PostgreSQL (the cluster mode, a
// real server started by docker/postgres.sh). The records are written as the controller writes
// them (the call records' port, the callback store), and read back through the console's port.
// On PostgreSQL, the first node's accounts seed the shared table once.
import t, { type Test } from 'tap';
import path from 'node:path';
import type { CallRecords } from '../../controller/storage/call-records';
import type { CallbackStore } from '../../controller/storage/callback-store';
import { SqliteConsoleAccounts, type ConsoleAccounts } from '../../controller/storage/console-accounts';
import { SqliteConsoleStore, type ConsoleStore } from '../../controller/storage/console-store';
import { readMigrations } from '../../controller/storage/database';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { PostgresCallRecords } from '../../controller/storage/postgres/call-records';
import { PgConsoleAccounts, seedConsoleUsers } from '../../controller/storage/postgres/console-accounts';
import { PgConsoleStore } from '../../controller/storage/postgres/console-store';
import { migratePostgres } from '../../controller/storage/postgres/connection';
import { SqliteCallbackStore } from '../../controller/storage/sqlite-callback-store';
import { bookingRequest } from '../fixtures/booking-request';
import { sqliteRecords } from '../unit/records';
import { migratedSqlite } from './sqlite-file';
import { freshSchema, questionMarkRows, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NOW = new Date('2026-11-30T09:30:00.000Z');
const at = (s: number): Date => new Date(NOW.getTime() + s * 1000);

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('console-store');
});
t.teardown(async () => server?.stop());

interface Opened {
  records: CallRecords;
  callbacks: CallbackStore;
  store: ConsoleStore;
  accounts: ConsoleAccounts;
  /** a plain statement on the database (`?` placeholders) */
  rows<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

const ENGINES: Array<{ name: 'sqlite' | 'postgres'; open(t: Test): Promise<Opened> }> = [
  {
    name: 'sqlite',
    async open(t) {
      const db = migratedSqlite(t, 'console-store');
      return {
        records: sqliteRecords(db),
        callbacks: new SqliteCallbackStore(db),
        store: new SqliteConsoleStore(db),
        accounts: new SqliteConsoleAccounts(db),
        rows: async <T>(sql: string, ...params: unknown[]) => {
          const st = db.prepare(sql);
          return (st.reader ? st.all(...params) : (st.run(...params), [])) as T[];
        },
      };
    },
  },
  {
    name: 'postgres',
    async open(t) {
      const { pools } = await freshSchema(t, server, 1);
      const pool = pools[0]!;
      await migratePostgres(pool, readMigrations(path.join(ROOT, 'db', 'postgres')));
      const callbacks = new PostgresCallbackStore(pool);
      return {
        records: new PostgresCallRecords(pool, callbacks, 'a'),
        callbacks,
        store: new PgConsoleStore(pool),
        accounts: new PgConsoleAccounts(pool),
        rows: questionMarkRows(pool),
      };
    },
  },
];

for (const engine of ENGINES) {
  t.test(`${engine.name}: the console reads the calls, requests and callbacks the controller wrote; an operator's least privilege`, async (t) => {
    const { records, callbacks, store, rows } = await engine.open(t);
    records.callStarted({ id: 'c1', dp: 'c-one', caller: '0612000010', dialed: '0611000001', at: at(0) });
    records.callAnswered('c1', at(5));
    records.callUpdated('c1', { answeredBy: 'sw1' });
    records.callStarted({ id: 'c2', dp: 'c-one', caller: '0612000011', dialed: '0611000001', at: at(10) });
    const first = await records.book(bookingRequest(at(20), { dp: 'c-one', number: '0612000011', callId: 'c2' }), { deadlineMs: 2000 });
    const second = await records.book(bookingRequest(at(30), { dp: 'c-one', number: '0612000012' }), { deadlineMs: 2000 });
    if (!first.ok || !second.ok) throw new Error('not booked');
    await records.flushed();

    t.equal(await store.handled('sw1', '0612000010'), true, 'the operator answered this caller');
    t.equal(await store.handled('sw1', '0612000011'), false, 'not that one');
    t.equal((await store.call('c1'))?.answeredBy, 'sw1', 'a call by id');
    t.equal((await store.lastAnsweredBy('sw1'))?.id, 'c1', "the operator's last call");
    t.match(
      await store.callbacks({ dp: 'c-one' }),
      [
        { id: first.id, position: 1 },
        { id: second.id, position: 2 },
      ],
      'the requests with their place in the queue',
    );
    t.same(
      (await store.callbacks({ dp: 'c-one', from: at(25), to: at(35) })).map((r) => r.id),
      [second.id],
      'the request time bounds the list: [from, to)',
    );
    t.same(await store.callbacks({ dp: 'c-two' }), [], "another directorate's list is empty");

    // st1 calls the first request back, and the caller answers
    const claimed = await callbacks.claimNext('c-one', 'st1', 'PJSIP/st1-1', 'a', at(40));
    t.equal(claimed?.callbackId, first.id, 'the oldest request is claimed');
    const live = await store.liveAttempts();
    t.match(live, [{ callbackId: first.id, operator: 'st1', dp: 'c-one', number: '0612000011' }], 'the callback being made now, with its number');
    t.equal(await store.handled('st1', '0612000011'), true, 'the operator who calls a number back may see it');
    t.equal(await store.lastConnectedOf('st1'), undefined, 'not connected yet');
    await callbacks.callerDialing(claimed!.attemptId, 'PJSIP/carrier-1', at(41));
    await rows("UPDATE callback_attempts SET stage = 'talking', connected_at = ? WHERE id = ?", at(45).toISOString(), claimed!.attemptId);
    t.match(await store.lastConnectedOf('st1'), { id: claimed!.attemptId, callbackId: first.id }, "the operator's last callback that connected");
    t.equal((await store.callback(first.id))?.status, 'dialing', 'a request by id');
  });

  t.test(`${engine.name}: an intervention, its follow-up, a note and the audit log, written from the console`, async (t) => {
    const { records, store, rows } = await engine.open(t);
    records.callStarted({ id: 'u-call', dp: 'c-one', caller: '0612000020', dialed: '0611000001', at: at(0) });
    records.outcome({
      dp: 'c-one',
      number: '0612000020',
      callId: 'u-call',
      kind: 'unit',
      official: 'u1',
      unit: 'rimborsi',
      code: '0',
      label: 'not_recorded',
      byDefault: true,
      at: at(60),
    });
    await records.flushed();
    const [row] = await store.interventionsOf('u1');
    t.match(row, { official: 'u1', code: '0', byDefault: 1 }, "the official's intervention, as the phone left it");
    t.equal(await store.handled('u1', '0612000020'), true, 'the official who keyed about a caller may see them');
    await store.recordIntervention({ row: row!, code: '4', label: 'needs_follow_up', detail: 'pratica da completare', at: at(120), opensFollowUp: true });
    t.match(
      await store.outcome(row!.id),
      { code: '4', label: 'needs_follow_up', byDefault: 0, detail: 'pratica da completare', recordedVia: 'console' },
      'the code and words recorded',
    );
    const open = await store.followups({ dp: 'c-one', status: 'open' });
    t.match(open, [{ unit: 'rimborsi', number: '0612000020', callId: 'u-call', openedBy: 'u1' }], "the follow-up opened on the unit's worklist");
    t.equal(await store.closeFollowup(open[0]!.id, 'u1', 'completata', at(200)), true, 'closed');
    t.equal(await store.closeFollowup(open[0]!.id, 'u1', 'again', at(201)), false, 'closed once');
    t.match(await store.followup(open[0]!.id), { status: 'closed', closedBy: 'u1', outcome: 'completata' });
    t.same(await store.followups({ dp: 'c-one', status: 'open' }), [], 'no open item left');

    await store.addNote({ number: '0612000020', dp: 'c-one', callId: 'u-call', callbackId: null, author: 'sup', operator: null, info: null, text: 'richiamare', at: at(210) });
    t.match(
      await rows('SELECT author, text, call_id FROM notes WHERE number = ?', '0612000020'),
      [{ author: 'sup', text: 'richiamare', call_id: 'u-call' }],
      'the note, with its call',
    );

    await store.audit({ at: at(220), username: 'sup', role: 'supervisor', action: 'profile_view', subject: '0612000020' });
    await store.audit({ at: at(221), username: 'op', role: 'operator', action: 'profile_refused', subject: '0612000021', detail: null });
    t.match(
      await store.auditLog({ limit: 10 }),
      [
        { username: 'op', action: 'profile_refused' },
        { username: 'sup', action: 'profile_view', subject: '0612000020' },
      ],
      'newest first',
    );
    t.match(await store.auditLog({ subject: '0612000020', limit: 10 }), [{ username: 'sup' }], 'by the number looked at');
    t.same(await store.auditLog({ username: 'nobody', limit: 10 }), [], 'by user');
  });

  t.test(`${engine.name}: console accounts and sessions: a new password or a removed account ends the sessions; expired ones are cleared`, async (t) => {
    const { accounts, rows } = await engine.open(t);
    const user = (username: string) => ({ username, passwordHash: `hash-${username}`, role: 'supervisor' as const, operator: null, at: at(0) });
    t.equal(await accounts.addUser(user('rossi')), true, 'added');
    t.equal(await accounts.addUser(user('rossi')), false, 'a taken name is refused');
    t.equal(await accounts.addUser({ ...user('bianchi'), role: 'operator', operator: 'sw1' }), true);
    t.same(
      (await accounts.users()).map((u) => u.username),
      ['bianchi', 'rossi'],
      'in name order',
    );
    t.match(await accounts.user('bianchi'), { role: 'operator', operator: 'sw1', passwordHash: 'hash-bianchi' });
    const session = (token: string, username: string, expires: number) => ({
      tokenHash: token,
      username,
      csrf: `csrf-${token}`,
      createdAt: at(0).toISOString(),
      expiresAt: at(expires).toISOString(),
    });
    await accounts.startSession(session('old', 'rossi', 10), at(0));
    await accounts.startSession(session('s1', 'rossi', 3600), at(0));
    await accounts.startSession(session('s2', 'bianchi', 3600), at(0));
    t.match(await accounts.liveSession('s1', at(5)), { username: 'rossi', csrf: 'csrf-s1' }, 'a live session');
    t.equal(await accounts.liveSession('old', at(20)), undefined, 'an expired session is not');
    await accounts.startSession(session('s3', 'rossi', 3600), at(20));
    t.same(
      (await rows<{ t: string }>('SELECT token_hash AS t FROM console_sessions ORDER BY token_hash')).map((r) => r.t),
      ['s1', 's2', 's3'],
      'a login clears the expired',
    );
    await accounts.extendSession('s1', at(7200));
    await accounts.startSession(session('s4', 'bianchi', 3600), at(30));
    t.ok(await accounts.liveSession('s1', at(5000)), 'extended');
    await accounts.rehash('rossi', 'stronger', at(40));
    await accounts.endSession('s3');
    t.equal(await accounts.liveSession('s3', at(50)), undefined, 'logged out');
    t.equal((await accounts.user('rossi'))?.passwordHash, 'stronger', 're-hashed');
    t.equal(await accounts.setPassword('rossi', 'new', at(60)), true, 'a new password');
    t.equal(await accounts.liveSession('s1', at(61)), undefined, 'ends its sessions');
    t.ok(await accounts.liveSession('s2', at(61)), "not another account's");
    t.equal(await accounts.setPassword('nobody', 'x', at(60)), false, 'no such account');
    t.equal(await accounts.removeUser('bianchi'), true, 'removed');
    t.equal(await accounts.liveSession('s2', at(62)), undefined, 'its sessions end with it');
    t.equal(await accounts.removeUser('bianchi'), false, 'removed once');
  });
}

t.test("postgres: the first node's console accounts seed the shared table once, hashes and all", async (t) => {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  const local = migratedSqlite(t, 'console-seed');
  const box = new SqliteConsoleAccounts(local);
  await box.addUser({ username: 'rossi', passwordHash: 'scrypt$rossi', role: 'supervisor', operator: null, at: at(0) });
  await box.addUser({ username: 'bianchi', passwordHash: 'scrypt$bianchi', role: 'operator', operator: 'sw1', at: at(0) });
  const users = await box.users();
  // two nodes starting at once: one copies
  const copied = await Promise.all(pools.map((p) => seedConsoleUsers(p, users, at(10))));
  t.same(copied.sort(), [0, 2], 'copied once');
  const shared = new PgConsoleAccounts(pools[0]!);
  t.same(
    (await shared.users()).map(({ username, passwordHash, role, operator }) => ({ username, passwordHash, role, operator })),
    [
      { username: 'bianchi', passwordHash: 'scrypt$bianchi', role: 'operator', operator: 'sw1' },
      { username: 'rossi', passwordHash: 'scrypt$rossi', role: 'supervisor', operator: null },
    ],
    'the accounts with their password hashes: the same logins',
  );
  await shared.removeUser('rossi');
  t.equal(await seedConsoleUsers(pools[0]!, users, at(20)), 0, 'never again: an account removed from the cluster stays removed');
  t.equal(await shared.user('rossi'), undefined);
});
