// A call from the public network to a directorate's number: answered by the controller,
// the caller hears the welcome (real RTP audio), then the PBX hangs up.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR, TRUNK_IP, agentReport, assertNothingLeft, openDb, rtpCounter, sipp } from './harness';

t.test('a call to 0600000001 from the trunk is answered, hears audio, and the PBX hangs up', async (t) => {
  const rtp = await rtpCounter(TRUNK_IP, 41000);
  t.teardown(() => rtp.close());
  const started = Date.now();
  const r = await sipp({ scenario: 'caller-listen', ip: TRUNK_IP, port: 5060, service: '0600000001', vars: { rtp_ip: TRUNK_IP, rtp_port: 41000, ani: '0612345678' }, timeoutMs: 60_000 });
  t.equal(r.code, 0, 'SIPp: 200 OK, then a BYE from the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(rtp.packets > 100, `caller received RTP (${rtp.packets} packets)`);
  t.ok(rtp.voicedBytes > 2000, `the RTP carried speech, not just silence (${rtp.voicedBytes} voiced bytes)`);
  const db = openDb();
  t.teardown(() => db.close());
  const row = db.prepare("SELECT * FROM calls WHERE caller = '0612345678' AND dp = 'demo-sw' ORDER BY started_at DESC LIMIT 1").get() as Record<string, unknown> | undefined;
  t.ok(row, 'the call is recorded');
  t.equal(row?.dialed, '0600000001');
  t.equal(row?.end_reason, 'completed', 'the controller ended it after the welcome');
  t.ok(row?.answered_at, 'answered');
  t.ok(Date.now() - started < 30_000, 'the welcome-and-hangup took less than 30 s');
  await assertNothingLeft(t);
});

t.test('the staff directorate 0200000002 is answered the same way', async (t) => {
  const rtp = await rtpCounter(TRUNK_IP, 41002);
  t.teardown(() => rtp.close());
  const r = await sipp({ scenario: 'caller-listen', ip: TRUNK_IP, port: 5060, service: '0200000002', vars: { rtp_ip: TRUNK_IP, rtp_port: 41002, ani: '3351234567' } });
  t.equal(r.code, 0, 'answered and hung up by the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(rtp.voicedBytes > 2000, 'heard the welcome');
  const db = openDb();
  t.teardown(() => db.close());
  t.ok(db.prepare("SELECT 1 FROM calls WHERE caller = '3351234567' AND dp = 'demo-st' AND end_reason = 'completed'").get(), 'recorded for demo-st');
  await assertNothingLeft(t);
});

t.test('an operator phone may dial a directorate number (test call through the IVR) after digest auth', async (t) => {
  const passwords = readFileSync(path.join(STATE_DIR, 'operator-passwords.txt'), 'utf8');
  const password = /^st1 (\S+)$/m.exec(passwords)?.[1];
  t.ok(password, 'st1 was seeded with a generated password');
  const rtp = await rtpCounter('127.0.0.1', 41004);
  t.teardown(() => rtp.close());
  const r = await sipp({ scenario: 'operator-dials', ip: '127.0.0.1', port: 5072, service: '0200000002', auth: { user: 'st1', password: password! }, vars: { rtp_ip: '127.0.0.1', rtp_port: 41004, ani: 'st1' } });
  t.equal(r.code, 0, 'challenged, authenticated, answered, hung up by the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(rtp.voicedBytes > 2000, 'heard the welcome');
  await assertNothingLeft(t);
});
