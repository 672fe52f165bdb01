// Asterisk restarts under a running controller: its start-up log is clean, the controller
// reconnects by itself (healthz back to 200) and handles the next call.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PBX_CONTAINER, PODMAN, STATE_DIR, agentReport, assertNothingLeft, callIvr, eventually, healthz, run, waitForRow } from './harness';

const messagesLog = path.join(STATE_DIR, 'log', 'asterisk', 'messages.log');

t.test('after an Asterisk restart the controller reconnects and serves calls; the start-up log has no error', async (t) => {
  const offset = statSync(messagesLog).size;
  const r = await run('podman', [...PODMAN, 'restart', '-t', '2', PBX_CONTAINER], { timeoutMs: 90_000 });
  t.equal(r.code, 0, 'Asterisk container restarted', { stderr: r.stderr });
  const t0 = Date.now();
  await eventually('healthz 503 or 200 after the restart', async () => (await healthz().catch(() => 0)) > 0, 10_000);
  await eventually('controller reconnected (healthz 200)', async () => (await healthz().catch(() => 0)) === 200, 60_000);
  t.pass(`controller reconnected ${Date.now() - t0} ms after Asterisk came back`);

  // The log from the new Asterisk's banner on: the stopping instance may still log on its way
  // out (e.g. the fixture's registration trunk, whose registrar runs only in trunks.test,
  // timing out an attempt sent 32 s earlier), and that is not the start-up.
  const since = readFileSync(messagesLog, 'utf8').slice(offset);
  const banners = [...since.matchAll(/^\[[^\]]+\] Asterisk \d+\.\d+.* built by /gm)];
  t.ok(banners.length > 0, 'the restart was logged');
  const startup = since.slice(banners.at(-1)?.index ?? 0);
  const bad = startup.split('\n').filter((l) => /\] (ERROR|WARNING)\[/.test(l));
  t.same(bad, [], 'no ERROR or WARNING in the start-up log');

  const call = await callIvr({ number: '0611000001', ani: '0644444444', rtpPort: 41020, steps: [{ heard: 'dp/t-open-welcome' }, { keys: '777' }] });
  const rtp = call.rtp;
  t.equal(call.code, 0, 'the next call completes', { report: call.code === 0 ? undefined : agentReport(call) });
  await waitForRow('the call handled', "SELECT 1 AS ok FROM calls WHERE caller = '0644444444' AND end_reason = 'completed'");
  t.ok(rtp.voicedBytes > 2000, 'with the welcome');
  await assertNothingLeft(t);
});
