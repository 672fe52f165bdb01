// One callback attempt driven step by step against a scripted fake of the telephony port
// (no PBX: the integration tests do that with SIPp). Checks the order of what is written
// and what is dialled, and where each branch leaves the request.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { CallbackAttempt } from '../../controller/callbacks/callback-attempt';
import { CallbackLedger } from '../../controller/callbacks/ledger';
import { configSchema } from '../../controller/config/schema';
import { Presence } from '../../controller/operators/presence';
import { CallbackAttemptsRepo } from '../../controller/storage/callback-attempts-repo';
import { CallbacksRepo } from '../../controller/storage/callbacks-repo';
import { migrate, openDatabase, readMigrations } from '../../controller/storage/database';
import { OperatorsRepo } from '../../controller/storage/operators-repo';
import { OutcomesRepo } from '../../controller/storage/outcomes-repo';
import { FollowupsRepo } from '../../controller/storage/followups-repo';
import { NotesRepo } from '../../controller/storage/notes-repo';
import { sqliteRecords } from './records';
import { CallsRepo } from '../../controller/storage/calls-repo';
import { FakePbx, settle } from './fake-pbx';
import { bookingRequest } from '../fixtures/booking-request';

const root = path.resolve(__dirname, '..', '..', '..');
const dp = configSchema.parse({
  directorates: [
    {
      id: 'x',
      name: 'Prova',
      numbers: ['0611000009'],
      case: 'staff',
      ringsBeforeCallback: 2,
      hours: {},
      units: [{ id: 'u', name: 'U', code: '5' }],
      topics: [
        { code: '1', name: 'Dichiarazioni' },
        { code: '2', name: 'Rimborsi' },
      ],
    },
  ],
}).directorates[0]!;

/** operator answers, keys 1 at the whisper; with 'answered' the caller answers too */
async function callerReached(pbx: FakePbx, how: 'ringing' | 'answered'): Promise<void> {
  await settle();
  pbx.answered('cbop');
  await settle();
  pbx.key('cbop', '1');
  await settle();
  if (how === 'ringing') return;
  pbx.answered('cbcl');
  await settle();
}

async function setup() {
  const db = openDatabase(path.join(mkdtempSync(path.join(os.tmpdir(), 'ivr-attempt-')), 'a.db'));
  migrate(db, readMigrations(path.join(root, 'db')));
  const callbacks = new CallbacksRepo(db);
  const attempts = new CallbackAttemptsRepo(db);
  const ledger = new CallbackLedger(db, callbacks, attempts);
  const outcomes = new OutcomesRepo(db);
  const pbx = new FakePbx();
  const freed: string[] = [];
  const now = new Date();
  // the history the whisper tells: two calls from the number in the days before
  const calls = new CallsRepo(db);
  for (const days of [3, 2]) calls.start({ id: `earlier-${days}`, dp: 'bz', caller: '0612345678', dialed: '0471000001', at: new Date(now.getTime() - days * 86_400_000) });
  const r = callbacks.book(bookingRequest(now, { language: 'en', ringCount: 2 }));
  if (!r.ok) throw new Error('not booked');
  const attemptId = (await ledger.claim(r.id, 'op1', 'cbop-1-test', now))!;
  const attempt = new CallbackAttempt(
    attemptId,
    callbacks.get(r.id)!,
    'op1',
    'cbop-1-test',
    dp,
    {
      port: pbx,
      tracker: pbx,
      presence: new Presence(new OperatorsRepo(db), pbx),
      records: sqliteRecords(db),
      log: pino({ level: 'silent' }),
      now: () => new Date(),
      ledger,
      onOfficialFree: (op) => freed.push(op),
    },
    pino({ level: 'silent' }),
    Date.now(),
  );
  void attempt.run();
  return { pbx, attempt, callbacks, attempts, outcomes, id: r.id, attemptId, freed, db };
}

