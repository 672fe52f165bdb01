// The group ringer against the scripted PBX: ring-all and hunting (longest idle first), the
// first answer wins and the other legs are hung up, the threshold, phones that refuse or
// cannot be rung, a caller who hangs up, an answer that comes too late. Timers are real and
// short (tens of milliseconds).
import t from 'tap';
import pino from 'pino';
import { GroupRinger, type RingPlan } from '../../controller/telephony/group-ringer';
import { FakePbx, settle } from './fake-pbx';

/** polls until `cond` holds (each timer's expiry is an event here), at most `ms` */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function ringer(plan: Partial<RingPlan>, pbx = new FakePbx()) {
  const legOf = new Map<string, string>(); // operator -> its leg's channel id
  const originated: string[] = [];
  pbx.onOriginate = (r) => {
    const op = r.endpoint.replace('PJSIP/', '');
    legOf.set(op, r.channelId);
    originated.push(op);
  };
  const ended: Array<[string, boolean]> = [];
  const engaged: string[] = [];
  const g = new GroupRinger(
    { phones: ['a', 'b', 'c'], strategy: 'all', perPhoneMs: 1000, totalMs: 5000, callerId: '"t" <0612345678>', appArgs: ['leg', 'x'], ...plan },
    pbx,
    pbx,
    pino({ level: 'silent' }),
    { engage: (op) => engaged.push(op), release: (op, talked) => ended.push([op, talked]) },
  );
  const hungUp = (): string[] => pbx.hangups;
  const leg = (op: string): string => legOf.get(op)!;
  return { g, pbx, originated, ended, engaged, hungUp, leg };
}

t.test('ring all: every phone at once; the first to answer wins, the others are hung up and freed', async (t) => {
  const r = ringer({});
  r.g.start();
  await settle();
  t.same(r.originated, ['a', 'b', 'c'], 'all three ring');
  t.same(r.engaged, ['a', 'b', 'c'], 'each held for the group from the start');
  r.pbx.answered(r.leg('b'));
  t.same(await r.g.outcome, { answered: true, operator: 'b', legId: r.leg('b') });
  await settle();
  t.same([...r.hungUp()].sort(), [r.leg('a'), r.leg('c')].sort(), "the others' legs hung up, the winner's kept for the bridge");
  t.same(r.ended.map(([op]) => op).sort(), ['a', 'c'], 'the others are free again');
  t.notOk(r.pbx.isTracked(r.leg('a')) || r.pbx.isTracked(r.leg('c')), "the dropped legs' events are no longer listened to");
});

t.test('ring all: nobody answers within the threshold: unanswered, every leg hung up', async (t) => {
  const r = ringer({ totalMs: 60 });
  r.g.start();
  await settle();
  r.pbx.gone(r.leg('c'), 17); // one phone busy: the others keep ringing
  await settle();
  t.same(r.ended, [['c', false]]);
  const started = Date.now();
  t.same(await r.g.outcome, { answered: false, rung: ['a', 'b', 'c'] });
  t.ok(Date.now() - started < 1000, 'ended at the threshold');
  t.same(r.ended.map(([op]) => op).sort(), ['a', 'b', 'c']);
  t.same([...r.hungUp()].sort(), [r.leg('a'), r.leg('b')].sort(), 'the two still ringing were hung up');
});

t.test('hunting (longest idle first): one phone at a time, each for its share, the next when one refuses', async (t) => {
  const r = ringer({ strategy: 'longest-idle', perPhoneMs: 300, totalMs: 5000 });
  const started = Date.now();
  r.g.start();
  await settle();
  t.same(r.originated, ['a'], 'only the longest idle rings');
  await until(() => r.originated.length > 1);
  t.ok(Date.now() - started >= 290, `after its share (${Date.now() - started} ms), the next`);
  t.same(r.originated, ['a', 'b']);
  t.same(r.hungUp(), [r.leg('a')], "a's leg hung up");
  r.pbx.gone(r.leg('b'), 21); // rejected: at once to the next
  await settle();
  t.same(r.originated, ['a', 'b', 'c']);
  r.pbx.answered(r.leg('c'));
  t.match(await r.g.outcome, { answered: true, operator: 'c' });
  t.same(
    r.ended.map(([op]) => op),
    ['a', 'b'],
    'a and b freed as they ended; c keeps the call',
  );
});

t.test('hunting: a phone that cannot be rung counts as ended and the next one rings', async (t) => {
  const pbx = new FakePbx();
  const original = pbx.originate.bind(pbx);
  pbx.originate = async (req) => {
    if (req.endpoint === 'PJSIP/a') throw new Error('404 endpoint not found');
    return original(req);
  };
  const r = ringer({ strategy: 'longest-idle', perPhoneMs: 1000, totalMs: 3000 }, pbx);
  r.g.start();
  await settle();
  t.same(r.originated, ['b'], 'a could not be rung: b at once');
  t.same(r.ended, [['a', false]]);
  r.g.cancel();
  t.match(await r.g.outcome, { answered: false, rung: ['a', 'b'] });
});

t.test('the caller hangs up while phones ring: every leg hung up, unanswered; an answer after that is dropped', async (t) => {
  const r = ringer({});
  r.g.start();
  await settle();
  r.g.cancel();
  t.same(await r.g.outcome, { answered: false, rung: ['a', 'b', 'c'] });
  t.same([...r.hungUp()].sort(), ['a', 'b', 'c'].map(r.leg).sort(), 'every leg hung up');
  t.same(r.ended.length, 3, 'all freed');
  // cancelled while an originate was in flight elsewhere: no new leg after the end
  r.g.cancel();
  t.same(r.hungUp().length, 3, 'cancelling twice changes nothing');
});

t.test('no phone in the plan: nothing rings; the threshold still ends it', async (t) => {
  const r = ringer({ phones: [], strategy: 'longest-idle', totalMs: 30 });
  r.g.start();
  t.same(await r.g.outcome, { answered: false, rung: [] });
  t.same(r.originated, []);
});

t.test('hunting ends at the threshold before reaching every phone: each phone held from the start is given back exactly once', async (t) => {
  const r = ringer({ strategy: 'longest-idle', perPhoneMs: 1000, totalMs: 80 });
  r.g.start();
  await settle();
  t.same(r.originated, ['a'], 'only the first phone rang');
  t.same(r.engaged, ['a', 'b', 'c'], 'the whole group held: nobody else may ring b or c meanwhile');
  t.same(await r.g.outcome, { answered: false, rung: ['a'] });
  await settle();
  t.ok(r.hungUp().includes(r.leg('a')), "a's leg hung up");
  t.same(r.ended.map(([op]) => op).sort(), ['a', 'b', 'c'], 'a, b and c released once each');
});
