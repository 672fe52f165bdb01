import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAttempt, callerLegOutcome, directoratesServedBy, planDispatch, whisper, type DispatchInput } from '../../controller/callbacks/policy';
import { parseConfig } from '../../controller/config/load';
import { matchUnitCode } from '../../controller/conversation/codes';
import { configSchema } from '../../controller/config/schema';

const input = (over: Partial<DispatchInput> = {}): DispatchInput => ({
  open: true,
  inboundRinging: 0,
  free: ['a', 'b'],
  keepFree: 0,
  due: [1, 2, 3],
  passedRecently: () => false,
  ...over,
});

t.test('dispatch pairs the oldest due requests with the longest-idle free operators', async (t) => {
  t.same(planDispatch(input()), {
    pairs: [
      { callbackId: 1, operator: 'a' },
      { callbackId: 2, operator: 'b' },
    ],
  });
  t.same(planDispatch(input({ free: ['b'] })).pairs, [{ callbackId: 1, operator: 'b' }], 'one free operator, one callback: exactly one is rung');
  t.same(planDispatch(input({ due: [7] })).pairs, [{ callbackId: 7, operator: 'a' }], 'one callback, two operators: only the longest idle');
});

t.test('nothing is dispatched when closed, while live callers ring, or into the reserve', async (t) => {
  t.same(planDispatch(input({ open: false })), { pairs: [], blocked: 'closed' });
  t.same(planDispatch(input({ inboundRinging: 1 })), { pairs: [], blocked: 'inbound_ringing' });
  t.same(planDispatch(input({ free: [] })), { pairs: [], blocked: 'no_free_operator' });
  t.same(planDispatch(input({ keepFree: 2 })), { pairs: [], blocked: 'kept_for_inbound' });
  t.same(planDispatch(input({ keepFree: 1 })).pairs, [{ callbackId: 1, operator: 'a' }], 'the longest idle one goes, the last one stays free');
  t.same(planDispatch(input({ due: [] })), { pairs: [], blocked: 'nothing_due' });
});

t.test('an operator who passed a request back gets the next one instead', async (t) => {
  const plan = planDispatch(input({ free: ['a'], passedRecently: (id, op) => id === 1 && op === 'a' }));
  t.same(plan.pairs, [{ callbackId: 2, operator: 'a' }]);
  t.same(planDispatch(input({ free: ['a'], due: [1], passedRecently: () => true })), { pairs: [], blocked: 'no_free_operator' });
});

const policy = configSchema.parse({ directorates: [{ id: 'x', name: 'X', numbers: ['0600000001'], case: 'staff', ringsBeforeCallback: 2, hours: {} }] }).directorates[0]!.callback;
const now = new Date('2026-11-26T10:00:00Z');
const later = (days: number) => new Date(now.getTime() + days * 86_400_000);

t.test('after an attempt: done, retry with the per-outcome delay, failed after the last, expired', async (t) => {
  const o = { callerDialled: true, callerAttempts: 1, now, expiresAt: later(3), policy };
  t.same(afterAttempt('connected', o), { status: 'done', reason: 'connected' });
  t.same(afterAttempt('no_answer', o), { status: 'pending', dueAt: new Date(now.getTime() + 600_000) }, 'no answer: 10 minutes by default');
  t.same(afterAttempt('busy', o).dueAt, new Date(now.getTime() + 600_000));
  t.same(afterAttempt('unreachable', o).dueAt, new Date(now.getTime() + 1_800_000));
  t.same(afterAttempt('no_confirmation', o).status, 'pending', 'an answering machine is not a completed callback');
  t.match(afterAttempt('no_answer', { ...o, callerAttempts: 3 }), { status: 'failed', reason: 'no_answer at attempt 3 of 3' });
  t.match(afterAttempt('busy', { ...o, expiresAt: new Date(now.getTime() + 60_000) }), { status: 'expired' });
  t.same(afterAttempt('cancelled', o).status, 'cancelled');
});

t.test('what happens on the operator side does not use up an attempt of the caller', async (t) => {
  const o = { callerDialled: false, callerAttempts: 3, now, expiresAt: later(3), policy };
  t.same(afterAttempt('operator_passed', o), { status: 'pending', dueAt: now });
  t.same(afterAttempt('operator_no_answer', o), { status: 'pending', dueAt: now });
  t.same(afterAttempt('interrupted', o), { status: 'pending', dueAt: new Date(now.getTime() + 120_000) }, 'a restart waits a little');
  t.same(afterAttempt('interrupted', { ...o, callerDialled: true }).status, 'failed', 'an interrupted dial of the caller counts');
});

