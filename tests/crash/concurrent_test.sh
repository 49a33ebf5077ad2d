#!/usr/bin/env bash
# Concurrency test: two processes (tests/crash/concurrent_savers.cpp) save into ONE directory at
# once, each with its own checkpoint_manager (names a-N and b-N, max_to_keep 3) and both writing
# the same prefix `shared` now and then, while a third process keeps opening the checkpoint the
# state file names, verifying it and checking its values. Passes when the reader only ever saw
# consistent checkpoints, each saver's kept checkpoints verify at the end, and `shared` is one
# writer's complete checkpoint.
#   bash tests/crash/concurrent_test.sh BIN SECONDS [DIR]
set -euo pipefail
if [ "$#" -lt 2 ]; then echo "usage: $0 BIN SECONDS [DIR]" >&2; exit 2; fi
BIN="$1"
SECS="$2"
DIR="${3:-$(mktemp -d "${TMPDIR:-/tmp}/tfckpt_concurrent.XXXXXX")}"
rm -rf "$DIR"
mkdir -p "$DIR"
T0=$SECONDS
"$BIN" save "$DIR" a "$SECS" & pa=$!
"$BIN" save "$DIR" b "$SECS" & pb=$!
# Both managers exist before either saves (see concurrent_savers.cpp), then all three start.
for _ in $(seq 1 3000); do
  [ -e "$DIR/ready.a" ] && [ -e "$DIR/ready.b" ] && break
  sleep 0.01
done
: > "$DIR/go"
"$BIN" read "$DIR" "$SECS" & pr=$!
rc=0
wait "$pa" || rc=1
wait "$pb" || rc=1
wait "$pr" || rc=1
"$BIN" check "$DIR/shared" || rc=1
leftovers="$(find "$DIR" -name '*.tmp*' | wc -l)"
if [ "$leftovers" -ne 0 ]; then echo "temporary files left behind: $leftovers" >&2; rc=1; fi
if [ "$rc" -ne 0 ]; then echo "concurrency test FAILED ($DIR)" >&2; ls -la "$DIR" >&2; exit 1; fi
echo "concurrency test passed: 2 savers + 1 reader for ${SECS}s, $((SECONDS - T0))s ($DIR)"
case "$DIR" in "${TMPDIR:-/tmp}"/tfckpt_concurrent.*) rm -rf "$DIR" ;; esac
