// Running a directorate day to day, with real SIP agents (t-ops, 0611000006): the config
// reloaded while a caller talks with an operator (the call goes on; the next caller gets the
// new menu and its office), a bad file refused over SIGHUP, an extraordinary closure (the
// message, the callback after it, reopening), and a real softphone (baresip, RFC 4733) as the
// operator who answers an inbound call, transfers it to the office and keys the outcome,
// while the office's official hangs up without a code ("not recorded").
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  agentReport,
  assertNothingLeft,
  asteriskLog,
  callEvents,
  callIvr,
  cue,
  ivrctl,
  query,
  SOUNDS_DIR,
  TEST_CONFIG,
  startPhone,
  STATE_DIR,
  eventually,
  ari,
  waitForRow,
} from './harness';
import { writeAnsweringScenario } from './scenarios';
import { Softphone } from './softphone';

const OPS = '0611000006';
const PASS = { ops1: 'Passw0rd-ops1-x', bs1: 'Passw0rd-bs1-xx', tu1: 'Passw0rd-tu1-xx' } as const;
let rtp = 46000;
const nextRtp = (): number => (rtp += 2);
let seq = 0;
const original = readFileSync(TEST_CONFIG, 'utf8');
const metric = async (name: string): Promise<number> => {
  const text = await (await fetch('http://127.0.0.1:8080/metrics')).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};
const supervisorPid = (): number => Number(readFileSync(path.join(STATE_DIR, 'supervisor.pid'), 'utf8').trim());

/** t-ops' block of the test config with some fields changed */
const withOps = (edit: (block: string) => string): string => {
  const start = original.indexOf('  - id: t-ops');
  const end = original.indexOf('\noperators:');
  return original.slice(0, start) + edit(original.slice(start, end)) + original.slice(end);
};

t.before(async () => {
  for (const [id, role] of [
    ['ops1', 'staff'],
    ['bs1', 'staff'],
    ['tu1', 'unit'],
  ] as const) {
    const r = await ivrctl('operators', 'add', id, '--dp', 't-ops', '--role', role, ...(role === 'unit' ? ['--unit', 'contenzioso'] : []), '--password', PASS[id]);
    if (r.code !== 0) throw new Error(`operators add ${id}: ${r.stderr}`);
  }
});
t.teardown(async () => {
  writeFileSync(TEST_CONFIG, original);
  await ivrctl('config', 'reload');
  await ivrctl('dp', 'open', 't-ops');
});

