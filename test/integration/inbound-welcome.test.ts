// A call from the public network to a directorate's number: answered by the controller,
// the caller hears the welcome and the menu (real RTP audio); a caller who never presses a
// key is told goodbye and the PBX hangs up.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { STATE_DIR, agentReport, assertNothingLeft, callEvents, callIvr, openDb, query, rtpCounter, sipp, waitForRow } from './harness';

t.test('a call to 0600000001 from the trunk is answered, hears audio, and the PBX hangs up', async (t) => {
  // three wrong keys during the welcome answer the first menu (main menu when open, the
  // callback offer when closed): the PBX says goodbye right after the welcome, any hour
  const r = await callIvr({ number: '0600000001', ani: '0612345678', rtpPort: 41000, steps: [{ heard: 'dp/demo-sw-welcome' }, { keys: '777' }] });
  const rtp = r.rtp;
  t.equal(r.code, 0, 'SIPp: 200 OK, then a BYE from the PBX', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(rtp.packets > 100, `caller received RTP (${rtp.packets} packets)`);
  t.ok(rtp.voicedBytes > 2000, `the RTP carried speech, not just silence (${rtp.voicedBytes} voiced bytes)`);
  const db = openDb();
  t.teardown(() => db.close());
  const row = db.prepare("SELECT * FROM calls WHERE caller = '0612345678' AND dp = 'demo-sw' ORDER BY started_at DESC LIMIT 1").get() as Record<string, unknown> | undefined;
  t.ok(row, 'the call is recorded');
  t.equal(row?.dialed, '0600000001');
  t.equal(row?.end_reason, 'completed', 'the controller ended the call');
  t.ok(row?.answered_at, 'answered');
  const types = callEvents('0612345678').map((e) => e.type);
  t.ok(types.includes('no_input'), 'ended after three attempts (a polite goodbye), whether the office is open or closed now');
  t.notOk(types.includes('booked'), 'nothing booked');
  await assertNothingLeft(t);
});

t.test('the staff directorate 0200000002: a key during the welcome switches to English; the caller hangs up', async (t) => {
  const ani = '3351234567';
  const r = await callIvr({ number: '0200000002', ani, rtpPort: 41002, steps: [{ heard: 'dp/demo-st-welcome' }, { keys: '9' }, { heard: 'en/menu-main' }, { hangup: true }] });
  t.equal(r.code, 0, 'answered, then hung up by the caller', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(r.rtp.voicedBytes > 2000, 'heard the welcome');
  const rows = query<{ dp: string; language: string; end_reason: string; menu_path: string }>('SELECT * FROM calls WHERE caller = ?', ani);
  t.match(rows, [{ dp: 'demo-st', language: 'en', end_reason: 'caller_hangup', menu_path: '9' }], 'recorded for demo-st, in English, ended by the caller');
  await assertNothingLeft(t);
});

t.test('an operator phone may dial a directorate number (test call through the IVR) after digest auth', async (t) => {
  const passwords = readFileSync(path.join(STATE_DIR, 'operator-passwords.txt'), 'utf8');
  const password = /^st1 (\S+)$/m.exec(passwords)?.[1];
  t.ok(password, 'st1 was seeded with a generated password');
  const rtp = await rtpCounter('127.0.0.1', 41004);
  t.teardown(() => rtp.close());
  const r = await sipp({
    scenario: 'operator-dials',
    ip: '127.0.0.1',
    port: 5072,
    service: '0611000001',
    auth: { user: 'st1', password: password! },
    vars: { rtp_ip: '127.0.0.1', rtp_port: 41004, ani: 'st1' },
  });
  t.equal(r.code, 0, 'challenged, authenticated, answered, heard the welcome, hung up', { report: r.code === 0 ? undefined : agentReport(r) });
  t.ok(rtp.voicedBytes > 2000, 'heard the welcome');
  await waitForRow('the call closed', "SELECT 1 AS ok FROM calls WHERE caller = 'st1' AND end_reason = 'caller_hangup'");
  t.match(query('SELECT dp, caller FROM calls WHERE caller = ?', 'st1'), [{ dp: 't-open', caller: 'st1' }], 'recorded as a call from st1');
  await assertNothingLeft(t);
});