t.test('operator first: the whisper names the number, the attempt and the history; 2 passes it back', async (t) => {
  const { pbx, attempt, callbacks, id, freed } = await setup();
  await settle();
  t.match(pbx.ops[0], /^originate PJSIP\/op1 as "Richiamata 0612345678" <0612345678>$/);
  pbx.answered('cbop');
  await settle();
  t.match(
    pbx.ops[1],
    /^play cbop op-whisper-callback,0,6,1,2,3,4,5,6,7,8,op-whisper-requested-at,number:\d+.*op-whisper-attempt,number:1,op-whisper-of,number:3,op-whisper-contacts,number:2,op-whisper-keys$/,
  );
  pbx.key('cbop', '2');
  await settle();
  pbx.finish('cbop'); // "la richiesta torna in coda"
  const next = await attempt.done;
  t.match(next, { status: 'pending' });
  t.notOk(
    pbx.ops.some((o) => o.includes('@trunk')),
    'the caller was never dialled',
  );
  t.match(callbacks.get(id), { status: 'pending', attempts: 0, lastOutcome: 'operator_passed' });
  t.same(freed, ['op1'], 'the operator is free again');
});

t.test('1 at the whisper: the dial of the caller is written before it is placed; busy: retry later', async (t) => {
  const { pbx, attempt, callbacks, attempts, id, attemptId } = await setup();
  let atDial: unknown;
  pbx.onOriginate = (r) => {
    if (r.endpoint.includes('@trunk')) atDial = { attempt: attempts.get(attemptId), callback: callbacks.get(id) };
  };
  await callerReached(pbx, 'ringing');
  t.ok(pbx.ops.includes('originate PJSIP/0612345678@trunk as "Agenzia Entrate Prova" <0611000009>'), 'the caller is called from the public number');
  t.match(atDial, { attempt: { stage: 'caller', callerAttempt: 1 }, callback: { status: 'dialing', attempts: 1 } }, "already counted when the caller's phone starts ringing");
  t.ok(
    pbx.ops.some((o) => /^play cbop tone:ring/.test(o)),
    'the operator hears the ringback',
  );
  pbx.gone('cbcl', 17);
  await settle();
  pbx.finish('cbop'); // "il chiamante non ha risposto"
  t.match(await attempt.done, { status: 'pending' });
  t.match(attempts.get(attemptId), { outcome: 'busy', cause: 17 });
  t.match(callbacks.get(id), { status: 'pending', lastOutcome: 'busy', attempts: 1 });
  t.ok(new Date(callbacks.get(id)!.dueAt).getTime() - Date.now() > 590_000, 'due again in 10 minutes');
});

t.test("a caller's phone that refuses at once, gone before the originate returns, is not rung out: busy at once", async (t) => {
  const { pbx, attempt, attempts, attemptId } = await setup();
  // the 486 and the channel's end come over the websocket before the REST call's response
  pbx.onOriginate = (r) => {
    if (r.endpoint.includes('@trunk')) pbx.gone('cbcl', 17);
  };
  const started = Date.now();
  await callerReached(pbx, 'ringing');
  await settle();
  t.ok(
    pbx.ops.some((o) => /^play cbop .*op-not-reached/.test(o)),
    'the operator is told at once, not after the 30 s of ringing',
  );
  pbx.finish('cbop');
  t.match(await attempt.done, { status: 'pending' });
  t.match(attempts.get(attemptId), { outcome: 'busy', cause: 17 });
  t.ok(Date.now() - started < 5000, `ended in ${Date.now() - started} ms`);
});

t.test('the caller answers in their language and presses 1: bridged, done; the operator keys the outcome after the caller hangs up', async (t) => {
  const { pbx, attempt, callbacks, outcomes, id, freed, db } = await setup();
  await callerReached(pbx, 'answered');
  t.ok(
    pbx.ops.some((o) => o === 'play cbcl x-callback-greeting-en,callback-confirm'),
    'greeting and question in English',
  );
  pbx.key('cbcl', '1');
  await settle();
  t.match(await attempt.done, { status: 'done' });
  t.ok(pbx.ops.includes('join cbcl+cbop'), 'caller and operator bridged');
  t.match(callbacks.get(id), { status: 'done', lastOutcome: 'connected' });
  pbx.gone('cbcl', 16);
  await settle();
  t.ok(pbx.ops.includes('leave cbop'), 'the operator leaves the bridge for the wrap-up');
  t.ok(
    pbx.ops.some((o) => o === 'play cbop op-outcome'),
    'asked for the outcome code',
  );
  t.same(freed, [], 'not free during the wrap-up');
  pbx.key('cbop', '4');
  await settle();
  pbx.finish('cbop'); // "registrato"
  await settle();
  t.match(outcomes.byNumber('0612345678'), [{ kind: 'operator', official: 'op1', code: '4', label: 'needs_follow_up', byDefault: 0, callbackId: id }]);
  t.same(freed, ['op1'], 'free after the code');
  t.match(
    new FollowupsRepo(db).byNumber('0612345678'),
    [{ dp: 'x', unit: null, callbackId: id, openedBy: 'op1', status: 'open' }],
    '"needs follow-up" opened an item on the operators\' worklist',
  );
});

