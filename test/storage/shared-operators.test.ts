// The cluster's roster on a real PostgreSQL (operators/shared-operators.ts): the first node's
// rows seed the shared table once; a node's copy is left alone until then, and made the shared
// table's at each pull after (ids, HA1, pauses; added and removed operators); a pause goes to
// the shared table and the node's copy at once, and reaches the other node at its pull.
import t, { type Test } from 'tap';
import path from 'node:path';
import { SharedOperators } from '../../controller/operators/shared-operators';
import { readMigrations } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { migratePostgres } from '../../controller/storage/postgres/connection';
import { PgOperatorsRepo } from '../../controller/storage/postgres/operators-repo';
import { migratedSqlite } from './sqlite-file';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('shared-operators');
});
t.teardown(async () => server?.stop());

/** a node's own file, with the operators it seeded at its first start */
function nodeFile(t: Test, ops: Array<[string, string]>): OperatorsRepo {
  const repo = new OperatorsRepo(migratedSqlite(t, 'shared-operators'));
  for (const [id, ha1] of ops) repo.insert({ id, dp: 'c-one', role: 'staff', unit: null, ha1 });
  return repo;
}

t.test('seeded once by the first node; each node pulls the shared roster; pauses travel', async (t) => {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  const aFile = nodeFile(t, [['cl1', 'ha1-of-a']]);
  const bFile = nodeFile(t, [
    ['cl1', 'ha1-of-b'],
    ['old', 'x'],
  ]);
  const a = new SharedOperators(pools[0]!, aFile);
  const b = new SharedOperators(pools[1]!, bFile);
  t.equal(await b.pull(), false, 'before the seeding a node keeps its copy');
  t.same(
    bFile.list().map((o) => o.id),
    ['cl1', 'old'],
  );
  const seeded = await Promise.all([a.seed(), a.seed()]);
  t.same(seeded.sort(), [false, true], 'the shared roster is seeded once');
  t.equal(await b.pull(), true, "b's copy changes");
  t.same(
    bFile.list().map((o) => [o.id, o.ha1]),
    [['cl1', 'ha1-of-a']],
    "b's copy is the roster: a's HA1, b's own extra operator gone",
  );
  t.equal(await b.pull(), false, 'a second pull changes nothing');

  const shared = new PgOperatorsRepo();
  t.ok(await shared.insert(pools[0]!, { id: 'cl2', dp: 'c-two', role: 'staff', unit: null, ha1: 'h2' }, new Date()), 'an operator added to the roster (ivrctl)');
  t.equal(await shared.insert(pools[0]!, { id: 'cl2', dp: 'c-two', role: 'staff', unit: null, ha1: 'h3' }, new Date()), false, 'an id taken: false');
  t.equal(await b.pull(), true);
  t.match(bFile.get('cl2'), { dp: 'c-two', ha1: 'h2', paused: false }, 'b has it');

  t.equal(await b.setPaused('cl1', true), true, 'paused on b (its console, *41)');
  t.equal(bFile.get('cl1')?.paused, true, "b's copy at once");
  t.equal(await b.pull(), false, "and the same as the roster's: b's next pull changes nothing");
  t.equal(await a.pull(), true, "a's pull brings the pause");
  t.match(aFile.get('cl1'), { paused: true, pausedAt: bFile.get('cl1')!.pausedAt }, 'with the same time');
  t.equal(await b.setPaused('nobody', true), false, 'no such operator: false');

  t.ok(await shared.remove(pools[0]!, 'cl2'), 'removed from the roster');
  await a.pull();
  t.same(
    aFile.list().map((o) => o.id),
    ['cl1'],
    'and from the node',
  );
});
