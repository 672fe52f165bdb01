// The scheduled jobs, each on a real SQLite file with a controlled clock: the instant a job
// runs for is passed in, so "Friday 13:00 in Rome" or "the night after" are exact.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { buildJobs, jobPlan } from '../../controller/jobs/catalog';
import { closeWindow, windowEndCrons } from '../../controller/jobs/close-window';
import { figuresOfFile, writeDailyReports } from '../../controller/jobs/daily-report';
import { backupName, nightlyBackup } from '../../controller/jobs/nightly-backup';
import { maskOldNumbers } from '../../controller/jobs/retention';
import { backupDatabase } from '../../controller/storage/backup';
import { JobRunner, type Job, type JobOutcome } from '../../controller/jobs/runner';
import { JobScheduler, nodeCronDriver, type CronDriver } from '../../controller/jobs/schedule';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations, type Db } from '../../controller/storage/database';
import { JobRunsRepo } from '../../controller/storage/job-runs-repo';

const root = path.resolve(__dirname, '..', '..', '..');
const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

function tempDb(): { db: Db; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-jobs-'));
  const db = openDatabase(path.join(dir, 'ivr.db'));
  migrate(db, readMigrations(path.join(root, 'db')), () => new Date('2026-11-20T08:00:00Z'));
  return { db, dir };
}

const config = (callbackExtra = '') =>
  parseConfig(
    `
directorates:
  - id: office
    name: Ufficio
    numbers: ["0611000001"]
    case: switchboard
    ringsBeforeCallback: 2
    hours:
      timezone: Europe/Rome
      weekly: { mon: "09:00-13:00", tue: "09:00-13:00", wed: "09:00-13:00", thu: ["09:00-13:00", "14:30-16:00"], fri: "09:00-13:00" }
    callback: { validityDays: 3${callbackExtra} }
  - id: allday
    name: Sempre aperto
    numbers: ["0611000002"]
    case: staff
    ringsBeforeCallback: 2
    hours:
      timezone: Europe/Rome
      weekly: { mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00" }
      nationalHolidays: false
jobs:
  backup: { keep: 2 }
`,
    'test.yaml',
  );

function book(db: Db, o: { dp?: string; number: string; requestedAt: string; dueAt?: string; expiresAt: string; status?: string }): number {
  const row = db
    .prepare(`INSERT INTO callbacks (dp, number, language, status, requested_at, due_at, expires_at, updated_at) VALUES (?, ?, 'it', ?, ?, ?, ?, ?) RETURNING id`)
    .get(o.dp ?? 'office', o.number, o.status ?? 'pending', o.requestedAt, o.dueAt ?? o.requestedAt, o.expiresAt, o.requestedAt) as { id: number };
  return row.id;
}

t.test('window ends become cron slots, a 24:00 end is midnight of the next day', async (t) => {
  const cfg = config();
  t.same(windowEndCrons(cfg.directorates[0]!), ['0 13 * * 1,2,3,4,5', '0 16 * * 4']);
  t.same(windowEndCrons(cfg.directorates[1]!), ['0 0 * * 0,1,2,3,4,5,6']);
  t.same(
    jobPlan(cfg).map((j) => [j.name, j.timezone]),
    [
      ['close-window:office', 'Europe/Rome'],
      ['close-window:allday', 'Europe/Rome'],
      ['daily-report', 'Europe/Rome'],
      ['backup', 'Europe/Rome'],
      ['retention', 'Europe/Rome'],
    ],
  );
});

