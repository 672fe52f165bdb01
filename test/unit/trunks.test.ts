// The carriers' trunks and Asterisk's SIP side, from the configuration: validation that names
// the field, the PJSIP sections and dialplan contexts they become, passwords read from a
// file or the environment (never from the configuration), and the number formats.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../controller/config/load';
import { LOOPBACK_TRUNK, trunkOf } from '../../controller/config/schema';
import { renderDirectorateExtensions } from '../../controller/provisioning/asterisk-includes';
import { renderRtpPorts, renderTransports, renderTrunks, trunkPassword } from '../../controller/provisioning/trunks';
import { formatForTrunk, inboundForms, trunkDialString } from '../../controller/telephony/trunk-numbers';
import { nationalFromCallerId } from '../../controller/numbering/numbering-plan';
import { ConfigError } from '../../controller/errors';

const root = path.resolve(__dirname, '..', '..', '..');

const dp = (id: string, number: string, extra = ''): string => `
  - id: ${id}
    name: Alfa
    numbers: ["${number}"]
    case: staff
    ringsBeforeCallback: 2
    hours: { weekly: { mon: "09:00-13:00" } }${extra}`;

const cfg = (top: string, dps = dp('dp-a', '0612345678')): string => `${top}\ndirectorates:${dps}\n`;

const error = (yaml: string): string => {
  try {
    parseConfig(yaml, 'x.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return '';
};

t.test("without trunks: the demo's loopback trunk at 127.0.0.2; the demo writes the same one", async (t) => {
  const c = parseConfig(cfg(''), 'x.yaml');
  t.same(c.trunks, [LOOPBACK_TRUNK]);
  t.same(c.sip, { bind: '127.0.0.1', port: 5060, localNets: [], rtpPorts: { start: 10000, end: 20000 } });
  const demo = loadConfig(path.join(root, 'config', 'demo.yaml'));
  t.same(demo.trunks, [LOOPBACK_TRUNK], 'config/demo.yaml states the loopback trunk explicitly');
  t.same(trunkOf(demo, demo.directorates[0]!), LOOPBACK_TRUNK, 'a directorate without trunk uses the first');
});

t.test('bad trunks and SIP settings are refused, naming the field', async (t) => {
  t.match(error(cfg('trunks:\n  - { id: c1, type: sip, host: 203.0.113.5 }')), /trunks\[0\]\.type/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: "evil;host" }')), /trunks\[0\]\.host: expected a host name or an IPv4 address/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: sip.carrier.example }')), /trunks\[0\]\.match: required when host is a name/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: 203.0.113.5, match: [203.0.113.0/33] }')), /trunks\[0\]\.match\[0\]: expected an IPv4 network/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: registration, host: 203.0.113.5 }')), /trunks\[0\]\.auth: required for a registration trunk/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: 203.0.113.5, auth: { username: u } }')), /trunks\[0\]\.auth: exactly one of passwordFile or passwordEnv/);
  t.match(
    error(cfg('trunks:\n  - { id: c1, type: ip, host: 203.0.113.5, auth: { username: u, password: secret } }')),
    /trunks\[0\]\.auth: Unrecognized key.*password/i,
    'a password in the file itself is refused',
  );
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: 203.0.113.5, transport: tls }')), /trunks\[0\]\.transport: tls needs sip\.tls/);
  t.match(error(cfg('trunks:\n  - { id: c1, type: ip, host: 203.0.113.5 }\n  - { id: c1, type: ip, host: 203.0.113.6 }')), /trunks\[1\]\.id: duplicate trunk id "c1"/);
  t.match(error(cfg('', dp('dp-a', '0612345678', '\n    trunk: nowhere'))), /directorates\[0\]\.trunk: unknown trunk "nowhere"/);
  t.match(error(cfg('sip: { rtpPorts: { start: 20000, end: 10000 } }')), /sip\.rtpPorts: end must be above start/);
  t.match(error(cfg('sip: { externalAddress: my.public.host }')), /sip\.externalAddress: expected an IPv4 address/);
  t.match(
    error(cfg('operators:\n  - { id: trunk-auth, dp: dp-a, role: staff }')),
    /operators\[0\]\.id: "trunk-auth" is taken by the trunk "trunk"/,
    "a seeded operator cannot take a trunk's PJSIP names either",
  );
});

