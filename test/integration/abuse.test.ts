// Abuse from the public network: a bounded INVITE flood from the trunk address, then an
// ordinary caller: the service must still answer them and take their booking, and nothing
// may be left behind. (Random and overlong keys, silence and early hang-ups at every prompt
// are in ivr-callers.test.ts; addresses other than the trunk and unknown numbers in
// trunk-security.test.ts; fuzzed configs and CLI arguments in test/unit/abuse-input.test.ts.)
import t from 'tap';
import { agentReport, assertNothingLeft, callIvr, eventually, query, sipp, TRUNK_IP } from './harness';
import { writeCallerScenario } from './scenarios';

const NOBODY = '0611000002'; // t-empty: nobody registered, the offer at once

t.test('after 300 calls in 3 s from the trunk, the next caller is answered and books', async (t) => {
  const scenario = writeCallerScenario('flood-caller', [{ pause: 300 }, { hangup: true }], { load: true });
  const started = Date.now();
  const flood = await sipp({
    scenario,
    ip: TRUNK_IP,
    port: 5310,
    service: NOBODY,
    timeoutMs: 90_000,
    extra: ['-m', '300', '-r', '100', '-l', '300', '-mi', TRUNK_IP, '-min_rtp_port', '30000', '-max_rtp_port', '39998', '-recv_timeout', '20000'],
  });
  const floodMs = Date.now() - started;
  t.comment(`flood: 300 calls at 100/s handled in ${floodMs} ms, SIPp exit ${flood.code}`);
  // whatever the flood got, the service must serve the next caller normally
  const ani = '0612880001';
  const r = await callIvr({ number: NOBODY, ani, rtpPort: 42500, steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }] });
  t.equal(r.code, 0, 'the next caller: answered, offered, booked, goodbye', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(query('SELECT dp, number, status FROM callbacks WHERE number = ?', ani), [{ dp: 't-empty', number: ani, status: 'pending' }], 'the booking is stored');
  const calls = query<{ n: number; open: number }>(
    "SELECT COUNT(*) AS n, SUM(ended_at IS NULL) AS open FROM calls WHERE dp = 't-empty' AND caller LIKE '0612%' AND caller != ? AND started_at >= ?",
    ani,
    new Date(started).toISOString(),
  )[0]!;
  t.comment(`flood: ${calls.n} calls recorded, ${calls.open} still open right after`);
  // 100 calls a second is within what this box takes (measured: every one, in about 3.5 s):
  // each must be answered on SIPp's side and recorded once, and none left open
  t.equal(flood.code, 0, 'SIPp: every flood call answered and ended as scripted', { report: flood.code === 0 ? undefined : agentReport(flood) });
  t.equal(calls.n, 300, 'each of the 300 flood calls recorded, once');
  await eventually('every flood call closed', async () => query<{ n: number }>('SELECT COUNT(*) AS n FROM calls WHERE ended_at IS NULL').map((x) => x.n)[0] === 0, 20_000);
  t.pass('no call left open');
  await assertNothingLeft(t);
});
