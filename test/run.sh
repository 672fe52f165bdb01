#!/usr/bin/env bash
# The test suite: unit tests (pure logic, storage on temp files; the callback queue's storage
# on both engines, SQLite and a PostgreSQL server of its own: test/storage), integration tests against
# the real containerized Asterisk with SIPp agents (test/integration/stack-up), and the fault
# suite (test/faults: the controller killed at each step of a call, Asterisk restarted under
# load, kills during database writes). The integration and fault files run on several test
# stacks at once, each in its own network namespace (test/parallel-run.ts; IVR_TEST_STACKS,
# default 6), the unit files beside them. Ends with one line "N passed, N failed". Exit 0
# only if all pass.
#   test/run.sh [unit|integration|faults|integration-and-faults|cluster|quick]
#     (cluster: Kamailio in front of two nodes, in a network of its own: test/cluster)
#     (quick: the unit files and one smoke call file; IVR_TEST_FRESH=1: a fresh stack per file)
#   IVR_TEST_ONLY=<name> test/run.sh integration|faults   one file on one stack, in this
#                                                         namespace (as `make run` would)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bin/node-env.sh
. "$ROOT/bin/node-env.sh"
cd "$ROOT"
what="${1:-all}"
mkdir -p .tap
log=.tap/last-run.tap
if [ "$what" = quick ]; then
  # the smoke call: a caller through the trunk, the welcome, a key, the record in SQLite
  node dist/test/parallel-run.js dist/test/integration/inbound-welcome.test.js --unit dist/test/unit/*.test.js dist/test/storage/*.test.js
  run_status=$?
  node test/summary.js --quiet < "$log"
  summary_status=$?
  [ "$run_status" -eq 0 ] && [ "$summary_status" -eq 0 ]
  exit
fi
if [ "$what" != unit ] && [ -z "${IVR_TEST_ONLY:-}" ]; then
  stacked=()
  case "$what" in all | integration | integration-and-faults) stacked+=(dist/test/integration/*.test.js) ;; esac
  case "$what" in all | faults | integration-and-faults) stacked+=(dist/test/faults/*.test.js) ;; esac
  case "$what" in all | cluster) stacked+=(dist/test/cluster/*.test.js) ;; esac
  units=()
  [ "$what" = all ] && units=(--unit dist/test/unit/*.test.js dist/test/storage/*.test.js)
  node dist/test/parallel-run.js "${stacked[@]}" "${units[@]}"
  run_status=$?
  node test/summary.js --quiet < "$log"
  summary_status=$?
  [ "$run_status" -eq 0 ] && [ "$summary_status" -eq 0 ]
  exit
fi
files=()
[ "$what" = all ] || [ "$what" = unit ] && files+=(dist/test/unit/*.test.js dist/test/storage/*.test.js)
[ "$what" = all ] || [ "$what" = integration ] && files+=(dist/test/integration/${IVR_TEST_ONLY:-*}.test.js)
[ "$what" = all ] || [ "$what" = faults ] && files+=(dist/test/faults/${IVR_TEST_ONLY:-*}.test.js)
# One job: the integration tests share one Asterisk on fixed ports.
# --before/--after start and stop the test stack once around all the files.
# --allow-incomplete-coverage: tap still instruments the --before/--after scripts and would
# otherwise fail the run on their coverage, whatever the tests say
args=(--disable-coverage --allow-incomplete-coverage --reporter=tap --jobs=1 --timeout=900)
if [ "$what" != unit ]; then
  args+=(--before=dist/test/integration/stack-up.js --after=dist/test/integration/stack-down.js)
fi
npx tap "${args[@]}" "${files[@]}" 2>&1 | tee "$log"
tap_status=${PIPESTATUS[0]}
# the count comes from the saved output, after every process of the run has finished
node test/summary.js --quiet < "$log"
summary_status=$?
[ "$tap_status" -eq 0 ] && [ "$summary_status" -eq 0 ]