t.test('config reload while a caller talks with an operator: the call goes on, the next caller gets the new menu and its office', async (t) => {
  const op = await startPhone({
    id: 'ops1',
    password: PASS.ops1,
    port: 5161,
    rtpPort: nextRtp(),
    rxScenario: writeAnsweringScenario(`ops1-${++seq}`, { answerAfterMs: 800, steps: [{ voice: true }] }),
    holdMs: 30_000,
  });
  const talker = '0613600001';
  // the caller talks until the test has checked the reload made meanwhile, then hangs up
  const talking = callIvr({ number: OPS, ani: talker, rtpPort: nextRtp(), steps: [{ heard: 'dp/t-ops-welcome' }, { keys: '1' }, { cue: `${talker} reloaded` }, { hangup: true }] });
  await waitForRow('the caller talking with ops1', "SELECT 1 AS ok FROM calls WHERE caller = ? AND answered_by = 'ops1'", [talker], 20_000);

  writeFileSync(
    TEST_CONFIG,
    withOps((b) =>
      b
        .replace('ringsBeforeCallback: 2', 'ringsBeforeCallback: 3')
        .replace('welcome: { it: "Benvenuti.",', 'welcome: { it: "Benvenuti al servizio di prova.",')
        .replace('    callback:', '    menu: [{ key: "2", unit: contenzioso }]\n    callback:'),
    ),
  );
  const t0 = Date.now();
  const reload = await ivrctl('config', 'reload');
  const tookMs = Date.now() - t0;
  t.equal(reload.code, 0, `reloaded in ${tookMs} ms`, { stderr: reload.stderr });
  // how many are built depends on what an earlier run left in the sounds: the texts tell
  t.match(reload.stdout, /reloaded; changed: t-ops \(ringsBeforeCallback, menu, welcome\); prompts built: [1-9]/, 'what changed, and prompts built');
  const spoken = (p: string): string => readFileSync(path.join(SOUNDS_DIR, `${p}.txt`), 'utf8');
  t.equal(spoken('dp/t-ops-menu-offices'), 'Ufficio contenzioso: prema 2.', 'the office menu prompt, Italian');
  t.equal(spoken('dp/t-ops-menu-offices-en'), 'Ufficio contenzioso: press 2.', 'and English');
  t.ok(existsSync(path.join(SOUNDS_DIR, 'dp', 't-ops-menu-offices.wav')), 'with its audio');
  t.match(query('SELECT ended_at FROM calls WHERE caller = ?', talker), [{ ended_at: null }], 'the conversation was still going when the reload finished');
  cue(`${talker} reloaded`);

  const r = await talking;
  t.equal(r.code, 0, 'the caller talked on and hung up itself', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(query('SELECT answered_by, end_reason FROM calls WHERE caller = ?', talker), [{ answered_by: 'ops1', end_reason: 'caller_hangup' }]);
  t.ok(r.rtp.voicedBytes > 8000, `the caller heard the operator throughout (${r.rtp.voicedBytes} voiced bytes)`);

  const logFrom = asteriskLog().length;
  const next = '0613600002';
  // "2" once the new office is announced
  const b = await callIvr({
    number: OPS,
    ani: next,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-ops-menu-offices' }, { keys: '2' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  t.equal(b.code, 0, 'the next caller chose the new office and booked', { report: b.code === 0 ? undefined : agentReport(b) });
  t.match(callEvents(next).find((e) => e.type === 'menu')?.data, { digit: '2', unit: 'contenzioso' });
  t.match(
    query("SELECT callback_group AS 'group', status FROM callbacks WHERE number = ?", next),
    [{ group: 'unit:contenzioso', status: 'pending' }],
    "the request is the new office's",
  );
  const heard = asteriskLog().slice(logFrom);
  t.match(heard, /sounds\/dp\/t-ops-welcome\./, 'the welcome played');
  t.match(heard, /sounds\/dp\/t-ops-menu-offices\./, 'the menu offered the office');
  t.equal(spoken('dp/t-ops-welcome'), 'Benvenuti al servizio di prova.', 'the welcome was re-synthesized from the new text');
  await op.stop();
  await assertNothingLeft(t);
});

t.test('a bad file is refused (ivrctl names the field; over SIGHUP the running config is kept); SIGHUP applies a good one', async (t) => {
  const refusedBefore = await metric('ivr_config_reloads_total{result="refused"}');
  const appliedBefore = await metric('ivr_config_reloads_total{result="applied"}');
  writeFileSync(
    TEST_CONFIG,
    withOps((b) => b.replace(/ringsBeforeCallback: \d/, 'ringsBeforeCallback: 0')),
  );
  const bad = await ivrctl('config', 'reload');
  t.equal(bad.code, 2, 'exit 2');
  t.match(bad.stderr, /^ivrctl: .*ivr-test\.yaml: directorates\[\d+\]\.ringsBeforeCallback: .*\n$/, 'one line naming the field');
  process.kill(supervisorPid(), 'SIGHUP');
  await eventually('the SIGHUP reload refused', async () => (await metric('ivr_config_reloads_total{result="refused"}')) === refusedBefore + 1, 15_000);
  t.equal(await metric('ivr_config_reloads_total{result="applied"}'), appliedBefore, 'nothing applied');
  const ok = await fetch('http://127.0.0.1:8080/healthz');
  t.equal(ok.status, 200, 'the controller goes on');

  writeFileSync(TEST_CONFIG, original);
  process.kill(supervisorPid(), 'SIGHUP');
  await eventually('the SIGHUP reload applied', async () => (await metric('ivr_config_reloads_total{result="applied"}')) === appliedBefore + 1, 60_000);
  // the office is gone from the menu again: 2 is an invalid choice
  const ani = '0613600003';
  const r = await callIvr({ number: OPS, ani, rtpPort: nextRtp(), steps: [{ heard: 'it/menu-main' }, { keys: '2' }, { heard: 'it/invalid-choice' }, { hangup: true }] });
  t.equal(r.code, 0, 'called', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(callEvents(ani).find((e) => e.type === 'invalid_key')?.data, { menu: 'main', digit: '2' }, 'the original menu is back');
});

/** "YYYY-MM-DD HH:MM" in Rome, `ms` from now */
const romeIn = (ms: number): string => {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(new Date(Date.now() + ms))
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
};

t.test('extraordinary closure: the message, then a callback booked for after it; dp open brings the menu back', async (t) => {
  const close = await ivrctl('dp', 'close', 't-ops', '--until', romeIn(2 * 3600_000), '--message', 'Gli uffici sono chiusi per una prova di evacuazione.', '--json');
  t.equal(close.code, 0, close.stderr);
  const c = JSON.parse(close.stdout) as { closure: { id: number; endsAt: string; offerCallback: boolean; createdBy: string }; message: { built: boolean } };
  t.match(c, { closure: { offerCallback: true, createdBy: /^ivrctl:/ }, message: { built: true } }, "closed, the message built, the callback offered (the directorate's default)");
  t.equal(readFileSync(path.join(SOUNDS_DIR, 'dp', `t-ops-closure-${c.closure.id}.txt`), 'utf8'), 'Gli uffici sono chiusi per una prova di evacuazione.');
  const list = JSON.parse((await ivrctl('dp', 'list', '--json')).stdout) as Array<{ dp: string; state: string; until: string | null }>;
  t.match(
    list.find((x) => x.dp === 't-ops'),
    { state: 'closed', until: c.closure.endsAt },
  );
  t.equal(await metric('ivr_directorate_closed{dp="t-ops"}'), 1, 'the metric shows the closure');

  const logFrom = asteriskLog().length;
  const ani = '0613600004';
  const r = await callIvr({ number: OPS, ani, rtpPort: nextRtp(), steps: [{ heard: 'it/offer-callback' }, { keys: '1' }] });
  t.equal(r.code, 0, 'heard the closure, booked, the PBX said goodbye', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(callEvents(ani).find((e) => e.type === 'closure')?.data, { closure: c.closure.id }, 'the call met the closure');
  const heard = asteriskLog().slice(logFrom);
  t.match(heard, new RegExp(`sounds/dp/t-ops-closure-${c.closure.id}\\.`), 'the closure message played');
  t.notMatch(heard, /sounds\/it\/menu-main\./, 'no menu');
  const [row] = query<{ due_at: string; status: string }>('SELECT due_at, status FROM callbacks WHERE number = ?', ani);
  t.match(row, { status: 'pending' });
  t.equal(new Date(row!.due_at).toISOString(), c.closure.endsAt, 'due when the closure ends (t-ops is open around the clock)');

  const open = await ivrctl('dp', 'open', 't-ops');
  t.equal(open.code, 0, open.stderr);
  t.equal(await metric('ivr_directorate_closed{dp="t-ops"}'), 0);
  const again = await ivrctl('dp', 'open', 't-ops');
  t.equal(again.code, 2, 'not closed any more: exit 2');
  t.match(again.stderr, /t-ops was not closed/);
  const from2 = asteriskLog().length;
  const after = '0613600005';
  const e = await callIvr({ number: OPS, ani: after, rtpPort: nextRtp(), steps: [{ heard: 'it/menu-main' }, { hangup: true }] });
  t.equal(e.code, 0, 'called', { report: e.code === 0 ? undefined : agentReport(e) });
  t.notOk(
    callEvents(after).some((x) => x.type === 'closure'),
    'open again: no closure',
  );
  t.match(asteriskLog().slice(from2), /sounds\/it\/menu-main\./, 'the menu again');
  await assertNothingLeft(t);
});

t.test('a real softphone (baresip) answers, transfers with *3 and keys the outcome as RFC 4733; the office hangs up without a code: "not recorded"', async (t) => {
  const bs1 = await Softphone.start({ id: 'bs1', password: PASS.bs1, sipPort: 5095, ctrlPort: 47401, rtpPorts: [46500, 46599] });
  t.teardown(() => bs1.stop());
  const unit = await startPhone({
    id: 'tu1',
    password: PASS.tu1,
    port: 5162,
    rtpPort: nextRtp(),
    rxScenario: writeAnsweringScenario(`tu1-${++seq}`, { answerAfterMs: 1000, steps: [{ talk: 3000 }, { bye: true }] }),
    holdMs: 40_000,
  });
  const ani = '0613600006';
  const caller = callIvr({ number: OPS, ani, rtpPort: nextRtp(), steps: [{ heard: 'dp/t-ops-welcome' }, { keys: '1' }, { voice: true }] });
  await bs1.waitFor('CALL_ESTABLISHED', { timeoutMs: 20_000 });
  t.pass('baresip rang and answered the caller');
  const [call] = await eventually(
    'the call answered by bs1',
    async () => query<{ id: string }>("SELECT id FROM calls WHERE caller = ? AND answered_by = 'bs1'", ani)[0],
    10_000,
  ).then((c) => [c]);
  // the conversation listens to the operator's keys once the caller and the phone are bridged
  // (answered_by is written a moment before)
  await eventually(
    'bs1 bridged with the caller',
    async () => {
      const channels = await ari<Array<{ id: string; name: string }>>('/channels');
      const leg = channels.find((c) => c.name.startsWith('PJSIP/bs1-'));
      return !!leg && (await ari<Array<{ channels: string[] }>>('/bridges')).some((b) => b.channels.includes(leg.id) && b.channels.length >= 2);
    },
    10_000,
  );
  await bs1.keys('*3');
  const transfer = await waitForRow<{ official: string; unit: string }>(
    'the transfer answered by the office',
    "SELECT official, unit FROM outcomes WHERE call_id = ? AND kind = 'transfer' AND code = 'answered'",
    [call!.id],
    20_000,
  );
  t.match(transfer, { official: 'tu1', unit: 'contenzioso' }, 'the office answered the transfer');
  // the operator, out of the bridge, is asked for the outcome: keyed when the prompt plays
  await eventually('the outcome prompt played to bs1', async () => /PJSIP\/bs1-[0-9a-f]+> Playing '\/opt\/ivr\/sounds\/it\/op-outcome/.test(asteriskLog()), 15_000);
  await bs1.keys('2');
  const outcomes = await eventually(
    'the operator outcome and the intervention',
    async () => {
      const rows = query<{ kind: string; official: string; code: string; label: string; by_default: number }>(
        'SELECT kind, official, code, label, by_default FROM outcomes WHERE call_id = ? ORDER BY id',
        call!.id,
      );
      return rows.some((o) => o.kind === 'operator') && rows.some((o) => o.kind === 'unit') ? rows : undefined;
    },
    30_000,
  );
  t.match(
    outcomes.find((o) => o.kind === 'operator'),
    { official: 'bs1', code: '2', label: 'transferred', by_default: 0 },
    'the softphone keyed 2 (RFC 4733)',
  );
  t.match(
    outcomes.find((o) => o.kind === 'unit'),
    { official: 'tu1', code: '0', label: 'not_recorded', by_default: 1 },
    'the official hung up without a code: not recorded, nothing made up',
  );
  await bs1.waitFor('CALL_CLOSED', { timeoutMs: 15_000 });
  const rc = await caller;
  t.equal(rc.code, 0, 'the caller was put through to the office, and the call ended', { report: rc.code === 0 ? undefined : agentReport(rc) });
  const ru = await unit.stop();
  t.equal(ru.code, 0, 'the office phone answered and hung up', { report: ru.code === 0 ? undefined : agentReport(ru) });
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.ok(
    profile.timeline.some((e) => /not.recorded/i.test(e.summary)),
    'the profile shows the intervention as not recorded',
  );
  await assertNothingLeft(t);
});
