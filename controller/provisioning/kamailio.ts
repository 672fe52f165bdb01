// The cluster's edge, written from the configuration (its `cluster` section): Kamailio's
// configuration and its dispatcher list. Pure: `ivrctl cluster edge-config` writes them and
// docker/kamailio.sh runs Kamailio on them.
//   - A carrier's INVITE to a directorate's number goes to the directorate's set of nodes:
//     its primary first, then the others (dispatcher, priority order). A node that does not
//     answer within failoverMs is passed over for that call (failure route, the next node)
//     and marked inactive; Kamailio's OPTIONS every keepaliveSeconds take a node out after
//     one missed reply and back in after one answered, so the next calls go straight to a
//     node that works and a node that comes back takes its share again.
//   - Kamailio sends everything to the nodes from its one address, so every node sees the
//     same single trunk; it stays on the dialogs' path (Record-Route) for the BYEs.
//   - Operators' phones register here: Kamailio checks the digest password (the HA1 the
//     operators table keeps, realm "ivr" as on one box) and passes the REGISTER to every node
//     at once, with a Path to itself and the header that names the operator, so that any
//     node can ring any phone: its INVITEs and OPTIONS come back here along that Path and go
//     on to the phone's address. A node that is down misses the REGISTER; the phone's next
//     one reaches it (Asterisk also keeps contacts across a restart).
//   - An operator's phone calls through here too (a feature code such as *41 to pause, a
//     colleague, a test call): an INVITE whose From is an operator is challenged (407) and
//     checked against the same HA1, then goes to the nodes of the operator's directorate, its
//     primary first, with the header that names the operator, as its REGISTER does. A caller
//     cannot pass for an operator: without the operator's password the INVITE goes no further.
//   - A node's call to a number (a callback) goes out to the carriers, in their order, the
//     next one when a carrier gives no reply within failoverMs or an error; Kamailio stays
//     on its dialog.
//   - Only the carriers' addresses are outside callers, as on one box: anything else is
//     refused before it reaches a node, and the operator header is removed from everything
//     Kamailio did not authenticate itself.
import { primaryOf, type Cluster, type Config } from '../config/schema';
import { EDGE_OPERATOR_HEADER, SIP_REALM } from './asterisk-includes';

/** what the edge needs to know of an operator: the id their phone registers with, its digest HA1, and its directorate (where its own calls go) */
export interface EdgeOperator {
  id: string;
  ha1: string;
  dp?: string;
}

export interface EdgeFiles {
  'kamailio.cfg': string;
  'dispatcher.list': string;
}

/** the dispatcher set of the directorates whose primary is the node at index i (1-based) */
const setOf = (cluster: Cluster, node: string): number => cluster.nodes.findIndex((n) => n.id === node) + 1;

