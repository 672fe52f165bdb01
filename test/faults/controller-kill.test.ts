// Fault injection against the real stack: the controller killed with SIGKILL at each step of
// a call, and Asterisk restarted under load. After each: no confirmed booking lost, no
// callback dialled twice at once, callers in flight hear the apology instead of silence,
// people already talking stay connected, and nothing is left in Asterisk once the call ends.
// The kill is triggered by what the controller has recorded (a call event, an attempt's
// stage) or by what Asterisk shows (a phone ringing), never by a timer.
import t, { type Test } from 'tap';
import { attemptsOf, callbackAgents, CB_NUMBER, ok, sideRinging } from '../integration/callback-agents';
import {
  agentReport,
  ari,
  assertApologyPlayed,
  assertNothingLeft,
  asteriskLog,
  callIvr,
  eventually,
  healthz,
  ivrctl,
  openDb,
  PBX_CONTAINER,
  PODMAN,
  query,
  run,
  sipp,
  stack,
  startPhone,
  TRUNK_IP,
  waitForRow,
  type Phone,
} from '../integration/harness';
import { writeCallerScenario, writePhoneScenario, type CallerStep } from '../integration/scenarios';

const OPEN = '0611000001'; // t-open: staff ring, 2 rings (10 s) before the offer
const NOBODY = '0611000002'; // t-empty: nobody registered, the offer at once
const { nextRtp, book, phone, refusingPhone, callee, refusingCallee } = callbackAgents(46000);
const PASS = 'Fault-pass-01';
const restarts: number[] = [];

t.before(async () => {
  const r = await ivrctl('operators', 'add', 'fa-1', '--dp', 't-open', '--role', 'staff', '--password', PASS);
  if (r.code !== 0) throw new Error(`operators add fa-1: ${r.stderr}`);
});

t.teardown(() => {
  if (restarts.length) console.log(`# controller kill -> ready again: ${restarts.map((ms) => `${ms} ms`).join(', ')}`);
});

/** SIGKILL, then the same start the sysadmin's service would do; resolves when it is ready. */
/** where Asterisk's log stood at the last kill, and when: what it played since */
let logAtKill = 0;
let killedAt = 0;

async function killAndRestart(t: Test): Promise<number> {
  logAtKill = asteriskLog().length;
  killedAt = Date.now();
  t.equal((await stack('controller-stop', { KILL: '1' })).code, 0, 'controller killed (SIGKILL)');
  const t0 = Date.now();
  const start = await stack('controller-start');
  t.equal(start.code, 0, 'controller restarted and ready', { out: start.code === 0 ? undefined : start.stdout + start.stderr });
  restarts.push(Date.now() - t0);
  return Date.now();
}

const callOf = (ani: string): { id: string; end_reason: string | null } | undefined =>
  query<{ id: string; end_reason: string | null }>('SELECT id, end_reason FROM calls WHERE caller = ? ORDER BY started_at DESC LIMIT 1', ani)[0];

const eventSeen = (ani: string, type: string, extra = ''): Promise<unknown> =>
  waitForRow(`${type} recorded for ${ani}`, `SELECT 1 AS ok FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = ? AND e.type = ? ${extra}`, [ani, type], 20_000);

/** A caller follows the steps, then waits for the PBX to hang up; the kill comes while it waits. */
function caller(number: string, ani: string, steps: CallerStep[]) {
  return callIvr({ number, ani, rtpPort: nextRtp(), steps, timeoutMs: 90_000 });
}

