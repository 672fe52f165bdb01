// Shared by the integration tests: the test stack's fixed locations, SIP agents (SIPp in a
// helper container on the host network), ARI checks, the CLI, the database, an RTP counter.
// Every agent runs under a timeout and its logs are printed when it fails.
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { wavDurationMs } from '../../controller/prompts/durations';
import { ariGet } from '../../controller/telephony/ari-rest';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const IMAGE = process.env.IVR_IMAGE ?? 'localhost/ivr-asterisk:22';
/**
 * Which test stack this process drives: none for the one stack of a sequential run, or the
 * number test/parallel-run.ts gives each of its stacks. Every stack runs in its own network
 * namespace (the same loopback addresses and ports in each), with its own state dir,
 * containers and prompts, so that integration files run in parallel.
 */
export const TEST_STACK = process.env.IVR_TEST_STACK ?? '';
const suffix = TEST_STACK ? `-${TEST_STACK}` : '';
export const STATE_DIR = `/tmp/ivr-test-state${suffix}`;
export const PBX_CONTAINER = `ivr-test-asterisk${suffix}`;
export const AGENTS_CONTAINER = `ivr-test-agents${suffix}`;
/** the stack's prompts: a copy of sounds/gen (built for the test config), rebuilt by its controller on a reload */
export const SOUNDS_DIR = path.join(STATE_DIR, 'sounds');
/** the scenarios written per test (scenarios.ts), which the agents container sees as /scen */
export const SCEN_DIR = path.join(STATE_DIR, 'scenarios');
export const TRUNK_IP = '127.0.0.2';
/** the carrier trunks of the test config (trunks.test.ts): a registrar, and a carrier challenging INVITEs (127.0.0.3 stays an address that is no trunk: trunk-security.test.ts) */
export const REGISTRAR_IP = '127.0.0.5';
export const CARRIER_IP = '127.0.0.6';
export const CARRIER_PASSWORD = 'Carrier-Test-Pw-2026';
export const PODMAN = ['--cgroup-manager=cgroupfs', '--runtime', 'runc'];
/** written by stack-up.ts from test/fixtures/ivr-test.yaml */
export const TEST_CONFIG = path.join(STATE_DIR, 'ivr-test.yaml');

/**
 * Starts the stack's SIP agents container (SIPp, sox) in this network namespace: the test
 * scenarios at /scen, SIPp's logs in the state dir, and the voice of the test callers and
 * phones (a tone, so the far end can tell audio arrived).
 */
export async function startAgents(netns?: string): Promise<void> {
  // in another network namespace than this process's: podman run from inside it
  const podman = (args: string[]): Promise<RunResult> =>
    netns ? run('nsenter', [`--net=/run/netns/${netns}`, 'podman', ...args], { timeoutMs: 60_000 }) : run('podman', args, { timeoutMs: 60_000 });
  mkdirSync(SCEN_DIR, { recursive: true });
  mkdirSync(path.join(STATE_DIR, 'sipp-logs'), { recursive: true });
  // SIPp needs NET_RAW for play_dtmf (RTP events from a raw socket); only this container has it
  const agents = await podman([
    ...PODMAN,
    'run',
    '-d',
    '--name',
    AGENTS_CONTAINER,
    '--network',
    'host',
    '--cap-add',
    'NET_RAW',
    '--ulimit',
    'nofile=20000:20000',
    '--ulimit',
    'nproc=4096:4096',
    '-v',
    `${path.join(ROOT, 'test', 'sipp')}:/sipp:ro`,
    '-v',
    `${path.join(STATE_DIR, 'sipp-logs')}:/tmp/sipp-logs`,
    '-v',
    `${SCEN_DIR}:/scen`,
    IMAGE,
    'sleep',
    'infinity',
  ]);
  if (agents.code !== 0) throw new Error(`the SIP agents container did not start: ${agents.stderr}`);
  const voice = await podman([
    ...PODMAN,
    'exec',
    AGENTS_CONTAINER,
    'sox',
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-e',
    'u-law',
    '/scen/voice.wav',
    'synth',
    '60',
    'sine',
    '440',
    'vol',
    '0.5',
  ]);
  if (voice.code !== 0) throw new Error(`voice.wav: ${voice.stderr}`);
}

