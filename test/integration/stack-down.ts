// tap --after: stops the test stack. Its state dir (logs, database) is kept for inspection.
import { AGENTS_CONTAINER, PODMAN, run, stack } from './harness';

async function main(): Promise<void> {
  await run('podman', [...PODMAN, 'rm', '-f', '-t', '1', AGENTS_CONTAINER], { timeoutMs: 60_000 });
  await stack('down');
}

main().catch((err: Error) => {
  process.stderr.write(`stack-down: ${err.message}\n`);
  process.exit(1);
});
