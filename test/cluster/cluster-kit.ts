// The cluster's parts for its test and its bench (test/cluster/net.sh made the network, and
// the process runs in the edge's namespace): two nodes, each a whole stack started from the
// cluster's one configuration, Kamailio on the files `ivrctl cluster edge-config` writes, and
// the carrier's SIP agents at the edge; which node answered a call, from the nodes' databases.
import './cluster-env';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AGENTS_CONTAINER, PODMAN, ROOT, run, sippMessages, sippTrace, STATE_DIR, startAgents, type RunResult, type SippResult } from '../integration/harness';

export const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'ivr-cluster.yaml');
export const EDGE_NS = 'ivr-cl-edge';
export const EDGE_DIR = path.join(STATE_DIR, 'edge');
export const EDGE = '10.77.0.1:5060';
export const CARRIER = '10.77.0.2';
export const NUMBER = { a: '0611000101', b: '0611000102' } as const;
export type Node = 'a' | 'b';

export const nodeStack = (n: Node): string => `cl-${n}`;
export const nodeState = (n: Node): string => `/tmp/ivr-test-state-${nodeStack(n)}`;
/** what every process of a node's stack runs with (the harness's stackEnv, for that stack) */
export const nodeEnv = (n: Node, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  IVR_TEST_STACK: nodeStack(n),
  IVR_TEST_CONFIG_FROM: FIXTURE,
  IVR_STATE_DIR: nodeState(n),
  IVR_CONTAINER: `ivr-test-asterisk-${nodeStack(n)}`,
  IVR_CONFIG: path.join(nodeState(n), 'ivr-test.yaml'),
  IVR_SOUNDS_DIR: path.join(nodeState(n), 'sounds'),
  IVR_UP_TIMEOUT: '120',
  IVR_NODE: n,
  ...extra,
});
export const inNs = (ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<RunResult> =>
  run('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { env, timeoutMs });
export const must = async (what: string, r: Promise<RunResult>): Promise<void> => {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} (exit ${res.code}): ${res.stdout.slice(-1500)}${res.stderr.slice(-1500)}`);
};

/** One row from a node's database, read-only (the node's controller keeps writing). */
function nodeRow<T>(n: Node, sql: string, ...params: unknown[]): T | undefined {
  const db = new Database(path.join(nodeState(n), 'ivr.db'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).get(...params) as T | undefined;
  } finally {
    db.close();
  }
}

/** which node recorded the latest call from this number, and when it answered */
export function answeredOn(ani: string): { node: Node; answeredAt: number } | undefined {
  for (const n of ['a', 'b'] as const) {
    const row = nodeRow<{ at: string }>(n, 'SELECT answered_at AS at FROM calls WHERE caller = ? AND answered_at IS NOT NULL ORDER BY started_at DESC LIMIT 1', ani);
    if (row) return { node: n, answeredAt: Date.parse(row.at) };
  }
  return undefined;
}

/** Starts both nodes, Kamailio and the carrier's agents (the network is made: net.sh up). */
export async function upCluster(): Promise<void> {
  // the runner (test/parallel-run.ts) made the network and runs this file in the edge's namespace
  await must(
    'the edge namespace (run through test/run.sh cluster)',
    run('ip', ['-br', 'addr', 'show', 'dev', 'lo']).then((r) => (r.stdout.includes('10.77.0.1') ? r : { ...r, code: 1 })),
  );
  // the prompts of the cluster's configuration, once for both nodes
  await must('the prompts', run('node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js'), '--prompts-only'], { env: nodeEnv('a'), timeoutMs: 300_000 }));
  await Promise.all(
    (['a', 'b'] as const).map((n) =>
      must(`node ${n}`, inNs(`ivr-cl-${n}`, 'node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js')], nodeEnv(n, { IVR_TEST_PROMPTS_BUILT: '1' }))),
    ),
  );
  await must(
    'the edge configuration',
    // the operators' credentials from node a's table (a cluster's shared database holds them once the nodes share one)
    run('node', [path.join(ROOT, 'dist', 'controller', 'cli', 'ivrctl.js'), 'cluster', 'edge-config', '--dir', EDGE_DIR], { env: nodeEnv('a') }),
  );
  await must('Kamailio', inNs(EDGE_NS, 'bash', [path.join(ROOT, 'docker', 'kamailio.sh'), 'start', EDGE_DIR]));
  await run('podman', [...PODMAN, 'rm', '-f', AGENTS_CONTAINER]);
  await startAgents(EDGE_NS);
}

/** Stops what upCluster started (the network goes with net.sh down). */
export async function downCluster(): Promise<void> {
  await inNs(EDGE_NS, 'bash', [path.join(ROOT, 'docker', 'kamailio.sh'), 'stop', EDGE_DIR]);
  await run('podman', [...PODMAN, 'rm', '-f', AGENTS_CONTAINER]);
  for (const n of ['a', 'b'] as const) await inNs(`ivr-cl-${n}`, 'node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-down.js')], nodeEnv(n));
}

/** an operator's first-start password on a node (the edge checks the HA1 edge-config read from node a's table) */
export function operatorPassword(n: Node, id: string): string {
  const m = new RegExp(`^${id} (\\S+)$`, 'm').exec(readFileSync(path.join(nodeState(n), 'operator-passwords.txt'), 'utf8'));
  if (!m) throw new Error(`no first-start password of ${id} on node ${n}`);
  return m[1]!;
}

/** an operator's contact on a node's Asterisk, as `pjsip show contacts` lists it (its URI and its qualify status) */
export async function contactOn(n: Node, id: string): Promise<{ uri: string; status: string } | undefined> {
  const r = await asteriskOn(n, 'pjsip show contacts');
  const m = new RegExp(`Contact:\\s+${id}/(\\S+)\\s+\\S+\\s+(\\S+)`).exec(r.stdout);
  return m ? { uri: m[1]!, status: m[2]! } : undefined;
}

/** a CLI command on a node's Asterisk */
export const asteriskOn = (n: Node, command: string): Promise<RunResult> =>
  run('podman', [...PODMAN, 'exec', `ivr-test-asterisk-${nodeStack(n)}`, 'asterisk', '-rx', command], { timeoutMs: 15_000 });

/** who answered the latest call from this number on a node (calls.answered_by), if anyone did */
export function answeredByOn(n: Node, ani: string): string | undefined {
  return nodeRow<{ op: string | null }>(n, 'SELECT answered_by AS op FROM calls WHERE caller = ? ORDER BY started_at DESC LIMIT 1', ani)?.op ?? undefined;
}

/** the INVITEs an agent received, whole and in order, from its SIP trace */
export const invitesReceived = (r: SippResult): string[] =>
  sippTrace(r)
    .split(/^-{20,}.*$/m)
    .filter((m) => /message received/.test(m) && /^INVITE sip:/m.test(m));

/** the addresses in a message's Via headers, the last hop first */
export const viaHosts = (msg: string | undefined): string[] => [...(msg ?? '').matchAll(/^Via: SIP\/2\.0\/UDP ([\d.]+)/gm)].map((m) => m[1]!);

/** A caller's wait in its own SIP trace: its INVITE to the 200 OK, in ms. */
export function inviteToAnswerMs(r: SippResult): number {
  const msgs = sippMessages(r);
  return (msgs.find((m) => !m.sent && m.line.startsWith('SIP/2.0 200'))?.at ?? NaN) - (msgs.find((m) => m.sent && m.line.startsWith('INVITE'))?.at ?? NaN);
}

/** SIGKILL to a node's controller and its supervisor (as a crash with nobody to restart it). */
export const killController = (n: Node): Promise<void> =>
  must(`kill node ${n}'s controller`, run('bash', [path.join(ROOT, 'docker', 'stack.sh'), 'controller-stop'], { env: nodeEnv(n, { KILL: '1' }), timeoutMs: 60_000 }));

/** A node's controller started again, as its service manager would; resolves once it is ready. */
export const startController = (n: Node): Promise<void> =>
  must(`node ${n}'s controller`, inNs(`ivr-cl-${n}`, 'bash', [path.join(ROOT, 'docker', 'stack.sh'), 'controller-start'], nodeEnv(n)));

/** SIGKILL to a node's Asterisk (stopped, so that its container engine does not restart it) and controller. */
export async function killNode(n: Node): Promise<void> {
  await Promise.all([must(`kill node ${n}'s Asterisk`, run('podman', [...PODMAN, 'stop', '-t', '0', `ivr-test-asterisk-${nodeStack(n)}`])), killController(n)]);
}

/** A node back: its Asterisk started again (from inside its namespace: a container of the host network joins the one podman runs in), its controller. */
export async function restartNode(n: Node): Promise<void> {
  await must(`node ${n} back`, inNs(`ivr-cl-${n}`, 'podman', [...PODMAN, 'start', `ivr-test-asterisk-${nodeStack(n)}`]));
  await startController(n);
}
