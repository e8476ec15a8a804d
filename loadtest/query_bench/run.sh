#!/usr/bin/env bash
# Read-API benchmark (issue 5; results in docs/performance-read-api.md).
#
# In a throwaway PostgreSQL 15 cluster (pg_virtualenv -t: a temporary folder,
# dropped on exit) it migrates a database with `rebound migrate`, seeds EVENTS
# events for RECIPIENTS recipients inside PostgreSQL (seed.sql: events in
# time order, then recipient_state, notices and daily_stats derived from
# them, then VACUUM ANALYZE), checks a sample of the seeded state against the
# service's own upsert (check_state.sql), starts `rebound serve` on 127.0.0.1
# (ephemeral port) with a read token, and measures on loopback, one kept-alive
# connection, sequential requests (bench.py http):
#   2,000 single status lookups (80 % known), 200 bulk lookups of 1,000,
#   200 soft-bounce pages per mode (filters, cursor paging), 100 stats calls
#   for 30 days by day and by domain, a few other routes, and a small
#   concurrent run;
# then EXPLAIN (ANALYZE, BUFFERS) of the service's own SQL (dumped from
# service/store/queries_read.cpp by dump_sql.cpp): custom, generic and
# the plan the service runs (custom per call for the lists and stats, which
# store/reader.cpp plans per call; otherwise the default after five runs),
# flagging any sequential scan of events.
# Every step is bounded; the server and the cluster are stopped on exit.
#
# Usage: loadtest/query_bench/run.sh            (quick: 1M events, 100k recipients)
#        EVENTS=10000000 RECIPIENTS=1000000 MAX_LOAD=3 loadtest/query_bench/run.sh
#                                               (the figures of the document)
# Environment:
#   EVENTS (1000000), RECIPIENTS (100000, a multiple of 100), DAYS (60),
#   DOMAINS (2000), SEED (0.42), QUICK=1 (a tenth of the requests),
#   REBOUND (build/rebound), OUT (results folder, default build/query_bench/<UTC time>),
#   SHARED_BUFFERS (1GB), QBENCH_TIMEOUT (seconds for everything, 5400),
#   PASSES ("default"; "default custom" adds a pass where the service's
#     connections use plan_cache_mode=force_custom_plan for every statement,
#     the lookups included),
#   MAX_LOAD (e.g. 2.5: before each pass wait up to MAX_LOAD_WAIT s, default
#     900, for the 1-minute load average to fall below it),
#   QBENCH_KEEP=1 (at the end keep the cluster, PG* settings in $OUT/pg.env,
#     until Enter is pressed or stdin is closed).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

EVENTS=${EVENTS:-1000000}
RECIPIENTS=${RECIPIENTS:-100000}
DAYS=${DAYS:-60}
DOMAINS=${DOMAINS:-2000}
SEED=${SEED:-0.42}
QUICK=${QUICK:-0}
REBOUND=${REBOUND:-$ROOT/build/rebound}
SHARED_BUFFERS=${SHARED_BUFFERS:-1GB}
TIMEOUT=${QBENCH_TIMEOUT:-5400}
PASSES=${PASSES:-default}

