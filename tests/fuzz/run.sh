#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz and runs
# each one for SECONDS on a temporary copy of its seed corpus, so a run never
# writes into the repository. Exits non-zero when any target reports a crash,
# a leak, undefined behaviour, a timeout or running out of memory; the input
# that did it is kept under build-fuzz/artifacts/<target>/.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]    e.g. tests/fuzz/run.sh 10
#                                                 tests/fuzz/run.sh 300 fuzz_http
#
# Reproduce a finding: build-fuzz/fuzz/<target> <artifact file>
set -euo pipefail

seconds="${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}"
shift
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build-fuzz"
corpora="$root/tests/fuzz/corpus"
dicts="$root/tests/fuzz/dict"

# --- toolchain: clang-14 and its compiler-rt (libFuzzer, sanitizers) ---------
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- build -------------------------------------------------------------------
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -DREBOUND_BUILD_FUZZERS=ON -DREBOUND_SANITIZE=ON \
  -DREBOUND_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target rebound_fuzzers

# --- run ---------------------------------------------------------------------
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for t in "$build"/fuzz/fuzz_*; do targets+=("$(basename "$t")"); done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

# Which dictionary helps which target: JSON tokens for the body parsers,
# HTTP tokens for the request stream, SMTP wording for the classifier.
dict_for() {
  case "$1" in
    fuzz_provider_*) echo "$dicts/json.dict" ;;
    fuzz_http) echo "$dicts/http.dict" ;;
    fuzz_smtp_reply | fuzz_classifier | fuzz_multi_matcher) echo "$dicts/smtp.dict" ;;
    *) echo "" ;;
  esac
}

failed=()
printf '%-28s %10s %10s  %s\n' target runs exec/s result
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  [ -x "$bin" ] || { echo "no such fuzz target: $t" >&2; exit 2; }
  corpus="$work/$t"
  rm -rf "$build/artifacts/$t"
  mkdir -p "$corpus" "$build/artifacts/$t"
  [ -d "$corpora/$t" ] && cp -r "$corpora/$t/." "$corpus/"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/artifacts/$t/")
  dict="$(dict_for "$t")"
  [ -n "$dict" ] && [ -f "$dict" ] && args+=(-dict="$dict")
  # Room for a header block past the server's 16 KiB header_limit (431).
  [ "$t" = fuzz_http ] && args+=(-max_len=20000)
  log="$work/$t.log"
  if "$bin" "${args[@]}" "$corpus" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (log below)"
    failed+=("$t")
  fi
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  printf '%-28s %10s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -v '^#[0-9]' "$log" | tail -60
    ls -1 "$build/artifacts/$t/" | sed "s|^|  artifact: build-fuzz/artifacts/$t/|"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${seconds}s each, no findings"
