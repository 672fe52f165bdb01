// Callers in front of the IVR with real SIP agents: typing a number with read-back and a
// correction, refused numbers, a duplicate request, cancelling by calling again, outside
// service hours, the English path, random and overlong keys, silence. Each key is pressed
// when a prompt starts playing ("heard" steps, from Asterisk's log), not after a pause
// guessed from the prompts' length: the main menu's 1 during the welcome (typed ahead), the
// offer's 1 during "nobody is available", a number as "type it" starts.
import t, { type Test } from 'tap';
import { agentReport, assertNothingLeft, asteriskLog, callEvents, callIvr, query, type SippResult } from './harness';

const NOBODY = '0611000002'; // t-empty: nobody registered, Italian only
const OPEN = '0611000001'; // t-open: Italian and English
const CLOSED = '0611000003'; // t-closed: closed today, open from tomorrow 00:00
let port = 43000;
const rtpPort = (): number => (port += 2);

const ok = (t: Test, r: SippResult, what: string): void => {
  t.equal(r.code, 0, what, { report: r.code === 0 ? undefined : agentReport(r) });
};

t.test('typed number: read back digit by digit, corrected, then confirmed', async (t) => {
  const logBefore = asteriskLog().length;
  const r = await callIvr({
    number: NOBODY,
    ani: 'anonymous',
    rtpPort: rtpPort(),
    steps: [
      { heard: 'dp/t-empty-welcome' },
      { keys: '1' },
      { heard: 'it/type-number' },
      { keys: '3351112222#' },
      { heard: 'it/confirm-or-reenter' },
      { keys: '2' },
      { heard: 'it/type-number' },
      { keys: '0612223333#' },
      { heard: 'it/confirm-or-reenter' },
      { keys: '1' },
    ],
  });
  ok(t, r, 'booked, then the PBX said goodbye');
  const rows = query<{ number: string; status: string; dp: string }>("SELECT * FROM callbacks WHERE number IN ('3351112222', '0612223333')");
  t.match(rows, [{ number: '0612223333', status: 'pending', dp: 't-empty' }], 'only the corrected number is booked');
  const [call] = query<{ id: string }>("SELECT c.id FROM calls c JOIN callbacks b ON b.call_id = c.id WHERE b.number = '0612223333'");
  t.equal(query<{ caller: string | null }>('SELECT caller FROM calls WHERE id = ?', call?.id)[0]?.caller, null, 'a withheld caller id is recorded as such');
  const typed = query<{ data: string }>("SELECT data FROM call_events WHERE call_id = ? AND type = 'number_typed' ORDER BY id", call?.id);
  t.same(
    typed.map((e) => JSON.parse(e.data).digits),
    ['3351112222', '0612223333'],
  );
  const log = asteriskLog().slice(logBefore);
  t.match(log, /Playing 'digits\/3\.gsm' \(language 'it'\)/, 'the number was read back with the Italian digit prompts');
  await assertNothingLeft(t);
});

t.test('refused numbers: premium, international, short; the caller is told why; nothing booked', async (t) => {
  // a foreign caller id is not a callback number: the offer goes straight to typing
  const ani = '+441234567801';
  const r = await callIvr({
    number: NOBODY,
    ani,
    rtpPort: rtpPort(),
    steps: [
      { heard: 'dp/t-empty-welcome' },
      { keys: '1' },
      { heard: 'it/type-number' },
      { keys: '899123456#' },
      { heard: 'it/type-number' },
      { keys: '00441234567890#' },
      { heard: 'it/type-number' },
      { keys: '112#' },
    ],
  });
  ok(t, r, 'refused three times, then goodbye from the PBX');
  const reasons = callEvents(ani)
    .filter((e) => e.type === 'number_typed')
    .map((e) => e.data as { digits: string; reason: string });
  t.same(
    reasons.map((x) => [x.digits, x.reason]),
    [
      ['899123456', 'premium'],
      ['00441234567890', 'international'],
      ['112', 'short'],
    ],
  );
  t.equal(query("SELECT 1 FROM callbacks WHERE number IN ('899123456', '00441234567890', '112')").length, 0);
  await assertNothingLeft(t);
});

