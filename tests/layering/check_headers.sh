#!/usr/bin/env bash
# Layering and self-containment checks for every header under include/tfckpt/.
#
#   bash tests/layering/check_headers.sh WORK_DIR
#
# For each header H and each compiler configuration (default: "g++" and "clang++ -fno-exceptions";
# override with HEADER_COMPILERS, ';'-separated), a TU containing only `#include "tfckpt/H"`
# (twice: the second must be a no-op) is compiled with -std=c++20 -fsyntax-only -Wall -Wextra
# -Wpedantic -Werror -Iinclude. The g++ run also writes the TU's dependency list (-MD), which
# must respect the layers of docs/ARCHITECTURE.md:
#   api     reflect/*, keras/*, checkpoint.hpp, checkpoint_manager.hpp, schema.hpp,
#           memory_restore.hpp, tfckpt.hpp, core_impl.hpp: may use Boost (PFR, Describe, Mp11)
#   graph   graph/*: no Boost; no api header
#   format  every other header: no Boost; no graph or api header
#   all     no nlohmann/json, doctest or the snappy library (tests and tools only)
# A new header is `format` (the strictest) unless listed as api above (API_HEADERS below).
# The g++ run compiles api and graph headers a second time with TFCKPT_SEPARATE_COMPILATION.
# Prints one line per failure, then "headers: N checks, P passed, F failed"; exit 1 on failure.
# Environment: JOBS (parallel compiles, default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

# Headers allowed to depend on Boost (and on the graph layer), relative to include/tfckpt/.
API_HEADERS_RE='^(reflect/.*|keras/.*|checkpoint\.hpp|checkpoint_manager\.hpp|schema\.hpp|memory_restore\.hpp|tfckpt\.hpp|core_impl\.hpp)$'

