#!/usr/bin/env bash
# A/B of the writer's SQL as two rebound_ceiling builds run it: each build's
# `full` mode (every statement rebound's writer runs per batch) alternately,
# round after round, against a database of its own in one cluster, so that
# the host's drift falls on both alike. PostgreSQL CPU per event ("PG us/ev")
# is the figure to compare. docs/performance.md's collation, state-upsert and
# staging-table comparisons come from this.
#
# It needs a throwaway cluster it may restart, so it runs under pg_virtualenv:
#   PGPORT=54961 pg_virtualenv -t -v 15 loadtest/ab_ceiling.sh OLD_CEILING NEW_CEILING
# e.g. old/build/loadtest/rebound_ceiling build/loadtest/rebound_ceiling (a
# worktree of the earlier commit, built with `cmake --build ... --target
# rebound_ceiling`). Both databases are migrated by REBOUND (default
# build/rebound), the newer schema. Bounded: EVENTS per run.
# Environment: ROUNDS (3), BATCHES ("60 700", rows per transaction),
# EVENTS (30000 below 200 rows, else 100000), MODES (full), FSYNC (off),
# NEW_SQL (SQL run on the new build's database after migrating it: a schema
# or storage change measured before it becomes a migration; OLD and NEW may
# then be the same binary).
set -euo pipefail

[ $# -eq 2 ] && [ -x "$1" ] && [ -x "$2" ] || { echo "usage: ab_ceiling.sh OLD_CEILING NEW_CEILING (see the header)" >&2; exit 2; }
[ -n "${PG_CLUSTER_CONF_ROOT:-}" ] && [ -n "${PGPORT:-}" ] ||
  { echo "run me under pg_virtualenv (see the header): I restart the cluster" >&2; exit 2; }
OLD=$1 NEW=$2
REBOUND=${REBOUND:-build/rebound}
ROUNDS=${ROUNDS:-3} BATCHES=${BATCHES:-60 700} MODES=${MODES:-full} FSYNC=${FSYNC:-off}

url() { echo "postgresql:///$1?host=${PGHOST:-localhost}&port=$PGPORT&user=${PGUSER:-postgres}&password=${PGPASSWORD:-}"; }
psql_c() { psql -XqAt -v ON_ERROR_STOP=1 -c "$1"; }
# The settings of loadtest/run.sh, fsync aside (pg_virtualenv's default is off).
. "$(dirname "$0")/pg_settings.sh"
loadtest_pg_alter_system
psql_c "ALTER SYSTEM SET fsync = $FSYNC"
pg_ctlcluster 15 "$(basename "$(ls -d "$PG_CLUSTER_CONF_ROOT"/15/*)")" restart
for db in ab_old ab_new; do
  psql_c "CREATE DATABASE $db"
  REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$(url $db)" "$REBOUND" migrate
done
[ -z "${NEW_SQL:-}" ] || psql -XqAt -v ON_ERROR_STOP=1 -d ab_new -c "$NEW_SQL"

echo "batch round build | PG us/ev (source ev/s)"
for batch in $BATCHES; do
  events=${EVENTS:-$(( batch < 200 ? 30000 : 100000 ))}
  for round in $(seq 1 "$ROUNDS"); do
    for v in old new; do
      psql_c "CHECKPOINT"
      if [ $v = old ]; then bin=$OLD; else bin=$NEW; fi
      "$bin" --db "$(url ab_$v)" --reset --modes "$MODES" --events "$events" --batch "$batch" |
        awk -v b="$batch" -v r="$round" -v v="$v" '$1 == "full" || $1 == "state" || $1 == "merge" { print b, r, v, $1, "|", $NF, "(" $7 ")" }'
    done
  done
done
