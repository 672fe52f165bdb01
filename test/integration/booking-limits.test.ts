// The booking limits on t-cap (0611000008: at most one request per number and two per calling
// number a day, three a day for the directorate; nobody registered, so the offer comes at
// once): each refusal told with its own prompt, and nothing written.
import t from 'tap';
import { agentReport, assertNothingLeft, asteriskLog, callEvents, callIvr, ivrctl, query, type SippResult } from './harness';

const CAP = '0611000008';
let rtp = 47600;
const nextRtp = (): number => (rtp += 2);

t.test('booking limits: per number, per calling number, per directorate and day, each told with its prompt; nothing written', async (t) => {
  const own = (ani: string) =>
    callIvr({ number: CAP, ani, rtpPort: nextRtp(), steps: [{ heard: 'dp/t-cap-welcome' }, { keys: '1' }, { heard: 'it/no-operator-online' }, { keys: '1' }] });
  const other = (ani: string, number: string) =>
    callIvr({
      number: CAP,
      ani,
      rtpPort: nextRtp(),
      steps: [
        { heard: 'dp/t-cap-welcome' },
        { keys: '1' },
        { heard: 'it/no-operator-online' },
        { keys: '2' },
        { heard: 'it/type-number' },
        { keys: `${number}#` },
        { heard: 'it/confirm-or-reenter' },
        { keys: '1' },
      ],
    });
  const count = (): number => query<{ n: number }>("SELECT COUNT(*) AS n FROM callbacks WHERE dp = 't-cap'")[0]!.n;
  const heard = async (what: string, call: Promise<SippResult>, prompt: string): Promise<void> => {
    const from = asteriskLog().length;
    const r = await call;
    t.equal(r.code, 0, `${what}: the PBX ended the call`, { report: r.code === 0 ? undefined : agentReport(r) });
    t.match(asteriskLog().slice(from), new RegExp(`sounds/it/${prompt}\\.`), `${what}: "${prompt}" played`);
  };
  const a = '0613700201';
  await heard('the first request', own(a), 'booking-registered');
  const [first] = query<{ id: number }>("SELECT id FROM callbacks WHERE number = ? AND dp = 't-cap'", a);
  t.equal((await ivrctl('callbacks', 'cancel', String(first!.id))).code, 0);
  await heard('the same number again the same day', own(a), 'number-daily-cap');
  t.equal(count(), 1, 'not written');
  await heard('another number from the same caller', other(a, '0613700202'), 'booking-registered');
  await heard('a third request from that caller', other(a, '0613700203'), 'caller-daily-cap');
  t.equal(count(), 2, 'not written');
  await heard('a second caller', own('0613700204'), 'booking-registered');
  await heard("past the day's capacity", own('0613700205'), 'capacity-full');
  t.equal(count(), 3, 'not written');
  const refused = callEvents('0613700205').find((e) => e.type === 'booking_refused');
  t.match(refused?.data, { reason: 'dp_capacity' });
  await assertNothingLeft(t);
});
