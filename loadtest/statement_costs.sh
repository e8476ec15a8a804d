#!/usr/bin/env bash
# What each of the writer's statements costs PostgreSQL, per batch and per
# row: rebound_ceiling's `full` mode (the writer's own SQL) under
# pg_stat_statements, at rebound's group size and at the ceiling's. This is
# where docs/performance.md's per-statement figures come from.
#
# It needs a throwaway cluster it may restart, so it runs under pg_virtualenv:
#   PGPORT=54950 pg_virtualenv -t -v 15 loadtest/statement_costs.sh
# (`make statement-costs` does that.) Bounded: EVENTS events per batch size.
# Environment: BUILD_DIR (default build), EVENTS (100000), BATCHES ("800 10000").
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-build}
EVENTS=${EVENTS:-100000}
BATCHES=${BATCHES:-800 10000}
REBOUND="$BUILD_DIR/rebound"
CEILING="$BUILD_DIR/loadtest/rebound_ceiling"
for b in "$REBOUND" "$CEILING"; do
  [ -x "$b" ] || { echo "missing $b: build first (make build, or BUILD_DIR=...)" >&2; exit 2; }
done
[ -n "${PG_CLUSTER_CONF_ROOT:-}" ] && [ -n "${PGPORT:-}" ] ||
  { echo "run me under pg_virtualenv (see the header): I restart the cluster" >&2; exit 2; }

DB="postgresql:///postgres?host=${PGHOST:-localhost}&port=$PGPORT&user=${PGUSER:-postgres}&password=${PGPASSWORD:-}"
psql_c() { psql -XqAt -v ON_ERROR_STOP=1 -c "$1"; }

# The same cluster settings as loadtest/run.sh, plus the statistics module.
. "$(dirname "$0")/pg_settings.sh"
loadtest_pg_alter_system
psql_c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
pg_ctlcluster 15 "$(basename "$(ls -d "$PG_CLUSTER_CONF_ROOT"/15/*)")" restart
psql_c "ALTER SYSTEM SET pg_stat_statements.track_planning = on"
psql_c "SELECT pg_reload_conf()" >/dev/null
REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$DB" "$REBOUND" migrate
psql_c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

for batch in $BATCHES; do
  psql_c "CHECKPOINT"
  psql_c "SELECT pg_stat_statements_reset()" >/dev/null
  echo "== rebound_ceiling full: $EVENTS events, $batch-row transactions, 2 sessions"
  "$CEILING" --db "$DB" --reset --modes full --events "$EVENTS" --batch "$batch" | grep -v '^RESULT' | tail -2
  # rows: what the statement wrote or returned; per row is exec time over rows.
  psql -X -c "
    SELECT calls, plans, round(mean_exec_time::numeric, 2) AS exec_ms_per_call,
           round(mean_plan_time::numeric, 2) AS plan_ms_per_call,
           round((1000 * total_exec_time / NULLIF(rows, 0))::numeric, 1) AS us_per_row,
           left(regexp_replace(query, '\s+', ' ', 'g'), 60) AS statement
    FROM pg_stat_statements
    WHERE calls >= 5 AND query !~* '^(BEGIN|COMMIT|SELECT pg_stat_statements_reset)'
    ORDER BY total_exec_time DESC
    LIMIT 12"
done