t.test('close of window: requests not reached wait for the next window, or expire when their validity ends first', async (t) => {
  const { db } = tempDb();
  const repo = new CallbacksRepo(db);
  const dp = config().directorates[0]!;
  // Friday 27 November 2026, 13:00 in Rome; the next window is Monday 30th 09:00 (08:00Z)
  const friClose = new Date('2026-11-27T12:00:00Z');
  const stays = book(db, { number: '0612000001', requestedAt: '2026-11-27T09:00:00Z', expiresAt: '2026-11-30T09:00:00Z' });
  const retryAfterClose = book(db, { number: '0612000002', requestedAt: '2026-11-27T10:00:00Z', dueAt: '2026-11-27T12:05:00Z', expiresAt: '2026-11-30T10:00:00Z' });
  const tooLate = book(db, { number: '0612000003', requestedAt: '2026-11-25T09:00:00Z', expiresAt: '2026-11-28T09:00:00Z' });
  const later = book(db, { number: '0612000004', requestedAt: '2026-11-27T11:00:00Z', dueAt: '2026-12-01T09:00:00Z', expiresAt: '2026-12-02T11:00:00Z' });
  const dialing = book(db, { number: '0612000005', requestedAt: '2026-11-27T11:00:00Z', expiresAt: '2026-11-30T11:00:00Z', status: 'dialing' });
  const other = book(db, { dp: 'allday', number: '0612000006', requestedAt: '2026-11-27T11:00:00Z', expiresAt: '2026-11-30T11:00:00Z' });

  const r = closeWindow(dp, repo, friClose);
  t.equal(r.nextWindow, '2026-11-30T08:00:00.000Z', 'Monday 09:00 in Rome');
  t.same(r.carriedOver, [stays, retryAfterClose]);
  t.same(r.expired, [tooLate]);
  t.match(repo.get(stays), { status: 'pending', dueAt: '2026-11-30T08:00:00.000Z', carriedOver: 1 });
  t.match(repo.get(retryAfterClose), { status: 'pending', dueAt: '2026-11-30T08:00:00.000Z', carriedOver: 1 }, 'a retry due after closing is carried too');
  t.match(repo.get(tooLate), { status: 'expired', closedReason: 'validity ends before the next service window' });
  t.match(repo.get(later), { status: 'pending', dueAt: '2026-12-01T09:00:00Z', carriedOver: 0 }, 'a request rescheduled further ahead keeps its time');
  t.match(repo.get(dialing), { status: 'dialing', carriedOver: 0 }, 'a request being dialled is left to its attempt');
  t.match(repo.get(other), { status: 'pending', carriedOver: 0 }, 'another directorate is not touched');

  const again = closeWindow(dp, repo, new Date('2026-11-27T12:01:00Z'));
  t.same([again.carriedOver, again.expired], [[], []], 'a second run (e.g. a manual one) finds nothing more to do');

  // Thursday: the 13:00 close carries to the afternoon window of the same day
  const thu = book(db, { number: '0612000007', requestedAt: '2026-12-03T11:00:00Z', expiresAt: '2026-12-06T11:00:00Z' });
  t.equal(closeWindow(dp, repo, new Date('2026-12-03T12:00:00Z')).nextWindow, '2026-12-03T13:30:00.000Z');
  t.match(repo.get(thu), { dueAt: '2026-12-03T13:30:00.000Z' });
});

t.test('close of window with atClose: expire ends the requests not reached; back-to-back windows carry nothing', async (t) => {
  const { db } = tempDb();
  const repo = new CallbacksRepo(db);
  const cfg = config(', atClose: expire');
  const a = book(db, { number: '0612000001', requestedAt: '2026-11-27T09:00:00Z', expiresAt: '2026-11-30T09:00:00Z' });
  const r = closeWindow(cfg.directorates[0]!, repo, new Date('2026-11-27T12:00:00Z'));
  t.same(r.expired, [a]);
  t.match(repo.get(a), { status: 'expired', closedReason: 'not reached before the service window closed' });

  const b = book(db, { dp: 'allday', number: '0612000002', requestedAt: '2026-11-27T22:00:00Z', expiresAt: '2026-11-30T09:00:00Z' });
  const midnight = closeWindow(cfg.directorates[1]!, repo, new Date('2026-11-27T23:00:00Z'));
  t.same([midnight.carriedOver, midnight.expired], [[], []]);
  t.match(repo.get(b), { status: 'pending', carriedOver: 0 });
});

