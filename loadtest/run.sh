#!/usr/bin/env bash
# End-to-end load test of rebound against PostgreSQL's own ceiling, on this
# machine, bounded in time (called by `make loadtest`; see docs/performance.md).
#
# It makes a throwaway PostgreSQL 15 cluster (fsync on, Unix socket only) in a
# temporary folder, migrates it, then, one after the other on the same machine:
#   0. rebound_bench_ingest_cpu: parse + classify on one core;
#   1. rebound_ceiling: the rows rebound would store, straight into PostgreSQL
#      with rebound's own SQL in 2 sessions (plus plain COPY reference
#      points), and the two receivers of issue 6 (a multi-row INSERT per
#      request, one INSERT per event) through as many sessions as the load
#      has connections;
#   2. rebound serve on 127.0.0.1 (ephemeral port), loaded by rebound_loadgen:
#      new SendGrid events (then the ceiling again, so that the ratio is taken
#      against the mean of the ceilings either side), the same requests again
#      (100 % replays), a fixed rate at half the measured maximum (ack
#      latency), then SES, Mailgun and a mix with duplicates; every run checks
#      its acknowledged events in the database;
#   3. a summary with rebound / ceiling and the targets of issue 6.
# Everything it starts is stopped on exit, and the folder is removed.
#
# Usage: loadtest/run.sh [--events N] [--connections C] [--batch B] [--keep]
#   The 1M-event figures of docs/performance.md: loadtest/run.sh --events 1000000
# Environment: BUILD_DIR (default build), LOADTEST_EVENTS, LOADTEST_CONNECTIONS,
#   LOADTEST_BATCH, LOADTEST_LATENCY_SECONDS (20), LOADTEST_SINGLE_EVENTS (5000),
#   LOADTEST_INSERT_EVENTS (10000), LOADTEST_MULTIROW_EVENTS (100000),
#   LOADTEST_DIR (parent of the temporary folder; default BUILD_DIR), PG_BINDIR,
#   LOADTEST_AUTO_EXPLAIN_MS (unset: off; else PostgreSQL logs the plan of every
#   statement slower than that, with auto_explain: read with --keep),
#   LOADTEST_PG_EXTRA (more server settings, name=value separated by spaces,
#   e.g. "backend_flush_after=256kB": to measure one before recommending it).
#   REBOUND_* tuning variables (REBOUND_DB_WRITERS, REBOUND_BATCH_SIZE, ...) are
#   passed to rebound as they are.
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-build}
EVENTS=${LOADTEST_EVENTS:-200000}
CONNECTIONS=${LOADTEST_CONNECTIONS:-16}
BATCH=${LOADTEST_BATCH:-100}
LATENCY_SECONDS=${LOADTEST_LATENCY_SECONDS:-20}
SINGLE_EVENTS=${LOADTEST_SINGLE_EVENTS:-5000}
INSERT_EVENTS=${LOADTEST_INSERT_EVENTS:-10000}
MULTIROW_EVENTS=${LOADTEST_MULTIROW_EVENTS:-100000}
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --events) EVENTS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set /s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$EVENTS" "$CONNECTIONS" "$BATCH" "$LATENCY_SECONDS" "$SINGLE_EVENTS" "$INSERT_EVENTS" "$MULTIROW_EVENTS"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done

REBOUND="$BUILD_DIR/rebound"
LOADGEN="$BUILD_DIR/loadtest/rebound_loadgen"
CEILING="$BUILD_DIR/loadtest/rebound_ceiling"
BENCH="$BUILD_DIR/loadtest/rebound_bench_ingest_cpu"
for b in "$REBOUND" "$LOADGEN" "$CEILING" "$BENCH"; do
  [ -x "$b" ] || { echo "missing $b: build first (make build, or BUILD_DIR=...)" >&2; exit 2; }
done

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BINDIR/postgres" ] || { echo "PostgreSQL 15 not found in $PG_BINDIR (make deps installs it)" >&2; exit 2; }

# Each phase's loadgen issues for at most this long; a run never hangs.
MAX_PHASE_SECONDS=600

#------------------------------------------------------------------------------
# The throwaway cluster.

