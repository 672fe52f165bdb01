// Operator accounts managed with ivrctl take effect in the running Asterisk at once:
// a new operator can register, a wrong password cannot, a removed operator cannot.
import t from 'tap';
import { agentReport, ari, assertNothingLeft, eventually, ivrctl, pbxCli, seededPassword, sipp } from './harness';

const register = (scenario: 'register-ok' | 'register-refused', user: string, password: string, expires = 60) =>
  sipp({ scenario, ip: '127.0.0.1', port: 5071, service: user, auth: { user, password }, vars: { expires }, timeoutMs: 15_000 });

t.test('ivrctl operators add: the new phone registers at once, a wrong password is refused', async (t) => {
  const add = await ivrctl('operators', 'add', 'op-new', '--dp', 'demo-st', '--role', 'staff', '--password', 'S3cret-pass-01', '--json');
  t.equal(add.code, 0, 'added', { stderr: add.stderr });
  t.match(JSON.parse(add.stdout), { id: 'op-new', dp: 'demo-st', role: 'staff', paused: false });

  // the phone stays registered (answering qualify OPTIONS) while status is checked
  const phone = sipp({
    scenario: 'register-hold',
    ip: '127.0.0.1',
    port: 5071,
    service: 'op-new',
    auth: { user: 'op-new', password: 'S3cret-pass-01' },
    vars: { expires: 60 },
    extra: ['-aa', '-d', '8000'],
    timeoutMs: 20_000,
  });
  const ep = await eventually('endpoint online', async () => {
    const e = await ari<{ state: string }>('/endpoints/PJSIP/op-new');
    return e.state === 'online' ? e : undefined;
  });
  t.equal(ep.state, 'online', 'Asterisk shows the endpoint online');

  const status = await ivrctl('status', '--json');
  t.equal(status.code, 0, 'status exit 0 with everything up', { stderr: status.stderr });
  const s = JSON.parse(status.stdout) as { asterisk: { reachable: boolean }; controller: { up: boolean }; operators: Array<{ id: string; availability: string }> };
  t.ok(s.asterisk.reachable && s.controller.up, 'status: Asterisk and controller up');
  t.equal(s.operators.find((o) => o.id === 'op-new')?.availability, 'available', 'status: op-new available');

  const paused = await ivrctl('operators', 'pause', 'op-new');
  t.equal(paused.code, 0);
  const s2 = JSON.parse((await ivrctl('status', '--json')).stdout) as typeof s;
  t.equal(s2.operators.find((o) => o.id === 'op-new')?.availability, 'paused', 'status: paused after ivrctl operators pause');
  t.equal((await ivrctl('operators', 'resume', 'op-new')).code, 0, 'resumed');
  const ok = await phone;
  t.equal(ok.code, 0, 'REGISTER answered 200 after the digest challenge', { report: ok.code === 0 ? undefined : agentReport(ok) });

  const bad = await register('register-refused', 'op-new', 'wrong-password');
  t.equal(bad.code, 0, 'a wrong password is refused', { report: bad.code === 0 ? undefined : agentReport(bad) });

  const unreg = await register('register-ok', 'op-new', 'S3cret-pass-01', 0);
  t.equal(unreg.code, 0, 'unregistered (Expires: 0)', { report: unreg.code === 0 ? undefined : agentReport(unreg) });
});

t.test('ivrctl operators remove: the phone can no longer register', async (t) => {
  const add = await ivrctl('operators', 'add', 'op-gone', '--dp', 'demo-sw', '--role', 'switchboard');
  t.equal(add.code, 0, 'added with a generated password');
  const password = /SIP password: (\S+)/.exec(add.stdout)?.[1];
  t.ok(password, 'the generated password is printed once');
  const ok = await register('register-ok', 'op-gone', password!);
  t.equal(ok.code, 0, 'registers with the generated password', { report: ok.code === 0 ? undefined : agentReport(ok) });

  const rm = await ivrctl('operators', 'remove', 'op-gone');
  t.equal(rm.code, 0, 'removed', { stderr: rm.stderr });
  const list = JSON.parse((await ivrctl('operators', 'list', '--json')).stdout) as Array<{ id: string }>;
  t.notOk(
    list.some((o) => o.id === 'op-gone'),
    'no longer listed',
  );
  const refused = await register('register-refused', 'op-gone', password!);
  t.equal(refused.code, 0, 'a removed operator cannot register any more', { report: refused.code === 0 ? undefined : agentReport(refused) });
  t.match(await pbxCli('pjsip show endpoint op-gone'), /Unable to find object op-gone/, 'Asterisk no longer has the endpoint');
});

t.test('ivrctl errors: one line on stderr, exit 2 for bad input', async (t) => {
  const dup = await ivrctl('operators', 'add', 'sw1', '--dp', 'demo-sw', '--role', 'switchboard');
  t.equal(dup.code, 2, 'duplicate id: exit 2');
  t.match(dup.stderr, /^ivrctl: operator "sw1" already exists\n$/);
  const unit = await ivrctl('operators', 'add', 'u9', '--dp', 'demo-sw', '--role', 'unit');
  t.equal(unit.code, 2);
  t.match(unit.stderr, /--unit is required/);
  const role = await ivrctl('operators', 'add', 'x1', '--dp', 'demo-sw', '--role', 'boss');
  t.equal(role.code, 2, 'invalid role: exit 2');
  t.equal(role.stderr.trim().split('\n').length, 1, 'one line');
  const none = await ivrctl('operators', 'pause', 'nobody');
  t.equal(none.code, 2);
  t.match(none.stderr, /no operator "nobody"/);
  t.equal((await ivrctl('frobnicate')).code, 2, 'unknown command: exit 2');
});

t.test('*41 from an operator phone pauses the station, *42 resumes it; each is confirmed, and the board knows since when', async (t) => {
  const password = seededPassword('st2');
  const dial = (code: string, port: number) =>
    sipp({
      scenario: 'operator-feature',
      ip: '127.0.0.1',
      port,
      service: code,
      auth: { user: 'st2', password },
      vars: { rtp_ip: '127.0.0.1', rtp_port: 41040 + port - 5150, ani: 'st2' },
      timeoutMs: 30_000,
    });
  const pause = await dial('*41', 5150);
  t.equal(pause.code, 0, '*41: answered, confirmed, hung up by the PBX', { report: pause.code === 0 ? undefined : agentReport(pause) });
  const paused = JSON.parse((await ivrctl('operators', 'list', '--json')).stdout) as Array<{ id: string; paused: boolean; pausedAt: string | null }>;
  const st2 = paused.find((o) => o.id === 'st2')!;
  t.equal(st2.paused, true, 'st2 is paused');
  t.ok(st2.pausedAt && Date.now() - Date.parse(st2.pausedAt) < 60_000, `since ${st2.pausedAt}`);
  const resume = await dial('*42', 5151);
  t.equal(resume.code, 0, '*42: answered, confirmed, hung up', { report: resume.code === 0 ? undefined : agentReport(resume) });
  const after = (JSON.parse((await ivrctl('operators', 'list', '--json')).stdout) as Array<{ id: string; paused: boolean; pausedAt: string | null }>).find((o) => o.id === 'st2')!;
  t.match(after, { paused: false, pausedAt: null }, 'st2 is available again');
  await assertNothingLeft(t);
});
