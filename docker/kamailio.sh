#!/usr/bin/env bash
# Kamailio as the cluster's edge (Debian's kamailio, installed when missing), on the files
# `ivrctl cluster edge-config --dir DIR` wrote; run in the foreground of its own process
# group, logging to DIR/kamailio.log; it binds the edge's SIP port as root, then runs as
# Debian's kamailio user.
#   docker/kamailio.sh start DIR   checks the configuration, starts Kamailio, waits until it listens
#   docker/kamailio.sh stop DIR    stops it
# Exit status: 0, or 1 with one line on stderr saying what failed.
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
fail() {
  echo "kamailio.sh: $*" >&2
  exit 1
}
[ -n "$cmd" ] && [ -n "$dir" ] || fail "usage: docker/kamailio.sh start|stop DIR"
case "$cmd" in
  start)
    command -v kamailio >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kamailio >/dev/null; } ||
      fail "Kamailio is not installed and apt-get could not install it"
    [ -f "$dir/kamailio.cfg" ] || fail "$dir/kamailio.cfg: missing (ivrctl cluster edge-config --dir $dir)"
    kamailio -c -f "$dir/kamailio.cfg" >"$dir/check.log" 2>&1 || fail "$dir/kamailio.cfg does not load: $(grep -m1 -E 'ERROR|error' "$dir/check.log")"
    listen="$(sed -n 's/^listen=udp:\(.*\)$/\1/p' "$dir/kamailio.cfg")"
    # the SIP port is bound as root, then Debian's kamailio user runs it
    user=()
    id kamailio >/dev/null 2>&1 && user=(-u kamailio -g kamailio)
    setsid kamailio -f "$dir/kamailio.cfg" -P "$dir/kamailio.pid" "${user[@]}" -DD -E >"$dir/kamailio.log" 2>&1 </dev/null &
    for _ in $(seq 1 50); do
      ss -Hlun src "$listen" 2>/dev/null | grep -q . && exit 0
      sleep 0.1
    done
    fail "Kamailio did not listen on $listen: $(tail -3 "$dir/kamailio.log" | tr '\n' ' ')"
    ;;
  stop)
    [ -f "$dir/kamailio.pid" ] || exit 0
    pid="$(cat "$dir/kamailio.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || { rm -f "$dir/kamailio.pid"; exit 0; }
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/kamailio.pid"
    ;;
  *) fail "unknown command '$cmd' (start, stop)" ;;
esac
