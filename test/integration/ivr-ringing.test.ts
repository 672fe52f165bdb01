// Ringing the group: the first phone to answer is bridged with the caller (audio both
// ways) and the others stop; nobody answering leads to the offer after N rings; a caller
// hanging up while phones ring stops them all.
import t from 'tap';
import { agentReport, answeredBy, ari, assertNothingLeft, callEvents, callIvr, cue, eventually, ivrctl, query, startPhone, waitForRow, type Phone } from './harness';
import { writePhoneScenario } from './scenarios';

const PASS = { 'op-a': 'Passw0rd-op-a', 'op-b': 'Passw0rd-op-b' } as const;

t.before(async () => {
  for (const id of ['op-a', 'op-b'] as const) {
    const r = await ivrctl('operators', 'add', id, '--dp', 't-open', '--role', 'staff', '--password', PASS[id]);
    if (r.code !== 0) throw new Error(`operators add ${id}: ${r.stderr}`);
  }
});

const phone = (id: 'op-a' | 'op-b', port: number, rtpPort: number, behaviour: Parameters<typeof writePhoneScenario>[1]): Promise<Phone> =>
  startPhone({ id, password: PASS[id], port, rtpPort, rxScenario: writePhoneScenario(`phone-${id}-${Date.now()}`, behaviour) });

t.test('operator answers within the threshold: bridged, audio both ways, the other phone stops ringing', async (t) => {
  const a = await phone('op-a', 5081, 42000, { answerAfterMs: 3000 });
  const b = await phone('op-b', 5082, 42002, { ringForever: true });
  const ani = '0612340010';
  // the caller talks for 4 s once op-a answered, then hangs up
  const calling = callIvr({
    number: '0611000001',
    ani,
    rtpPort: 42010,
    steps: [{ heard: 'dp/t-open-welcome' }, { keys: '1' }, { cue: `${ani} answered` }, { talk: 4000 }, { hangup: true }],
  });
  await answeredBy(ani, 'op-a');
  cue(`${ani} answered`);
  const r = await calling;
  t.equal(r.code, 0, 'caller: answered, talked, hung up', { report: r.code === 0 ? undefined : agentReport(r) });
  const [ra, rb] = await Promise.all([a.stop(), b.stop()]);
  t.equal(ra.code, 0, 'op-a answered and got the BYE when the caller hung up', { report: ra.code === 0 ? undefined : agentReport(ra) });
  t.equal(rb.code, 0, 'op-b rang and was cancelled', { report: rb.code === 0 ? undefined : agentReport(rb) });

  const [call] = query<{ id: string; answered_by: string; ring_count: number; end_reason: string }>('SELECT * FROM calls WHERE caller = ?', ani);
  t.match(call, { answered_by: 'op-a', end_reason: 'caller_hangup' });
  const ev = callEvents(ani);
  const started = ev.find((e) => e.type === 'ringing_started');
  t.same((started?.data?.phones as string[] | undefined)?.slice().sort(), ['op-a', 'op-b'], 'both phones rang');
  const ended = ev.find((e) => e.type === 'ringing_ended');
  t.match(ended?.data, { answered: true, operator: 'op-a' });
  const answeredAt = Date.parse(ended!.at);
  t.ok(a.rtp.voicedBytes > 8000, `the operator heard the caller (${a.rtp.voicedBytes} voiced bytes)`);
  const fromOperator = r.rtp.voicedAt.filter((ts) => ts > answeredAt + 1000).length;
  t.ok(fromOperator > 100, `the caller heard the operator (${fromOperator} voiced packets after the answer)`);
  t.equal(b.rtp.packets, 0, 'the cancelled phone got no audio');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'no callback booked');
  // the caller hung up first: op-a was asked for the outcome code; its phone keys none
  t.match(
    query('SELECT kind, official, code, label, by_default FROM outcomes WHERE call_id = ?', call!.id),
    [{ kind: 'operator', official: 'op-a', code: '0', label: 'not_recorded', by_default: 1 }],
    'no code keyed: "not recorded" in the profile, nothing made up',
  );
  await assertNothingLeft(t);
});

t.test('nobody answers: both phones stop after N rings, the offer starts at N x 5 s, a booking row', async (t) => {
  const a = await phone('op-a', 5083, 42020, { ringForever: true });
  const b = await phone('op-b', 5084, 42022, { ringForever: true });
  const ani = '0612340011';
  const r = await callIvr({ number: '0611000001', ani, rtpPort: 42012, steps: [{ heard: 'dp/t-open-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }] });
  t.equal(r.code, 0, 'caller: offered, booked, goodbye from the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  const [ra, rb] = await Promise.all([a.stop(), b.stop()]);
  t.equal(ra.code, 0, 'op-a rang and was cancelled', { report: ra.code === 0 ? undefined : agentReport(ra) });
  t.equal(rb.code, 0, 'op-b rang and was cancelled', { report: rb.code === 0 ? undefined : agentReport(rb) });
  const ev = callEvents(ani);
  const started = Date.parse(ev.find((e) => e.type === 'ringing_started')!.at);
  const offer = Date.parse(ev.find((e) => e.type === 'offer')!.at);
  t.ok(Math.abs(offer - started - 10_000) <= 1000, `offer ${offer - started} ms after the ringing started (2 rings = 10 s, +-1 s)`);
  t.match(ev.find((e) => e.type === 'ringing_ended')?.data, { answered: false, rings: 2 });
  const rows = query<{ number: string; status: string; ring_count: number; menu_path: string }>('SELECT * FROM callbacks WHERE number = ?', ani);
  t.match(rows, [{ number: ani, status: 'pending', ring_count: 2, menu_path: '1,offer:1' }]);
  await assertNothingLeft(t);
});

t.test('the caller hangs up while the phones ring: they stop, nothing is booked, nothing is left', async (t) => {
  const a = await phone('op-a', 5085, 42030, { ringForever: true });
  const b = await phone('op-b', 5086, 42032, { ringForever: true });
  const ani = '0612340012';
  // the caller hangs up once both phones ring
  const calling = callIvr({ number: '0611000001', ani, rtpPort: 42014, steps: [{ heard: 'dp/t-open-welcome' }, { keys: '1' }, { cue: `${ani} ringing` }, { hangup: true }] });
  await waitForRow('both phones ringing', "SELECT 1 AS ok FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = ? AND e.type = 'ringing_started'", [ani], 20_000);
  await eventually(
    'both phones ringing',
    async () => (await ari<Array<{ name: string; state: string }>>('/channels')).filter((c) => /^PJSIP\/op-[ab]-/.test(c.name) && c.state === 'Ringing').length === 2,
    10_000,
  );
  cue(`${ani} ringing`);
  const r = await calling;
  t.equal(r.code, 0, 'caller hung up during the ringing', { report: r.code === 0 ? undefined : agentReport(r) });
  const [ra, rb] = await Promise.all([a.stop(), b.stop()]);
  t.equal(ra.code, 0, 'op-a was cancelled', { report: ra.code === 0 ? undefined : agentReport(ra) });
  t.equal(rb.code, 0, 'op-b was cancelled', { report: rb.code === 0 ? undefined : agentReport(rb) });
  t.match(query('SELECT end_reason FROM calls WHERE caller = ?', ani), [{ end_reason: 'caller_hangup' }]);
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'no booking');
  await assertNothingLeft(t);
});
