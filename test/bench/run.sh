#!/usr/bin/env bash
# make bench: prints figures, asserts nothing (machines are noisy; compare ratios in one run).
#   test/bench/run.sh [callbacks-for-the-dispatch-bench]
set -euo pipefail
cd "$(dirname "$0")/../.."
node dist/test/bench/booking.js 2000
# a million historic requests and a busy directorate's month (IVR_BENCH_HISTORY to change)
node dist/test/bench/database.js "${IVR_BENCH_HISTORY:-1000000}" 3000
# the offer delay is read from the calls the integration tests recorded (if any)
node dist/test/bench/offer-delay.js /tmp/ivr-test-state/ivr.db
# the dispatch bench needs the real stack: the test stack, started and stopped here
node dist/test/integration/stack-up.js
trap 'node dist/test/integration/stack-down.js' EXIT
node dist/test/bench/dispatch.js "${1:-30}"
node dist/test/bench/capacity.js "${IVR_BENCH_MAX_CALLS:-300}"
