// The cluster mode's SIP front on one machine (test/cluster/net.sh: three network namespaces):
// Kamailio at the edge, written by `ivrctl cluster edge-config` from the cluster's one
// configuration (test/fixtures/ivr-cluster.yaml), in front of two nodes, each a whole stack
// (Asterisk + controller + SQLite), each the primary of one directorate. A carrier's calls
// reach each directorate's primary; anything not from a carrier is refused at the edge.
// Node a's controller alone down: its Asterisk refuses new calls (503) and the edge gives
// them to node b at once. Node a's Asterisk and controller are killed (SIGKILL): the calls to its directorate are
// answered by node b, within a bound measured from the kill; a comes back and takes its share
// again. An operator's phone registers through the edge, which checks its password and gives
// the REGISTER to both nodes with a Path: either node rings it, through the edge. A node's
// call to a number (a callback's dial string) leaves through the edge to the carrier. The
// nodes keep their calls and callbacks in one PostgreSQL at the edge: callers book callbacks
// at both directorates; with node a dead, node b places a's pending callbacks, each once
// (the carrier's agent counts the INVITEs per number), and loses no booking. Either node's
// web console works on the shared records with one account and one session.
import './cluster-env';
import t from 'tap';
import { agentReport, callIvr, eventually, sipp, sippMessages, startCallee, startPhone, type Phone, type SippResult } from '../integration/harness';
import { writeAnsweringScenario } from '../integration/scenarios';
import {
  answeredByOn,
  answeredOn,
  clusterStatus,
  consoleOn,
  ivrctlAtEdge,
  ivrctlOn,
  sharedRows,
  asteriskOn,
  CARRIER,
  contactOn,
  operatorPassword,
  downCluster,
  EDGE,
  inviteToAnswerMs,
  invitesReceived,
  killController,
  killNode,
  NUMBER,
  restartNode,
  startController,
  upCluster,
  viaHosts,
} from './cluster-kit';

t.before(upCluster);
t.teardown(downCluster);

let rtp = 49600;
/** a carrier's caller: answered, a moment on the line, then it hangs up */
const call = (number: string, ani: string, from = CARRIER): Promise<SippResult> =>
  callIvr({ number, ani, rtpPort: (rtp += 2), ip: from, remote: EDGE, steps: [{ pause: 300 }, { hangup: true }], timeoutMs: 20_000 });

t.test("each directorate's calls reach its primary node; only the carriers are outside callers", async (t) => {
  const ra = await call(NUMBER.a, '0612500001');
  t.equal(ra.code, 0, 'a call to c-one through the edge: answered', { report: ra.code === 0 ? undefined : agentReport(ra) });
  t.equal((await answeredOn('0612500001'))?.node, 'a', 'by node a, its primary');
  const rb = await call(NUMBER.b, '0612500002');
  t.equal(rb.code, 0, 'a call to c-two: answered', { report: rb.code === 0 ? undefined : agentReport(rb) });
  t.equal((await answeredOn('0612500002'))?.node, 'b', 'by node b, its primary');
  const stranger = await call(NUMBER.a, '0612500003', '10.77.2.1');
  t.not(stranger.code, 0, 'an INVITE from an address that is no carrier: not answered');
  t.match(stranger.logs, /SIP\/2\.0 403/, 'refused at the edge (403)');
  t.same(await sharedRows("SELECT id FROM calls WHERE caller = '0612500003'"), [], 'and no node saw it');
});

t.test("an operator added to the cluster's roster (ivrctl, on the shared database) is on every node's Asterisk within seconds; removed, from every node", async (t) => {
  const endpointOn = async (n: 'a' | 'b', id: string): Promise<boolean> => new RegExp(`Endpoint:\\s+${id}\\b`).test((await asteriskOn(n, `pjsip show endpoint ${id}`)).stdout);
  const add = await ivrctlAtEdge('operators', 'add', 'cl9', '--dp', 'c-two', '--role', 'staff', '--json');
  t.equal(add.code, 0, add.stderr);
  const t0 = Date.now();
  await eventually('cl9 on both nodes', async () => ((await endpointOn('a', 'cl9')) && (await endpointOn('b', 'cl9'))) || undefined, 15_000);
  t.pass(`both nodes' Asterisk have the endpoint ${Date.now() - t0} ms after ivrctl (each node pulls the roster every 3 s)`);
  t.equal((await ivrctlAtEdge('operators', 'remove', 'cl9')).code, 0);
  await eventually('cl9 gone from both nodes', async () => (!(await endpointOn('a', 'cl9')) && !(await endpointOn('b', 'cl9'))) || undefined, 15_000);
  t.pass('removed from both');
});

