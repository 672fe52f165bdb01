// ivrctl with IVR_DB a postgres:// URL (the cluster mode's shared database), on a real
// PostgreSQL server: `db migrate` applies the PostgreSQL migrations once (text and JSON),
// never shows the password; a command that still needs the SQLite file refuses in one line
// (exit 2) rather than opening a SQLite file somewhere else; a server that does not answer
// is one line too. `profile`, `callbacks list|show` and `report` read the shared records, as
// the nodes wrote them.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMigrations } from '../../controller/storage/database';
import { ivrctlInProcess, type Run } from '../fixtures/ivrctl-in-process';
import { bookingRequest } from '../fixtures/booking-request';
import { openPostgres } from '../../controller/storage/postgres/connection';
import { PostgresCallbackStore } from '../../controller/storage/postgres/callback-store';
import { PostgresCallRecords } from '../../controller/storage/postgres/call-records';
import { PgNodeLeasesRepo } from '../../controller/storage/postgres/node-leases-repo';
import { startPostgres, type PostgresServer } from './postgres-server';
import { migratedSqlite } from './sqlite-file';
import { ensureSecrets } from '../../controller/provisioning/secrets';

const root = path.resolve(__dirname, '..', '..', '..');
const latest = readMigrations(path.join(root, 'db', 'postgres')).length;
let server: PostgresServer;
const state = mkdtempSync(path.join(os.tmpdir(), 'ivrctl-pg-'));
t.before(async () => {
  server = await startPostgres('ivrctl');
});
t.teardown(async () => {
  await server?.stop();
  rmSync(state, { recursive: true, force: true });
});

const ivrctl = (db: string, ...args: string[]): Promise<Run> =>
  ivrctlInProcess(args, { PATH: process.env.PATH, IVR_DB: db, IVR_STATE_DIR: state, IVR_CONFIG: path.join(root, 'config', 'demo.yaml') });

t.test('db migrate on PostgreSQL: every migration once, then up to date; the password never shown', async (t) => {
  const password = new URL(server.url).password;
  const first = await ivrctl(server.url, 'db', 'migrate');
  t.equal(first.code, 0, first.stderr);
  t.equal(first.stdout.split('\n').filter((l) => l.startsWith('migration applied: ')).length, latest, `${latest} migrations applied`);
  t.match(first.stdout, new RegExp(`postgres://ivr:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/ivr: schema version ${latest}\\n$`));
  const again = await ivrctl(server.url, 'db', 'migrate', '--json');
  t.equal(again.code, 0);
  t.match(JSON.parse(again.stdout), { applied: [], schemaVersion: latest, url: /^postgres:\/\/ivr:\*\*\*@/ });
  t.notOk(`${first.stdout}${again.stdout}${first.stderr}`.includes(password), 'the password is in no output');
});