layer_of() {
  if [[ $1 =~ $API_HEADERS_RE ]]; then echo api
  elif [[ $1 == graph/* ]]; then echo graph
  else echo format
  fi
}

# Worker: check_headers.sh --one WORK_DIR INDEX CXX_AND_FLAGS HEADER; writes WORK_DIR/INDEX.result
# ("PASS ..." or "FAIL ..." on the first line, details after).
if [ "${1:-}" = "--one" ]; then
  work=$2 idx=$3 cxx=$4 h=$5
  tu="$work/$idx.cpp" dep="$work/$idx.d" log="$work/$idx.log" res="$work/$idx.result"
  printf '#include "tfckpt/%s"\n#include "tfckpt/%s"\n' "$h" "$h" > "$tu"
  want_deps=0
  [[ $cxx == g++* ]] && want_deps=1
  dep_flags=()
  [ "$want_deps" = 1 ] && dep_flags=(-MD -MF "$dep")
  # core_impl.hpp is only for programs built with separate compilation (config.hpp).
  [ "$h" = core_impl.hpp ] && dep_flags+=(-DTFCKPT_SEPARATE_COMPILATION)
  # shellcheck disable=SC2086  # $cxx is a compiler plus flags
  if ! $cxx -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$ROOT/include" \
       "${dep_flags[@]}" "$tu" > "$log" 2>&1; then
    { echo "FAIL [$cxx] tfckpt/$h: does not compile on its own"; head -40 "$log"; } > "$res"
    exit 0
  fi
  # API and graph headers also compile on their own in a separately compiled program's units
  # (config.hpp), where tfckpt.hpp no longer drags the format layer in behind them.
  if [ "$want_deps" = 1 ] && [ "$(layer_of "$h")" != format ] && [ "$h" != core_impl.hpp ] &&
     ! $cxx -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$ROOT/include" \
       -DTFCKPT_SEPARATE_COMPILATION "$tu" > "$log" 2>&1; then
    { echo "FAIL [$cxx] tfckpt/$h: does not compile on its own with TFCKPT_SEPARATE_COMPILATION"; head -40 "$log"; } > "$res"
    exit 0
  fi
  if [ "$want_deps" = 1 ]; then
    layer="$(layer_of "$h")"
    # Normalized (the compiler lists e.g. include/tfckpt/detail/../graph/keys.hpp).
    mapfile -t raw < <(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep" | tr -s ' \t' '\n' | sed '/^$/d')
    deps="$(realpath -m -- "${raw[@]}")"
    problems=()
    if [ "$layer" != api ]; then
      b="$(grep '/boost/' <<<"$deps" | head -3 || true)"
      [ -n "$b" ] && problems+=("$layer header depends on Boost: $(tr '\n' ' ' <<<"$b")...")
    fi
    x="$(grep -E '/nlohmann/|/doctest/|/snappy(-c|-sinksource|-stubs-public)?\.h$' <<<"$deps" || true)"
    [ -n "$x" ] && problems+=("depends on a test/tool library: $(tr '\n' ' ' <<<"$x")")
    while IFS= read -r d; do
      rel="${d#"$ROOT/include/tfckpt/"}"
      [ "$rel" = "$d" ] && continue
      dl="$(layer_of "$rel")"
      case "$layer:$dl" in
        format:graph|format:api|graph:api) problems+=("$layer header includes $dl header tfckpt/$rel") ;;
      esac
    done <<<"$deps"
    if [ "${#problems[@]}" -gt 0 ]; then
      { echo "FAIL [layering] tfckpt/$h ($layer)"; printf '    %s\n' "${problems[@]}"; } > "$res"
      exit 0
    fi
    echo "PASS [$cxx] tfckpt/$h ($layer layer: dependencies ok)" > "$res"
  else
    echo "PASS [$cxx] tfckpt/$h" > "$res"
  fi
  exit 0
fi

[ "$#" -eq 1 ] || { echo "usage: $0 WORK_DIR" >&2; exit 2; }
WORK="$(realpath -m "$1")"
JOBS="${JOBS:-$(nproc)}"
IFS=';' read -r -a COMPILERS <<<"${HEADER_COMPILERS:-g++;clang++ -fno-exceptions}"
rm -rf "$WORK"
mkdir -p "$WORK"

mapfile -t HEADERS < <(cd "$ROOT/include/tfckpt" && find . -name '*.hpp' | sed 's,^\./,,' | LC_ALL=C sort)
[ "${#HEADERS[@]}" -gt 0 ] || { echo "no headers found under include/tfckpt" >&2; exit 1; }
echo "checking ${#HEADERS[@]} headers x ${#COMPILERS[@]} compiler configurations (${COMPILERS[*]}), $JOBS at a time"
for layer in format graph api; do
  printf '  %-6s' "$layer:"
  for h in "${HEADERS[@]}"; do [ "$(layer_of "$h")" = "$layer" ] && printf ' %s' "$h"; done
  printf '\n'
done

i=0
for cxx in "${COMPILERS[@]}"; do
  for h in "${HEADERS[@]}"; do
    printf '%s\0%s\0%s\0' "$i" "$cxx" "$h"
    i=$((i + 1))
  done
done > "$WORK/jobs"
i=$(( ${#COMPILERS[@]} * ${#HEADERS[@]} ))
xargs -0 -n 3 -P "$JOBS" bash "$ROOT/tests/layering/check_headers.sh" --one "$WORK" < "$WORK/jobs"

passed=0 failed=0
for ((k = 0; k < i; k++)); do
  res="$WORK/$k.result"
  if [ ! -f "$res" ]; then
    echo "FAIL check #$k produced no result"; failed=$((failed + 1))
  elif head -1 "$res" | grep -q '^PASS'; then
    passed=$((passed + 1))
    [ -n "${VERBOSE:-}" ] && head -1 "$res"
  else
    cat "$res"; failed=$((failed + 1))
  fi
done
echo "headers: $i checks, $passed passed, $failed failed"
[ "$failed" -eq 0 ]
