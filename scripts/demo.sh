#!/usr/bin/env bash
# THE demo command: installs deps, builds tfckpt in Release (build/release), runs every
# example program (example_*) and the `tfckpt` CLI on a real checkpoint.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${JOBS:-$(nproc)}"
BUILD=build/release
CORPUS="$ROOT/../shared/corpus"

banner() { printf '\n== %s\n' "$*"; }

banner "dependencies"
bash scripts/install-deps.sh

banner "build (Release, $BUILD)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++ \
  -DTFCKPT_BUILD_TESTS=OFF -DTFCKPT_BUILD_TOOLS=ON -DTFCKPT_BUILD_EXAMPLES=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"

banner "examples"
shopt -s nullglob
examples=()
for f in "$BUILD"/example_*; do [ -f "$f" ] && [ -x "$f" ] && examples+=("$f"); done
if [ "${#examples[@]}" -eq 0 ]; then
  echo "(no examples yet: examples/*.cpp is empty)"
else
  # Examples write their output into the current directory: give each a scratch directory
  # under the build tree so the repository stays clean.
  for ex in "${examples[@]}"; do
    name="$(basename "$ex")"
    rundir="$ROOT/$BUILD/demo_runs/$name"
    rm -rf "$rundir" && mkdir -p "$rundir"
    banner "example: $name   (in $BUILD/demo_runs/$name)"
    (cd "$rundir" && "$ROOT/$ex")
  done
fi

banner "CLI"
if [ ! -x "$BUILD/tfckpt" ]; then
  echo "(no CLI yet: tools/tfckpt.cpp does not exist)"
  exit 0
fi
target=""
# A checkpoint is named by its prefix: <prefix>.index + <prefix>.data-*-of-*.
if [ -f "$CORPUS/tf2_keras_savedmodel_adam_slots/variables.index" ]; then
  target="../shared/corpus/tf2_keras_savedmodel_adam_slots/variables"
  ( cd "$ROOT" && printf '$ %s\n' "$BUILD/tfckpt ls $target" && "$BUILD/tfckpt" ls "$target" )
else
  # No corpus (not a CI machine): use the first checkpoint among the test fixtures.
  index="$(find tests/fixtures -name '*.index' 2>/dev/null | sort | head -n 1)"
  if [ -z "$index" ]; then
    echo "(no corpus at $CORPUS and no fixture checkpoint under tests/fixtures)"
    exit 0
  fi
  target="${index%.index}"
  printf '$ %s\n' "$BUILD/tfckpt ls $target"
  "$BUILD/tfckpt" ls "$target"
fi
