#!/usr/bin/env bash
# Self-test of tests/layering/check_headers.sh: a checker that cannot fail proves nothing.
#
#   bash tests/layering/self_test.sh WORK_DIR
#
# Copies include/ to WORK_DIR/include, then runs check_headers.sh (g++ only, on the one doctored
# header) against the copy three times:
#   1. untouched: format/crc32c.hpp must pass (exit 0), so the failures below are caused by the edits;
#   2. format/crc32c.hpp including tfckpt/bundle/reader.hpp: exit 1 and the line
#      "upward include: format header includes bundle header tfckpt/bundle/reader.hpp";
#   3. format/crc32c.hpp including tfckpt/graph/keys.hpp: exit 1 and "upward include: format
#      header includes graph header ...".
# Prints one PASS/FAIL line per case and "layering self-test: N passed, M failed"; exit 1 on failure.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT="$(cd "$HERE/../.." && pwd -P)"
[ "$#" -eq 1 ] || { echo "usage: $0 WORK_DIR" >&2; exit 2; }
WORK="$(realpath -m "$1")"
rm -rf "$WORK"
mkdir -p "$WORK"

victim=format/crc32c.hpp
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# run_case NAME WANT_RC WANT_LINE [INCLUDED_HEADER]
run_case() {
  local name=$1 want_rc=$2 want_line=$3 upper=${4:-}
  rm -rf "$WORK/include"
  cp -R "$ROOT/include" "$WORK/include"
  [ -f "$WORK/include/tfckpt/$victim" ] || { fail "$name: $victim does not exist"; return; }
  [ -n "$upper" ] && printf '#include "tfckpt/%s"\n' "$upper" >> "$WORK/include/tfckpt/$victim"
  local out rc
  out="$(TFCKPT_INCLUDE_DIR="$WORK/include" TFCKPT_HEADERS="$victim" HEADER_COMPILERS="g++" JOBS=1 \
         bash "$ROOT/tests/layering/check_headers.sh" "$WORK/run" 2>&1)"
  rc=$?
  if [ "$rc" -ne "$want_rc" ]; then
    fail "$name: check_headers.sh exited $rc, expected $want_rc"
    printf '%s\n' "$out" | sed 's/^/    /' | head -20
  elif [ -n "$want_line" ] && ! grep -qF -- "$want_line" <<<"$out"; then
    fail "$name: no line containing '$want_line'"
    printf '%s\n' "$out" | sed 's/^/    /' | head -20
  else
    pass "$name (exit $rc)"
  fi
}

run_case "untouched copy passes" 0 "headers: 1 checks, 1 passed, 0 failed"
run_case "format header including a bundle header fails" 1 \
  "upward include: format header includes bundle header tfckpt/bundle/reader.hpp" bundle/reader.hpp
run_case "format header including a graph header fails" 1 \
  "upward include: format header includes graph header tfckpt/graph/keys.hpp" graph/keys.hpp

echo "layering self-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
