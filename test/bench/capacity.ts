// Benchmarks against the real stack (test/bench/run.sh starts the test stack): the same short
// IVR (answer, welcome, menu, one digit, the "no operator / callback offer" prompts, the
// caller hangs up) served once by the controller (directorate t-empty, nobody registered)
// and once in pure dialplan (0699000002, written here into the bench-only context), in the
// same run, so their ratio means something on a noisy machine.
//  - capacity: calls placed N at a time (all started within 2 s), N raised until the first
//    failed call; the largest N with none failed, for each, and the ratio;
//  - latency: INVITE -> 200 OK p50/p99 at 5, 10 and 20 new calls per second, both ways;
//  - CPU per call at 10 calls/s: the controller's and its Asterisk's (/proc: user + system), and
//    pure dialplan's Asterisk: how many cores a node uses when its one controller process is
//    the limit;
//  - memory: the controller's RSS before, at the peak of the largest clean level, and after;
//    then a soak (IVR_BENCH_SOAK_MINUTES, default 10) of steady calls, RSS sampled each 10 s:
//    the growth from the end of the first minute to the end; and what it retains: its heap
//    after a forced full GC (through its inspector) at the end of minute 1 and at the end.
//    RSS grows with V8's heap sizing under load even when nothing is retained per call.
//   node dist/test/bench/capacity.js [max-level]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PBX_CONTAINER, PODMAN, STATE_DIR, pbxCli } from '../integration/harness';
import { writeCallerScenario } from '../integration/scenarios';
import { figure, percentile } from './figure';
import { loadStats, sippLoad } from './load';

const MAX = Number(process.argv[2] ?? 3000);
const LEVELS = [10, 25, 50, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000].filter((n) => n <= MAX);
const SOAK_MINUTES = Number(process.env.IVR_BENCH_SOAK_MINUTES ?? 10);
const TARGETS = { controller: '0611000002', dialplan: '0699000002' } as const;

const BENCH_DIALPLAN = `; written by test/bench/capacity.ts: the controller's short IVR in pure dialplan
exten => 0699000002,1,Goto(ivr-bench-menu,s,1)

[ivr-bench-menu]
exten => s,1,Answer()
 same => n,Set(CHANNEL(language)=it)
 same => n,Playback(\${SOUNDS}/dp/t-empty-welcome)
 same => n,Background(\${SOUNDS}/it/menu-main)
 same => n,WaitExten(5)
exten => 1,1,Playback(\${SOUNDS}/it/no-operator-online&\${SOUNDS}/it/offer-callback)
 same => n,Hangup(16)
`;

let seq = 0;
/** One SIPp run in the agents container: `calls` calls at `rate` per second, at most `limit` at once. */
async function load(target: string, calls: number, rate: number, limit: number): Promise<{ ok: number; failed: number; rtts: number[]; peak: number }> {
  const id = `bench-${process.pid}-${++seq}`;
  const res = await sippLoad({
    id,
    scenario: '/scen/bench-caller.xml',
    port: 5300,
    target,
    calls,
    rate,
    limit,
    timeoutS: Math.max(120, Math.ceil(calls / rate) + 120),
    recvTimeoutMs: 15_000,
    extra: ['-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-trace_err'],
    graceS: 30,
  });
  return loadStats(id, calls, res.code);
}

