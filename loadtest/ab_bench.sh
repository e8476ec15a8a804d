#!/usr/bin/env bash
# Parse + classify of two builds, alternately: rebound_bench_ingest_cpu
# --combined-only (the issue 6 target's phase alone), OLD then NEW, for
# ROUNDS rounds. The host's speed drifts by half within minutes, so only
# alternating runs compare two builds; this prints each round, the means,
# and in how many rounds NEW was faster (docs/performance.md's parse A/Bs).
#
# Usage: loadtest/ab_bench.sh OLD_BENCH NEW_BENCH
#   OLD_BENCH, NEW_BENCH: rebound_bench_ingest_cpu binaries, e.g. a worktree
#   of the earlier commit's build/loadtest/rebound_bench_ingest_cpu.
# Environment: ROUNDS (6), SECONDS_PER_RUN (1.5).
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
OLD=$1 NEW=$2
ROUNDS=${ROUNDS:-6} SECONDS_PER_RUN=${SECONDS_PER_RUN:-1.5}
for b in "$OLD" "$NEW"; do [ -x "$b" ] || { echo "not executable: $b" >&2; exit 2; }; done

rate() { "$1" --seconds "$SECONDS_PER_RUN" --combined-only | sed -n 's/^RESULT.* parse_classify_eps=\([0-9]*\).*/\1/p'; }

rows=$(for round in $(seq "$ROUNDS"); do
  printf '%5d %10s %10s\n' "$round" "$(rate "$OLD")" "$(rate "$NEW")"
done)
echo "round   old ev/s   new ev/s"
echo "$rows"
awk '{ old += $2; new += $3; faster += ($3 > $2); n++ }
     END { printf "means: old %.0f, new %.0f ev/s per CPU second (%+.1f %%); new faster in %d of %d\n",
                  old / n, new / n, 100 * (new / old - 1), faster, n }' <<<"$rows"
