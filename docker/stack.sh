#!/usr/bin/env bash
# Starts and stops the stack: Asterisk in a podman container + the controller (Node).
#
#   stack.sh up                  start both in the background; return when /healthz is 200
#   stack.sh run                 up, print the operators' SIP credentials, follow the logs;
#                                Ctrl-C stops everything
#   stack.sh down                stop and remove both
#   stack.sh controller-start    (re)start only the controller and wait for /healthz
#   stack.sh controller-stop     stop only the controller and its supervisor (SIGTERM; KILL=1:
#                                SIGKILL both, as a crash with nobody to restart it)
#   stack.sh controller-kill     SIGKILL the controller only: its supervisor starts it again
#   stack.sh asterisk-foreground / controller-foreground
#                                one of them in the foreground, logs on stdout: what the
#                                systemd units of `make install` run (systemd restarts them)
#
# Supervision: the controller runs under its supervisor (dist/controller/supervision), which
# starts it again within a second when it dies and writes its output to a size-capped,
# rotated log/controller.log; Asterisk's container has the restart policy "always".
# Environment: IVR_CONFIG, IVR_DB, IVR_STATE_DIR (see README), IVR_CONTAINER (container
# name, default ivr-asterisk), IVR_IMAGE, IVR_UP_TIMEOUT (seconds, default 120).
set -euo pipefail
# what this writes (state dir, logs) is its owner's only: caller numbers, credentials
umask 077
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=bin/node-env.sh
. "$ROOT/bin/node-env.sh"
# shellcheck source=docker/podman-env.sh
. "$ROOT/docker/podman-env.sh"

IMAGE="${IVR_IMAGE:-localhost/ivr-asterisk:22}"
CONTAINER="${IVR_CONTAINER:-ivr-asterisk}"
export IVR_STATE_DIR="${IVR_STATE_DIR:-$ROOT/var}"
mkdir -p "$IVR_STATE_DIR"
chmod 700 "$IVR_STATE_DIR"
IVR_STATE_DIR="$(cd "$IVR_STATE_DIR" && pwd)"
LOG_DIR="$IVR_STATE_DIR/log"
PID_FILE="$IVR_STATE_DIR/controller.pid"
SUPERVISOR_PID_FILE="$IVR_STATE_DIR/supervisor.pid"
TIMEOUT="${IVR_UP_TIMEOUT:-120}"
IVRCTL=(node "$ROOT/dist/controller/cli/ivrctl.js")

die() { echo "stack: $*" >&2; exit 1; }

http_port() { node -e 'const y=require("yaml");const f=process.env.IVR_CONFIG||process.argv[1];const c=y.parse(require("fs").readFileSync(f,"utf8"));console.log((c.http&&c.http.port)||8080)' "$ROOT/config/demo.yaml"; }

controller_pid() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && cat "$PID_FILE"; }
supervisor_pid() { [ -f "$SUPERVISOR_PID_FILE" ] && kill -0 "$(cat "$SUPERVISOR_PID_FILE")" 2>/dev/null && cat "$SUPERVISOR_PID_FILE"; }

asterisk_running() { [ "$(podman container inspect -f '{{.State.Running}}' "$CONTAINER" 2>/dev/null)" = true ]; }

check_port_free() { # proto port what
  if ss -Hln"$1" "sport = :$2" | grep -q .; then
    die "$3 port $2 is already in use (another stack? run 'make down', or see 'ss -lnp$1 sport = :$2')"
  fi
}

