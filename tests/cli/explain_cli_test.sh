#!/usr/bin/env bash
# `rebound explain` from the command line, on the real binary: one text, JSON
# lines with a bad line among them, and the labelled dev set when ../shared is
# there (the bulk evaluation the classifier doc describes).
#
#   tests/cli/explain_cli_test.sh <rebound binary> <repository root>
set -uo pipefail
bin="$1"
root="$2"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$bin" explain "550 5.1.1 <a@example.org>: Recipient address rejected: User unknown") || fail "explain <text> exited $?"
grep -q '"reason":"userunknown"' <<<"$out" || fail "explain <text>: no userunknown in $out"
grep -q '"severity":"hard"' <<<"$out" || fail "explain <text>: not hard: $out"
grep -q '"ja":"' <<<"$out" || fail "explain <text>: no Japanese explanation"

out=$("$bin" explain --jsonl <"$root/tests/fixtures/classify/explain_cli.jsonl")
status=$?
[ "$status" -eq 1 ] || fail "--jsonl with a bad line should exit 1, got $status"
[ "$(wc -l <<<"$out")" -eq 4 ] || fail "--jsonl: expected 4 lines (blank line skipped), got: $out"
sed -n 1p <<<"$out" | grep -q '^{"id":"rcpt-unknown",.*"reason":"userunknown"' || fail "line 1: $(sed -n 1p <<<"$out")"
sed -n 2p <<<"$out" | grep -q '^{"id":"full",.*"reason":"mailboxfull".*"severity":"soft"' || fail "line 2: $(sed -n 2p <<<"$out")"
sed -n 3p <<<"$out" | grep -q '^{"id":"throttled",.*"reason":"ratelimited"' || fail "line 3: $(sed -n 3p <<<"$out")"
sed -n 4p <<<"$out" | grep -q '^{"error":"not a JSON object","line":5}$' || fail "line 4: $(sed -n 4p <<<"$out")"

"$bin" explain >/dev/null 2>&1 && fail "explain with nothing to explain should fail"

dev="$root/../shared/datasets/bounce-diagnostics.dev.jsonl"
if [ -f "$dev" ]; then
  out=$("$bin" explain --jsonl <"$dev") || fail "--jsonl over the dev set exited $?"
  want=$(grep -c . "$dev")
  [ "$(wc -l <<<"$out")" -eq "$want" ] || fail "dev set: $want inputs, $(wc -l <<<"$out") outputs"
  # Every output carries its input's id, in order.
  diff <(grep -o '"id": *"[^"]*"' "$dev" | sed 's/ //') <(grep -o '^{"id":"[^"]*"' <<<"$out" | sed 's/^{//') >/dev/null ||
    fail "dev set: ids out of order"
  echo "dev set: $want diagnostics explained"
else
  echo "SKIP dev set: $dev is not there"
fi
echo "explain CLI: ok"
