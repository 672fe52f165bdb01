#!/usr/bin/env bash
# A PostgreSQL server of the project's own, for the cluster mode's shared database and its
# tests: Debian's postgresql (installed when missing), one cluster in a directory of ours, run
# as the postgres system user (PostgreSQL refuses root), listening on loopback (or the address given), with
# password (SCRAM) authentication: generated passwords kept next to the data (mode 600, never
# in git), one for the superuser (who only creates the application's role and database) and
# one for the application (role ivr, database ivr).
#   docker/postgres.sh start DIR [PORT]   initializes DIR on first use, starts the server,
#                                         prints the connection URL (postgres://ivr:…@127.0.0.1:PORT/ivr)
#   PG_LISTEN=ADDRESS   listen there instead of 127.0.0.1 (a cluster's private address; the URL
#                       names it), PG_CLIENTS="CIDR …" the other addresses allowed to connect
#                       (the nodes'), each with the password as on loopback
#   docker/postgres.sh stop DIR           stops it (fast shutdown)
#   docker/postgres.sh url DIR            prints the URL of a started server
# Exit status: 0, or 1 with one line on stderr saying what failed.
set -euo pipefail
cmd="${1:-}"
dir="${2:-}"
port="${3:-5432}"
listen="${PG_LISTEN:-127.0.0.1}"
[[ "$listen" =~ ^[0-9]+(\.[0-9]+){3}$ ]] || { echo "postgres.sh: PG_LISTEN: not an IPv4 address: $listen" >&2; exit 1; }
fail() {
  echo "postgres.sh: $*" >&2
  exit 1
}
[ -n "$cmd" ] && [ -n "$dir" ] || fail "usage: docker/postgres.sh start|stop|url DIR [PORT]"

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

as_postgres() { runuser -u postgres -- "$@"; }

case "$cmd" in
  start)
    if ! bindir >/dev/null; then
      # Debian's server package; the cluster it creates by default is not used (ours is in DIR)
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } ||
        fail "PostgreSQL is not installed and apt-get could not install it"
    fi
    bin="$(bindir)" || fail "no initdb under /usr/lib/postgresql/*/bin"
    mkdir -p "$dir"
    chown postgres: "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      for f in superuser.password password; do
        (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | head -c 32 >"$dir/$f")
        chown postgres: "$dir/$f"
      done
      as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/superuser.password" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        fail "initdb failed: $(tail -1 "$dir/initdb.log")"
    fi
    # loopback, the listening address and the named clients only; every connection with the
    # password (SCRAM), none by trust (written at each start: the clients may change)
    {
      printf 'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all %s/32 scram-sha-256\n' "$listen"
      for c in ${PG_CLIENTS:-}; do
        [[ "$c" =~ ^[0-9]+(\.[0-9]+){3}/[0-9]+$ ]] || fail "PG_CLIENTS: not an IPv4 CIDR: $c"
        printf 'host all all %s scram-sha-256\n' "$c"
      done
    } >"$dir/data/pg_hba.conf"
    chown postgres: "$dir/data/pg_hba.conf"
    chmod 600 "$dir/data/pg_hba.conf"
    su_pw="$(cat "$dir/superuser.password")"
    pw="$(cat "$dir/password")"
    if ! as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -c listen_addresses=$listen -k $dir -c fsync=on -c max_connections=100" start >/dev/null ||
        fail "the server did not start: $(tail -2 "$dir/server.log" | tr '\n' ' ')"
    fi
    echo "$port" >"$dir/port"
    echo "$listen" >"$dir/host"
    # the application's role and database (once): the superuser only creates them
    PGPASSWORD="$su_pw" "$bin/psql" -h "$listen" -p "$port" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'ivr'" | grep -q 1 ||
      PGPASSWORD="$su_pw" "$bin/psql" -h "$listen" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE ivr LOGIN PASSWORD '$pw'" -c "CREATE DATABASE ivr OWNER ivr" >/dev/null ||
      fail "could not create the ivr role and database"
    echo "postgres://ivr:$pw@$listen:$port/ivr"
    ;;
  stop)
    bin="$(bindir)" || exit 0
    [ -f "$dir/data/PG_VERSION" ] || exit 0
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  url)
    [ -f "$dir/password" ] && [ -f "$dir/port" ] || fail "$dir: no server was started there"
    echo "postgres://ivr:$(cat "$dir/password")@$(cat "$dir/host" 2>/dev/null || echo 127.0.0.1):$(cat "$dir/port")/ivr"
    ;;
  *) fail "unknown command '$cmd' (start, stop, url)" ;;
esac