t.test("a directorate closed through node a's controller is closed on node b, whose callers hear it; reopened through b, it is open", async (t) => {
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const close = await ivrctlOn('a', 'dp', 'close', 'c-two', '--until', until, '--message', 'Uffici chiusi per sciopero.', '--json');
  t.equal(close.code, 0, close.stderr);
  t.match(JSON.parse(close.stdout), { closure: { dp: 'c-two' }, message: { built: true } }, 'closed on a, its message built there');
  t.match(
    JSON.parse((await ivrctlAtEdge('dp', 'list', '--json')).stdout),
    [
      { dp: 'c-one', state: 'open' },
      { dp: 'c-two', state: 'closed' },
    ],
    'the shared table says so',
  );
  // c-two's calls are node b's: once b pulled the closure (every 3 s), its callers hear it
  let seq = 0;
  const heard = await eventually(
    'a c-two caller on node b hears the closure',
    async () => {
      const ani = `06125002${String(++seq).padStart(2, '0')}`;
      // on the line past the welcome: the closure's notice comes after it
      const r = await callIvr({ number: NUMBER.b, ani, rtpPort: (rtp += 2), ip: CARRIER, remote: EDGE, steps: [{ pause: 3000 }, { hangup: true }], timeoutMs: 20_000 });
      if (r.code !== 0 || (await answeredOn(ani))?.node !== 'b') return undefined;
      const events = await sharedRows<{ type: string }>('SELECT e.type FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = $1 ORDER BY e.id', ani);
      return events.some((e) => e.type === 'closure') ? ani : undefined;
    },
    20_000,
  );
  t.ok(heard, `node b's caller heard the closure (${seq} call(s) after it was declared on a)`);
  const open = await ivrctlOn('b', 'dp', 'open', 'c-two');
  t.equal(open.code, 0, `reopened through node b: ${open.stdout}${open.stderr}`);
  const next = await callIvr({
    number: NUMBER.b,
    ani: '0612500299',
    rtpPort: (rtp += 2),
    ip: CARRIER,
    remote: EDGE,
    steps: [{ pause: 3000 }, { hangup: true }],
    timeoutMs: 20_000,
  });
  t.equal(next.code, 0);
  const events = await sharedRows<{ type: string }>("SELECT e.type FROM call_events e JOIN calls c ON c.id = e.call_id WHERE c.caller = '0612500299'");
  t.notOk(
    events.some((e) => e.type === 'closure'),
    'the next caller gets the menu',
  );
  t.ok(
    events.some((e) => e.type === 'menu' || e.type === 'no_input' || e.type === 'ended'),
    `its call recorded (${events.map((e) => e.type).join(', ')})`,
  );
  t.match(JSON.parse((await ivrctlAtEdge('dp', 'list', '--json')).stdout), [{ state: 'open' }, { state: 'open' }]);
});

let phone: Phone | undefined;
let opRtp = 49400;
/** a caller who asks for an operator (1, typed ahead during the welcome, counts for the menu) and stays on the line until the PBX hangs up (the operator does, after a moment) */
const callForOperator = (number: string, ani: string): Promise<SippResult> =>
  callIvr({ number, ani, rtpPort: (rtp += 2), ip: CARRIER, remote: EDGE, steps: [{ pause: 300 }, { keys: '1' }], timeoutMs: 60_000 });