t.test("profile on PostgreSQL: a caller's calls and callbacks as the nodes wrote them, the view audited there", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0, 'the shared database at the current schema');
  const pool = openPostgres(server.url, { max: 2 });
  t.teardown(() => pool.end());
  const records = new PostgresCallRecords(pool, new PostgresCallbackStore(pool), 'b');
  const at = new Date('2026-11-30T09:00:00.000Z');
  records.callStarted({ id: 'b-1796040000.7', dp: 'demo-st', caller: '0612000077', dialed: '0200000002', at });
  records.event('b-1796040000.7', at, 'offer');
  const booked = await records.book(bookingRequest(at, { dp: 'demo-st', number: '0612000077', callId: 'b-1796040000.7' }), { deadlineMs: 5000 });
  t.ok(booked.ok, 'a node booked a callback');
  await records.closeCall('b-1796040000.7', at, 'completed', 16);
  const r = await ivrctl(server.url, 'profile', '0612000077', '--json');
  t.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout) as {
    calls: Array<{ id: string; events: Array<{ type: string }> }>;
    callbacks: Array<{ status: string; position: number }>;
    timeline: Array<{ kind: string }>;
  };
  t.match(p.calls, [{ id: 'b-1796040000.7', events: [{ type: 'offer' }] }], 'the call with its events');
  t.match(p.callbacks, [{ status: 'pending', position: 1 }], 'the request, first in its queue');
  t.same(
    p.timeline.map((e) => e.kind),
    ['call', 'callback'],
    'the timeline',
  );
  const text = await ivrctl(server.url, 'profile', '0612000077');
  t.match(text.stdout, /^profile of 0612000077: 1 call\(s\), 1 callback request\(s\)\n/, 'as text');
  const audit = await ivrctl(server.url, 'audit', '--number', '0612000077', '--json');
  t.match(
    JSON.parse(audit.stdout),
    [
      { action: 'profile_view', role: 'sysadmin', subject: '0612000077', detail: 'ivrctl profile' },
      { action: 'profile_view', role: 'sysadmin', subject: '0612000077' },
    ],
    'each view audited in the shared database, as ivrctl audit shows',
  );
  t.notOk(existsSync(path.join(state, 'ivr.db')), 'no SQLite file made');
  if (!booked.ok) return;
  const list = await ivrctl(server.url, 'callbacks', 'list', '--status', 'pending', '--json');
  t.equal(list.code, 0, list.stderr);
  t.match(JSON.parse(list.stdout), [{ id: booked.id, number: '0612000077', status: 'pending', position: 1 }], 'callbacks list: the pending request, with its place');
  const show = await ivrctl(server.url, 'callbacks', 'show', String(booked.id), '--json');
  t.match(JSON.parse(show.stdout), { id: booked.id, callId: 'b-1796040000.7', attemptLog: [] }, 'callbacks show: the request and its attempts');
  const report = await ivrctl(server.url, 'report', '--dp', 'demo-st', '--from', '2026-11-30', '--to', '2026-11-30', '--format', 'json');
  t.equal(report.code, 0, report.stderr);
  t.match(
    JSON.parse(report.stdout),
    [{ dp: 'demo-st', callsReceived: 1, callbackOffers: 1, bookings: 1, callbacksByStatus: { pending: 1 } }],
    "report: the day's figures from the shared records",
  );
  // a follow-up a node opened, closed by the sysadmin on the shared database
  records.followup({ dp: 'demo-st', unit: null, number: '0612000077', callId: 'b-1796040000.7', callbackId: booked.id, openedBy: 'st1', at });
  await records.flushed();
  const open = await ivrctl(server.url, 'followups', 'list', '--dp', 'demo-st', '--json');
  const [item] = JSON.parse(open.stdout) as Array<{ id: number; worklist: string; status: string }>;
  t.match(item, { worklist: 'operators', status: 'open' }, 'followups list: the open item');
  const closing = await ivrctl(server.url, 'followups', 'close', String(item!.id), '--outcome', 'richiamato', '--json');
  t.match(JSON.parse(closing.stdout), { id: item!.id, status: 'closed', outcome: 'richiamato' }, 'closed with what was done');
  const again = await ivrctl(server.url, 'followups', 'close', String(item!.id), '--outcome', 'x');
  t.match([again.code, again.stderr], [2, /^ivrctl: follow-up \d+ is already closed \(by .+\)\n$/], 'a second close: one line, exit 2');
  const none = await ivrctl(server.url, 'callbacks', 'show', '999999');
  t.same([none.code, none.stderr], [2, 'ivrctl: no callback 999999\n'], 'an unknown id: one line, exit 2');
});

t.test("cluster status: the nodes' leases and who serves each directorate now, from the shared database", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  const pool = openPostgres(server.url, { max: 1 });
  t.teardown(() => pool.end());
  const now = new Date();
  const leases = new PgNodeLeasesRepo();
  await pool.query('DELETE FROM node_leases');
  await leases.renew(pool, 'a', now, 60_000);
  await leases.renew(pool, 'b', new Date(now.getTime() - 120_000), 60_000); // ran out a minute ago
  const cluster = (...args: string[]): Promise<Run> =>
    ivrctlInProcess(args, { PATH: process.env.PATH, IVR_DB: server.url, IVR_STATE_DIR: state, IVR_CONFIG: path.join(root, 'test', 'fixtures', 'ivr-cluster.yaml') });
  const r = await cluster('cluster', 'status', '--json');
  t.equal(r.code, 0, r.stderr);
  t.match(
    JSON.parse(r.stdout),
    {
      nodes: [
        { id: 'a', address: '10.77.1.2', alive: true },
        { id: 'b', address: '10.77.2.2', alive: false },
      ],
      directorates: [
        { id: 'c-one', primary: 'a', servedBy: 'a' },
        { id: 'c-two', primary: 'b', servedBy: 'a' },
      ],
    },
    "b's lease ran out: a serves both directorates",
  );
  const text = await cluster('cluster', 'status');
  t.match(text.stdout, /c-two\s+b\s+a\s+0/, 'as a table');
  await pool.query("UPDATE node_leases SET expires_at = $1 WHERE node = 'a'", [new Date(now.getTime() - 1000).toISOString()]);
  t.match(JSON.parse((await cluster('cluster', 'status', '--json')).stdout), { directorates: [{ servedBy: null }, { servedBy: null }] }, 'no node alive: nobody serves');
  const noDb = await ivrctlInProcess(['cluster', 'status'], { PATH: process.env.PATH, IVR_STATE_DIR: state, IVR_CONFIG: path.join(root, 'test', 'fixtures', 'ivr-cluster.yaml') });
  t.same(
    [noDb.code, noDb.stderr],
    [2, "ivrctl: the cluster's state is in its shared database: set IVR_DB to its postgres:// URL\n"],
    'without the shared database: one line, exit 2',
  );
});