/** The environment every process of the test stack runs with. */
export const stackEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  IVR_STATE_DIR: STATE_DIR,
  IVR_CONTAINER: PBX_CONTAINER,
  IVR_CONFIG: TEST_CONFIG,
  IVR_SOUNDS_DIR: SOUNDS_DIR,
  IVR_UP_TIMEOUT: '120',
  ...extra,
});

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (never rejects on a non-zero exit: tests assert the code). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { env: opts.env ?? stackEnv(), timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
      if (err && err.killed) return reject(new Error(`${cmd} ${args.join(' ')}: killed after ${opts.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`));
      resolve({ code: child.exitCode ?? (err ? 1 : 0), stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const stack = (cmd: string, extraEnv: Record<string, string> = {}): Promise<RunResult> =>
  run('bash', [path.join(ROOT, 'docker', 'stack.sh'), cmd], { env: stackEnv(extraEnv), timeoutMs: 180_000 });

export const ivrctl = (...args: string[]): Promise<RunResult> => run('node', [path.join(ROOT, 'dist', 'controller', 'cli', 'ivrctl.js'), ...args], { timeoutMs: 30_000 });

// ---- SIP agents -------------------------------------------------------------------------

export interface SippOptions {
  scenario: string;
  /** local address: TRUNK_IP for outside callers, 127.0.0.1 for operator phones */
  ip: string;
  port: number;
  /** a file in test/sipp (without .xml), or an absolute path in the agents container */
  /** Request-URI user (-s) */
  service?: string;
  vars?: Record<string, string | number>;
  auth?: { user: string; password: string };
  timeoutMs?: number;
  extra?: string[];
  /** told where SIPp's logs (its message trace) go on the host, as it starts */
  onLogDir?: (hostLogDir: string) => void;
  /** where SIPp sends (default the stack's Asterisk, 127.0.0.1:5060; the cluster test: the edge) */
  remote?: string;
}

export interface SippResult extends RunResult {
  /** SIPp's own logs (errors, message trace), for failure reports */
  logs: string;
  /** where those logs are on the host */
  logDir: string;
}

let sippSeq = 0;

/** Runs one SIPp call in the agents container; resolves with the exit code (0 = scenario passed). */
export async function sipp(o: SippOptions): Promise<SippResult> {
  const id = `${process.pid}-${++sippSeq}`;
  const logDir = `/tmp/sipp-logs/${id}`;
  const args = [
    ...PODMAN,
    'exec',
    '-w',
    logDir,
    AGENTS_CONTAINER,
    'sipp',
    o.remote ?? '127.0.0.1:5060',
    '-sf',
    o.scenario.startsWith('/') ? o.scenario : `/sipp/${o.scenario}.xml`,
    '-i',
    o.ip,
    '-p',
    String(o.port),
    '-m',
    '1',
    '-nostdin',
    '-timeout',
    `${Math.ceil((o.timeoutMs ?? 60_000) / 1000)}s`,
    '-timeout_error',
    '-trace_err',
    '-trace_msg',
  ];
  if (o.service) args.push('-s', o.service);
  for (const [k, v] of Object.entries(o.vars ?? {})) args.push('-set', k, String(v));
  if (o.auth) args.push('-au', o.auth.user, '-ap', o.auth.password);
  args.push(...(o.extra ?? []));
  const hostLogDir = `${STATE_DIR}/sipp-logs/${id}`;
  mkdirSync(hostLogDir, { recursive: true });
  o.onLogDir?.(hostLogDir);
  const res = await run('podman', args, { timeoutMs: (o.timeoutMs ?? 60_000) + 15_000 });
  let logs = '';
  try {
    for (const f of readdirSync(hostLogDir)) logs += `--- ${f}\n${readFileSync(path.join(hostLogDir, f), 'utf8').slice(-6000)}\n`;
  } catch {
    /* no logs */
  }
  return { ...res, logs, logDir: hostLogDir };
}

/** An agent's SIP message trace (SIPp's -trace_msg), whole. */
export const sippTrace = (r: SippResult): string =>
  readdirSync(r.logDir)
    .filter((f) => f.includes('messages'))
    .map((f) => readFileSync(path.join(r.logDir, f), 'utf8'))
    .join('\n');

/** The messages of an agent's trace in order: when (SIPp's clock), sent or received, the first line. */
export function sippMessages(r: SippResult): Array<{ at: number; sent: boolean; line: string }> {
  return [...sippTrace(r).matchAll(/^-+ (\d{4}-\d\d-\d\dT[\d:.]+Z)\n(?:UDP|TCP) message (sent|received) \[\d+\] bytes:\n\n?(.*)$/gm)].map((m) => ({
    at: Date.parse(m[1]!.replace(/(\.\d{3})\d+Z$/, '$1Z')),
    sent: m[2] === 'sent',
    line: m[3]!.trim(),
  }));
}

/** Formats a failed agent for the test report. */
export const agentReport = (r: SippResult): string => `exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}\n${r.logs}`;

// ---- RTP ---------------------------------------------------------------------------------

export interface RtpCounter {
  port: number;
  packets: number;
  /** PCMU payload bytes that are not silence (0xFF / 0x7F) */
  voicedBytes: number;
  /** arrival time (ms) of each packet that carried sound */
  voicedAt: number[];
  close(): void;
}

/** 20 ms of a 440 Hz tone in G.711 mu-law */
function toneFrame(): Buffer {
  const frame = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) {
    const x = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const sign = x < 0 ? 0x80 : 0;
    const m = Math.min(Math.abs(x), 32635) + 132;
    let exp = 7;
    for (let mask = 0x4000; (m & mask) === 0 && exp > 0; mask >>= 1) exp--;
    const mant = (m >> (exp + 3)) & 0x0f;
    frame[i] = ~(sign | (exp << 4) | mant) & 0xff;
  }
  return frame;
}

/**
 * Listens where a test agent's SDP says its audio should go, and counts what arrives.
 * With speak, it also answers with a tone from the same port (symmetric RTP), once it
 * knows where Asterisk's audio comes from.
 */
export function rtpCounter(ip: string, port: number, opts: { speak?: boolean } = {}): Promise<RtpCounter> {
  const sock = dgram.createSocket('udp4');
  let talker: NodeJS.Timeout | undefined;
  const counter: RtpCounter = {
    port,
    packets: 0,
    voicedBytes: 0,
    voicedAt: [],
    close: () => {
      clearInterval(talker);
      sock.close();
    },
  };
  const frame = toneFrame();
  let seq = 0;
  sock.on('message', (msg, from) => {
    if (opts.speak && !talker) {
      // a packet every 20 ms of the clock, as a phone's audio runs: a timer that fires late
      // (a loaded machine) sends the packets it owes, so the talker never falls silent for
      // longer than the delay; a long stall is not made up in a flood
      const startedAt = performance.now();
      talker = setInterval(() => {
        const owed = Math.floor((performance.now() - startedAt) / 20) + 1 - seq;
        if (owed > 10) seq += owed - 10;
        for (let i = Math.min(owed, 10); i > 0; i--) {
          const hdr = Buffer.alloc(12);
          hdr[0] = 0x80;
          hdr[1] = 0;
          hdr.writeUInt16BE(seq & 0xffff, 2);
          hdr.writeUInt32BE((seq * 160) >>> 0, 4);
          hdr.writeUInt32BE(0x1234abcd, 8);
          seq++;
          sock.send(Buffer.concat([hdr, frame]), from.port, from.address);
        }
      }, 20);
    }
    if (msg.length < 12 || (msg[0]! & 0xc0) !== 0x80) return;
    counter.packets++;
    if ((msg[1]! & 0x7f) !== 0) return;
    let voiced = 0;
    for (let i = 12; i < msg.length; i++) if (msg[i] !== 0xff && msg[i] !== 0x7f) voiced++;
    counter.voicedBytes += voiced;
    if (voiced > 20) counter.voicedAt.push(Date.now());
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, ip, () => resolve(counter));
  });
}

// ---- Asterisk and database checks ----------------------------------------------------------

export function ariCredentials(): { url: string; user: string; password: string } {
  const s = JSON.parse(readFileSync(path.join(STATE_DIR, 'secrets.json'), 'utf8')) as { ari: { user: string; password: string } };
  return { url: 'http://127.0.0.1:8088', user: s.ari.user, password: s.ari.password };
}

export const ari = <T>(p: string): Promise<T> => ariGet<T>(ariCredentials(), p);

/** Waits (bounded) for a condition that Asterisk reaches asynchronously, e.g. a hangup. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The end of every test: nothing left behind in Asterisk. */
export async function assertNothingLeft(t: TapTest): Promise<void> {
  const left = await eventually(
    'no channel and no bridge in Asterisk',
    async () => {
      const [ch, br] = await Promise.all([ari<unknown[]>('/channels'), ari<unknown[]>('/bridges')]);
      return ch.length === 0 && br.length === 0 ? { ch, br } : undefined;
    },
    // as soon as Asterisk is empty; the bound covers an operator's wrap-up after the caller
    // left (the outcome question, then its time-out), which a loaded machine stretches
    20_000,
  ).catch(async (e: Error) => {
    t.fail(`${e.message}: ${JSON.stringify(await ari('/channels'))} ${JSON.stringify(await ari('/bridges'))}`);
    return undefined;
  });
  if (left) t.pass('no channel or bridge left in Asterisk');
}

export function openDb(): Database.Database {
  return new Database(path.join(STATE_DIR, 'ivr.db'), { readonly: true, fileMustExist: true });
}

export function resetStateDir(): void {
  rmSync(STATE_DIR, { recursive: true, force: true });
  mkdirSync(STATE_DIR, { recursive: true });
}

export function spawnDetached(cmd: string, args: string[]): void {
  spawn(cmd, args, { stdio: 'ignore', detached: true }).unref();
}

/** tap's test object, as far as these helpers use it (without importing tap here) */
export interface TapTest {
  fail(msg: string): void;
  pass(msg: string): void;
  ok(value: unknown, msg: string): void;
  equal(found: unknown, wanted: unknown, msg: string): void;
}

/** An Asterisk CLI command in the test PBX container (read-only checks). */
export async function pbxCli(command: string): Promise<string> {
  const r = await run('podman', [...PODMAN, 'exec', PBX_CONTAINER, 'asterisk', '-rx', command], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`asterisk -rx "${command}": exit ${r.code} ${r.stderr}`);
  return r.stdout;
}

/** Asterisk's running count of calls it has processed since start. */
export async function callsProcessed(): Promise<number> {
  const m = /(\d+) calls? processed/.exec(await pbxCli('core show channels count'));
  if (!m) throw new Error('no "calls processed" in core show channels count');
  return Number(m[1]);
}

/** Lets a test wait for a row that another process writes. */
export async function waitForRow<T>(what: string, sql: string, params: unknown[] = [], timeoutMs = 10_000): Promise<T> {
  return eventually(
    what,
    async () => {
      const db = openDb();
      try {
        return (db.prepare(sql).get(...params) as T | undefined) ?? undefined;
      } finally {
        db.close();
      }
    },
    timeoutMs,
  );
}

/** Waits until the latest call from this number has been answered by that operator (a cue for a caller to talk, then hang up). */
export const answeredBy = (ani: string, operator: string, timeoutMs = 30_000): Promise<unknown> =>
  waitForRow(`${ani} answered by ${operator}`, 'SELECT 1 AS ok FROM calls WHERE caller = ? AND answered_by = ?', [ani, operator], timeoutMs);

export const healthz = async (): Promise<number> => (await fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(2000) })).status;

