import t from 'tap';
import { checkCallbackNumber } from '../../controller/numbering/numbering-plan';
import { languageChoices } from '../../controller/config/languages';
import { callTiming } from '../../controller/config/schema';
import { MAX_TRIES, ringsHeard, startIvr, step, type CallContext, type IvrEffect, type IvrEvent, type IvrState } from '../../controller/inbound/ivr-flow';

/** today's timers, as the config's defaults give them */
const TIMING = callTiming({}, { timing: {} });

const ctx = (over: Partial<CallContext> = {}): CallContext => ({
  dp: 'demo-st',
  callerNumber: '0612345678',
  open: true,
  offerWhenClosed: true,
  languages: [{ lang: 'en', key: '9' }],
  pending: undefined,
  rings: 3,
  timing: TIMING,
  ...over,
});

/** Drives the machine; "done" / "timeout" use the token the flow is waiting for. */
class Call {
  state: IvrState;
  effects: IvrEffect[];
  all: IvrEffect[] = [];
  constructor(c: CallContext) {
    const t0 = startIvr(c);
    this.state = t0.state;
    this.effects = t0.effects;
    this.all.push(...t0.effects);
  }
  send(e: IvrEvent): IvrEffect[] {
    const t = step(this.state, e);
    this.state = t.state;
    this.effects = t.effects;
    this.all.push(...t.effects);
    return t.effects;
  }
  done() {
    return this.send({ type: 'playDone', token: this.state.token });
  }
  timeout() {
    return this.send({ type: 'timeout', token: this.state.token });
  }
  keys(s: string) {
    let last: IvrEffect[] = [];
    for (const d of s) last = this.send({ type: 'dtmf', digit: d });
    return last;
  }
  /** answered + welcome finished */
  toMenu() {
    this.send({ type: 'answered' });
    return this.done();
  }
  plays() {
    return this.effects.filter((e) => e.type === 'play').flatMap((e) => (e.type === 'play' ? e.prompts : []));
  }
  names() {
    return this.plays().map((p) => (p.kind === 'common' || p.kind === 'dp' ? p.name : p.kind === 'music' ? 'music' : `${p.kind}:${p.value}`));
  }
  has(type: IvrEffect['type']) {
    return this.effects.some((e) => e.type === type);
  }
  find<T extends IvrEffect['type']>(type: T) {
    return this.effects.find((e) => e.type === type) as Extract<IvrEffect, { type: T }> | undefined;
  }
}

t.test('answered by an operator within the threshold', async (t) => {
  const c = new Call(ctx());
  t.same(c.effects, [{ type: 'answer' }]);
  c.send({ type: 'answered' });
  t.same(c.names(), ['welcome']);
  c.done();
  t.same(c.names(), ['menu-main', 'menu-english'], 'Italian menu offers English');
  c.keys('1');
  t.ok(c.has('stopPlay'), 'the key interrupts the menu (barge-in)');
  t.ok(c.has('checkOperators'));
  c.send({ type: 'operators', phones: ['st1', 'st2'] });
  t.same(c.find('ring'), { type: 'ring', token: c.state.token, phones: ['st1', 'st2'], ms: 15_000 }, 'rings for N x 5 s');
  c.send({ type: 'ringAnswered', token: c.state.token, operator: 'st1', elapsedMs: 6_200 });
  t.same(c.state.phase, { step: 'connected', operator: 'st1' });
  t.same(c.effects, [{ type: 'record', event: 'ringing_ended', data: { answered: true, operator: 'st1', rings: 2 } }], 'answered during the second ring');
  c.keys('5');
  t.same(c.effects, [], "keys in a bridged call are not the IVR's");
  c.send({ type: 'operatorHungUp' });
  t.same(c.effects, [{ type: 'hangup' }]);
  c.send({ type: 'hungUp' });
  t.same(c.state.phase, { step: 'done', reason: 'completed' });
});

