import t from 'tap';
import { startInbound, stepInbound, type InboundEvent, type InboundState } from '../../controller/inbound/welcome-flow';

const run = (events: InboundEvent[]) => {
  let { state, effects } = startInbound('demo-sw');
  const all = [...effects];
  for (const e of events) {
    ({ state, effects } = stepInbound(state, e));
    all.push(...effects);
  }
  return { state, effects: all };
};

t.test('answer, welcome in Italian, hang up, completed', async (t) => {
  const { state, effects } = run([{ type: 'answered' }, { type: 'playbackEnded', outcome: 'finished' }, { type: 'hungUp' }]);
  t.same(effects, [
    { type: 'answer' },
    { type: 'play', prompts: [{ kind: 'dp', dp: 'demo-sw', name: 'welcome', lang: 'it' }] },
    { type: 'hangup' },
  ]);
  t.same(state, { step: 'done', reason: 'completed' });
});

t.test('a welcome that failed to play still ends with a hang-up', async (t) => {
  const { state, effects } = run([{ type: 'answered' }, { type: 'playbackEnded', outcome: 'failed' }]);
  t.same(effects.at(-1), { type: 'hangup' });
  t.equal(state.step, 'hangingUp');
});

t.test('the caller hanging up at any step ends the call with no further effect', async (t) => {
  const prefixes: InboundEvent[][] = [[], [{ type: 'answered' }], [{ type: 'answered' }, { type: 'playbackEnded', outcome: 'finished' }]];
  for (const prefix of prefixes) {
    const before = run(prefix);
    const after = stepInbound(before.state, { type: 'callerHungUp' });
    t.same(after, { state: { step: 'done', reason: 'caller_hangup' }, effects: [] }, `after ${prefix.length} events`);
  }
});

t.test('an error sends the caller to the dialplan apology, never to silence', async (t) => {
  for (const prefix of [[], [{ type: 'answered' } as InboundEvent]]) {
    const { state } = run(prefix);
    t.same(stepInbound(state, { type: 'error', message: 'x' }), { state: { step: 'done', reason: 'error' }, effects: [{ type: 'fallback' }] });
  }
});

t.test('events that do not belong to a step are ignored; done is final', async (t) => {
  const s: InboundState = { step: 'answering', dp: 'd' };
  t.same(stepInbound(s, { type: 'playbackEnded', outcome: 'finished' }), { state: s, effects: [] });
  t.same(stepInbound(s, { type: 'hungUp' }), { state: s, effects: [] });
  const done: InboundState = { step: 'done', reason: 'completed' };
  for (const e of [{ type: 'answered' }, { type: 'callerHungUp' }, { type: 'error', message: '' }] as InboundEvent[])
    t.same(stepInbound(done, e), { state: done, effects: [] });
});
