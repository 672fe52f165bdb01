// The report figures on the cluster's shared PostgreSQL are one box's: the crafted database
// whose every figure test/unit/figures.test.ts counts by hand is copied row for row into a
// real PostgreSQL, and each report (one day, a range with its days, directorates in their
// own zones, a directorate with no data) comes out the same from both engines.
import t from 'tap';
import path from 'node:path';
import { computeFigures, computeFiguresShared, type DpSelector, type FigureOptions, type FigureRange } from '../../controller/monitoring/figures';
import type { Db } from '../../controller/storage/database';
import { readMigrations } from '../../controller/storage/database';
import { migratePostgres, type Pg } from '../../controller/storage/postgres/connection';
import { freshDb, november, writer } from '../fixtures/figures-data';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');

let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('figures');
});
t.teardown(async () => server?.stop());

/** Every row of the records, ids kept, in an order their references allow. */
async function copy(db: Db, pool: Pg): Promise<number> {
  let n = 0;
  for (const table of ['callbacks', 'calls', 'call_events', 'callback_attempts', 'outcomes', 'notes', 'followups']) {
    for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>) {
      const cols = Object.keys(row);
      await pool.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
      n++;
    }
  }
  return n;
}

const REPORTS: Array<[string, DpSelector[], FigureRange, FigureOptions?]> = [
  ['one local day in Rome, two directorates', ['dp-a', 'dp-b'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' }],
  ['a range with its days', ['dp-a', 'dp-b'], { from: '2026-11-24', to: '2026-11-28' }, { byDay: true }],
  ['a directorate in UTC', [{ id: 'dp-a', timezone: 'UTC' }], { from: '2026-11-26', to: '2026-11-27' }, { byDay: true }],
  ['a directorate with no data', ['dp-z'], { from: '2026-11-27', to: '2026-11-27' }],
];

t.test('the crafted month: every report the same from both engines', async (t) => {
  const db = november();
  const { pools } = await freshSchema(t, server, 1);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  t.ok((await copy(db, pools[0]!)) > 50, 'the rows copied');
  for (const [what, dps, range, opts] of REPORTS) {
    const one = computeFigures(db, dps, range, opts);
    const many = await computeFiguresShared(pools[0]!, dps, range, opts);
    t.same(many, one, what);
  }
  const [a] = await computeFiguresShared(pools[0]!, ['dp-a'], { from: '2026-11-27', to: '2026-11-27', timezone: 'Europe/Rome' });
  t.match(
    a,
    { callsReceived: 8, meanRingsBeforeAnswer: 3.5, meanCallerDialsPerClosedCallback: 1.33, typedNumbersRejected: { short: 1 } },
    'the hand-counted figures (test/unit/figures.test.ts), from PostgreSQL',
  );
  await t.rejects(computeFiguresShared(pools[0]!, ['dp-a'], { from: '2026-11-28', to: '2026-11-27' }), /2026-11-28 is after 2026-11-27/, 'a bad range: the same error');
});

t.test('days that change clock, from both engines', async (t) => {
  const db = freshDb();
  const w = writer(db);
  for (const [id, at] of [
    ['m1', '2026-03-28T22:59:00.000Z'],
    ['m2', '2026-03-28T23:00:00.000Z'],
    ['m4', '2026-03-29T22:00:00.000Z'],
    ['o1', '2026-10-24T22:00:00.000Z'],
    ['o3', '2026-10-25T23:00:00.000Z'],
  ] as const)
    w.call(id, 'dp-a', at);
  const { pools } = await freshSchema(t, server, 1);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  await copy(db, pools[0]!);
  for (const range of [
    { from: '2026-03-28', to: '2026-03-30' },
    { from: '2026-10-24', to: '2026-10-26' },
  ])
    t.same(await computeFiguresShared(pools[0]!, ['dp-a'], range, { byDay: true }), computeFigures(db, ['dp-a'], range, { byDay: true }), `${range.from}..${range.to}`);
});
