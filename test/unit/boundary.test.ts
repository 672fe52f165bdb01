// Error boundaries: a throw or a rejection inside one is logged with its ids, counted under
// where it entered, handed to the entry's fallback, and never escapes.
import t from 'tap';
import { Boundary, installProcessBoundary } from '../../controller/runtime/boundary';

function setup() {
  const logged: Array<Record<string, unknown>> = [];
  const counted: string[] = [];
  const b = new Boundary({ error: (obj: Record<string, unknown>) => void logged.push(obj) } as never, (w) => counted.push(w));
  return { b, logged, counted };
}

t.test('a synchronous throw: reported with the ids, fallback called, nothing escapes', async (t) => {
  const { b, logged, counted } = setup();
  const fell: unknown[] = [];
  t.doesNotThrow(() =>
    b.run(
      'ari:StasisStart',
      { channelId: 'c1' },
      () => {
        throw new Error('boom');
      },
      (err) => fell.push(err),
    ),
  );
  t.same(counted, ['ari:StasisStart']);
  t.match(logged[0], { channelId: 'c1', where: 'ari:StasisStart', err: 'boom' });
  t.match(fell, [{ message: 'boom' }]);
});

t.test('a rejected promise: reported once it rejects; a failing fallback is reported too', async (t) => {
  const { b, counted } = setup();
  b.run(
    'http',
    { path: '/x' },
    () => Promise.reject(new Error('later')),
    () => {
      throw new Error('fallback broke');
    },
  );
  await new Promise((r) => setImmediate(r));
  t.same(counted, ['http', 'http:fallback']);
});

t.test('wrap: each call guarded, its ids taken from the arguments; a malformed event still gets its boundary', async (t) => {
  const { b, logged, counted } = setup();
  const handler = b.wrap(
    'ari:ChannelDtmfReceived',
    (e: { channel: { id: string }; digit: string }) => {
      if (e.digit === 'X') throw new Error('bad digit');
    },
    (e) => ({ channelId: e.channel.id }),
    (_err, e) => void logged.push({ fallbackFor: e?.channel?.id }),
  );
  handler({ channel: { id: 'c2' }, digit: '1' });
  handler({ channel: { id: 'c3' }, digit: 'X' });
  handler(undefined as never);
  t.same(counted, ['ari:ChannelDtmfReceived', 'ari:ChannelDtmfReceived']);
  t.match(logged, [{ channelId: 'c3', err: 'bad digit' }, { fallbackFor: 'c3' }, { where: 'ari:ChannelDtmfReceived' }, { fallbackFor: undefined }]);
});

t.test('process boundary: an unhandled rejection is logged and counted; a storm makes the process exit for its supervisor', async (t) => {
  const { b, counted } = setup();
  const exits: number[] = [];
  const uninstall = installProcessBoundary(b, (code) => exits.push(code), 3);
  try {
    void Promise.reject(new Error('nobody listens'));
    await new Promise((r) => setTimeout(r, 10));
    t.same(counted, ['unhandled_rejection']);
    t.same(exits, [], 'one is not a storm');
    for (let i = 0; i < 3; i++) void Promise.reject(new Error(`again ${i}`));
    await new Promise((r) => setTimeout(r, 10));
    t.same(exits, [70], 'more than the bound in a minute: exit');
  } finally {
    uninstall();
  }
});