t.test("operators on PostgreSQL: the cluster's roster, added (checked against the configuration), listed and removed", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  const add = await ivrctl(server.url, 'operators', 'add', 'st7', '--dp', 'demo-st', '--role', 'staff', '--json');
  t.equal(add.code, 0, add.stderr);
  const made = JSON.parse(add.stdout) as { id: string; dp: string; password: string };
  t.match(made, { id: 'st7', dp: 'demo-st', role: 'staff', paused: false }, 'added');
  t.ok(made.password.length >= 12, 'with a generated password, shown once');
  t.notOk(add.stdout.includes('ha1'), 'never its digest');
  const dup = await ivrctl(server.url, 'operators', 'add', 'st7', '--dp', 'demo-st', '--role', 'staff');
  t.same([dup.code, dup.stderr], [2, 'ivrctl: operator "st7" already exists\n'], 'an id taken: one line, exit 2');
  const bad = await ivrctl(server.url, 'operators', 'add', 'sw7', '--dp', 'demo-st', '--role', 'switchboard');
  t.match([bad.code, bad.stderr], [2, /demo-st has no switchboard/], 'checked against the configuration as on one box');
  t.match(JSON.parse((await ivrctl(server.url, 'operators', 'list', '--json')).stdout), [{ id: 'st7' }], 'listed');
  const pool = openPostgres(server.url, { max: 1 });
  t.teardown(() => pool.end());
  const [row] = (await pool.query<{ ha1: string }>("SELECT ha1 FROM operators WHERE id = 'st7'")).rows;
  t.equal(row?.ha1, createHash('md5').update(`st7:ivr:${made.password}`).digest('hex'), 'the roster holds the digest of the password shown');
  t.equal((await ivrctl(server.url, 'operators', 'remove', 'st7')).code, 0, 'removed');
  t.same([(await ivrctl(server.url, 'operators', 'remove', 'st7')).code], [2], 'a second remove: exit 2');
  t.same(JSON.parse((await ivrctl(server.url, 'operators', 'list', '--json')).stdout), [], 'the roster is empty again');
});

t.test('console accounts on PostgreSQL: one account for every node; a new password or a removal ends its sessions there', async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  t.equal((await ivrctl(server.url, 'operators', 'add', 'st8', '--dp', 'demo-st', '--role', 'staff')).code, 0, 'an operator in the roster');
  const add = await ivrctl(server.url, 'users', 'add', 'verdi', '--role', 'operator', '--operator', 'st8', '--json');
  t.equal(add.code, 0, add.stderr);
  const made = JSON.parse(add.stdout) as { username: string; password: string };
  t.ok(made.password.length >= 12, 'a generated password, shown once');
  const unknown = await ivrctl(server.url, 'users', 'add', 'neri', '--role', 'operator', '--operator', 'nobody');
  t.same([unknown.code, unknown.stderr], [2, 'ivrctl: no operator "nobody" (ivrctl operators list)\n'], "checked against the cluster's roster");
  t.same([(await ivrctl(server.url, 'users', 'add', 'verdi', '--role', 'supervisor')).code], [2], 'a taken name: exit 2');
  t.match(JSON.parse((await ivrctl(server.url, 'users', 'list', '--json')).stdout), [{ username: 'verdi', role: 'operator', operator: 'st8' }], 'listed, without its hash');
  const pool = openPostgres(server.url, { max: 1 });
  t.teardown(() => pool.end());
  const [stored] = (await pool.query<{ password_hash: string }>("SELECT password_hash FROM console_users WHERE username = 'verdi'")).rows;
  t.match(stored?.password_hash, /^scrypt\$/, 'the shared table holds the scrypt hash');
  await pool.query("INSERT INTO console_sessions (token_hash, username, csrf, created_at, expires_at) VALUES ('h1', 'verdi', 'c', now(), now() + interval '1 hour')");
  const passwd = await ivrctl(server.url, 'users', 'passwd', 'verdi', '--json');
  t.equal(passwd.code, 0, passwd.stderr);
  t.same((await pool.query("SELECT 1 FROM console_sessions WHERE username = 'verdi'")).rows, [], "a new password ends the account's sessions on every node");
  t.equal((await ivrctl(server.url, 'users', 'remove', 'verdi')).code, 0, 'removed');
  t.same([(await ivrctl(server.url, 'users', 'remove', 'verdi')).code], [2], 'a second remove: exit 2');
  t.equal((await ivrctl(server.url, 'operators', 'remove', 'st8')).code, 0);
});

