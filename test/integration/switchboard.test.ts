// Case 1 (a directorate with a switchboard operator) end to end with real SIP agents, on
// t-sw (0611000007, open around the clock, callbacks placed by the switchboard and the staff):
// only the switchboard rings for a caller and answers; N rings then the offer; the callback
// placed by the switchboard, and by the staff when the switchboard is away; a caller ringing
// the switchboard keeps it over a callback booked meanwhile; the longest-idle hunt on t-cap
// (0611000008). The booking limits of t-cap are in booking-limits.test.ts.
import t, { type Test } from 'tap';
import { TAKES } from './callback-agents';
import {
  agentReport,
  answeredBy,
  assertNothingLeft,
  callEvents,
  callIvr,
  cue,
  type Agent,
  type Phone,
  ivrctl,
  query,
  type SippResult,
  startCallee,
  startPhone,
  eventually,
  waitForRow,
} from './harness';
import { writeAnsweringScenario, writePhoneScenario, type AnswerStep } from './scenarios';

const SW = '0611000007';
/** a called-back caller of t-sw confirms: 1 as the greeting starts */
const CONFIRMS: AnswerStep[] = [{ heard: 'dp/t-sw-callback-greeting' }, { info: '1' }];
const CAP = '0611000008';
const PASS = { sw9: 'Passw0rd-sw9-xx', stf9: 'Passw0rd-stf9-x', hx1: 'Passw0rd-hx1-xx', hx2: 'Passw0rd-hx2-xx' } as const;
type Op = keyof typeof PASS;
let rtp = 47000;
const nextRtp = (): number => (rtp += 2);
let seq = 0;
const ok = (t: Test, r: SippResult, what: string): void => void t.equal(r.code, 0, what, { report: r.code === 0 ? undefined : agentReport(r) });

/** busyAtOnce: a callback may ring it as soon as it registers (do not wait for it to be idle) */
const answering = (id: Op, port: number, steps: AnswerStep[], answerAfterMs = 800, busyAtOnce = true): Promise<Phone> =>
  startPhone({
    id,
    password: PASS[id],
    port,
    rtpPort: nextRtp(),
    rxScenario: writeAnsweringScenario(`sw-${id}-${++seq}`, { answerAfterMs, steps }),
    maxCalls: 3,
    busyAtOnce,
  });
const ringing = (id: Op, port: number): Promise<Phone> =>
  startPhone({ id, password: PASS[id], port, rtpPort: nextRtp(), rxScenario: writePhoneScenario(`sw-${id}-${++seq}`, { ringForever: true }), maxCalls: 3 });
/** the caller being called back, at the trunk address */
const callee = (steps: AnswerStep[]): Promise<Agent> =>
  startCallee({ scenario: writeAnsweringScenario(`sw-callee-${++seq}`, { answerAfterMs: 1000, steps, expectFrom: SW }), rtpPort: nextRtp(), calls: 1, timeoutMs: 60_000 });
const ringingStarted = (ani: string): string[] => ((callEvents(ani).find((e) => e.type === 'ringing_started')?.data?.phones as string[] | undefined) ?? []).slice().sort();

t.before(async () => {
  for (const [id, dp, role] of [
    ['sw9', 't-sw', 'switchboard'],
    ['stf9', 't-sw', 'staff'],
    ['hx1', 't-cap', 'staff'],
    ['hx2', 't-cap', 'staff'],
  ] as const) {
    const r = await ivrctl('operators', 'add', id, '--dp', dp, '--role', role, '--password', PASS[id]);
    if (r.code !== 0) throw new Error(`operators add ${id}: ${r.stderr}`);
  }
});

t.test('case 1: a caller rings the switchboard only; it answers; the staff phone never rings', async (t) => {
  const sw = await answering('sw9', 5171, [{ voice: true }], 2500);
  const staff = await ringing('stf9', 5172);
  const ani = '0613700101';
  // the caller listens to the switchboard for a second once it answered, then hangs up
  const calling = callIvr({
    number: SW,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-sw-welcome' }, { keys: '1' }, { cue: `${ani} answered` }, { pause: 1000 }, { hangup: true }],
  });
  await answeredBy(ani, 'sw9');
  cue(`${ani} answered`);
  const r = await calling;
  ok(t, r, 'answered by the switchboard, talked, hung up');
  t.same(ringingStarted(ani), ['sw9'], 'only the switchboard rang');
  t.match(query('SELECT answered_by FROM calls WHERE caller = ?', ani), [{ answered_by: 'sw9' }]);
  t.ok(r.rtp.voicedBytes > 4000, `the caller heard the switchboard (${r.rtp.voicedBytes} voiced bytes)`);
  ok(t, await sw.stop(), 'the switchboard phone took the call');
  await staff.stop();
  t.equal(staff.rtp.packets, 0, 'the staff phone never rang (no audio, no call)');
  await assertNothingLeft(t);
});

