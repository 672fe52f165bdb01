// The cluster's scheduled work on a real PostgreSQL: a job's slot is run by one node (the
// other records that it was done; a dead node's run is taken over; a failed run leaves the
// slot to another try); retention masks the shared records as one box's retention masks its
// file (the same records written through both engines' ports, the same counts and values);
// the end of a window carries over or expires requests on the shared database as on one box.
import t, { type Test } from 'tap';
import path from 'node:path';
import { configSchema } from '../../controller/config/schema';
import { closeWindow } from '../../controller/jobs/close-window';
import { closeWindowShared, oncePerCluster, type SharedJobs } from '../../controller/jobs/cluster-jobs';
import { maskOldNumbers } from '../../controller/jobs/retention';
import { maskOldNumbersShared } from '../../controller/jobs/retention-shared';
import type { CallRecords } from '../../controller/storage/call-records';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { SqliteCallbackStore } from '../../controller/storage/sqlite-callback-store';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { PgCallbackAttemptsRepo } from '../../controller/storage/postgres/callback-attempts-repo';
import { PgCallbacksRepo } from '../../controller/storage/postgres/callbacks-repo';
import { readMigrations } from '../../controller/storage/database';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { PostgresCallRecords } from '../../controller/storage/postgres/call-records';
import { migratePostgres, type Pg } from '../../controller/storage/postgres/connection';
import { PgNodeLeasesRepo } from '../../controller/storage/postgres/node-leases-repo';
import { bookingRequest } from '../fixtures/booking-request';
import { sqliteRecords } from '../unit/records';
import { migratedSqlite } from './sqlite-file';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NOW = new Date('2026-11-30T12:00:00.000Z');
const daysAgo = (d: number): Date => new Date(NOW.getTime() - d * 86_400_000);

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('cluster-jobs');
});
t.teardown(async () => server?.stop());

async function shared(t: Test): Promise<{ pools: Pg[] }> {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  return { pools };
}

t.test("a scheduled slot is run by one node of the cluster; a dead node's run is taken over; a failed run leaves the slot to another try", async (t) => {
  const { pools } = await shared(t);
  const leases = new PgNodeLeasesRepo();
  const node = (id: string, pool: Pg): SharedJobs => ({ pool, node: id, now: () => NOW });
  const [a, b] = [node('a', pools[0]!), node('b', pools[1]!)];
  await leases.renew(pools[0]!, 'a', NOW, 60_000);
  await leases.renew(pools[0]!, 'b', NOW, 60_000);
  const slot = new Date('2026-11-30T02:30:00.000Z');
  let ran = 0;
  const work = async (): Promise<string> => `done ${++ran}`;
  const [ra, rb] = await Promise.all([oncePerCluster(a, 'retention', slot, work), oncePerCluster(b, 'retention', slot, work)]);
  t.equal(ran, 1, 'the work ran once for both nodes');
  const runner = 'result' in ra ? ra : rb;
  const other = 'result' in ra ? rb : ra;
  t.match(runner, { result: 'done 1' }, 'one node ran it');
  t.match(other, { ranOn: runner.ranOn, skipped: new RegExp(`slot 2026-11-30T02:30:00.000Z (done|under way) on node ${runner.ranOn}`) }, 'the other says who did');
  t.match(await oncePerCluster(b, 'retention', slot, work), { skipped: /done on node/ }, 'a late node finds the slot done');
  t.equal(ran, 1);

  // a node that died during its run: its lease runs out, the slot is taken over
  const slot2 = new Date('2026-12-01T02:30:00.000Z');
  let release: () => void = () => undefined;
  const stuck = oncePerCluster(a, 'retention', slot2, () => new Promise<string>((r) => (release = () => r('late'))));
  await new Promise((r) => setTimeout(r, 100));
  t.match(await oncePerCluster(b, 'retention', slot2, work), { skipped: /under way on node a/ }, 'while a runs it and lives, b leaves it');
  await pools[0]!.query("UPDATE node_leases SET expires_at = $1 WHERE node = 'a'", [daysAgo(1).toISOString()]);
  t.match(await oncePerCluster(b, 'retention', slot2, work), { ranOn: 'b', result: 'done 2' }, "a's lease ran out: b runs the slot");
  t.match(
    (await pools[0]!.query('SELECT host, status, detail FROM job_runs WHERE slot = $1 ORDER BY id', [slot2.toISOString()])).rows,
    [
      { host: 'a', status: 'interrupted', detail: { error: /node a ended during the run/ } },
      { host: 'b', status: 'ok', detail: 'done 2' },
    ],
    "a's run closed as interrupted, b's done",
  );
  release();
  await stuck;

  // a failed run: the next try (another node, the same slot) runs it
  const slot3 = new Date('2026-12-02T02:30:00.000Z');
  await t.rejects(
    oncePerCluster(a, 'retention', slot3, async () => Promise.reject(new Error('disk full'))),
    /disk full/,
  );
  t.match(await oncePerCluster(b, 'retention', slot3, work), { ranOn: 'b', result: 'done 3' }, 'after a failed run, the slot is tried again');
});