t.test('the caller leg hang-up cause maps to an outcome', async (t) => {
  t.equal(callerLegOutcome(17, false), 'busy');
  t.equal(callerLegOutcome(19, false), 'no_answer');
  t.equal(callerLegOutcome(21, false), 'rejected');
  t.equal(callerLegOutcome(1, false), 'unreachable');
  t.equal(callerLegOutcome(16, true), 'no_answer', 'our own ring timeout');
  t.equal(callerLegOutcome(null, false), 'failed');
});

t.test('the whisper reads the number, the time of the request, the attempt and the history', async (t) => {
  const w = whisper({ number: '0612345678', requestedAt: '09:05', attempt: 2, maxAttempts: 3, earlierContacts: 4 });
  t.same(w, [
    { kind: 'common', name: 'op-whisper-callback' },
    { kind: 'digits', value: '0612345678' },
    { kind: 'common', name: 'op-whisper-requested-at' },
    { kind: 'number', value: 9 },
    { kind: 'common', name: 'op-whisper-and' },
    { kind: 'number', value: 5 },
    { kind: 'common', name: 'op-whisper-attempt' },
    { kind: 'number', value: 2 },
    { kind: 'common', name: 'op-whisper-of' },
    { kind: 'number', value: 3 },
    { kind: 'common', name: 'op-whisper-contacts' },
    { kind: 'number', value: 4 },
    { kind: 'common', name: 'op-whisper-keys' },
  ]);
  const first = whisper({ number: '0612345678', requestedAt: '10:00', attempt: 1, maxAttempts: 3, earlierContacts: 0 });
  t.notOk(
    first.some((p) => p.kind === 'common' && p.name === 'op-whisper-and'),
    'no minutes on the hour',
  );
  t.ok(first.some((p) => p.kind === 'common' && p.name === 'op-whisper-first-contact'));
});

t.test('unit codes after "*": complete, waiting for more, unknown', async (t) => {
  const units = [{ code: '1' }, { code: '2' }, { code: '21' }, { code: '305' }];
  t.same(matchUnitCode(units, '1'), { code: '1' });
  t.equal(matchUnitCode(units, '2'), 'more', '"2" could still become "21"');
  t.same(matchUnitCode(units, '21'), { code: '21' });
  t.equal(matchUnitCode(units, '30'), 'more');
  t.equal(matchUnitCode(units, '9'), 'unknown');
});

t.test("the cluster: a directorate's callbacks go to the first node alive in its order (its primary, then the others)", async (t) => {
  const three = parseConfig(
    readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'ivr-cluster.yaml'), 'utf8')
      .replace('    - { id: b, address: 10.77.2.2 }\n', '    - { id: b, address: 10.77.2.2 }\n    - { id: c, address: 10.77.3.2 }\n')
      .replace('    primary: b\n', '    primary: c\n'),
    'cluster.yaml',
  );
  const alive =
    (...up: string[]) =>
    (n: string): boolean =>
      up.includes(n);
  // c-one: primary a; c-two: primary c
  t.same(directoratesServedBy(three, 'a', alive('b', 'c')), ['c-one'], 'everyone up: a its own');
  t.same(directoratesServedBy(three, 'c', alive('a', 'b')), ['c-two'], 'c its own');
  t.same(directoratesServedBy(three, 'b', alive('a', 'c')), [], 'b, primary of none, nothing while both are up');
  t.same(directoratesServedBy(three, 'b', alive('c')), ['c-one'], 'a dead: b, the next after it, takes c-one');
  t.same(directoratesServedBy(three, 'c', alive()), ['c-one', 'c-two'], 'a and b dead: c takes both');
  t.same(directoratesServedBy(three, 'b', alive('a')), [], "c dead: c-two's order is c, a, b: a takes it, not b");
  t.same(directoratesServedBy(three, 'a', alive('b')), ['c-one', 'c-two'], 'and a agrees');
  t.same(directoratesServedBy(three, 'a', alive('b', 'c')), ['c-one'], 'c back: it takes c-two again');
  const box = parseConfig(readFileSync(path.join(__dirname, '..', '..', '..', 'config', 'demo.yaml'), 'utf8'), 'demo.yaml');
  t.same(
    directoratesServedBy(box, 'anything', alive()),
    box.directorates.map((d) => d.id),
    'one box: every directorate',
  );
});
