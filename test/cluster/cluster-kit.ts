// The cluster's parts for its test and its bench (test/cluster/net.sh made the network, and
// the process runs in the edge's namespace): two nodes, each a whole stack started from the
// cluster's one configuration, Kamailio on the files `ivrctl cluster edge-config` writes, and
// the carrier's SIP agents at the edge; which node answered a call, from the nodes' databases.
import './cluster-env';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openPostgres, type Pg } from '../../controller/storage/postgres/connection';
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
/** the shared database's directory (docker/postgres.sh), its URL once upCluster started it, and the test's own pool on it */
const SHARED_DB_DIR = '/tmp/ivr-test-postgres-cluster'; // the postgres user's: outside the root-only state dirs
let sharedUrl: string | undefined;
let shared: Pg | undefined;

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
  ...(sharedUrl ? { IVR_DB: sharedUrl } : {}),
  ...extra,
});
export const inNs = (ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<RunResult> =>
  run('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], { env, timeoutMs });
export const must = async (what: string, r: Promise<RunResult>): Promise<void> => {
  const res = await r;
  if (res.code !== 0) throw new Error(`${what} (exit ${res.code}): ${res.stdout.slice(-1500)}${res.stderr.slice(-1500)}`);
};

/** ivrctl as a sysadmin runs it anywhere the shared database is reachable (here: the edge) */
export const ivrctlAtEdge = (...args: string[]): Promise<RunResult> =>
  run('node', [path.join(ROOT, 'dist', 'controller', 'cli', 'ivrctl.js'), ...args], { env: { ...process.env, IVR_DB: sharedUrl, IVR_CONFIG: FIXTURE, IVR_STATE_DIR: EDGE_DIR } });

/** ivrctl on a node, as its sysadmin runs it there (its controller's API on the node's loopback) */
export const ivrctlOn = (n: Node, ...args: string[]): Promise<RunResult> =>
  inNs(`ivr-cl-${n}`, 'node', [path.join(ROOT, 'dist', 'controller', 'cli', 'ivrctl.js'), ...args], nodeEnv(n), 360_000);

/** `ivrctl cluster status --json` */
export async function clusterStatus(): Promise<{ nodes: Array<{ id: string; alive: boolean }>; directorates: Array<{ id: string; servedBy: string | null }> }> {
  const r = await ivrctlAtEdge('cluster', 'status', '--json');
  if (r.code !== 0) throw new Error(`ivrctl cluster status (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Awaited<ReturnType<typeof clusterStatus>>;
}

/** Rows of the shared database. */
export async function sharedRows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
  if (!shared) throw new Error('the shared database is not started (upCluster)');
  return (await shared.query(sql, params)).rows as T[];
}

/**
 * Which node recorded the latest call from this number, and when it answered. A node writes a
 * call's records as they happen, in order, without holding up the call: the call's end is the
 * last of them, so its row is read once ended (waited for up to waitMs).
 */
export async function answeredOn(ani: string, waitMs = 5000): Promise<{ node: Node; answeredAt: number } | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const [row] = await sharedRows<{ node: Node; at: string | null; ended: string | null }>(
      'SELECT node, answered_at AS at, ended_at AS ended FROM calls WHERE caller = $1 ORDER BY started_at DESC LIMIT 1',
      ani,
    );
    if (row?.ended || Date.now() >= until) return row?.at ? { node: row.node, answeredAt: Date.parse(row.at) } : undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts both nodes, Kamailio and the carrier's agents (the network is made: net.sh up). */
export async function upCluster(): Promise<void> {
  // the runner (test/parallel-run.ts) made the network and runs this file in the edge's namespace
  await must(
    'the edge namespace (run through test/run.sh cluster)',
    run('ip', ['-br', 'addr', 'show', 'dev', 'lo']).then((r) => (r.stdout.includes('10.77.0.1') ? r : { ...r, code: 1 })),
  );
  // the shared database, new for this run, on the edge's address: the nodes reach it over their links
  await run('bash', [path.join(ROOT, 'docker', 'postgres.sh'), 'stop', SHARED_DB_DIR]);
  rmSync(SHARED_DB_DIR, { recursive: true, force: true });
  const pgStart = await run('bash', [path.join(ROOT, 'docker', 'postgres.sh'), 'start', SHARED_DB_DIR, '5432'], {
    env: { ...process.env, PG_LISTEN: '10.77.0.1', PG_CLIENTS: '10.77.1.2/32 10.77.2.2/32' },
    timeoutMs: 300_000,
  });
  if (pgStart.code !== 0) throw new Error(`the shared database (exit ${pgStart.code}): ${pgStart.stderr.slice(-1500)}`);
  sharedUrl = pgStart.stdout.trim();
  shared = openPostgres(sharedUrl, { max: 2, application: 'ivr-cluster-test' });
  // the prompts of the cluster's configuration, once for both nodes
  await must('the prompts', run('node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js'), '--prompts-only'], { env: nodeEnv('a'), timeoutMs: 300_000 }));
  await Promise.all(
    (['a', 'b'] as const).map((n) =>
      must(`node ${n}`, inNs(`ivr-cl-${n}`, 'node', [path.join(ROOT, 'dist', 'test', 'integration', 'stack-up.js')], nodeEnv(n, { IVR_TEST_PROMPTS_BUILT: '1' }))),
    ),
  );
  await must(
    'the edge configuration',
    // the operators' credentials from the cluster's roster (seeded by node a, the first node, at its start)
    ivrctlAtEdge('cluster', 'edge-config', '--dir', EDGE_DIR),
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
  await shared?.end();
  await run('bash', [path.join(ROOT, 'docker', 'postgres.sh'), 'stop', SHARED_DB_DIR]);
  rmSync(SHARED_DB_DIR, { recursive: true, force: true });
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
export async function answeredByOn(n: Node, ani: string): Promise<string | undefined> {
  await answeredOn(ani);
  const [row] = await sharedRows<{ op: string | null }>('SELECT answered_by AS op FROM calls WHERE caller = $1 AND node = $2 ORDER BY started_at DESC LIMIT 1', ani, n);
  return row?.op ?? undefined;
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

export interface ConsoleReply {
  status: number;
  body: string;
  location: string | undefined;
  /** the session cookie's value a login set */
  session: string | undefined;
}

/**
 * A browser's request to a node's web console (on the node's loopback, as its reverse proxy
 * would make it): curl in the node's namespace, with the console's own Origin on a form post.
 */
export async function consoleOn(n: Node, pathAndQuery: string, o: { session?: string; form?: Record<string, string> } = {}): Promise<ConsoleReply> {
  const base = 'http://127.0.0.1:8080';
  const args = ['-s', '-D', '-', '--max-time', '10'];
  if (o.session) args.push('-H', `Cookie: ivr_session=${o.session}`);
  if (o.form) {
    args.push('-H', `Origin: ${base}`);
    for (const [k, v] of Object.entries(o.form)) args.push('--data-urlencode', `${k}=${v}`);
  }
  const r = await inNs(`ivr-cl-${n}`, 'curl', [...args, `${base}${pathAndQuery}`], process.env, 15_000);
  if (r.code !== 0) throw new Error(`console on node ${n} ${pathAndQuery}: curl exit ${r.code} ${r.stderr}`);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split);
  return {
    status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1] ?? 0),
    body: r.stdout.slice(split + 4),
    location: /^location: (.*)$/im.exec(head)?.[1]?.trim(),
    session: /^set-cookie: ivr_session=([^;]+);/im.exec(head)?.[1],
  };
}
