#!/usr/bin/env bash
# EXPLAIN ANALYZE A/B of one of the writer's statements that read the
# batch's new events (rebound_batch_new: upsert_recipient_state, the three
# rollups, the two notice statements), as two versions of
# service/store/queries.cpp write it: alternately, round after round, over
# the same staged sample, each in a transaction that is rolled back, so both
# see the same tables. It compares one statement's execution time where a
# whole-run A/B (ab_ceiling.sh) would drown a small change in the host's
# drift. docs/performance.md's recount pairs come from it.
#
# It needs a throwaway cluster, so it runs under pg_virtualenv:
#   PGPORT=54963 pg_virtualenv -t -v 15 loadtest/explain_ab.sh OLD_QUERIES_CPP NEW_QUERIES_CPP
# e.g. with OLD from `git show 7863107:service/store/queries.cpp > /tmp/old.cpp`.
# The tables come from rebound_ceiling's `state` mode (EVENTS events, default
# 300000); the sample is ROWS (800) of them, one day later under new ids, so
# that each is new to the statement. The staging tables and the session
# settings are the service's own (create_staging, lookup_session_settings in
# NEW). Environment: STATEMENT (upsert_recipient_state), PARAMS (the
# statement's parameters, as EXECUTE takes them, e.g. "'0'" for a rollup's
# writer slot), ROWS, ROUNDS (6), EVENTS, BUILD_DIR (build).
set -euo pipefail

[ $# -eq 2 ] && [ -f "$1" ] && [ -f "$2" ] || { echo "usage: explain_ab.sh OLD_QUERIES_CPP NEW_QUERIES_CPP (see the header)" >&2; exit 2; }
[ -n "${PG_CLUSTER_CONF_ROOT:-}" ] && [ -n "${PGPORT:-}" ] ||
  { echo "run me under pg_virtualenv (see the header)" >&2; exit 2; }
OLD=$1 NEW=$2
STATEMENT=${STATEMENT:-upsert_recipient_state} PARAMS=${PARAMS:-}
ROWS=${ROWS:-800} ROUNDS=${ROUNDS:-6} EVENTS=${EVENTS:-300000} BUILD_DIR=${BUILD_DIR:-build}
for n in "$ROWS" "$ROUNDS" "$EVENTS"; do [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }; done

DB="postgresql:///postgres?host=${PGHOST:-localhost}&port=$PGPORT&user=${PGUSER:-postgres}&password=${PGPASSWORD:-}"
psql_c() { psql -XqAt -v ON_ERROR_STOP=1 -c "$1"; }

# The text of query NAME in a queries.cpp: between `{"NAME", R"sql(` and `)sql"}`.
sql_of() {
  awk -v open="{\"$2\", R\"sql(" '
    !on && index($0, open) { on = 1; $0 = substr($0, index($0, open) + length(open)) }
    on && index($0, ")sql\"}") { print substr($0, 1, index($0, ")sql\"}") - 1); found = 1; exit }
    on { print }
    END { exit !found }' "$1" || { echo "no statement $2 in $1" >&2; exit 2; }
}
OLD_SQL=$(sql_of "$OLD" "$STATEMENT")
NEW_SQL=$(sql_of "$NEW" "$STATEMENT")
STAGING_SQL=$(sql_of "$NEW" create_staging)
SESSION_SQL=$(sed -n 's/.*lookup_session_settings{"lookup_session_settings", "\([^"]*\)"}.*/\1/p' "$NEW")
[ -n "$SESSION_SQL" ] || { echo "no lookup_session_settings in $NEW" >&2; exit 2; }

. "$(dirname "$0")/pg_settings.sh"
loadtest_pg_alter_system
psql_c "SELECT pg_reload_conf()" >/dev/null
REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$DB" "$BUILD_DIR/rebound" migrate
"$BUILD_DIR/loadtest/rebound_ceiling" --db "$DB" --reset --modes state --events "$EVENTS" --batch 10000 | grep -v '^RESULT' | tail -1
psql_c "VACUUM ANALYZE"
psql_c "CREATE TABLE explain_ab_sample AS
        SELECT provider, provider_event_id || '-ab' AS provider_event_id, source, recipient, recipient_domain, user_ref,
               event_type, occurred_at + interval '1 day' AS occurred_at, reason, severity
        FROM events ORDER BY random() LIMIT $ROWS"

# One round of one version: its execution time in ms.
explain() {
  psql -XqAt -v ON_ERROR_STOP=1 <<SQL | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
$SESSION_SQL;
$STAGING_SQL;
INSERT INTO rebound_batch_new SELECT * FROM explain_ab_sample;
BEGIN;
PREPARE ab_statement AS $1;
EXPLAIN (ANALYZE, TIMING off) EXECUTE ab_statement${PARAMS:+($PARAMS)};
ROLLBACK;
SQL
}

echo "$STATEMENT over $ROWS staged rows, ms of execution (EXPLAIN ANALYZE):"
echo "round old new"
for r in $(seq 1 "$ROUNDS"); do
  echo "$r $(explain "$OLD_SQL") $(explain "$NEW_SQL")"
done | awk '{ print; if ($3 < $2) lower++; so += $2; sn += $3; n++ }
  END { if (n) printf "means: old %.2f, new %.2f; new lower in %d of %d rounds\n", so / n, sn / n, lower, n }'
