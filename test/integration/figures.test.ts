// After a scripted set of real calls to a directorate nobody else calls (t-fig), the report
// (ivrctl report, the figures' one implementation) and /metrics show exactly those calls:
// one answered by an operator after 2 rings, one that finds nobody and books a callback,
// one that hangs up in the menu.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { agentReport, answeredBy, assertNothingLeft, callIvr, cue, ivrctl, query, STATE_DIR, startPhone } from './harness';
import { writePhoneScenario } from './scenarios';

const DP = 't-fig';
const NUMBER = '0611000005';

const metric = async (line: string): Promise<number | undefined> => {
  const text = await (await fetch('http://127.0.0.1:8080/metrics')).text();
  const m = text.split('\n').find((l) => l.startsWith(line + ' '));
  return m === undefined ? undefined : Number(m.slice(line.length + 1));
};

t.test('three real calls, then the report and /metrics count exactly them', async (t) => {
  const before = {
    answered: await metric(`ivr_calls_total{dp="${DP}",result="answered"}`),
    booked: await metric(`ivr_calls_total{dp="${DP}",result="booked"}`),
    abandoned: await metric(`ivr_calls_total{dp="${DP}",result="abandoned"}`),
  };
  t.same(before, { answered: 0, booked: 0, abandoned: 0 }, 'every result of the directorate is exported from the start, at 0');

  const add = await ivrctl('operators', 'add', 'fig1', '--dp', DP, '--role', 'staff', '--password', 'Passw0rd-fig1');
  t.equal(add.code, 0, add.stderr);
  // 1. answered after about 6 s: 2 rings (5 s each, the second begun)
  const phone = await startPhone({
    id: 'fig1',
    password: 'Passw0rd-fig1',
    port: 5091,
    rtpPort: 42400,
    rxScenario: writePhoneScenario(`phone-fig1-${Date.now()}`, { answerAfterMs: 6000 }),
  });
  // the caller talks for 2 s once the operator answered, then hangs up
  const answering = callIvr({
    number: NUMBER,
    ani: '0612770001',
    rtpPort: 42410,
    steps: [{ heard: 'it/menu-main' }, { keys: '1' }, { cue: '0612770001 answered' }, { talk: 2000 }, { hangup: true }],
  });
  await answeredBy('0612770001', 'fig1');
  cue('0612770001 answered');
  const answered = await answering;
  t.equal(answered.code, 0, 'answered, talked, hung up', { report: answered.code === 0 ? undefined : agentReport(answered) });
  const ph = await phone.stop();
  t.equal(ph.code, 0, 'the operator answered and unregistered', { report: ph.code === 0 ? undefined : agentReport(ph) });
  // 2. nobody registered now: the offer at once, a booking on the calling number
  const booked = await callIvr({
    number: NUMBER,
    ani: '0612770002',
    rtpPort: 42412,
    steps: [{ heard: 'it/menu-main' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }],
  });
  t.equal(booked.code, 0, 'booked', { report: booked.code === 0 ? undefined : agentReport(booked) });
  // 3. hangs up in the menu
  const gone = await callIvr({ number: NUMBER, ani: '0612770003', rtpPort: 42414, steps: [{ heard: 'it/menu-main' }, { hangup: true }] });
  t.equal(gone.code, 0, 'hung up in the menu', { report: gone.code === 0 ? undefined : agentReport(gone) });
  t.same(
    query<{ caller: string; answered_by: string | null; ring_count: number | null }>('SELECT caller, answered_by, ring_count FROM calls WHERE dp = ? ORDER BY started_at', DP),
    [
      { caller: '0612770001', answered_by: 'fig1', ring_count: 2 },
      { caller: '0612770002', answered_by: null, ring_count: null },
      { caller: '0612770003', answered_by: null, ring_count: null },
    ],
    'the calls as recorded',
  );

  const r = await ivrctl('report', '--dp', DP, '--format', 'json');
  t.equal(r.code, 0, r.stderr);
  const [f] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
  t.match(f, {
    dp: DP,
    callsReceived: 3,
    answeredByOperator: 1,
    meanRingsBeforeAnswer: 2,
    answeredAfterRings: { '2': 1 },
    ringUnanswered: 0,
    noOperatorAvailable: 1,
    hungUpInIvr: 1,
    hungUpWhileRinging: 0,
    callbackOffers: 1,
    bookings: 1,
    callbacksByStatus: { pending: 1, dialing: 0, done: 0, failed: 0, cancelled: 0, expired: 0 },
    operatorOutcomes: [{ code: '0', label: 'not_recorded', count: 1, byDefault: 1 }],
  });

  t.equal(await metric(`ivr_calls_total{dp="${DP}",result="answered"}`), 1);
  t.equal(await metric(`ivr_calls_total{dp="${DP}",result="booked"}`), 1);
  t.equal(await metric(`ivr_calls_total{dp="${DP}",result="abandoned"}`), 1);
  t.equal(await metric(`ivr_rings_before_answer_count{dp="${DP}"}`), 1);
  t.equal(await metric(`ivr_rings_before_answer_sum{dp="${DP}"}`), 2);
  t.equal(await metric(`ivr_callbacks_pending{dp="${DP}"}`), 1);
  t.equal(await metric(`ivr_operators{dp="${DP}",state="unregistered"}`), 1, 'fig1 has unregistered');
  t.equal(await metric(`ivr_operators{dp="${DP}",state="ringing"}`), 0, 'a state nobody is in is exported as 0');
  t.ok((await metric('ivr_db_query_seconds_count{op="select"}'))! > 0, 'statement latency is measured');
  t.equal(await metric('ivr_ari_connected'), 1);
  // the figures' one implementation, exported too
  t.equal(await metric(`ivr_today_calls_received{dp="${DP}"}`), 3);
  t.equal(await metric(`ivr_today_bookings{dp="${DP}"}`), 1);
  t.equal(await metric(`ivr_today_hung_up_in_ivr{dp="${DP}"}`), 1);
  await assertNothingLeft(t);
});

t.test("Asterisk's own metrics: on the ARI server, refused without the generated credentials", async (t) => {
  const url = 'http://127.0.0.1:8088/metrics';
  t.equal((await fetch(url)).status, 401, 'no credentials: 401');
  t.equal((await fetch(url, { headers: { authorization: `Basic ${Buffer.from('prometheus:wrong').toString('base64')}` } })).status, 401, 'a wrong password: 401');
  const s = JSON.parse(readFileSync(path.join(STATE_DIR, 'secrets.json'), 'utf8')) as { metrics: { user: string; password: string } };
  const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${s.metrics.user}:${s.metrics.password}`).toString('base64')}` } });
  t.equal(res.status, 200);
  const text = await res.text();
  t.match(text, /^asterisk_core_uptime_seconds\{[^}]*\} \d+/m, 'core metrics');
  t.match(text, /^asterisk_endpoints_state\{[^}]*resource="trunk"[^}]*\} \d/m, 'endpoint states (the trunk among them)');
  // what the shipped Grafana dashboard asks of Asterisk, this Asterisk exports
  const dashboard = readFileSync(path.join(__dirname, '..', '..', '..', 'deploy', 'grafana', 'ivr-callback.json'), 'utf8');
  const wanted = [...new Set(dashboard.match(/\basterisk_[a-z_]+/g) ?? [])];
  t.ok(wanted.length > 0, `the dashboard uses ${wanted.join(', ')}`);
  for (const name of wanted) t.match(text, new RegExp(`^${name}\\{`, 'm'), `${name} exported by Asterisk`);
});