PARENT=${LOADTEST_DIR:-$BUILD_DIR}
mkdir -p "$PARENT"
WORK=$(mktemp -d "$PARENT/loadtest.XXXXXX")
WORK=$(cd "$WORK" && pwd)
DATA="$WORK/data"
SOCK="$WORK/socket"
LOG="$WORK/loadtest.log"
# A Unix socket path is limited to about 100 bytes; deep checkouts get one in
# the temporary directory instead.
if [ $(( ${#SOCK} + 16 )) -gt 100 ]; then SOCK=$(mktemp -d "${TMPDIR:-/tmp}/rebound-lt.XXXXXX"); fi
mkdir -p "$SOCK"

# initdb and postgres refuse to run as root; use the postgres account then.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK" "$SOCK"

REBOUND_PID=""
cleanup() {
  set +e
  if [ -n "$REBOUND_PID" ] && kill -0 "$REBOUND_PID" 2>/dev/null; then
    kill -TERM "$REBOUND_PID"
    for _ in $(seq 1 300); do kill -0 "$REBOUND_PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$REBOUND_PID" 2>/dev/null && kill -KILL "$REBOUND_PID"
  fi
  if [ -f "$DATA/postmaster.pid" ]; then
    as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1
  fi
  if [ "$KEEP" = 1 ]; then
    echo "kept $WORK (logs: loadtest.log, rebound.log, postgres.log)"
  else
    rm -rf "$WORK"
    case "$SOCK" in "$WORK"/*) ;; *) rm -rf "$SOCK" ;; esac
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Timed, so that postgres.log (slow statements, autovacuum runs) can be read
# against the phases.
say() { echo "== $(date -u +%H:%M:%S) $*" >&2; }

# Other work on the machine skews every figure: say how busy it was.
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)

say "PostgreSQL 15 cluster in $WORK"
as_owner "$PG_BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# fsync and synchronous_commit stay on: the figures are for durable ingest.
# The rest is loadtest/pg_settings.sh, shared with the other scripts.
# Statements over 100 ms are logged, so that the fixed-rate phase can say
# whether its tail was PostgreSQL's COMMITs (the disk) or something else; autovacuum runs
# are logged too, to be read against the phases.
. "$(dirname "$0")/pg_settings.sh"
PG_SETTINGS="-c listen_addresses='' -c unix_socket_directories='$SOCK' -c port=5432 -c fsync=on \
-c synchronous_commit=on -c full_page_writes=on $(loadtest_pg_flags)-c max_connections=40 \
-c log_min_duration_statement=100 -c log_autovacuum_min_duration=0"
# A plan that goes wrong under load (docs/performance.md, "a plan that
# collapsed ingest") shows in postgres.log only with its plan beside it.
if [ -n "${LOADTEST_AUTO_EXPLAIN_MS:-}" ]; then
  [[ "$LOADTEST_AUTO_EXPLAIN_MS" =~ ^[0-9]+$ ]] || { echo "LOADTEST_AUTO_EXPLAIN_MS: not a whole number" >&2; exit 2; }
  PG_SETTINGS="$PG_SETTINGS -c shared_preload_libraries=auto_explain \
-c auto_explain.log_min_duration=${LOADTEST_AUTO_EXPLAIN_MS}ms -c auto_explain.log_nested_statements=on"
fi
for setting in ${LOADTEST_PG_EXTRA:-}; do
  [[ "$setting" =~ ^[a-z_.]+=[A-Za-z0-9_.]+$ ]] || { echo "LOADTEST_PG_EXTRA: not name=value: $setting" >&2; exit 2; }
  PG_SETTINGS="$PG_SETTINGS -c $setting"
done
as_owner "$PG_BINDIR/pg_ctl" -D "$DATA" -l "$WORK/postgres.log" -w -o "$PG_SETTINGS" start >/dev/null
CONN="host=$SOCK port=5432 user=postgres"
psql_c() { psql "$CONN dbname=postgres" -XqAt -v ON_ERROR_STOP=1 -c "$1"; }
psql_c "CREATE DATABASE rebound"
psql_c "CREATE DATABASE rebound_ceiling"
DB="$CONN dbname=rebound"
CEILING_DB="$CONN dbname=rebound_ceiling"
REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$DB" "$REBOUND" migrate
REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$CEILING_DB" "$REBOUND" migrate
# Before every phase: the vacuum and analyze that autovacuum would otherwise
# start in the middle of the next phase for what earlier ones inserted (its
# log showed rebound's tables vacuumed during the ceiling's second run, about
# a second of CPU charged to the wrong phase, and events during the
# replays); then a checkpoint, and the kernel's own writeback of what earlier
# phases dirtied (sync), which otherwise lands in the next phase as commits
# stalled for hundreds of milliseconds (seen in PostgreSQL's log as slow
# COMMITs during the fixed-rate phase).
checkpoint() {
  local db
  # rebound_ceiling exists only while a ceiling runs.
  for db in $(psql_c "SELECT datname FROM pg_database WHERE datname IN ('rebound', 'rebound_ceiling')"); do
    psql "$CONN dbname=$db" -XqAt -v ON_ERROR_STOP=1 -c "VACUUM (ANALYZE)" >/dev/null
  done
  psql_c "CHECKPOINT" >/dev/null
  sync
}
# Phases run in command substitutions (subshells): failures are kept in a file.
FAILED_MARK="$WORK/failed"

# Field of a RESULT line: field "<line>" key
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", ($1) }"; }

#------------------------------------------------------------------------------
# 0. CPU: parse + classify on one core (no database, no HTTP).

say "CPU bench: parse + classify of SendGrid batches, one thread"
BENCH_OUT=$("$BENCH" --batch "$BATCH" --seconds 2 | tee -a "$LOG")
echo "$BENCH_OUT" | grep -v '^RESULT' >&2
BENCH_RESULT=$(grep '^RESULT' <<<"$BENCH_OUT")

#------------------------------------------------------------------------------
# 1. The ceiling, one mode per run so that the whole cluster's CPU time can
#    be charged to it, as it is for rebound's phases below.

# CPU seconds used so far by the cluster: the postmaster and its children
# (sessions stay connected through a phase, so the difference over a phase
# is PostgreSQL's share of the machine).
pg_cpu() {
  local pm pids
  pm=$(head -1 "$DATA/postmaster.pid")
  pids="$pm $(ps -o pid= --ppid "$pm" | tr '\n' ' ')"
  for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done |
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 } END { printf "%.2f", t / hz }'
}

# ceiling MODE [flags...]: prints the report, returns the RESULT line.
ceiling() {
  local mode=$1 out cpu0 cpu1; shift
  checkpoint
  cpu0=$(pg_cpu)
  out=$("$CEILING" --db "$CEILING_DB" --reset --modes "$mode" --events "$EVENTS" --request-batch "$BATCH" "$@" |
        tee -a "$LOG") || { echo "!! ceiling $mode failed" >&2; echo "ceiling-$mode" >>"$FAILED_MARK"; }
  cpu1=$(pg_cpu)
  echo "$out" | grep -v '^RESULT' | tail -n +3 >&2
  echo "$(grep '^RESULT' <<<"$out" || echo "RESULT mode=$mode") pg_cluster_cpu_s=$(calc "$cpu1 - $cpu0" 2)"
}

# The same SQL in the group size rebound can reach with this many requests
# in flight (connections x batch, spread over its writers): separates what
# batch size costs from what rebound itself costs.
WRITERS=${REBOUND_DB_WRITERS:-2}
SMALL_BATCH=$(( CONNECTIONS * BATCH / WRITERS ))
[ "$SMALL_BATCH" -ge 1 ] || SMALL_BATCH=1

# The ceiling runs the writer's per-batch statements through the writer's own
# store::batch_session; say so if the writer has started running SQL of its
# own beside it (COPY of rejected events aside, which the load sends none of).
WRITER_SRC="$(dirname "$0")/../service/store/ingest_writer.cpp"
if [ -f "$WRITER_SRC" ] && grep -Eq 'exec(_prepared|_params|0|1)?\(' "$WRITER_SRC"; then
  echo "!! the writer now runs SQL outside store::batch_session, which rebound_ceiling does not: the ceiling understates the work" >&2
fi

say "ceiling: $EVENTS events straight into PostgreSQL (2 sessions, 10k-row transactions unless said)"
echo "  mode       txn rows sessions     source       rows   seconds  source ev/s       rows/s   PG us/ev" >&2
C_FULL=$(ceiling full)
C_SMALL=$(ceiling full --batch "$SMALL_BATCH" --sessions "$WRITERS")
C_STATE=$(ceiling state)
C_MERGE=$(ceiling merge)
C_COPY=$(ceiling copy)
# The two receivers rebound is compared with serve the load's concurrent
# requests through a pool of as many connections: with 2 sessions, one
# INSERT per event ran at 3.8k events/s against 5.9-6.8k with 16 (commits
# share WAL flushes), which overstated rebound's multiple by about 1.6x.
C_MULTI=$(ceiling multirow --multirow-events "$MULTIROW_EVENTS" --sessions "$CONNECTIONS")
C_INSERT=$(ceiling insert --insert-events "$INSERT_EVENTS" --sessions "$CONNECTIONS")
CEIL_FULL=$(field "$C_FULL" eps); CEIL_SMALL=$(field "$C_SMALL" eps); CEIL_MERGE=$(field "$C_MERGE" eps)
CEIL_STATE=$(field "$C_STATE" eps)
CEIL_COPY=$(field "$C_COPY" eps); CEIL_MULTI=$(field "$C_MULTI" eps); CEIL_INSERT=$(field "$C_INSERT" eps)
# Its rows would only weigh on rebound's phases (autovacuum, cache).
psql_c "DROP DATABASE rebound_ceiling"

#------------------------------------------------------------------------------
# 2. rebound.

say "starting rebound on 127.0.0.1 (ephemeral port)"
for v in $(compgen -e | grep '^REBOUND_SECRET__' || true); do unset "$v"; done
# No signing keys: the synthetic webhooks are unsigned. SNS signatures are
# checked by default even then (they need the certificate from AWS), so the
# SES endpoint is told not to.
REBOUND_DATABASE_URL="$DB" REBOUND_LISTEN=127.0.0.1:0 REBOUND_LOG_LEVEL=${REBOUND_LOG_LEVEL:-warn} \
REBOUND_MIGRATE_ON_START=false REBOUND_SECRET__SES__VERIFY_SIGNATURE=false \
  "$REBOUND" serve >"$WORK/rebound.log" 2>&1 &
REBOUND_PID=$!

# The port rebound bound: the listening socket among the process's own fds.
listening_port() {
  local inodes
  inodes=$(ls -l "/proc/$REBOUND_PID/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
  [ -n "$inodes" ] || return 0
  local hex
  hex=$(awk -v inodes=" $inodes" 'FNR > 1 && $4 == "0A" && index(inodes, " " $10 " ") {
      n = split($2, a, ":"); print a[n]; exit }' /proc/net/tcp /proc/net/tcp6)
  [ -n "$hex" ] && printf '%d' "0x$hex"
  return 0
}
PORT=""
for _ in $(seq 1 200); do
  kill -0 "$REBOUND_PID" 2>/dev/null || { echo "rebound exited:" >&2; cat "$WORK/rebound.log" >&2; exit 1; }
  PORT=$(listening_port)
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { echo "rebound did not listen within 10 s" >&2; exit 1; }
TARGET="http://127.0.0.1:$PORT"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$REBOUND_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$REBOUND_PID/status"; }

# loadgen LABEL [flags...]: one bounded phase; prints its report, keeps RESULT.
loadgen() {
  local label=$1; shift
  local out rc=0 cpu0 cpu1
  checkpoint
  cpu0=$(pg_cpu)
  out=$("$LOADGEN" --target "$TARGET" --db "$DB" --watch-pid "$REBOUND_PID" --wait-ready 30 \
        --duration "$MAX_PHASE_SECONDS" --label "$label" "$@" | tee -a "$LOG") || rc=$?
  cpu1=$(pg_cpu)
  echo "$out" | grep -v '^RESULT' >&2
  if [ "$rc" -ne 0 ]; then
    echo "!! phase $label: rebound_loadgen exited $rc" >&2
    echo "$label" >>"$FAILED_MARK"
  fi
  echo "$(grep '^RESULT' <<<"$out" || echo "RESULT label=$label") pg_cpu_s=$(calc "$cpu1 - $cpu0" 2)"
}

# Idle, before any load: the process after start-up and readiness.
"$LOADGEN" --target "$TARGET" --wait-ready 30 --ready-only || { echo "rebound never became ready" >&2; exit 1; }
sleep 2
RSS_IDLE_START=$(rss_kb)

say "rebound: $EVENTS new SendGrid events, batches of $BATCH, $CONNECTIONS connections"
R_NEW=$(loadgen new --run-id new --events "$EVENTS" --batch "$BATCH" --connections "$CONNECTIONS")
# The ceiling again, right after: the host's speed drifts over minutes (a
# third between runs a few minutes apart on the development VM), so the
# ratio is taken against the mean of the ceilings measured either side of
# rebound's run. Its own database again, dropped after, as above.
say "ceiling again, right after rebound's new events (the ratio uses the mean of both)"
psql_c "CREATE DATABASE rebound_ceiling"
REBOUND_LOG_LEVEL=warn REBOUND_DATABASE_URL="$CEILING_DB" "$REBOUND" migrate
C_FULL_AFTER=$(ceiling full)
psql_c "DROP DATABASE rebound_ceiling"
say "rebound: the same requests again (100 % replays)"
R_REPLAY=$(loadgen replay --run-id new --events "$EVENTS" --batch "$BATCH" --connections "$CONNECTIONS")

NEW_EPS=$(field "$R_NEW" eps)
HALF_RATE=$(calc "${NEW_EPS:-0} / 2" 0)
SLOW_STATEMENTS="0 0 0"
if [ "${HALF_RATE:-0}" -gt 0 ]; then
  say "rebound: fixed rate of $HALF_RATE events/s (half the maximum) for $LATENCY_SECONDS s"
  LOG_MARK=$(wc -l <"$WORK/postgres.log")
  R_HALF=$(loadgen half --run-id half --rate "$HALF_RATE" --duration "$LATENCY_SECONDS" --batch "$BATCH" \
           --connections "$CONNECTIONS")
  # rebound's statements PostgreSQL logged as over 100 ms during the phase:
  # how many, how many of them COMMITs, and the longest COMMIT.
  SLOW_STATEMENTS=$(tail -n +"$((LOG_MARK + 1))" "$WORK/postgres.log" | awk -f "$(dirname "$0")/slow_statements.awk")
else
  R_HALF="RESULT label=half"
fi

say "rebound: $SINGLE_EVENTS SES notifications (SNS) and Mailgun events, one per request"
R_SES=$(loadgen ses --run-id ses --provider ses --events "$SINGLE_EVENTS" --connections "$CONNECTIONS")
R_MG=$(loadgen mailgun --run-id mg --provider mailgun --events "$SINGLE_EVENTS" --connections "$CONNECTIONS")
MIX_EVENTS=$((EVENTS / 4))
say "rebound: $MIX_EVENTS mixed events, 5 % duplicate events and 5 % replayed requests"
R_MIX=$(loadgen mix --run-id mix --provider mix --dup-fraction 0.05 --replay-fraction 0.05 --events "$MIX_EVENTS" \
        --batch "$BATCH" --connections "$CONNECTIONS")

# Idle again: what the process keeps after the load.
sleep 5
RSS_IDLE_END=$(rss_kb)
HWM=$(hwm_kb)

#------------------------------------------------------------------------------
# 3. Summary.

FAILED=0
[ -f "$FAILED_MARK" ] && FAILED=1
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "MISSED"; fi; }
num() { [ -n "$1" ] && echo "$1" || echo 0; }
NEW_EPS=$(num "$NEW_EPS"); REPLAY_EPS=$(num "$(field "$R_REPLAY" eps)")
CEIL_FULL=$(num "$CEIL_FULL"); CEIL_INSERT=$(num "$CEIL_INSERT")
CEIL_FULL_BEFORE=$CEIL_FULL
CEIL_FULL_AFTER=$(num "$(field "$C_FULL_AFTER" eps)")
[ "$CEIL_FULL_AFTER" != 0 ] && CEIL_FULL=$(calc "($CEIL_FULL_BEFORE + $CEIL_FULL_AFTER) / 2" 1)
RATIO=$(calc "$CEIL_FULL > 0 ? 100 * $NEW_EPS / $CEIL_FULL : 0" 1)
CEIL_SMALL=$(num "$CEIL_SMALL")
RATIO_SMALL=$(calc "$CEIL_SMALL > 0 ? 100 * $NEW_EPS / $CEIL_SMALL : 0" 1)
VS_INSERT=$(calc "$CEIL_INSERT > 0 ? $NEW_EPS / $CEIL_INSERT : 0" 1)
CEIL_VS_INSERT=$(calc "$CEIL_INSERT > 0 ? $CEIL_FULL / $CEIL_INSERT : 0" 1)
REPLAY_VS_NEW=$(calc "$NEW_EPS > 0 ? 100 * $REPLAY_EPS / $NEW_EPS : 0" 1)
HALF_P99=$(num "$(field "$R_HALF" p99_ms)")
PEAK_KB=$(num "$(field "$R_NEW" rss_peak_kb)")
for r in "$R_REPLAY" "$R_HALF" "$R_SES" "$R_MG" "$R_MIX"; do
  p=$(num "$(field "$r" rss_peak_kb)"); [ "$p" -gt "$PEAK_KB" ] && PEAK_KB=$p
done
mb() { calc "${1:-0} / 1024" 1; }
row() { printf '  %-56s %s\n' "$1" "$2"; }
phase_row() {
  local r=$1
  printf '%10.0f ev/s  p50 %6.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  non-2xx %s  check %s' \
    "$(num "$(field "$r" eps)")" "$(num "$(field "$r" p50_ms)")" "$(num "$(field "$r" p99_ms)")" \
    "$(num "$(field "$r" p999_ms)")" "$(num "$(field "$r" non2xx)")" \
    "$( [ "$(field "$r" verified)" = 1 ] && { [ "$(field "$r" missing)$(field "$r" twice)$(field "$r" no_state)" = 000 ] && echo ok || echo FAILED; } || echo -)"
}

{
echo
echo "== rebound load test: $EVENTS SendGrid events in batches of $BATCH, $CONNECTIONS connections"
echo "   $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo) RAM," \
     "data on $(df -T "$WORK" | awk 'NR == 2 { print $2 }'); PostgreSQL $("$PG_BINDIR/postgres" --version | awk '{print $3}'), fsync on;" \
     "database, rebound and load generator share the machine"
echo "   $STARTED, load average $LOADAVG_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end" \
     "(this run alone keeps it near 2 while loading)"
echo "   rebound: REBOUND_DB_WRITERS=${REBOUND_DB_WRITERS:-default} REBOUND_BATCH_SIZE=${REBOUND_BATCH_SIZE:-default}" \
     "REBOUND_BATCH_DELAY=${REBOUND_BATCH_DELAY:-default} REBOUND_IO_THREADS=${REBOUND_IO_THREADS:-default}"
[ -z "${LOADTEST_PG_EXTRA:-}${LOADTEST_AUTO_EXPLAIN_MS:-}" ] ||
  echo "   PostgreSQL, beyond loadtest/pg_settings.sh: ${LOADTEST_PG_EXTRA:-}${LOADTEST_AUTO_EXPLAIN_MS:+ auto_explain over ${LOADTEST_AUTO_EXPLAIN_MS} ms}"
echo
echo "PostgreSQL alone (rebound_ceiling, 2 sessions, 10k-row transactions unless said; source events/s):"
row "all of rebound's per-batch SQL (COPY staging, merge, state, stats, notices)" ""
row "  in 10k-row transactions: the ceiling (mean of before and after)" "$(calc "$CEIL_FULL" 0)"
row "    before rebound's run / right after it" "$(calc "$CEIL_FULL_BEFORE" 0) / $(calc "$CEIL_FULL_AFTER" 0)"
row "  in ${SMALL_BATCH}-row transactions, $WRITERS sessions" "$(calc "$(num "$CEIL_SMALL")" 0)"
row "COPY staging + merge + recipient state" "$(calc "$(num "$CEIL_STATE")" 0)"
row "COPY staging + merge" "$(calc "$(num "$CEIL_MERGE")" 0)"
row "plain COPY into events" "$(calc "$(num "$CEIL_COPY")" 0)"
row "one multi-row INSERT per request of $BATCH, $CONNECTIONS sessions" "$(calc "$(num "$CEIL_MULTI")" 0)"
row "one INSERT per event, $CONNECTIONS sessions" "$(calc "$CEIL_INSERT" 0)"
echo
echo "rebound over HTTP (rebound_loadgen):"
row "SendGrid, new events" "$(phase_row "$R_NEW")"
row "SendGrid, 100 % replays" "$(phase_row "$R_REPLAY")"
row "SendGrid, fixed rate $HALF_RATE ev/s (half max)" "$(phase_row "$R_HALF")"
row "SES via SNS, 1 notification per request" "$(phase_row "$R_SES")"
row "Mailgun, 1 event per request" "$(phase_row "$R_MG")"
row "mix, 5 % duplicate events, 5 % replayed requests" "$(phase_row "$R_MIX")"
row "group commits during new events" "$(num "$(field "$R_NEW" batch_avg)") events each, $(num "$(field "$R_NEW" commit_ms)") ms each"
echo
echo "CPU per source event, in microseconds (less sensitive than rates to other load on the machine):"
us() { calc "$(num "$2") > 0 ? 1e6 * $(num "$1") / $(num "$2") : 0" 1; }
# The ceiling's sessions end with it, so their CPU time comes from the
# ceiling itself; the cluster's long-lived processes add theirs.
ceiling_pg_cpu() { calc "$(num "$(field "$1" pg_cpu_s)") + $(num "$(field "$1" pg_cluster_cpu_s)")" 2; }
row "ceiling, rebound's SQL, 10k-row transactions" "PostgreSQL $(us "$(ceiling_pg_cpu "$C_FULL")" "$(field "$C_FULL" source_events)")"
row "  the same, right after rebound's new events" "PostgreSQL $(us "$(ceiling_pg_cpu "$C_FULL_AFTER")" "$(field "$C_FULL_AFTER" source_events)")"
row "ceiling, rebound's SQL, ${SMALL_BATCH}-row transactions" "PostgreSQL $(us "$(ceiling_pg_cpu "$C_SMALL")" "$(field "$C_SMALL" source_events)")"
for r in "$R_NEW" "$R_REPLAY"; do
  row "rebound, $(field "$r" label) ($(num "$(field "$r" seconds)") s on $(nproc) CPUs)" \
      "PostgreSQL $(us "$(field "$r" pg_cpu_s)" "$(field "$r" events)"), rebound $(us "$(field "$r" server_cpu_s)" "$(field "$r" events)"), loadgen $(us "$(field "$r" loadgen_cpu_s)" "$(field "$r" events)")"
done
echo
echo "Targets (issue 6):"
row "durable ingest vs ceiling: $RATIO % (>= 90 %)" "$(verdict "$RATIO >= 90")"
row "  (vs the same SQL in ${SMALL_BATCH}-row transactions: $RATIO_SMALL %)" ""
row "vs one INSERT per event: ${VS_INSERT}x (>= 10x)" "$(verdict "$VS_INSERT >= 10")"
row "  (the ceiling itself is ${CEIL_VS_INSERT}x one INSERT per event: no receiver doing this work can beat that)" ""
row "ack p99 at half max: $HALF_P99 ms (< 50 ms)" "$(verdict "$HALF_P99 > 0 && $HALF_P99 < 50")"
row "  (from write to answer: p99 $(num "$(field "$R_HALF" service_p99_ms)") ms; load generator stalled at most $(num "$(field "$R_HALF" stall_max_ms)") ms;" ""
read -r SLOW_ALL SLOW_COMMIT SLOW_COMMIT_MAX <<<"$SLOW_STATEMENTS"
row "   rebound's statements over 100 ms in PostgreSQL's log: $SLOW_ALL, of which COMMITs $SLOW_COMMIT, the longest COMMIT $SLOW_COMMIT_MAX ms)" ""
row "replays vs new events: $REPLAY_VS_NEW % (>= 100 %)" "$(verdict "$REPLAY_VS_NEW >= 100")"
row "RSS under load: peak $(mb "$PEAK_KB") MB, VmHWM $(mb "$HWM") MB (< 256 MB)" "$(verdict "$HWM < 262144")"
row "RSS idle: $(mb "$RSS_IDLE_START") MB at start, $(mb "$RSS_IDLE_END") MB after load (< 50 MB)" \
    "$(verdict "$RSS_IDLE_START < 51200 && $RSS_IDLE_END < 51200")"
row "parse + classify, one core: $(calc "$(num "$(field "$BENCH_RESULT" parse_classify_eps)")" 0) ev/s (>= 1M/s)" \
    "$(verdict "$(num "$(field "$BENCH_RESULT" parse_classify_eps)") >= 1000000")"
echo
if [ "$FAILED" = 0 ]; then
  echo "Every acknowledged event was found exactly once, with recipient state."
else
  echo "!! Phase(s) failed: $(tr '\n' ' ' <"$FAILED_MARK")- an acknowledged event was missing or stored twice, or a run failed."
fi
} | tee -a "$LOG"
[ "$KEEP" = 1 ] && cp "$LOG" "$WORK/summary.txt"
exit "$FAILED"
