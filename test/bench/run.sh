#!/usr/bin/env bash
# make bench: prints figures, asserts nothing (machines are noisy; compare ratios in one run).
set -euo pipefail
cd "$(dirname "$0")/../.."
node dist/test/bench/booking.js 2000
node dist/test/bench/offer-delay.js "${1:-/tmp/ivr-test-state/ivr.db}"
