#!/usr/bin/env bash
# Places one call as an outside caller (from the trunk address 127.0.0.2) with SIPp in the
# project image, for trying a running stack without a softphone:
#   docker/call.sh [<dialled number, default 0600000001>] [<caller number, default 0612345678>]
# Prints SIPp's summary; exit 0 when the call was answered and the PBX hung up.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=docker/podman-env.sh
. "$ROOT/docker/podman-env.sh"
podman run --rm "${PODMAN_RUN_FLAGS[@]}" -v "$ROOT/test/sipp:/sipp:ro" "${IVR_IMAGE:-localhost/ivr-asterisk:22}" \
  sipp 127.0.0.1:5060 -sf /sipp/caller-listen.xml -i 127.0.0.2 -p 5060 -m 1 -nostdin -timeout 120s -timeout_error \
  -s "${1:-0600000001}" -set rtp_ip 127.0.0.2 -set rtp_port 41000 -set ani "${2:-0612345678}" 2>&1 | grep -E "Successful call|Failed call" || true
exit "${PIPESTATUS[0]}"
