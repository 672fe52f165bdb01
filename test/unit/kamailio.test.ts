// The cluster's edge written from the configuration (provisioning/kamailio.ts): each
// directorate's numbers to the dispatcher set of its primary node, the primary first in its
// set, only the carriers as outside callers, the keepalive and failover times; and the
// configuration's rules for the cluster section, each refusal naming its field. Kamailio
// itself runs on these files in test/cluster (make test-cluster).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { renderDirectorateExtensions } from '../../controller/provisioning/asterisk-includes';
import { primaryOf } from '../../controller/config/schema';
import { renderEdge } from '../../controller/provisioning/kamailio';

const root = path.resolve(__dirname, '..', '..', '..');
const fixture = readFileSync(path.join(root, 'test', 'fixtures', 'ivr-cluster.yaml'), 'utf8');
const cfg = (yaml = fixture) => parseConfig(yaml, 'cluster.yaml');

t.test('the dispatcher list: one set per primary node, that node first, the others after', async (t) => {
  const files = renderEdge(cfg(), '/etc/ivr/edge');
  const rows = files['dispatcher.list']
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(' '));
  t.same(rows, [
    ['1', 'sip:10.77.1.2:5060', '0', '100'],
    ['1', 'sip:10.77.2.2:5060', '0', '49'],
    ['2', 'sip:10.77.1.2:5060', '0', '50'],
    ['2', 'sip:10.77.2.2:5060', '0', '100'],
  ]);
});

t.test("kamailio.cfg: the edge's address, each number to its primary's set, carriers only, the times", async (t) => {
  const k = renderEdge(cfg(), '/etc/ivr/edge')['kamailio.cfg'];
  t.match(k, /^listen=udp:10\.77\.0\.1:5060$/m, 'listens on the edge address only');
  t.match(k, /\$sht\(dp=>0611000101\) = 1;/, 'c-one (primary a) to set 1');
  t.match(k, /\$sht\(dp=>0611000102\) = 2;/, 'c-two (primary b) to set 2');
  t.match(k, /if \(!\(\$si == "10\.77\.0\.2"\)\) \{/, 'only the carrier is an outside caller');
  t.match(k, /modparam\("tm", "fr_timer", 1500\)/, 'failoverMs');
  t.match(k, /modparam\("dispatcher", "ds_ping_interval", 1\)/, 'keepaliveSeconds');
  t.match(k, /modparam\("dispatcher", "list_file", "\/etc\/ivr\/edge\/dispatcher\.list"\)/, 'its list beside it');
  t.match(k, /ds_select_dst\("\$var\(set\)", "8"\)/, 'priority order');
  // Kamailio's own time-out of an OPTIONS is a 408: accepting 4xx as an answer would keep a dead node in
  t.notMatch(k, /ds_ping_reply_codes/, 'only a 2xx to OPTIONS keeps a node in');
});

t.test("a node's dialplan in a cluster: a call its controller never took is refused (503) for the edge to pass on", async (t) => {
  const cluster = renderDirectorateExtensions(cfg());
  t.match(cluster, /exten => 0611000101,1,Set\(__IVR_DP=c-one\)[\s\S]*?same => n,Goto\(ivr-fallback-cluster,s,1\)/);
  const box = renderDirectorateExtensions(cfg(fixture.replace(/cluster:[\s\S]*?failoverMs: 1500\n/, '').replace(/ {4}primary: [ab]\n/g, '')));
  t.match(box, /same => n,Goto\(ivr-fallback,s,1\)/, 'one box: the apology');
  t.notMatch(box, /ivr-fallback-cluster/);
  const conf = readFileSync(path.join(root, 'asterisk-config', 'extensions.conf'), 'utf8');
  t.match(
    conf,
    /\[ivr-fallback-cluster\]\nexten => s,1,GotoIf\(\$\["\$\{CHANNEL\(state\)\}" = "Up"\]\?ivr-fallback,s,1\)[\s\S]*?Hangup\(34\)/,
    'answered: the apology; not answered: cause 34 (503)',
  );
});

t.test("a directorate without a primary is the first node's; the cluster section's mistakes name their field", async (t) => {
  const c = cfg(fixture.replace('    primary: b\n', ''));
  t.equal(primaryOf(c.cluster!, c.directorates[1]!), 'a');
  t.match(renderEdge(c, '/x')['kamailio.cfg'], /\$sht\(dp=>0611000102\) = 1;/);
  t.throws(() => cfg(fixture.replace('primary: b', 'primary: z')), /directorates\[1\]\.primary: unknown node "z"/);
  t.throws(() => cfg(fixture.replace('- { id: b, address: 10.77.2.2 }', '- { id: a, address: 10.77.2.2 }')), /cluster\.nodes\[1\]\.id: duplicate node id "a"/);
  t.throws(() => cfg(fixture.replace(/\n {4}- \{ id: b, address: 10\.77\.2\.2 \}/, '')), /cluster\.nodes: .*at least two nodes/);
  t.throws(() => cfg(fixture.replace('carriers: [10.77.0.2]', 'carriers: [carrier.example]')), /cluster\.edge\.carriers\[0\]: expected an IPv4 address/);
  const single = fixture.replace(/cluster:[\s\S]*?failoverMs: 1500\n/, '');
  t.throws(() => cfg(single), /directorates\[0\]\.primary: only with a cluster section/);
  t.throws(() => renderEdge(cfg(single.replace(/ {4}primary: [ab]\n/g, '')), '/x'), /no cluster section/);
});
