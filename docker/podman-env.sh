# Shared by the docker/*.sh scripts: host tools and the podman flags this kind of host needs.
# (sourced, not executed)

# Without runc + cgroupfs podman 4.3 fails with "crun: cgroups in hybrid mode not supported".
podman() { command podman --cgroup-manager=cgroupfs --runtime runc "$@"; }

ensure_host_tools() {
  local missing=()
  type -P mmdebstrap >/dev/null || missing+=(mmdebstrap)
  type -P podman >/dev/null || missing+=(podman)
  type -P runc >/dev/null || missing+=(runc)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing host tools: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then echo "error: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  fi
}

# Flags every container of the project needs here: host networking (SIP/RTP/ARI on loopback)
# and explicit rlimits (the runtime may not raise the defaults: "setrlimit ... not permitted").
PODMAN_RUN_FLAGS=(--network host --ulimit nofile=20000:20000 --ulimit nproc=4096:4096)
