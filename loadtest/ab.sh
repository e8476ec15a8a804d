#!/usr/bin/env bash
# A/B comparison of rebound builds or settings on one database, alternating
# variant by variant for several rounds, so that the host's drift (which moves
# single figures by half over minutes) falls on every variant alike. This is
# where docs/performance.md's "tried and dropped" figures come from.
#
# It needs a throwaway cluster it may restart, so it runs under pg_virtualenv:
#   PGPORT=54960 pg_virtualenv -t -v 15 loadtest/ab.sh [flags] VARIANT...
# A VARIANT is a rebound binary, optionally followed by settings, joined by
# commas: build/rebound  or  build/rebound,REBOUND_BATCH_DELAY=0ms
#
# Per round and variant: rebound starts, CHECKPOINT and sync, then (with
# --rate) a fixed rate for --duration seconds, then --events new SendGrid
# events as fast as they are answered; one line each with the rate, group
# commits, rebound's CPU per event, the fixed rate's p50/p99 and how many
# statements PostgreSQL logged as over 100 ms (slow_statements.awk: not the
# load generator's check, nor CHECKPOINTs). Bounded: every phase is.
#
# Flags: --rounds N (3)  --events N (100000)  --warmup N (200000: events
# loaded once, before the rounds)  --rate R (0: no fixed-rate phase)
# --duration S (15)  --fsync on|off (on; pg_virtualenv's default is off)
# --no-sync (skip the sync after each CHECKPOINT)
set -euo pipefail

ROUNDS=3 EVENTS=100000 WARMUP=200000 RATE=0 DURATION=15 FSYNC=on SYNC=1
VARIANTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --fsync) FSYNC=$2; shift 2 ;;
    --no-sync) SYNC=0; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown flag: $1 (see --help)" >&2; exit 2 ;;
    *) VARIANTS+=("$1"); shift ;;
  esac
done
for n in "$ROUNDS" "$EVENTS" "$WARMUP" "$RATE" "$DURATION"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done
[ "$FSYNC" = on ] || [ "$FSYNC" = off ] || { echo "--fsync takes on or off" >&2; exit 2; }
[ ${#VARIANTS[@]} -ge 1 ] || { echo "name at least one variant (see --help)" >&2; exit 2; }
for v in "${VARIANTS[@]}"; do
  [ -x "${v%%,*}" ] || { echo "not an executable: ${v%%,*}" >&2; exit 2; }
done
[ -n "${PG_CLUSTER_CONF_ROOT:-}" ] && [ -n "${PGPORT:-}" ] ||
  { echo "run me under pg_virtualenv (see the header): I restart the cluster" >&2; exit 2; }

BUILD_DIR=${BUILD_DIR:-build}
LOADGEN="$BUILD_DIR/loadtest/rebound_loadgen"
[ -x "$LOADGEN" ] || { echo "missing $LOADGEN: build first" >&2; exit 2; }

DB="postgresql:///postgres?host=${PGHOST:-localhost}&port=$PGPORT&user=${PGUSER:-postgres}&password=${PGPASSWORD:-}"
psql_c() { psql -XqAt -v ON_ERROR_STOP=1 -c "$1"; }
CLUSTER_DIR=$(ls -d "$PG_CLUSTER_CONF_ROOT"/15/*)
# The settings of loadtest/run.sh.
. "$(dirname "$0")/pg_settings.sh"
loadtest_pg_alter_system
for setting in "fsync = $FSYNC" "log_min_duration_statement = 100"; do
  psql_c "ALTER SYSTEM SET $setting"
done
pg_ctlcluster 15 "$(basename "$CLUSTER_DIR")" restart
# The cluster's log file, where the slow statements are counted.
PG_LOG=$(pg_lsclusters -h | awk -v c="$(basename "$CLUSTER_DIR")" '$1 == 15 && $2 == c { print $NF }')
REBOUND_DATABASE_URL="$DB" REBOUND_LOG_LEVEL=warn "${VARIANTS[0]%%,*}" migrate

PORT=$((PGPORT + 1000))
PID=""
stop() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; fi
  PID=""
}
trap stop EXIT
start() {
  local binary=${1%%,*} settings=()
  [ "$1" != "$binary" ] && IFS=, read -r -a settings <<<"${1#*,}"
  env "${settings[@]}" REBOUND_DATABASE_URL="$DB" REBOUND_LISTEN="127.0.0.1:$PORT" REBOUND_LOG_LEVEL=warn \
      REBOUND_MIGRATE_ON_START=false "$binary" serve >/dev/null 2>&1 &
  PID=$!
}
loadgen() {
  "$LOADGEN" --target "http://127.0.0.1:$PORT" --wait-ready 30 --db "$DB" --no-verify --watch-pid "$PID" \
             --duration 600 --batch 100 --connections 16 "$@" | grep '^RESULT'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }
quiesce() { psql_c "CHECKPOINT"; [ "$SYNC" = 1 ] && sync; return 0; }
log_lines() { if [ -r "$PG_LOG" ]; then wc -l <"$PG_LOG"; else echo 0; fi; }

start "${VARIANTS[0]}"
echo "warm-up: $(field "$(loadgen --run-id warm --events "$WARMUP")" eps) ev/s, $WARMUP events"
stop

echo "variant | full load: ev/s, events per commit, ms per commit, rebound us/event | fixed rate: p50, p99 ms | statements > 100 ms"
run=0
for round in $(seq 1 "$ROUNDS"); do
  for v in "${VARIANTS[@]}"; do
    run=$((run + 1))
    start "$v"
    mark=$(log_lines)
    half="-"
    if [ "$RATE" -gt 0 ]; then
      quiesce
      r=$(loadgen --run-id "r$run" --rate "$RATE" --duration "$DURATION")
      half="$(field "$r" p50_ms) $(field "$r" p99_ms)"
    fi
    quiesce
    f=$(loadgen --run-id "f$run" --events "$EVENTS")
    slow=$(tail -n +"$((mark + 1))" "$PG_LOG" 2>/dev/null | awk -f "$(dirname "$0")/slow_statements.awk" | cut -d' ' -f1)
    cpu_us=$(awk -v s="$(field "$f" server_cpu_s)" -v n="$(field "$f" events)" 'BEGIN { printf "%.1f", (n > 0 ? 1e6 * s / n : 0) }')
    echo "$f" >>"${AB_RESULTS:-/dev/null}"
    echo "round $round $v | $(field "$f" eps) $(field "$f" batch_avg) $(field "$f" commit_ms) $cpu_us | $half | $slow"
    stop
  done
done