t.test('case 1: the switchboard does not answer: the offer after N rings; booked; placed by the switchboard when it is back', async (t) => {
  const sw = await ringing('sw9', 5173);
  const ani = '0613700102';
  // the caller accepts the offer once the switchboard has gone away (the test's cue)
  const calling = callIvr({
    number: SW,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-sw-welcome' }, { keys: '1' }, { cue: `${ani} switchboard away` }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  const offer = await waitForRow<{ at: string }>(
    'the offer',
    "SELECT e.at FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = ? AND e.type = 'offer'",
    [ani],
    20_000,
  );
  // the switchboard goes away before the caller accepts: the callback waits for it
  const paused = await ivrctl('operators', 'pause', 'sw9');
  t.equal(paused.code, 0, paused.stderr);
  t.teardown(async () => void (await ivrctl('operators', 'resume', 'sw9')));
  cue(`${ani} switchboard away`);
  ok(t, await calling, 'booked after the offer');
  const started = callEvents(ani).find((e) => e.type === 'ringing_started')!;
  const waited = Date.parse(offer.at) - Date.parse(started.at);
  t.ok(waited >= 9500 && waited < 12_000, `the offer came after 2 Italian rings (${waited} ms of ringing)`);
  t.same(ringingStarted(ani), ['sw9']);
  const [req] = query<{ id: number; status: string }>("SELECT id, status FROM callbacks WHERE number = ? AND dp = 't-sw'", ani);
  t.match(req, { status: 'pending' });
  await sw.stop();

  const caller = await callee([...CONFIRMS, { talk: 2000 }, { bye: true }]);
  const back = await answering('sw9', 5174, [...TAKES, { heard: 'it/op-outcome' }, { info: '1' }]);
  const resumed = await ivrctl('operators', 'resume', 'sw9');
  t.equal(resumed.code, 0, resumed.stderr);
  ok(t, await caller.done, 'the caller was called back from the public number, pressed 1, talked');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [req!.id], 20_000);
  t.match(query('SELECT operator, outcome FROM callback_attempts WHERE callback_id = ?', req!.id), [{ operator: 'sw9', outcome: 'connected' }], 'placed by the switchboard');
  ok(t, await back.stop(), 'the switchboard phone placed it');
  await assertNothingLeft(t);
});

