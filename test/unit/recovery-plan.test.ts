// What a restarted controller does with each kind of call its predecessor left in Asterisk.
import t from 'tap';
import { planRecovery, type OrphanChannel } from '../../controller/recovery/plan';

const caller = (id: string, up = true): OrphanChannel => ({ id, args: ['inbound', 't-dp'], up });
const leg = (id: string, call: string, up = true): OrphanChannel => ({ id, args: ['leg', call], up });
const cb = (id: string, cbId: number, up = true): OrphanChannel => ({ id, args: ['callback', String(cbId)], up });

t.test('a caller talking with the operator who answered is kept, bridge and all', async (t) => {
  const p = planRecovery([caller('c1'), leg('leg-a', 'c1'), leg('leg-b', 'c1', false)], [{ id: 'b1', channels: ['c1', 'leg-a'] }], true);
  t.same(p.keep, [{ bridgeId: 'b1', channels: ['c1', 'leg-a'], caller: 'c1', callId: 'c1', rejoin: false }]);
  t.same(p.hangup, ['leg-b'], 'a phone still ringing for that call stops');
  t.same(p.fallback, []);
  t.same(p.destroyBridges, []);
});

t.test('callers in the menu, at the offer or while phones ring hear the apology; the phones stop', async (t) => {
  const p = planRecovery([caller('c1'), caller('c2'), leg('leg-a', 'c2', false), leg('leg-b', 'c2', false)], [], true);
  t.same(p.keep, []);
  t.same(p.fallback, ['c1', 'c2']);
  t.same(p.hangup, ['leg-a', 'leg-b']);
});

t.test('a transfer interrupted: the caller on hold goes back to the operator waiting in the bridge; the unit stops ringing', async (t) => {
  const p = planRecovery([caller('c1'), leg('leg-op', 'c1'), leg('leg-unit', 'c1', false)], [{ id: 'b1', channels: ['leg-op'] }], true);
  t.same(p.keep, [{ bridgeId: 'b1', channels: ['c1', 'leg-op'], caller: 'c1', callId: 'c1', rejoin: true }]);
  t.same(p.hangup, ['leg-unit']);
  t.same(p.fallback, []);
});

t.test('a caller with the internal unit (the operator gone) is kept', async (t) => {
  const p = planRecovery([caller('c1'), leg('leg-unit', 'c1')], [{ id: 'b1', channels: ['c1', 'leg-unit'] }], false);
  t.equal(p.keep.length, 1);
  t.same(p.keep[0]!.channels, ['c1', 'leg-unit']);
});

t.test('a callback conversation is kept (no call row); a callback not yet put through is hung up, never sent to the apology', async (t) => {
  const p = planRecovery([cb('cbcl-7-aa', 7), cb('cbop-7-bb', 7), cb('cbcl-8-cc', 8), cb('cbop-8-dd', 8)], [{ id: 'b7', channels: ['cbcl-7-aa', 'cbop-7-bb'] }], true);
  t.same(p.keep, [{ bridgeId: 'b7', channels: ['cbcl-7-aa', 'cbop-7-bb'], caller: 'cbcl-7-aa', callId: null, rejoin: false }]);
  t.same(p.hangup.sort(), ['cbcl-8-cc', 'cbop-8-dd']);
  t.same(p.fallback, []);
});

t.test('an official alone in wrap-up is hung up and the bridge destroyed', async (t) => {
  const p = planRecovery([leg('leg-op', 'gone-call')], [{ id: 'b1', channels: ['leg-op'] }], false);
  t.same(p.keep, []);
  t.same(p.hangup, ['leg-op']);
  t.same(p.destroyBridges, ['b1']);
});

t.test('a caller alone in a bridge (the official gone) hears the apology; the bridge goes', async (t) => {
  const p = planRecovery([caller('c1')], [{ id: 'b1', channels: ['c1'] }], false);
  t.same(p.keep, []);
  t.same(p.fallback, ['c1']);
  t.same(p.destroyBridges, ['b1']);
});

t.test('a bridge holding a channel of a live flow is not touched', async (t) => {
  const p = planRecovery([caller('c1')], [{ id: 'live', channels: ['c1', 'tracked-op'] }], true);
  t.same(p.destroyBridges, []);
  t.same(p.keep, [], 'its orphan is not kept with a channel someone else routes');
  t.same(p.fallback, ['c1']);
});

t.test('empty bridges are destroyed only at the first connection', async (t) => {
  t.same(planRecovery([], [{ id: 'e', channels: [] }], true).destroyBridges, ['e']);
  t.same(planRecovery([], [{ id: 'e', channels: [] }], false).destroyBridges, []);
});

t.test('arguments unknown: a leg of ours by its id is hung up, anything else hears the apology', async (t) => {
  const p = planRecovery(
    [
      { id: 'leg-x', args: [], up: true },
      { id: 'cbop-1-x', args: [], up: true },
      { id: 'weird', args: [], up: true },
    ],
    [],
    true,
  );
  t.same(p.hangup, ['leg-x', 'cbop-1-x']);
  t.same(p.fallback, ['weird']);
});

t.test('a caller not answered is never kept', async (t) => {
  const p = planRecovery([caller('c1', false), leg('leg-a', 'c1')], [{ id: 'b1', channels: ['c1', 'leg-a'] }], true);
  t.same(p.keep, []);
  t.same(p.fallback, ['c1']);
  t.same(p.hangup, ['leg-a']);
  t.same(p.destroyBridges, ['b1']);
});
