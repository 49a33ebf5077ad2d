#!/usr/bin/env bash
# End-to-end tests of `tfckpt diff`, `tfckpt export` and `tfckpt import` (exit statuses, output
# lines, usage errors). Needs only bash and python3 (standard library).
#   tests/cli/test_convert_cli.sh <path/to/tfckpt> <repo root>
# Last line: "N passed, M failed"; exit status non-zero on any failure.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <tfckpt binary> <repo root>" >&2
  exit 2
fi
CLI="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
FIX="$ROOT/tests/fixtures"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/out"
ERR="$TMP/err"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

run() {
  local name=$1 want=$2
  shift 2
  "$CLI" "$@" >"$OUT" 2>"$ERR"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then ok; return 0; fi
  bad "$name: exit status $rc, expected $want; stderr: $(head -c 400 "$ERR")"
  return 1
}
has() { if grep -Eq -- "$3" "$2"; then ok; else bad "$1: no line matching /$3/ in $(basename "$2"): $(head -c 300 "$2")"; fi; }
empty() { if [ ! -s "$2" ]; then ok; else bad "$1: expected no output, got: $(head -c 300 "$2")"; fi; }

ADAM="$FIX/keras_adam_legacy/ckpt-1"
ALL="$FIX/all_dtypes/ckpt"

# ---- diff -----------------------------------------------------------------------------------------
run "diff identical" 0 diff "$ADAM" "$ADAM" && empty "diff identical: silent" "$OUT"
run "diff directory vs prefix" 0 diff "$FIX/keras_adam_legacy" "$ADAM"
run "diff different checkpoints" 1 diff "$ADAM" "$FIX/keras_adam/ckpt-1"
has "diff: removed key" "$OUT" '^- .*OPTIMIZER_SLOT.*float32'
has "diff: added key" "$OUT" '^\+ optimizer/_variables/1/\.ATTRIBUTES/VARIABLE_VALUE  float32 \[4,8\]'
run "diff --json" 1 diff --json "$ADAM" "$FIX/keras_adam/ckpt-1"
python3 - "$OUT" <<'EOF' && ok || bad "diff --json: not the expected JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["identical"] is False and d["only_in_a"] and d["only_in_b"], d
EOF
run "diff missing file" 2 diff "$ADAM" "$TMP/nope"
run "diff usage" 2 diff "$ADAM"
run "diff bad option" 2 diff --bogus "$ADAM" "$ADAM"
run "diff bad --atol" 2 diff --atol -1 "$ADAM" "$ADAM"

# Value differences: import a modified npz of the fixture, name-based keys preserved.
run "export npz" 0 export "$ALL" --to npz "$TMP/all.npz" && has "export: skipped bfloat16 warned" "$ERR" 'bfloat16_matrix.*no numpy dtype'
python3 - "$TMP/all.npz" "$TMP/mod.npz" <<'EOF' && ok || bad "modify npz"
import sys, zipfile
src, dst = sys.argv[1:]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as o:
    for info in z.infolist():
        b = bytearray(z.read(info))
        if info.filename == "int32_matrix.npy":
            start = len(b) - 24            # six little-endian int32 values
            v = int.from_bytes(b[start:start + 4], "little", signed=True)
            b[start:start + 4] = (v + 7).to_bytes(4, "little", signed=True)
        o.writestr(info.filename, bytes(b))
EOF
run "import modified npz" 0 import "$TMP/mod.npz" --to "$TMP/mod/ckpt"
has "import: object-based default for TF2 keys" "$ERR" 'object-based'
run "diff values" 1 diff --filter 'matrix' "$ALL" "$TMP/mod/ckpt"
has "diff: int32 max difference" "$OUT" '^~ int32_matrix/\.ATTRIBUTES/VARIABLE_VALUE  int32 \[2,3\]: 1 of 6 elements differ, max \|a-b\| = 7$'
has "diff: bfloat16 only in A" "$OUT" '^- bfloat16_matrix/'
run "diff --atol hides small differences" 1 diff --atol 7 --filter 'matrix' "$ALL" "$TMP/mod/ckpt"
if grep -q int32_matrix "$OUT"; then bad "--atol 7 still reports int32_matrix"; else ok; fi
run "diff --no-optimizer" 0 diff --no-optimizer "$ADAM" "$ADAM"

# ---- export / import usage and errors ---------------------------------------------------------------
run "export without --to" 2 export "$ALL" "$TMP/x.safetensors"
run "export bad --to" 2 export "$ALL" --to hdf5 "$TMP/x.h5"
run "export bad regex" 2 export "$ALL" --to npz "$TMP/x.npz" --filter '('
run "export missing checkpoint" 1 export "$TMP/none" --to npz "$TMP/x.npz"
run "export filter matches nothing" 1 export "$ALL" --to npz "$TMP/x.npz" --filter '^zzz'
has "export: filter message" "$ERR" 'matched no tensor'
run "export filter only strings to safetensors" 1 export "$ALL" --to safetensors "$TMP/x.safetensors" --filter '^string_'
has "export: unsupported listed" "$ERR" 'string_matrix'
if [ -e "$TMP/x.safetensors" ] || [ -e "$TMP/x.npz" ]; then bad "failed export left a file"; else ok; fi
run "import without --to" 2 import "$TMP/all.npz"
run "import both modes" 2 import "$TMP/all.npz" --to "$TMP/y/ckpt" --object-graph --name-based
run "import bad --map" 2 import "$TMP/all.npz" --to "$TMP/y/ckpt" --map novalue
run "import garbage" 1 import "$ROOT/README.md" --to "$TMP/y/ckpt"
has "import garbage: message" "$ERR" 'neither a safetensors'
run "help lists export" 0 --help
has "help: export" "$OUT" '^  export +write the tensors to a safetensors'

has "help: import" "$OUT" '^  import +write a checkpoint from a safetensors'
has "help: diff" "$OUT" '^  diff +keys, dtypes, shapes and values'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
