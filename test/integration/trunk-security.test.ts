// The SIP edge: only the trunk address may call in (an INVITE from anywhere else is refused
// before any channel exists); an operator's phone cannot call out; failed attempts are logged
// where fail2ban reads them; Asterisk runs with the least it needs.
import t from 'tap';
import dgram from 'node:dgram';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { amiActions } from '../../controller/telephony/ami';
import { agentReport, assertNothingLeft, callsProcessed, eventually, ivrctl, openDb, PBX_CONTAINER, PODMAN, ROOT, run, seededPassword, sipp, STATE_DIR, TRUNK_IP } from './harness';

t.test('an INVITE from 127.0.0.3 (not the trunk) is refused without creating a channel', async (t) => {
  const before = await callsProcessed();
  const r = await sipp({ scenario: 'caller-refused', ip: '127.0.0.3', port: 5060, service: '0600000001', vars: { from_user: '0698765432' }, timeoutMs: 20_000 });
  t.equal(r.code, 0, 'refused with a 4xx, never answered', { report: r.code === 0 ? undefined : agentReport(r) });
  t.equal(await callsProcessed(), before, 'Asterisk processed no call for it');
  const db = openDb();
  t.teardown(() => db.close());
  t.notOk(db.prepare("SELECT 1 FROM calls WHERE caller = '0698765432'").get(), 'no call recorded');
  await assertNothingLeft(t);
});

t.test("posing as an operator: an INVITE with an operator's id in From, from the operators' address or another one, is challenged and never routed", async (t) => {
  const before = await callsProcessed();
  // 127.0.0.1 is where operators register from; 127.0.0.3 is no trunk: without st1's
  // password the request must fail, whatever From says
  for (const [ip, port] of [
    ['127.0.0.1', 5099],
    ['127.0.0.3', 5061],
  ] as const) {
    const r = await sipp({ scenario: 'caller-refused', ip, port, service: '0600000001', vars: { from_user: 'st1' }, timeoutMs: 20_000 });
    t.equal(r.code, 0, `from ${ip}: refused without credentials`, { report: r.code === 0 ? undefined : agentReport(r) });
    t.match(r.logs, /From: <sip:st1@[\s\S]*SIP\/2\.0 401 Unauthorized[\s\S]*WWW-Authenticate: Digest/, `from ${ip}: the INVITE said From st1 and got a digest challenge`);
  }
  t.equal(await callsProcessed(), before, 'no call processed');
  await assertNothingLeft(t);
});

t.test("posing as an operator from the trunk: From st1 is an outside caller's id there, which reaches neither a colleague nor an operator's feature code", async (t) => {
  for (const target of ['st2', '*41', '*42']) {
    const r = await sipp({ scenario: 'caller-refused', ip: TRUNK_IP, port: 5062, service: target, vars: { from_user: 'st1' }, timeoutMs: 20_000 });
    t.equal(r.code, 0, `${target} from the trunk as st1: refused`, { report: r.code === 0 ? undefined : agentReport(r) });
    t.match(r.logs, /SIP\/2\.0 404/, `${target}: 404 (the trunk's context has no such number), not a challenge`);
    t.notMatch(r.logs, /401 Unauthorized/, `${target}: identified as the trunk by its address, not as st1 by its From`);
  }
  const ops = JSON.parse((await ivrctl('operators', 'list', '--json')).stdout) as Array<{ id: string; paused: boolean }>;
  t.match(
    ops.find((o) => o.id === 'st1'),
    { paused: false },
    'st1 was not paused by a *41 from the trunk',
  );
  await assertNothingLeft(t);
});

t.test('a call from the trunk to a number that is not a directorate is refused (404) and not answered', async (t) => {
  const r = await sipp({ scenario: 'caller-refused', ip: '127.0.0.2', port: 5060, service: '0999999999', vars: { from_user: '0698765432' }, timeoutMs: 20_000 });
  t.equal(r.code, 0, 'refused with 404', { report: r.code === 0 ? undefined : agentReport(r) });
  t.match(r.logs, /SIP\/2\.0 404/, 'the answer was 404 Not Found');
  await assertNothingLeft(t);
});

t.test("an operator's phone reaches only the directorates and its colleagues: a mobile, +39, 00 or a feature code is refused and never reaches the trunk", async (t) => {
  // anything leaving through the trunk would arrive here (callbacks reach callers at 127.0.0.2:5060)
  const trunk = dgram.createSocket('udp4');
  let leaked = 0;
  trunk.on('message', () => leaked++);
  await new Promise<void>((resolve) => trunk.bind(5060, TRUNK_IP, resolve));
  try {
    const password = seededPassword('st2');
    for (const target of ['3331234567', '+393331234567', '00393331234567', '0039061234567', '*99', '112']) {
      const r = await sipp({
        scenario: 'operator-dial-refused',
        ip: '127.0.0.1',
        port: 5073,
        service: target,
        auth: { user: 'st2', password },
        vars: { rtp_ip: '127.0.0.1', rtp_port: 41030, ani: 'st2' },
        timeoutMs: 20_000,
      });
      t.equal(r.code, 0, `${target}: 404, never answered`, { report: r.code === 0 ? undefined : agentReport(r) });
    }
    t.equal(leaked, 0, 'nothing was sent towards the trunk');
  } finally {
    trunk.close();
  }
  await assertNothingLeft(t);
});

