// The cluster's edge written from the configuration (provisioning/kamailio.ts): each
// directorate's numbers to the dispatcher set of its primary node, the primary first in its
// set, only the carriers as outside callers, the keepalive and failover times; and the
// configuration's rules for the cluster section, each refusal naming its field; operators
// registering through the edge (their HA1 checked there, the REGISTER forked to every node
// with a Path) and what a node makes of them. Kamailio itself runs on these files in
// test/cluster (make test-cluster).
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../controller/config/load';
import { digestHa1, renderDirectorateExtensions, renderPjsipOperators } from '../../controller/provisioning/asterisk-includes';
import { renderTransports } from '../../controller/provisioning/trunks';
import type { OperatorRow } from '../../controller/storage/operators-repo';
import { primaryOf } from '../../controller/config/schema';
import { clusterNode, resolveEnvironment } from '../../controller/environment';
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
  t.throws(() => cfg(fixture.replace('dispatcherPollSeconds: 1', 'dispatcherPollSeconds: 2')), /cluster\.leaseSeconds: at least twice timing\.dispatcherPollSeconds \(2 s\)/);
  t.equal(cfg().cluster!.leaseSeconds, 3, "the fixture's lease");
  t.equal(cfg(fixture.replace(/ +leaseSeconds: .*\n/, '')).cluster!.leaseSeconds, 15, 'a lease of 15 s by default');
  t.throws(() => cfg(single), /directorates\[0\]\.primary: only with a cluster section/);
  t.throws(() => renderEdge(cfg(single.replace(/ {4}primary: [ab]\n/g, '')), '/x'), /no cluster section/);
});