t.test('case 1 with placedBy [switchboard, staff]: the switchboard away, the staff places the callback', async (t) => {
  t.equal((await ivrctl('operators', 'pause', 'sw9')).code, 0);
  t.teardown(async () => void (await ivrctl('operators', 'resume', 'sw9')));
  const ani = '0613700103';
  // nobody to ring: the offer at once
  const r = await callIvr({
    number: SW,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-sw-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  ok(t, r, 'booked');
  const [req] = query<{ id: number }>("SELECT id FROM callbacks WHERE number = ? AND dp = 't-sw'", ani);
  const caller = await callee([...CONFIRMS, { talk: 1000 }, { bye: true }]);
  const staff = await answering('stf9', 5175, [...TAKES, { heard: 'it/op-outcome' }, { info: '1' }]);
  ok(t, await caller.done, 'called back');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [req!.id], 20_000);
  t.match(query('SELECT operator, outcome FROM callback_attempts WHERE callback_id = ?', req!.id), [{ operator: 'stf9', outcome: 'connected' }], 'placed by the staff');
  ok(t, await staff.stop(), 'the staff phone placed it');
  await assertNothingLeft(t);
});

t.test('a caller ringing the switchboard keeps it: a callback booked meanwhile waits, and goes after the call', async (t) => {
  // the switchboard answers after 8 s: long enough for a second caller to book meanwhile.
  // Both its calls end with its outcome code: after the inbound caller leaves, and after the
  // callback (whose whisper it lets run: no key is "call now")
  const sw = await answering('sw9', 5176, [{ heard: 'it/op-outcome' }, { info: '1' }], 8000);
  const first = '0613700104';
  const second = '0613700105';
  const inbound = callIvr({
    number: SW,
    ani: first,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-sw-welcome' }, { keys: '1' }, { cue: `${first} answered` }, { pause: 1000 }, { hangup: true }],
  });
  await waitForRow(
    'the switchboard ringing for the first caller',
    "SELECT 1 AS ok FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = ? AND e.type = 'ringing_started'",
    [first],
    10_000,
  );
  // the second caller finds the switchboard ringing: offered at once, books
  const booked = await callIvr({
    number: SW,
    ani: second,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-sw-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  ok(t, booked, 'the second caller booked');
  const [req] = query<{ id: number; requested_at: string }>("SELECT id, requested_at FROM callbacks WHERE number = ? AND dp = 't-sw'", second);
  t.ok(req, 'a request');
  const caller = await callee([...CONFIRMS, { talk: 1000 }, { bye: true }]);
  await answeredBy(first, 'sw9');
  cue(`${first} answered`);
  ok(t, await inbound, 'the first caller was answered by the switchboard and hung up');
  const [call] = query<{ answered_by: string; ended_at: string }>('SELECT answered_by, ended_at FROM calls WHERE caller = ?', first);
  t.match(call, { answered_by: 'sw9' }, 'the inbound caller got the switchboard');
  const answered = callEvents(first).find((e) => e.type === 'ringing_ended')!;
  t.ok(Date.parse(req!.requested_at) < Date.parse(answered.at), 'the request was waiting while the switchboard rang for the caller');
  ok(t, await caller.done, 'then the callback reached the second caller');
  const [attempt] = query<{ operator: string; started_at: string }>('SELECT operator, started_at FROM callback_attempts WHERE callback_id = ?', req!.id);
  t.equal(attempt?.operator, 'sw9');
  t.ok(
    Date.parse(attempt!.started_at) >= Date.parse(call!.ended_at),
    `the callback was dialled only after the inbound call ended (${Date.parse(attempt!.started_at) - Date.parse(call!.ended_at)} ms after)`,
  );
  ok(t, await sw.stop(), 'the switchboard took the call, then the callback');
  await eventually('the request done', async () => query<{ status: string }>('SELECT status FROM callbacks WHERE id = ?', req!.id)[0]?.status === 'done', 20_000);
  await assertNothingLeft(t);
});

t.test('longest-idle hunt: the phone idle longest rings first, alone, for its 5 s; then the next, which answers', async (t) => {
  // hx1 talks first: from then on hx2 (never on a call) has been idle longer
  const first = await answering('hx1', 5177, [{ voice: true }]);
  const warming = callIvr({
    number: CAP,
    ani: '0613700301',
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-cap-welcome' }, { keys: '1' }, { cue: '0613700301 answered' }, { pause: 1000 }, { hangup: true }],
  });
  await answeredBy('0613700301', 'hx1');
  cue('0613700301 answered');
  const warm = await warming;
  ok(t, warm, 'hx1 took a call');
  t.same(ringingStarted('0613700301'), ['hx1'], 'alone, it rang alone');
  ok(t, await first.stop(), 'hx1 wrapped up');
  const hx2 = await ringing('hx2', 5178);
  // held past the wrap-up (the outcome prompt, then the code's wait): the PBX hangs up first
  const hx1 = await answering('hx1', 5179, [{ voice: true }], 800, false);
  const ani = '0613700302';
  const calling = callIvr({ number: CAP, ani, rtpPort: nextRtp(), steps: [{ heard: 'dp/t-cap-welcome' }, { keys: '1' }, { cue: `${ani} answered` }, { hangup: true }] });
  await answeredBy(ani, 'hx1');
  cue(`${ani} answered`);
  const r = await calling;
  ok(t, r, 'answered on the second phone of the hunt');
  const ev = callEvents(ani);
  const started = ev.find((e) => e.type === 'ringing_started')!;
  t.same(started.data?.phones, ['hx2', 'hx1'], 'the hunt order: hx2 (idle longest) before hx1 (who talked last)');
  t.match(started.data, { strategy: 'longest-idle' });
  const ended = ev.find((e) => e.type === 'ringing_ended');
  t.match(ended?.data, { answered: true, operator: 'hx1' });
  const afterMs = Date.parse(ended!.at) - Date.parse(started.at);
  t.ok(afterMs >= 5000 && afterMs < 8000, `hx1 answered ${afterMs} ms into the hunt: after hx2's 5 s`);
  ok(t, await hx2.stop(), 'hx2 rang and was cancelled');
  t.equal(hx2.rtp.packets, 0, 'hx2 never got audio');
  ok(t, await hx1.stop(), 'hx1 took the call');
  await assertNothingLeft(t);
});
