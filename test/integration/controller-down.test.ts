// When the controller is not running, a caller hears the dialplan apology (never silence);
// when it comes back, calls are handled again. A controller killed in the middle of a call
// hands the stranded caller to the apology when it restarts (reconciliation).
import t from 'tap';
import {
  TRUNK_IP,
  agentReport,
  assertApologyHeard,
  assertApologyPlayed,
  assertNothingLeft,
  asteriskLog,
  callIvr,
  eventually,
  healthz,
  openDb,
  rtpCounter,
  sipp,
  stack,
  waitForRow,
} from './harness';

const call = (ani: string, port: number) =>
  sipp({ scenario: 'caller-listen', ip: TRUNK_IP, port: 5060, service: '0611000001', vars: { rtp_ip: TRUNK_IP, rtp_port: port, ani }, timeoutMs: 90_000 });

t.test('controller killed: the caller hears the fallback apology; after a restart the next call is handled', async (t) => {
  const stop = await stack('controller-stop', { KILL: '1' });
  t.equal(stop.code, 0, 'controller killed with SIGKILL');
  await eventually('healthz down', async () => (await healthz().catch(() => 0)) !== 200);

  const rtp = await rtpCounter(TRUNK_IP, 41010);
  const [logFrom, calledAt] = [asteriskLog().length, Date.now()];
  const r = await call('0611111111', 41010);
  rtp.close();
  t.equal(r.code, 0, 'answered and hung up by the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  assertApologyPlayed(t, logFrom, calledAt, 5000);
  t.ok(rtp.voicedBytes > 4000, `the caller heard it (${rtp.voicedBytes} voiced bytes)`);
  const db = openDb();
  t.notOk(db.prepare("SELECT 1 FROM calls WHERE caller = '0611111111'").get(), 'not handled by a controller');
  db.close();
  await assertNothingLeft(t);

  const start = await stack('controller-start');
  t.equal(start.code, 0, 'controller restarted and ready', { out: start.stdout + start.stderr });
  const r2 = await callIvr({ number: '0611000001', ani: '0622222222', rtpPort: 41012, steps: [{ heard: 'dp/t-open-welcome' }, { keys: '777' }] });
  t.equal(r2.code, 0, 'the next call completes', { report: r2.code === 0 ? undefined : agentReport(r2) });
  await waitForRow('the call handled by the controller', "SELECT 1 AS ok FROM calls WHERE caller = '0622222222' AND end_reason = 'completed'");
  t.pass('handled by the restarted controller');
  await assertNothingLeft(t);
});

t.test('controller killed mid-call: after restart the stranded caller gets the apology, the call is closed as lost', async (t) => {
  const rtp = await rtpCounter(TRUNK_IP, 41014);
  const pending = call('0633333333', 41014);
  await waitForRow('the call answered by the controller', "SELECT 1 AS ok FROM calls WHERE caller = '0633333333' AND answered_at IS NOT NULL");
  const [logFrom, killedAt] = [asteriskLog().length, Date.now()];
  const stop = await stack('controller-stop', { KILL: '1' });
  t.equal(stop.code, 0, 'controller killed during the welcome');
  const start = await stack('controller-start');
  t.equal(start.code, 0, 'controller restarted');
  const restartedAt = Date.now();
  const r = await pending;
  const hungUpAt = Date.now();
  rtp.close();
  t.equal(r.code, 0, 'the caller was not stranded: the PBX ended the call', { report: r.code === 0 ? undefined : agentReport(r) });
  // the apology itself, after the welcome that was playing (Asterisk continues in the dialplan
  // once the channel's current playback ends)
  assertApologyHeard(t, rtp, hungUpAt, logFrom, killedAt, restartedAt - killedAt + 20_000);
  await waitForRow('the interrupted call closed', "SELECT 1 AS ok FROM calls WHERE caller = '0633333333' AND end_reason = 'lost'");
  t.pass('the interrupted call is closed as lost in the record');
  await assertNothingLeft(t);
});