/** The caller heard the apology after the restart: sound, then the PBX's BYE some seconds later. */
async function heardApology(t: Test, pending: ReturnType<typeof caller>, restartedAt: number): Promise<void> {
  const r = await pending;
  const byeAfter = Date.now() - restartedAt;
  t.equal(r.code, 0, 'the caller was not stranded: the PBX ended the call', { report: r.code === 0 ? undefined : agentReport(r) });
  const after = r.rtp.voicedAt.filter((ts) => ts > restartedAt).length;
  t.ok(after > 200, `the caller heard sound after the restart (${after} voiced packets)`);
  // the apology itself, once the controller is back and the prompt that was playing has
  // ended (Asterisk continues in the dialplan after the channel's current playback: the
  // longest prompt is ~17 s)
  assertApologyPlayed(t, logAtKill, killedAt, restartedAt - killedAt + 20_000);
  // the apology lasts ~14 s: a plain hang-up would end the call at once, a stranded caller
  // would wait for SIPp's 90 s
  t.ok(byeAfter > 8_000 && byeAfter < 60_000, `the BYE came after the apology (${byeAfter} ms after the restart)`);
}

/** Voiced packets an agent received between two instants. */
const voicedBetween = (p: { rtp: { voicedAt: number[] } }, from: number, to = Infinity): number => p.rtp.voicedAt.filter((ts) => ts > from && ts < to).length;