// ---- operator phones -------------------------------------------------------------------

/** A SIPp agent the test started: the audio it got, and its result once it exited. */
export interface Agent {
  rtp: RtpCounter;
  done: Promise<SippResult>;
}

export interface Phone extends Agent {
  /** resolves when the phone has unregistered and SIPp exited (after stop(), or at the latest holdMs after it registered) */
  done: Promise<SippResult>;
  /** The test is done with this phone: it unregisters now (a NOTIFY in its registration's dialog); resolves as done does. */
  stop(): Promise<SippResult>;
}

/** The SIP password of an operator seeded at the first start of the test database. */
export function seededPassword(id: string): string {
  const m = new RegExp(`^${id} (\\S+)$`, 'm').exec(readFileSync(path.join(STATE_DIR, 'operator-passwords.txt'), 'utf8'));
  if (!m) throw new Error(`no seeded password for ${id}`);
  return m[1]!;
}

/**
 * Registers an operator's phone (SIPp) that answers incoming calls per `rxScenario` until the
 * test stops it (stop()), then unregisters. Resolves once Asterisk sees the phone online and
 * idle (or just online with busyAtOnce).
 */
let phoneSeq = 0;
/**
 * How long a phone stays registered if the test never stops it: only a bound (a test that
 * failed before its stop), as the end is the test's event, never a guess at the calls' length.
 */
