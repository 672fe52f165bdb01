// Fault injection against the real stack, for callbacks and conversations: the controller
// killed with SIGKILL right after a booking, while the operator or the caller is being dialled,
// while a caller talks with an operator, during a transfer. No confirmed booking lost, no
// callback dialled twice at once, people already talking stay connected. The kill is
// triggered by what the controller has recorded (an attempt's stage) or by what Asterisk
// shows (a phone ringing), never by a timer. The IVR's part is controller-kill.test.ts.
import t from 'tap';
import { attemptsOf, CB_NUMBER, ok, sideRinging, TAKES, talking } from '../integration/callback-agents';
import { agentReport, ari, assertNothingLeft, cue, voicedBetween, eventually, ivrctl, query, startPhone, waitForRow, type Phone } from '../integration/harness';
import { writePhoneScenario } from '../integration/scenarios';
import { assertDatabaseIntact, eventSeen, killKit, OPEN, PASS } from './kills';

const { nextRtp, book, phone, refusingPhone, callee, refusingCallee, confirms, killAndRestart, caller, heardApology } = killKit(t, { rtpBase: 46500, operator: 'fa-2' });

t.test('killed right after the booking was confirmed: the request survives and is called back exactly once', async (t) => {
  const ani = '0613000004';
  const pending = caller(CB_NUMBER, ani, [{ heard: 'dp/t-cb-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }]);
  await eventSeen(ani, 'booked');
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  const [req] = query<{ id: number; status: string }>("SELECT id, status FROM callbacks WHERE number = ? AND dp = 't-cb'", ani);
  t.equal(req?.status, 'pending', 'the confirmed request is there, pending');
  const back = await callee([...confirms, { talk: 1000 }, { bye: true }], 1);
  const op = await phone('cb1', 5191, TAKES);
  ok(t, await back.done, 'the caller was called back, once, pressed 1 and hung up');
  ok(t, await op.stop(), 'through the operator');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [req!.id]);
  t.match(attemptsOf(req!.id), [{ outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected');
  t.equal(attemptsOf(req!.id).length, 1, 'and only one');
  await assertNothingLeft(t);
});

t.test('killed while the operator is being dialled: that call is cancelled, the attempt closed, the next one only after', async (t) => {
  const ani = '0613000005';
  const id = await book(t, ani);
  const op = await refusingPhone('cb1', 5192, { ringForever: true });
  const first = await sideRinging(id, 'operator');
  await killAndRestart(t);
  await waitForRow('the interrupted attempt closed', "SELECT 1 AS ok FROM callback_attempts WHERE callback_id = ? AND outcome = 'interrupted'", [id], 15_000);
  const second = await sideRinging(id, 'operator');
  t.not(second, first, 'a new call to the operator');
  const r = await ivrctl('callbacks', 'cancel', String(id), '--json');
  t.equal(r.code, 0, "the request cancelled (ends the test's retry cycle)", { stderr: r.stderr });
  const a = attemptsOf(id);
  t.match(
    a,
    [
      { outcome: 'interrupted', caller_attempt: null },
      { outcome: 'cancelled', caller_attempt: null },
    ],
    'the interrupted attempt accounted for; the caller never dialled',
  );
  t.ok(Date.parse(a[1]!.started_at) >= Date.parse(a[0]!.ended_at!), 'the second call started only after the first was closed');
  ok(t, await op.stop(), "the operator's phone: two calls, one after the other, both ended cleanly");
  await assertNothingLeft(t);
});

t.test("killed while the caller's phone rings: no second concurrent dial, the attempt is accounted for", async (t) => {
  const ani = '0613000006';
  const id = await book(t, ani);
  const back = await refusingCallee({ ringForever: true }, 2, 90_000);
  const op = await phone('cb1', 5193, TAKES);
  t.ok(await sideRinging(id, 'caller'), "the caller's phone is ringing");
  await killAndRestart(t);
  ok(t, await back.done, 'the caller agent took two calls, one after the other (the first cancelled at restart)');
  await waitForRow('the request failed', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'failed'", [id], 20_000);
  const a = attemptsOf(id);
  t.match(
    a,
    [
      { outcome: 'interrupted', caller_attempt: 1 },
      { outcome: 'no_answer', caller_attempt: 2 },
    ],
    'the interrupted attempt is closed and counted, the retry placed',
  );
  t.ok(Date.parse(a[1]!.caller_dialed_at!) > Date.parse(a[0]!.ended_at!), 'the retry was dialled only after the interrupted attempt was closed');
  ok(t, await op.stop(), "the operator's phone: both attempts ended cleanly");
  await assertNothingLeft(t);
});

t.test('killed while a caller talks with the operator: they stay connected; the call ends when the caller hangs up', async (t) => {
  const a: Phone = await startPhone({
    id: 'fa-2',
    password: PASS,
    port: 5182,
    rtpPort: nextRtp(),
    rxScenario: writePhoneScenario('fault-talk', { answerAfterMs: 1000 }),
  });
  const ani = '0613000007';
  // the caller talks once the operator answered, and on for 6.5 s after the restart (what is measured: more than 4 s of each other)
  const pending = caller(OPEN, ani, [
    { heard: 'dp/t-open-welcome' },
    { keys: '1' },
    { cue: `${ani} answered` },
    { voice: true },
    { cue: `${ani} restarted` },
    { talk: 6500 },
    { hangup: true },
  ]);
  await eventSeen(ani, 'ringing_ended', "AND json_extract(e.data, '$.answered') = 1");
  cue(`${ani} answered`);
  const restartedAt = await killAndRestart(t);
  cue(`${ani} restarted`);
  const r = await pending;
  const hungUpAt = Date.now();
  t.equal(r.code, 0, 'the caller talked on and hung up itself (no BYE from the PBX before)', { report: r.code === 0 ? undefined : agentReport(r) });
  ok(t, await a.stop(), 'the operator got the BYE when the caller hung up');
  const heard = voicedBetween(r.rtp, restartedAt + 1000, hungUpAt - 500);
  t.ok(heard > 200, `the caller heard the operator after the restart (${heard} voiced packets)`);
  const opHeard = voicedBetween(a.rtp, restartedAt + 1000, hungUpAt - 500);
  t.ok(opHeard > 200, `the operator heard the caller after the restart (${opHeard} voiced packets)`);
  const call = await waitForRow<{ id: string; end_reason: string }>('the call closed', 'SELECT id, end_reason FROM calls WHERE caller = ? AND ended_at IS NOT NULL', [ani]);
  t.equal(call.end_reason, 'caller_hangup', "closed as the caller's hang-up, not lost");
  t.equal(query("SELECT 1 FROM call_events WHERE call_id = ? AND type = 'recovered'", call.id).length, 1, "the recovery is in the call's events");
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.match(profile.timeline.find((e) => e.kind === 'call')?.summary, /answered by fa-2.*kept through a controller restart \(caller_hangup\)/, "and in the caller's profile");
  await assertNothingLeft(t);
});

t.test('killed during a transfer while the unit rings: the unit stops, the caller is back with the operator', async (t) => {
  const ani = '0613000008';
  const id = await book(t, ani);
  const unit = await refusingPhone('cbu1', 5194, { ringForever: true });
  // the operator keys *5 once it talks with the caller; the caller talks on for 8.5 s after the restart (measured: 4 s of it)
  const back = await callee([...confirms, { voice: true }, { cue: `${ani} restarted` }, { talk: 8500 }, { bye: true }], 1, 1000, 90_000);
  const op = await phone('cb1', 5195, [...TAKES, { cue: `${ani} talking` }, { info: '*5' }]);
  await talking(id);
  cue(`${ani} talking`);
  await eventually(
    "the unit's phone ringing",
    async () => (await ari<Array<{ name: string; state: string }>>('/channels')).some((c) => c.name.startsWith('PJSIP/cbu1') && c.state === 'Ringing'),
    30_000,
  );
  const restartedAt = await killAndRestart(t);
  cue(`${ani} restarted`);
  await eventually("the unit's phone stopped ringing", async () => (await ari<Array<{ name: string }>>('/channels')).every((c) => !c.name.startsWith('PJSIP/cbu1')), 5_000);
  t.pass("the unit's phone stopped ringing");
  ok(t, await back.done, 'the caller talked on and hung up itself');
  const hungUpAt = Date.now();
  ok(t, await op.stop(), 'the operator got the BYE');
  ok(t, await unit.stop(), "the unit's phone got a CANCEL");
  const opHeard = voicedBetween(op.rtp, restartedAt + 3000, hungUpAt - 1000);
  t.ok(opHeard > 200, `the operator hears the caller again after the restart (${opHeard} voiced packets)`);
  t.match(attemptsOf(id), [{ outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected: the caller is not called again');
  t.equal(attemptsOf(id).length, 1);
  await assertNothingLeft(t);
});

t.test('after every kill and restart the database is intact and consistent', async (t) => {
  assertDatabaseIntact(t);
});