t.test('nobody answers: offer after the rings, book on the calling number', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: ['st1'] });
  const ringToken = c.state.token;
  c.send({ type: 'ringUnanswered', token: ringToken, elapsedMs: 15_004, rung: ['st1'] });
  t.same(c.names(), ['no-answer', 'offer-callback']);
  t.match(c.effects, [
    { type: 'record', event: 'ringing_ended', data: { answered: false, rings: 3, rung: ['st1'] } },
    { type: 'record', event: 'unanswered', data: { rings: 3 } },
    { type: 'record', event: 'offer' },
  ]);
  c.done();
  t.same(c.find('startTimer'), { type: 'startTimer', token: c.state.token, ms: 6000 });
  c.keys('1');
  t.same(c.find('book'), { type: 'book', number: '0612345678', path: '1,offer:1', rings: 3, group: 'operators' });
  c.send({ type: 'booked', id: 7, position: 2, today: true });
  t.same(c.names(), ['booking-registered', 'queue-position', 'number:2', 'expect-today', 'goodbye']);
  t.equal((c.find('play') as { bargeIn: boolean }).bargeIn, false, 'the confirmation is not cut short');
  c.keys('9');
  t.same(c.effects, [], 'keys during the goodbye do nothing');
  c.done();
  t.same(c.effects, [{ type: 'hangup' }]);
});

t.test('no operator can ring: the offer comes at once and says why', async (t) => {
  for (const [reason, prompt] of [
    ['none_registered', 'no-operator-online'],
    ['all_busy', 'operators-busy'],
  ] as const) {
    const c = new Call(ctx());
    c.toMenu();
    c.keys('1');
    c.send({ type: 'operators', phones: [], reason });
    t.same(c.names(), [prompt, 'offer-callback'], reason);
    t.notOk(c.has('ring'));
  }
});

t.test('withheld number: straight to typing, read-back, correction, confirm', async (t) => {
  const c = new Call(ctx({ callerNumber: undefined }));
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'all_busy' });
  t.same(c.names(), ['operators-busy', 'offer-type-number', 'type-number']);
  c.keys('3351234567#');
  t.same(c.names(), ['you-typed', 'digits:3351234567', 'confirm-or-reenter']);
  c.keys('2');
  t.same(c.names(), ['type-number'], 're-enter');
  c.keys('0612223334#');
  t.same(c.names(), ['you-typed', 'digits:0612223334', 'confirm-or-reenter']);
  c.keys('1');
  t.same(c.find('book'), { type: 'book', number: '0612223334', path: '1', rings: null, group: 'operators' });
});

t.test('refused numbers are explained, then typing again; three refusals end the call', async (t) => {
  const c = new Call(ctx({ callerNumber: undefined }));
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'none_registered' });
  c.keys('899123456#');
  t.same(c.names(), ['number-premium', 'type-number']);
  c.keys('0044123456789#');
  t.same(c.names(), ['number-international', 'type-number']);
  c.keys('112#');
  t.same(c.names(), ['number-short', 'goodbye']);
  t.notOk(
    c.all.some((e) => e.type === 'book'),
    'nothing booked',
  );
});

t.test('overlong input is cut at 16 digits and refused; "#" forgotten is accepted after a pause', async (t) => {
  const c = new Call(ctx({ callerNumber: undefined, open: false }));
  c.toMenu();
  c.done(); // hours announced
  c.keys('1234567890123456');
  t.same(c.names(), ['number-invalid', 'type-number']);
  c.keys('3351234567');
  c.timeout();
  t.same(c.names(), ['you-typed', 'digits:3351234567', 'confirm-or-reenter']);
  c.keys('*');
  t.same(c.state.phase.step, 'menu', '"*" is not a confirmation key');
});