/** A node's state dir in the cluster mode: its own migrated ivr.db beside the shared database, and its secrets. */
function nodeStateDir(t: Test): string {
  const dir = path.dirname(migratedSqlite(t, 'ivrctl-node').name);
  ensureSecrets(dir);
  return dir;
}

const ivrctlNode = (dir: string, ...args: string[]): Promise<Run> =>
  ivrctlInProcess(args, { PATH: process.env.PATH, IVR_DB: server.url, IVR_STATE_DIR: dir, IVR_CONFIG: path.join(root, 'config', 'demo.yaml') });

t.test("status and jobs list on a node of the cluster: the node's own file, the cluster's pending callbacks", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  const dir = nodeStateDir(t);
  const pool = openPostgres(server.url, { max: 1 });
  t.teardown(() => pool.end());
  const [row] = (await pool.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM callbacks WHERE dp = 'demo-st' AND status IN ('pending', 'dialing')")).rows;
  t.ok(row!.n >= 1, 'the shared database has live requests at demo-st');
  const st = await ivrctlNode(dir, 'status', '--json');
  t.equal(st.code, 1, 'nothing of the node runs here: exit 1');
  const status = JSON.parse(st.stdout) as { directorates: Array<{ id: string; pendingCallbacks: number }>; problems: string[]; jobs: Array<{ name: string }> };
  t.equal(status.directorates.find((d) => d.id === 'demo-st')?.pendingCallbacks, row!.n, "the pending callbacks are the shared database's");
  t.notOk(
    status.problems.some((p) => /database/.test(p)),
    'both databases read',
  );
  t.ok(status.jobs.length > 0, "the jobs, from the node's own runs");
  const jobs = await ivrctlNode(dir, 'jobs', 'list', '--json');
  t.equal(jobs.code, 0, jobs.stderr);
  t.match(JSON.parse(jobs.stdout), [{ name: String }], "the node's jobs");
  const down = await ivrctlInProcess(['status', '--json'], {
    PATH: process.env.PATH,
    IVR_DB: 'postgres://ivr:x@127.0.0.1:9/ivr',
    IVR_STATE_DIR: dir,
    IVR_CONFIG: path.join(root, 'config', 'demo.yaml'),
  });
  t.match(
    JSON.parse(down.stdout).problems,
    [/^shared database: postgres:\/\/ivr:\*\*\*@127\.0\.0\.1:9\/ivr: .*ECONNREFUSED/],
    'a shared database that does not answer is a problem line; the rest is still checked',
  );
  t.notOk(existsSync(path.join(state, 'ivr.db')), 'no ivr.db made where there was none');
  const none = await ivrctl(server.url, 'jobs', 'list');
  t.same([none.code, none.stderr.startsWith(`ivrctl: no database at ${path.join(state, 'ivr.db')}`)], [1, true], 'a node without its own file yet: one line');
});

