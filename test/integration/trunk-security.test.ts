// Only the trunk address may call in: an INVITE from anywhere else is refused before any
// channel exists.
import t from 'tap';
import { agentReport, assertNothingLeft, callsProcessed, openDb, sipp } from './harness';

t.test('an INVITE from 127.0.0.3 (not the trunk) is refused without creating a channel', async (t) => {
  const before = await callsProcessed();
  const r = await sipp({ scenario: 'caller-refused', ip: '127.0.0.3', port: 5060, service: '0600000001', timeoutMs: 20_000 });
  t.equal(r.code, 0, 'refused with a 4xx, never answered', { report: r.code === 0 ? undefined : agentReport(r) });
  t.equal(await callsProcessed(), before, 'Asterisk processed no call for it');
  const db = openDb();
  t.teardown(() => db.close());
  t.notOk(db.prepare("SELECT 1 FROM calls WHERE caller = '0698765432'").get(), 'no call recorded');
  await assertNothingLeft(t);
});

t.test('the same INVITE from an operator address with an operator name in From is challenged, not routed', async (t) => {
  const before = await callsProcessed();
  // 127.0.0.1 is where operators register from: without credentials the request must fail
  const r = await sipp({ scenario: 'caller-refused', ip: '127.0.0.1', port: 5099, service: '0600000001', timeoutMs: 20_000 });
  t.equal(r.code, 0, 'refused (401 challenge) without credentials', { report: r.code === 0 ? undefined : agentReport(r) });
  t.equal(await callsProcessed(), before, 'no call processed');
  await assertNothingLeft(t);
});

t.test('a call from the trunk to a number that is not a directorate is refused (404) and not answered', async (t) => {
  const r = await sipp({ scenario: 'caller-refused', ip: '127.0.0.2', port: 5060, service: '0999999999', timeoutMs: 20_000 });
  t.equal(r.code, 0, 'refused with 404', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(r.logs, /SIP\/2\.0 404/, 'the answer was 404 Not Found');
  await assertNothingLeft(t);
});