const PHONE_HOLD_BOUND_MS = 120_000;

/** Sends a SIPp agent a NOTIFY in one of its dialogs (UDP on the stack's loopback; a reply is not needed): the event it waits for. */
function tellAgent(port: number, callId: string, ip = '127.0.0.1'): Promise<void> {
  const socket = dgram.createSocket('udp4');
  return new Promise<void>((resolve, reject) => {
    socket.bind(0, ip, () => {
      const own = socket.address().port;
      const msg = [
        `NOTIFY sip:agent@${ip}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${ip}:${own};branch=z9hG4bK-test-${Date.now()}`,
        `From: <sip:test@${ip}>;tag=test${own}`,
        `To: <sip:agent@${ip}>`,
        `Call-ID: ${callId}`,
        'CSeq: 1 NOTIFY',
        'Event: test-done',
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(msg, port, ip, (err) => (err ? reject(err) : resolve()));
    });
  }).finally(() => socket.close());
}

export async function startPhone(o: {
  id: string;
  password: string;
  port: number;
  rtpPort: number;
  rxScenario: string;
  /** the bound of a phone the test never stops (default PHONE_HOLD_BOUND_MS) */
  holdMs?: number;
  maxCalls?: number;
  busyAtOnce?: boolean;
  /**
   * Elsewhere than the stack's loopback (the cluster test: at the edge, registering through
   * Kamailio): its address, where it registers, and when it counts as registered and idle.
   */
  via?: { ip: string; remote: string; ready: () => Promise<boolean> };
}): Promise<Phone> {
  const { directionsOfScenario, registrationCallIds, registrationCallPattern, writeRegisterScenario } = await import('./scenarios');
  const holdMs = o.holdMs ?? PHONE_HOLD_BOUND_MS;
  const registration = writeRegisterScenario(`phone-register-${o.id}-${++phoneSeq}`, holdMs);
  const ip = o.via?.ip ?? '127.0.0.1';
  const rtp = await rtpCounter(ip, o.rtpPort, { speak: true });
  let logDir = '';
  const done = sipp({
    onLogDir: (dir) => (logDir = dir),
    scenario: `/scen/${path.basename(registration)}`,
    ip,
    port: o.port,
    service: o.id,
    auth: { user: o.id, password: o.password },
    vars: { rtp_ip: ip, rtp_port: o.rtpPort },
    extra: ['-rxsf', o.rxScenario, '-aa', '-m', String(o.maxCalls ?? 2), '-cid_str', registrationCallIds(o.id)],
    timeoutMs: holdMs + 30_000,
    ...(o.via ? { remote: o.via.remote } : {}),
  }).finally(() => rtp.close());
  let exited: SippResult | undefined;
  void done.then((r) => (exited = r));
  await eventually(
    `${o.id} online and idle`,
    async () => {
      if (exited) throw new Error(`the phone exited: ${agentReport(exited)}`);
      if (o.via) return o.via.ready();
      const [ep, ds] = await Promise.all([ari<{ state: string }>(`/endpoints/PJSIP/${o.id}`), ari<{ state: string }>(`/deviceStates/PJSIP%2F${o.id}`)]);
      // busyAtOnce: a callback waits for this phone, so it may be rung as soon as it registers
      return ep.state === 'online' && (o.busyAtOnce || ds.state === 'NOT_INUSE');
    },
    10_000,
  );
  const plan = directionsOfScenario(o.rxScenario);
  if (plan.length > 0)
    void directAnswering(
      () => exited !== undefined,
      (c) => c.name.startsWith(`PJSIP/${o.id}-`),
      plan,
      o.port,
      ip,
    );
  const stop = async (): Promise<SippResult> => {
    // its calls first: a wrap-up (the outcome prompt, a code keyed later) may outlast the caller
    await eventually(
      `${o.id} idle before it unregisters`,
      async () => exited !== undefined || (o.via ? await o.via.ready() : (await ari<{ state: string }>(`/deviceStates/PJSIP%2F${o.id}`)).state === 'NOT_INUSE') || undefined,
      holdMs + 30_000,
    );
    // every registration call of this SIPp (as many as -m): each holds the same binding. Their
    // numbers are SIPp's call numbers, shared with the calls it received (Asterisk's OPTIONS,
    // a call rung at once): read from its message trace, never assumed to be 1..m
    for (const callId of registrationCalls(logDir, registrationCallPattern(o.id))) if (!exited) await tellAgent(o.port, callId, ip);
    return done;
  };
  return { rtp, done, stop };
}

/** The Call-IDs of a phone's registration calls, from the REGISTERs in SIPp's message trace. */
function registrationCalls(logDir: string, pattern: RegExp): string[] {
  const found = new Set<string>();
  for (const f of existsSync(logDir) ? readdirSync(logDir) : [])
    if (f.endsWith('_messages.log')) for (const m of readFileSync(path.join(logDir, f), 'utf8').matchAll(/^Call-ID: (\S+)$/gm)) if (pattern.test(m[1]!)) found.add(m[1]!);
  return [...found];
}

let callerSeq = 0;

/** One outside call from the trunk following a script; returns SIPp's result and the audio heard. */
export async function callIvr(o: {
  number: string;
  ani: string;
  steps: import('./scenarios').CallerStep[];
  rtpPort: number;
  timeoutMs?: number;
  ip?: string;
  /** where the call goes (default the stack's Asterisk; the cluster test: the edge) */
  remote?: string;
}): Promise<SippResult & { rtp: RtpCounter; scenario: string }> {
  const { callerDirections, writeCallerScenario } = await import('./scenarios');
  const seq = ++callerSeq;
  const name = `caller-${process.pid}-${seq}`;
  const scenario = writeCallerScenario(name, o.steps);
  const ip = o.ip ?? TRUNK_IP;
  const rtp = await rtpCounter(ip, o.rtpPort);
  try {
    // not 5060: 127.0.0.2:5060 is where callbacks reach callers (the demo's fixed callee address); the trunk is
    // recognised by address only. This call's own number: callers started together each get theirs
    const port = 5100 + (seq % 400);
    const heard = callerDirections(o.steps);
    const asterisk = heard.length > 0 ? asteriskLog().length : 0;
    const calling = sipp({
      scenario,
      ip,
      port,
      service: o.number,
      vars: { rtp_ip: ip, rtp_port: o.rtpPort, ani: o.ani },
      timeoutMs: o.timeoutMs ?? 120_000,
      extra: ['-cid_str', `${name}-%u@%s`],
      ...(o.remote ? { remote: o.remote } : {}),
    });
    if (heard.length > 0) await direct(calling, o.ani, heard, asterisk, port, `${name}-1@${ip}`, ip);
    const r = await calling;
    return { ...r, rtp, scenario };
  } finally {
    rtp.close();
  }
}

type Directions = import('./scenarios').Direction[];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cues the test body gave, by name (the directors of cue steps poll them, and stop polling when their agent exits). */
const cues = new Map<string, boolean>();

/**
 * Tells the agents waiting at a cue step of this name to go on (e.g. a caller that hangs up
 * once the test has checked the reload it made during the conversation). Names are unique
 * per test; an agent reaching the step after the cue goes on at once.
 */
export const cue = (name: string): void => void cues.set(name, true);

/**
 * Follows one leg through Asterisk's log: as each prompt of the plan starts on it (after the
 * one before), or the test body gives the cue, the agent is told with a NOTIFY in the leg's
 * dialog, once it has done the steps that led there (busyMs: a NOTIFY that arrives while it
 * still sends keys would abort it).
 * Stops when the agent is done or the leg is gone; a prompt never heard leaves the agent
 * waiting until its own time-out, which fails it with its report.
 */
async function followLeg(
  leg: { id?: string; name: string },
  callId: string,
  plan: Directions,
  fromOffset: number,
  agent: { port: number; ip: string; done: () => boolean },
): Promise<void> {
  let after = 0;
  let told = Date.now();
  for (const step of plan) {
    if ('cue' in step) {
      while (!cues.get(step.cue)) {
        if (agent.done()) return;
        await sleep(100);
      }
    } else {
      let i = -1;
      while (i < 0) {
        if (agent.done()) return;
        i = asteriskPlays(fromOffset)
          .filter((p) => p.channel === leg.name)
          .findIndex((p, k) => k >= after && p.file === step.prompt);
        if (i >= 0) break;
        if (leg.id && !(await ari<Array<{ id: string }>>('/channels').catch(() => [])).some((c) => c.id === leg.id)) return;
        await sleep(100);
      }
      after = i + 1;
    }
    const ready = told + step.busyMs + 100 - Date.now();
    if (ready > 0) await sleep(ready);
    await tellAgent(agent.port, callId, agent.ip);
    told = Date.now();
  }
}

/** A caller's waits (heard, cue): its leg is the carrier's channel with its number; the Call-ID is ours (-cid_str). */
async function direct(calling: Promise<SippResult>, ani: string, plan: Directions, fromOffset: number, port: number, callId: string, ip: string): Promise<void> {
  let exited = false;
  void calling.finally(() => (exited = true));
  const leg = await eventually(
    `${ani}'s channel`,
    async () => {
      if (exited) return true;
      // its channel is the first with its number (any carrier's; the phones rung for it, created later, show it too)
      return (await ari<Array<{ id: string; name: string; caller: { number: string }; creationtime: string }>>('/channels'))
        .filter((c) => c.caller.number === ani)
        .sort((a, b) => a.creationtime.localeCompare(b.creationtime))[0];
    },
    30_000,
  );
  if (leg === true) return;
  await followLeg(leg, callId, plan, fromOffset, { port, ip, done: () => exited });
}

/**
 * An answering agent's "heard" steps (an operator phone, a callee), call after call: each new
 * channel of the agent (match) is followed, told with the Call-ID Asterisk gives its leg.
 */
async function directAnswering(exited: () => boolean, match: (c: { id: string; name: string }) => boolean, plan: Directions, port: number, ip: string): Promise<void> {
  const fromOffset = asteriskLog().length;
  const seen = new Set<string>();
  while (!exited()) {
    const leg = (await ari<Array<{ id: string; name: string }>>('/channels').catch(() => [])).find((c) => match(c) && !seen.has(c.id));
    if (!leg) {
      await sleep(100);
      continue;
    }
    seen.add(leg.id);
    // a leg just created may not have its SIP dialog yet (no Call-ID to read): asked again
    // until it has one or is gone; a leg left unfollowed would leave its agent waiting for a
    // NOTIFY that never comes
    let callId: string | undefined;
    for (let i = 0; i < 100 && !callId && !exited(); i++) {
      const read = await ari<{ value: string }>(`/channels/${encodeURIComponent(leg.id)}/variable?variable=${encodeURIComponent('CHANNEL(pjsip,call-id)')}`)
        .then((v) => v.value || undefined)
        .catch((err: { status?: number }) => (err.status === 404 ? null : undefined));
      if (read === null) break; // the leg is gone
      callId = read;
      if (!callId) await sleep(100);
    }
    if (callId) await followLeg(leg, callId, plan, fromOffset, { port, ip, done: exited });
  }
}

/** The events of the latest call from a caller number, oldest first. */
export function callEvents(caller: string): Array<{ type: string; at: string; data: Record<string, unknown> | null }> {
  const db = openDb();
  try {
    const call = db.prepare('SELECT id FROM calls WHERE caller = ? ORDER BY started_at DESC LIMIT 1').get(caller) as { id: string } | undefined;
    if (!call) return [];
    return (db.prepare('SELECT type, at, data FROM call_events WHERE call_id = ? ORDER BY id').all(call.id) as Array<{ type: string; at: string; data: string | null }>).map(
      (e) => ({
        ...e,
        data: e.data ? (JSON.parse(e.data) as Record<string, unknown>) : null,
      }),
    );
  } finally {
    db.close();
  }
}

export function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = openDb();
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

// ---- the callers we call back -------------------------------------------------------------

/**
 * A SIP agent at the trunk address 127.0.0.2:5060 (the demo's fixed address where callbacks reach callers)
 * that takes `calls` calls per `scenario`. Resolves once it listens.
 */
export async function startCallee(o: { scenario: string; rtpPort: number; calls: number; timeoutMs: number; speak?: boolean; ip?: string }): Promise<Agent> {
  const ip = o.ip ?? TRUNK_IP;
  const rtp = await rtpCounter(ip, o.rtpPort, { speak: !!o.speak });
  const done = sipp({ scenario: o.scenario, ip, port: 5060, vars: { rtp_ip: ip, rtp_port: o.rtpPort }, extra: ['-m', String(o.calls)], timeoutMs: o.timeoutMs }).finally(() =>
    rtp.close(),
  );
  let exited: SippResult | undefined;
  void done.then((r) => (exited = r));
  await eventually(
    `the agent listening on ${ip}:5060`,
    async () => {
      if (exited) throw new Error(`the agent exited: ${agentReport(exited)}`);
      return (await run('ss', ['-Hlun', 'src', `${ip}:5060`], { timeoutMs: 5000 })).stdout.trim() !== '';
    },
    10_000,
  );
  const { directionsOfScenario } = await import('./scenarios');
  const plan = directionsOfScenario(o.scenario);
  // a callback's caller leg: its channel id says so (callbacks/callback-attempt.ts)
  if (plan.length > 0)
    void directAnswering(
      () => exited !== undefined,
      (c) => c.id.startsWith('cbcl-'),
      plan,
      5060,
      ip,
    );
  return { rtp, done };
}

/** The controller's view of its last dispatch pass (GET /api/dispatcher, with the API token). */
export async function dispatcherState(): Promise<{ lastPass: { at: string; directorates: Record<string, { blocked?: string; dispatched: number[] }> } | null; active: number }> {
  const s = JSON.parse(readFileSync(path.join(STATE_DIR, 'secrets.json'), 'utf8')) as { api: { token: string } };
  const res = await fetch('http://127.0.0.1:8080/api/dispatcher', { headers: { authorization: `Bearer ${s.api.token}` }, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/api/dispatcher: ${res.status}`);
  return (await res.json()) as Awaited<ReturnType<typeof dispatcherState>>;
}

/** The controller's /healthz body (with its status). */
export async function healthJson(): Promise<{
  status: number;
  ok: boolean;
  pid: number;
  reasons?: string[];
  ari: string;
  database: { writable: boolean; reason?: string; state: string; queued: number };
}> {
  const res = await fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(3000) });
  return { status: res.status, ...((await res.json()) as Omit<Awaited<ReturnType<typeof healthJson>>, 'status'>) };
}

/** Voiced RTP packets an agent received between two instants. */
export const voicedBetween = (rtp: { voicedAt: number[] }, from: number, to = Infinity): number => rtp.voicedAt.filter((ts) => ts > from && ts < to).length;

/** The longest stretch without sound an agent heard between two instants, in ms. */
export function longestSilence(rtp: { voicedAt: number[] }, from: number, to: number): number {
  let last = from;
  let longest = 0;
  for (const ts of rtp.voicedAt) {
    if (ts <= from || ts >= to) continue;
    longest = Math.max(longest, ts - last);
    last = ts;
  }
  return Math.max(longest, to - last);
}

/**
 * When the running controller process started (from /proc: its start in clock ticks after
 * boot), for what it keeps in memory only, e.g. who has been idle longest.
 */
export async function controllerStartedAt(): Promise<Date> {
  const { pid } = await healthJson();
  // the fields after the command name (which may hold spaces) in /proc/<pid>/stat; starttime is field 22
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /s, '')
    .split(' ');
  const ticks = Number(fields[22 - 3]);
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
  const hz = 100; // USER_HZ, as Linux reports /proc times on every architecture it runs here
  return new Date((btime + ticks / hz) * 1000);
}

/** Asterisk's full log of this stack (its prompts and dialplan steps, with timestamps). */
export const asteriskLog = (): string => readFileSync(path.join(STATE_DIR, 'log', 'asterisk', 'full.log'), 'utf8');

/**
 * The sound files Asterisk started playing after a point of its log (an earlier
 * asteriskLog().length): when (the container logs in UTC), on which channel, which file
 * (relative to the prompts' dir when it is one of ours).
 */
export function asteriskPlays(fromOffset: number): Array<{ at: number; channel: string; file: string }> {
  return [
    ...asteriskLog()
      .slice(fromOffset)
      .matchAll(/^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] VERBOSE\[\d+\](?:\[C-[0-9a-f]+\])? file\.c: <([^>]+)> Playing '([^']+)'/gm),
  ].map((m) => ({
    at: Date.parse(`${m[1]!.replace(' ', 'T')}Z`),
    channel: m[2]!,
    file: m[3]!.replace(/^\/opt\/ivr\/sounds\//, '').replace(/\.[a-z0-9]+$/, ''),
  }));
}

/**
 * The apology itself was played to a caller (the dialplan's fallback: the directorate's
 * prompt, or the generic one), starting after `since` and within `withinMs` of it: a proof
 * by the prompt's name, where sound and a late hang-up could be the tail of another prompt.
 */
export function assertApologyPlayed(t: TapTest, fromOffset: number, since: number, withinMs: number): { at: number; file: string } | undefined {
  const apologies = asteriskPlays(fromOffset).filter((p) => /^(dp\/[a-z0-9-]+-fallback|it\/fallback-generic)$/.test(p.file) && /^PJSIP\/trunk-/.test(p.channel));
  t.equal(apologies.length, 1, `the apology was played to the caller (${apologies.map((p) => `${p.file} on ${p.channel}`).join(', ') || 'none'})`);
  const delay = (apologies[0]?.at ?? Infinity) - since;
  t.ok(delay >= 0 && delay <= withinMs, `it started ${delay} ms after ${new Date(since).toISOString()} (bound ${withinMs} ms)`);
  return apologies[0];
}

/**
 * A stranded caller heard the apology: it was played (assertApologyPlayed), its sound reached
 * the caller, and the PBX's BYE came at its end (whatever its length: the test stacks' prompts
 * are short), where a plain hang-up would have ended the call at once and a stranded caller
 * would have waited for SIPp's time-out.
 */
export function assertApologyHeard(t: TapTest, rtp: { voicedAt: number[] }, hungUpAt: number, fromOffset: number, since: number, withinMs: number): void {
  const apology = assertApologyPlayed(t, fromOffset, since, withinMs);
  if (!apology) return;
  const apologyMs = wavDurationMs(path.join(SOUNDS_DIR, `${apology.file}.wav`)) ?? NaN;
  // 20 ms a packet, some of them silent between words
  const heard = voicedBetween(rtp, apology.at, hungUpAt);
  t.ok(heard >= (apologyMs / 20) * 0.5, `the caller heard it: ${heard} voiced packets over its ${apologyMs} ms`);
  const byeAfter = hungUpAt - apology.at;
  t.ok(byeAfter >= apologyMs - 300 && byeAfter < apologyMs + 10_000, `the BYE came at its end (${byeAfter} ms after it started; it lasts ${apologyMs} ms)`);
}
