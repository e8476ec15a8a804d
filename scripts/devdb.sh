#!/usr/bin/env bash
# A PostgreSQL 15 cluster for local development, kept in the repo's ignored
# .pgdata/ folder and reached over a Unix socket inside it, so it never
# collides with a system cluster or another checkout. Reused across runs.
#
#   scripts/devdb.sh start|stop|status DIR
set -euo pipefail

action=${1:?start|stop|status}
dir=${2:?data directory}
bin=/usr/lib/postgresql/15/bin
data="$dir/data"
sock="$dir/socket"

# initdb and postgres refuse to run as root; use the postgres account then.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$action" in
  start)
    mkdir -p "$dir" "$sock"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir" "$sock"
    if [ ! -f "$data/PG_VERSION" ]; then
      echo "creating a PostgreSQL 15 cluster in $data"
      as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! running; then
      as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c port=5432" start >/dev/null
      echo "PostgreSQL is running (socket in $sock, log in $dir/postgres.log)"
    fi
    as_owner psql -h "$sock" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='rebound'" | grep -q 1 ||
      as_owner createdb -h "$sock" -U postgres rebound
    ;;
  stop)
    if running; then as_owner "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null; echo "PostgreSQL stopped"; fi
    ;;
  status)
    running && echo running || echo stopped
    ;;
  *) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
esac
