#!/usr/bin/env bash
# single_include/tfckpt/tfckpt.hpp: up to date with include/tfckpt/ (regenerated to a temporary
# file and diffed), and usable on its own: tests/consumers/src/consumer.cpp, compiled against a
# copy of just that file (no include/ on the path) with g++ and clang++, with and without
# exceptions, -Wall -Wextra -Wpedantic -Werror, must run and pass.
#
#   bash tests/single_include/check.sh WORK_DIR
# Environment: JOBS (parallel builds, default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ "$#" -eq 1 ] || { echo "usage: $0 WORK_DIR" >&2; exit 2; }
WORK="$(realpath -m "$1")"
JOBS="${JOBS:-$(nproc)}"
rm -rf "$WORK"
mkdir -p "$WORK/inc/tfckpt"

passed=0 failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

committed="$ROOT/single_include/tfckpt/tfckpt.hpp"
fresh="$WORK/regenerated.hpp"
python3 "$ROOT/scripts/make_single_include.py" -o "$fresh"
if [ ! -f "$committed" ]; then
  fail "single_include/tfckpt/tfckpt.hpp is missing; run python3 scripts/make_single_include.py"
elif diff -u "$committed" "$fresh" > "$WORK/stale.diff"; then
  pass "single_include/tfckpt/tfckpt.hpp is up to date ($(wc -l < "$committed") lines)"
else
  fail "single_include/tfckpt/tfckpt.hpp is out of date with include/tfckpt/; run" \
       "python3 scripts/make_single_include.py (diff: $WORK/stale.diff)"
  head -40 "$WORK/stale.diff"
fi

# The umbrella header reaches every header (else the single header silently lacks one), except
# core_impl.hpp: the entry of separate compilation, which the single header does not offer.
# mpi.hpp: optional, the only header that needs <mpi.h>; tfckpt.hpp must not include it.
missing="$(comm -23 <(cd "$ROOT/include" && find tfckpt -name '*.hpp' ! -name core_impl.hpp ! -name mpi.hpp | LC_ALL=C sort) \
                    <(sed -nE 's,^// ---- begin (.*) ----$,\1,p' "$fresh" | LC_ALL=C sort))"
if [ -z "$missing" ]; then
  pass "include/tfckpt/tfckpt.hpp reaches every header under include/tfckpt ($(grep -c '^// ---- begin ' "$fresh") inlined)"
else
  fail "headers not reached from include/tfckpt/tfckpt.hpp (so missing from the single header):" $missing
fi

# Build from the committed file when present (that is what users copy), else the fresh one.
if [ -f "$committed" ]; then cp "$committed" "$WORK/inc/tfckpt/tfckpt.hpp"; else cp "$fresh" "$WORK/inc/tfckpt/tfckpt.hpp"; fi

configs=("g++" "clang++" "g++ -fno-exceptions" "clang++ -fno-exceptions")
build_one() {  # $1 = index, $2 = compiler and flags
  local out="$WORK/build$1"
  mkdir -p "$out"
  local rc=0
  # shellcheck disable=SC2086  # $2 is a compiler plus flags
  $2 -std=c++20 -Wall -Wextra -Wpedantic -Werror -I"$WORK/inc" "$ROOT/tests/consumers/src/consumer.cpp" \
    -o "$out/consumer" > "$out/log" 2>&1 && "$out/consumer" "$out/run" >> "$out/log" 2>&1 || rc=$?
  echo "$rc" > "$out/rc"
}
for k in "${!configs[@]}"; do
  # At most JOBS builds at a time.
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  build_one "$k" "${configs[$k]}" &
done
wait
for k in "${!configs[@]}"; do
  if [ "$(cat "$WORK/build$k/rc" 2>/dev/null)" = 0 ]; then
    pass "[${configs[$k]}] consumer built from the single header alone runs: $(tail -1 "$WORK/build$k/log")"
  else
    fail "[${configs[$k]}] consumer built from the single header alone"
    head -40 "$WORK/build$k/log"
  fi
done

echo "single_include: $((passed + failed)) checks, $passed passed, $failed failed"
[ "$failed" -eq 0 ]