# Asterisk runs as its own user (the image's "asterisk") and sees only what it needs of the
# state dir: the generated includes (read-only, group-readable by its group: 2750/0640) and
# its log folder (its own). Not the database, not secrets.json (the API token), not the
# operators' passwords.
prepare_asterisk_dirs() {
  local ids uid gid
  ids="$(podman run --rm "${PODMAN_RUN_FLAGS[@]}" "$IMAGE" sh -c 'echo "$(id -u asterisk) $(id -g asterisk)"')" || die "no asterisk user in $IMAGE"
  read -r uid gid <<<"$ids"
  mkdir -p "$IVR_STATE_DIR/asterisk" "$LOG_DIR/asterisk"
  chgrp "$gid" "$IVR_STATE_DIR/asterisk"
  chmod 2750 "$IVR_STATE_DIR/asterisk"
  find "$IVR_STATE_DIR/asterisk" -type f -exec chgrp "$gid" {} + -exec chmod 640 {} +
  chown -R "$uid:$gid" "$LOG_DIR/asterisk"
  chmod 700 "$LOG_DIR/asterisk"
}

# umask 0077: the logs Asterisk writes are its own only; -U/-G: it drops root after start
ASTERISK_MOUNTS=(
  -v "$ROOT/asterisk-config:/etc/asterisk-ivr:ro"
  -v "$IVR_STATE_DIR/asterisk:/var/lib/ivr/asterisk:ro"
  -v "$LOG_DIR/asterisk:/var/lib/ivr/log/asterisk"
  -v "${IVR_SOUNDS_DIR:-$ROOT/sounds/gen}:/opt/ivr/sounds:ro"
)
ASTERISK_CMD=(asterisk -f -U asterisk -G asterisk -C /etc/asterisk-ivr/asterisk.conf)

start_asterisk() {
  if asterisk_running; then return; fi
  podman rm -f "$CONTAINER" >/dev/null 2>&1 || true
  check_port_free u 5060 SIP
  check_port_free t 8088 ARI
  check_port_free t 5038 AMI
  prepare_asterisk_dirs
  # restart=always: an Asterisk that dies is started again by the container engine
  podman run -d --name "$CONTAINER" --restart=always --umask=0077 "${PODMAN_RUN_FLAGS[@]}" \
    "${ASTERISK_MOUNTS[@]}" "$IMAGE" "${ASTERISK_CMD[@]}" >/dev/null
}

start_controller() {
  if supervisor_pid >/dev/null; then return; fi
  # a controller left without its supervisor (the supervisor was killed): stop it first
  if controller_pid >/dev/null; then stop_controller TERM; fi
  check_port_free t "$(http_port)" "controller HTTP"
  mkdir -p "$LOG_DIR"
  rm -f "$PID_FILE"
  # setsid: the supervisor (and the controller it runs) outlive this script and are not
  # killed by the terminal's Ctrl-C of `make up`; `make run` stops them explicitly.
  setsid node "$ROOT/dist/controller/supervision/supervisor.js" >>"$LOG_DIR/supervisor.out" 2>&1 < /dev/null &
  echo $! >"$SUPERVISOR_PID_FILE"
}

wait_ready() { # seconds
  local port deadline body
  port="$(http_port)"
  deadline=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! asterisk_running; then
      podman logs --tail 20 "$CONTAINER" >&2 || true
      die "Asterisk exited during start-up (logs above; $LOG_DIR/asterisk/messages.log)"
    fi
    if ! supervisor_pid >/dev/null; then
      tail -n 5 "$LOG_DIR/controller.log" >&2 || true
      die "the controller exited during start-up (see $LOG_DIR/controller.log)"
    fi
    if body="$(curl -sf -m 2 "http://127.0.0.1:$port/healthz" 2>/dev/null)"; then
      echo "ready: $body"
      return 0
    fi
    sleep 0.2
  done
  tail -n 5 "$LOG_DIR/controller.log" >&2 || true
  die "not ready within $1 s (ARI not connected?): see $LOG_DIR/"
}

