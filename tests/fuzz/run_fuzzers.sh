#!/usr/bin/env bash
# Builds every libFuzzer target (clang++, ASan+UBSan) and runs each for SECONDS, starting from
# the committed seeds plus the regression inputs. Prints the executions per target; exits
# non-zero if any target finds a crash, leak, timeout or over-large allocation (crash inputs
# are kept in BUILD_DIR/artifacts/).
#   bash tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]
# Environment: CXX (default clang++-14 if present, else clang++), FUZZ_JOBS (targets run in
# parallel, default 1), FUZZ_RSS_MB (default 2048; also the largest single allocation allowed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ "$#" -lt 2 ]; then echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; fi
BUILD="$(mkdir -p "$1" && cd "$1" && pwd)"
SECS="$2"
shift 2
ALL=(fuzz_table fuzz_snappy fuzz_bundle_entry fuzz_object_graph fuzz_string_record fuzz_state_file fuzz_bundle fuzz_restore)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi
CXX="${CXX:-$(command -v clang++-14 || command -v clang++)}"
JOBS="${FUZZ_JOBS:-1}"
RSS="${FUZZ_RSS_MB:-2048}"

max_len() {
  case "$1" in
    fuzz_bundle_entry) echo 4096 ;;
    fuzz_state_file) echo 16384 ;;
    fuzz_bundle|fuzz_restore) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

mkdir -p "$BUILD/artifacts"
for t in "${TARGETS[@]}"; do
  extra=()
  [ "$t" = fuzz_snappy ] && extra=(-lsnappy)
  echo "build $t"
  "$CXX" -std=c++20 -Wall -Wextra -Wpedantic -Werror -g -O1 -D_GLIBCXX_ASSERTIONS \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT/include" "$ROOT/tests/fuzz/$t.cpp" "${extra[@]}" -o "$BUILD/$t"
done

run_one() {
  local t="$1" work="$BUILD/work/$1" log="$BUILD/$1.log"
  rm -rf "$work"
  mkdir -p "$work"
  # Seeds and regressions are read-only inputs; new coverage goes to the work dir.
  local dirs=("$work")
  [ -d "$ROOT/tests/fuzz/corpus/$t" ] && dirs+=("$ROOT/tests/fuzz/corpus/$t")
  [ -d "$ROOT/tests/regressions/$t" ] && dirs+=("$ROOT/tests/regressions/$t")
  local rc=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$BUILD/$t" -max_total_time="$SECS" -max_len="$(max_len "$t")" -rss_limit_mb="$RSS" \
    -timeout=25 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  local execs
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  if [ "$rc" -ne 0 ]; then
    printf '%-20s FAILED (exit %d) after %s execs; log %s\n' "$t" "$rc" "$execs" "$log"
    grep -E 'ERROR:|SUMMARY:|invariant failed|runtime error' "$log" | head -5 || true
    return 1
  fi
  printf '%-20s ok  %12s execs in %ss\n' "$t" "$execs" "$SECS"
}

fail=0
pids=()
names=()
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ "${#pids[@]}" -ge "$JOBS" ]; then
    wait "${pids[0]}" || fail=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
if [ "$fail" -ne 0 ]; then echo "fuzzing found problems (inputs in $BUILD/artifacts/)"; exit 1; fi
echo "all fuzz targets clean"