t.test('retention masks numbers of old records only; requests still waiting keep theirs', async (t) => {
  const { db, dir } = tempDb();
  const cfg = config();
  const now = new Date('2026-11-26T03:00:00Z');
  const old = '2026-08-01T10:00:00.000Z'; // 117 days before
  const recent = '2026-11-01T10:00:00.000Z';
  db.prepare(
    "INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES ('c-old', 'office', '0612345678', '0611000001', ?), ('c-new', 'office', '0612345678', '0611000001', ?), ('c-anon', 'office', NULL, '0611000001', ?)",
  ).run(old, recent, old);
  db.prepare(
    `INSERT INTO call_events (call_id, at, type, data) VALUES
    ('c-old', ?, 'booked', '{"id":1,"number":"0612345678","position":1}'),
    ('c-old', ?, 'number_typed', '{"digits":"3331234567","ok":true}'),
    ('c-old', ?, 'menu', '{"menu":"main","digit":"1"}'),
    ('c-new', ?, 'booked', '{"id":2,"number":"0612345678","position":1}')`,
  ).run(old, old, old, recent);
  const closedOld = book(db, { number: '0612345678', requestedAt: old, expiresAt: '2026-08-04T10:00:00.000Z', status: 'done' });
  const liveOld = book(db, { number: '3331234567', requestedAt: old, expiresAt: '2026-12-01T10:00:00.000Z', status: 'pending' });
  const recentDone = book(db, { number: '0699999999', requestedAt: recent, expiresAt: '2026-11-04T10:00:00.000Z', status: 'failed' });
  db.prepare(
    "INSERT INTO outcomes (dp, number, kind, official, code, label, at) VALUES ('office', '0612345678', 'operator', 'sw1', '1', 'informazioni', ?), ('office', '0612345678', 'operator', 'sw1', '1', 'informazioni', ?)",
  ).run(old, recent);

  db.prepare(
    "INSERT INTO notes (number, dp, author, text, at) VALUES ('0612345678', 'office', 'rossi', 'chiede del rimborso', ?), ('0612345678', 'office', 'rossi', 'richiamato', ?)",
  ).run(old, recent);
  const job = buildJobs({ config: cfg, db, stateDir: dir, now: () => now }).find((j) => j.name === 'retention')!;
  const r = (await job.run(now)) as { cutoff: string; masked: Record<string, number> };
  t.equal(r.cutoff, '2026-08-28T03:00:00.000Z', '90 days before');
  t.same(r.masked, { calls: 1, callEvents: 2, callbacks: 1, outcomes: 1, notes: 1, audit: 0, followups: 0 });
  const col = (sql: string): unknown[] => db.prepare(sql).pluck().all();
  t.same(col('SELECT caller FROM calls ORDER BY id'), [null, '0612345678', '0612******'], 'c-anon, c-new, c-old');
  t.same(col('SELECT data FROM call_events ORDER BY id'), [
    '{"id":1,"number":"0612******","position":1}',
    '{"digits":"3331******","ok":true}',
    '{"menu":"main","digit":"1"}',
    '{"id":2,"number":"0612345678","position":1}',
  ]);
  t.same(
    col('SELECT number FROM callbacks ORDER BY id'),
    ['0612******', '3331234567', '0699999999'],
    `closed old ${closedOld} masked, live ${liveOld} and recent ${recentDone} kept`,
  );
  t.same(col('SELECT number FROM outcomes ORDER BY id'), ['0612******', '0612345678']);
  t.same(col('SELECT number FROM notes ORDER BY id'), ['0612******', '0612345678'], 'notes too');
  t.same(col('SELECT text FROM notes ORDER BY id'), ['', 'richiamato'], "the old note's text is gone, its topic would stay");
  t.same(
    ((await job.run(now)) as { masked: Record<string, number> }).masked,
    { calls: 0, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0, audit: 0, followups: 0 },
    'idempotent',
  );
});