t.test('main menu: invalid key repeats with "scelta non valida"; three silences say goodbye', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('7');
  t.same(c.names(), ['invalid-choice', 'menu-main', 'menu-english']);
  c.done();
  c.timeout();
  t.same(c.names(), ['menu-main', 'menu-english'], 'silence: repeat');
  c.done();
  c.timeout();
  t.same(c.names(), ['no-input-goodbye', 'goodbye'], `goodbye after ${MAX_TRIES} attempts`);
  c.done();
  t.same(c.effects, [{ type: 'hangup' }]);
  c.send({ type: 'hungUp' });
  t.same(c.state.phase, { step: 'done', reason: 'completed' });
});

t.test('English path: 9 switches the language, the menu is replayed in English', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('9');
  t.match(c.effects, [{ type: 'stopPlay' }, { type: 'setLanguage', lang: 'en' }, { type: 'record', event: 'language' }, { type: 'play' }]);
  t.same(c.names(), ['menu-main'], 'no "for English press 9" in English');
  t.equal(c.state.lang, 'en');
  c.keys('9');
  t.same(c.names(), ['invalid-choice', 'menu-main'], '9 again is just invalid');
  const noEnglish = new Call(ctx({ languages: [] }));
  noEnglish.toMenu();
  t.same(noEnglish.names(), ['menu-main']);
  noEnglish.keys('9');
  t.same(noEnglish.names(), ['invalid-choice', 'menu-main']);
});

t.test('German and French: each invited on its key in the Italian menu; the booking is in the language chosen', async (t) => {
  const four = (): CallContext => ctx({ languages: languageChoices(['it', 'en', 'de', 'fr']), callerNumber: undefined });
  const c = new Call(four());
  c.toMenu();
  t.same(c.names(), ['menu-main', 'menu-english', 'menu-german', 'menu-french'], 'each language invited in the Italian menu');
  c.keys('8');
  t.match(c.effects, [{ type: 'stopPlay' }, { type: 'setLanguage', lang: 'de' }, { type: 'record', event: 'language', data: { lang: 'de' } }, { type: 'play' }]);
  t.equal(c.state.lang, 'de');
  t.same(c.names(), ['menu-main'], 'the German menu invites no language');
  c.keys('7');
  t.same(c.names(), ['invalid-choice', 'menu-main'], 'no switching again from German');
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'none_registered' });
  t.same(c.names(), ['no-operator-online', 'offer-type-number', 'type-number']);
  c.keys('0612345678#');
  t.same(c.names(), ['you-typed', 'digits:0612345678', 'confirm-or-reenter']);
  c.keys('1');
  t.match(c.find('book'), { type: 'book', number: '0612345678', path: '8,1' });
  t.equal(c.state.lang, 'de', "the runner books in the state's language");

  const fr = new Call(four());
  fr.send({ type: 'answered' });
  fr.keys('7'); // during the welcome: kept for the menu
  fr.done();
  t.equal(fr.state.lang, 'fr', 'type-ahead chooses French too');
  t.same(fr.names(), ['menu-main']);

  const itOnly = new Call(ctx({ languages: languageChoices(['it', 'de']) }));
  itOnly.toMenu();
  t.same(itOnly.names(), ['menu-main', 'menu-german']);
  itOnly.keys('9');
  t.same(itOnly.names(), ['invalid-choice', 'menu-main', 'menu-german'], 'English not offered: 9 is no choice');
  itOnly.keys('7');
  t.same(itOnly.names(), ['invalid-choice', 'menu-main', 'menu-german'], 'French not offered: 7 is no choice');
});

t.test('outside service hours: hours announced, callback for the next window, or goodbye', async (t) => {
  const c = new Call(ctx({ open: false }));
  c.toMenu();
  t.same(c.names(), ['office-closed', 'hours']);
  c.done();
  t.same(c.names(), ['offer-next-window', 'offer-callback']);
  const off = new Call(ctx({ open: false, offerWhenClosed: false }));
  off.toMenu();
  off.done();
  t.same(off.names(), ['goodbye']);
});

