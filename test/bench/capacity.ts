// Benchmarks against the real stack (test/bench/run.sh starts the test stack): the same short
// IVR (answer, welcome, menu, one digit, the "no operator / callback offer" prompts, the
// caller hangs up) served once by the controller (directorate t-empty, nobody registered)
// and once in pure dialplan (0699000002, written here into the bench-only context), in the
// same run, so their ratio means something on a noisy machine.
//  - capacity: calls placed N at a time (all started within 2 s), N raised until the first
//    failed call; the largest N with none failed, for each, and the ratio;
//  - latency: INVITE -> 200 OK p50/p99 at 5, 10 and 20 new calls per second, both ways;
//  - memory: the controller's RSS before, at the peak of the largest clean level, and after.
//   node dist/test/bench/capacity.js [max-level]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PODMAN, STATE_DIR, AGENTS_CONTAINER, pbxCli, run, TRUNK_IP } from '../integration/harness';
import { writeLoadCallerScenario } from '../integration/scenarios';

const MAX = Number(process.argv[2] ?? 300);
const LEVELS = [10, 25, 50, 75, 100, 150, 200, 250, 300, 400].filter((n) => n <= MAX);
const TARGETS = { controller: '0611000002', dialplan: '0699000002' } as const;

const BENCH_DIALPLAN = `; written by test/bench/capacity.ts: the controller's short IVR in pure dialplan
exten => 0699000002,1,Answer()
 same => n,Set(CHANNEL(language)=it)
 same => n,Playback(\${SOUNDS}/dp/t-empty-welcome)
 same => n,Read(CHOICE,\${SOUNDS}/it/menu-main,1,,1,5)
 same => n,Playback(\${SOUNDS}/it/no-operator-online&\${SOUNDS}/it/offer-callback)
 same => n,Hangup(16)
`;

let seq = 0;
/** One SIPp run in the agents container: `calls` calls at `rate` per second, at most `limit` at once. */
async function load(target: string, calls: number, rate: number, limit: number): Promise<{ ok: number; failed: number; rtts: number[] }> {
  const id = `bench-${process.pid}-${++seq}`;
  const dir = `/tmp/sipp-logs/${id}`;
  mkdirSync(`${STATE_DIR}/sipp-logs/${id}`, { recursive: true });
  const res = await run(
    'podman',
    [...PODMAN, 'exec', '-w', dir, AGENTS_CONTAINER, 'sipp', '127.0.0.1:5060', '-sf', '/scen/bench-caller.xml', '-i', TRUNK_IP, '-p', '5300', '-mi', TRUNK_IP,
      '-min_rtp_port', '30000', '-max_rtp_port', '39998', '-s', target, '-m', String(calls), '-r', String(rate), '-l', String(limit), '-nostdin',
      '-timeout', '120s', '-recv_timeout', '15000', '-trace_stat', '-trace_rtt', '-rtt_freq', '1', '-trace_err'],
    { timeoutMs: 150_000 },
  );
  const files = readdirSync(`${STATE_DIR}/sipp-logs/${id}`);
  const stat = files.find((f) => f.endsWith('_.csv') || (f.includes('bench-caller') && f.endsWith('.csv') && !f.includes('rtt')));
  let ok = 0;
  let failed = calls;
  if (stat) {
    const lines = readFileSync(path.join(`${STATE_DIR}/sipp-logs/${id}`, stat), 'utf8').trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines.at(-1)!.split(';');
    ok = Number(last[head.indexOf('SuccessfulCall(C)')]);
    failed = Number(last[head.indexOf('FailedCall(C)')]);
  }
  const rttFile = files.find((f) => f.includes('rtt'));
  const rtts = rttFile
    ? readFileSync(path.join(`${STATE_DIR}/sipp-logs/${id}`, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[2])).filter((x) => Number.isFinite(x))
    : [];
  if (res.code !== 0 && failed === 0) failed = Math.max(1, calls - ok);
  return { ok, failed, rtts };
}

const pct = (xs: number[], p: number): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]! : NaN);

function controllerRssMb(): number {
  const pid = execFileSync('pgrep', ['-f', 'dist/controller/main.js']).toString().trim().split('\n')[0]!;
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function main(): Promise<void> {
  writeLoadCallerScenario('bench-caller', { keys: '1', beforeKeysMs: 2500, afterKeysMs: 3500 });
  writeFileSync(path.join(STATE_DIR, 'asterisk', 'extensions-bench.conf'), BENCH_DIALPLAN);
  await pbxCli('dialplan reload');
  const check = await pbxCli('dialplan show 0699000002@ivr-bench');
  if (!/0699000002/.test(check)) throw new Error(`the bench dialplan did not load: ${check}`);

  const rssBefore = controllerRssMb();
  let rssPeak = rssBefore;
  const capacity: Record<string, number> = {};
  for (const [name, target] of Object.entries(TARGETS)) {
    capacity[name] = 0;
    for (const n of LEVELS) {
      const sampler = name === 'controller' ? setInterval(() => (rssPeak = Math.max(rssPeak, controllerRssMb())), 250) : undefined;
      const r = await load(target, n, Math.max(5, Math.ceil(n / 2)), n);
      if (sampler) clearInterval(sampler);
      process.stdout.write(`  ${name} ${n} at once: ${r.ok} ok, ${r.failed} failed\n`);
      if (r.failed > 0 || r.ok < n) break;
      capacity[name] = n;
    }
  }
  const latency: string[] = [];
  for (const rate of [5, 10, 20]) {
    const row: string[] = [];
    for (const [name, target] of Object.entries(TARGETS)) {
      const r = await load(target, rate * 10, rate, 400);
      row.push(`${name} p50 ${pct(r.rtts, 50).toFixed(0)} ms p99 ${pct(r.rtts, 99).toFixed(0)} ms${r.failed ? ` (${r.failed} failed)` : ''}`);
    }
    latency.push(`  INVITE -> 200 at ${rate} calls/s: ${row.join(' | ')}`);
  }
  const rssAfter = controllerRssMb();
  console.log(`capacity (same short IVR, calls at once with none failed; levels ${LEVELS.join(', ')}):`);
  console.log(`  controller ${capacity.controller}, pure dialplan ${capacity.dialplan}, ratio ${(capacity.controller! / Math.max(1, capacity.dialplan!)).toFixed(2)} (target >= 0.95)`);
  console.log(`latency:\n${latency.join('\n')}`);
  console.log(`controller RSS: ${rssBefore.toFixed(0)} MB before, ${rssPeak.toFixed(0)} MB peak (${capacity.controller} calls at once), ${rssAfter.toFixed(0)} MB after`);
}

main().catch((err: Error) => {
  console.error(`capacity bench: ${err.message}`);
  process.exit(1);
});