t.test('retention works in bounded chunks from a watermark: a nightly run reads what is new, a waiting request is masked once closed', async (t) => {
  const { db } = tempDb();
  const now = new Date('2026-11-26T03:00:00Z');
  const day = 86_400_000;
  const insCall = db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at) VALUES (?, 'office', ?, '0611000001', ?)");
  const insEvent = db.prepare("INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, 'number_typed', ?)");
  // 1,200 old calls (over two chunks of 500), each with an event holding a typed number
  db.transaction(() => {
    for (let i = 0; i < 1200; i++) {
      const at = new Date(now.getTime() - (200 - i / 20) * day).toISOString();
      insCall.run(`old-${i}`, `061200${String(i).padStart(4, '0')}`, at);
      insEvent.run(`old-${i}`, at, JSON.stringify({ digits: `333000${String(i).padStart(4, '0')}` }));
    }
  })();
  const live = book(db, {
    number: '3331112222',
    requestedAt: new Date(now.getTime() - 120 * day).toISOString(),
    expiresAt: new Date(now.getTime() + day).toISOString(),
    status: 'pending',
  });
  const closedAfter = book(db, {
    number: '3331113333',
    requestedAt: new Date(now.getTime() - 110 * day).toISOString(),
    expiresAt: new Date(now.getTime() - 100 * day).toISOString(),
    status: 'failed',
  });
  const chunks: string[] = [];
  const step = async <T>(what: string, write: () => T): Promise<T> => {
    chunks.push(what);
    return db.transaction(write).immediate();
  };
  const first = await maskOldNumbers(db, 90, now, step);
  t.same(first.masked, { calls: 1200, callEvents: 1200, callbacks: 1, outcomes: 0, notes: 0, audit: 0, followups: 0 });
  t.equal(chunks.filter((c) => c === 'retention:calls').length, 3, '1,200 calls in three transactions of at most 500 rows');
  t.equal(db.prepare("SELECT COUNT(*) FROM calls WHERE caller NOT LIKE '%*'").pluck().get(), 0);
  t.equal(db.prepare("SELECT COUNT(*) FROM call_events WHERE data NOT LIKE '%*%'").pluck().get(), 0);
  t.same(
    db.prepare('SELECT number FROM callbacks ORDER BY id').pluck().all(),
    ['3331112222', '3331******'],
    `the waiting request ${live} keeps its number, the closed one after it (${closedAfter}) is masked`,
  );

  // the next night: one new old-enough call; the walk starts after the watermark
  insCall.run('next', '0612999999', new Date(now.getTime() - 91 * day).toISOString());
  chunks.length = 0;
  const reads: number[] = [];
  const seen = db.prepare('SELECT value FROM meta WHERE key = ?');
  reads.push(Number(seen.pluck().get('retention_watermark:calls')));
  const second = await maskOldNumbers(db, 90, new Date(now.getTime() + day), step);
  t.same(second.masked, { calls: 1, callEvents: 0, callbacks: 0, outcomes: 0, notes: 0, audit: 0, followups: 0 });
  t.equal(reads[0], 1200, 'the calls watermark stood at the last masked row');
  t.equal(chunks.filter((c) => c === 'retention:calls').length, 1, 'one chunk for one new row');

  // the waiting request is closed: the next run masks it
  db.prepare("UPDATE callbacks SET status = 'done' WHERE id = ?").run(live);
  const third = await maskOldNumbers(db, 90, new Date(now.getTime() + day), step);
  t.same(third.masked.callbacks, 1);
  t.same(db.prepare('SELECT number FROM callbacks ORDER BY id').pluck().all(), ['3331******', '3331******']);
});

