// The Prometheus metrics as Prometheus reads them, the statement timing, and the masking of
// caller numbers in log lines.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskNumbers } from '../../controller/logging';
import { Metrics } from '../../controller/monitoring/metrics';
import { instrumentDatabase, migrate, openDatabase, readMigrations } from '../../controller/storage/database';

const root = path.resolve(__dirname, '..', '..', '..');

t.test('metrics: counters and histograms per directorate, gauges read when scraped', async (t) => {
  let pending: Record<string, number> = { 'demo-sw': 2 };
  const m = new Metrics({
    ariConnected: () => true,
    activeCalls: () => 3,
    activeAttempts: () => 1,
    pendingByDp: () => pending,
    operatorStates: async () => [
      { dp: 'demo-sw', state: 'libero' },
      { dp: 'demo-sw', state: 'libero' },
      { dp: 'demo-st', state: 'in chiamata' },
    ],
    directorates: ['demo-sw', 'demo-st'],
    today: () => [{ dp: 'demo-sw', callsReceived: 7, bookings: 2 } as never],
    inService: () => ['demo-st'],
    oldestDue: () => ({ 'demo-sw': new Date(Date.now() - 600_000).toISOString() }),
    jobs: () => [
      { job: 'backup', lastOkAt: '2026-11-28T02:00:05.000Z', lastFailed: true },
      { job: 'retention', lastOkAt: null, lastFailed: false },
    ],
  });
  m.callEnded('demo-sw', 'answered');
  m.callEnded('demo-sw', 'booked');
  m.callEnded('demo-sw', 'booked');
  m.answeredAfter('demo-sw', 3);
  m.attemptEnded('demo-st', 'no_answer');
  m.ariReconnected();
  m.jobRun('backup', 'failed');
  const text = await m.registry.metrics();
  const line = (s: string): void => void t.ok(text.split('\n').includes(s), s);
  line('ivr_calls_total{dp="demo-sw",result="answered"} 1');
  line('ivr_calls_total{dp="demo-sw",result="booked"} 2');
  line('ivr_calls_total{dp="demo-st",result="abandoned"} 0');
  line('ivr_rings_before_answer_bucket{le="3",dp="demo-sw"} 1');
  line('ivr_rings_before_answer_bucket{le="2",dp="demo-sw"} 0');
  line('ivr_callback_attempts_total{dp="demo-st",outcome="no_answer"} 1');
  line('ivr_ari_reconnects_total 1');
  line('ivr_job_runs_total{job="backup",status="failed"} 1');
  line('ivr_callbacks_pending{dp="demo-sw"} 2');
  line('ivr_callbacks_pending{dp="demo-st"} 0');
  line('ivr_operators{dp="demo-sw",state="free"} 2');
  line('ivr_operators{dp="demo-st",state="in_call"} 1');
  // a state nobody is in is still exported, so that a dashboard and an alert see a 0
  line('ivr_operators{dp="demo-sw",state="unregistered"} 0');
  line('ivr_operators{dp="demo-st",state="paused"} 0');
  t.notMatch(text, /state="[^"]*[^a-z_"][^"]*"/, 'operator states are English snake_case');
  line('ivr_active_calls 3');
  line('ivr_today_calls_received{dp="demo-sw"} 7');
  line('ivr_today_bookings{dp="demo-sw"} 2');
  line('ivr_today_bookings{dp="demo-st"} 0');
  t.notMatch(text, /^ivr_today\{/m, 'no catch-all ivr_today{figure} any more');
  line('ivr_directorate_in_service{dp="demo-st"} 1');
  line('ivr_directorate_in_service{dp="demo-sw"} 0');
  const overdue = Number(/^ivr_callbacks_overdue_seconds\{dp="demo-sw"\} (\S+)$/m.exec(text)?.[1]);
  t.ok(overdue >= 599 && overdue < 660, `demo-sw's oldest request is 600 s past due (${overdue})`);
  line('ivr_callbacks_overdue_seconds{dp="demo-st"} 0');
  line(`ivr_job_last_success_timestamp_seconds{job="backup"} ${Date.parse('2026-11-28T02:00:05.000Z') / 1000}`);
  t.notMatch(text, /ivr_job_last_success_timestamp_seconds\{job="retention"\}/, 'no timestamp for a job that never succeeded');
  line('ivr_job_last_run_failed{job="backup"} 1');
  line('ivr_job_last_run_failed{job="retention"} 0');
  t.match(text, /^process_cpu_user_seconds_total \d/m, 'process metrics');
  pending = {};
  t.ok((await m.registry.metrics()).includes('ivr_callbacks_pending{dp="demo-sw"} 0'), 'a gauge is read at each scrape');
});

t.test('metrics: a gauge whose source cannot be read drops out of that scrape, counted; the scrape and the other metrics go on', async (t) => {
  let reachable = false;
  const m = new Metrics({
    ariConnected: () => true,
    activeCalls: () => 1,
    activeAttempts: () => 0,
    // the cluster's shared database unreachable
    pendingByDp: async () => {
      if (!reachable) throw new Error('connect ECONNREFUSED 10.77.0.1:5432');
      return { 'demo-sw': 4 };
    },
    operatorStates: async () => [],
    directorates: ['demo-sw'],
    today: () => [],
  });
  const text = await m.registry.metrics();
  t.match(text, /^ivr_active_calls 1$/m, 'the scrape answers, with the other metrics');
  t.notMatch(text, /^ivr_callbacks_pending\{/m, 'no pending series in this scrape: never a stale or made-up 0');
  // the counter is rendered beside the gauges, so the next scrape shows this one's failure
  reachable = true;
  const again = await m.registry.metrics();
  t.match(again, /^ivr_metric_read_failures_total\{metric="ivr_callbacks_pending"\} 1$/m, 'the failure counted');
  t.match(again, /^ivr_callbacks_pending\{dp="demo-sw"\} 4$/m, 'back once the source answers');
  t.match(await m.registry.metrics(), /^ivr_metric_read_failures_total\{metric="ivr_callbacks_pending"\} 1$/m, 'and not counted again');
});

t.test('statement latency: every run, get and all is timed by kind', async (t) => {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-m-')), 'x.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const seen: string[] = [];
  instrumentDatabase(db, (op, s) => {
    t.ok(s >= 0 && s < 1);
    seen.push(op);
  });
  db.prepare("INSERT INTO meta (key, value) VALUES ('a', 'b')").run();
  db.prepare('SELECT value FROM meta WHERE key = ?').get('a');
  t.equal(db.prepare('SELECT value FROM meta').pluck().all().length, 1, 'statements still work (pluck too)');
  db.prepare("UPDATE meta SET value = 'c'").run();
  t.same(seen, ['insert', 'select', 'select', 'update']);
  const again = db.prepare('SELECT value FROM meta WHERE key = ?');
  t.equal(again, db.prepare('SELECT value FROM meta WHERE key = ?'), 'a statement is prepared once per SQL text');
  t.same(again.get('a'), { value: 'c' }, 'and the cached one reads the current data');
  t.same(seen.slice(4), ['select'], 'still timed');
});

t.test('log lines: caller numbers masked, other fields untouched', async (t) => {
  t.same(maskNumbers({ caller: '0612345678', number: '3471234567', dp: 'demo-sw', channelId: '1764.12' }), {
    caller: '0612******',
    number: '3471******',
    dp: 'demo-sw',
    channelId: '1764.12',
  });
  t.same(maskNumbers({ caller: null, attempt: 2 }), { caller: null, attempt: 2 });
});