t.test('a pending request: told with its position, kept with 1, cancelled with 2 on a later call', async (t) => {
  const ani = '0612340020';
  ok(
    t,
    await callIvr({ number: NOBODY, ani, rtpPort: rtpPort(), steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/no-operator-online' }, { keys: '1' }] }),
    'first call books',
  );
  const [first] = query<{ id: number; status: string }>('SELECT id, status FROM callbacks WHERE number = ?', ani);
  t.equal(first?.status, 'pending');

  const other = '+441234567802';
  const typed = await callIvr({
    number: NOBODY,
    ani: other,
    rtpPort: rtpPort(),
    steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/type-number' }, { keys: `${ani}#` }, { heard: 'it/confirm-or-reenter' }, { keys: '1' }],
  });
  ok(t, typed, 'typing the same number from another phone: told it is already pending');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 1, 'not booked twice');
  t.match(callEvents(other).find((e) => e.type === 'booking_refused')?.data, { reason: 'duplicate', number: ani }, 'refusal recorded');

  ok(t, await callIvr({ number: NOBODY, ani, rtpPort: rtpPort(), steps: [{ heard: 'it/pending-keep-or-cancel' }, { keys: '1' }] }), 'calling again, 1 keeps it');
  t.ok(
    callEvents(ani).some((e) => e.type === 'pending_kept'),
    'kept',
  );
  t.equal(query<{ status: string }>('SELECT status FROM callbacks WHERE id = ?', first!.id)[0]?.status, 'pending');

  ok(
    t,
    await callIvr({ number: NOBODY, ani, rtpPort: rtpPort(), steps: [{ heard: 'it/pending-keep-or-cancel' }, { keys: '2' }, { heard: 'it/pending-cancelled' }, { hangup: true }] }),
    'calling again, 2 cancels it',
  );
  t.match(query('SELECT status, closed_reason FROM callbacks WHERE id = ?', first!.id), [{ status: 'cancelled', closed_reason: 'cancelled by the caller' }]);
  await assertNothingLeft(t);
});

t.test('outside service hours: hours announced, a callback for the next window', async (t) => {
  const ani = '0612340030';
  const r = await callIvr({ number: CLOSED, ani, rtpPort: rtpPort(), steps: [{ heard: 'it/offer-callback' }, { keys: '1' }] });
  ok(t, r, 'booked for the next window, goodbye');
  const [row] = query<{ due_at: string; requested_at: string; status: string }>('SELECT * FROM callbacks WHERE number = ?', ani);
  t.equal(row?.status, 'pending');
  const rome = (iso: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
      new Date(iso),
    );
  const tomorrow = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date(Date.now() + 86_400_000));
  t.equal(rome(row!.due_at), `${tomorrow}, 00:00`, 'due when the directorate opens again (tomorrow 00:00 in Rome)');
  const types = callEvents(ani).map((e) => e.type);
  t.notOk(types.includes('operators'), 'no phone was tried while closed');
  await assertNothingLeft(t);
});

t.test('English: 9 during the welcome, the menu and the offer in English, booked in English', async (t) => {
  const ani = '0612340040';
  const logBefore = asteriskLog().length;
  const r = await callIvr({
    number: OPEN,
    ani,
    rtpPort: rtpPort(),
    steps: [{ heard: 'dp/t-open-welcome' }, { keys: '9' }, { heard: 'en/menu-main' }, { keys: '1' }, { heard: 'en/no-operator-online' }, { keys: '1' }],
  });
  ok(t, r, 'booked in English');
  t.match(query('SELECT language, status FROM callbacks WHERE number = ?', ani), [{ language: 'en', status: 'pending' }]);
  t.match(query('SELECT language, menu_path FROM calls WHERE caller = ?', ani), [{ language: 'en', menu_path: '9,1' }]);
  const log = asteriskLog().slice(logBefore);
  t.match(log, /\/opt\/ivr\/sounds\/en\/menu-main/, 'the English menu was played');
  t.match(log, /\/opt\/ivr\/sounds\/en\/booking-registered/, 'the confirmation was in English');
  t.match(log, /Playing 'digits\/1\.gsm' \(language 'en'\)/, 'the queue position was spoken in English');
  await assertNothingLeft(t);
});

t.test('random keys at the main menu: "scelta non valida" three times, then goodbye', async (t) => {
  const ani = '0612340050';
  const r = await callIvr({
    number: NOBODY,
    ani,
    rtpPort: rtpPort(),
    steps: [{ heard: 'it/menu-main' }, { keys: '7' }, { heard: 'it/menu-main' }, { keys: '*' }, { heard: 'it/menu-main' }, { keys: '#' }],
  });
  ok(t, r, 'goodbye from the PBX');
  const ev = callEvents(ani);
  t.same(
    ev.filter((e) => e.type === 'invalid_key').map((e) => e.data?.digit),
    ['7', '*', '#'],
    'each wrong key counted',
  );
  t.match(ev.find((e) => e.type === 'no_input')?.data, { menu: 'main' }, 'the third ended the call politely');
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0);
  await assertNothingLeft(t);
});

t.test('overlong number and silence at the offer and at the confirmation', async (t) => {
  const ani = '0612340060';
  const foreign = '+441234567803';
  const over = await callIvr({
    number: NOBODY,
    ani: foreign,
    rtpPort: rtpPort(),
    steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }, { heard: 'it/type-number' }, { keys: '12345678901234567890#' }, { heard: 'it/number-invalid' }, { hangup: true }],
  });
  ok(t, over, 'overlong number, then the caller hangs up');
  t.match(
    callEvents(foreign).find((e) => e.type === 'number_typed')?.data,
    { digits: '1234567890123456', ok: false, reason: 'invalid' },
    'cut at 16 digits and refused as invalid',
  );

  const silent = await callIvr({ number: NOBODY, ani, rtpPort: rtpPort(), steps: [{ heard: 'dp/t-empty-welcome' }, { keys: '1' }] });
  ok(t, silent, 'silence at the offer: three prompts, then goodbye');
  const ev = callEvents(ani);
  t.match(ev.find((e) => e.type === 'no_input')?.data, { menu: 'offer' });
  t.equal(query('SELECT 1 FROM callbacks WHERE number = ?', ani).length, 0, 'nothing booked without a choice');
  await assertNothingLeft(t);
});
