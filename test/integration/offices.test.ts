// An office in the menu, with real SIP agents (demo-st: 2 = Ufficio rimborsi, unit2): its key
// rings the unit's phone, whose official answers and keys an intervention code; with nobody
// of the unit there, the caller books a callback that is the office's, and it is placed
// through the unit's official (unit2), not the staff (st1) though both are free.
import t from 'tap';
import { TAKES } from './callback-agents';
import { agentReport, assertNothingLeft, callEvents, callIvr, cue, eventually, ivrctl, query, seededPassword, startCallee, startPhone, waitForRow } from './harness';
import { writeAnsweringScenario } from './scenarios';

const DEMO_ST = '0200000002';
let rtp = 49000;
const nextRtp = (): number => (rtp += 2);
let seq = 0;

const answeringPhone = (id: string, port: number, steps: Parameters<typeof writeAnsweringScenario>[1]['steps'], busyAtOnce = false) =>
  startPhone({
    id,
    password: seededPassword(id),
    port,
    rtpPort: nextRtp(),
    rxScenario: writeAnsweringScenario(`office-${id}-${++seq}`, { answerAfterMs: 800, steps }),
    maxCalls: 3,
    busyAtOnce,
  });

t.test("the office's key rings its unit's phone: the official answers, talks, keys an intervention code", async (t) => {
  const unit2 = await answeringPhone('unit2', 5141, [{ heard: 'it/op-intervention' }, { info: '2' }]);
  const ani = '0613400001';
  // "2" typed during the welcome answers the menu at once; the caller talks with the official, then hangs up
  const calling = callIvr({
    number: DEMO_ST,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/demo-st-welcome' }, { keys: '2' }, { cue: `${ani} put through` }, { talk: 1000 }, { hangup: true }],
  });
  await waitForRow('the official answered', "SELECT 1 AS ok FROM calls WHERE caller = ? AND answered_by = 'unit2'", [ani], 20_000);
  cue(`${ani} put through`);
  const r = await calling;
  t.equal(r.code, 0, 'the caller was put through to the office and hung up', { report: r.code === 0 ? undefined : agentReport(r) });
  const [call] = query<{ answered_by: string | null; menu_path: string | null }>('SELECT answered_by, menu_path FROM calls WHERE caller = ?', ani);
  t.match(call, { answered_by: 'unit2', menu_path: '2' }, "answered by the unit's official");
  t.match(callEvents(ani).find((e) => e.type === 'menu')?.data, { digit: '2', unit: 'rimborsi' });
  const outcome = await waitForRow<{ kind: string; official: string; code: string; unit: string; by_default: number }>(
    "the official's intervention code",
    "SELECT * FROM outcomes WHERE call_id = (SELECT id FROM calls WHERE caller = ?) AND kind = 'unit'",
    [ani],
    20_000,
  );
  t.match(outcome, { kind: 'unit', official: 'unit2', code: '2', unit: 'rimborsi', by_default: 0 }, 'an intervention (needs follow-up), keyed, not an operator outcome');
  // "needs follow-up" opened an item on the unit's worklist; closing it writes into the profile
  const item = await waitForRow<{ id: number; dp: string; unit: string; number: string; opened_by: string; status: string }>(
    'the follow-up item',
    'SELECT * FROM followups WHERE number = ?',
    [ani],
  );
  t.match(item, { dp: 'demo-st', unit: 'rimborsi', opened_by: 'unit2', status: 'open' }, "on the office's worklist");
  const listed = JSON.parse((await ivrctl('followups', 'list', '--unit', 'rimborsi', '--json')).stdout) as Array<{ id: number }>;
  t.ok(
    listed.some((f) => f.id === item.id),
    'ivrctl followups list --unit rimborsi shows it',
  );
  const closed = await ivrctl('followups', 'close', String(item.id), '--outcome', 'rimborso disposto, utente informato', '--json');
  t.equal(closed.code, 0, closed.stderr);
  t.match(JSON.parse(closed.stdout), { status: 'closed', outcome: 'rimborso disposto, utente informato' });
  t.equal((await ivrctl('followups', 'close', String(item.id), '--outcome', 'again')).code, 2, 'closed once');
  const profile = JSON.parse((await ivrctl('profile', ani, '--json')).stdout) as { timeline: Array<{ kind: string; summary: string }> };
  t.match(
    profile.timeline.filter((e) => e.kind === 'followup').map((e) => e.summary),
    [/opened by unit2 \(rimborsi\)/, /closed by .*: rimborso disposto, utente informato/],
    'the profile shows the item and what was done',
  );
  const p = await unit2.stop();
  t.equal(p.code, 0, 'the phone took the call', { report: p.code === 0 ? undefined : agentReport(p) });
  await assertNothingLeft(t);
});

