// Benchmark: how long the controller's event loop is blocked (ivr_event_loop_delay_seconds,
// the lateness of a 20 ms timer: every prompt, key and timer of every call waits that long)
// while the heavy work runs during live calls: a year's report from the console (computed on
// the database worker thread) and the retention job over a million rows (chunked through the
// write queue), with 20 callers in the IVR. The same 20 calls without the heavy work give the
// baseline. Needs the test stack (test/bench/run.sh starts it). Prints p50/p99/max.
//   node dist/test/bench/loop-delay.js [history-events]
import path from 'node:path';
import Database from 'better-sqlite3';
import { healthJson, ivrctl, stack, STATE_DIR } from '../integration/harness';
import { writeCallerScenario } from '../integration/scenarios';
import { figure } from './figure';
import { sippLoad } from './load';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const EVENTS_PER_CALL = 10;
const LIVE_CALLS = 20;
const BASE = 'http://127.0.0.1:8080';
const day = 86_400_000;

async function metrics(): Promise<Record<string, number>> {
  const text = await (await fetch(`${BASE}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^ivr_event_loop_delay_seconds\{quantile="([\d.]+)"\} (\S+)/gm)) out[m[1]!] = Number(m[2]) * 1000;
  return out;
}

/** Old history in the test database: calls with events holding numbers, over the last year. */
function seedHistory(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const now = Date.now();
  const calls = Math.ceil(EVENTS / EVENTS_PER_CALL);
  const t0 = performance.now();
  db.transaction(() => {
    const call = db.prepare("INSERT INTO calls (id, dp, caller, dialed, started_at, ended_at, end_reason) VALUES (?, 't-fig', ?, '0611000005', ?, ?, 'completed')");
    const ev = db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)');
    for (let i = 0; i < calls; i++) {
      // from 360 to 100 days ago: inside a year's report, older than the 90 days of retention
      const at = new Date(now - (360 - (i / calls) * 260) * day).toISOString();
      const number = `06${String(10_000_000 + i).slice(-8)}`;
      call.run(`hist-${i}`, number, at, at);
      for (let e = 0; e < EVENTS_PER_CALL; e++)
        ev.run(`hist-${i}`, at, e % 2 ? 'dtmf' : 'number_typed', e % 2 ? JSON.stringify({ digit: '1' }) : JSON.stringify({ digits: `3${String(i).padStart(9, '0')}`, ok: true }));
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`history: ${calls} calls with ${calls * EVENTS_PER_CALL} events written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** 20 callers held in the IVR (offers repeated until the goodbye) for about `seconds`. */
async function liveCalls(seconds: number): Promise<void> {
  await sippLoad({
    id: `loop-${process.pid}-${Date.now()}`,
    scenario: '/scen/bench-live.xml',
    port: 5400,
    target: '0611000002',
    calls: Math.ceil((LIVE_CALLS * seconds) / 45),
    rate: 2,
    limit: LIVE_CALLS,
    timeoutS: seconds + 120,
    recvTimeoutMs: 120_000,
  });
}

async function login(): Promise<string> {
  const user = `bench${process.pid}`;
  const r = await ivrctl('users', 'add', user, '--role', 'supervisor', '--json');
  const { password } = JSON.parse(r.stdout) as { password: string };
  const res = await fetch(`${BASE}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=${user}&password=${encodeURIComponent(password)}`,
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error(`console login: ${res.status}`);
  return cookie;
}

async function main(): Promise<void> {
  writeCallerScenario('bench-live', [{ pause: 1500 }, { keys: '1' }], { load: true, waitByeMs: 120_000 });
  await stack('controller-stop');
  seedHistory(path.join(STATE_DIR, 'ivr.db'));
  const start = await stack('controller-start');
  if (start.code !== 0) throw new Error(`controller: ${start.stdout}${start.stderr}`);
  const cookie = await login();

  // baseline: the 20 calls alone; the summary covers the last minute
  const baseline = liveCalls(70);
  await new Promise((r) => setTimeout(r, 65_000));
  const idle = await metrics();
  await baseline;

  // the same calls with a year's report and the retention job at once
  const loaded = liveCalls(90);
  await new Promise((r) => setTimeout(r, 20_000));
  const from = new Date(Date.now() - 365 * day).toISOString().slice(0, 10);
  const to = new Date().toISOString().slice(0, 10);
  const t0 = performance.now();
  const [report, retention] = await Promise.all([
    fetch(`${BASE}/console/reports?from=${from}&to=${to}`, { headers: { cookie } }).then(async (r) => ({
      status: r.status,
      ms: performance.now() - t0,
      bytes: (await r.text()).length,
    })),
    ivrctl('jobs', 'run', 'retention', '--json').then((r) => ({ code: r.code, ms: performance.now() - t0, out: r.stdout })),
  ]);
  console.log(`a year's report: HTTP ${report.status}, ${report.bytes} bytes in ${(report.ms / 1000).toFixed(1)} s (database worker thread)`);
  console.log(`retention: exit ${retention.code} in ${(retention.ms / 1000).toFixed(1)} s: ${retention.out.trim().slice(0, 300)}`);
  await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (performance.now() - t0) - 20_000)));
  const busy = await metrics();
  await loaded;
  const health = await healthJson();
  console.log(`event-loop delay, 20 calls alone:           p50 ${idle['0.5']?.toFixed(1)} ms, p99 ${idle['0.99']?.toFixed(1)} ms, max ${idle['1']?.toFixed(1)} ms`);
  console.log(
    `event-loop delay, + year's report + retention: p50 ${busy['0.5']?.toFixed(1)} ms, p99 ${busy['0.99']?.toFixed(1)} ms, max ${busy['1']?.toFixed(1)} ms (controller pid ${health.pid}, healthz ${health.status})`,
  );
  figure(
    "event-loop delay p99, 20 calls + a year's report + retention over 1M rows",
    `${busy['0.99']?.toFixed(1)} ms (max ${busy['1']?.toFixed(0)} ms; ${idle['0.99']?.toFixed(1)} ms without them)`,
    '< 50 ms',
  );
  figure("a year's report in the console / retention over 1M rows", `${(report.ms / 1000).toFixed(1)} s / ${(retention.ms / 1000).toFixed(1)} s, off the event loop`, '');
}

main().catch((err: Error) => {
  console.error(`loop-delay bench: ${err.message}`);
  process.exit(1);
});
