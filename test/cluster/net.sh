#!/usr/bin/env bash
# The cluster test's network, on one machine: three network namespaces, the edge (Kamailio
# and the carrier's SIP agents) and two nodes (a whole test stack each), linked edge-to-node
# by a veth pair each. The edge holds 10.77.0.1 (Kamailio) and 10.77.0.2 (the carrier) on
# its loopback; node a is 10.77.1.2 (the edge's end 10.77.1.1), node b 10.77.2.2 (10.77.2.1);
# each node reaches 10.77.0.0/24 through its link. The nodes do not see each other.
#   test/cluster/net.sh up|down
set -euo pipefail
EDGE=ivr-cl-edge
down() {
  for ns in "$EDGE" ivr-cl-a ivr-cl-b; do ip netns del "$ns" 2>/dev/null || true; done
}
case "${1:-}" in
  up)
    down
    ip netns add "$EDGE"
    ip -n "$EDGE" link set lo up
    ip -n "$EDGE" addr add 10.77.0.1/32 dev lo
    ip -n "$EDGE" addr add 10.77.0.2/32 dev lo
    n=1
    for node in a b; do
      ns="ivr-cl-$node"
      ip netns add "$ns"
      ip -n "$ns" link set lo up
      ip link add "cl-e-$node" type veth peer name "cl-$node-e"
      ip link set "cl-e-$node" netns "$EDGE"
      ip link set "cl-$node-e" netns "$ns"
      ip -n "$EDGE" addr add "10.77.$n.1/30" dev "cl-e-$node"
      ip -n "$ns" addr add "10.77.$n.2/30" dev "cl-$node-e"
      ip -n "$EDGE" link set "cl-e-$node" up
      ip -n "$ns" link set "cl-$node-e" up
      ip -n "$ns" route add 10.77.0.0/24 via "10.77.$n.1"
      n=$((n + 1))
    done
    ;;
  down) down ;;
  *)
    echo "usage: test/cluster/net.sh up|down" >&2
    exit 2
    ;;
esac
