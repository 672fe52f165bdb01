// `make install` as a sysadmin would use it, into a scratch root: the files and their modes,
// units that `systemd-analyze verify` accepts, ivrctl on the PATH reading the instance's
// config; then (this machine runs no systemd) the exact commands the units run, with their
// EnvironmentFile, in the units' order: Asterisk and the controller come up on the installed
// demo config and answer a call. `make uninstall` removes the program and the units and
// keeps the config and the data. The shared test stack is stopped meanwhile (same ports)
// and started again after.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { callIvr, eventually, healthz, PBX_CONTAINER, PODMAN, ROOT, run, stack } from './harness';

const T = '/tmp/ivr-install-test';
const paths = {
  PREFIX: `${T}/opt/ivr-callback`,
  SYSCONFDIR: `${T}/etc/ivr-callback`,
  STATEDIR: `${T}/var/lib/ivr-callback`,
  UNITDIR: `${T}/etc/systemd/system`,
  BINDIR: `${T}/usr/local/bin`,
  SYSTEMCTL: 'true',
};
const installer = (what: 'install' | 'uninstall') => run('bash', [path.join(ROOT, 'deploy', 'install.sh'), what], { env: { ...process.env, ...paths }, timeoutMs: 120_000 });
const mode = (p: string): string => (statSync(p).mode & 0o7777).toString(8);
const unitFile = (u: string): string => path.join(paths.UNITDIR, u);

/** ExecStartPre= and ExecStart= of a unit, in order, and its EnvironmentFile's variables */
function unitCommands(u: string): { pre: string[][]; start: string[]; env: Record<string, string> } {
  const text = readFileSync(unitFile(u), 'utf8');
  const values = (key: string): string[] => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  const envFile = values('EnvironmentFile')[0]!;
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { pre: values('ExecStartPre').map((c) => c.split(' ')), start: values('ExecStart')[0]!.split(' '), env };
}

