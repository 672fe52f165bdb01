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
//   - Only the carriers' addresses are outside callers, as on one box: anything else is
//     refused before it reaches a node.
import { primaryOf, type Cluster, type Config } from '../config/schema';

export interface EdgeFiles {
  'kamailio.cfg': string;
  'dispatcher.list': string;
}

/** the dispatcher set of the directorates whose primary is the node at index i (1-based) */
const setOf = (cluster: Cluster, node: string): number => cluster.nodes.findIndex((n) => n.id === node) + 1;

export function renderEdge(config: Config, dir: string): EdgeFiles {
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

# a node that gives no reply to an INVITE within this time is passed over for that call
modparam("tm", "fr_timer", ${cluster.failoverMs})
modparam("tm", "fr_inv_timer", 60000)
modparam("rr", "enable_full_lr", 1)
modparam("htable", "htable", "dp=>size=8;autoexpire=0;")
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
}

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  if (!sanity_check("17895", "7")) exit;
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
