// The agents of a callback test, shared by the callback and fault suites: booking through
// the IVR of t-cb or another directorate (nobody registered: the offer at once), the operators' phones (SIPp,
// registered, keys as SIP INFO) and the callers at the trunk address 127.0.0.2:5060 (SIPp,
// keys as RFC 4733). Each suite takes its own range of RTP ports.
import type { Test } from 'tap';
import { agentReport, ari, callIvr, eventually, query, seededPassword, startCallee, startPhone, type Agent, type Phone, type SippResult } from './harness';
import { writeAnsweringScenario, writePhoneScenario, type AnswerStep, type PhoneBehaviour } from './scenarios';

export const CB_NUMBER = '0611000004';

/** An operator takes the callback: 1 as the whisper starts (call the caller now). */
export const TAKES: AnswerStep[] = [{ heard: 'it/op-whisper-callback' }, { info: '1' }];

export const ok = (t: Test, r: SippResult, what: string): void => {
  t.equal(r.code, 0, what, { report: r.code === 0 ? undefined : agentReport(r) });
};

export type Attempt = {
  id: number;
  operator: string;
  stage: string;
  outcome: string | null;
  caller_attempt: number | null;
  cause: number | null;
  started_at: string;
  ended_at: string | null;
  caller_dialed_at: string | null;
};
export const attemptsOf = (id: number): Attempt[] => query<Attempt>('SELECT * FROM callback_attempts WHERE callback_id = ? ORDER BY id', id);

/** the agents of a callback test at t-cb, or at another directorate (its id and public number) */
export function callbackAgents(rtpBase: number, dp: { id: string; number: string } = { id: 't-cb', number: CB_NUMBER }) {
  let seq = 0;
  let rtp = rtpBase;
  const nextRtp = (): number => (rtp += 2);

  /** Books a callback on the calling number through the IVR; resolves the request's id. */
  async function book(t: Test, ani: string): Promise<number> {
    // 1 as the welcome starts (typed ahead: the welcome passes it on to the menu), 1 as the
    // offer starts; the request is committed before the confirmation is spoken: hang up once
    // it starts
    const r = await callIvr({
      number: dp.number,
      ani,
      rtpPort: nextRtp(),
      steps: [{ heard: `dp/${dp.id}-welcome` }, { keys: '1' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
    });
    ok(t, r, `${ani} booked a callback through the IVR`);
    const [row] = query<{ id: number; status: string }>('SELECT id, status FROM callbacks WHERE number = ? AND dp = ? ORDER BY id DESC LIMIT 1', ani, dp.id);
    t.equal(row?.status, 'pending', 'the request is pending');
    return row!.id;
  }

  const phone = (id: string, port: number, steps: AnswerStep[], answerAfterMs = 500): Promise<Phone> =>
    startPhone({
      id,
      password: seededPassword(id),
      port,
      rtpPort: nextRtp(),
      rxScenario: writeAnsweringScenario(`op-${id}-${rtpBase}-${++seq}`, { answerAfterMs, steps }),
      maxCalls: 5,
      busyAtOnce: true,
    });

  /** An operator's phone that rings until CANCEL, or refuses. */
  const refusingPhone = (id: string, port: number, b: PhoneBehaviour): Promise<Phone> =>
    startPhone({
      id,
      password: seededPassword(id),
      port,
      rtpPort: nextRtp(),
      rxScenario: writePhoneScenario(`op-${id}-${rtpBase}-${++seq}`, b),
      maxCalls: 5,
      busyAtOnce: true,
    });

  const callee = (steps: AnswerStep[], calls = 1, answerAfterMs = 1000, timeoutMs = 60_000): Promise<Agent> =>
    startCallee({
      scenario: writeAnsweringScenario(`callee-${rtpBase}-${++seq}`, { answerAfterMs, steps, expectFrom: dp.number }),
      rtpPort: nextRtp(),
      calls,
      timeoutMs,
      speak: false,
    });

  /** A callee that does not answer (rings until CANCEL) or refuses (486 busy). */
  const refusingCallee = (b: PhoneBehaviour, calls = 1, timeoutMs = 60_000): Promise<Agent> =>
    startCallee({ scenario: writePhoneScenario(`callee-${rtpBase}-${++seq}`, b), rtpPort: nextRtp(), calls, timeoutMs });

  /** a called-back caller confirms: 1 as the directorate's greeting starts (typed ahead of "press 1 to speak with the operator") */
  const confirms: AnswerStep[] = [{ heard: `dp/${dp.id}-callback-greeting` }, { info: '1' }];

  return { nextRtp, book, phone, refusingPhone, callee, refusingCallee, confirms };
}

/**
 * Waits until the operator and the caller of a request's attempt are in one bridge in
 * Asterisk: the conversation listens to the operator's keys from then on. The attempt's
 * 'connected' row comes a moment before (the caller's 1 is recorded, then the bridge is
 * made): a "*" keyed between the two was lost to a test that waited for the row only.
 */
export const talking = (id: number): Promise<unknown> =>
  eventually(
    'the operator and the caller bridged',
    async () => {
      const [a] = query<{ op: string; caller: string | null }>(
        "SELECT operator_channel AS op, caller_channel AS caller FROM callback_attempts WHERE callback_id = ? AND outcome = 'connected'",
        id,
      );
      if (!a?.caller) return undefined;
      const bridges = await ari<Array<{ channels: string[] }>>('/bridges');
      return bridges.some((b) => b.channels.includes(a.op) && b.channels.includes(a.caller!)) || undefined;
    },
    30_000,
  );

/** Waits until a request's attempt rings the given side; resolves that channel's id. */
export const sideRinging = (id: number, side: 'operator' | 'caller'): Promise<string> =>
  eventually(
    `the ${side} being dialled`,
    async () => {
      const [row] = query<{ ch: string | null }>(`SELECT ${side}_channel AS ch FROM callback_attempts WHERE callback_id = ? AND ended_at IS NULL`, id);
      if (!row?.ch) return undefined;
      const ch = await ari<{ state: string }>(`/channels/${row.ch}`).catch(() => undefined);
      return ch?.state === 'Ringing' ? row.ch : undefined;
    },
    15_000,
  );