t.test('a password file is read relative to the configuration; an environment variable works too; neither is ever in the output by accident', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ivr-trunk-'));
  writeFileSync(path.join(dir, 'carrier.password'), 's3cret-Pw\n');
  const file = path.join(dir, 'ivr.yaml');
  writeFileSync(
    file,
    cfg(
      [
        'trunks:',
        '  - { id: reg1, type: registration, host: 203.0.113.5, transport: tcp, auth: { username: dp-roma, passwordFile: carrier.password, realm: carrier.example } }',
        '  - { id: ip1, type: ip, host: sip.carrier.example, port: 5080, match: [198.51.100.0/24], numberFormat: e164, pai: true, dtmf: info, codecs: [alaw], auth: { username: out1, passwordEnv: IVR_TEST_TRUNK_PW } }',
      ].join('\n'),
      dp('dp-a', '0612345678') + dp('dp-b', '0287654321', '\n    trunk: ip1'),
    ),
  );
  const c = loadConfig(file);
  t.equal(c.trunks[0]!.auth!.passwordFile, path.join(dir, 'carrier.password'), 'resolved against the config file');
  t.throws(() => renderTrunks(c, {}), /trunks\[1\]\.auth\.passwordEnv: IVR_TEST_TRUNK_PW is not set/);
  t.throws(() => trunkPassword(c.trunks[1]!, 1, { IVR_TEST_TRUNK_PW: 'has space' }), /password is empty or has spaces/);
  const out = renderTrunks(c, { IVR_TEST_TRUNK_PW: 'env-Pw-1' });
  // the registration trunk: endpoint, aor, identify by the registrar's address, auth, registration
  t.match(out, /\[reg1\]\(ivr-media\)\ntype = endpoint\ntransport = transport-tcp\ncontext = from-trunk-reg1\n/);
  t.match(out, /\[reg1\]\ntype = aor\ncontact = sip:203\.0\.113\.5:5060;transport=tcp\n/);
  t.match(out, /\[reg1\]\ntype = identify\nendpoint = reg1\nmatch = 203\.0\.113\.5\n/);
  t.match(out, /\[reg1-auth\]\ntype = auth\nauth_type = userpass\nusername = dp-roma\npassword = s3cret-Pw\nrealm = carrier\.example\n/);
  t.match(
    out,
    /\[reg1-reg\]\ntype = registration\ntransport = transport-tcp\noutbound_auth = reg1-auth\nserver_uri = sip:203\.0\.113\.5:5060;transport=tcp\nclient_uri = sip:dp-roma@203\.0\.113\.5:5060\n/,
  );
  // the IP trunk: its networks, E.164 with PAI, INFO DTMF, one codec, outbound auth on INVITEs
  t.match(out, /\[ip1\]\(ivr-media\)[^[]*allow = alaw\ndtmf_mode = info\n[^[]*send_pai = yes\n[^[]*trust_id_outbound = yes\n[^[]*outbound_auth = ip1-auth\n/);
  t.match(out, /\[ip1\]\ntype = identify\nendpoint = ip1\nmatch = 198\.51\.100\.0\/24\n/);
  t.match(out, /password = env-Pw-1\n/);
  t.notMatch(out, /\[ip1-reg\]/, 'no registration for an IP trunk');
  // each trunk's context holds only its directorates' numbers, in every form
  const ext = renderDirectorateExtensions(c);
  const context = (id: string): string => ext.slice(ext.indexOf(`[ivr-trunk-${id}]`)).split('\n\n')[0]!;
  t.same(context('reg1').split('\n').slice(1), [
    'exten => 0612345678,1,Goto(ivr-directorates,0612345678,1)',
    'exten => +390612345678,1,Goto(ivr-directorates,0612345678,1)',
    'exten => 00390612345678,1,Goto(ivr-directorates,0612345678,1)',
  ]);
  t.notMatch(context('ip1'), /0612345678/, "dp-a's number does not exist on ip1");
  t.match(context('ip1'), /exten => \+390287654321,1,Goto\(ivr-directorates,0287654321,1\)/);
  t.match(ext, /\[from-trunk-ip1\]\ninclude => ivr-trunk-ip1\ninclude => ivr-bench\ninclude => ivr-unknown-number\n/);
  t.notMatch(ext, /Dial\(/, 'no Dial() anywhere a trunk reaches');
});

t.test('transports: loopback by default; behind NAT the external address and local networks; tcp when a trunk uses it; the RTP range', async (t) => {
  const plain = renderTransports(parseConfig(cfg(''), 'x.yaml'));
  t.match(plain, /\[transport-udp\]\ntype = transport\nprotocol = udp\nbind = 127\.0\.0\.1:5060\n\n/);
  t.match(plain, /\[ivr-media\]\(!\)\nmedia_address = 127\.0\.0\.1\nbind_rtp_to_media_address = yes\n/);
  t.notMatch(plain, /external|transport-tcp/);
  const nat = parseConfig(
    cfg(
      'sip: { bind: 0.0.0.0, externalAddress: 203.0.113.10, localNets: [192.168.10.0/24], rtpPorts: { start: 16000, end: 16999 } }\ntrunks:\n  - { id: c1, type: ip, host: 203.0.113.5, transport: tcp }',
    ),
    'x.yaml',
  );
  const out = renderTransports(nat);
  t.match(
    out,
    /\[transport-udp\]\ntype = transport\nprotocol = udp\nbind = 0\.0\.0\.0:5060\nexternal_media_address = 203\.0\.113\.10\nexternal_signaling_address = 203\.0\.113\.10\nlocal_net = 192\.168\.10\.0\/24\n/,
  );
  t.match(out, /\[transport-tcp\]\ntype = transport\nprotocol = tcp\nbind = 0\.0\.0\.0:5060\nexternal_media_address = 203\.0\.113\.10/);
  t.match(out, /\[ivr-media\]\(!\)\n$/, 'on 0.0.0.0 no media address is forced');
  t.equal(renderRtpPorts(nat).split('\n').slice(1).join('\n'), 'rtpstart = 16000\nrtpend = 16999\n');
});

t.test('number formats: national or E.164 out; national, +39 and 0039 in', async (t) => {
  const e164 = { ...LOOPBACK_TRUNK, id: 'c1', numberFormat: 'e164' as const };
  t.equal(formatForTrunk(LOOPBACK_TRUNK, '0612345678'), '0612345678');
  t.equal(formatForTrunk(e164, '3471234567'), '+393471234567');
  t.equal(trunkDialString(LOOPBACK_TRUNK, '3471234567'), 'PJSIP/3471234567@trunk');
  t.equal(trunkDialString(e164, '0612345678'), 'PJSIP/+390612345678@c1');
  t.same(inboundForms('0612345678'), ['0612345678', '+390612345678', '00390612345678']);
  for (const [raw, national] of [
    ['+393471234567', '3471234567'],
    ['00393471234567', '3471234567'],
    ['3471234567', '3471234567'],
    ['+390612345678', '0612345678'],
    ['00390612345678', '0612345678'],
  ] as const)
    t.equal(nationalFromCallerId(raw), national, `${raw} arrives as ${national}`);
});
