// Benchmark: the cluster's edge (run by test/bench/run.sh in the edge's namespace of
// test/cluster/net.sh, the nodes started from the cluster's configuration):
//  - capacity: the short IVR's calls placed N at a time, N raised until the first failed call,
//    through Kamailio to node a, and in the same run straight to node a's Asterisk (SIPp at
//    the edge's address, which node a takes for its trunk); the ratio is what the edge costs;
//  - failover: node a's Asterisk and controller killed (SIGKILL), a call to its directorate
//    every 250 ms: from the start of the kill to the first answered by node b, and that
//    caller's own wait from its INVITE; node a restarted after.
//   node dist/test/bench/cluster.js [max-level]
import '../cluster/cluster-env';
import { callIvr } from '../integration/harness';
import { writeCallerScenario } from '../integration/scenarios';
import { answeredOn, CARRIER, downCluster, EDGE, inviteToAnswerMs, killNode, NUMBER, restartNode, upCluster } from '../cluster/cluster-kit';
import { figure } from './figure';
import { loadStats, sippLoad } from './load';

const MAX = Number(process.argv[2] ?? 400);
const LEVELS = [10, 25, 50, 100, 150, 200, 300, 400, 600, 800].filter((n) => n <= MAX);
/** node a's Asterisk, and the edge's own address as the straight way's callers (node a's one trunk) */
const NODE_A = '10.77.1.2:5060';
const EDGE_IP = '10.77.0.1';

let seq = 0;
async function level(way: 'edge' | 'straight', n: number): Promise<{ ok: number; failed: number }> {
  const id = `bench-cluster-${process.pid}-${++seq}`;
  const res = await sippLoad({
    id,
    scenario: '/scen/bench-cluster-caller.xml',
    port: 5300,
    target: NUMBER.a,
    calls: n,
    rate: Math.max(5, Math.ceil(n / 2)),
    limit: n,
    timeoutS: Math.max(120, Math.ceil(n / 2) + 120),
    recvTimeoutMs: 15_000,
    extra: ['-trace_stat', '-fd', '1', '-trace_err'],
    graceS: 30,
    ip: way === 'edge' ? CARRIER : EDGE_IP,
    remote: way === 'edge' ? EDGE : NODE_A,
  });
  return loadStats(id, n, res.code);
}

async function main(): Promise<void> {
  await upCluster();
  try {
    // welcome + menu, "1", the offer for 3 s, hang up (as capacity.ts's short IVR)
    writeCallerScenario('bench-cluster-caller', [{ pause: 2500 }, { keys: '1' }, { pause: 3060 }, { hangup: true }], { load: true });
    const capacity = { edge: 0, straight: 0 };
    for (const way of ['edge', 'straight'] as const) {
      for (const n of LEVELS) {
        const r = await level(way, n);
        process.stdout.write(`  ${way} ${n} at once: ${r.ok} ok, ${r.failed} failed\n`);
        if (r.failed > 0 || r.ok < n) break;
        capacity[way] = n;
      }
    }
    console.log(`cluster: short IVR calls at once with none failed, through the edge ${capacity.edge}, straight to the node ${capacity.straight}`);
    figure(
      'calls at once through Kamailio / straight to one Asterisk (same node, same run)',
      `${capacity.edge} / ${capacity.straight} (ratio ${(capacity.edge / Math.max(1, capacity.straight)).toFixed(2)})`,
      `ratio >= 0.9 (levels up to ${LEVELS.at(-1)})`,
    );

    const killedAt = Date.now();
    await killNode('a');
    let answered: { at: number; waitMs: number } | undefined;
    for (let i = 0; !answered && Date.now() - killedAt < 30_000; i++) {
      const ani = `06129000${String(i).padStart(2, '0')}`;
      const r = await callIvr({ number: NUMBER.a, ani, rtpPort: 49900 + 2 * (i % 50), ip: CARRIER, remote: EDGE, steps: [{ pause: 200 }, { hangup: true }], timeoutMs: 20_000 });
      const on = await answeredOn(ani);
      if (r.code === 0 && on?.node === 'b') answered = { at: on.answeredAt, waitMs: inviteToAnswerMs(r) };
      else await new Promise((res) => setTimeout(res, 250));
    }
    await restartNode('a');
    const failoverMs = answered ? answered.at - killedAt : NaN;
    console.log(`cluster failover: node a killed -> its directorate answered by node b ${failoverMs} ms after the kill began (that caller waited ${answered?.waitMs} ms)`);
    figure('failover: a node killed -> its directorate answered by the other', `${failoverMs} ms from the kill (the caller ${answered?.waitMs} ms from its INVITE)`, '< 5000 ms');
  } finally {
    await downCluster();
  }
}

main().catch((err: Error) => {
  console.error(`cluster bench: ${err.message}`);
  process.exit(1);
});