// the bench never restarts the controller: found once, not by a pgrep every RSS sample
let pid: number | undefined;
const controllerPid = (): number => (pid ??= Number(execFileSync('pgrep', ['-f', 'dist/controller/main.js']).toString().trim().split('\n')[0]));

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms) */
function cpuMs(p: number): number {
  const f = readFileSync(`/proc/${p}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime and stime, fields 14 and 15
}
/** Asterisk: the main process of its container */
const asteriskPid = (): number =>
  Number(
    execFileSync('podman', [...PODMAN, 'inspect', '-f', '{{.State.Pid}}', PBX_CONTAINER])
      .toString()
      .trim(),
  );

function controllerRssMb(): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${controllerPid()}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/**
 * What the controller retains: its heap after a full garbage collection, and its RSS right
 * after, through its inspector (SIGUSR1 opens it on 127.0.0.1:9229; Chrome DevTools Protocol
 * over the WebSocket of Node 20's --experimental-websocket). RSS alone mostly shows V8 sizing
 * its heap to the load, which it gives back when collected.
 */
async function retainedMemory(): Promise<{ heapMb: number; rssMb: number }> {
  const list = async (): Promise<Array<{ webSocketDebuggerUrl: string }>> =>
    (await fetch('http://127.0.0.1:9229/json/list', { signal: AbortSignal.timeout(1000) })).json() as Promise<Array<{ webSocketDebuggerUrl: string }>>;
  let targets = await list().catch(() => []);
  if (targets.length === 0) {
    process.kill(controllerPid(), 'SIGUSR1');
    for (let i = 0; i < 50 && targets.length === 0; i++) targets = await new Promise((r) => setTimeout(r, 100)).then(list).catch(() => []);
  }
  if (targets.length === 0) throw new Error("the controller's inspector did not open on 127.0.0.1:9229");
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let seq = 0;
  const send = (method: string, params: Record<string, unknown> = {}): Promise<{ result?: { result?: { value?: string } } }> =>
    new Promise((resolve) => {
      const id = ++seq;
      ws.addEventListener('message', function onMessage(e: MessageEvent) {
        const msg = JSON.parse(String(e.data)) as { id?: number };
        if (msg.id !== id) return;
        ws.removeEventListener('message', onMessage);
        resolve(msg as never);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('HeapProfiler.collectGarbage');
    const r = await send('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())' });
    const m = JSON.parse(r.result!.result!.value!) as { heapUsed: number; rss: number };
    return { heapMb: m.heapUsed / 1048576, rssMb: m.rss / 1048576 };
  } finally {
    ws.close();
  }
}

async function main(): Promise<void> {
  // welcome + menu, "1" (a digit takes 440 ms), the offer for 3 s, hang up
  writeCallerScenario('bench-caller', [{ pause: 2500 }, { keys: '1' }, { pause: 3060 }, { hangup: true }], { load: true });
  writeFileSync(path.join(STATE_DIR, 'asterisk', 'extensions-bench.conf'), BENCH_DIALPLAN);
  await pbxCli('dialplan reload');
  const check = await pbxCli('dialplan show 0699000002@ivr-bench');
  if (!/0699000002/.test(check)) throw new Error(`the bench dialplan did not load: ${check}`);

  const rssBefore = controllerRssMb();
  let rssPeak = rssBefore;
  let rssAt200 = NaN;
  const capacity: Record<string, number> = {};
  const upAtOnce: Record<string, number> = {};
  for (const [name, target] of Object.entries(TARGETS)) {
    capacity[name] = 0;
    for (const n of LEVELS) {
      let levelPeak = 0;
      const sampler = name === 'controller' ? setInterval(() => (levelPeak = Math.max(levelPeak, controllerRssMb())), 250) : undefined;
      const r = await load(target, n, Math.max(5, Math.ceil(n / 2)), n);
      if (sampler) clearInterval(sampler);
      if (name === 'controller' && n === 200) rssAt200 = levelPeak;
      process.stdout.write(`  ${name} ${n} at once: ${r.ok} ok, ${r.failed} failed (at most ${r.peak} up at the same second)\n`);
      if (r.failed > 0 || r.ok < n) break;
      capacity[name] = n;
      upAtOnce[name] = r.peak;
      rssPeak = Math.max(rssPeak, levelPeak); // at the largest level with none failed
    }
  }
  const latency: string[] = [];
  const latencyFigures: Array<[string, string]> = [];
  // the CPU each process spends per call, in the 10 calls/s run of each way: what bounds a node
  const cpu: Record<string, { controller: number; asterisk: number; calls: number }> = {};
  const astPid = asteriskPid();
  for (const rate of [5, 10, 20]) {
    const row: string[] = [];
    for (const [name, target] of Object.entries(TARGETS)) {
      const before = { controller: cpuMs(controllerPid()), asterisk: cpuMs(astPid) };
      const r = await load(target, rate * 10, rate, 400);
      if (rate === 10) cpu[name] = { controller: cpuMs(controllerPid()) - before.controller, asterisk: cpuMs(astPid) - before.asterisk, calls: r.ok };
      row.push(`${name} p50 ${percentile(r.rtts, 50).toFixed(1)} ms p99 ${percentile(r.rtts, 99).toFixed(1)} ms${r.failed ? ` (${r.failed} failed)` : ''}`);
    }
    latency.push(`  INVITE -> 200 at ${rate} calls/s: ${row.join(' | ')}`);
    latencyFigures.push([
      `INVITE -> 200 OK at ${rate} calls/s, p50 / p99: controller; pure dialplan`,
      row.map((x) => x.replace(/^\w+ p50 ([\d.]+) ms p99 ([\d.]+) ms/, '$1 / $2 ms')).join('; '),
    ]);
  }
  const rssAfter = controllerRssMb();

  // soak: about 20 calls at once (3 new per second, 7 s each) for the whole time
  const samples: Array<[number, number]> = [];
  const soakStart = Date.now();
  const sampler = setInterval(() => samples.push([(Date.now() - soakStart) / 60_000, controllerRssMb()]), 10_000);
  const soakLoad = SOAK_MINUTES > 0 ? load(TARGETS.controller, Math.round(3 * 60 * SOAK_MINUTES), 3, 100) : Promise.resolve({ ok: 0, failed: 0, rtts: [], peak: 0 });
  // retained memory at the end of the first minute and at the end, the load still running
  let retainedWarm: { heapMb: number; rssMb: number } | undefined;
  let retainedEnd: { heapMb: number; rssMb: number } | undefined;
  if (SOAK_MINUTES > 0) {
    await new Promise((r) => setTimeout(r, 60_000));
    retainedWarm = await retainedMemory();
    await new Promise((r) => setTimeout(r, Math.max(0, SOAK_MINUTES * 60_000 - 75_000)));
    retainedEnd = await retainedMemory();
  }
  const soak = await soakLoad;
  clearInterval(sampler);
  console.log(`capacity (same short IVR, calls at once with none failed; levels ${LEVELS.join(', ')}):`);
  console.log(
    `  controller ${capacity.controller}, pure dialplan ${capacity.dialplan}, ratio ${(capacity.controller! / Math.max(1, capacity.dialplan!)).toFixed(2)} (target >= 0.95)`,
  );
  console.log(`latency:\n${latency.join('\n')}`);
  figure(
    'capacity: calls at once with none failed, controller / pure dialplan',
    `${capacity.controller} / ${capacity.dialplan} (ratio ${(capacity.controller! / Math.max(1, capacity.dialplan!)).toFixed(2)}; at most ${upAtOnce.controller} / ${upAtOnce.dialplan} up in the same second)`,
    `ratio >= 0.95 (levels up to ${LEVELS.at(-1)})`,
  );
  for (const l of latencyFigures) figure(l[0], l[1]);
  {
    const per = (ms: number, calls: number): number => ms / Math.max(1, calls);
    const c = cpu.controller!;
    const d = cpu.dialplan!;
    const ctl = per(c.controller, c.calls);
    const ast = per(c.asterisk, c.calls);
    // where one controller process fills its core, Asterisk uses ast / ctl cores for the same calls
    const cores = 1 + ast / Math.max(0.01, ctl);
    console.log(
      `CPU per call (100 calls at 10/s): controller ${ctl.toFixed(1)} ms + its Asterisk ${ast.toFixed(1)} ms; pure dialplan's Asterisk ${per(d.asterisk, d.calls).toFixed(1)} ms (the controller meanwhile ${per(d.controller, d.calls).toFixed(1)} ms)`,
    );
    console.log(
      `  a node uses about ${cores.toFixed(1)} cores when its single controller process is the limit (${(1000 / Math.max(0.01, ctl)).toFixed(0)} new calls/s of this IVR)`,
    );
    figure(
      'CPU per call: controller / its Asterisk (pure dialplan Asterisk)',
      `${ctl.toFixed(1)} / ${ast.toFixed(1)} ms (${per(d.asterisk, d.calls).toFixed(1)} ms); one controller process fills a core at ~${(1000 / Math.max(0.01, ctl)).toFixed(0)} calls/s, the node then using ~${cores.toFixed(1)} cores`,
    );
  }
  figure('controller RSS at 200 calls at once (peak)', `${rssAt200.toFixed(0)} MB`, '< 150 MB');
  figure(`controller RSS at ${capacity.controller} calls at once (peak)`, `${rssPeak.toFixed(0)} MB`);
  console.log(
    `controller RSS: ${rssBefore.toFixed(0)} MB before, ${rssPeak.toFixed(0)} MB peak (${capacity.controller} calls at once), ${rssAfter.toFixed(0)} MB after (target < 150 MB at 200 calls)`,
  );
  if (SOAK_MINUTES > 0) {
    const warm = samples.find(([m]) => m >= 1)?.[1] ?? samples[0]?.[1] ?? NaN;
    const end = samples.at(-1)?.[1] ?? NaN;
    figure(
      `controller RSS growth over a ${SOAK_MINUTES}-minute soak (~20 calls at once)`,
      `${(((end - warm) / warm) * 100).toFixed(1)} % (${warm.toFixed(0)} -> ${end.toFixed(0)} MB, ${soak.failed} calls failed)`,
      '< 10 %',
    );
    if (retainedWarm && retainedEnd) {
      const growth = ((retainedEnd.heapMb - retainedWarm.heapMb) / retainedWarm.heapMb) * 100;
      figure(
        `controller heap retained after a full GC, minute 1 -> end of the soak (RSS right after the GC)`,
        `${growth.toFixed(1)} % (${retainedWarm.heapMb.toFixed(1)} -> ${retainedEnd.heapMb.toFixed(1)} MB; RSS ${retainedWarm.rssMb.toFixed(0)} -> ${retainedEnd.rssMb.toFixed(0)} MB)`,
        '< 10 % (no leak)',
      );
      console.log(
        `retained after a full GC: heap ${retainedWarm.heapMb.toFixed(1)} -> ${retainedEnd.heapMb.toFixed(1)} MB (${growth.toFixed(1)} %), RSS then ${retainedWarm.rssMb.toFixed(0)} -> ${retainedEnd.rssMb.toFixed(0)} MB`,
      );
    }
    console.log(
      `soak ${SOAK_MINUTES} min at ~20 calls at once: ${soak.ok} calls ok, ${soak.failed} failed; RSS ${warm.toFixed(0)} MB after 1 min, ${end.toFixed(0)} MB at the end: growth ${(((end - warm) / warm) * 100).toFixed(1)} % (target < 10 %)`,
    );
  }
}

main().catch((err: Error) => {
  console.error(`capacity bench: ${err.message}`);
  process.exit(1);
});