say() { printf '[query_bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

#------------------------------------------------------------------------------
# Outside: check, build the SQL dumper, then re-run this script inside a
# throwaway cluster, everything under one timeout.

if [ -z "${QBENCH_INNER:-}" ]; then
  case "${1:-}" in -h|--help) sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
  for n in "$EVENTS" "$RECIPIENTS" "$DAYS" "$DOMAINS" "$TIMEOUT"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
  done
  [ $((RECIPIENTS % 100)) -eq 0 ] && [ "$RECIPIENTS" -ge 1000 ] || { echo "RECIPIENTS must be a multiple of 100, at least 1000" >&2; exit 2; }
  [ "$DOMAINS" -ge 20 ] || { echo "DOMAINS must be at least 20" >&2; exit 2; }
  [ -x "$REBOUND" ] || { echo "missing $REBOUND: build it (make build) or set REBOUND=" >&2; exit 2; }
  for t in pg_virtualenv psql python3 g++ curl sha256sum timeout; do
    command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
  done
  OUT=${OUT:-$ROOT/build/query_bench/$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$OUT/sql/ingest"
  OUT=$(cd "$OUT" && pwd)
  say "results in $OUT"
  say "building dump_sql (the read API's SQL from service/store/queries_read.cpp)"
  g++ -std=c++20 -O0 -I "$ROOT/service" "$HERE/dump_sql.cpp" "$ROOT/service/store/queries_read.cpp" \
    "$ROOT/service/store/queries.cpp" -o "$OUT/dump_sql"
  "$OUT/dump_sql" "$OUT/sql"
  export QBENCH_INNER=1 OUT EVENTS RECIPIENTS DAYS DOMAINS SEED QUICK REBOUND PASSES
  # The cluster is for measuring reads: durability settings only speed up
  # seeding (WAL-skipping loads, no fsync); autovacuum is off so nothing runs
  # in the background while measuring (seed.sql vacuums and analyzes).
  # timeout signals the whole process group; pg_virtualenv drops the cluster.
  # An interactive QBENCH_KEEP=1 must read the terminal, which timeout's own
  # process group cannot; then only pg_virtualenv itself is timed out.
  fg=(); [ "${QBENCH_KEEP:-0}" = 1 ] && [ -t 0 ] && fg=(--foreground)
  # Other users of the machine run pg_virtualenv too, which would start every
  # cluster on port 5432 and share /var/run/postgresql/15-regress.pid (so one
  # run's cleanup could stop another's cluster): a free port and a pid file of
  # our own keep the clusters apart.
  QB_PORT=${PGPORT:-$(python3 -c '
import os, random, socket
for _ in range(200):
    p = random.randint(50000, 59999)
    if os.path.exists(f"/var/run/postgresql/.s.PGSQL.{p}"):
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break')}
  say "cluster on port $QB_PORT"
  set +e
  PGPORT=$QB_PORT timeout "${fg[@]}" -k 30 "$TIMEOUT" pg_virtualenv -t -v 15 \
    -o "external_pid_file=/tmp/rebound-qbench-$QB_PORT.pid" \
    -o "shared_buffers=$SHARED_BUFFERS" -o wal_level=minimal -o max_wal_senders=0 -o fsync=off \
    -o synchronous_commit=off -o full_page_writes=off -o max_wal_size=8GB -o checkpoint_timeout=30min \
    -o maintenance_work_mem=1GB -o autovacuum=off -o shared_preload_libraries=pg_stat_statements \
    "$HERE/run.sh" "$@"
  rc=$?
  set -e
  [ $rc -eq 124 ] && say "timed out after $TIMEOUT s"
  [ $rc -eq 0 ] && say "done: $OUT/report.md, $OUT/explain.md"
  exit $rc
fi

#------------------------------------------------------------------------------
# Inside pg_virtualenv: PGHOST, PGPORT, PGUSER and PGPASSWORD are set.

DB=qbench
export PGDATABASE=$DB
REBOUND_PID=""
cleanup() {
  if [ -n "$REBOUND_PID" ] && kill -0 "$REBOUND_PID" 2>/dev/null; then
    kill -TERM "$REBOUND_PID"
    for _ in $(seq 1 100); do kill -0 "$REBOUND_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$REBOUND_PID" 2>/dev/null && kill -KILL "$REBOUND_PID"
  fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine() {
  echo "uptime: $(uptime)"
  echo "cpus: $(nproc) x $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "postgres: $(psql -d postgres -Atc 'SELECT version()')"
  echo "settings: $(psql -d postgres -Atc "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings
        WHERE name IN ('shared_buffers','work_mem','effective_cache_size','random_page_cost','jit','max_parallel_workers_per_gather')")"
}
{ echo "== before seeding"; machine; } > "$OUT/machine.txt"

say "creating database $DB and migrating"
createdb "$DB"
psql -X -q -c "CREATE EXTENSION pg_stat_statements" >/dev/null
REBOUND_DATABASE_URL="dbname=$DB" REBOUND_LOG_LEVEL=warn "$REBOUND" migrate

say "seeding $EVENTS events for $RECIPIENTS recipients over $DAYS days, $DOMAINS domains (load: $(cut -d' ' -f1-3 /proc/loadavg))"
t0=$(date +%s)
psql -X -q -v events="$EVENTS" -v recipients="$RECIPIENTS" -v days="$DAYS" -v domains="$DOMAINS" -v seed="$SEED" \
  -f "$HERE/seed.sql" > "$OUT/seed.log" 2>&1 || { tail -20 "$OUT/seed.log" >&2; exit 1; }
SEED_SECONDS=$(( $(date +%s) - t0 ))
say "seeded in $SEED_SECONDS s (step times in $OUT/seed.log)"
echo "seed_seconds=$SEED_SECONDS" >> "$OUT/machine.txt"

# The seeded state must be what the service computes: replay a sample's
# events through its own upsert_recipient_state and compare (rolled back).
psql -X -q -P footer=off -v upsert_file="$OUT/sql/ingest/upsert_recipient_state.sql" -f "$HERE/check_state.sql" \
  > "$OUT/state_check.txt"
say "state check: $(tail -n +3 "$OUT/state_check.txt" | head -1 | tr -s ' ' | sed 's/^ //') (sampled | events | mismatched | with streak)"

# The dataset's shape, for the document.
psql -X -P footer=off > "$OUT/dataset.txt" <<'SQL'
SELECT relname AS relation, pg_size_pretty(pg_total_relation_size(c.oid)) AS total, pg_size_pretty(pg_relation_size(c.oid)) AS heap,
       c.reltuples::bigint AS rows
FROM pg_class c WHERE relname IN ('events', 'recipient_state', 'notices', 'notice_history', 'daily_stats', 'daily_totals',
                                   'daily_domain_totals') ORDER BY 1;
SELECT indexrelname AS index, pg_size_pretty(pg_relation_size(indexrelid)) AS size FROM pg_stat_user_indexes
WHERE relname IN ('events', 'recipient_state', 'notices', 'daily_stats', 'daily_totals', 'daily_domain_totals')
ORDER BY relname, indexrelname;
SELECT event_type, coalesce(severity, '-') AS severity, count(*), round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct
FROM events GROUP BY 1, 2 ORDER BY 3 DESC;
SELECT provider, source, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2;
SELECT coalesce(reason, '-') AS reason, count(*) FROM events WHERE severity IS NOT NULL OR event_type IN ('drop', 'complaint')
GROUP BY 1 ORDER BY 2 DESC;
SELECT count(*) AS recipients, count(DISTINCT recipient_domain) AS domains, count(user_ref) AS with_user_ref,
       count(*) FILTER (WHERE last_soft_at > now() - interval '7 days') AS soft_in_7d,
       count(*) FILTER (WHERE soft_streak >= 3) AS streak_ge_3, count(*) FILTER (WHERE soft_streak >= 10) AS streak_ge_10,
       count(*) FILTER (WHERE hard_bounced_at IS NOT NULL) AS hard_bounced, count(*) FILTER (WHERE complained_at IS NOT NULL) AS complained
FROM recipient_state;
SELECT recipient_domain, count(*) AS recipients FROM recipient_state GROUP BY 1 ORDER BY 2 DESC LIMIT 12;
SELECT state, coalesce(resolution, '-') AS resolution, count(*) FROM notices GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS daily_stats_rows, count(DISTINCT day) AS days, count(DISTINCT recipient_domain) AS domains,
       count(*) FILTER (WHERE day > current_date - 30) AS rows_last_30_days, sum(events) AS events
FROM daily_stats;
SELECT 'daily_totals' AS rollup, count(*) AS rows, count(*) FILTER (WHERE day > current_date - 30) AS rows_last_30_days,
       sum(events) AS events FROM daily_totals
UNION ALL
SELECT 'daily_domain_totals', count(*), count(*) FILTER (WHERE day > current_date - 30),
       sum(delivered + hard_bounces + soft_bounces + blocks + deferrals + drops + complaints) FROM daily_domain_totals;
SELECT min(n) AS min_events_per_recipient, percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS median, max(n)
FROM (SELECT count(*) AS n FROM events GROUP BY recipient) x;
SQL

# Known addresses for the lookups: a fixed sample of recipient_state.
psql -X -At -c "SELECT recipient FROM recipient_state ORDER BY hashtext(recipient) LIMIT 50000" > "$OUT/known.txt"

TOKEN="qbench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
for v in $(compgen -e | grep '^REBOUND_' || true); do
  case "$v" in REBOUND_DB_READERS|REBOUND_IO_THREADS) ;; *) unset "$v" ;; esac
done

# The port rebound bound: the listening socket among the process's own fds.
listening_port() {
  local inodes hex
  inodes=$(ls -l "/proc/$REBOUND_PID/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
  [ -n "$inodes" ] || return 0
  hex=$(awk -v inodes=" $inodes" 'FNR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
      n = split($2, a, ":"); print a[n]; exit }' /proc/net/tcp /proc/net/tcp6)
  [ -n "$hex" ] && printf '%d' "0x$hex"
  return 0
}

# start_server DATABASE_URL LOG: rebound serve on 127.0.0.1, ephemeral port; sets BASE.
start_server() {
  REBOUND_DATABASE_URL="$1" REBOUND_LISTEN=127.0.0.1:0 REBOUND_LOG_LEVEL=warn REBOUND_MIGRATE_ON_START=false \
  REBOUND_API_TOKEN__QBENCH="sha256:$HASH:read" \
    "$REBOUND" serve > "$2" 2>&1 &
  REBOUND_PID=$!
  local port=""
  for _ in $(seq 1 200); do
    kill -0 "$REBOUND_PID" 2>/dev/null || { echo "rebound exited:" >&2; cat "$2" >&2; exit 1; }
    port=$(listening_port)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "rebound did not listen within 10 s" >&2; exit 1; }
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -sf -m 2 "$BASE/readyz" >/dev/null && break
    sleep 0.2
  done
  curl -sf -m 2 "$BASE/readyz" >/dev/null || { echo "rebound not ready:" >&2; curl -s -m 2 "$BASE/readyz" >&2; exit 1; }
}

# Passes: "default" is the service as configured; "custom" is the same binary
# with plan_cache_mode=force_custom_plan on its connections (libpq options),
# a configuration-only candidate fix for generic-plan regressions.
quick=(); [ "$QUICK" = 1 ] && quick=(--quick)
for pass in $PASSES; do
  case "$pass" in
    default) url="dbname=$DB" ;;
    custom) url="dbname=$DB options='-c plan_cache_mode=force_custom_plan'" ;;
    *) echo "unknown pass: $pass (default, custom)" >&2; exit 2 ;;
  esac
  say "pass $pass: starting rebound serve on 127.0.0.1 (ephemeral port)"
  start_server "$url" "$OUT/rebound-$pass.log"

  # The machine is shared: optionally wait (bounded) for a quieter moment.
  if [ -n "${MAX_LOAD:-}" ]; then
    waited=0
    while awk -v m="$MAX_LOAD" '{ exit !($1 > m) }' /proc/loadavg && [ "$waited" -lt "${MAX_LOAD_WAIT:-900}" ]; do
      [ "$waited" -eq 0 ] && say "waiting up to ${MAX_LOAD_WAIT:-900} s for the load average to fall below $MAX_LOAD"
      sleep 10; waited=$((waited + 10))
    done
  fi
  { echo "== pass $pass: before measuring"; machine; } >> "$OUT/machine.txt"
  psql -X -q -c "SELECT pg_stat_statements_reset()" >/dev/null
  say "pass $pass: measuring over HTTP at $BASE (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  timeout 1800 python3 "$HERE/bench.py" http --base "$BASE" --token "$TOKEN" --known "$OUT/known.txt" \
    --recipients "$RECIPIENTS" --out "$OUT/results-$pass.json" "${quick[@]}" | tee "$OUT/http-$pass.txt"
  { echo "== pass $pass: after measuring"; machine; } >> "$OUT/machine.txt"

  # Server-side execution times of the same run.
  psql -X -At -F $'\t' -c "SELECT replace(query, E'\n', '\\n'), calls, round(mean_exec_time::numeric, 3), round(max_exec_time::numeric, 3)
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY total_exec_time DESC" \
    > "$OUT/pgss-$pass.tsv"
  cleanup
  REBOUND_PID=""
done

say "EXPLAIN (ANALYZE, BUFFERS) of the read SQL"
timeout 1800 python3 "$HERE/bench.py" explain --db "$DB" --sql-dir "$OUT/sql" --out-md "$OUT/explain.md" \
  --out-json "$OUT/explain.json" | tee "$OUT/explain.txt"

if [ "${FIXES:-0}" = 1 ]; then
  say "FIXES=1: the candidate fixes are applied by schema/005_rollups.sql now; nothing to time"
fi

: > "$OUT/report.md"
for pass in $PASSES; do
  { echo "## pass: $pass"; echo
    python3 "$HERE/bench.py" report --results "$OUT/results-$pass.json" --sql-dir "$OUT/sql" --pgss "$OUT/pgss-$pass.tsv"
    echo; } >> "$OUT/report.md"
done
cat "$OUT/report.md"

if [ "${QBENCH_KEEP:-0}" = 1 ]; then
  env | grep '^PG' > "$OUT/pg.env"
  say "cluster kept for exploring: . $OUT/pg.env; psql $DB; press Enter (or close stdin) to drop it"
  read -r _ || true
fi
say "the cluster is dropped by pg_virtualenv"
