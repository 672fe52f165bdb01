// Renders the Asterisk include files that depend on data: the operators' PJSIP endpoints
// (from the database) and the directorates' numbers (from the configuration). Pure: the
// caller writes them (provisioning/provisioner.ts) and reloads Asterisk.
import { createHash } from 'node:crypto';
import { trunkOf, type Cluster, type Config } from '../config/schema';
import type { OperatorRow } from '../storage/operators-repo';
import { inboundForms } from '../telephony/trunk-numbers';

/** Digest realm of every operator account (pjsip.conf [operator-auth] realm). */
export const SIP_REALM = 'ivr';

/** HA1 of RFC 2617 digest auth: what Asterisk's auth_type=md5 stores instead of the password. */
export const digestHa1 = (user: string, password: string, realm = SIP_REALM): string => createHash('md5').update(`${user}:${realm}:${password}`).digest('hex');

/** the header the cluster's edge puts on an operator's REGISTER once it has checked the password */
export const EDGE_OPERATOR_HEADER = 'X-IVR-Operator';

/**
 * asterisk.conf's [options] of this installation. In a cluster the node's id prefixes every
 * channel's unique id ("a-1796039828.0"): the unique ids of two Asterisks started in the same
 * second are otherwise the same, and a call's id is its row's key in the shared database.
 */
export function renderAsteriskOptions(node: string | undefined): string {
  return node ? `; generated: node ${node} of the cluster\nsystemname = ${node}\n` : '; generated: one box, no system name\n';
}

/**
 * One box: each phone registers here with its digest password. In a cluster the phones
 * register through the edge (Kamailio), which checks the password and passes the REGISTER to
 * every node with a Path, so that each node rings the phone through the edge: a node then
 * recognises the operator by the header the edge added (and removes from everything else),
 * and keeps the Path instead of rewriting the contact to the edge's address.
 */
export function renderPjsipOperators(ops: readonly OperatorRow[], cluster?: Cluster): string {
  const out = ['; generated from the operators table by the controller / ivrctl: do not edit', ''];
  for (const op of ops) {
    out.push(`; ${op.role} of ${op.dp}${op.unit ? ` (unit ${op.unit})` : ''}`, `[${op.id}](operator-endpoint)`);
    if (cluster) out.push('rewrite_contact = no');
    else out.push(`auth = ${op.id}-auth`);
    out.push(`aors = ${op.id}`, `callerid = "${op.id}" <${op.id}>`, `set_var = IVR_OPERATOR=${op.id}`, '');
    if (cluster) out.push(`[${op.id}-edge]`, 'type = identify', `endpoint = ${op.id}`, `match_header = ${EDGE_OPERATOR_HEADER}: ${op.id}`, '');
    else out.push(`[${op.id}-auth](operator-auth)`, `username = ${op.id}`, `md5_cred = ${op.ha1}`, '');
    out.push(`[${op.id}](operator-aor)`, ...(cluster ? ['support_path = yes'] : []), '');
  }
  return out.join('\n');
}

/** Operators may call a colleague by id from their phone ([operator-dial] in extensions.conf). */
export function renderColleagueExtensions(ops: readonly OperatorRow[]): string {
  const out = ['; generated from the operators table by the controller / ivrctl: do not edit', '[ivr-colleagues]'];
  for (const op of ops) out.push(`exten => ${op.id},1,Dial(PJSIP/${op.id},30)`, ' same => n,Hangup()');
  return out.join('\n') + '\n';
}

export function renderDirectorateExtensions(config: Config): string {
  const app = config.asterisk.app;
  const out = ['; generated from the configuration by the controller / ivrctl: do not edit', '[ivr-directorates]'];
  for (const dp of config.directorates) {
    for (const number of dp.numbers) {
      out.push(
        `; ${dp.id}: Direzione Provinciale di ${dp.name}`,
        `exten => ${number},1,Set(__IVR_DP=${dp.id})`,
        ` same => n,Set(CHANNEL(tonezone)=it)`,
        // Stasis returns only when the app is not connected (STASISSTATUS=FAILED) or the
        // controller hands the call back: both end in the apology; in a cluster, a call the
        // controller never took is refused instead (503), and the edge gives it to another node
        ` same => n,Stasis(${app},inbound,${dp.id})`,
        ` same => n,Goto(${config.cluster ? 'ivr-fallback-cluster' : 'ivr-fallback'},s,1)`,
      );
    }
  }
  // each trunk's context: only the numbers of the directorates on that trunk, in every form a
  // carrier may send them (national, +39…, 0039…); any other number is unallocated (404), so
  // a caller can never reach another trunk's directorate, a bench or an outbound call
  for (const tr of config.trunks) {
    out.push('', `[from-trunk-${tr.id}]`, `include => ivr-trunk-${tr.id}`, 'include => ivr-bench', 'include => ivr-unknown-number', '', `[ivr-trunk-${tr.id}]`);
    for (const dp of config.directorates.filter((d) => trunkOf(config, d).id === tr.id))
      for (const number of dp.numbers) for (const form of inboundForms(number)) out.push(`exten => ${form},1,Goto(ivr-directorates,${number},1)`);
  }
  // an operator's own station from the phone: *41 pause, *42 resume (the controller confirms
  // with a short prompt; with the controller down, the fallback apology)
  out.push('', '[ivr-features]');
  for (const [code, action] of [
    ['*41', 'pause'],
    ['*42', 'resume'],
  ] as const)
    out.push(`exten => ${code},1,Stasis(${app},feature,${action})`, ` same => n,Goto(ivr-fallback,s,1)`);
  return out.join('\n') + '\n';
}