t.test("killed while the operators' phones ring: the phones stop, the caller hears the apology, the call is closed as lost", async (t) => {
  const a = await startPhone({ id: 'fa-1', password: PASS, port: 5181, rtpPort: nextRtp(), rxScenario: writePhoneScenario('fault-ring', { ringForever: true }), holdMs: 40_000 });
  const ani = '0613000001';
  const pending = caller(OPEN, ani, [{ pause: 1500 }, { keys: '1' }]);
  await eventSeen(ani, 'ringing_started');
  const restartedAt = await killAndRestart(t);
  await eventually("the operator's phone stopped ringing", async () => (await ari<Array<{ name: string }>>('/channels')).every((c) => !c.name.startsWith('PJSIP/fa-1')), 5_000);
  t.pass(`the phone stopped ringing within ${Date.now() - restartedAt} ms of the restart`);
  await heardApology(t, pending, restartedAt);
  ok(t, await a.done, 'the phone got a CANCEL for its ringing call');
  t.equal(callOf(ani)?.end_reason, 'lost', 'the interrupted call is closed as lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'nothing booked');
  await assertNothingLeft(t);
});

t.test('killed during the callback offer: the apology, nothing booked', async (t) => {
  const ani = '0613000002';
  const pending = caller(NOBODY, ani, [{ pause: 2500 }, { keys: '1' }]);
  await eventSeen(ani, 'offer');
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  t.equal(callOf(ani)?.end_reason, 'lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'nothing booked');
  await assertNothingLeft(t);
});

t.test('killed while the caller types a number: the apology, nothing booked', async (t) => {
  const ani = '0613000003';
  const pending = caller(NOBODY, ani, [{ pause: 2500 }, { keys: '1' }, { pause: 2000 }, { keys: '2' }, { pause: 1500 }, { keys: '335' }]);
  await eventSeen(ani, 'dtmf', "AND json_extract(e.data, '$.digit') = '5'");
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  t.equal(callOf(ani)?.end_reason, 'lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number LIKE ?', '335%').length, 0, 'nothing booked from a number half typed');
  await assertNothingLeft(t);
});

t.test('killed right after the booking was confirmed: the request survives and is called back exactly once', async (t) => {
  const ani = '0613000004';
  const pending = caller(CB_NUMBER, ani, [{ pause: 800 }, { keys: '1' }, { pause: 1000 }, { keys: '1' }]);
  await eventSeen(ani, 'booked');
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  const [req] = query<{ id: number; status: string }>("SELECT id, status FROM callbacks WHERE number = ? AND dp = 't-cb'", ani);
  t.equal(req?.status, 'pending', 'the confirmed request is there, pending');
  const back = await callee([{ pause: 1500 }, { info: '1' }, { pause: 2000 }, { bye: true }], 1);
  const op = await phone('cb1', 5191, [{ pause: 1000 }, { info: '1' }], 14_000);
  ok(t, await back.done, 'the caller was called back, once, pressed 1 and hung up');
  ok(t, await op.done, 'through the operator');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [req!.id]);
  t.match(attemptsOf(req!.id), [{ outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected');
  t.equal(attemptsOf(req!.id).length, 1, 'and only one');
  await assertNothingLeft(t);
});

t.test('killed while the operator is being dialled: that call is cancelled, the attempt closed, the next one only after', async (t) => {
  const ani = '0613000005';
  const id = await book(t, ani);
  const op = await refusingPhone('cb1', 5192, { ringForever: true }, 30_000);
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
  ok(t, await op.done, "the operator's phone: two calls, one after the other, both ended cleanly");
  await assertNothingLeft(t);
});

t.test("killed while the caller's phone rings: no second concurrent dial, the attempt is accounted for", async (t) => {
  const ani = '0613000006';
  const id = await book(t, ani);
  const back = await refusingCallee({ ringForever: true }, 2, 90_000);
  const op = await phone('cb1', 5193, [{ pause: 1000 }, { info: '1' }], 33_000);
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
  ok(t, await op.done, "the operator's phone: both attempts ended cleanly");
  await assertNothingLeft(t);
});

t.test('killed while a caller talks with the operator: they stay connected; the call ends when the caller hangs up', async (t) => {
  const a: Phone = await startPhone({
    id: 'fa-1',
    password: PASS,
    port: 5182,
    rtpPort: nextRtp(),
    rxScenario: writePhoneScenario('fault-talk', { answerAfterMs: 1000 }),
    holdMs: 40_000,
  });
  const ani = '0613000007';
  const pending = caller(OPEN, ani, [{ pause: 1500 }, { keys: '1' }, { pause: 3000 }, { voice: true }, { pause: 16_000 }, { hangup: true }]);
  await eventSeen(ani, 'ringing_ended', "AND json_extract(e.data, '$.answered') = 1");
  const restartedAt = await killAndRestart(t);
  const r = await pending;
  const hungUpAt = Date.now();
  t.equal(r.code, 0, 'the caller talked on and hung up itself (no BYE from the PBX before)', { report: r.code === 0 ? undefined : agentReport(r) });
  ok(t, await a.done, 'the operator got the BYE when the caller hung up');
  const heard = voicedBetween(r, restartedAt + 1000, hungUpAt - 500);
  t.ok(heard > 200, `the caller heard the operator after the restart (${heard} voiced packets)`);
  const opHeard = voicedBetween(a, restartedAt + 1000, hungUpAt - 500);
  t.ok(opHeard > 200, `the operator heard the caller after the restart (${opHeard} voiced packets)`);
  const call = await waitForRow<{ id: string; end_reason: string }>('the call closed', 'SELECT id, end_reason FROM calls WHERE caller = ? AND ended_at IS NOT NULL', [ani]);
  t.equal(call.end_reason, 'caller_hangup', "closed as the caller's hang-up, not lost");
  t.equal(query("SELECT 1 FROM call_events WHERE call_id = ? AND type = 'recovered'", call.id).length, 1, "the recovery is in the call's events");
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.match(profile.timeline.find((e) => e.kind === 'call')?.summary, /answered by fa-1.*kept through a controller restart \(caller_hangup\)/, "and in the caller's profile");
  await assertNothingLeft(t);
});

t.test('killed during a transfer while the unit rings: the unit stops, the caller is back with the operator', async (t) => {
  const ani = '0613000008';
  const id = await book(t, ani);
  const unit = await refusingPhone('cbu1', 5194, { ringForever: true }, 30_000);
  const back = await callee([{ pause: 1500 }, { info: '1' }, { voice: true }, { pause: 20_000 }, { bye: true }], 1, 1000, 90_000);
  const op = await phone('cb1', 5195, [{ pause: 1500 }, { info: '1' }, { pause: 3000 }, { info: '*5' }], 40_000);
  await eventually(
    "the unit's phone ringing",
    async () => (await ari<Array<{ name: string; state: string }>>('/channels')).some((c) => c.name.startsWith('PJSIP/cbu1') && c.state === 'Ringing'),
    30_000,
  );
  const restartedAt = await killAndRestart(t);
  await eventually("the unit's phone stopped ringing", async () => (await ari<Array<{ name: string }>>('/channels')).every((c) => !c.name.startsWith('PJSIP/cbu1')), 5_000);
  t.pass("the unit's phone stopped ringing");
  ok(t, await back.done, 'the caller talked on and hung up itself');
  const hungUpAt = Date.now();
  ok(t, await op.done, 'the operator got the BYE');
  ok(t, await unit.done, "the unit's phone got a CANCEL");
  const opHeard = voicedBetween(op, restartedAt + 3000, hungUpAt - 1000);
  t.ok(opHeard > 200, `the operator hears the caller again after the restart (${opHeard} voiced packets)`);
  t.match(attemptsOf(id), [{ outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected: the caller is not called again');
  t.equal(attemptsOf(id).length, 1);
  await assertNothingLeft(t);
});

t.test('Asterisk restarted under load: calls in flight closed, the controller reconnects, the next caller books', async (t) => {
  const scenario = writeCallerScenario('fault-load', [{ pause: 2500 }, { keys: '1' }, { pause: 8000 }, { hangup: true }], { load: true });
  const startedAt = new Date().toISOString();
  const load = sipp({
    scenario,
    ip: TRUNK_IP,
    port: 5320,
    service: NOBODY,
    timeoutMs: 120_000,
    extra: ['-m', '40', '-r', '5', '-l', '40', '-mi', TRUNK_IP, '-min_rtp_port', '30000', '-max_rtp_port', '39998', '-recv_timeout', '20000'],
  });
  await eventually(
    '20 calls in the IVR',
    async () => query<{ n: number }>('SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL AND started_at >= ?', startedAt)[0]!.n >= 20,
    30_000,
  );
  const r = await run('podman', [...PODMAN, 'restart', '-t', '2', PBX_CONTAINER], { timeoutMs: 90_000 });
  t.equal(r.code, 0, 'Asterisk restarted with calls in flight', { stderr: r.stderr });
  await eventually('controller reconnected (healthz 200)', async () => (await healthz().catch(() => 0)) === 200, 60_000);
  const lr = await load;
  t.comment(`load: SIPp exit ${lr.code} (calls cut by the restart fail on its side, as expected)`);
  await eventually(
    'every call of the load closed in the record',
    async () => query<{ n: number }>('SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL').map((x) => x.n)[0] === 0,
    30_000,
  );
  const closed = query<{ n: number; lost: number }>("SELECT COUNT(*) AS n, SUM(end_reason = 'lost') AS lost FROM calls WHERE started_at >= ?", startedAt)[0]!;
  t.ok(closed.n >= 20, `${closed.n} calls recorded, ${closed.lost} closed as lost by the restart`);
  const ani = '0613000009';
  const next = await callIvr({ number: NOBODY, ani, rtpPort: nextRtp(), steps: [{ pause: 2500 }, { keys: '1' }, { pause: 3000 }, { keys: '1' }] });
  ok(t, next, 'the next caller: answered, offered, booked, goodbye');
  t.match(query('SELECT status FROM callbacks WHERE number = ?', ani), [{ status: 'pending' }], 'the booking is stored');
  await assertNothingLeft(t);
});

t.test('after every kill and restart the database is intact and consistent', async (t) => {
  const db = openDb();
  try {
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check');
    t.same(db.pragma('foreign_key_check'), [], 'PRAGMA foreign_key_check');
    const dup = db.prepare('SELECT callback_id, COUNT(*) AS n FROM callback_attempts WHERE ended_at IS NULL GROUP BY callback_id HAVING n > 1').all();
    t.same(dup, [], 'never two live attempts for one request');
    t.same(db.prepare('SELECT id FROM calls WHERE ended_at IS NULL').all(), [], 'no call left open');
  } finally {
    db.close();
  }
});
