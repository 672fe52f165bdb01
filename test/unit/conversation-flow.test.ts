// The conversation machine alone: transfers by unit code, the unit answering or not, each
// official leaving, the wrap-up codes and what goes into the profile.
import t from 'tap';
import {
  keyConsumed,
  startConversation,
  step,
  type ConversationContext,
  type ConversationEffect,
  type ConversationEvent,
  type ConversationState,
} from '../../controller/conversation/conversation-flow';

const UNITS = [
  { id: 'rimborsi', name: 'Ufficio rimborsi', code: '1' },
  { id: 'successioni', name: 'Successioni', code: '12' },
  { id: 'registro', name: 'Registro', code: '3' },
];

class Conv {
  state: ConversationState;
  effects: ConversationEffect[] = [];
  readonly all: ConversationEffect[] = [];
  constructor(over: Partial<ConversationContext> = {}) {
    this.state = startConversation({ operator: 'op1', units: UNITS, ...over });
  }
  send(e: ConversationEvent): ConversationEffect[] {
    const r = step(this.state, e);
    this.state = r.state;
    this.effects = r.effects;
    this.all.push(...r.effects);
    return r.effects;
  }
  keys(digits: string): void {
    for (const digit of digits) this.send({ type: 'operatorKey', digit });
  }
  types(): string[] {
    return this.effects.map((e) => e.type);
  }
  records(): unknown[] {
    return this.effects.flatMap((e) => (e.type === 'record' ? [e.record] : []));
  }
}

t.test('a transfer answered: the unit rings, its official joins the caller, the operator is asked for the outcome', async (t) => {
  const c = new Conv();
  c.keys('*3');
  t.same(c.effects, [{ type: 'cancelCodeGap' }, { type: 'checkUnit', unitId: 'registro' }], 'a whole code: the unit is looked up at once');
  c.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1', 'u2'] });
  t.same(c.effects, [{ type: 'ringUnit', unitId: 'registro', phones: ['u1', 'u2'] }]);
  t.equal(c.state.stage, 'transferring');
  t.notOk(keyConsumed(c.state, '*'), 'no new code while the unit rings');
  c.send({ type: 'unitAnswered', official: 'u2' });
  t.same(c.effects, [
    { type: 'stopMoh' },
    { type: 'record', record: { kind: 'transfer', official: 'u2', code: 'answered', label: 'answered by u2', byDefault: false, unit: 'registro', followUp: false } },
    { type: 'joinUnit', operatorOut: true },
    { type: 'wrapUp', who: 'operator', codes: 'outcome' },
  ]);
  t.equal(c.state.stage, 'withUnit');
  c.send({ type: 'wrappedUp', who: 'operator', key: '1', topic: 'Rimborsi IRPEF' });
  t.same(c.effects, [
    { type: 'record', record: { kind: 'operator', official: 'op1', code: '1', label: 'basic_information_given', byDefault: false, followUp: false } },
    { type: 'topic', official: 'op1', topic: 'Rimborsi IRPEF' },
    { type: 'free', who: 'operator', official: 'op1', hangUp: true },
  ]);
  c.send({ type: 'callerGone' });
  t.same(c.effects, [{ type: 'cancelCodeGap' }, { type: 'wrapUp', who: 'unit', codes: 'intervention' }], 'only the unit is left to ask');
  c.send({ type: 'wrappedUp', who: 'unit', key: '2', topic: null });
  t.same(c.effects, [
    { type: 'record', record: { kind: 'unit', official: 'u2', code: '2', label: 'needs_follow_up', byDefault: false, unit: 'registro', followUp: true } },
    { type: 'free', who: 'unit', official: 'u2', hangUp: true },
    { type: 'destroyBridge' },
  ]);
  t.equal(c.all.filter((e) => e.type === 'destroyBridge' || e.type === 'alone').length, 1, 'the bridge goes once');
});