t.test("db purge on a node of the cluster: the shared records and the node's own file, recorded as the node's run", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  const dir = nodeStateDir(t);
  const pool = openPostgres(server.url, { max: 2 });
  t.teardown(() => pool.end());
  const records = new PostgresCallRecords(pool, new PostgresCallbackStore(pool), 'a');
  const old = new Date(Date.now() - 200 * 86_400_000);
  records.callStarted({ id: 'a-1780000000.1', dp: 'demo-st', caller: '0612000088', dialed: '0200000002', at: old });
  records.note({ number: '0612000088', dp: 'demo-st', callId: 'a-1780000000.1', author: 'sup', operator: null, info: null, text: 'dati personali', at: old });
  await records.closeCall('a-1780000000.1', old, 'completed', 16);
  const r = await ivrctlNode(dir, 'db', 'purge', '--days', '90');
  t.equal(r.code, 0, r.stderr);
  t.match(
    r.stdout,
    /^caller numbers masked in records before .* \(90 days\): calls 0, .*\nin the shared database: calls [1-9]\d*, .*notes [1-9]/,
    "the node's file, then the shared database",
  );
  t.match((await pool.query("SELECT caller FROM calls WHERE id = 'a-1780000000.1'")).rows, [{ caller: '0612******' }], 'the shared call masked');
  t.match((await pool.query("SELECT number, text FROM notes WHERE call_id = 'a-1780000000.1'")).rows, [{ number: '0612******', text: '' }], 'its note emptied');
  const jobs = JSON.parse((await ivrctlNode(dir, 'jobs', 'list', '--json')).stdout) as Array<{
    name: string;
    lastRun: { trigger: string; status: string; detail: { shared?: { masked: { calls: number } } } } | null;
  }>;
  t.match(
    jobs.find((j) => j.name === 'retention')?.lastRun,
    { trigger: 'manual', status: 'ok', detail: { shared: { masked: { calls: Number } } } },
    "recorded as the node's manual run, with what it masked in the shared database",
  );
});

t.test("db backup of the shared database: a pg_dump file, its owner's only, checked, holding the records; never over a file", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivrctl-pg-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'shared.dump');
  const r = await ivrctl(server.url, 'db', 'backup', target, '--json');
  t.equal(r.code, 0, r.stderr);
  const made = JSON.parse(r.stdout) as { file: string; bytes: number; schemaVersion: number; tables: number; format: string };
  t.match(made, { file: target, schemaVersion: latest, format: 'pg_dump custom' });
  t.ok(made.tables >= 15, `the tables' rows are in it (${made.tables} tables)`);
  t.equal(statSync(target).mode & 0o777, 0o600, "its owner's only");
  t.notOk(existsSync(`${target}.partial`), 'no partial file left');
  const password = new URL(server.url).password;
  t.notOk(`${r.stdout}${r.stderr}`.includes(password), 'the password is in no output');
  // what a restore would load, as SQL: the booked caller is in it
  const sql = await new Promise<string>((resolve, reject) =>
    execFile('pg_restore', ['--data-only', '--table=callbacks', '--file=-', target], { maxBuffer: 64 << 20 }, (e, out) => (e ? reject(e) : resolve(out))),
  );
  t.match(sql, /COPY .*callbacks .*FROM stdin;[\s\S]*0612000077/, "the callbacks' rows, with the booked caller");
  const again = await ivrctl(server.url, 'db', 'backup', target);
  t.same([again.code, again.stderr], [2, `ivrctl: ${target} already exists: choose a new file name\n`], 'never over an existing file');
});

t.test("operators pause with this node's controller down: the cluster's roster, which every node pulls", async (t) => {
  t.equal((await ivrctl(server.url, 'db', 'migrate')).code, 0);
  t.equal((await ivrctl(server.url, 'operators', 'add', 'st9', '--dp', 'demo-st', '--role', 'staff')).code, 0);
  const dir = nodeStateDir(t);
  const r = await ivrctlNode(dir, 'operators', 'pause', 'st9');
  t.same([r.code, r.stdout], [0, "operator st9 paused (this node's controller is not running: in the cluster's roster, every node follows)\n"], r.stderr);
  t.match(JSON.parse((await ivrctl(server.url, 'operators', 'list', '--json')).stdout), [{ id: 'st9', paused: true, pausedAt: String }], 'paused in the roster');
  t.same([(await ivrctlNode(dir, 'operators', 'resume', 'nobody')).code], [2], 'an unknown operator: exit 2');
  t.equal((await ivrctl(server.url, 'operators', 'remove', 'st9')).code, 0);
});

t.test('a PostgreSQL server that does not answer: one line naming it', async (t) => {
  const r = await ivrctl('postgres://ivr:secret@127.0.0.1:9/ivr', 'db', 'migrate');
  t.equal(r.code, 1);
  t.match(r.stderr, /^ivrctl: postgres:\/\/ivr:\*\*\*@127\.0\.0\.1:9\/ivr: .*ECONNREFUSED.*\n$/);
  t.notOk(r.stderr.includes('secret'));
});