t.test('an extraordinary closure: its message instead of the menu, then the offer or goodbye per its flag', async (t) => {
  const c = new Call(ctx({ open: false, closure: { id: 7, prompt: { kind: 'dp', name: 'closure-7' }, offerCallback: true } }));
  c.toMenu();
  t.same(c.names(), ['closure-7'], 'the closure message, not the hours');
  t.ok(
    c.all.some((e) => e.type === 'record' && e.event === 'closure' && e.data?.closure === 7),
    'the call records the closure it met',
  );
  c.keys('1');
  t.ok(c.has('stopPlay'), 'a key skips the message');
  c.done();
  t.same(c.names(), ['offer-next-window', 'offer-callback']);
  c.keys('1');
  t.match(c.find('book'), { number: '0612345678' });
  // the flag wins over the directorate's offerWhenClosed, both ways
  const none = new Call(ctx({ open: false, offerWhenClosed: true, closure: { id: 8, prompt: { kind: 'common', name: 'office-closed-extraordinary' }, offerCallback: false } }));
  none.toMenu();
  t.same(none.names(), ['office-closed-extraordinary']);
  none.done();
  t.same(none.names(), ['goodbye']);
  const offered = new Call(ctx({ open: false, offerWhenClosed: false, closure: { id: 9, prompt: { kind: 'dp', name: 'closure-9' }, offerCallback: true } }));
  offered.toMenu();
  offered.done();
  t.same(offered.names(), ['offer-next-window', 'offer-callback']);
  // a caller with a request waiting still hears about it first
  const pending = new Call(ctx({ open: false, pending: { id: 4, position: 1 }, closure: { id: 7, prompt: { kind: 'dp', name: 'closure-7' }, offerCallback: true } }));
  pending.toMenu();
  t.same(pending.names(), ['pending-request', 'number:1', 'pending-keep-or-cancel']);
});

t.test('a pending request: keep (1) or cancel (2)', async (t) => {
  const keep = new Call(ctx({ pending: { id: 4, position: 3 } }));
  keep.toMenu();
  t.same(keep.names(), ['pending-request', 'number:3', 'pending-keep-or-cancel']);
  keep.keys('1');
  t.same(keep.names(), ['pending-kept', 'goodbye']);

  const cancel = new Call(ctx({ pending: { id: 4, position: 3 } }));
  cancel.toMenu();
  cancel.keys('2');
  t.same(cancel.find('cancelPending'), { type: 'cancelPending', id: 4 });
  cancel.send({ type: 'cancelled' });
  t.same(cancel.names(), ['pending-cancelled', 'menu-main', 'menu-english'], 'then the main menu');

  const silent = new Call(ctx({ pending: { id: 4, position: 1 } }));
  silent.toMenu();
  for (let i = 0; i < MAX_TRIES; i++) {
    silent.done();
    silent.timeout();
  }
  t.same(silent.names(), ['pending-kept', 'goodbye'], 'silence keeps the request');
});

t.test('a key during the welcome answers the first menu (type-ahead)', async (t) => {
  const c = new Call(ctx());
  c.send({ type: 'answered' });
  c.keys('1');
  t.same(c.effects, [{ type: 'stopPlay', token: c.state.token }]);
  c.done();
  t.ok(c.has('checkOperators'), 'no menu played: straight to the operators');
});

t.test('booking refusals are explained', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'all_busy' });
  c.keys('1');
  c.send({ type: 'bookRefused', reason: 'duplicate', position: 2 });
  t.same(c.names(), ['already-pending', 'queue-position', 'number:2', 'goodbye']);
  for (const [reason, prompt] of [
    ['number_cap', 'number-daily-cap'],
    ['dp_capacity', 'capacity-full'],
  ] as const) {
    const d = new Call(ctx());
    d.toMenu();
    d.keys('1');
    d.send({ type: 'operators', phones: [], reason: 'all_busy' });
    d.keys('1');
    d.send({ type: 'bookRefused', reason });
    t.same(d.names(), [prompt, 'goodbye'], reason);
  }
});

