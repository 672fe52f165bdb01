#!/usr/bin/env bash
# Build the Asterisk 22 image (plus the SIP test agents and the TTS used by `make prompts`)
# from Debian testing with mmdebstrap, and import it into podman.
#
# Debian 12 has no asterisk package and the testing/sid binaries need a newer glibc than the
# host's, so the whole userland comes from one root filesystem. The image is cached: a
# present image is never rebuilt unless IVR_IMAGE_REBUILD=1.
#
#   IVR_SUITE=forky|sid   Debian suite to build from (default: forky = testing; sid is the
#                         fallback when testing is broken)
#   IVR_IMAGE             image name (default localhost/ivr-asterisk:22)
set -euo pipefail

IMAGE="${IVR_IMAGE:-localhost/ivr-asterisk:22}"
SUITE="${IVR_SUITE:-forky}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=docker/podman-env.sh
. "$HERE/podman-env.sh"

ensure_host_tools

# the image carries the hash of its package list: editing packages.txt rebuilds it
PKG_HASH="$(sha256sum "$HERE/packages.txt" | cut -c1-16)"
if [ "${IVR_IMAGE_REBUILD:-0}" != 1 ] && podman image exists "$IMAGE"; then
  have="$(podman image inspect --format '{{ index .Labels "ivr.packages" }}' "$IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$PKG_HASH" ]; then
    echo "image $IMAGE present (IVR_IMAGE_REBUILD=1 to rebuild)"
    exit 0
  fi
  echo "image $IMAGE was built from another docker/packages.txt: rebuilding"
fi

PACKAGES="$(grep -v '^#' "$HERE/packages.txt" | xargs | tr ' ' ',')"
WORK="$(mktemp -d /var/tmp/ivr-rootfs.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

start=$(date +%s)
echo "building $IMAGE from Debian $SUITE: $PACKAGES"
# Check-Valid-Until=false: sid's Release file has been seen past its validity date.
# The customize hooks record the exact versions (an archive change must be traceable) and
# expose the Italian prompts under sounds/it, where Asterisk looks for language "it".
mmdebstrap --variant=apt --components=main,non-free \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --include="$PACKAGES" \
  --customize-hook='chroot "$1" dpkg-query -W > "$1/etc/ivr-image-packages.txt"' \
  --customize-hook="echo 'suite=$SUITE built=$(date -u +%Y-%m-%dT%H:%M:%SZ)' > \"\$1/etc/ivr-image-build.txt\"" \
  --customize-hook='if [ -d "$1/usr/share/asterisk/sounds/it_IT_f_Menardi" ]; then ln -sfn it_IT_f_Menardi "$1/usr/share/asterisk/sounds/it"; fi' \
  --customize-hook='rm -rf "$1/var/cache/apt/archives"/*.deb "$1/var/lib/apt/lists"/*' \
  "$SUITE" "$WORK/rootfs.tar"

podman import --change 'CMD ["asterisk","-f"]' --change "LABEL ivr.packages=$PKG_HASH" "$WORK/rootfs.tar" "$IMAGE" >/dev/null
echo "image $IMAGE built in $(( $(date +%s) - start )) s"
podman run --rm "${PODMAN_RUN_FLAGS[@]}" "$IMAGE" sh -c 'cat /etc/ivr-image-build.txt; grep -E "^(asterisk|sip-tester|baresip-core|libttspico-utils)\s" /etc/ivr-image-packages.txt'
