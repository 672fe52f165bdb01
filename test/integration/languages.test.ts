// German and French with real SIP agents, at t-lang (it, en, de, fr; nobody registered until
// the callback test registers lang1): each language invited in the Italian menu on its key,
// the prompts, the typed number and the queue position in the caller's language, the
// booking keeping it, and the callback leg speaking it.
import t from 'tap';
import { assertNothingLeft, asteriskLog, asteriskPlays, callIvr, ivrctl, query, waitForRow } from './harness';
import { attemptsOf, callbackAgents, ok, TAKES } from './callback-agents';

const NUMBER = '0611000011';
const { nextRtp, phone, callee } = callbackAgents(45000, { id: 't-lang', number: NUMBER });
/** our prompts Asterisk played since a point of its log, as sounds-relative paths, in order */
const played = (from: number): string[] => asteriskPlays(from).map((p) => p.file);

t.test('French: 7 after the Italian menu invited all three languages; the typed number read back in French; booked in French', async (t) => {
  const from = asteriskLog().length;
  const ani = 'anonymous';
  // the 7 as the Italian menu's last sentence (French) starts; each key after it as the
  // prompt it answers starts; the number's read-back is heard to its end
  const r = await callIvr({
    number: NUMBER,
    ani,
    rtpPort: nextRtp(),
    steps: [
      { heard: 'it/menu-french' },
      { keys: '7' },
      { heard: 'fr/menu-main' },
      { keys: '1' },
      { heard: 'fr/type-number' },
      { keys: '0612360001#' },
      { heard: 'fr/confirm-or-reenter' },
      { keys: '1' },
    ],
  });
  ok(t, r, 'booked in French, then goodbye from the PBX');
  const heard = played(from);
  t.match(heard.join(' '), /it\/menu-main it\/menu-english it\/menu-german it\/menu-french/, 'the Italian menu invited English, German and French');
  t.ok(heard.includes('fr/menu-main'), 'the menu again, in French');
  t.ok(heard.includes('fr/no-operator-online'), 'told in French that nobody is available');
  const readBack = heard.slice(heard.indexOf('fr/you-typed'), heard.indexOf('fr/confirm-or-reenter'));
  t.same(readBack, ['fr/you-typed', ...[...'0612360001'].map((d) => `fr/digit-${d}`)], 'the number read back with the French digits');
  t.ok(heard.includes('fr/booking-registered') && heard.includes('fr/goodbye'), 'confirmed and goodbye in French');
  t.match(heard[heard.indexOf('fr/queue-position') + 1], /^fr\/number-\d+$/, 'the queue position spoken in French');
  t.notOk(
    heard.some((p) => p.startsWith('en/') || p.startsWith('de/')),
    'nothing in another language',
  );
  const [row] = query<{ id: number; language: string; status: string; menu_path: string }>(
    "SELECT id, language, status, menu_path FROM callbacks WHERE number = '0612360001' AND dp = 't-lang'",
  );
  t.match(row, { language: 'fr', status: 'pending', menu_path: '7,1' });
  t.match(query("SELECT language FROM calls WHERE dp = 't-lang' AND callback_id = ?", row!.id), [{ language: 'fr' }]);
  // this test's request is not the next test's to call back
  const cancel = await ivrctl('callbacks', 'cancel', String(row!.id), '--json');
  t.equal(cancel.code, 0, 'ivrctl callbacks cancel', { stderr: cancel.stderr });
  await assertNothingLeft(t);
});

t.test('German: 8 typed ahead, booked in German; the callback greets and asks for confirmation in German', async (t) => {
  const from = asteriskLog().length;
  const ani = '0612360002';
  const r = await callIvr({
    number: NUMBER,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/t-lang-welcome' }, { keys: '8' }, { heard: 'de/menu-main' }, { keys: '1' }, { heard: 'de/offer-callback' }, { keys: '1' }],
  });
  ok(t, r, 'booked in German, then goodbye from the PBX');
  const heard = played(from);
  t.notOk(heard.includes('it/menu-main'), 'the key typed during the welcome chose German before the Italian menu');
  // (the 1 of the offer interrupts "nobody is available" before the offer's own sentence)
  for (const p of ['de/menu-main', 'de/no-operator-online', 'de/booking-registered', 'de/goodbye']) t.ok(heard.includes(p), p);
  t.match(heard[heard.indexOf('de/queue-position') + 1], /^de\/number-\d+$/, 'the queue position spoken in German');
  const [row] = query<{ id: number; language: string; status: string }>("SELECT id, language, status FROM callbacks WHERE number = ? AND dp = 't-lang'", ani);
  t.match(row, { language: 'de', status: 'pending' });
  t.match(query('SELECT language, menu_path FROM calls WHERE caller = ?', ani), [{ language: 'de', menu_path: '8,1' }]);

  // the operator registers: the dispatcher calls back through them, in German for the caller
  const fromCallback = asteriskLog().length;
  // 1 once the question starts (after the greeting)
  const caller = await callee([{ heard: 'de/callback-confirm' }, { info: '1' }, { talk: 1000 }, { bye: true }]);
  const op = await phone('lang1', 5091, TAKES);
  ok(t, await caller.done, 'the caller was called back, pressed 1 and hung up');
  ok(t, await op.stop(), 'the operator took the callback');
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [row!.id]);
  t.match(attemptsOf(row!.id), [{ operator: 'lang1', outcome: 'connected' }]);
  const leg = played(fromCallback);
  t.ok(leg.includes('dp/t-lang-callback-greeting-de'), 'greeted in German');
  t.ok(leg.includes('de/callback-confirm'), 'asked to press 1 in German');
  t.ok(leg.includes('it/op-whisper-callback'), 'the operator still hears Italian');
  await assertNothingLeft(t);
});
