#!/usr/bin/env bash
# `make install` / `make uninstall`: a production instance on a Debian server (docs/INSTALL.md).
#
#   deploy/install.sh install     copy the built product to PREFIX, the config to SYSCONFDIR
#                                 (never overwritten), the state dir (0700), the systemd units
#                                 and ivrctl on the PATH; enable and start the units where
#                                 systemd runs
#   deploy/install.sh uninstall   stop and remove the units, ivrctl and PREFIX; keep the config
#                                 and the data (SYSCONFDIR, STATEDIR)
#
# Paths (environment, or make variables of the same names):
#   PREFIX=/opt/ivr-callback  SYSCONFDIR=/etc/ivr-callback  STATEDIR=/var/lib/ivr-callback
#   UNITDIR=/etc/systemd/system  BINDIR=/usr/local/bin  SYSTEMCTL=systemctl (SYSTEMCTL=true:
#   write the units without telling systemd, as the test suite does)
# Run from a built tree: make install depends on build, image and prompts.
set -euo pipefail
umask 022
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${PREFIX:-/opt/ivr-callback}"
SYSCONFDIR="${SYSCONFDIR:-/etc/ivr-callback}"
STATEDIR="${STATEDIR:-/var/lib/ivr-callback}"
UNITDIR="${UNITDIR:-/etc/systemd/system}"
BINDIR="${BINDIR:-/usr/local/bin}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
UNITS=(ivr-asterisk.service ivr-controller.service)

die() { echo "install: $*" >&2; exit 1; }

# systemd is the service manager here (PID 1), not just installed
systemd_running() { [ "$SYSTEMCTL" != true ] && [ -d /run/systemd/system ]; }

render_unit() { # template -> unit file, with this install's paths
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" -e "s|@STATEDIR@|$STATEDIR|g" -e "s|@BINDIR@|$BINDIR|g" "$1" >"$2"
}

install_instance() {
  [ -x "$SRC/.tools/node/bin/node" ] && [ -f "$SRC/dist/controller/main.js" ] && [ -d "$SRC/node_modules" ] ||
    die "build first (make install runs make build image prompts)"
  echo "installing into $PREFIX"
  rm -rf "$PREFIX.new"
  mkdir -p "$PREFIX.new/.tools/node/bin" "$PREFIX.new/sounds" "$PREFIX.new/docs"
  # the runtime only: the Node binary (not its headers or npm), the compiled code, the
  # production dependencies, what Asterisk and the prompt script read
  cp -a "$SRC/.tools/node/bin/node" "$PREFIX.new/.tools/node/bin/node"
  cp -a "$SRC/.tools/node/LICENSE" "$SRC/.tools/node/.version" "$PREFIX.new/.tools/node/" 2>/dev/null || true
  cp -a "$SRC/dist" "$SRC/node_modules" "$SRC/asterisk-config" "$SRC/db" "$SRC/bin" "$SRC/docker" "$SRC/deploy" "$SRC/package.json" "$PREFIX.new/"
  cp -a "$SRC/sounds/gen" "$SRC/sounds/prompts.yaml" "$PREFIX.new/sounds/"
  [ -f "$SRC/docs/INSTALL.md" ] && cp -a "$SRC/docs/INSTALL.md" "$PREFIX.new/docs/"
  rm -rf "$PREFIX.new/dist/test"
  # the test and build tools are not needed to run (better-sqlite3 stays built for this Node)
  (cd "$PREFIX.new" && PATH="$SRC/.tools/node/bin:$PATH" npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null)
  rm -rf "$PREFIX.old"
  [ -d "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
  mv "$PREFIX.new" "$PREFIX"
  rm -rf "$PREFIX.old"

  # the deployment config: the demo's as a start, never overwritten
  mkdir -p "$SYSCONFDIR"
  chmod 750 "$SYSCONFDIR"
  if [ ! -f "$SYSCONFDIR/ivr.yaml" ]; then
    cp "$SRC/config/demo.yaml" "$SYSCONFDIR/ivr.yaml"
    echo "wrote $SYSCONFDIR/ivr.yaml (the demo config: edit it, then ivrctl config check)"
  fi
  if [ ! -f "$SYSCONFDIR/environment" ]; then
    cat >"$SYSCONFDIR/environment" <<EOF
# read by the ivr-asterisk and ivr-controller units and by ivrctl ($BINDIR/ivrctl)
IVR_CONFIG=$SYSCONFDIR/ivr.yaml
IVR_STATE_DIR=$STATEDIR
IVR_DB=$STATEDIR/ivr.db
IVR_CONTAINER=ivr-asterisk
EOF
  fi
  # the state dir: the database, secrets, logs, backups: root's only
  mkdir -p "$STATEDIR"
  chmod 700 "$STATEDIR"

  # ivrctl on the PATH, reading the same config and state as the services
  mkdir -p "$BINDIR"
  cat >"$BINDIR/ivrctl" <<EOF
#!/bin/sh
# installed by make install: the sysadmin CLI of the instance in $PREFIX
set -a
. "$SYSCONFDIR/environment"
set +a
exec "$PREFIX/bin/ivrctl" "\$@"
EOF
  chmod 755 "$BINDIR/ivrctl"

  mkdir -p "$UNITDIR"
  for u in "${UNITS[@]}"; do render_unit "$SRC/deploy/systemd/$u.in" "$UNITDIR/$u"; done
  if systemd_running; then
    "$SYSTEMCTL" daemon-reload
    "$SYSTEMCTL" enable --now "${UNITS[@]}"
    echo "started: ${UNITS[*]} (journalctl -u ivr-controller -f)"
  else
    echo "units written to $UNITDIR (systemd is not running here: start them where it runs)"
  fi
  echo "installed: ivrctl status"
}

uninstall_instance() {
  if systemd_running; then
    "$SYSTEMCTL" disable --now "${UNITS[@]}" 2>/dev/null || true
  fi
  for u in "${UNITS[@]}"; do rm -f "$UNITDIR/$u"; done
  if systemd_running; then "$SYSTEMCTL" daemon-reload; fi
  rm -f "$BINDIR/ivrctl"
  rm -rf "$PREFIX"
  echo "uninstalled; kept the config ($SYSCONFDIR) and the data ($STATEDIR)"
}

case "${1:-}" in
  install) install_instance ;;
  uninstall) uninstall_instance ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
