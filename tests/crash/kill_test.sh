#!/usr/bin/env bash
# Crash-safety test: starts BIN (tests/crash/saver_loop.cpp) saving checkpoints into a fresh
# directory, SIGKILLs it at a random moment (0-300 ms after start), restarts it (numbering
# continues from the state file), N_KILLS times. After every kill, `BIN --verify DIR` must
# confirm that the checkpoint the state file names opens, verifies and holds its own values,
# and that every checkpoint the state file lists exists.
#   bash tests/crash/kill_test.sh BIN N_KILLS [DIR]
set -euo pipefail
if [ "$#" -lt 2 ]; then echo "usage: $0 BIN N_KILLS [DIR]" >&2; exit 2; fi
BIN="$1"
KILLS="$2"
DIR="${3:-$(mktemp -d "${TMPDIR:-/tmp}/tfckpt_kill.XXXXXX")}"
mkdir -p "$DIR"
T0=$SECONDS
empty=0
last=0
for ((i = 1; i <= KILLS; i++)); do
  "$BIN" "$DIR" &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 300)))"
  kill -KILL "$pid" 2>/dev/null || { echo "kill $i: saver exited early" >&2; wait "$pid" || true; exit 1; }
  wait "$pid" 2>/dev/null || true
  if ! out="$("$BIN" --verify "$DIR" 2>&1)"; then
    echo "kill $i: verification FAILED: $out" >&2
    ls -la "$DIR" >&2
    exit 1
  fi
  case "$out" in
    empty) empty=$((empty + 1)) ;;
    ok\ *) n="${out#ok }"
           if [ "$n" -lt "$last" ]; then echo "kill $i: checkpoint went back from $last to $n" >&2; exit 1; fi
           last="$n" ;;
  esac
done
echo "kill test passed: $KILLS kills, latest checkpoint ckpt-$last, $empty kills before the first state file, $((SECONDS - T0))s ($DIR)"
case "$DIR" in "${TMPDIR:-/tmp}"/tfckpt_kill.*) rm -rf "$DIR" ;; esac