t.test('nightly backup: named after its local time, checked, rotated to the newest N; a failed copy leaves no file and removes nothing', async (t) => {
  const { db, dir } = tempDb();
  const out = path.join(dir, 'backups');
  db.prepare("INSERT INTO operators (id, dp, role, ha1, created_at, updated_at) VALUES ('sw1', 'office', 'switchboard', 'x', 'a', 'a')").run();
  t.equal(backupName(new Date('2026-11-26T01:30:00Z'), 'Europe/Rome'), 'ivr-20261126-0230.db');
  t.equal(backupName(new Date('2026-07-01T00:30:00Z'), 'Europe/Rome'), 'ivr-20260701-0230.db', 'summer time');
  const nights = ['2026-11-24T01:30:00Z', '2026-11-25T01:30:00Z', '2026-11-26T01:30:00Z'];
  for (const n of nights) await nightlyBackup((target) => backupDatabase(db, target), out, 2, new Date(n), 'Europe/Rome');
  t.same(readdirSync(out).sort(), ['ivr-20261125-0230.db', 'ivr-20261126-0230.db'], 'the oldest was rotated away');
  const copy = openDatabase(path.join(out, 'ivr-20261126-0230.db'), { readonly: true });
  t.same(copy.prepare('SELECT id FROM operators').pluck().all(), ['sw1'], 'the copy has the rows');
  copy.close();
  t.match(await nightlyBackup((target) => backupDatabase(db, target), out, 2, new Date(nights[2]!), 'Europe/Rome'), { skipped: /exists/ }, 'the same slot twice is done once');

  db.close();
  await t.rejects(
    nightlyBackup((target) => backupDatabase(db, target), out, 2, new Date('2026-11-27T01:30:00Z'), 'Europe/Rome'),
    'a closed database cannot be copied',
  );
  t.same(readdirSync(out).sort(), ['ivr-20261125-0230.db', 'ivr-20261126-0230.db'], 'no partial file, nothing rotated');
});