stop_controller() {
  local sup pid
  sup="$(supervisor_pid)" || sup=""
  pid="$(controller_pid)" || pid=""
  if [ "${1:-TERM}" = KILL ]; then
    # a crash with nobody to restart it: the supervisor first, so it cannot restart the controller
    [ -n "$sup" ] && kill -KILL "$sup" 2>/dev/null || true
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  elif [ -n "$sup" ]; then
    kill -TERM "$sup" 2>/dev/null || true # it stops the controller, then itself
  elif [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for p in $sup $pid; do
    for _ in $(seq 1 70); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -f "$PID_FILE" "$SUPERVISOR_PID_FILE"
}

print_credentials() {
  local f="$IVR_STATE_DIR/operator-passwords.txt"
  echo
  echo "Demo operators (register with digest auth at 127.0.0.1:5060, UDP; user = id, realm ivr):"
  if [ -s "$f" ]; then
    while read -r id pw; do
      "${IVRCTL[@]}" operators list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.exit(JSON.parse(s).some(o=>o.id===process.argv[1])?0:1)})' "$id" &&
        printf '  sip:%s@127.0.0.1   password %s\n' "$id" "$pw"
    done <"$f"
  else
    echo "  (no generated passwords recorded; add one with ./ivrctl operators add)"
  fi
  echo "From a registered phone, dial 0600000001 (demo-sw) or 0200000002 (demo-st) to hear the IVR;"
  echo "calls from 127.0.0.2 come in as outside callers (see README, 'Trying the demo')."
  # the demo's console account: made once, when there is none, its password kept beside the
  # operators' (mode 0600) so that each make run can show it
  local c="$IVR_STATE_DIR/console-password.txt"
  if [ ! -s "$c" ] && [ "$("${IVRCTL[@]}" users list --json | tr -d ' \n')" = "[]" ]; then
    (umask 077 && "${IVRCTL[@]}" users add admin --role supervisor --json |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log("admin "+JSON.parse(s).password))' >"$c")
  fi
  echo
  echo "Web console: http://127.0.0.1:8080/console"
  if [ -s "$c" ]; then
    read -r user pw <"$c"
    echo "  user $user   password $pw   (more accounts: ./ivrctl users add)"
  fi
}

cmd="${1:-}"
case "$cmd" in
  up | run)
    start=$(date +%s)
    "${IVRCTL[@]}" setup
    start_asterisk
    start_controller
    wait_ready "$TIMEOUT"
    echo "stack up in $(( $(date +%s) - start )) s (Asterisk container $CONTAINER, controller pid $(cat "$PID_FILE"), supervisor pid $(cat "$SUPERVISOR_PID_FILE"))"
    if [ "$cmd" = run ]; then
      print_credentials
      trap '"$0" down; exit 0' INT TERM
      echo "following $LOG_DIR/controller.log; Ctrl-C stops Asterisk and the controller"
      tail -n 0 -F "$LOG_DIR/controller.log" &
      wait $!
    fi
    ;;
  down)
    stop_controller TERM
    podman rm -f -t 2 "$CONTAINER" >/dev/null 2>&1 || true
    echo "stack down"
    ;;
  controller-start)
    start_controller
    wait_ready "$TIMEOUT"
    ;;
  controller-stop)
    stop_controller "${KILL:+KILL}"
    ;;
  asterisk-foreground)
    # under systemd (ivr-asterisk.service): its Restart= replaces the container's policy
    podman rm -f "$CONTAINER" >/dev/null 2>&1 || true
    prepare_asterisk_dirs
    exec podman run --rm --name "$CONTAINER" --umask=0077 "${PODMAN_RUN_FLAGS[@]}" \
      "${ASTERISK_MOUNTS[@]}" "$IMAGE" "${ASTERISK_CMD[@]}"
    ;;
  controller-foreground)
    # under systemd (ivr-controller.service): no supervisor, its Restart= restarts it; the
    # log lines go to the journal
    exec node "$ROOT/dist/controller/main.js"
    ;;
  controller-kill)
    pid="$(controller_pid)" || die "no controller running"
    kill -KILL "$pid"
    echo "controller $pid killed (SIGKILL); its supervisor starts it again"
    ;;
  *)
    sed -n '2,22p' "$0" >&2
    exit 2
    ;;
esac