/** The same history written through a call records port: old calls with numbers, a booking still pending, an old done one, today's call. */
async function history(records: CallRecords, flush: () => Promise<void>): Promise<void> {
  const at = daysAgo(100);
  records.callStarted({ id: 'old-1', dp: 'c-one', caller: '3331234567', dialed: '0611000101', at });
  records.event('old-1', at, 'number_typed', { number: '0612345678' });
  records.event('old-1', at, 'dtmf', { digit: '7', phase: 'typing' });
  const done = await records.book(bookingRequest(at, { dp: 'c-one', number: '0612345678', callId: 'old-1', dueAt: at, expiresAt: daysAgo(95) }), {});
  const pending = await records.book(bookingRequest(at, { dp: 'c-one', number: '0698765432', callId: 'old-1', dueAt: at, expiresAt: daysAgo(-5) }), {});
  if (!done.ok || !pending.ok) throw new Error('not booked');
  records.outcome({ dp: 'c-one', number: '0612345678', callId: 'old-1', kind: 'operator', official: 'op1', code: '1', label: 'basic', byDefault: false, at });
  records.note({ number: '0612345678', dp: 'c-one', callId: 'old-1', author: 'op1', operator: 'op1', info: 'Rimborsi', text: 'called about the refund', at });
  records.followup({ dp: 'c-one', unit: null, number: '0612345678', callId: 'old-1', callbackId: done.id, openedBy: 'op1', at });
  records.callEnded('old-1', at, 'completed', 16);
  records.callStarted({ id: 'new-1', dp: 'c-one', caller: '3339999999', dialed: '0611000101', at: daysAgo(1) });
  await flush();
  await records.cancelBooking(done.id, 'x', at, {}); // closed: maskable (the pending one keeps its number)
}

t.test("retention on the shared database masks what one box's retention masks, the same way", async (t) => {
  const { pools } = await shared(t);
  const pg = new PostgresCallRecords(pools[0]!, new PostgresCallbackStore(pools[0]!), 'a');
  await history(pg, () => pg.flushed());
  // the follow-up is closed (an open one keeps its number)
  await pools[0]!.query("UPDATE followups SET status = 'closed', outcome = 'refund sent'");
  const db = migratedSqlite(t, 'cluster-jobs');
  const box = sqliteRecords(db);
  await history(box, () => box.flushed());
  db.prepare("UPDATE followups SET status = 'closed', outcome = 'refund sent'").run();

  const one = await maskOldNumbers(db, 90, NOW);
  const many = await maskOldNumbersShared(pools[0]!, 90, NOW);
  t.same(many.masked, one.masked, `the same counts on both engines (${JSON.stringify(many.masked)})`);
  t.ok(many.masked.calls === 1 && many.masked.callEvents === 2 && many.masked.callbacks === 1, 'the old call, its two events with digits, the closed request');
  const rows = async (sql: string): Promise<unknown[]> => (await pools[0]!.query(sql)).rows;
  t.same(await rows('SELECT caller FROM calls ORDER BY started_at'), [{ caller: '3331******' }, { caller: '3339999999' }], "the old call masked, yesterday's kept");
  t.same(await rows('SELECT number FROM callbacks ORDER BY id'), [{ number: '0612******' }, { number: '0698765432' }], 'the pending request keeps its number');
  t.same(
    await rows("SELECT data FROM call_events WHERE call_id = 'old-1' ORDER BY id"),
    [{ data: { number: '0612******' } }, { data: { digit: '*', phase: 'typing' } }],
    'the events: the typed number and digit',
  );
  t.same(await rows('SELECT number, text, info FROM notes'), [{ number: '0612******', text: '', info: 'Rimborsi' }], "the note's text gone, its topic kept");
  t.same(await rows('SELECT number, outcome FROM followups'), [{ number: '0612******', outcome: '' }]);
  t.same(await rows('SELECT number FROM outcomes'), [{ number: '0612******' }]);
  const again = await maskOldNumbersShared(pools[0]!, 90, NOW);
  t.same(Object.values(again.masked), [0, 0, 0, 0, 0, 0, 0], 'a second run finds nothing left');
});

