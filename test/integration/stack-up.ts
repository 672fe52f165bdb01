// tap --before: starts the test stack once for the whole run (a fresh state dir and
// database, the real Asterisk container, the controller, the SIP agents container). If
// anything cannot start, this exits non-zero and the run fails: integration tests never skip.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AGENTS_CONTAINER, IMAGE, PBX_CONTAINER, PODMAN, ROOT, STATE_DIR, resetStateDir, run, stack } from './harness';

async function main(): Promise<void> {
  const t0 = Date.now();
  await run('podman', [...PODMAN, 'rm', '-f', PBX_CONTAINER, AGENTS_CONTAINER], { timeoutMs: 60_000 });
  await stack('down');
  resetStateDir();
  mkdirSync(path.join(STATE_DIR, 'sipp-logs'), { recursive: true });
  const up = await stack('up');
  if (up.code !== 0) throw new Error(`the test stack did not start (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  // SIPp needs NET_RAW for play_dtmf (RTP events from a raw socket); only this container has it
  const agents = await run(
    'podman',
    [...PODMAN, 'run', '-d', '--name', AGENTS_CONTAINER, '--network', 'host', '--cap-add', 'NET_RAW',
      '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096',
      '-v', `${path.join(ROOT, 'test', 'sipp')}:/sipp:ro`, '-v', `${path.join(STATE_DIR, 'sipp-logs')}:/tmp/sipp-logs`,
      IMAGE, 'sleep', 'infinity'],
    { timeoutMs: 60_000 },
  );
  if (agents.code !== 0) throw new Error(`the SIP agents container did not start: ${agents.stderr}`);
  process.stdout.write(`# test stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`stack-up: ${err.message}\n`);
  process.exit(1);
});
