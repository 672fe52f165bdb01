// Runs the integration and fault files on several test stacks at once. Each stack is a whole
// Asterisk + controller + SQLite + SIP agents set (test/integration/stack-up.ts) inside its
// own network namespace, so every stack has the same loopback addresses and ports the files
// expect (127.0.0.1:5060, the trunk at 127.0.0.2, the console on 8080) and none sees another.
// A stack takes the next file from one queue (the longest first, by the durations the last
// run measured) and runs it alone with tap; the files' TAP output is printed whole as each
// ends and saved together, so test/summary.js counts them as in a sequential run.
//   node dist/test/parallel-run.js <file.test.js>...   (IVR_TEST_STACKS: how many, default 6)
// Also runs the unit files (given with --unit) at the same time, outside the namespaces.
// IVR_TEST_FRESH=1 gives every file a stack of its own, started for it (make test-alone):
// each file must pass alone, whatever ran before it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TAP = path.join(ROOT, 'node_modules', '.bin', 'tap');
const TAP_ARGS = ['--disable-coverage', '--allow-incomplete-coverage', '--reporter=tap', '--timeout=900'];
const WEIGHTS = path.join(ROOT, 'test', 'durations.json');
const MEASURED = path.join(ROOT, '.tap', 'durations.json');
const netns = (k: number): string => `ivr-test-${k}`;