t.test('daily report: the missing days of the last week, CSV + JSON per directorate, never before the database existed', async (t) => {
  const { db, dir } = tempDb();
  const cfg = config();
  const out = path.join(dir, 'reports');
  // a call on 25 Nov at 00:30 Rome time (24 Nov 23:30Z) belongs to the 25th
  db.prepare(
    "INSERT INTO calls (id, dp, caller, dialed, started_at, ended_at, end_reason) VALUES ('c1', 'office', '0612345678', '0611000001', '2026-11-24T23:30:00.000Z', '2026-11-24T23:31:00.000Z', 'completed')",
  ).run();
  const slot = new Date('2026-11-26T23:15:00Z'); // 00:15 of 27 Nov in Rome
  const r = await writeDailyReports(figuresOfFile(db), cfg.directorates, out, { slot, timezone: 'Europe/Rome', catchUpDays: 10, since: new Date('2026-11-23T10:00:00Z') });
  t.same(r.days, ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'], 'from the day the database was created to yesterday');
  t.equal(r.written.length, 4 * 2 * 2);
  const day25 = JSON.parse(readFileSync(path.join(out, '2026-11-25', 'office.json'), 'utf8')) as Array<{ dp: string; callsReceived: number }>;
  t.match(day25, [{ dp: 'office', callsReceived: 1 }]);
  const day24 = JSON.parse(readFileSync(path.join(out, '2026-11-24', 'office.json'), 'utf8')) as Array<{ callsReceived: number }>;
  t.equal(day24[0]!.callsReceived, 0, 'the call is on its local day, not the UTC one');
  const csv = readFileSync(path.join(out, '2026-11-25', 'office.csv'), 'utf8');
  t.ok(csv.startsWith('\uFEFFdp,from,to,metric,label,label_it,value\r\n'), 'UTF-8 with BOM and a header');
  t.match(csv, /office,2026-11-25,2026-11-25,callsReceived,[^\r\n]*,1\r\n/);

  t.same(
    (await writeDailyReports(figuresOfFile(db), cfg.directorates, out, { slot, timezone: 'Europe/Rome', catchUpDays: 10, since: new Date('2026-11-23T10:00:00Z') })).written,
    [],
    'nothing rewritten',
  );
  rmSync(path.join(out, '2026-11-25', 'allday.json'));
  t.same(
    (await writeDailyReports(figuresOfFile(db), cfg.directorates, out, { slot, timezone: 'Europe/Rome', catchUpDays: 10, since: new Date('2026-11-23T10:00:00Z') })).written.map(
      (f) => path.relative(out, f),
    ),
    ['2026-11-25/allday.json', '2026-11-25/allday.csv'],
    'a missing day is made up at the next slot',
  );
});

function slowJob(name: string, gate: Promise<void>, log: string[]): Job {
  return { name, description: name, crons: ['0 3 * * *'], timezone: 'Europe/Rome', run: async () => (log.push('ran'), await gate, { done: true }) };
}

t.test('runner: each run recorded; a failure is reported and the next run goes ahead; two runs of one job never overlap', async (t) => {
  const { db } = tempDb();
  const repo = new JobRunsRepo(db);
  const seen: JobOutcome[] = [];
  const runner = new JobRunner(
    repo,
    quiet,
    () => new Date('2026-11-26T02:00:00Z'),
    (o) => seen.push(o),
  );
  let fail = true;
  const flaky: Job = {
    name: 'flaky',
    description: '',
    crons: ['0 3 * * *'],
    timezone: 'Europe/Rome',
    run: () => {
      if (fail) throw new Error('disk full');
      return { ok: 1 };
    },
  };
  t.match(await runner.run(flaky, 'schedule', new Date('2026-11-26T02:00:00Z')), { status: 'failed', error: 'disk full' });
  fail = false;
  t.match(await runner.run(flaky, 'schedule', new Date('2026-11-27T02:00:00Z')), { status: 'ok', detail: { ok: 1 } });
  t.same(
    repo.history('flaky', 5).map((r) => [r.status, r.slot, r.trigger, r.detail]),
    [
      ['ok', '2026-11-27T02:00:00.000Z', 'schedule', '{"ok":1}'],
      ['failed', '2026-11-26T02:00:00.000Z', 'schedule', '{"error":"disk full"}'],
    ],
  );
  t.same(
    seen.map((o) => o.status),
    ['failed', 'ok'],
    'each outcome reported (metrics, logs)',
  );

  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const log: string[] = [];
  const first = runner.run(slowJob('slow', gate, log), 'schedule');
  const second = await runner.run(slowJob('slow', gate, log), 'manual');
  t.match(second, { status: 'skipped', reason: new RegExp(`pid ${process.pid}`) }, 'the second is refused while the first runs');
  release();
  t.match(await first, { status: 'ok' });
  t.same(log, ['ran'], 'the work ran once');
});

t.test('runner: the lock holds across processes; a run left by a dead process is closed as interrupted', async (t) => {
  const { db, dir } = tempDb();
  const other = openDatabase(path.join(dir, 'ivr.db'));
  // another process holds the lock: a live child's pid stands for it
  const child = spawn('sleep', ['30']);
  const exited = new Promise((r) => child.once('exit', r));
  other
    .prepare("INSERT INTO job_runs (job, trigger, slot, host, pid, started_at, status) VALUES ('backup', 'schedule', 'x', ?, ?, '2026-11-26T01:30:00Z', 'running')")
    .run(os.hostname(), child.pid);
  const runner = new JobRunner(new JobRunsRepo(db), quiet, () => new Date('2026-11-26T02:00:00Z'));
  const job: Job = { name: 'backup', description: '', crons: [], timezone: 'Europe/Rome', run: () => 'copied' };
  t.match(await runner.run(job, 'manual'), { status: 'skipped', reason: new RegExp(`pid ${child.pid}`) });
  child.kill('SIGKILL');
  await exited;
  t.match(await runner.run(job, 'manual'), { status: 'ok', detail: 'copied' });
  t.same(
    new JobRunsRepo(db).history('backup', 5).map((r) => r.status),
    ['ok', 'interrupted'],
  );
  other.close();
});

t.test('scheduler: every slot runs the job; a failed slot is retried by the next one; each slot shows as the last run', async (t) => {
  const { db } = tempDb();
  const slots: Array<(slot: Date) => Promise<void>> = [];
  const driver: CronDriver = { schedule: (_e, _tz, _n, fire) => (slots.push(fire), { stop: () => {}, nextRun: () => new Date('2026-11-27T02:00:00Z') }) };
  let calls = 0;
  const job: Job = {
    name: 'backup',
    description: '',
    crons: ['30 2 * * *'],
    timezone: 'Europe/Rome',
    run: (slot) => {
      calls++;
      if (calls === 1) throw new Error('no space');
      return { slot: slot.toISOString() };
    },
  };
  const sched = new JobScheduler([job], new JobRunner(new JobRunsRepo(db), quiet, () => new Date()), driver);
  sched.start();
  t.equal(slots.length, 1);
  await slots[0]!(new Date('2026-11-25T01:30:00Z'));
  t.match(new JobRunsRepo(db).latest(), [{ last: { status: 'failed', detail: '{"error":"no space"}' }, lastOk: undefined }]);
  await slots[0]!(new Date('2026-11-26T01:30:00Z'));
  t.match(new JobRunsRepo(db).latest(), [{ last: { status: 'ok', slot: '2026-11-26T01:30:00.000Z', trigger: 'schedule' } }]);
  t.same(
    sched.list().map((j) => [j.name, j.nextRun]),
    [['backup', '2026-11-27T02:00:00.000Z']],
  );
  sched.stop();
});

t.test('scheduler on node-cron: a per-second slot fires the job in its time zone and stops when asked', async (t) => {
  const { db } = tempDb();
  let done!: () => void;
  const twice = new Promise<void>((r) => (done = r));
  const fired: Date[] = [];
  const job: Job = {
    name: 'tick',
    description: '',
    crons: ['* * * * * *'],
    timezone: 'Europe/Rome',
    run: (slot) => {
      fired.push(slot);
      if (fired.length === 2) done();
      return null;
    },
  };
  const sched = new JobScheduler([job], new JobRunner(new JobRunsRepo(db), quiet, () => new Date()), nodeCronDriver(quiet));
  sched.start();
  t.ok(sched.list()[0]!.nextRun, 'a next run is known');
  await twice;
  sched.stop();
  t.equal(fired[1]!.getTime() - fired[0]!.getTime(), 1000, 'consecutive slots, one second apart');
  t.same(
    new JobRunsRepo(db)
      .history('tick', 10)
      .map((r) => r.trigger)
      .slice(0, 2),
    ['schedule', 'schedule'],
  );
});

t.test('a job built from the config writes where the state dir says', async (t) => {
  const { db, dir } = tempDb();
  const jobs = buildJobs({ config: config(), db, stateDir: dir, now: () => new Date('2026-11-26T01:30:00Z') });
  const backup = jobs.find((j) => j.name === 'backup')!;
  await backup.run(new Date('2026-11-26T01:30:00Z'));
  t.ok(existsSync(path.join(dir, 'backups', 'ivr-20261126-0230.db')));
  mkdirSync(path.join(dir, 'reports'), { recursive: true });
  writeFileSync(path.join(dir, 'reports', 'keep.txt'), 'x');
  const report = jobs.find((j) => j.name === 'daily-report')!;
  const r = (await report.run(new Date('2026-11-26T23:15:00Z'))) as { days: string[] };
  t.same(
    r.days,
    ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'],
    'the last 7 days (catchUpDays default), the database was created on the 20th',
  );
});
