import t from 'tap';
import { Presence } from '../../controller/operators/presence';
import type { OperatorRow, OperatorsRepo } from '../../controller/storage/operators-repo';

const op = (id: string, over: Partial<OperatorRow> = {}): OperatorRow => ({
  id,
  dp: 'd',
  role: 'staff',
  unit: null,
  ha1: '',
  paused: false,
  pausedAt: null,
  createdAt: '',
  updatedAt: '',
  ...over,
});

function setup(ops: OperatorRow[], endpoint: Record<string, string>, device: Record<string, string>) {
  let now = 1000;
  const repo = { list: () => ops } as unknown as OperatorsRepo;
  const port = { endpointState: async (id: string) => endpoint[id] ?? 'offline', deviceState: async (id: string) => device[id] ?? 'UNAVAILABLE' };
  const presence = new Presence(repo, port, () => now, 0);
  return { presence, tick: (ms: number) => (now += ms) };
}

t.test('only registered, idle, unpaused members of the group', async (t) => {
  const { presence } = setup(
    [op('a'), op('b', { paused: true }), op('c'), op('d'), op('e', { dp: 'other' }), op('f', { role: 'switchboard' })],
    { a: 'online', b: 'online', c: 'online', d: 'offline', e: 'online', f: 'online' },
    { a: 'NOT_INUSE', b: 'NOT_INUSE', c: 'INUSE', d: 'UNAVAILABLE', e: 'NOT_INUSE', f: 'NOT_INUSE' },
  );
  t.same(await presence.available('d', 'staff'), { phones: ['a'] });
});

t.test('why nobody can ring', async (t) => {
  const none = setup([op('a')], {}, {});
  t.same(await none.presence.available('d', 'staff'), { phones: [], reason: 'none_registered' });
  const busy = setup([op('a'), op('b', { paused: true })], { a: 'online', b: 'online' }, { a: 'RINGING', b: 'NOT_INUSE' });
  t.same(await busy.presence.available('d', 'staff'), { phones: [], reason: 'all_busy' });
});

t.test('one call at a time, longest idle first', async (t) => {
  const { presence, tick } = setup([op('a'), op('b'), op('c')], { a: 'online', b: 'online', c: 'online' }, { a: 'NOT_INUSE', b: 'NOT_INUSE', c: 'NOT_INUSE' });
  t.same((await presence.available('d', 'staff')).phones, ['a', 'b', 'c'], 'ties by id');
  presence.engage('a');
  t.same((await presence.available('d', 'staff')).phones, ['b', 'c'], 'an operator being rung is not offered twice');
  tick(100);
  presence.release('a', true);
  presence.engage('b');
  tick(100);
  presence.release('b', true);
  t.same((await presence.available('d', 'staff')).phones, ['c', 'a', 'b'], 'c never talked: idle longest');
  presence.engage('c');
  presence.release('c', false);
  t.same((await presence.available('d', 'staff')).phones, ['c', 'a', 'b'], 'ringing without answering does not reset idle time');
});