export function renderEdge(config: Config, dir: string, operators: readonly EdgeOperator[] = []): EdgeFiles {
  const cluster = config.cluster;
  if (!cluster) throw new Error('no cluster section in the configuration');
  const { edge } = cluster;
  // one set per node as primary: that node at the top priority, the others after it in their order
  const list = ['# generated from the configuration by ivrctl cluster edge-config: do not edit', '# set destination flags priority'];
  cluster.nodes.forEach((primary, i) => {
    cluster.nodes.forEach((n, j) => {
      const priority = n.id === primary.id ? 100 : 50 - j;
      list.push(`${i + 1} sip:${n.address}:${n.port} 0 ${priority}`);
    });
  });
  const numbers = config.directorates.flatMap((dp) => dp.numbers.map((n) => `  $sht(dp=>${n}) = ${setOf(cluster, primaryOf(cluster, dp))};`));
  const carriers = edge.carriers.map((a) => `$si == "${a}"`).join(' || ');
  const nodes = cluster.nodes.map((n) => `$si == "${n.address}"`).join(' || ');
  // an id or an HA1 that is not plain would break out of the string it is written into
  const plain = operators.filter((o) => /^[A-Za-z0-9_.-]+$/.test(o.id) && /^[0-9a-f]{32}$/.test(o.ha1));
  const credentials = plain.map((o) => `  $sht(ha1=>${o.id}) = "${o.ha1}";`);
  // the dispatcher set an operator's own calls go to: their directorate's primary first
  const operatorSets = plain.flatMap((o) => {
    const dp = config.directorates.find((d) => d.id === o.dp);
    return dp ? [`  $sht(opset=>${o.id}) = ${setOf(cluster, primaryOf(cluster, dp))};`] : [];
  });
  const [first, ...others] = cluster.nodes;
  const cfg = `#!KAMAILIO
# The cluster's edge, generated from the configuration by ivrctl cluster edge-config: do not
# edit (controller/provisioning/kamailio.ts says what it does and why).
debug=2
log_stderror=yes
children=4
auto_aliases=no
listen=udp:${edge.address}:${edge.port}
# everything to the nodes leaves from this one address: every node sees one trunk
mhomed=0

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "sanity.so"
loadmodule "htable.so"
loadmodule "dispatcher.so"
loadmodule "auth.so"
loadmodule "path.so"

# a node that gives no reply to an INVITE within this time is passed over for that call
modparam("tm", "fr_timer", ${cluster.failoverMs})
modparam("tm", "fr_inv_timer", 60000)
modparam("rr", "enable_full_lr", 1)
modparam("htable", "htable", "dp=>size=8;autoexpire=0;")
modparam("htable", "htable", "ha1=>size=8;autoexpire=0;")
modparam("htable", "htable", "opset=>size=8;autoexpire=0;")
# a Path carries the phone's own address: requests along it go there
modparam("path", "use_received", 1)
modparam("dispatcher", "list_file", "${dir}/dispatcher.list")
modparam("dispatcher", "flags", 2)
# OPTIONS to every node (probing mode 1: also to those taken for up), one missed reply takes
# a node out, one answered brings it back
modparam("dispatcher", "ds_probing_mode", 1)
modparam("dispatcher", "ds_ping_interval", ${cluster.keepaliveSeconds})
modparam("dispatcher", "ds_probing_threshold", 1)
modparam("dispatcher", "ds_inactive_threshold", 1)
modparam("dispatcher", "ds_ping_from", "sip:edge@${edge.address}")

event_route[htable:mod-init] {
  # each directorate's public numbers -> the dispatcher set of its primary node
${numbers.join('\n')}
  # each operator's digest HA1 (realm ${SIP_REALM}), from the operators table
${credentials.join('\n')}
  # each operator's directorate's set: where the calls from their phone go
${operatorSets.join('\n')}
}

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (!sanity_check("17895", "7")) exit;
  # only Kamailio says who an operator is, after checking their password
  remove_hf("${EDGE_OPERATOR_HEADER}");
  # in a dialog: follow its route (Record-Route)
  if (has_totag()) {
    if (loose_route()) {
      route(RELAY);
    } else if (is_method("ACK")) {
      if (t_check_trans()) t_relay();
    } else {
      sl_send_reply("404", "Not here");
    }
    exit;
  }
  if (is_method("CANCEL")) {
    if (t_check_trans()) route(RELAY);
    exit;
  }
  if (t_check_trans()) exit;
  if (is_method("OPTIONS") && uri == myself && $rU == $null) {
    sl_send_reply("200", "OK");
    exit;
  }
  if (is_method("REGISTER")) route(REGISTER);
  # a node ringing or probing a phone, along the Path the phone registered with: our own
  # Route first, carrying the phone's address (received). loose_route() would drop a route
  # preloaded with ourselves as its only hop without relaying it, so it is followed here.
  if (${nodes}) {
    if ($(hdr(Route){nameaddr.uri}{uri.host}) == "${edge.address}") {
      $var(phone) = $(hdr(Route){nameaddr.uri}{uri.param,received}{s.unescape.param});
      remove_hf("Route");
      if ($var(phone) != "") $du = $var(phone);
      if (is_method("INVITE")) record_route();
      route(RELAY);
    }
    # a callback to a caller: out to the carriers, in their order
    if (is_method("INVITE") && $rU =~ "^[+]?[0-9]{3,16}$") {
      record_route();
      $avp(carrier) = 0;
      route(TO_CARRIER);
    }
    xlog("L_NOTICE", "refused $rm from node $si: no route along a Path, no number (R-URI $ru)\\n");
    sl_send_reply("404", "Not here");
    exit;
  }
  # an operator's phone calling: checked and sent on by OPERATOR_CALL
  if (is_method("INVITE") && $sht(opset=>$fU) != $null) route(OPERATOR_CALL);
  # only the carriers are outside callers
  if (!(${carriers})) {
    xlog("L_NOTICE", "refused $rm from $si: not a carrier\\n");
    sl_send_reply("403", "Forbidden");
    exit;
  }
  if (!is_method("INVITE")) {
    sl_send_reply("405", "Method Not Allowed");
    exit;
  }
  $var(set) = $sht(dp=>$rU);
  if ($var(set) == $null) {
    sl_send_reply("404", "Not Found");
    exit;
  }
  # priority order (algorithm 8): the primary, then the next node taken for up
  if (!ds_select_dst("$var(set)", "8")) {
    xlog("L_ERR", "no node up for $rU\\n");
    sl_send_reply("503", "Service Unavailable");
    exit;
  }
  record_route();
  t_on_failure("NEXT_NODE");
  route(RELAY);
}

# an operator's phone: the password checked here, then the REGISTER to every node at once
route[REGISTER] {
  # no credentials yet, or an unknown user: challenged, as for a wrong password
  if ($au == $null || $sht(ha1=>$au) == $null || !pv_auth_check("${SIP_REALM}", "$sht(ha1=>$au)", "1", "1")) {
    auth_challenge("${SIP_REALM}", "1");
    exit;
  }
  consume_credentials();
  append_hf("${EDGE_OPERATOR_HEADER}: $au\\r\\n");
  # a registrar takes a Path only from a phone that says it supports it (RFC 3327): said for it
  if (!is_present_hf("Supported")) {
    append_hf("Supported: path\\r\\n");
  } else if (!search_hf("Supported", "path", "a")) {
    $var(supported) = $hdr(Supported);
    remove_hf("Supported");
    append_hf("Supported: $var(supported), path\\r\\n");
  }
  if (!add_path_received()) {
    sl_send_reply("500", "No Path");
    exit;
  }
  $ru = "sip:${first!.address}:${first!.port}";
${others.map((n) => `  append_branch("sip:${n.address}:${n.port}");`).join('\n')}
  route(RELAY);
}

# an operator's phone calling (*41, a colleague, a test call): the password checked here as for
# its REGISTER (407, the From's user being the one authenticated), then to the nodes of the
# operator's directorate, primary first, with the header that names the operator
route[OPERATOR_CALL] {
  if ($au == $null || $au != $fU || !pv_auth_check("${SIP_REALM}", "$sht(ha1=>$au)", "1", "1")) {
    auth_challenge("${SIP_REALM}", "1");
    exit;
  }
  consume_credentials();
  append_hf("${EDGE_OPERATOR_HEADER}: $au\\r\\n");
  if (!ds_select_dst("$sht(opset=>$au)", "8")) {
    xlog("L_ERR", "no node up for operator $au\\n");
    sl_send_reply("503", "Service Unavailable");
    exit;
  }
  record_route();
  t_on_failure("NEXT_NODE");
  route(RELAY);
}

# a node's call to a caller (a callback): the next carrier in the configuration's order
route[TO_CARRIER] {
  switch ($avp(carrier)) {
${edge.carriers.map((a, i) => `    case ${i}:\n      $du = "sip:${a}:5060";\n      break;`).join('\n')}
    default:
      t_reply("503", "No carrier answered");
      exit;
  }
  $avp(carrier) = $avp(carrier) + 1;
  t_on_failure("NEXT_CARRIER");
  route(RELAY);
}

# the carrier gave no reply in time, or an error: the next one
failure_route[NEXT_CARRIER] {
  if (t_is_canceled()) exit;
  if (t_branch_timeout() || t_check_status("5[0-9][0-9]")) route(TO_CARRIER);
}

route[RELAY] {
  if (!t_relay()) sl_reply_error();
  exit;
}

# the node gave no reply in time, or an error: mark it out and try the next one
failure_route[NEXT_NODE] {
  if (t_is_canceled()) exit;
  if (t_branch_timeout() || t_check_status("5[0-9][0-9]")) {
    ds_mark_dst("ip");
    if (ds_next_dst()) {
      t_on_failure("NEXT_NODE");
      route(RELAY);
    }
  }
}
`;
  return { 'kamailio.cfg': cfg, 'dispatcher.list': `${list.join('\n')}\n` };
}