t.test("an operator's phone registers through the edge: both nodes hold its contact (Path), and a node rings it through the edge", async (t) => {
  phone = await startPhone({
    id: 'cl1',
    password: operatorPassword('a', 'cl1'),
    port: 5301,
    rtpPort: (opRtp += 2),
    rxScenario: writeAnsweringScenario(`cl1-${opRtp}`, { answerAfterMs: 300, steps: [{ talk: 1000 }, { bye: true }] }),
    maxCalls: 4,
    // reachable from both nodes: each one's OPTIONS went along the Path through the edge and the phone answered
    via: { ip: CARRIER, remote: EDGE, ready: async () => (await Promise.all((['a', 'b'] as const).map((n) => contactOn(n, 'cl1')))).every((c) => c?.status === 'Avail') },
  });
  for (const n of ['a', 'b'] as const) t.match(await contactOn(n, 'cl1'), { uri: /^sip:cl1@10\.77\.0\.2:5301/, status: 'Avail' }, `node ${n} holds the phone's contact, reachable`);
  const r = await callForOperator(NUMBER.a, '0612500041');
  t.equal(r.code, 0, 'a call to c-one: answered, and ended by the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  t.equal(await answeredByOn('a', '0612500041'), 'cl1', 'node a, its primary, rang the phone and cl1 answered');
});

t.test("an operator's phone calls through the edge: *41 pauses the station in the cluster's roster, *42 resumes it; the edge asks the operator's password first", async (t) => {
  const password = operatorPassword('a', 'cl1');
  const dial = (code: string, port: number, auth = { user: 'cl1', password }, scenario = 'operator-feature') =>
    sipp({
      scenario,
      ip: CARRIER,
      port,
      remote: EDGE,
      service: code,
      auth,
      vars: { rtp_ip: CARRIER, rtp_port: (opRtp += 2), ani: 'cl1' },
      timeoutMs: 30_000,
    });
  const paused = async (): Promise<boolean | undefined> => (await sharedRows<{ paused: number }>("SELECT paused FROM operators WHERE id = 'cl1'"))[0]?.paused === 1;
  const wrong = await dial('*41', 5610, { user: 'cl1', password: 'not-the-password' }, 'operator-challenged-twice');
  t.equal(wrong.code, 0, 'a wrong password: challenged (407), and challenged again once the credentials were sent', { report: wrong.code === 0 ? undefined : agentReport(wrong) });
  t.equal(await paused(), false, 'and nothing was paused');
  const pause = await dial('*41', 5611);
  t.equal(pause.code, 0, '*41 through the edge: challenged (407), answered by a node, confirmed, hung up', { report: pause.code === 0 ? undefined : agentReport(pause) });
  const msgs = sippMessages(pause).map((m) => m.line);
  t.ok(
    msgs.some((l) => /^SIP\/2\.0 407 /.test(l)),
    'the edge challenged it as a proxy (407)',
  );
  t.equal(await paused(), true, "cl1 paused in the cluster's roster");
  // every node's copy follows (its presence and dispatch read it): what ivrctl status shows on each
  const stationOn = async (n: 'a' | 'b'): Promise<boolean | undefined> =>
    (JSON.parse((await ivrctlOn(n, 'status', '--json')).stdout) as { operators: Array<{ id: string; paused: boolean }> }).operators.find((o) => o.id === 'cl1')?.paused;
  await eventually('both nodes see cl1 paused', async () => ((await stationOn('a')) && (await stationOn('b')) ? true : undefined), 10_000);
  const resume = await dial('*42', 5612);
  t.equal(resume.code, 0, '*42 through the edge: resumed', { report: resume.code === 0 ? undefined : agentReport(resume) });
  t.equal(await paused(), false, 'cl1 available again in the roster');
  await eventually('both nodes see cl1 available', async () => ((await stationOn('a')) === false && (await stationOn('b')) === false ? true : undefined), 10_000);
});

t.test("a node's call to a caller (as a callback dials, over the edge trunk) leaves through the edge to the carrier", async (t) => {
  const callee = await startCallee({
    scenario: writeAnsweringScenario(`callee-${rtp}`, { answerAfterMs: 200, steps: [] }),
    rtpPort: (rtp += 2),
    calls: 1,
    timeoutMs: 30_000,
    ip: CARRIER,
  });
  // the dial string a callback of c-one uses (telephony/trunk-numbers.ts: PJSIP/<number>@<trunk>),
  // from the CLI (its originate command is a module the shipped configuration does not load)
  await asteriskOn('a', 'module load res_clioriginate.so');
  const o = await asteriskOn('a', 'channel originate PJSIP/0612500051@edge application Wait 1');
  t.ok(o.code === 0 && o.stdout.trim() === '', 'node a dials 0612500051 on its trunk, the edge', { report: o.stdout + o.stderr });
  const r = await callee.done;
  t.equal(r.code, 0, 'the carrier got the call, answered it, and node a hung up after a second', { report: r.code === 0 ? undefined : agentReport(r) });
  const invite = invitesReceived(r).find((m) => /^INVITE sip:0612500051@/m.test(m));
  t.same(viaHosts(invite), ['10.77.0.1', '10.77.1.2'], 'placed by node a, relayed by the edge');
  t.match(invite, /^Record-Route: <sip:10\.77\.0\.1;lr/m, 'the edge stays on its dialog');
});

t.test("node a's controller down, its Asterisk up: c-one's calls go to node b's controller at once, not to a's apology", async (t) => {
  await killController('a');
  const r = await call(NUMBER.a, '0612500021');
  t.equal(r.code, 0, 'answered', { report: r.code === 0 ? undefined : agentReport(r) });
  t.equal((await answeredOn('0612500021'))?.node, 'b', "by node b's controller (a's Asterisk refused it with 503, the edge passed it on)");
  const waitMs = inviteToAnswerMs(r);
  t.ok(waitMs < 1500, `at once: answered ${waitMs} ms after its INVITE (a refusal needs no time-out)`);
  t.notOk(
    sippMessages(r).some((m) => /^SIP\/2\.0 503/.test(m.line)),
    'the caller never saw the 503: the edge took it',
  );
  const op = await callForOperator(NUMBER.a, '0612500042');
  t.equal(op.code, 0, 'a caller for the operator: answered', { report: op.code === 0 ? undefined : agentReport(op) });
  t.equal(await answeredByOn('b', '0612500042'), 'cl1', 'node b rang the same phone through the edge, and cl1 answered');
  const stopped = await phone!.stop();
  t.equal(stopped.code, 0, "the phone's calls and its unregistration through the edge went as scripted", { report: stopped.code === 0 ? undefined : agentReport(stopped) });
  // each INVITE the phone got: from a node (its Via below Kamailio's), along the Path, with the edge on the dialog's route
  const invites = invitesReceived(stopped);
  t.equal(invites.length, 2, 'the phone was rung twice, once by each node');
  for (const [i, node] of ['10.77.1.2', '10.77.2.2'].entries()) {
    t.same(viaHosts(invites[i]), ['10.77.0.1', node], `INVITE ${i + 1}: placed by ${node}, relayed by the edge`);
    t.match(invites[i], /^Record-Route: <sip:10\.77\.0\.1;lr/m, 'the edge stays on its dialog (Record-Route)');
  }
  await startController('a');
  // the edge marked a out at the 503 and brings it back at its next OPTIONS (every second)
  let tries = 0;
  await eventually(
    'a call to c-one answered by node a again',
    async () => {
      const ani = `06125000${String(30 + ++tries)}`;
      return (await call(NUMBER.a, ani)).code === 0 && (await answeredOn(ani))?.node === 'a' ? ani : undefined;
    },
    15_000,
  );
  t.pass(`its controller back, c-one is node a again (${tries} call(s) after the restart)`);
});

/** a carrier's caller who books a callback: 1 (typed ahead during the welcome) for an operator, nobody free, 1 at the offer; hangs up once the booking is confirmed */
const book = (number: string, ani: string): Promise<SippResult> =>
  callIvr({
    number,
    ani,
    rtpPort: (rtp += 2),
    ip: CARRIER,
    remote: EDGE,
    steps: [{ pause: 300 }, { keys: '1' }, { pause: 2000 }, { keys: '1' }, { pause: 2000 }, { hangup: true }],
    timeoutMs: 30_000,
  });
const BOOKED = { a: ['0612500061', '0612500062'], b: ['0612500063'] } as const;

t.test('callers book callbacks at both directorates through the edge, nobody being free: the bookings wait in the shared database', async (t) => {
  const calls = await Promise.all([...BOOKED.a.map((ani) => book(NUMBER.a, ani)), ...BOOKED.b.map((ani) => book(NUMBER.b, ani))]);
  for (const r of calls) t.equal(r.code, 0, 'a caller booked and hung up', { report: r.code === 0 ? undefined : agentReport(r) });
  const rows = await eventually(
    'the three bookings in the shared database',
    async () => {
      const r = await sharedRows<{ number: string; dp: string; status: string; node: string }>(
        "SELECT cb.number, cb.dp, cb.status, c.node FROM callbacks cb JOIN calls c ON c.id = cb.call_id WHERE cb.number LIKE '06125000__' AND c.ended_at IS NOT NULL ORDER BY cb.number",
      );
      return r.length === 3 ? r : undefined;
    },
    10_000,
  );
  t.same(
    rows,
    [
      { number: BOOKED.a[0], dp: 'c-one', status: 'pending', node: 'a' },
      { number: BOOKED.a[1], dp: 'c-one', status: 'pending', node: 'a' },
      { number: BOOKED.b[0], dp: 'c-two', status: 'pending', node: 'b' },
    ],
    "c-one's booked on node a, c-two's on node b, each by the call that asked for it",
  );
});

t.test("the console on either node: one account, one session good on both; node b's pages show node a's bookings, and a note there about a's call is kept with it", async (t) => {
  const made = await ivrctlAtEdge('users', 'add', 'capo', '--role', 'supervisor', '--json');
  t.equal(made.code, 0, made.stderr);
  const { password } = JSON.parse(made.stdout) as { password: string };
  const login = await consoleOn('a', '/console/login', { form: { username: 'capo', password } });
  t.same([login.status, login.location], [303, '/console/live'], 'logged in on node a, with the account made at the edge');
  const session = login.session!;
  const page = await consoleOn('b', '/console/callbacks?dp=c-one', { session });
  t.equal(page.status, 200, "node b takes node a's session");
  for (const ani of BOOKED.a) t.match(page.body, ani, `node b's callbacks page lists ${ani}, booked on node a`);
  const profile = await consoleOn('b', `/console/profile?number=${BOOKED.a[0]}`, { session });
  t.equal(profile.status, 200);
  t.match(profile.body, `${BOOKED.a[0]}: 1 chiamate, 1 richieste di richiamata`, "the caller's profile, from the shared records");
  t.match(
    await sharedRows('SELECT username, action, subject FROM audit_log WHERE subject = $1', BOOKED.a[0]),
    [{ username: 'capo', action: 'profile_view', subject: BOOKED.a[0] }],
    'the view audited in the shared database',
  );
  const [booking] = await sharedRows<{ callId: string }>('SELECT call_id AS "callId" FROM callbacks WHERE number = $1', BOOKED.a[0]);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const note = await consoleOn('b', '/console/notes', { session, form: { csrf, number: BOOKED.a[0], dp: 'c-one', callId: booking!.callId, text: 'richiamare dopo le 11' } });
  t.same([note.status, note.location], [303, '/console/operator?saved=1'], 'a note through node b about a call node a took');
  t.match(
    await sharedRows('SELECT author, call_id AS "callId", text FROM notes WHERE number = $1', BOOKED.a[0]),
    [{ author: 'capo', callId: booking!.callId, text: 'richiamare dopo le 11' }],
    'kept with the call',
  );
  t.equal((await ivrctlAtEdge('users', 'passwd', 'capo')).code, 0, 'a new password, set at the edge');
  for (const n of ['a', 'b'] as const)
    t.same((({ status, location }) => [status, location])(await consoleOn(n, '/console/callbacks', { session })), [303, '/console/login'], `the old session ends on node ${n}`);
});

t.test("node a's Asterisk and controller killed: c-one's calls are answered by node b within a bound", async (t) => {
  const killedAt = Date.now();
  await killNode('a');
  const killDoneAt = Date.now();
  // the first call after the kill: Kamailio may still take a for up (its OPTIONS every second)
  const first = await call(NUMBER.a, '0612500011');
  t.equal(first.code, 0, 'the first call after the kill: answered', { report: first.code === 0 ? undefined : agentReport(first) });
  const f = await answeredOn('0612500011');
  t.equal(f?.node, 'b', 'by node b');
  const failoverMs = (f?.answeredAt ?? Infinity) - killedAt;
  t.ok(failoverMs < 5000, `answered ${failoverMs} ms after the kill (target under 5 s, OPTIONS every 1 s, a node passed over after 1.5 s)`);
  const waitMs = inviteToAnswerMs(first);
  t.comment(
    `cluster failover: kill -> answered by the other node in ${failoverMs} ms (the kill itself took ${killDoneAt - killedAt} ms; that caller waited ${waitMs} ms from its INVITE)`,
  );
  const next = await call(NUMBER.a, '0612500012');
  t.equal(next.code, 0, 'the next call: answered');
  t.equal((await answeredOn('0612500012'))?.node, 'b', 'by node b');
  // in the caller's own trace: its INVITE to the 200 OK, shorter than the 1.5 s a detour by a would cost
  const straightMs = inviteToAnswerMs(next);
  t.ok(straightMs < 1500, `straight: answered ${straightMs} ms after its INVITE (a is out of the dispatcher; a detour by it costs 1.5 s)`);
  t.equal((await call(NUMBER.b, '0612500013')).code, 0, "node b's own directorate goes on");
});

t.test('node a dead: its pending callbacks are placed by node b through the edge, each exactly once; no booking is lost', async (t) => {
  const status = await eventually(
    "node a's lease out",
    async () => {
      const s = await clusterStatus();
      return s.nodes.find((n) => n.id === 'a')?.alive === false ? s : undefined;
    },
    10_000,
  );
  t.match(
    status.directorates,
    [
      { id: 'c-one', servedBy: 'b' },
      { id: 'c-two', servedBy: 'b' },
    ],
    'ivrctl cluster status: node a dead, b serves both directorates',
  );
  // the caller's phones at the carrier: each answers, presses 1 (typed ahead of the greeting's question) and waits for the PBX's BYE
  const callee = await startCallee({
    scenario: writeAnsweringScenario(`callee-back-${rtp}`, { answerAfterMs: 300, steps: [{ pause: 1000 }, { info: '1' }] }),
    rtpPort: (rtp += 2),
    calls: BOOKED.a.length,
    timeoutMs: 90_000,
    ip: CARRIER,
  });
  // c-one's operator registers through the edge (to node b: a is dead), takes each callback at the whisper, talks, hangs up
  const op = await startPhone({
    id: 'cl1',
    password: operatorPassword('a', 'cl1'),
    port: 5302,
    rtpPort: (opRtp += 2),
    rxScenario: writeAnsweringScenario(`cl1-back-${opRtp}`, { answerAfterMs: 300, steps: [{ pause: 1000 }, { info: '1' }, { talk: 5000 }, { bye: true }] }),
    maxCalls: 4,
    via: { ip: CARRIER, remote: EDGE, ready: async () => (await contactOn('b', 'cl1'))?.status === 'Avail' },
  });
  const r = await callee.done;
  t.equal(r.code, 0, "both of a's callers were called back, pressed 1 and were hung up at the end", { report: r.code === 0 ? undefined : agentReport(r) });
  const dialled = invitesReceived(r).map((m) => /^INVITE sip:(\d+)@/m.exec(m)?.[1]);
  t.same([...dialled].sort(), [...BOOKED.a].sort(), 'the carrier got one INVITE per number: each callback placed once');
  const rows = await eventually(
    "a's requests done",
    async () => {
      const x = await sharedRows<{ number: string; status: string; attempts: number; nodes: string; outcomes: string }>(
        `SELECT cb.number, cb.status, COUNT(a.id)::int AS attempts, string_agg(a.node, ',') AS nodes, string_agg(a.outcome, ',') AS outcomes
         FROM callbacks cb LEFT JOIN callback_attempts a ON a.callback_id = cb.id WHERE cb.number = ANY($1) GROUP BY cb.number, cb.status ORDER BY cb.number`,
        [...BOOKED.a],
      );
      return x.every((y) => y.status === 'done') ? x : undefined;
    },
    30_000,
  );
  t.same(
    rows,
    BOOKED.a.map((number) => ({ number, status: 'done', attempts: 1, nodes: 'b', outcomes: 'connected' })),
    'each done after one attempt, placed by node b, connected',
  );
  t.match(
    await sharedRows('SELECT status FROM callbacks WHERE number = $1', BOOKED.b[0]),
    [{ status: 'pending' }],
    "c-two's booking is still there, waiting for an operator of its own",
  );
  const stopped = await op.stop();
  t.equal(stopped.code, 0, "the operator's phone took both callbacks and unregistered", { report: stopped.code === 0 ? undefined : agentReport(stopped) });
  t.equal(invitesReceived(stopped).length, BOOKED.a.length, 'the operator was rung once per callback');
});

t.test("node a back: it takes c-one's calls and its callbacks' lease again", async (t) => {
  // a comes back (the service manager's restart): the edge's OPTIONS find it, c-one is its own again
  await restartNode('a');
  const back = await eventually(
    'a call to c-one answered by node a again',
    async () => {
      const ani = `06125001${String(++backSeq).padStart(2, '0')}`;
      const r = await call(NUMBER.a, ani);
      return r.code === 0 && (await answeredOn(ani))?.node === 'a' ? ani : undefined;
    },
    30_000,
  );
  t.ok(back, `node a takes c-one again (${backSeq} call(s) after its restart)`);
  const lease = await eventually(
    "node a's lease renewed",
    async () => {
      const x = await sharedRows<{ node: string }>("SELECT node FROM node_leases WHERE node = 'a' AND expires_at > now()");
      return x.length === 1 ? x[0] : undefined;
    },
    10_000,
  );
  t.ok(lease, "node a renews its lease: c-one's callbacks are its own again");
});
let backSeq = 0;
