// The SIP side written from the configuration: Asterisk's transports (where it listens and,
// behind NAT, what it tells the carrier), the carriers' trunks (endpoint, address, identify,
// outbound auth and registration), the RTP port range, and the number formats a trunk uses.
// Pure renderers, like asterisk-includes.ts; passwords come from the files or environment
// variables the configuration names, never from the configuration itself.
import { readFileSync } from 'node:fs';
import { trunkOf, type Config, type Trunk } from '../config/schema';
import { ConfigError } from '../errors';

const HEADER = '; generated from the configuration by the controller / ivrctl: do not edit';

/** The password a trunk's auth names: the first line of its file, or its environment variable. */
export function trunkPassword(tr: Trunk, index: number, env: NodeJS.ProcessEnv = process.env): string {
  const auth = tr.auth!;
  let value: string | undefined;
  if (auth.passwordFile) {
    try {
      value = readFileSync(auth.passwordFile, 'utf8').split('\n')[0]?.trim();
    } catch (err) {
      throw new ConfigError(`trunks[${index}].auth.passwordFile: cannot read ${auth.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else {
    value = env[auth.passwordEnv!];
    if (value === undefined) throw new ConfigError(`trunks[${index}].auth.passwordEnv: ${auth.passwordEnv} is not set`);
  }
  // written into pjsip.conf: one line, no comment or section characters
  if (!value || /[\s;[\]"\\]/.test(value)) throw new ConfigError(`trunks[${index}].auth: the password is empty or has spaces, ";", "[", "]", quotes or backslashes`);
  return value;
}

/** transports, and the template every endpoint takes its media address from */
export function renderTransports(config: Config): string {
  const sip = config.sip;
  const nat = sip.externalAddress
    ? [`external_media_address = ${sip.externalAddress}`, `external_signaling_address = ${sip.externalAddress}`, ...sip.localNets.map((n) => `local_net = ${n}`)]
    : [];
  const out = [HEADER, ''];
  const transport = (name: string, protocol: string, port: number, extra: string[] = []): void => {
    out.push(`[${name}]`, 'type = transport', `protocol = ${protocol}`, `bind = ${sip.bind}:${port}`, ...nat, ...extra, '');
  };
  transport('transport-udp', 'udp', sip.port);
  const used = new Set(config.trunks.map((x) => x.transport));
  if (used.has('tcp')) transport('transport-tcp', 'tcp', sip.port);
  if (used.has('tls') && sip.tls) {
    transport('transport-tls', 'tls', sip.port + 1, [
      `cert_file = ${sip.tls.certFile}`,
      `priv_key_file = ${sip.tls.keyFile}`,
      ...(sip.tls.caFile ? [`ca_list_file = ${sip.tls.caFile}`] : []),
      'method = tlsv1_2',
      'verify_server = yes',
    ]);
  }
  // a cluster's node takes SIP from the edge only (and from its own host): carriers and phones
  // reach it through Kamailio, which checked them
  if (config.cluster) out.push('[edge-only]', 'type = acl', 'deny = 0.0.0.0/0.0.0.0', `permit = ${config.cluster.edge.address}/32`, 'permit = 127.0.0.1/32', '');
  // media on the address Asterisk listens on (loopback in the demo); on 0.0.0.0, the kernel's choice
  out.push('[ivr-media](!)', ...(sip.bind === '0.0.0.0' ? [] : [`media_address = ${sip.bind}`, 'bind_rtp_to_media_address = yes']), '');
  return out.join('\n');
}

export function renderTrunks(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const out = [HEADER, ''];
  config.trunks.forEach((tr, i) => {
    const uri = `sip:${tr.host}:${tr.port}${tr.transport === 'udp' ? '' : `;transport=${tr.transport}`}`;
    const auth = tr.auth ? `${tr.id}-auth` : undefined;
    const dps = config.directorates.filter((d) => trunkOf(config, d).id === tr.id).map((d) => d.id);
    out.push(
      `; ${tr.type} trunk "${tr.id}" to ${tr.host}:${tr.port}/${tr.transport}: directorates ${dps.join(', ') || '(none)'}`,
      // its context reaches only its directorates' numbers (extensions-directorates.conf)
      `[${tr.id}](ivr-media)`,
      'type = endpoint',
      `transport = transport-${tr.transport}`,
      `context = from-trunk-${tr.id}`,
      'disallow = all',
      `allow = ${tr.codecs.join(',')}`,
      `dtmf_mode = ${tr.dtmf}`,
      'direct_media = no',
      'rtp_symmetric = no',
      `send_pai = ${tr.pai ? 'yes' : 'no'}`,
      // no connected-line re-INVITEs/UPDATEs towards the public network when a call is bridged
      'send_connected_line = no',
      'trust_id_inbound = no',
      `trust_id_outbound = ${tr.pai ? 'yes' : 'no'}`,
      'tone_zone = it',
      'language = it',
      `aors = ${tr.id}`,
      ...(auth ? [`outbound_auth = ${auth}`] : []),
      '',
      `[${tr.id}]`,
      'type = aor',
      `contact = ${uri}`,
      '',
      `[${tr.id}]`,
      'type = identify',
      `endpoint = ${tr.id}`,
      ...(tr.match.length > 0 ? tr.match : [tr.host]).map((m) => `match = ${m}`),
      '',
    );
    if (tr.auth) {
      out.push(
        `[${auth}]`,
        'type = auth',
        'auth_type = userpass',
        `username = ${tr.auth.username}`,
        `password = ${trunkPassword(tr, i, env)}`,
        ...(tr.auth.realm ? [`realm = ${tr.auth.realm}`] : []),
        '',
      );
    }
    if (tr.type === 'registration') {
      out.push(
        `[${tr.id}-reg]`,
        'type = registration',
        `transport = transport-${tr.transport}`,
        `outbound_auth = ${auth}`,
        `server_uri = ${uri}`,
        `client_uri = sip:${tr.auth!.username}@${tr.host}:${tr.port}`,
        `contact_user = ${tr.auth!.username}`,
        `expiration = ${tr.registration.expirationSeconds}`,
        `retry_interval = ${tr.registration.retrySeconds}`,
        'forbidden_retry_interval = 600',
        'max_retries = 10000',
        '',
      );
    }
  });
  return out.join('\n');
}

export function renderRtpPorts(config: Config): string {
  return `${HEADER}\nrtpstart = ${config.sip.rtpPorts.start}\nrtpend = ${config.sip.rtpPorts.end}\n`;
}
