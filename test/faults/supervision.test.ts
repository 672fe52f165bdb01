// Nobody at the keyboard: processes that die come back by themselves, and a cut in the ARI
// connection leaves no caller in silence. Against the real stack started like `make up`:
// the controller under its supervisor, Asterisk in a container with the restart policy.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { wavDurationMs } from '../../controller/prompts/durations';
import { attemptsOf, callbackAgents, ok, TAKES } from '../integration/callback-agents';
import {
  agentReport,
  assertNothingLeft,
  callEvents,
  callIvr,
  eventually,
  healthJson,
  longestSilence,
  PBX_CONTAINER,
  PODMAN,
  query,
  run,
  SOUNDS_DIR,
  STATE_DIR,
  voicedBetween,
  waitForRow,
} from '../integration/harness';

const { book, phone, callee, confirms } = callbackAgents(48000);

t.test('kill -9 of the controller: its supervisor starts a new one, healthy within 5 s; a caller who books right after is called back', async (t) => {
  const before = await healthJson();
  t.equal(before.status, 200);
  t.equal(Number(readFileSync(path.join(STATE_DIR, 'controller.pid'), 'utf8')), before.pid, 'controller.pid names the running controller');
  const t0 = Date.now();
  process.kill(before.pid, 'SIGKILL');
  const after = await eventually(
    'a new healthy controller',
    async () => {
      const h = await healthJson().catch(() => undefined);
      return h && h.status === 200 && h.pid !== before.pid ? h : undefined;
    },
    5000,
  );
  const ms = Date.now() - t0;
  t.pass(`healthy again ${ms} ms after the kill, new pid ${after.pid}`);
  t.comment(`controller restart (kill -9 -> /healthz 200): ${ms} ms`);
  const log = readFileSync(path.join(STATE_DIR, 'log', 'controller.log'), 'utf8');
  t.match(log, /"name":"supervisor".*controller ended \(SIGKILL\); starting it again/, 'the supervisor logged the restart');

  const ani = '0613200001';
  const id = await book(t, ani);
  const caller = await callee([...confirms, { talk: 2000 }, { bye: true }]);
  const op = await phone('cb1', 5097, [...TAKES, { heard: 'it/op-outcome' }, { info: '1' }]);
  const rc = await caller.done;
  const ro = await op.stop();
  ok(t, rc, 'the caller was called back, pressed 1 and talked');
  ok(t, ro, 'the operator placed the callback and keyed the outcome');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [id]);
  t.match(attemptsOf(id), [{ operator: 'cb1', outcome: 'connected' }], 'one attempt, connected');
  await assertNothingLeft(t);
});

t.test('Asterisk killed: the container engine starts it again, the controller reconnects and serves the next call', async (t) => {
  const pid = (await run('podman', [...PODMAN, 'inspect', '-f', '{{.State.Pid}}', PBX_CONTAINER])).stdout.trim();
  t.match(pid, /^\d+$/, `Asterisk runs as host pid ${pid}`);
  const t0 = Date.now();
  process.kill(Number(pid), 'SIGKILL');
  await eventually('the controller sees ARI gone', async () => (await healthJson()).status === 503, 10_000);
  const back = await eventually('healthy again', async () => ((await healthJson()).status === 200 ? Date.now() : undefined), 60_000);
  t.pass(`Asterisk restarted and the controller reconnected ${back - t0} ms after the kill`);
  t.comment(`Asterisk restart (kill -9 -> /healthz 200): ${back - t0} ms`);
  const restarts = (await run('podman', [...PODMAN, 'inspect', '-f', '{{.RestartCount}}', PBX_CONTAINER])).stdout.trim();
  t.ok(Number(restarts) >= 1, `the container engine restarted it (restart count ${restarts})`);
  const r = await callIvr({ number: '0611000001', ani: '0613200002', rtpPort: 48500, steps: [{ heard: 'dp/t-open-welcome' }, { keys: '777' }] });
  t.equal(r.code, 0, 'the next call completes', { report: r.code === 0 ? undefined : agentReport(r) });
  await waitForRow('the call handled', "SELECT 1 AS ok FROM calls WHERE caller = '0613200002' AND end_reason = 'completed'");
  await assertNothingLeft(t);
});

t.test('the ARI websocket cut while a prompt ends: the caller is not left in silence', async (t) => {
  // the controller's connections to ARI are cut from shortly before the end of demo-st's
  // welcome (1.5 s, or half of it if shorter) to 2 s after, so the end of the prompt
  // (PlaybackFinished) falls in the gap
  const ani = '0613200003';
  const pending = callIvr({ number: '0200000002', ani, rtpPort: 48502, timeoutMs: 90_000, steps: [{ pause: 200 }] });
  const answered = await waitForRow<{ at: string }>('the call answered', 'SELECT answered_at AS at FROM calls WHERE caller = ? AND answered_at IS NOT NULL', [ani]);
  const welcomeMs = wavDurationMs(path.join(SOUNDS_DIR, 'dp', 'demo-st-welcome.wav')) ?? NaN;
  const welcomeEnd = Date.parse(answered.at) + welcomeMs;
  await new Promise((r) => setTimeout(r, Math.max(0, welcomeEnd - Math.min(1500, welcomeMs / 2) - Date.now())));
  const cutFrom = Date.now();
  let cuts = 0;
  while (Date.now() < welcomeEnd + 2000) {
    const r = await run('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', '8088'], { timeoutMs: 5000 });
    if (/ESTAB/.test(r.stdout)) cuts++;
    await new Promise((res) => setTimeout(res, 50));
  }
  const cutTo = Date.now();
  t.ok(cuts > 0, `the controller's ARI connections were cut ${cuts} times over ${cutTo - cutFrom} ms`);
  const r = await pending;
  t.equal(r.code, 0, 'the call went on to its end: the PBX hung up after the menus and the goodbye', { report: r.code === 0 ? undefined : agentReport(r) });
  const heardAfter = voicedBetween(r.rtp, cutTo);
  t.ok(heardAfter > 200, `the caller heard the menu after the cut (${heardAfter} voiced packets)`);
  // the menu waits 6 s for a key between its prompts: anything longer is silence we caused
  const silence = longestSilence(r.rtp, welcomeEnd, r.rtp.voicedAt[r.rtp.voicedAt.length - 1] ?? welcomeEnd);
  t.ok(silence < 9000, `the longest silence after the welcome was ${silence} ms`);
  const types = callEvents(ani).map((e) => e.type);
  t.ok(types.includes('no_input'), 'the menu ran its course (no input, goodbye)');
  t.equal(query('SELECT end_reason FROM calls WHERE caller = ?', ani).map((x) => (x as { end_reason: string }).end_reason)[0], 'completed');
  const h = await healthJson();
  t.equal(h.status, 200, 'the controller is connected again');
  await assertNothingLeft(t);
});