t.test('unit codes: a prefix of a longer code waits for the gap; an unknown code is told; keys without "*" are the operator’s', async (t) => {
  const c = new Conv();
  t.notOk(keyConsumed(c.state, '5'), 'a key without "*" is not ours');
  c.keys('*1');
  t.same(c.effects, [{ type: 'armCodeGap', token: 2 }], '"1" may become "12": wait');
  t.same(c.send({ type: 'codeGap', token: 1 }), [], 'the timer of an earlier key changes nothing');
  c.send({ type: 'codeGap', token: 2 });
  t.same(c.effects, [{ type: 'cancelCodeGap' }, { type: 'checkUnit', unitId: 'rimborsi' }], 'the gap: "1" it is');
  const d = new Conv();
  d.keys('*12');
  t.same(d.effects, [{ type: 'cancelCodeGap' }, { type: 'checkUnit', unitId: 'successioni' }]);
  const e = new Conv();
  e.keys('*9');
  t.same(e.effects, [{ type: 'cancelCodeGap' }, { type: 'toOperator', prompt: 'op-transfer-unknown', why: 'unknown unit code "9"' }]);
  t.equal(e.state.stage, 'talking');
  t.equal(e.state.typed, null, 'ready for another code');
  const f = new Conv();
  f.keys('*');
  t.same(
    f.send({ type: 'codeGap', token: f.state.token }),
    [{ type: 'cancelCodeGap' }, { type: 'toOperator', prompt: 'op-transfer-unknown', why: 'unknown unit code ""' }],
    'a lone "*"',
  );
});

t.test('no phone of the unit free: recorded, the operator told, the caller stays with them', async (t) => {
  const c = new Conv();
  c.keys('*3');
  c.send({ type: 'unitPhones', unitId: 'registro', phones: [] });
  t.same(c.records(), [{ kind: 'transfer', official: 'op1', code: 'no_answer', label: 'no phone of registro free', byDefault: false, unit: 'registro', followUp: false }]);
  t.match(c.effects.at(-1), { type: 'toOperator', prompt: 'op-transfer-failed' });
  t.equal(c.state.stage, 'talking');
});

t.test('the unit does not answer: the caller back with the operator; or, the operator gone meanwhile, the caller alone', async (t) => {
  const c = new Conv();
  c.keys('*3');
  c.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1'] });
  c.send({ type: 'unitNoAnswer' });
  t.same(c.types(), ['stopMoh', 'record', 'callerBack']);
  t.match(c.records(), [{ kind: 'transfer', code: 'no_answer', label: 'registro did not answer' }]);
  t.equal(c.state.stage, 'talking');
  t.ok(keyConsumed(c.state, '*'), 'the operator may try another unit');

  const d = new Conv();
  d.keys('*3');
  d.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1'] });
  d.send({ type: 'operatorGone' });
  t.same(d.effects, [
    { type: 'record', record: { kind: 'operator', official: 'op1', code: '0', label: 'not_recorded', byDefault: true, followUp: false } },
    { type: 'free', who: 'operator', official: 'op1', hangUp: false },
  ]);
  t.equal(d.state.stage, 'transferring', 'the unit may still answer');
  d.send({ type: 'unitNoAnswer' });
  t.same(d.types(), ['stopMoh', 'record', 'alone']);
  t.equal(d.state.stage, 'ended');
});

t.test('the operator hangs up while talking: not recorded, freed, the caller alone; later events change nothing', async (t) => {
  const c = new Conv();
  c.send({ type: 'operatorGone' });
  t.same(c.types(), ['record', 'free', 'alone']);
  t.match(c.records(), [{ kind: 'operator', code: '0', byDefault: true }]);
  t.same(c.send({ type: 'callerGone' }), [], 'the owner ends the call: nothing more to do');
  t.same(c.send({ type: 'operatorGone' }), []);
  t.same(c.send({ type: 'operatorKey', digit: '*' }), []);
});

t.test("the unit's official hangs up: not recorded for them, freed, the caller alone", async (t) => {
  const c = new Conv();
  c.keys('*3');
  c.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1'] });
  c.send({ type: 'unitAnswered', official: 'u1' });
  c.send({ type: 'unitGone' });
  t.same(c.effects, [
    { type: 'record', record: { kind: 'unit', official: 'u1', code: '0', label: 'not_recorded', byDefault: true, unit: 'registro', followUp: false } },
    { type: 'free', who: 'unit', official: 'u1', hangUp: false },
    { type: 'alone' },
  ]);
  c.send({ type: 'wrappedUp', who: 'operator', key: null, topic: null });
  t.match(c.records(), [{ kind: 'operator', code: '0', byDefault: true }], "the operator's own wrap-up still ends with its record");
  t.same(
    c.all.filter((e) => e.type === 'record').map((e) => (e as { record: { kind: string } }).record.kind),
    ['transfer', 'unit', 'operator'],
    'one record per official and one for the transfer',
  );
});

