// tap --before (or test/parallel-run.ts, once per stack): starts the test stack once for the
// whole run (a fresh state dir and database, the prompts cut short (short-prompts.ts), the
// real Asterisk container, the controller, the SIP agents container). If anything cannot start, this exits non-zero and the run
// fails: integration tests never skip. --prompts-only builds the test config's prompts in
// sounds/gen and stops there (the parallel runner does it once for all its stacks).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AGENTS_CONTAINER, CARRIER_PASSWORD, PBX_CONTAINER, PODMAN, ROOT, SOUNDS_DIR, STATE_DIR, TEST_CONFIG, resetStateDir, run, stack, stackEnv, startAgents } from './harness';
import { copyShortPrompts } from './short-prompts';

/** today's date in Rome, for the directorate that is closed "today" */
const todayInRome = (): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date());

async function main(): Promise<void> {
  const t0 = Date.now();
  const promptsOnly = process.argv.includes('--prompts-only');
  if (!promptsOnly) {
    await run('podman', [...PODMAN, 'rm', '-f', PBX_CONTAINER, AGENTS_CONTAINER], { timeoutMs: 60_000 });
    await stack('down');
  }
  resetStateDir();
  // the carrier trunks' password (trunks.test.ts), named relative to the config by passwordFile
  writeFileSync(path.join(STATE_DIR, 'carrier.password'), `${CARRIER_PASSWORD}\n`, { mode: 0o600 });
  // the fixture: the integration tests', or another one (IVR_TEST_CONFIG_FROM: the cluster test's nodes)
  const fixture = process.env.IVR_TEST_CONFIG_FROM ?? path.join(ROOT, 'test', 'fixtures', 'ivr-test.yaml');
  writeFileSync(TEST_CONFIG, readFileSync(fixture, 'utf8').replaceAll('__TODAY__', todayInRome()));
  // the prompts of the test config, built in sounds/gen (once for all the stacks of a
  // parallel run: --prompts-only, then IVR_TEST_PROMPTS_BUILT=1), copied into the stack's own
  const gen = path.join(ROOT, 'sounds', 'gen');
  if (process.env.IVR_TEST_PROMPTS_BUILT !== '1') {
    const prompts = await run('bash', [path.join(ROOT, 'docker', 'make-prompts.sh')], { env: stackEnv({ IVR_SOUNDS_DIR: gen }), timeoutMs: 300_000 });
    if (prompts.code !== 0) throw new Error(`prompts for the test config: ${prompts.stdout}${prompts.stderr}`);
  }
  if (promptsOnly) return;
  // the short prompt set (short-prompts.ts), or the full one when asked for
  if (process.env.IVR_TEST_FULL_PROMPTS === '1') cpSync(gen, SOUNDS_DIR, { recursive: true, filter: (src) => path.basename(src) !== '.job' });
  else copyShortPrompts(gen, SOUNDS_DIR);
  const up = await stack('up');
  if (up.code !== 0) throw new Error(`the test stack did not start (exit ${up.code}):\n${up.stdout}\n${up.stderr}`);
  await startAgents();
  process.stdout.write(`# test stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`stack-up: ${err.message}\n`);
  process.exit(1);
});
