// Fault injection against the real stack, for callers in the IVR: the controller killed with
// SIGKILL while the phones ring, during the offer, while a number is typed; and Asterisk
// restarted under load. The callers in flight hear the apology instead of silence, nothing is
// booked half-way, and nothing is left in Asterisk once the call ends. The kill is triggered
// by what the controller has recorded (a call event) or by what Asterisk shows (a phone
// ringing), never by a timer. The callbacks' part is controller-kill-callbacks.test.ts.
import t from 'tap';
import { ok } from '../integration/callback-agents';
import { ari, assertNothingLeft, callIvr, eventually, healthz, PBX_CONTAINER, PODMAN, query, run, sipp, startPhone, TRUNK_IP } from '../integration/harness';
import { writeCallerScenario, writePhoneScenario } from '../integration/scenarios';
import { assertDatabaseIntact, callOf, eventSeen, killKit, NOBODY, OPEN, PASS } from './kills';

const { nextRtp, killAndRestart, caller, heardApology } = killKit(t, { rtpBase: 46000, operator: 'fa-1' });

t.test("killed while the operators' phones ring: the phones stop, the caller hears the apology, the call is closed as lost", async (t) => {
  const a = await startPhone({ id: 'fa-1', password: PASS, port: 5181, rtpPort: nextRtp(), rxScenario: writePhoneScenario('fault-ring', { ringForever: true }) });
  const ani = '0613000001';
  const pending = caller(OPEN, ani, [{ heard: 'dp/t-open-welcome' }, { keys: '1' }]);
  await eventSeen(ani, 'ringing_started');
  const restartedAt = await killAndRestart(t);
  await eventually("the operator's phone stopped ringing", async () => (await ari<Array<{ name: string }>>('/channels')).every((c) => !c.name.startsWith('PJSIP/fa-1')), 5_000);
  t.pass(`the phone stopped ringing within ${Date.now() - restartedAt} ms of the restart`);
  await heardApology(t, pending, restartedAt);
  ok(t, await a.stop(), 'the phone got a CANCEL for its ringing call');
  t.equal(callOf(ani)?.end_reason, 'lost', 'the interrupted call is closed as lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'nothing booked');
  await assertNothingLeft(t);
});

t.test('killed during the callback offer: the apology, nothing booked', async (t) => {
  const ani = '0613000002';
  const pending = caller(NOBODY, ani, [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }]);
  await eventSeen(ani, 'offer');
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  t.equal(callOf(ani)?.end_reason, 'lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'nothing booked');
  await assertNothingLeft(t);
});

t.test('killed while the caller types a number: the apology, nothing booked', async (t) => {
  const ani = '0613000003';
  const pending = caller(NOBODY, ani, [
    { heard: 'dp/t-empty-welcome' },
    { keys: '1' },
    { heard: 'it/offer-callback' },
    { keys: '2' },
    { heard: 'it/type-number' },
    { keys: '335' },
  ]);
  await eventSeen(ani, 'dtmf', "AND json_extract(e.data, '$.digit') = '5'");
  const restartedAt = await killAndRestart(t);
  await heardApology(t, pending, restartedAt);
  t.equal(callOf(ani)?.end_reason, 'lost');
  t.equal(query('SELECT 1 FROM callbacks WHERE number LIKE ?', '335%').length, 0, 'nothing booked from a number half typed');
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
  const next = await callIvr({ number: NOBODY, ani, rtpPort: nextRtp(), steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }] });
  ok(t, next, 'the next caller: answered, offered, booked, goodbye');
  t.match(query('SELECT status FROM callbacks WHERE number = ?', ani), [{ status: 'pending' }], 'the booking is stored');
  await assertNothingLeft(t);
});

t.test('after every kill and restart the database is intact and consistent', async (t) => {
  assertDatabaseIntact(t);
});