t.test('the caller hangs up while the unit rings: the ringing stops, the operator is asked; a late answer is hung up', async (t) => {
  const c = new Conv();
  c.keys('*3');
  c.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1'] });
  c.send({ type: 'callerGone' });
  t.same(c.effects, [{ type: 'cancelCodeGap' }, { type: 'cancelRinging' }, { type: 'wrapUp', who: 'operator', codes: 'outcome' }]);
  t.same(c.send({ type: 'unitAnswered', official: 'u1' }), [{ type: 'dropUnitLeg', official: 'u1' }]);
  t.same(c.send({ type: 'unitNoAnswer' }), []);
  c.send({ type: 'operatorGone' });
  t.same(c.effects, [], 'the wrap-up sees its own end');
  c.send({ type: 'wrappedUp', who: 'operator', key: null, topic: null });
  t.same(c.types(), ['record', 'free', 'destroyBridge']);
  t.match(c.records(), [{ kind: 'operator', code: '0', label: 'not_recorded', byDefault: true }]);
});

t.test("the caller hangs up while the unit's phones are looked up: no ringing after", async (t) => {
  const c = new Conv();
  c.keys('*3');
  c.send({ type: 'callerGone' });
  t.same(c.send({ type: 'unitPhones', unitId: 'registro', phones: ['u1'] }), []);
});

t.test("an office's official first (the caller chose the office): intervention codes, recorded under that office", async (t) => {
  const c = new Conv({ officialUnit: 'rimborsi' });
  c.send({ type: 'callerGone' });
  t.same(c.effects, [{ type: 'cancelCodeGap' }, { type: 'wrapUp', who: 'operator', codes: 'intervention' }]);
  c.send({ type: 'wrappedUp', who: 'operator', key: '2', topic: null });
  t.same(c.records(), [{ kind: 'unit', official: 'op1', code: '2', label: 'needs_follow_up', byDefault: false, unit: 'rimborsi', followUp: true }]);
  const d = new Conv({ officialUnit: 'rimborsi' });
  d.send({ type: 'callerGone' });
  d.send({ type: 'wrappedUp', who: 'operator', key: '1', topic: 'ignored' });
  t.notOk(
    d.effects.some((e) => e.type === 'topic'),
    'a topic belongs to basic information given by an operator',
  );
});

t.test("an operator's outcome 4 opens a follow-up; other codes do not", async (t) => {
  for (const [key, followUp] of [
    ['4', true],
    ['2', false],
    ['3', false],
  ] as const) {
    const c = new Conv();
    c.send({ type: 'callerGone' });
    c.send({ type: 'wrappedUp', who: 'operator', key, topic: null });
    t.match(c.records(), [{ kind: 'operator', code: key, followUp }], `outcome ${key}`);
  }
});

t.test('any sequence of events: one record per official at most, the caller left alone or the bridge destroyed exactly once', async (t) => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const events = (s: ConversationState): ConversationEvent[] => [
    { type: 'operatorKey', digit: '*' },
    { type: 'operatorKey', digit: String(rand(4)) },
    { type: 'codeGap', token: s.token },
    { type: 'unitPhones', unitId: 'registro', phones: rand(2) ? ['u1'] : [] },
    { type: 'unitAnswered', official: 'u1' },
    { type: 'unitNoAnswer' },
    { type: 'operatorGone' },
    { type: 'unitGone' },
    { type: 'callerGone' },
    { type: 'wrappedUp', who: 'operator', key: rand(2) ? '1' : null, topic: null },
    { type: 'wrappedUp', who: 'unit', key: null, topic: null },
  ];
  for (let run = 0; run < 500; run++) {
    const c = new Conv();
    for (let i = 0; i < 30; i++) {
      const choices = events(c.state);
      c.send(choices[rand(choices.length)]!);
    }
    // the caller hangs up at last and every wrap-up asked for ends
    c.send({ type: 'callerGone' });
    for (let i = 0; i < 3; i++) {
      const asked = c.all.filter((e) => e.type === 'wrapUp').map((e) => (e as { who: 'operator' | 'unit' }).who);
      for (const who of new Set(asked)) c.send({ type: 'wrappedUp', who, key: null, topic: null });
    }
    const ends = c.all.filter((e) => e.type === 'alone' || e.type === 'destroyBridge').length;
    const operatorRecords = c.all.filter((e) => e.type === 'record' && e.record.kind !== 'transfer' && e.record.official === 'op1').length;
    const frees = c.all.filter((e) => e.type === 'free' && e.who === 'operator').length;
    if (ends !== 1 || operatorRecords !== 1 || frees !== 1 || c.state.stage !== 'ended') {
      t.fail(`run ${run}: ends ${ends}, operator records ${operatorRecords}, operator freed ${frees}, stage ${c.state.stage}`);
      return;
    }
  }
  t.pass('500 random runs: the caller ended once, the operator recorded and freed once each');
});
