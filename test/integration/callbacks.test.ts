// Calling back through the next free operator, with real SIP agents: the operator's phone
// (SIPp, registered, keys as SIP INFO) and the caller at the trunk address 127.0.0.2:5060
// (SIPp, keys as RFC 4733). The directorate t-cb has short rings and retry delays.
import t, { type Test } from 'tap';
import { agentReport, assertNothingLeft, callIvr, ivrctl, query, seededPassword, startCallee, startPhone, waitForRow, type Phone, type SippResult } from './harness';
import { writeAnsweringScenario, type AnswerStep } from './scenarios';

const CB_NUMBER = '0611000004';
let seq = 0;
let rtp = 44000;
const nextRtp = (): number => (rtp += 2);

const ok = (t: Test, r: SippResult, what: string): void => {
  t.equal(r.code, 0, what, { report: r.code === 0 ? undefined : agentReport(r) });
};

/** Books a callback on the calling number through the IVR (nobody registered: offer at once). */
async function book(t: Test, ani: string): Promise<number> {
  const r = await callIvr({ number: CB_NUMBER, ani, rtpPort: nextRtp(), steps: [{ pause: 2500 }, { keys: '1' }, { pause: 3000 }, { keys: '1' }] });
  ok(t, r, `${ani} booked a callback through the IVR`);
  const [row] = query<{ id: number; status: string }>("SELECT id, status FROM callbacks WHERE number = ? AND dp = 't-cb' ORDER BY id DESC LIMIT 1", ani);
  t.equal(row?.status, 'pending', 'the request is pending');
  return row!.id;
}

const phone = (id: string, port: number, steps: AnswerStep[], holdMs: number, answerAfterMs = 500): Promise<Phone> =>
  startPhone({ id, password: seededPassword(id), port, rtpPort: nextRtp(), rxScenario: writeAnsweringScenario(`op-${id}-${++seq}`, { answerAfterMs, steps }), holdMs, maxCalls: 5, busyAtOnce: true });

const callee = (steps: AnswerStep[], calls = 1, answerAfterMs = 1000, timeoutMs = 60_000): Promise<Phone> =>
  startCallee({ scenario: writeAnsweringScenario(`callee-${++seq}`, { answerAfterMs, steps, expectFrom: CB_NUMBER }), rtpPort: nextRtp(), calls, timeoutMs, speak: false });

type Attempt = { operator: string; outcome: string | null; caller_attempt: number | null; cause: number | null; ended_at: string | null; caller_dialed_at: string | null };
const attemptsOf = (id: number): Attempt[] => query<Attempt>('SELECT * FROM callback_attempts WHERE callback_id = ? ORDER BY id', id);

t.test('booked through the IVR, called back through the operator: whisper, 1, the caller presses 1, bridged, outcome code', async (t) => {
  const ani = '0612350001';
  const id = await book(t, ani);
  const caller = await callee([{ pause: 1500 }, { info: '1' }, { voice: true }, { pause: 5000 }, { bye: true }]);
  const op = await phone('cb1', 5091, [{ pause: 1500 }, { info: '1' }, { pause: 11_000 }, { info: '3' }], 25_000);
  const [rc, ro] = await Promise.all([caller.done, op.done]);
  ok(t, rc, 'the caller was called from the public number, pressed 1, talked and hung up');
  ok(t, ro, 'the operator answered, heard the whisper, keyed 1 and later the outcome code 3');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [id]);
  t.match(attemptsOf(id), [{ operator: 'cb1', outcome: 'connected', caller_attempt: 1 }], 'one attempt, connected');
  const [outcome] = await Promise.all([waitForRow<{ code: string; label: string; by_default: number; official: string }>('the outcome code', "SELECT * FROM outcomes WHERE callback_id = ? AND kind = 'operator'", [id])]);
  t.match(outcome, { code: '3', label: 'wrong_number', by_default: 0, official: 'cb1' }, 'the code keyed by the operator');
  t.ok(caller.rtp.voicedBytes > 8000, `the caller heard the greeting and the operator (${caller.rtp.voicedBytes} voiced bytes)`);
  t.ok(op.rtp.voicedBytes > 8000, `the operator heard the whisper and the caller (${op.rtp.voicedBytes} voiced bytes)`);
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.same(profile.timeline.map((e) => e.kind), ['call', 'callback', 'attempt', 'outcome'], 'the profile: the call, the request, the attempt, the outcome');
  await assertNothingLeft(t);
});