t.test(
  "make install into a scratch root: files, modes, units verified, ivrctl on the PATH; the units' commands start a working instance; make uninstall keeps config and data",
  async (t) => {
    rmSync(T, { recursive: true, force: true });
    const inst = await installer('install');
    t.equal(inst.code, 0, `install.sh install: ${inst.stderr}`);
    t.match(inst.stdout, /units written to .*systemd is not running here/, 'says the units are not started where systemd does not run');
    t.equal(mode(paths.STATEDIR), '700', 'state dir 0700');
    t.ok(existsSync(`${paths.SYSCONFDIR}/ivr.yaml`), 'the config in SYSCONFDIR (the demo as a start)');
    t.notOk(existsSync(`${paths.PREFIX}/node_modules/typescript`), 'no build tools in the installed program');
    t.ok(existsSync(`${paths.PREFIX}/node_modules/better-sqlite3`), 'the production dependencies');

    // the units: systemd's own checker (commands exist and are executable, keys known)
    const units = ['ivr-asterisk.service', 'ivr-controller.service'];
    const verify = await run('systemd-analyze', ['verify', ...units.map(unitFile)], { env: process.env });
    t.equal(verify.code, 0, 'systemd-analyze verify');
    t.equal(verify.stderr.trim(), '', 'without a warning');
    for (const u of units) t.match(readFileSync(unitFile(u), 'utf8'), /^Restart=always$/m, `${u}: Restart=always`);
    t.match(readFileSync(unitFile('ivr-controller.service'), 'utf8'), /^After=ivr-asterisk\.service$/m, 'the controller is ordered after Asterisk');

    // ivrctl on the PATH reads the instance's config and state
    const check = await run(`${paths.BINDIR}/ivrctl`, ['config', 'check'], { env: { PATH: process.env.PATH ?? '' } });
    t.equal(check.code, 0, check.stderr);
    t.match(check.stdout, new RegExp(`^${paths.SYSCONFDIR}/ivr\\.yaml: ok`));

    // the shared test stack frees the ports; the units' commands run as systemd would run them
    t.equal((await stack('down')).code, 0, 'test stack stopped');
    const running: ChildProcess[] = [];
    try {
      for (const u of units) {
        const c = unitCommands(u);
        const env = { PATH: process.env.PATH ?? '', HOME: '/root', ...c.env };
        for (const pre of c.pre) {
          const r = await run(pre[0]!, pre.slice(1), { env, timeoutMs: 120_000 });
          t.equal(r.code, 0, `${u}: ExecStartPre=${pre.join(' ')}`, { stderr: r.stderr.slice(-2000) });
        }
        const child = spawn(c.start[0]!, c.start.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        running.push(child);
        if (u === 'ivr-asterisk.service')
          await eventually(
            'the installed Asterisk running',
            async () => (await run('podman', [...PODMAN, 'exec', 'ivr-asterisk', 'asterisk', '-rx', 'core show uptime'], { env: process.env })).stdout.includes('System uptime'),
            30_000,
          );
      }
      await eventually('the installed controller healthy', async () => ((await healthz().catch(() => 0)) === 200 ? true : undefined), 60_000);
      const status = await run(`${paths.BINDIR}/ivrctl`, ['status', '--json'], { env: { PATH: process.env.PATH ?? '' } });
      t.match(
        JSON.parse(status.stdout),
        { controller: { up: true, ari: 'connected' }, asterisk: { reachable: true } },
        "ivrctl status on the PATH sees the installed controller and Asterisk (AMI with the instance's secrets)",
      );
      const call = await callIvr({ number: '0200000002', ani: '0612990001', rtpPort: 47000, steps: [{ pause: 4000 }, { hangup: true }] });
      t.equal(call.code, 0, 'a call to the installed demo-st number was answered');
      t.ok(call.rtp.voicedBytes > 4000, `and the caller heard the IVR (${call.rtp.voicedBytes} voiced bytes)`);
      const profile = await run(`${paths.BINDIR}/ivrctl`, ['profile', '0612990001', '--json'], { env: { PATH: process.env.PATH ?? '' } });
      t.equal(profile.code, 0, profile.stderr);
      t.match(JSON.parse(profile.stdout), { timeline: [{ kind: 'call' }] }, 'the call is in the installed database (STATEDIR), read by ivrctl on the PATH');
    } finally {
      // systemd's stop: SIGTERM to each service's main process
      for (const c of running.reverse()) {
        try {
          process.kill(-c.pid!, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      await eventually(
        'the installed instance stopped',
        async () => {
          const ps = await run('podman', [...PODMAN, 'ps', '-a', '--format', '{{.Names}}'], { env: process.env });
          return !ps.stdout.split('\n').includes('ivr-asterisk') && (await healthz().catch(() => 0)) !== 200 ? true : undefined;
        },
        30_000,
      ).catch(async (err: Error) => {
        await run('podman', [...PODMAN, 'rm', '-f', 'ivr-asterisk'], { env: process.env });
        t.fail(err.message);
      });
      const up = await stack('up');
      t.equal(up.code, 0, 'test stack up again', { stderr: up.stderr.slice(-2000) });
    }

    const un = await installer('uninstall');
    t.equal(un.code, 0, un.stderr);
    for (const gone of [paths.PREFIX, `${paths.BINDIR}/ivrctl`, ...units.map(unitFile)]) t.notOk(existsSync(gone), `removed: ${gone}`);
    for (const kept of [`${paths.SYSCONFDIR}/ivr.yaml`, `${paths.STATEDIR}/ivr.db`, `${paths.STATEDIR}/secrets.json`]) t.ok(existsSync(kept), `kept: ${kept}`);
    t.ok((await run('podman', [...PODMAN, 'container', 'exists', PBX_CONTAINER], { env: process.env })).code === 0, "the test stack's Asterisk is back");
    rmSync(T, { recursive: true, force: true });
  },
);
