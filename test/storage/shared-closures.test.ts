// A directorate's extraordinary closure in a cluster, on a real PostgreSQL: declared on node a
// (through its controller), it is in the shared table first; node b pulls it into its copy
// (the same id, so the same message prompt), builds its message for its own Asterisk, and its
// callers hear it; reopened on b, a pulls the reopening and may call back at once.
import t, { type Test } from 'tap';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { closurePrompts } from '../../controller/prompts/catalog';
import { ClosuresService } from '../../controller/schedule/closures-service';
import { SharedClosures } from '../../controller/schedule/shared-closures';
import { ClosuresRepo } from '../../controller/storage/closures-repo';
import { readMigrations } from '../../controller/storage/database';
import { migratePostgres, type Pg } from '../../controller/storage/postgres/connection';
import { WriteQueue } from '../../controller/storage/write-queue';
import { migratedSqlite } from './sqlite-file';
import { freshSchema, startPostgres, type PostgresServer } from './postgres-server';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const config = parseConfig(
  `directorates:
  - { id: c-one, name: Uno, numbers: ["0611000101"], case: staff, ringsBeforeCallback: 2, hours: { weekly: { mon: "09:00-13:00" } } }`,
  'cluster.yaml',
);
let server: PostgresServer;
t.before(async () => {
  server = await startPostgres('shared-closures');
});
t.teardown(async () => server?.stop());

/** a node: its own file, its closures service on the shared table, the prompts its synthesis built */
function node(t: Test, pool: Pg, now: () => Date) {
  const repo = new ClosuresRepo(migratedSqlite(t, 'shared-closures'));
  const built = new Set<string>();
  const reopened: string[] = [];
  const svc = new ClosuresService({
    repo,
    writes: new WriteQueue(),
    config,
    shared: new SharedClosures(pool, repo),
    synthesize: async () => {
      for (const c of repo.live(now()))
        for (const p of closurePrompts(config.directorates[0]!, { ...c, from: new Date(c.startsAt), until: new Date(c.endsAt), createdAt: new Date(c.createdAt) }))
          built.add(p.path);
    },
    messageBuilt: (dp, c) => closurePrompts(dp, c).every((p) => built.has(p.path)),
    onReopened: (dp) => void reopened.push(dp),
    log: { info: () => undefined, warn: () => undefined } as never,
    now,
  });
  svc.load();
  return { svc, repo, built, reopened };
}

t.test('closed on node a, heard on node b; reopened on b, callbacks on a may go', async (t) => {
  const { pools } = await freshSchema(t, server, 2);
  await migratePostgres(pools[0]!, readMigrations(path.join(ROOT, 'db', 'postgres')));
  const now = new Date('2026-11-30T10:00:00.000Z');
  const a = node(t, pools[0]!, () => now);
  const b = node(t, pools[1]!, () => now);
  const r = await a.svc.close({ dp: 'c-one', until: new Date('2026-11-30T16:00:00.000Z'), messageIt: 'Sciopero.', by: 'console:sup' });
  t.match(r, { closure: { dp: 'c-one', messageIt: 'Sciopero.' }, message: { built: true } }, 'closed on a, its message built on a');
  t.equal(b.svc.live('c-one', now), undefined, 'b does not know it before its pull');
  await b.svc.sync();
  t.match(b.svc.live('c-one', now), { closure: { id: r.closure.id, messageIt: 'Sciopero.' }, spoken: true }, "b's callers hear it: the same closure, its message built on b too");
  t.ok(
    [...b.built].some((p) => p.includes(String(r.closure.id))),
    "the message's prompt is named after the shared id",
  );
  await b.svc.sync();
  t.same(b.reopened, [], 'nothing reopened');

  t.equal(await b.svc.reopen('c-one', 'ivrctl:root'), true, 'reopened on b');
  t.equal(b.svc.live('c-one', now), undefined, 'b open at once');
  t.match(a.svc.live('c-one', now), { closure: { id: r.closure.id } }, 'a until its pull');
  await a.svc.sync();
  t.equal(a.svc.live('c-one', now), undefined, 'a open after it');
  t.same(a.reopened, ['c-one'], "a's waiting callbacks may go at once");
  t.match(a.repo.recent('c-one'), [{ id: r.closure.id, reopenedBy: 'ivrctl:root' }], "a's copy keeps the history, with who reopened");
});
