#!/usr/bin/env bash
# make bench: prints figures, asserts nothing (machines are noisy; compare ratios in one run),
# ends with a table of every figure against its target and writes it into BENCHMARKS.md.
#   test/bench/run.sh [callbacks-for-the-dispatch-bench]
#   IVR_BENCH_HISTORY (1000000), IVR_BENCH_MAX_CALLS (3000), IVR_BENCH_SOAK_MINUTES (10),
#   IVR_BENCH_CLUSTER_MAX_CALLS (400)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bin/node-env.sh
. bin/node-env.sh
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# every line on the terminal as it comes; FIGURE lines kept for the table
bench() { "$@" | tee -a "$out" | grep -v '^FIGURE' || true; }

bench node dist/test/bench/booking.js 2000
# the callback queue's storage on both engines: SQLite and a PostgreSQL server of its own
bench node dist/test/bench/storage-engines.js 2000 400
# a million historic requests and a busy directorate's month
bench node dist/test/bench/database.js "${IVR_BENCH_HISTORY:-1000000}" 3000
# the offer delay is read from the calls the integration tests recorded (if any)
bench node dist/test/bench/offer-delay.js /tmp/ivr-test-state/ivr.db
# the rest needs the real stack: the test stack, started and stopped here
node dist/test/integration/stack-up.js
trap 'node dist/test/integration/stack-down.js; rm -f "$out"' EXIT
bench node dist/test/bench/dispatch.js "${1:-30}"
bench node --experimental-websocket --no-warnings dist/test/bench/capacity.js "${IVR_BENCH_MAX_CALLS:-3000}"
# the event loop while a year's report and the retention over a million rows run during 20 calls
bench node dist/test/bench/loop-delay.js "${IVR_BENCH_HISTORY:-1000000}"
node dist/test/integration/stack-down.js
trap 'rm -f "$out"; bash test/cluster/net.sh down' EXIT
# the cluster's edge: Kamailio in front of two nodes, in the network of test/cluster/net.sh
bash test/cluster/net.sh up
bench nsenter --net=/run/netns/ivr-cl-edge node dist/test/bench/cluster.js "${IVR_BENCH_CLUSTER_MAX_CALLS:-400}"

table=$(grep '^FIGURE' "$out" | awk -F'\t' 'BEGIN { print "| figure | measured | target |"; print "|---|---|---|" } { gsub(/\|/, "/"); printf "| %s | %s | %s |\n", $2, $3, $4 }')
echo
echo "$table"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (test/bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'),"
  echo "on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)."
  echo "Asterisk, the controller and the SIPp agents share the machine; figures of one run are"
  echo "comparable with each other (the ratio of controller to pure dialplan), less so across runs."
  echo "Reproduce: \`make bench\` (the environment variables at the top of test/bench/run.sh size it)."
  echo
  echo "$table"
  echo
  echo "What each measures: test/bench/*.ts (each file's opening comment)."
} > BENCHMARKS.md
echo "written BENCHMARKS.md"