t.test('the end of a window on the shared database: carried over or expired as on one box', async (t) => {
  const { pools } = await shared(t);
  const dp = configSchema.parse({
    directorates: [
      {
        id: 'c-one',
        name: 'Uno',
        numbers: ['0611000101'],
        case: 'staff',
        ringsBeforeCallback: 2,
        languages: ['it'],
        hours: { weekly: { mon: ['09:00-13:00'], tue: ['09:00-13:00'] }, nationalHolidays: false },
      },
    ],
  }).directorates[0]!;
  const closedAt = new Date('2026-11-30T12:00:00.000Z'); // Monday 13:00 in Rome
  const store = new PostgresCallbackStore(pools[0]!);
  const db = migratedSqlite(t, 'cluster-jobs');
  const repo = new CallbacksRepo(db);
  const at = new Date('2026-11-30T09:00:00.000Z');
  for (const [number, validDays] of [
    ['0612000001', 5],
    ['0612000002', 0.5],
  ] as const) {
    const req = bookingRequest(at, { dp: 'c-one', number, dueAt: at, expiresAt: new Date(at.getTime() + validDays * 86_400_000) });
    await store.book(req);
    repo.book(req);
  }
  const many = await closeWindowShared(dp, pools[0]!, closedAt);
  const one = closeWindow(dp, repo, closedAt);
  t.same(many, one, `the same result on both engines (${JSON.stringify(many)})`);
  t.same([many.carriedOver.length, many.expired.length], [1, 1], 'one carried to Tuesday, one past its validity expired');
  t.match((await pools[0]!.query('SELECT status, due_at, carried_over FROM callbacks ORDER BY id')).rows, [
    { status: 'pending', due_at: '2026-12-01T08:00:00.000Z', carried_over: 1 },
    { status: 'expired' },
  ]);
});

t.test("the queue's figures on the shared database (the metrics, the live board) are one box's", async (t) => {
  const { pools } = await shared(t);
  const store = new PostgresCallbackStore(pools[0]!);
  const db = migratedSqlite(t, 'cluster-jobs');
  const repo = new CallbacksRepo(db);
  const at = new Date('2026-11-30T09:00:00.000Z');
  for (const [dp, number, dueIn] of [
    ['c-one', '0612000011', 0],
    ['c-one', '0612000012', 600],
    ['c-two', '0612000013', 3600],
  ] as const) {
    const req = bookingRequest(at, { dp, number, dueAt: new Date(at.getTime() + dueIn * 1000) });
    await store.book(req);
    repo.book(req);
  }
  const claimed = await store.claimNext('c-one', 'op1', 'cbop-1', 'a', new Date(at.getTime() + 1000));
  t.ok(await new SqliteCallbackStore(db).claimNext('c-one', 'op1', 'cbop-1', 'a', new Date(at.getTime() + 1000)), 'and on one box');
  t.ok(claimed, 'one request being dialled');
  const pg = new PgCallbacksRepo();
  const when = new Date(at.getTime() + 900_000);
  t.same(await pg.pendingCountByDp(pools[0]!), repo.pendingCountByDp(), 'live requests per directorate');
  t.same(await pg.oldestDueByDp(pools[0]!, when), repo.oldestDueByDp(when), 'the oldest due per directorate');
  const live = await new PgCallbackAttemptsRepo().liveWithRequest(pools[0]!);
  t.match(live, [{ dp: 'c-one', number: '0612000011', operator: 'op1', node: 'a' }], 'the attempt under way, with its request');
  t.same(
    live.map(({ dp, number, operator, stage }) => ({ dp, number, operator, stage })),
    new CallbackAttemptsRepo(db).liveWithRequest().map(({ dp, number, operator, stage }) => ({ dp, number, operator, stage })),
    'as on one box',
  );
});
