#!/usr/bin/env bash
# Layering and self-containment checks for every header under include/tfckpt/.
#
#   bash tests/layering/check_headers.sh WORK_DIR
#
# For each header H and each compiler configuration (default: "g++" and "clang++ -fno-exceptions";
# override with HEADER_COMPILERS, ';'-separated), a TU containing only `#include "tfckpt/H"`
# (twice: the second must be a no-op) is compiled with -std=c++20 -fsyntax-only -Wall -Wextra
# -Wpedantic -Werror -Iinclude. The g++ run also writes the TU's dependency list (-MD), which
# must respect the layers, which are the folders of include/tfckpt/, lowest first:
#   format/   bytes on disk: crc32c, varints, protobuf, SSTable, records, slices, state file
#   bundle/   the bundle reader, writer, merge and listing over the format
#   graph/    TF object-graph semantics (keys, live tree, restore/save over a bundle)
#   reflect/  compile-time reflection of user structs: may use Boost (PFR, Describe, Mp11)
#   keras/    ready-made Keras types over reflect/: may use Boost
#   (top)     the public entry points (tfckpt.hpp, checkpoint.hpp, ...): may use Boost
# A header may include headers of its own layer or lower ones, never a higher one ("upward");
# Boost is allowed from reflect/ up; no header may use nlohmann/json, doctest or the snappy
# library (tests and tools only). A header in a folder not listed in LAYERS fails the check.
# The g++ run compiles api and graph headers a second time with TFCKPT_SEPARATE_COMPILATION.
# MPI: only mpi.hpp (top) may include <mpi.h>; it is compiled with `mpicxx --showme:compile`'s
# include flags (no mpicxx: its check fails, never skips). No other header may depend on mpi.h.
# Prints one line per failure, then "headers: N checks, P passed, F failed"; exit 1 on failure.
# Environment: JOBS (parallel compiles, default nproc); TFCKPT_INCLUDE_DIR (the include/ tree to
# check, default the repository's; tests/layering/self_test.sh points it at a doctored copy);
# TFCKPT_HEADERS (space-separated headers relative to include/tfckpt/ to check, default all).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
INCLUDE="$(cd "${TFCKPT_INCLUDE_DIR:-$ROOT/include}" && pwd -P)"
export TFCKPT_INCLUDE_DIR="$INCLUDE"

# The layers in order, lowest first; "top" is include/tfckpt/ itself.
LAYERS=(format bundle graph reflect keras top)
BOOST_FROM=reflect  # the lowest layer that may include Boost

layer_of() {
  local dir="${1%/*}"
  [ "$dir" = "$1" ] && dir=top
  echo "$dir"
}

# Rank of a layer in LAYERS, or -1 for a folder that is not a layer.
rank_of() {
  local i
  for i in "${!LAYERS[@]}"; do [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }; done
  echo -1
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
  mpi_inc=()
  if [ "$h" = mpi.hpp ]; then
    if ! mpi_flags="$(mpicxx --showme:compile 2>/dev/null)"; then
      echo "FAIL [$cxx] tfckpt/$h: mpicxx --showme:compile failed (install libopenmpi-dev)" > "$res"
      exit 0
    fi
    # shellcheck disable=SC2206  # include flags, split on spaces
    mpi_inc=($mpi_flags)
  fi
  # shellcheck disable=SC2086  # $cxx is a compiler plus flags
  if ! $cxx -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$INCLUDE" \
       "${dep_flags[@]}" "${mpi_inc[@]}" "$tu" > "$log" 2>&1; then
    { echo "FAIL [$cxx] tfckpt/$h: does not compile on its own"; head -40 "$log"; } > "$res"
    exit 0
  fi
  # API and graph headers also compile on their own in a separately compiled program's units
  # (config.hpp), where tfckpt.hpp no longer drags the format layer in behind them.
  if [ "$want_deps" = 1 ] && [ "$(rank_of "$(layer_of "$h")")" -ge "$(rank_of graph)" ] && [ "$h" != core_impl.hpp ] &&
     ! $cxx -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$INCLUDE" \
       -DTFCKPT_SEPARATE_COMPILATION "${mpi_inc[@]}" "$tu" > "$log" 2>&1; then
    { echo "FAIL [$cxx] tfckpt/$h: does not compile on its own with TFCKPT_SEPARATE_COMPILATION"; head -40 "$log"; } > "$res"
    exit 0
  fi
  if [ "$want_deps" = 1 ]; then
    layer="$(layer_of "$h")"
    rank="$(rank_of "$layer")"
    # Normalized (the compiler lists e.g. include/tfckpt/bundle/../format/coding.hpp).
    mapfile -t raw < <(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep" | tr -s ' \t' '\n' | sed '/^$/d')
    deps="$(realpath -m -- "${raw[@]}")"
    problems=()
    [ "$rank" -lt 0 ] && problems+=("folder '$layer' is not a layer (known: ${LAYERS[*]})")
    if [ "$rank" -lt "$(rank_of "$BOOST_FROM")" ]; then
      b="$(grep '/boost/' <<<"$deps" | head -3 || true)"
      [ -n "$b" ] && problems+=("$layer header depends on Boost: $(tr '\n' ' ' <<<"$b")...")
    fi
    x="$(grep -E '/nlohmann/|/doctest/|/snappy(-c|-sinksource|-stubs-public)?\.h$' <<<"$deps" || true)"
    [ -n "$x" ] && problems+=("depends on a test/tool library: $(tr '\n' ' ' <<<"$x")")
    if [ "$h" != mpi.hpp ]; then
      m="$(grep -E '/mpi\.h$' <<<"$deps" || true)"
      [ -n "$m" ] && problems+=("only mpi.hpp may include <mpi.h>: $m")
    fi
    while IFS= read -r d; do
      rel="${d#"$INCLUDE/tfckpt/"}"
      [ "$rel" = "$d" ] && continue
      dl="$(layer_of "$rel")"
      [ "$(rank_of "$dl")" -gt "$rank" ] && problems+=("upward include: $layer header includes $dl header tfckpt/$rel")
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

if [ -n "${TFCKPT_HEADERS:-}" ]; then
  read -r -a HEADERS <<<"$TFCKPT_HEADERS"
else
  mapfile -t HEADERS < <(cd "$INCLUDE/tfckpt" && find . -name '*.hpp' | sed 's,^\./,,' | LC_ALL=C sort)
fi
[ "${#HEADERS[@]}" -gt 0 ] || { echo "no headers found under $INCLUDE/tfckpt" >&2; exit 1; }
echo "checking ${#HEADERS[@]} headers x ${#COMPILERS[@]} compiler configurations (${COMPILERS[*]}), $JOBS at a time"
for layer in "${LAYERS[@]}"; do
  printf '  %-8s' "$layer:"
  for h in "${HEADERS[@]}"; do [ "$(layer_of "$h")" = "$layer" ] && printf ' %s' "${h##*/}"; done
  printf '\n'
done
# A header outside every layer folder is reported by its own check below.

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
