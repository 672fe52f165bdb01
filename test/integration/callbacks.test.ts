// Calling back through the next free operator, with real SIP agents: the operator's phone
// (SIPp, registered, keys as SIP INFO) and the caller at the trunk address 127.0.0.2:5060
// (SIPp, keys as RFC 4733). The directorate t-cb has short rings and retry delays.
import t from 'tap';
import { assertNothingLeft, callIvr, controllerStartedAt, cue, dispatcherState, eventually, ivrctl, query, startPhone, waitForRow } from './harness';
import { attemptsOf, callbackAgents, ok, sideRinging, TAKES, talking } from './callback-agents';
import { writeAnsweringScenario, type AnswerStep } from './scenarios';

const { nextRtp, book, phone, refusingPhone, callee, refusingCallee, confirms } = callbackAgents(44000);
let seq = 0;
const callerRinging = (id: number): Promise<string> => sideRinging(id, 'caller');

t.test('booked through the IVR, called back through the operator: whisper, 1, the caller presses 1, bridged, outcome code', async (t) => {
  const ani = '0612350001';
  const id = await book(t, ani);
  const caller = await callee([...confirms, { talk: 3000 }, { bye: true }]);
  const op = await phone('cb1', 5091, [...TAKES, { heard: 'it/op-outcome' }, { info: '3' }]);
  const rc = await caller.done;
  const ro = await op.stop();
  ok(t, rc, 'the caller was called from the public number, pressed 1, talked and hung up');
  ok(t, ro, 'the operator answered, heard the whisper, keyed 1 and later the outcome code 3');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [id]);
  t.match(attemptsOf(id), [{ operator: 'cb1', outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected');
  const [outcome] = await Promise.all([
    waitForRow<{ code: string; label: string; by_default: number; official: string }>('the outcome code', "SELECT * FROM outcomes WHERE callback_id = ? AND kind = 'operator'", [
      id,
    ]),
  ]);
  t.match(outcome, { code: '3', label: 'wrong_number', by_default: 0, official: 'cb1' }, 'the code keyed by the operator');
  t.ok(caller.rtp.voicedBytes > 8000, `the caller heard the greeting and the operator (${caller.rtp.voicedBytes} voiced bytes)`);
  t.ok(op.rtp.voicedBytes > 8000, `the operator heard the whisper and the caller (${op.rtp.voicedBytes} voiced bytes)`);
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.same(
    profile.timeline.map((e) => e.kind),
    ['call', 'callback', 'attempt', 'outcome'],
    'the profile: the call, the request, the attempt, the outcome',
  );
  await assertNothingLeft(t);
});

t.test('the caller does not answer: a retry is scheduled and placed; busy (486) on the retry; failed after the last attempt', async (t) => {
  const ani = '0612350002';
  const id = await book(t, ani);
  const first = await refusingCallee({ ringForever: true });
  const op = await phone('cb1', 5091, TAKES);
  ok(t, await first.done, "the caller's phone rang until the PBX gave up (CANCEL)");
  const second = await refusingCallee({ reject: 486 });
  ok(t, await second.done, 'the retry reached the caller, who was busy');
  await waitForRow('the request failed', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'failed'", [id], 15_000);
  const a = attemptsOf(id);
  t.match(a, [
    { operator: 'cb1', outcome: 'no_answer', caller_attempt: 1 },
    { operator: 'cb1', outcome: 'busy', caller_attempt: 2, cause: 17 },
  ]);
  const gap = Date.parse(a[1]!.caller_dialed_at!) - Date.parse(a[0]!.ended_at!);
  t.ok(gap >= 2000, `the retry waited the configured delay (${gap} ms after the first attempt ended)`);
  t.match(query('SELECT attempts, last_outcome, closed_reason FROM callbacks WHERE id = ?', id), [{ attempts: 2, last_outcome: 'busy', closed_reason: 'busy at attempt 2 of 2' }]);
  ok(t, await op.stop(), 'the operator took both attempts');
  await assertNothingLeft(t);
});

t.test('two free operators and one callback: exactly one is rung (the longest idle); the request waits for its time', async (t) => {
  const ani = '0612350003';
  const id = await book(t, ani);
  const at = new Date(Date.now() + 6000).toISOString();
  const r = await ivrctl('callbacks', 'reschedule', String(id), '--at', at, '--json');
  t.equal(r.code, 0, 'ivrctl callbacks reschedule', { stderr: r.stderr });
  t.match(JSON.parse(r.stdout), { id, status: 'pending', dueAt: at });
  // the longest idle from this stack's database, whatever ran before: the one whose last
  // conversation through the running controller ended first (none: idle since its start; a
  // tie goes by id)
  const since = (await controllerStartedAt()).toISOString();
  const lastTalked = (op: string): string =>
    query<{ at: string | null }>(
      "SELECT MAX(at) AS at FROM (SELECT ended_at AS at FROM callback_attempts WHERE operator = ? AND outcome = 'connected' UNION ALL SELECT ended_at FROM calls WHERE answered_by = ?) WHERE at > ?",
      op,
      op,
      since,
    )[0]?.at ?? '';
  const [longestIdle, other] = ['cb1', 'cb2'].sort((a, b) => lastTalked(a).localeCompare(lastTalked(b)) || a.localeCompare(b)) as [string, string];
  const steps: AnswerStep[] = [...TAKES, { heard: 'it/op-outcome' }, { info: '1' }];
  const phones = new Map(await Promise.all((['cb1', 'cb2'] as const).map(async (op, i) => [op, await phone(op, 5091 + i, steps)] as const)));
  t.equal(attemptsOf(id).length, 0, 'not dialled before its time, though two operators are free');
  const caller = await callee([...confirms, { talk: 1000 }, { bye: true }]);
  ok(t, await caller.done, 'called back, confirmed, hung up');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [id]);
  const rows = attemptsOf(id);
  t.equal(rows.length, 1, 'one attempt');
  t.equal(rows[0]?.operator, longestIdle, `the longest idle (${longestIdle}: last talked ${lastTalked(longestIdle) || 'never'}; ${other}: ${lastTalked(other) || 'never'})`);
  await Promise.all([...phones.values()].map((p) => p.stop()));
  t.equal(phones.get(other as 'cb1')!.rtp.packets, 0, "the other operator's phone never had a call");
  // the phone keys its code when the question starts (a "heard" step), never before it
  const outcome = await waitForRow<{ code: string; by_default: number }>(
    "the operator's outcome recorded",
    "SELECT code, by_default FROM outcomes WHERE callback_id = ? AND kind = 'operator'",
    [id],
    15_000,
  );
  t.match(outcome, { code: '1', by_default: 0 }, 'the code keyed at the question');
  await assertNothingLeft(t);
});

t.test('a paused operator is never rung: the callback waits for, and goes to, the other one', async (t) => {
  const ani = '0612350004';
  t.equal((await ivrctl('operators', 'pause', 'cb1')).code, 0, 'cb1 paused');
  try {
    const id = await book(t, ani);
    const caller = await callee([...confirms, { talk: 1000 }, { bye: true }]);
    const p1 = await phone('cb1', 5091, TAKES);
    const before = await dispatcherState();
    await eventually(
      'a dispatch pass with cb1 registered',
      async () => {
        const s = await dispatcherState();
        return s.lastPass && s.lastPass.at !== before.lastPass?.at ? s : undefined;
      },
      8000,
    );
    t.equal(attemptsOf(id).length, 0, 'nothing dialled while the only registered operator is paused');
    t.match((await dispatcherState()).lastPass?.directorates['t-cb'], { blocked: 'no_free_operator' });
    const p2 = await phone('cb2', 5092, [...TAKES, { heard: 'it/op-outcome' }, { info: '4' }]);
    ok(t, await caller.done, 'called back through the other operator');
    await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [id]);
    t.match(attemptsOf(id), [{ operator: 'cb2', outcome: 'connected' }]);
    await Promise.all([p1.stop(), p2.stop()]);
    t.equal(p1.rtp.packets, 0, "the paused operator's phone never had a call");
  } finally {
    await ivrctl('operators', 'resume', 'cb1');
  }
  await assertNothingLeft(t);
});

t.test('outside service hours nothing is dialled, even on a retry asked by the sysadmin', async (t) => {
  const add = await ivrctl('operators', 'add', 'closed1', '--dp', 't-closed', '--role', 'staff', '--password', 'Closed-pass-01');
  t.equal(add.code, 0, 'an operator for the closed directorate');
  const ani = '0612350005';
  const r = await callIvr({
    number: '0611000003',
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  ok(t, r, 'booked for the next service window');
  const [row] = query<{ id: number; status: string }>("SELECT id, status FROM callbacks WHERE number = ? AND dp = 't-closed'", ani);
  t.equal(row?.status, 'pending');
  const p = await startPhone({
    id: 'closed1',
    password: 'Closed-pass-01',
    port: 5093,
    rtpPort: nextRtp(),
    rxScenario: writeAnsweringScenario(`op-closed-${++seq}`, { answerAfterMs: 500, steps: [] }),
    holdMs: 8000,
  });
  const retry = await ivrctl('callbacks', 'retry', String(row!.id), '--json');
  t.equal(retry.code, 0, 'ivrctl callbacks retry: due now', { stderr: retry.stderr });
  const before = (await dispatcherState()).lastPass?.at;
  const pass = await eventually(
    'a dispatch pass after the retry',
    async () => {
      const s = await dispatcherState();
      return s.lastPass && s.lastPass.at !== before ? s.lastPass : undefined;
    },
    8000,
  );
  t.match(pass.directorates['t-closed'], { blocked: 'closed', dispatched: [] }, 'the dispatcher saw it due, with a free operator, and did not dial: closed');
  t.equal(attemptsOf(row!.id).length, 0, 'no attempt');
  ok(t, await p.stop(), 'the phone registered and unregistered');
  t.equal(p.rtp.packets, 0, 'the phone never had a call');
  const cancel = await ivrctl('callbacks', 'cancel', String(row!.id));
  t.equal(cancel.code, 0, 'ivrctl callbacks cancel');
  t.match(cancel.stdout, new RegExp(`callback ${row!.id}: cancelled`));
  const again = await ivrctl('callbacks', 'cancel', String(row!.id));
  t.equal(again.code, 2, 'cancelling twice: exit 2');
  t.match(again.stderr, /^ivrctl: callback \d+ is cancelled: only a pending or dialing request can be cancelled\n$/);
  await assertNothingLeft(t);
});

t.test('transfer to the internal unit by "*" + code: hold music, the unit answers, the operator is freed; codes from both', async (t) => {
  const ani = '0612350006';
  const id = await book(t, ani);
  const unit = await phone('cbu1', 5094, [{ heard: 'it/op-intervention' }, { info: '1' }], 1000);
  // the operator keys *5 once it talks with the caller; the caller talks with the unit once it answered, and hangs up
  const caller = await callee([...confirms, { voice: true }, { cue: `${ani} with the unit` }, { talk: 2000 }, { bye: true }]);
  const op = await phone('cb1', 5091, [...TAKES, { cue: `${ani} talking` }, { info: '*5' }, { heard: 'it/op-outcome' }, { info: '2' }]);
  await talking(id);
  cue(`${ani} talking`);
  await waitForRow('the unit answered the transfer', "SELECT 1 AS ok FROM outcomes WHERE callback_id = ? AND kind = 'transfer' AND code = 'answered'", [id], 20_000);
  cue(`${ani} with the unit`);
  const rc = await caller.done;
  const [ro, ru] = await Promise.all([op.stop(), unit.stop()]);
  ok(t, rc, 'the caller talked to the operator, then to the unit, and hung up');
  ok(t, ro, 'the operator transferred and keyed the outcome');
  ok(t, ru, 'the unit answered and keyed the intervention code');
  const rows = await eventually(
    'three outcome rows',
    async () => {
      const r = query<{ kind: string; official: string; unit: string | null; code: string; label: string; by_default: number }>(
        'SELECT * FROM outcomes WHERE callback_id = ? ORDER BY id',
        id,
      );
      return r.length === 3 ? r : undefined;
    },
    10_000,
  );
  t.match(rows, [
    { kind: 'transfer', official: 'cbu1', unit: 'ufficio-test', code: 'answered' },
    { kind: 'operator', official: 'cb1', code: '2', label: 'transferred', by_default: 0 },
    { kind: 'unit', official: 'cbu1', unit: 'ufficio-test', code: '1', label: 'handled', by_default: 0 },
  ]);
  t.ok(unit.rtp.voicedBytes > 8000, `the unit's official heard the caller (${unit.rtp.voicedBytes} voiced bytes)`);
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string }> };
  t.same(profile.timeline.map((e) => e.kind).slice(-3), ['transfer', 'outcome', 'intervention'], "the unit's intervention is in the profile");
  await assertNothingLeft(t);
});

t.test('transfer, and the unit does not answer: the caller comes back to the operator', async (t) => {
  const ani = '0612350007';
  const id = await book(t, ani);
  const unit = await refusingPhone('cbu1', 5094, { ringForever: true });
  // the caller hangs up once it is back with the operator (the transfer recorded unanswered)
  const caller = await callee([...confirms, { voice: true }, { cue: `${ani} back` }, { talk: 1000 }, { bye: true }]);
  const op = await phone('cb1', 5091, [...TAKES, { cue: `${ani} talking` }, { info: '*5' }]);
  await talking(id);
  cue(`${ani} talking`);
  await waitForRow('the transfer unanswered', "SELECT 1 AS ok FROM outcomes WHERE callback_id = ? AND kind = 'transfer' AND code = 'no_answer'", [id], 20_000);
  cue(`${ani} back`);
  const rc = await caller.done;
  const [ro, ru] = await Promise.all([op.stop(), unit.stop()]);
  ok(t, rc, 'the caller stayed on the line and hung up');
  ok(t, ro, 'the operator got the caller back, then the outcome prompt (no key: default)');
  ok(t, ru, "the unit's phone rang and was cancelled");
  const rows = await eventually(
    'two outcome rows',
    async () => {
      const r = query<{ kind: string; code: string; by_default: number }>('SELECT * FROM outcomes WHERE callback_id = ? ORDER BY id', id);
      return r.length === 2 ? r : undefined;
    },
    12_000,
  );
  t.match(
    rows,
    [
      { kind: 'transfer', code: 'no_answer' },
      { kind: 'operator', code: '0', label: 'not_recorded', by_default: 1 },
    ],
    'transfer not answered; the operator keyed no code: not recorded',
  );
  await assertNothingLeft(t);
});

t.test("ivrctl callbacks cancel while the caller's phone rings: the controller hangs the calls up, the request is cancelled", async (t) => {
  const ani = '0612350009';
  const id = await book(t, ani);
  const caller = await refusingCallee({ ringForever: true });
  const op = await phone('cb1', 5091, TAKES);
  await callerRinging(id);
  const r = await ivrctl('callbacks', 'cancel', String(id), '--json');
  t.equal(r.code, 0, 'ivrctl callbacks cancel', { stderr: r.stderr });
  t.match(JSON.parse(r.stdout), { id, status: 'cancelled' });
  ok(t, await caller.done, "the caller's phone got the CANCEL");
  t.match(attemptsOf(id), [{ outcome: 'cancelled', caller_attempt: 1 }]);
  ok(t, await op.stop(), 'the operator was hung up');
  await assertNothingLeft(t);
});
