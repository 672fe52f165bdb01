// The carrier's trunks, written from the configuration (test/fixtures/ivr-test.yaml), with
// SIPp as the carrier: a registration trunk (Asterisk registers at a SIPp registrar with
// digest credentials; calls from the registrar's address reach the IVR) and an IP trunk that
// challenges the callback's INVITE and wants E.164 numbers and P-Asserted-Identity. Caller
// ids and dialled numbers arrive as +39… and 0039…; the bookings hold the national number.
import t, { type Test } from 'tap';
import {
  agentReport,
  assertNothingLeft,
  CARRIER_IP,
  eventually,
  CARRIER_PASSWORD,
  callIvr,
  pbxCli,
  query,
  REGISTRAR_IP,
  seededPassword,
  sippTrace,
  startCallee,
  startPhone,
  waitForRow,
  type SippResult,
} from './harness';
import { writeAnsweringScenario, writeRegistrarScenario } from './scenarios';
import { TAKES } from './callback-agents';

const ok = (t: Test, r: SippResult, what: string): void => void t.equal(r.code, 0, what, { report: r.code === 0 ? undefined : agentReport(r) });

/** SIPp's whole message trace of an agent (the report keeps only its tail) */
const trace = sippTrace;

let rtp = 46000;
const nextRtp = (): number => (rtp += 2);

/** books a callback on the calling number: nobody is registered, so the offer comes at once; hangs up as the confirmation starts */
const BOOK = [{ heard: 'it/menu-main' }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }] as const;

t.test('registration trunk: Asterisk registers at the carrier with a valid digest; a call from the carrier, +39 on both sides, books the national number', async (t) => {
  // the registrar answers at 127.0.0.5:5060; Asterisk is asked to register now rather than at
  // its next retry (it has been retrying since the stack started, unanswered)
  const registrar = await startCallee({
    scenario: writeRegistrarScenario('carrier-registrar', {
      user: 'ivr-dp-reg',
      password: CARRIER_PASSWORD,
      realm: 'carrier.test',
      expect: ['^REGISTER sip:127\\.0\\.0\\.5:5060 SIP/2\\.0', 'To: <sip:ivr-dp-reg@127\\.0\\.0\\.5(:5060)?>'],
    }),
    rtpPort: nextRtp(),
    calls: 1,
    timeoutMs: 30_000,
    ip: REGISTRAR_IP,
  });
  await pbxCli('pjsip send register carrier-reg-reg');
  const reg = await registrar.done;
  ok(t, reg, 'the registrar challenged the REGISTER and accepted the re-sent one: digest valid for ivr-dp-reg, To is the account');
  const messages = trace(reg);
  t.match(
    messages,
    /REGISTER sip:127\.0\.0\.5:5060[\s\S]*401 Unauthorized[\s\S]*Authorization: Digest username="ivr-dp-reg"/,
    'the message trace: REGISTER, 401, REGISTER with the credentials',
  );
  t.match(messages, /Expires: 600\r?\n[^]*?Authorization: Digest username="ivr-dp-reg"[^]*?SIP\/2\.0 200 OK/, 'a registration (Expires 600) with the credentials, answered 200');

  const state = await eventually(
    'Asterisk registered at the carrier',
    async () => {
      const out = await pbxCli('pjsip show registrations');
      return /carrier-reg-reg\/sip:127\.0\.0\.5:5060\s+carrier-reg-auth\s+Registered/.test(out) ? out : undefined;
    },
    10_000,
  );
  t.match(state, /Registered/, 'and Asterisk says it is registered');

  // an outside caller through the carrier: dialled +390611000009, calling from +393471230009
  const ani = '+393471230009';
  const r = await callIvr({ ip: REGISTRAR_IP, number: '+390611000009', ani, rtpPort: nextRtp(), steps: [...BOOK] });
  ok(t, r, "the call from the registrar's address reached the IVR, was answered and booked");
  t.ok(r.rtp.voicedBytes > 4000, `the caller heard the IVR (${r.rtp.voicedBytes} voiced bytes)`);
  const [row] = query<{ dp: string; number: string; status: string }>("SELECT dp, number, status FROM callbacks WHERE dp = 't-reg' ORDER BY id DESC LIMIT 1");
  t.same(row, { dp: 't-reg', number: '3471230009', status: 'pending' }, "the booking holds the national number, at the directorate the carrier's number belongs to");
  const [call] = query<{ caller: string; dialed: string }>("SELECT caller, dialed FROM calls WHERE dp = 't-reg' ORDER BY started_at DESC LIMIT 1");
  t.equal(call?.caller, '3471230009', 'the call record holds the national caller id');

  // a number of another trunk's directorate does not exist on this trunk
  const wrong = await callIvr({ ip: REGISTRAR_IP, number: '0611000010', ani, rtpPort: nextRtp(), steps: [{ pause: 500 }, { hangup: true }], timeoutMs: 15_000 });
  t.not(wrong.code, 0, 'a directorate of another trunk, dialled from this carrier: refused');
  t.match(wrong.logs, /SIP\/2\.0 404/, 'with 404 (unallocated), never answered');
  await assertNothingLeft(t);
});