t.test('the SIP edge is logged for fail2ban: the shipped filter matches each failed REGISTER and INVITE in the real security log, and nothing else', async (t) => {
  const log = path.join(STATE_DIR, 'log', 'asterisk', 'security.log');
  const offset = existsSync(log) ? statSync(log).size : 0;
  // a wrong password, twice; an account that does not exist
  for (const port of [5074, 5075]) {
    const r = await sipp({
      scenario: 'register-refused',
      ip: '127.0.0.1',
      port,
      service: 'st2',
      auth: { user: 'st2', password: 'wrong-password-123' },
      vars: { expires: 60 },
      timeoutMs: 20_000,
    });
    t.equal(r.code, 0, 'a REGISTER with a wrong password is refused', { report: r.code === 0 ? undefined : agentReport(r) });
  }
  const unknown = await sipp({
    scenario: 'operator-dial-refused',
    ip: '127.0.0.1',
    port: 5076,
    service: '0611000001',
    auth: { user: 'nobody', password: 'whatever-pass-1' },
    vars: { rtp_ip: '127.0.0.1', rtp_port: 41032, ani: 'nobody' },
    timeoutMs: 20_000,
  });
  t.not(unknown.code, null, 'an INVITE from an unknown account is refused');
  const fresh = await eventually(
    'the security events logged',
    async () => {
      const text = readFileSync(log, 'utf8').slice(offset);
      return (text.match(/SecurityEvent="(ChallengeResponseFailed|InvalidAccountID|InvalidPassword)"/g) ?? []).length >= 3 ? text : undefined;
    },
    10_000,
  );
  const sample = path.join(STATE_DIR, 'security-sample.log');
  writeFileSync(sample, fresh);
  const failures = (fresh.match(/SecurityEvent="(?:ChallengeResponseFailed|InvalidPassword|InvalidAccountID|FailedACL)"/g) ?? []).length;
  const benign = fresh.split('\n').filter((l) => /SecurityEvent="(SuccessfulAuth|ChallengeSent)"/.test(l)).length;
  t.ok(benign > 0, `the sample also holds ${benign} lines of normal challenges and successful logins`);
  const r = await run('fail2ban-regex', ['--print-all-matched', sample, path.join(ROOT, 'deploy', 'fail2ban', 'filter.d', 'ivr-asterisk.conf')], { timeoutMs: 60_000 });
  t.equal(r.code, 0, 'fail2ban-regex ran', { out: r.stdout.slice(-2000) + r.stderr });
  const matched = Number(/Failregex: (\d+) total/.exec(r.stdout)?.[1] ?? -1);
  t.equal(matched, failures, `the filter matched the ${failures} failures`);
  t.match(r.stdout, /127\.0\.0\.1/, 'and found the source address');
  t.notMatch(
    r.stdout
      .split('Lines:')[0]!
      .split('\n')
      .filter((l) => /SuccessfulAuth|ChallengeSent/.test(l) && /^\|/.test(l))
      .join('\n'),
    /SuccessfulAuth|ChallengeSent/,
    'no normal challenge or login among the matches',
  );
});

t.test('Asterisk runs as its own user and sees neither the database nor the API token; its AMI user has no CLI commands and no originate', async (t) => {
  const ps = await run('podman', [...PODMAN, 'exec', PBX_CONTAINER, 'sh', '-c', 'ps -o user= -C asterisk | sort -u; ls -A /var/lib/ivr'], { timeoutMs: 15_000 });
  t.equal(ps.code, 0, ps.stderr);
  const [user, ...listing] = ps.stdout.trim().split('\n');
  t.equal(user, 'asterisk', 'the asterisk process runs as "asterisk"');
  t.same(listing.sort(), ['asterisk', 'log'], 'of the state dir it sees its includes and its logs only');
  const s = JSON.parse(readFileSync(path.join(STATE_DIR, 'secrets.json'), 'utf8')) as { ami: { user: string; secret: string } };
  const creds = { host: '127.0.0.1', port: 5038, user: s.ami.user, secret: s.ami.secret };
  const [status] = await amiActions(creds, [{ action: 'CoreStatus' }]);
  t.match(status, { response: 'Success' }, 'CoreStatus (ivrctl status) allowed');
  await t.rejects(amiActions(creds, [{ action: 'Command', command: 'core show channels' }]), /Permission denied/, 'a CLI command is refused');
  await t.rejects(
    amiActions(creds, [{ action: 'Originate', channel: 'PJSIP/3331234567@trunk', application: 'Playback', data: 'beep' }]),
    /Permission denied/,
    'an originate is refused',
  );
});