t.test('a slow booking: the caller is asked to hold and hears music, then the confirmation', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'all_busy' });
  c.keys('1');
  t.ok(c.has('book'));
  c.send({ type: 'bookingSlow' });
  t.same(c.names(), ['please-hold', 'music']);
  t.match(c.effects, [
    { type: 'record', event: 'booking_slow' },
    { type: 'play', bargeIn: false },
  ]);
  const hold = c.state.token;
  t.same(c.keys('5'), [], 'keys while holding do nothing');
  t.same(c.send({ type: 'bookingSlow' }), [], 'asked to hold once');
  t.same(c.send({ type: 'playDone', token: hold }), [], 'the music ending changes nothing');
  c.send({ type: 'booked', id: 3, position: 1, today: true });
  t.same(c.effects[0], { type: 'stopPlay', token: hold }, 'the music stops first');
  t.same(c.names(), ['booking-registered', 'queue-position', 'number:1', 'expect-today', 'goodbye']);
});

t.test('a booking the database could not take: the caller hears it was not registered, then goodbye', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: [], reason: 'all_busy' });
  c.keys('1');
  c.send({ type: 'bookingSlow' });
  const hold = c.state.token;
  c.send({ type: 'bookRefused', reason: 'unavailable' });
  t.same(c.effects[0], { type: 'stopPlay', token: hold });
  t.match(c.effects, [{}, { type: 'record', event: 'booking_refused', data: { reason: 'unavailable', number: '0612345678' } }]);
  t.same(c.names(), ['booking-unavailable', 'goodbye']);
  c.done();
  t.same(c.effects, [{ type: 'hangup' }]);
  // without the hold first: no stopPlay
  const d = new Call(ctx());
  d.toMenu();
  d.keys('1');
  d.send({ type: 'operators', phones: [], reason: 'all_busy' });
  d.keys('1');
  d.send({ type: 'bookRefused', reason: 'unavailable' });
  t.notOk(d.has('stopPlay'));
  t.same(d.names(), ['booking-unavailable', 'goodbye']);
});

t.test("an office in the menu: its key rings that unit's phones, and a booking made from there is the office's", async (t) => {
  const c = new Call(ctx({ offices: [{ key: '2', unit: 'rimborsi' }] }));
  c.toMenu();
  t.same(c.names(), ['menu-main', 'menu-offices', 'menu-english'], "1 operator, the directorate's offices, English");
  c.keys('2');
  t.same(c.find('checkOperators'), { type: 'checkOperators', group: 'unit:rimborsi' });
  t.match(c.effects, [{ type: 'stopPlay' }, { type: 'record', event: 'menu', data: { menu: 'main', digit: '2', unit: 'rimborsi' } }]);
  c.send({ type: 'operators', phones: ['st1'] });
  c.send({ type: 'ringUnanswered', token: c.state.token, elapsedMs: 15_000, rung: ['st1'] });
  c.done();
  c.keys('1');
  t.same(c.find('book'), { type: 'book', number: '0612345678', path: '2,offer:1', rings: 3, group: 'unit:rimborsi' });
  const plain = new Call(ctx());
  plain.toMenu();
  t.same(plain.names(), ['menu-main', 'menu-english'], 'no offices: no office prompt');
  plain.keys('2');
  t.same(plain.names(), ['invalid-choice', 'menu-main', 'menu-english'], '2 is no choice there');
});

t.test('the caller hanging up while phones ring stops the ringing', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  c.keys('1');
  c.send({ type: 'operators', phones: ['st1', 'st2'] });
  c.send({ type: 'callerHungUp' });
  t.same(c.effects, [{ type: 'stopRinging' }]);
  t.same(c.state.phase, { step: 'done', reason: 'caller_hangup' });
  t.same(c.send({ type: 'ringAnswered', token: c.state.token, operator: 'st1', elapsedMs: 1000 }), [], 'a late answer changes nothing');
});

t.test('late results of cancelled playbacks and timers are ignored', async (t) => {
  const c = new Call(ctx());
  c.toMenu();
  const stale = c.state.token;
  c.keys('7'); // new menu playback
  t.same(c.send({ type: 'playDone', token: stale }), []);
  t.same(c.send({ type: 'timeout', token: stale }), []);
});