t.test("the operator's keys while the bridge is being made count for the conversation (a transfer code typed at once)", async (t) => {
  const { pbx, attempt } = await setup();
  await callerReached(pbx, 'answered');
  let open!: () => void;
  pbx.bridgeGate = new Promise((r) => (open = r));
  pbx.key('cbcl', '1');
  await settle();
  t.notOk(pbx.ops.includes('join cbcl+cbop'), 'the bridge is not up yet');
  pbx.key('cbop', '*');
  pbx.key('cbop', '5');
  open();
  await settle();
  t.match(await attempt.done, { status: 'done' });
  t.same(pbx.ops.slice(pbx.ops.indexOf('join cbcl+cbop')), ['join cbcl+cbop', 'play cbop op-transfer-failed'], 'bridged, then the code *5 acted on (unit u has nobody free)');
});

t.test('basic information given (1), then the topic keyed by phone: recorded in the profile as the information given', async (t) => {
  const { pbx, attempt, outcomes, id, db } = await setup();
  await callerReached(pbx, 'answered');
  pbx.key('cbcl', '1');
  await settle();
  t.match(await attempt.done, { status: 'done' });
  pbx.gone('cbcl', 16);
  await settle();
  pbx.key('cbop', '1');
  await settle();
  t.ok(
    pbx.ops.some((o) => o === 'play cbop op-topic'),
    'asked for the topic',
  );
  pbx.key('cbop', '2');
  await settle();
  pbx.finish('cbop'); // "registrato"
  await settle();
  t.match(outcomes.byNumber('0612345678'), [{ kind: 'operator', code: '1', label: 'basic_information_given', callbackId: id }]);
  t.match(new NotesRepo(db).byNumber('0612345678'), [{ info: 'Rimborsi', text: '', operator: 'op1', callbackId: id }], "the directorate's topic 2");
  t.same(new FollowupsRepo(db).byNumber('0612345678'), [], 'no follow-up');
});

t.test('anything but 1 from the caller (an answering machine) is not a completed callback', async (t) => {
  const { pbx, attempt, callbacks, id } = await setup();
  await callerReached(pbx, 'answered');
  pbx.key('cbcl', '7');
  await settle();
  t.ok(
    pbx.ops.some((o) => o === 'play cbcl callback-later'),
    '"we will call you back later"',
  );
  pbx.finish('cbcl');
  await settle();
  pbx.finish('cbop');
  t.match(await attempt.done, { status: 'pending' });
  t.match(callbacks.get(id), { lastOutcome: 'no_confirmation', attempts: 1 });
});

t.test('cancelled by the sysadmin during the whisper: the operator is hung up, the request cancelled', async (t) => {
  const { pbx, attempt, callbacks, id } = await setup();
  await settle();
  pbx.answered('cbop');
  await settle();
  attempt.cancel();
  t.match(await attempt.done, { status: 'cancelled' });
  t.ok(pbx.ops.includes('hangup cbop'));
  t.equal(callbacks.get(id)!.status, 'cancelled');
});

t.test('the operator hangs up while the caller rings: the caller is hung up, the attempt counted', async (t) => {
  const { pbx, attempt, callbacks, id } = await setup();
  await callerReached(pbx, 'ringing');
  pbx.gone('cbop', 16);
  t.match(await attempt.done, { status: 'pending' });
  t.ok(pbx.ops.includes('hangup cbcl'), "the caller's phone stops ringing");
  t.match(callbacks.get(id), { lastOutcome: 'operator_hangup', attempts: 1 });
});