t.test("nobody of the office there: the booking is the office's and is placed through unit2, not the free staff", async (t) => {
  const ani = '0613400002';
  const r = await callIvr({
    number: DEMO_ST,
    ani,
    rtpPort: nextRtp(),
    steps: [{ heard: 'dp/demo-st-welcome' }, { keys: '2' }, { heard: 'it/offer-callback' }, { keys: '1' }, { heard: 'it/booking-registered' }, { hangup: true }],
  });
  t.equal(r.code, 0, 'offered at once, booked', { report: r.code === 0 ? undefined : agentReport(r) });
  const [req] = query<{ id: number; group: string; status: string }>("SELECT id, callback_group AS 'group', status FROM callbacks WHERE number = ?", ani);
  t.match(req, { group: 'unit:rimborsi', status: 'pending' }, "the request is the office's");
  const list = JSON.parse((await ivrctl('callbacks', 'list', '--dp', 'demo-st', '--json')).stdout) as Array<{ id: number; group: string }>;
  t.equal(list.find((c) => c.id === req!.id)?.group, 'unit:rimborsi', 'ivrctl callbacks list --json: group');

  // the staff phone registers first and stays free: it must not be given the office's callback
  const st1 = await answeringPhone('st1', 5142, TAKES, true);
  const caller = await startCallee({
    scenario: writeAnsweringScenario(`office-callee-${++seq}`, {
      answerAfterMs: 1000,
      steps: [{ heard: 'dp/demo-st-callback-greeting' }, { info: '1' }, { talk: 1000 }, { bye: true }],
      expectFrom: DEMO_ST,
    }),
    rtpPort: nextRtp(),
    calls: 1,
    timeoutMs: 60_000,
  });
  const unit2 = await answeringPhone('unit2', 5143, [...TAKES, { heard: 'it/op-intervention' }, { info: '1' }], true);
  const rc = await caller.done;
  t.equal(rc.code, 0, 'the caller was called back, pressed 1, talked', { report: rc.code === 0 ? undefined : agentReport(rc) });
  await waitForRow('the request done', "SELECT 1 AS ok FROM callbacks WHERE id = ? AND status = 'done'", [req!.id], 20_000);
  t.match(
    query('SELECT operator, outcome FROM callback_attempts WHERE callback_id = ?', req!.id),
    [{ operator: 'unit2', outcome: 'connected' }],
    "placed through the office's official",
  );
  const intervention = await waitForRow<{ kind: string; official: string }>(
    'the intervention code',
    'SELECT kind, official FROM outcomes WHERE callback_id = ?',
    [req!.id],
    20_000,
  );
  t.match(intervention, { kind: 'unit', official: 'unit2' });
  const [pu] = await Promise.all([unit2.stop(), st1.stop()]);
  t.equal(pu.code, 0, "unit2's phone took the callback", { report: pu.code === 0 ? undefined : agentReport(pu) });
  t.equal(st1.rtp.packets, 0, "st1's phone never rang for it");
  await eventually('nothing left', async () => query<{ n: number }>('SELECT COUNT(*) AS n FROM callback_attempts WHERE ended_at IS NULL')[0]!.n === 0, 10_000);
  await assertNothingLeft(t);
});