t.test('fuzz: random keys, silences and results never book an invalid number and always end', async (t) => {
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const keys = '0123456789*#';
  for (let run = 0; run < 400; run++) {
    const c = new Call(ctx({ callerNumber: rand(2) ? '0612345678' : undefined, open: !!rand(4), pending: rand(5) ? undefined : { id: 1, position: 1 } }));
    c.send({ type: 'answered' });
    for (let i = 0; i < 200 && c.state.phase.step !== 'done'; i++) {
      const r = rand(10);
      const p = c.state.phase.step;
      if (p === 'checkingOperators') c.send({ type: 'operators', phones: rand(2) === 0 ? [] : ['st1'], reason: 'all_busy' });
      else if (p === 'ringing') c.send({ type: 'ringUnanswered', token: c.state.token, elapsedMs: 15_000, rung: ['st1'] });
      else if (p === 'booking') {
        const b = rand(4);
        c.send(
          b === 0
            ? { type: 'bookingSlow' }
            : b === 1
              ? { type: 'booked', id: 1, position: 1, today: true }
              : b === 2
                ? { type: 'bookRefused', reason: 'unavailable' }
                : { type: 'bookRefused', reason: 'duplicate', position: 1 },
        );
      } else if (p === 'cancelling') c.send({ type: 'cancelled' });
      else if (p === 'hangingUp') c.send({ type: 'hungUp' });
      else if (r < 5) c.keys(keys[rand(keys.length)]!);
      else if (r < 8) c.done();
      else c.timeout();
    }
    // no hang-up forced: the flow must end by itself (every prompt repeats at most 3 times,
    // every wait has its time-out), whatever the caller keys or does not key
    if (c.state.phase.step !== 'done') t.fail(`run ${run}: still in ${c.state.phase.step} after 200 events (path ${c.state.path.join('')})`);
    else t.pass(`run ${run}: ended by the flow itself`);
    for (const e of c.all) if (e.type === 'book') t.ok(checkCallbackNumber(e.number).ok, `booked ${e.number} is valid`);
  }
});

t.test('the timers come from the context: ring unit, menu and digit time-outs', async (t) => {
  const timing = { ...TIMING, ringMs: 1000, menuTimeoutMs: 1500, digitTimeoutMs: 2500 };
  const c = new Call(ctx({ timing, rings: 2, callerNumber: undefined }));
  c.toMenu();
  c.done();
  t.same(c.find('startTimer'), { type: 'startTimer', token: c.state.token, ms: 1500 }, 'the menu waits menuTimeoutMs');
  c.keys('1');
  c.send({ type: 'operators', phones: ['st1'] });
  t.same(c.find('ring'), { type: 'ring', token: c.state.token, phones: ['st1'], ms: 2000 }, 'N rings of ringMs');
  c.send({ type: 'ringUnanswered', token: c.state.token, elapsedMs: 2003, rung: ['st1'] });
  t.match(c.effects, [{ type: 'record', event: 'ringing_ended', data: { rings: 2 } }], 'a ring just begun past the threshold is not counted');
  c.done();
  c.keys('3');
  t.same(c.find('startTimer'), { type: 'startTimer', token: c.state.token, ms: 2500 }, 'typing waits digitTimeoutMs between digits');
});

t.test('rings heard: a ring begun counts, the first from the start, never more than the threshold', async (t) => {
  const c = { rings: 3, timing: { ...TIMING, ringMs: 5000 } };
  t.equal(ringsHeard(c, 0), 1, 'answered at once: during the first ring');
  t.equal(ringsHeard(c, 1), 1);
  t.equal(ringsHeard(c, 5000), 1);
  t.equal(ringsHeard(c, 5001), 2);
  t.equal(ringsHeard(c, 15_000), 3);
  t.equal(ringsHeard(c, 15_900), 3, 'the threshold timer fires a little late: still 3');
});