t.test("operators through the edge: Kamailio checks the HA1, forks the REGISTER to every node with a Path, follows a node's Path to the phone", async (t) => {
  const ha1 = digestHa1('cl1', 'secret');
  const k = renderEdge(cfg(), '/x', [
    { id: 'cl1', ha1 },
    { id: 'bad"id', ha1 },
    { id: 'cl2', ha1: 'not-an-ha1' },
  ])['kamailio.cfg'];
  t.match(k, `$sht(ha1=>cl1) = "${ha1}";`, "the operator's HA1 (realm ivr, as on one box)");
  t.notMatch(k, /bad"id|not-an-ha1/, 'an id or an HA1 that is not plain is left out, never written into the script');
  t.match(k, /pv_auth_check\("ivr", "\$sht\(ha1=>\$au\)", "1", "1"\)/, 'the password checked against the HA1, the user against To');
  t.match(k, /auth_challenge\("ivr", "1"\)/, 'challenged otherwise (401)');
  t.match(k, /append_hf\("X-IVR-Operator: \$au\\r\\n"\)/, 'the checked user named to the nodes');
  t.match(k, /remove_hf\("X-IVR-Operator"\);[\s\S]*if \(is_method\("REGISTER"\)\)/, 'and that header removed from every request before');
  t.match(k, /add_path_received\(\)/, 'a Path with the phone address');
  t.match(k, /\$ru = "sip:10\.77\.1\.2:5060";\n\s+append_branch\("sip:10\.77\.2\.2:5060"\);\n\s+route\(RELAY\);/, 'the REGISTER to both nodes at once');
  t.match(
    k,
    /if \(\$si == "10\.77\.1\.2" \|\| \$si == "10\.77\.2\.2"\) \{\n\s+if \(\$\(hdr\(Route\)\{nameaddr\.uri\}\{uri\.host\}\) == "10\.77\.0\.1"\)/,
    "a node's request along a Path: to the phone",
  );
  t.match(k, /\$du = \$var\(phone\);\n\s+if \(is_method\("INVITE"\)\) record_route\(\);/, "at the phone's address, the edge staying on the dialog");
});

t.test("an operator's own call through the edge: challenged (407) against the HA1, the From's user being the one checked, then to its directorate's nodes", async (t) => {
  const ha1 = digestHa1('cl1', 'secret');
  const k = renderEdge(cfg(), '/x', [
    { id: 'cl1', ha1, dp: 'c-two' },
    { id: 'cl4', ha1, dp: 'c-one' },
    { id: 'cl9', ha1, dp: 'gone' },
    { id: 'cl8', ha1 },
  ])['kamailio.cfg'];
  t.match(k, /\$sht\(opset=>cl1\) = 2;\n\s+\$sht\(opset=>cl4\) = 1;\n\}/, "each operator's calls go to their directorate's set (c-two: b first; c-one: a first)");
  t.notMatch(k, /opset=>cl[89]/, 'an operator of no known directorate has none: their calls go nowhere');
  const request = k.slice(k.indexOf('request_route {'), k.indexOf("# an operator's phone: the password checked here"));
  t.ok(
    request.indexOf('if (is_method("INVITE") && $sht(opset=>$fU) != $null) route(OPERATOR_CALL);') < request.indexOf('# only the carriers are outside callers'),
    "an INVITE from an operator is taken before the carriers' check",
  );
  const route = k.slice(k.indexOf('route[OPERATOR_CALL] {'), k.indexOf("# a node's call to a caller"));
  t.match(
    route,
    /if \(\$au == \$null \|\| \$au != \$fU \|\| !pv_auth_check\("ivr", "\$sht\(ha1=>\$au\)", "1", "1"\)\) \{\n\s+auth_challenge\("ivr", "1"\);\n\s+exit;/,
    'no credentials, another user than the From, a wrong password: challenged',
  );
  t.match(route, /consume_credentials\(\);\n\s+append_hf\("X-IVR-Operator: \$au\\r\\n"\);/, 'the checked operator named to the node, the credentials not passed on');
  t.match(
    route,
    /ds_select_dst\("\$sht\(opset=>\$au\)", "8"\)[\s\S]*record_route\(\);\n\s+t_on_failure\("NEXT_NODE"\);/,
    'primary first, the next node on no reply, the edge staying on the dialog',
  );
});

t.test("a node's call to a number goes out to the carriers in their order, the next on no reply or an error; nothing else from a node", async (t) => {
  const k = renderEdge(cfg(fixture.replace('carriers: [10.77.0.2]', 'carriers: [10.77.0.2, 10.77.0.3]')), '/x')['kamailio.cfg'];
  t.match(
    k,
    /if \(is_method\("INVITE"\) && \$rU =~ "\^\[\+\]\?\[0-9\]\{3,16\}\$"\) \{\n\s+record_route\(\);\n\s+\$avp\(carrier\) = 0;/,
    'an INVITE to a number, the edge on its dialog',
  );
  t.match(k, /case 0:\n\s+\$du = "sip:10\.77\.0\.2:5060";[\s\S]*case 1:\n\s+\$du = "sip:10\.77\.0\.3:5060";[\s\S]*default:\n\s+t_reply\("503"/, 'the carriers in order, then 503');
  t.match(k, /failure_route\[NEXT_CARRIER\] \{[\s\S]*t_branch_timeout\(\) \|\| t_check_status\("5\[0-9\]\[0-9\]"\)\) route\(TO_CARRIER\);/, 'the next one on a time-out or a 5xx');
  t.match(k, /no route along a Path, no number[^\n]*\n\s+sl_send_reply\("404"/, 'anything else a node sends outside a dialog is refused');
});

t.test("a node's operators in a cluster: recognised by the edge's header, no password of their own, the Path kept; SIP from the edge only", async (t) => {
  const op = { id: 'cl1', dp: 'c-one', role: 'staff', unit: null, ha1: digestHa1('cl1', 'secret'), paused: false } as unknown as OperatorRow;
  const box = renderPjsipOperators([op]);
  t.match(box, /\[cl1\]\(operator-endpoint\)\nauth = cl1-auth/, 'one box: digest auth');
  t.notMatch(box, /match_header|support_path/);
  const node = renderPjsipOperators([op], cfg().cluster);
  t.notMatch(node, /auth = |md5_cred/, 'a node: no password (the edge checked it)');
  t.match(node, /\[cl1-edge\]\ntype = identify\nendpoint = cl1\nmatch_header = X-IVR-Operator: cl1\n/, "recognised by the edge's header");
  t.match(node, /\[cl1\]\(operator-endpoint\)\nrewrite_contact = no/, 'the contact kept as the phone gave it');
  t.match(node, /\[cl1\]\(operator-aor\)\nsupport_path = yes/, 'its Path kept: the node rings it through the edge');
  const pjsip = readFileSync(path.join(root, 'asterisk-config', 'pjsip.conf'), 'utf8');
  t.match(pjsip, /^endpoint_identifier_order = header,ip,username$/m, "the edge's header before the trunk's address, which is the edge's too");
  t.match(
    renderTransports(cfg()),
    /\[edge-only\]\ntype = acl\ndeny = 0\.0\.0\.0\/0\.0\.0\.0\npermit = 10\.77\.0\.1\/32\npermit = 127\.0\.0\.1\/32\n/,
    'a node takes SIP from the edge only',
  );
  t.notMatch(renderTransports(cfg(fixture.replace(/cluster:[\s\S]*?failoverMs: 1500\n/, '').replace(/ {4}primary: [ab]\n/g, ''))), /type = acl/, 'one box: no ACL');
  const modules = readFileSync(path.join(root, 'asterisk-config', 'modules.conf'), 'utf8');
  for (const m of ['res_pjsip_path.so', 'res_pjsip_acl.so'])
    t.match(modules, new RegExp(`^load = ${m.replace('.', '\\.')}$`, 'm'), `${m} loaded (without it the setting is silently ignored)`);
});

t.test("IVR_NODE names this controller's node: required in a cluster, one of its nodes; nothing on one box", async (t) => {
  const cluster = cfg().cluster;
  const env = (node?: string) => resolveEnvironment(node ? { IVR_NODE: node } : {});
  t.equal(clusterNode(env('b'), cluster), 'b');
  t.throws(() => clusterNode(env(), cluster), /^IVR_NODE: unset: not a node of the configuration's cluster \(a, b\); set it to this node's id$/);
  t.throws(() => clusterNode(env('c'), cluster), /^IVR_NODE: "c" is not a node of the configuration's cluster \(a, b\)/);
  t.equal(clusterNode(env('a'), undefined), undefined, 'one box: no node, whatever IVR_NODE says');
});