t.test(
  "IP trunk in E.164 with outbound auth: a 0039 caller books; the callback INVITE is challenged, re-sent with credentials, to +39… from the directorate's +39 number with PAI",
  async (t) => {
    const ani = '00393471230010';
    const r = await callIvr({ ip: CARRIER_IP, number: '0611000010', ani, rtpPort: nextRtp(), steps: [...BOOK] });
    ok(t, r, 'booked through the E.164 carrier');
    const [row] = query<{ id: number; number: string }>("SELECT id, number FROM callbacks WHERE dp = 't-e164' AND status = 'pending' ORDER BY id DESC LIMIT 1");
    t.equal(row?.number, '3471230010', '0039… booked as the national number');

    const callee = await startCallee({
      scenario: writeAnsweringScenario('carrier-e164-callee', {
        answerAfterMs: 500,
        steps: [{ heard: 'dp/t-e164-callback-greeting' }, { info: '1' }, { talk: 1000 }, { bye: true }],
        carrier: {
          user: 'ivr-dp-e164',
          password: CARRIER_PASSWORD,
          realm: 'carrier.test',
          expect: [
            '^INVITE sip:\\+393471230010@127\\.0\\.0\\.6',
            'From: "Agenzia Entrate Test Internazionale" <sip:\\+390611000010@',
            'P-Asserted-Identity: "Agenzia Entrate Test Internazionale" <sip:\\+390611000010@',
          ],
        },
      }),
      rtpPort: nextRtp(),
      calls: 1,
      timeoutMs: 60_000,
      ip: CARRIER_IP,
    });
    const op = await startPhone({
      id: 'e164op',
      password: seededPassword('e164op'),
      port: 5094,
      rtpPort: nextRtp(),
      rxScenario: writeAnsweringScenario('op-e164op', { answerAfterMs: 500, steps: [...TAKES, { heard: 'it/op-outcome' }, { info: '1' }] }),
      maxCalls: 2,
      busyAtOnce: true,
    });
    const c = await callee.done;
    ok(t, c, 'the carrier challenged the INVITE, got it again with a valid digest, to +393471230010, from and PAI +390611000010; the caller pressed 1 and hung up');
    t.match(
      trace(c),
      /INVITE sip:\+393471230010@[\s\S]*401 Unauthorized[\s\S]*INVITE sip:\+393471230010@[\s\S]*Authorization: Digest username="ivr-dp-e164"/,
      'the message trace: INVITE, 401, INVITE with the credentials',
    );
    await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [row!.id], 20_000);
    t.match(query('SELECT outcome FROM callback_attempts WHERE callback_id = ?', row!.id), [{ outcome: 'connected' }], 'one attempt, connected');
    await op.stop();
    await assertNothingLeft(t);
  },
);
