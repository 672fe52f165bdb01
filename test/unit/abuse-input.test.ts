// Abuse of the sysadmin's inputs: fuzzed configuration files and fuzzed ivrctl arguments.
// Whatever comes in, the answer is a clear one-line error (a bad config names its file and
// field) with exit code 2 or 1, never a stack trace, a hang or a partial write.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { parseConfig } from '../../controller/config/load';
import { ConfigError } from '../../controller/errors';

const root = path.resolve(__dirname, '..', '..', '..');
const demoText = readFileSync(path.join(root, 'config', 'demo.yaml'), 'utf8');

/** A small deterministic PRNG (mulberry32): the same seed, the same cases, in CI and here. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD: unknown[] = [
  null,
  '',
  ' ',
  -1,
  0,
  1e9,
  3.5,
  true,
  'yes',
  '99:99-00:00',
  '<script>',
  '../../etc/passwd',
  '0600000001',
  [],
  {},
  [null],
  { x: 1 },
  '\u0000',
  'a'.repeat(5000),
  '24:00-09:00',
  'Europe/Atlantis',
];

/** Every path to a leaf of the demo config. */
function leaves(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) return [at, ...v.flatMap((x, i) => leaves(x, [...at, i]))];
  if (v && typeof v === 'object') return [at, ...Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, k]))];
  return [at];
}

function setAt(obj: unknown, p: Array<string | number>, value: unknown): unknown {
  if (p.length === 0) return value;
  const copy = structuredClone(obj) as Record<string | number, unknown>;
  let cur = copy;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[p.at(-1)!] = value;
  return copy;
}

t.test('config: 600 mutated configs are each accepted or refused with one line naming the file and the field', async (t) => {
  const demo = parseYaml(demoText) as unknown;
  const paths = leaves(demo).filter((p) => p.length > 0);
  const rnd = prng(20261126);
  let refused = 0;
  const problems: string[] = [];
  for (let i = 0; i < 600; i++) {
    const p = paths[Math.floor(rnd() * paths.length)]!;
    const mutated = rnd() < 0.15 ? setAt(demo, p.slice(0, -1), WEIRD[Math.floor(rnd() * WEIRD.length)]) : setAt(demo, p, WEIRD[Math.floor(rnd() * WEIRD.length)]);
    try {
      parseConfig(stringifyYaml(mutated), 'fuzz.yaml');
    } catch (err) {
      refused++;
      const msg = (err as Error).message;
      if (!(err instanceof ConfigError) || !msg.startsWith('fuzz.yaml') || msg.includes('\n') || !/: /.test(msg))
        problems.push(`${p.join('.')}: ${(err as Error).name}: ${msg.slice(0, 200)}`);
    }
  }
  t.same(problems, [], 'every refusal is a ConfigError of one line naming the file');
  t.ok(refused > 400, `${refused} of 600 refused (the rest are mutations the schema accepts)`);
});

t.test('config: broken YAML and random bytes are refused with the line, never a crash', async (t) => {
  const rnd = prng(7);
  const lines = demoText.split('\n');
  for (let i = 0; i < 200; i++) {
    const copy = [...lines];
    const k = Math.floor(rnd() * copy.length);
    const what = Math.floor(rnd() * 4);
    if (what === 0) copy[k] = copy[k]!.replace(/:/, '');
    else if (what === 1) copy[k] = '  ' + copy[k];
    else if (what === 2) copy.splice(k, 0, `${copy[k] ?? ''}`);
    else copy[k] = String.fromCharCode(...Array.from({ length: 20 }, () => Math.floor(rnd() * 0x7f)));
    try {
      parseConfig(copy.join('\n'), 'bad.yaml');
    } catch (err) {
      if (!(err instanceof ConfigError) || (err as Error).message.includes('\n')) t.fail(`case ${i}: ${(err as Error).name}: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  t.pass('200 corrupted files handled');
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-abuse-'));
const bin = path.join(root, 'dist', 'controller', 'cli', 'ivrctl.js');
const cfgFile = path.join(dir, 'c.yaml');
// nothing of a running stack may answer: ports nobody listens on
writeFileSync(cfgFile, demoText.replace(/^directorates:/m, 'http: { port: 18499 }\nasterisk: { amiPort: 18498, ariUrl: "http://127.0.0.1:18497" }\ndirectorates:'));

const ivrctl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, IVR_STATE_DIR: dir, IVR_DB: path.join(dir, 'ivr.db'), IVR_CONFIG: cfgFile };
    delete env.NODE_OPTIONS;
    execFile('node', [bin, ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

t.test('ivrctl: fuzzed arguments end in exit 0, 1 or 2 with at most a short error, never a stack trace', async (t) => {
  t.equal((await ivrctl(['setup'])).code, 0);
  const words = [
    'status',
    'operators',
    'callbacks',
    'profile',
    'report',
    'db',
    'jobs',
    'users',
    'config',
    'list',
    'show',
    'add',
    'remove',
    'pause',
    'cancel',
    'retry',
    'reschedule',
    'purge',
    'run',
    'check',
    'migrate',
  ];
  const junk = [
    '--json',
    '--dp',
    '--status',
    '--at',
    '--from',
    '--to',
    '--format',
    '--days',
    '--role',
    '-x',
    '--',
    '0',
    '-1',
    '99999999999999999999',
    'demo-sw',
    "'; DROP TABLE callbacks; --",
    '%s%n',
    '../../../etc/passwd',
    '\u00e8\u00e0\u00f2',
    'a'.repeat(300),
    '2026-13-45',
    'NaN',
    ' ',
  ];
  const rnd = prng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const problems: string[] = [];
  for (let i = 0; i < 60; i++) {
    const args = [pick(words), ...Array.from({ length: Math.floor(rnd() * 4) }, () => (rnd() < 0.5 ? pick(words) : pick(junk)))];
    if (args.includes('remove') || args.includes('purge') || args.includes('add')) continue; // keep the fixture stable
    const r = await ivrctl(args);
    const bad = ![0, 1, 2].includes(r.code) || /\n\s+at .+\(.*:\d+:\d+\)/.test(r.stderr) || /TypeError|ReferenceError|SyntaxError/.test(r.stderr);
    if (bad) problems.push(`ivrctl ${JSON.stringify(args)} -> ${r.code}: ${r.stderr.slice(0, 300)}`);
    if (r.code !== 0 && r.stderr.startsWith('ivrctl: ') && r.stderr.trimEnd().includes('\n')) problems.push(`ivrctl ${JSON.stringify(args)}: more than one line: ${r.stderr}`);
  }
  t.same(problems, []);
  const db = (await import('better-sqlite3')).default;
  const conn = new db(path.join(dir, 'ivr.db'), { readonly: true });
  t.equal(conn.pragma('integrity_check', { simple: true }), 'ok', 'the database is intact');
  t.ok((conn.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'callbacks'").pluck().get() as number) === 1, 'callbacks table still there');
  conn.close();
});