interface Ran {
  code: number | null;
  out: string;
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => resolve({ code: 127, out: `${out}${cmd}: ${err.message}\n` }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** A command inside stack k's network namespace (nsenter, not `ip netns exec`: that remounts /sys, and runc then finds no cgroup). */
const inStack = (k: number, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> =>
  exec('nsenter', [`--net=/run/netns/${netns(k)}`, cmd, ...args], { ...env, IVR_TEST_STACK: String(k), IVR_TEST_PROMPTS_BUILT: '1' });

async function createNamespace(k: number): Promise<void> {
  await exec('ip', ['netns', 'del', netns(k)]); // left by a run that was killed
  const add = await exec('ip', ['netns', 'add', netns(k)]);
  if (add.code !== 0) throw new Error(`ip netns add ${netns(k)}: ${add.out.trim()}`);
  const lo = await exec('ip', ['-n', netns(k), 'link', 'set', 'lo', 'up']);
  if (lo.code !== 0) throw new Error(`loopback of ${netns(k)}: ${lo.out.trim()}`);
}

/** a top-level TAP failure summary.js counts as one failed case */
const failure = (what: string, detail: string): string =>
  `TAP version 14\nnot ok 1 - ${what}\n  ---\n  detail: |\n${detail
    .trim()
    .split('\n')
    .slice(-40)
    .map((l) => `    ${l}`)
    .join('\n')}\n  ...\n1..1\n`;

/** tap's output, with a failure of its own when tap failed without saying which test did (it crashed before running any): such a file is failed, never silently missing from the count. */
const ranWhole = (what: string, r: Ran): string =>
  r.code !== 0 && !/^not ok \d+ - /m.test(r.out) ? `${r.out}\n${failure(`${what}: tap exited ${r.code} without a test result`, r.out)}` : r.out;

/**
 * Runs tap on one file (through `run`: in a namespace). tap's runner empties .tap/processinfo
 * when it starts, unless it runs from a "save" list: six runners starting while the others'
 * tests write there made one fail (ENOTEMPTY) before running its file. Each runs from a list
 * of its one file, named after its runner.
 */
async function tapOne(runner: string, file: string, run: (args: string[]) => Promise<Ran>): Promise<Ran> {
  const save = path.join('.tap', `${runner}.list`);
  writeFileSync(path.join(ROOT, save), `${path.relative(ROOT, path.resolve(ROOT, file)).split(path.sep).join('/')}\n`);
  try {
    return await run([...TAP_ARGS, '--jobs=1', `--save=${save}`, file]);
  } finally {
    rmSync(path.join(ROOT, save), { force: true });
  }
}

/**
 * The cluster files, one after the other, each in the edge namespace of the cluster's own
 * network (test/cluster/net.sh: an edge and two nodes, each node a stack the file starts).
 */
async function runClusterFiles(files: string[]): Promise<Array<{ file: string; r: Ran; seconds: number }>> {
  const out: Array<{ file: string; r: Ran; seconds: number }> = [];
  const net = path.join(ROOT, 'test', 'cluster', 'net.sh');
  for (const file of files) {
    const started = Date.now();
    const up = await exec('bash', [net, 'up']);
    const r =
      up.code !== 0
        ? { code: up.code, out: failure(`${file}: the cluster network`, up.out) }
        : await tapOne('cluster', file, (args) => exec('nsenter', ['--net=/run/netns/ivr-cl-edge', TAP, ...args]));
    await exec('bash', [net, 'down']);
    out.push({ file, r, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return out;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const unitAt = argv.indexOf('--unit');
  const units = unitAt >= 0 ? argv.slice(unitAt + 1) : [];
  const given = unitAt >= 0 ? argv.slice(0, unitAt) : argv;
  // the cluster files need no stack of the queue: they make their own network (test/cluster)
  const clusterFiles = given.filter((f) => f.includes(`${path.sep}cluster${path.sep}`));
  const files = given.filter((f) => !clusterFiles.includes(f));
  // no more stacks than files: a stack costs a start (Asterisk, the controller, the agents)
  const stacks = Math.max(1, Math.min(Number(process.env.IVR_TEST_STACKS ?? 6), files.length));
  const t0 = Date.now();
  const outputs: string[] = [];
  const emit = (text: string): void => {
    outputs.push(text);
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  };

  // the longest first, so that no stack is left with a long file at the end
  const weights: Record<string, number> = {
    ...(JSON.parse(readFileSync(WEIGHTS, 'utf8')) as Record<string, number>),
    ...(existsSync(MEASURED) ? (JSON.parse(readFileSync(MEASURED, 'utf8')) as Record<string, number>) : {}),
  };
  const name = (f: string): string => path.basename(f, '.test.js');
  const queue = [...files].sort((a, b) => (weights[name(b)] ?? 60) - (weights[name(a)] ?? 60));
  const measured: Record<string, number> = {};

  const unitRun = units.length > 0 ? exec(TAP, [...TAP_ARGS, '--jobs=2', ...units]) : Promise.resolve(undefined);
  // started once the test prompts are built: its own build (the cluster's directorates) writes in sounds/gen too
  let clusterRun = files.length > 0 ? undefined : runClusterFiles(clusterFiles);

  if (files.length > 0) {
    // the test config's prompts once for all the stacks (each copies them)
    const prompts = await exec('node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js'), '--prompts-only']);
    if (prompts.code !== 0) {
      for (const f of queue) emit(failure(`${f}: the test prompts could not be built`, prompts.out));
      queue.length = 0;
    }
    clusterRun = runClusterFiles(clusterFiles);
    const worker = async (k: number): Promise<void> => {
      try {
        await createNamespace(k);
      } catch (err) {
        emit(failure(`test stack ${k}: no network namespace`, (err as Error).message));
        return;
      }
      const stackUp = (): Promise<Ran> => inStack(k, 'node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js')], process.env);
      const fresh = process.env.IVR_TEST_FRESH === '1';
      const up = await stackUp();
      if (up.code !== 0) {
        emit(failure(`test stack ${k} did not start`, up.out));
      } else {
        process.stdout.write(`# stack ${k}: ${up.out.trim().split('\n').pop()}\n`);
        for (let file = queue.shift(), first = true; file; file = queue.shift(), first = false) {
          if (fresh && !first) {
            const again = await stackUp(); // stack-up stops the stack it finds first
            if (again.code !== 0) {
              emit(failure(`${file}: its fresh test stack ${k} did not start`, again.out));
              continue;
            }
          }
          const started = Date.now();
          const r = await tapOne(`stack-${k}`, file, (args) => inStack(k, TAP, args, process.env));
          measured[name(file)] = Math.round((Date.now() - started) / 1000);
          emit(`${ranWhole(file, r)}# ${name(file)}: stack ${k}, ${measured[name(file)]} s, exit ${r.code}\n`);
        }
      }
      await inStack(k, 'node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-down.js')], process.env);
      await exec('ip', ['netns', 'del', netns(k)]);
    };
    await Promise.all(Array.from({ length: stacks }, (_, i) => worker(i + 1)));
    // files no stack could take (every stack failed to start)
    for (const f of queue) emit(failure(`${f}: no test stack to run it`, "see the stacks' failures above"));
  }

  const unit = await unitRun;
  if (unit) emit(ranWhole('the unit files', unit));
  for (const { file, r, seconds } of (await clusterRun) ?? []) {
    measured[name(file)] = seconds;
    emit(`${ranWhole(file, r)}# ${name(file)}: its own cluster network, ${seconds} s, exit ${r.code}\n`);
  }
  mkdirSync(path.dirname(MEASURED), { recursive: true });
  writeFileSync(MEASURED, `${JSON.stringify({ ...(existsSync(MEASURED) ? JSON.parse(readFileSync(MEASURED, 'utf8')) : {}), ...measured }, null, 1)}\n`);
  writeFileSync(path.join(ROOT, '.tap', 'last-run.tap'), outputs.join('\n'));
  process.stdout.write(
    `# ${files.length} files on ${stacks} stacks, ${clusterFiles.length} cluster files and ${units.length} unit files in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`parallel-run: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
