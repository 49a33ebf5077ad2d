#!/usr/bin/env bash
# End-to-end tests of the `tfckpt` command-line inspector (tools/tfckpt.cpp).
#   tests/cli/test_cli.sh <path/to/tfckpt> <repo root>
# Runs every subcommand on the TF-written fixtures (tests/fixtures) and the real-world corpus
# (../shared/corpus, or $TFCKPT_CORPUS_DIR), checking exit codes, key output lines, JSON validity
# and JSON values against the fixtures' expected.json / the corpus' expected_entries.json. Needs
# bash and python3 (standard library only). The printed values of deterministic fixtures are
# compared with what TensorFlow 2.21's print_tensors_in_checkpoint_file printed for them.
# Last line: "N passed, M failed"; exit status non-zero on any failure (a missing corpus is one).
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 <tfckpt binary> <repo root>" >&2
  exit 2
fi
CLI="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$2" && pwd)"
FIX="$ROOT/tests/fixtures"
CORPUS="${TFCKPT_CORPUS_DIR:-$ROOT/../shared/corpus}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
OUT="$TMP/out"
ERR="$TMP/err"

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run NAME WANT_RC ARGS...: runs the CLI into $OUT/$ERR and checks the exit status.
run() {
  local name=$1 want=$2
  shift 2
  "$CLI" "$@" >"$OUT" 2>"$ERR"
  local rc=$?
  if [ "$rc" -eq "$want" ]; then
    ok
    return 0
  fi
  bad "$name: exit status $rc, expected $want; stderr: $(head -c 400 "$ERR")"
  return 1
}
# has NAME FILE ERE: some line of FILE matches.
has() {
  if grep -Eq -- "$3" "$2"; then ok; else bad "$1: no line matching /$3/ in $(basename "$2"): $(head -c 300 "$2")"; fi
}
hasnt() {
  if grep -Eq -- "$3" "$2"; then bad "$1: unexpected line matching /$3/"; else ok; fi
}
# same NAME FILE: FILE equals stdin exactly.
same() {
  if diff -u - "$2" >"$TMP/diff"; then ok; else bad "$1: output differs:"; head -40 "$TMP/diff"; fi
}
# pycheck NAME ARGS... < script: the script prints "ok ..." / "FAIL ..." lines, tallied here.
pycheck() {
  local name=$1
  shift
  local res
  res="$(python3 - "$@" 2>&1)"
  local n_ok n_bad
  n_ok=$(printf '%s\n' "$res" | grep -c '^ok' || true)
  n_bad=$(printf '%s\n' "$res" | grep -c '^FAIL' || true)
  if [ "$n_ok" -eq 0 ] && [ "$n_bad" -eq 0 ]; then
    bad "$name: checker printed no result: $(printf '%s' "$res" | tail -5)"
    return
  fi
  passed=$((passed + n_ok))
  failed=$((failed + n_bad))
  printf '%s\n' "$res" | grep -v '^ok' | sed "s/^/$name: /"
}

have_corpus=0
if [ -f "$CORPUS/expected_entries.json" ]; then have_corpus=1; else bad "corpus: $CORPUS/expected_entries.json not found (set TFCKPT_CORPUS_DIR)"; fi

# ---- usage ------------------------------------------------------------------------------------
run "--help" 0 --help && has "--help" "$OUT" '^Usage: tfckpt'
run "help" 0 help && has "help" "$OUT" '^  latest +the latest checkpoint prefix'
run "--version" 0 --version && has "--version" "$OUT" '^tfckpt [0-9]+\.[0-9]+\.[0-9]+$'
# Every command has its own --help (stdout, exit 0) naming its usage line; `help CMD` says the same.
for c in ls print verify graph latest schema export import diff merge filter rename stats help; do
  run "$c --help" 0 "$c" --help && has "$c --help" "$OUT" "^Usage: tfckpt $c "
  run "help $c" 0 help "$c" && has "help $c" "$OUT" "^Usage: tfckpt $c "
done
run "help unknown" 2 help frobnicate
run "no arguments" 2 && has "no arguments" "$ERR" '^Usage: tfckpt'
run "unknown command" 2 frobnicate x && has "unknown command" "$ERR" "^tfckpt: unknown command 'frobnicate'"
run "unknown flag" 2 ls --bogus "$FIX/strings" && has "unknown flag" "$ERR" "not expected: --bogus"
run "ls without path" 2 ls
run "ls with two paths" 2 ls "$FIX/strings" "$FIX/variant"
run "print with three args" 2 print "$FIX/strings" a b
run "latest --json" 0 latest --json "$FIX/manager"
pycheck "latest --json" "$OUT" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("ok" if j["ok"] is True and j["prefix"].endswith("/manager/ckpt-5") and j["json_version"] == 1 else "FAIL %r" % j)
EOF

# ---- ls ---------------------------------------------------------------------------------------
run "ls partitioned" 0 ls "$FIX/partitioned" && same "ls partitioned" "$OUT" <<'EOF'
embedding  float32  [10,4]
ids        int64    [7]
plain      float64  []
EOF
run "ls --json partitioned" 0 ls --json "$FIX/partitioned"
pycheck "ls --json partitioned" "$OUT" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["tensors"]
emb = [e for e in a if e["key"] == "embedding"][0]
want = {"key": "embedding", "dtype": "float32", "shape": [10, 4], "shard": 0, "offset": 0, "size": 0,
        "slices": ["0,4:0,4", "4,3:0,4", "7,3:0,4"]}
print("ok" if emb == want else "FAIL embedding entry %r" % emb)
plain = [e for e in a if e["key"] == "plain"][0]
print("ok" if "slices" not in plain and plain["size"] == 8 and plain["shape"] == [] else "FAIL plain entry %r" % plain)
EOF
# The .index file and the directory (state file) name the same checkpoint as the prefix.
"$CLI" ls "$FIX/manager/ckpt-5" >"$TMP/ls_prefix" 2>&1
run "ls .index path" 0 ls "$FIX/manager/ckpt-5.index" && same "ls .index path" "$OUT" <"$TMP/ls_prefix"
run "ls directory" 0 ls "$FIX/manager" && same "ls directory" "$OUT" <"$TMP/ls_prefix"
run "ls many_variables" 0 ls "$FIX/many_variables"
if [ "$(wc -l <"$OUT")" -eq 5000 ]; then ok; else bad "ls many_variables: $(wc -l <"$OUT") lines, expected 5000"; fi

for d in "$FIX"/*/; do
  n=$(basename "$d")
  prefix=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prefix"])' "$d/expected.json")
  run "ls --json fixture $n" 0 ls --json "$d$prefix" || continue
  pycheck "ls --json fixture $n" "$OUT" "$d/expected.json" <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))["tensors"]
exp = json.load(open(sys.argv[2]))
keys = [e["key"] for e in got]
print("ok" if keys == sorted(keys) else "FAIL keys are not in order")
want = {e["key"]: (e["dtype"], e["shape"]) for e in exp["entries"]}
have = {e["key"]: (e["dtype"], e["shape"]) for e in got}
print("ok" if want == have else "FAIL entries differ: %r" % sorted(set(want.items()) ^ set((k, (d, tuple(s))) for k, (d, s) in have.items()))[:5])
EOF
done

if [ $have_corpus -eq 1 ]; then
  A="$CORPUS/tf2_keras_savedmodel_adam_slots"
  run "ls adam_slots" 0 ls "$A"
  has "ls adam_slots" "$OUT" '^_CHECKPOINTABLE_OBJECT_GRAPH +string +\[\]$'
  has "ls adam_slots" "$OUT" '^layer_with_weights-0/kernel/\.ATTRIBUTES/VARIABLE_VALUE +float32 +\[5,5\]$'
  has "ls adam_slots" "$OUT" '^layer_with_weights-0/kernel/\.OPTIMIZER_SLOT/optimizer/m/\.ATTRIBUTES/VARIABLE_VALUE +float32 +\[5,5\]$'
  has "ls adam_slots" "$OUT" '^optimizer/iter/\.ATTRIBUTES/VARIABLE_VALUE +int64 +\[\]$'
  if [ "$(wc -l <"$OUT")" -eq 28 ]; then ok; else bad "ls adam_slots: $(wc -l <"$OUT") lines, expected 28"; fi
  pycheck "ls adam_slots columns" "$OUT" <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
starts = {(m.start(1), m.start(2)) for m in (re.match(r"^\S+ +(\S+) +(\S+)$", l) for l in lines) if m}
print("ok" if len(starts) == 1 and all(re.match(r"^\S+ +\S+ +\S+$", l) for l in lines) else "FAIL columns not aligned: %r" % starts)
EOF
  run "ls state-file directory" 0 ls "$CORPUS/tf2_checkpointmanager_iterator_variant"
  has "ls state-file directory" "$OUT" '^iterator/\.ATTRIBUTES/ITERATOR_STATE +variant +\[1\]$'
  has "ls state-file directory" "$OUT" '^step/\.ATTRIBUTES/VARIABLE_VALUE +int32 +\[\]$'
  run "ls two shards" 0 ls "$CORPUS/tf2_checkpoint_two_shards/model.ckpt"
  # Every corpus checkpoint: ls --json agrees with the independent reader's expected_entries.json.
  pycheck "ls --json corpus" "$CLI" "$CORPUS" <<'EOF'
import json, os, subprocess, sys
cli, corpus = sys.argv[1], sys.argv[2]
exp = json.load(open(os.path.join(corpus, "expected_entries.json")))
names = {"float": "float32", "double": "float64"}
for folder, cks in exp.items():
    if folder.startswith("_") or not isinstance(cks, dict):
        continue
    for prefix, info in cks.items():
        if "entries" not in info:
            continue
        p = os.path.join(corpus, folder, prefix)
        r = subprocess.run([cli, "ls", "--json", p], capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL %s: exit %d %s" % (p, r.returncode, r.stderr))
            continue
        got = {e["key"]: (e["dtype"], e["shape"], e["shard"], e["offset"], e["size"]) for e in json.loads(r.stdout)["tensors"]}
        want = {e["key"]: (names.get(e["dtype"], e["dtype"]), e["shape"], e["shard"], e["offset"], e["size"])
                for e in info["entries"]}
        print("ok" if got == want else "FAIL %s: ls --json differs from expected_entries.json" % p)
EOF
fi

# ---- errors -----------------------------------------------------------------------------------
run "missing checkpoint" 1 ls "$TMP/nothing/here" && has "missing checkpoint" "$ERR" "^tfckpt: .*nothing/here.*\[not_found\]$"
if [ $have_corpus -eq 1 ]; then
  L="$CORPUS/legacy_v1_tensorslice_not_v2/export-00000-of-00001"
  run "legacy V1 file" 1 ls "$L" && has "legacy V1 file" "$ERR" "^tfckpt: .*export-00000-of-00001: legacy V1 \(TensorSlice\) checkpoint.*\[unsupported\]$"
  run "legacy V1 print" 1 print "$L" && has "legacy V1 print" "$ERR" 'legacy V1'
  run "legacy V1 verify" 1 verify "$L" && has "legacy V1 verify" "$ERR" 'export-00000-of-00001'
fi
# Corrupted copies of a 3-shard fixture: a flipped data byte, a missing shard, a truncated index.
mkdir -p "$TMP/flip" "$TMP/noshard" "$TMP/trunc"
cp "$FIX"/three_shards/ckpt.* "$TMP/flip/"
python3 - "$TMP/flip/ckpt.data-00001-of-00003" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(bytes(b))
EOF
run "verify flipped byte" 1 verify "$TMP/flip/ckpt" &&
  has "verify flipped byte" "$ERR" "^tfckpt: .*flip/ckpt\.data-00001-of-00003: key '[^']+': at offset [0-9]+: .*\[checksum_mismatch\]$"
run "print flipped byte" 1 print "$TMP/flip/ckpt" && has "print flipped byte" "$ERR" 'checksum_mismatch'
cp "$FIX/three_shards/ckpt.index" "$FIX"/three_shards/ckpt.data-0000[01]-of-00003 "$TMP/noshard/"
run "verify missing shard" 1 verify "$TMP/noshard/ckpt" && has "verify missing shard" "$ERR" 'noshard/ckpt\.data-00002-of-00003'
head -c 100 "$FIX/three_shards/ckpt.index" >"$TMP/trunc/ckpt.index"
run "truncated index" 1 ls "$TMP/trunc/ckpt" && has "truncated index" "$ERR" '^tfckpt: .*trunc/ckpt\.index: .*\[corruption\]$'
run "print missing key" 1 print "$FIX/strings" no/such/key && has "print missing key" "$ERR" "key 'no/such/key'.*not found"

# ---- verify -----------------------------------------------------------------------------------
run "verify partitioned" 0 verify "$FIX/partitioned" && same "verify partitioned" "$OUT" <<'EOF'
6 tensors, 224 bytes, all checksums OK
EOF
run "verify --json" 0 verify --json "$FIX/partitioned"
pycheck "verify --json" "$OUT" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("ok" if j["tensors"] == 6 and j["bytes"] == 224 and j["ok"] is True and j["errors"] == [] else "FAIL %r" % j)
EOF
for d in "$FIX"/*/; do
  run "verify fixture $(basename "$d")" 0 verify "$d" && has "verify fixture $(basename "$d")" "$OUT" '^[0-9]+ tensors, [0-9]+ bytes, all checksums OK$'
done
if [ $have_corpus -eq 1 ]; then
  run "verify two shards" 0 verify "$CORPUS/tf2_checkpoint_two_shards/model.ckpt" && same "verify two shards" "$OUT" <<'EOF'
18 tensors, 14439 bytes, all checksums OK
EOF
  run "verify adam_slots" 0 verify "$CORPUS/tf2_keras_savedmodel_adam_slots" && same "verify adam_slots" "$OUT" <<'EOF'
28 tensors, 5485 bytes, all checksums OK
EOF
  for d in "$CORPUS"/*/; do
    case "$d" in *legacy_v1*) continue ;; esac
    run "verify corpus $(basename "$d")" 0 verify "$d" && has "verify corpus $(basename "$d")" "$OUT" '^[0-9]+ tensors, [0-9]+ bytes, all checksums OK$'
  done
fi

# ---- print ------------------------------------------------------------------------------------
# Expected text: TensorFlow 2.21 print_tensors_in_checkpoint_file (numpy 2.4) on these fixtures.
run "print partitioned" 0 print "$FIX/partitioned" && same "print partitioned" "$OUT" <<'EOF'
tensor_name:  embedding
[[ 0.   1.5  3.   4.5]
 [ 6.   7.5  9.  10.5]
 [12.  13.5 15.  16.5]
 [18.  19.5 21.  22.5]
 [24.  25.5 27.  28.5]
 [30.  31.5 33.  34.5]
 [36.  37.5 39.  40.5]
 [42.  43.5 45.  46.5]
 [48.  49.5 51.  52.5]
 [54.  55.5 57.  58.5]]
tensor_name:  ids
[ 10 -20  30 -40  50 -60  70]
tensor_name:  plain
2.5
EOF
run "print large (summarised)" 0 print "$FIX/large_tensor" big/.ATTRIBUTES/VARIABLE_VALUE && same "print large (summarised)" "$OUT" <<'EOF'
tensor_name:  big/.ATTRIBUTES/VARIABLE_VALUE
[-1000.    -999.75  -999.5  ... 16499.25 16499.5  16499.75]
EOF
run "print all_dtypes" 0 print "$FIX/all_dtypes"
same "print all_dtypes (float16 .. float64)" <(sed -n '/^tensor_name:  float16_matrix/,/^tensor_name:  int16_matrix/p' "$OUT") <<'EOF'
tensor_name:  float16_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[    nan -0.e+00     inf]
 [   -inf  6.e-08     nan]]
tensor_name:  float16_scalar/.ATTRIBUTES/VARIABLE_VALUE
-1.5
tensor_name:  float32_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[    nan -0.e+00     inf]
 [   -inf  1.e-45     nan]]
tensor_name:  float32_scalar/.ATTRIBUTES/VARIABLE_VALUE
-1.5
tensor_name:  float64_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[     nan -0.e+000      inf]
 [    -inf  5.e-324      nan]]
tensor_name:  float64_scalar/.ATTRIBUTES/VARIABLE_VALUE
-1.5
tensor_name:  int16_matrix/.ATTRIBUTES/VARIABLE_VALUE
EOF
same "print all_dtypes (bool, complex)" <(sed -n '/^tensor_name:  bool_matrix/,/^tensor_name:  float16_matrix/p' "$OUT") <<'EOF'
tensor_name:  bool_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[ True False  True]
 [False False  True]]
tensor_name:  bool_scalar/.ATTRIBUTES/VARIABLE_VALUE
True
tensor_name:  complex128_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[      nan-0.j        inf-infj  4.9e-324+1.j ]
 [ 1.5e+000-2.5j -0.0e+000+nanj  0.0e+000+0.j ]]
tensor_name:  complex128_scalar/.ATTRIBUTES/VARIABLE_VALUE
(3.25-7.5j)
tensor_name:  complex64_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[     nan-0.j       inf-infj  1.4e-45+1.j ]
 [ 1.5e+00-2.5j -0.0e+00+nanj  0.0e+00+0.j ]]
tensor_name:  complex64_scalar/.ATTRIBUTES/VARIABLE_VALUE
(3.25-7.5j)
tensor_name:  float16_matrix/.ATTRIBUTES/VARIABLE_VALUE
EOF
same "print all_dtypes (ints, strings)" <(sed -n '/^tensor_name:  int64_matrix/,/^tensor_name:  uint16_matrix/p;/^tensor_name:  uint64_matrix/,/^tensor_name:  uint8_matrix/p' "$OUT") <<'EOF'
tensor_name:  int64_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[-9223372036854775808  9223372036854775807                    0]
 [                   1                   42  9223372036854775806]]
tensor_name:  int64_scalar/.ATTRIBUTES/VARIABLE_VALUE
-9223372036854775808
tensor_name:  int8_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[-128  127    0]
 [   1   42  126]]
tensor_name:  int8_scalar/.ATTRIBUTES/VARIABLE_VALUE
-128
tensor_name:  string_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[b'a' b'' b'xyz']
 [b'\x00\xff' b'hello' b'!']]
tensor_name:  string_scalar/.ATTRIBUTES/VARIABLE_VALUE
b'scalar string'
tensor_name:  uint16_matrix/.ATTRIBUTES/VARIABLE_VALUE
tensor_name:  uint64_matrix/.ATTRIBUTES/VARIABLE_VALUE
[[                   0 18446744073709551615                    0]
 [                   1                   42 18446744073709551614]]
tensor_name:  uint64_scalar/.ATTRIBUTES/VARIABLE_VALUE
18446744073709551615
tensor_name:  uint8_matrix/.ATTRIBUTES/VARIABLE_VALUE
EOF
has "print object graph" "$OUT" "^b['\"]\\\\n"
run "print one key" 0 print "$FIX/zero_elements" f64_0x5/.ATTRIBUTES/VARIABLE_VALUE && same "print one key" "$OUT" <<'EOF'
tensor_name:  f64_0x5/.ATTRIBUTES/VARIABLE_VALUE
[]
EOF
run "print -- key" 0 print "$FIX/partitioned" -- plain && has "print -- key" "$OUT" '^2\.5$'
for d in "$FIX"/*/; do
  n=$(basename "$d")
  "$CLI" ls "$d" >"$TMP/ls" 2>/dev/null
  run "print fixture $n" 0 print "$d" || continue
  if [ "$(grep -c '^tensor_name:  ' "$OUT")" -eq "$(wc -l <"$TMP/ls")" ]; then ok; else bad "print fixture $n: tensor count differs from ls"; fi
done
if [ $have_corpus -eq 1 ]; then
  run "print half_plus_two" 0 print "$CORPUS/tf2_savedmodel_half_plus_two" && has "print half_plus_two" "$OUT" '^0\.5$'
  run "print conv2d kernel" 0 print "$CORPUS/tf1_savedmodel_conv2d_mkl" conv2d/kernel && same "print conv2d kernel" "$OUT" <<'EOF'
tensor_name:  conv2d/kernel
[[[[-0.52239597]]]]
EOF
  run "print bool" 0 print "$CORPUS/tf2_savedmodel_bool_snappy_tfdf" _is_trained/.ATTRIBUTES/VARIABLE_VALUE && has "print bool" "$OUT" '^True$'
  run "print variant (corpus)" 0 print "$CORPUS/tf2_checkpointmanager_iterator_variant" iterator/.ATTRIBUTES/ITERATOR_STATE && has "print variant (corpus)" "$OUT" "^\[b'"
  for d in "$CORPUS"/*/; do
    case "$d" in *legacy_v1*) continue ;; esac
    run "print corpus $(basename "$d")" 0 print "$d"
    run "print --json corpus $(basename "$d")" 0 print --json "$d" &&
      pycheck "print --json corpus $(basename "$d")" "$OUT" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))["tensors"]
print("ok" if isinstance(a, list) and a and all({"key", "dtype", "shape", "values"} <= set(e) for e in a) else "FAIL bad structure")
EOF
  done
fi

# print --json values of every fixture against expected.json (bytes compared in the stored dtype).
pycheck "print --json fixtures" "$CLI" "$FIX" <<'EOF'
import glob, json, math, os, struct, subprocess, sys
cli, fix = sys.argv[1], sys.argv[2]
FMT = {"float32": "f", "float64": "d", "float16": "e", "int8": "b", "int16": "h", "int32": "i", "int64": "q",
       "uint8": "B", "uint16": "H", "uint32": "I", "uint64": "Q", "bool": "?", "complex64": "f", "complex128": "d"}

def flat(v, rank):
    if rank == 0:
        return [v]
    out = []
    for x in v:
        out += flat(x, rank - 1)
    return out

def num(x):
    return float(x) if isinstance(x, str) else x

def bf16_bits(x):  # round-to-nearest-even from float32
    b = struct.unpack("<I", struct.pack("<f", x))[0]
    if math.isnan(x):
        return None
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16) & 0xFFFF

for d in sorted(glob.glob(os.path.join(fix, "*", ""))):
    exp = json.load(open(os.path.join(d, "expected.json")))
    r = subprocess.run([cli, "print", "--json", os.path.join(d, exp["prefix"])], capture_output=True)
    if r.returncode != 0:
        print("FAIL %s: exit %d" % (d, r.returncode))
        continue
    try:
        got = {e["key"]: e for e in json.loads(r.stdout)["tensors"]}
    except ValueError as e:
        print("FAIL %s: invalid JSON: %s" % (d, e))
        continue
    for e in exp["entries"]:
        g = got.get(e["key"])
        name = "%s %s" % (os.path.basename(d.rstrip("/")), e["key"])
        if g is None or g["dtype"] != e["dtype"] or g["shape"] != e["shape"]:
            print("FAIL %s: missing or wrong dtype/shape" % name)
            continue
        vals = flat(g["values"], len(e["shape"]))
        if "strings_hex" in e:
            want = [bytes.fromhex(x) for x in e["strings_hex"]]
            if e["dtype"] == "variant":
                have = [bytes.fromhex(x) for x in vals]
            else:
                have = [bytes.fromhex(x["hex"]) if isinstance(x, dict) else x.encode() for x in vals]
            print("ok" if have == want else "FAIL %s: strings differ" % name)
            continue
        if "data_hex" not in e:
            continue
        raw = bytes.fromhex(e["data_hex"])
        dt = e["dtype"]
        good = True
        if dt == "bfloat16":
            for i, x in enumerate(vals):
                w = int.from_bytes(raw[2 * i:2 * i + 2], "little")
                x = num(x)
                if math.isnan(x):
                    good &= (w & 0x7F80) == 0x7F80 and (w & 0x7F) != 0
                else:
                    good &= bf16_bits(x) == w
        elif dt in FMT:
            if dt.startswith("complex"):
                vals = [num(p) for pair in vals for p in pair]
            f = "<" + FMT[dt]
            size = struct.calcsize(f)
            for i, x in enumerate(vals):
                chunk = raw[size * i:size * (i + 1)]
                if isinstance(x, (float, str)) and math.isnan(num(x)):
                    good &= math.isnan(struct.unpack(f, chunk)[0])
                else:
                    good &= struct.pack(f, num(x)) == chunk
            good &= len(vals) * size == len(raw)
        else:
            continue
        print("ok" if good else "FAIL %s: values differ" % name)
EOF

# ---- graph ------------------------------------------------------------------------------------
run "graph save_weights" 0 graph "$FIX/save_weights" && same "graph save_weights" "$OUT" <<'EOF'
(root) (node 0)
  layer_with_weights-0 (node 1)
    kernel (node 3)
      .ATTRIBUTES/VARIABLE_VALUE -> layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE  [float32 [4,8]]
    bias (node 4)
      .ATTRIBUTES/VARIABLE_VALUE -> layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE  [float32 [8]]
  layer-0 -> (node 1)
  layer_with_weights-1 (node 2)
    kernel (node 5)
      .ATTRIBUTES/VARIABLE_VALUE -> layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE  [float32 [8,3]]
    bias (node 6)
      .ATTRIBUTES/VARIABLE_VALUE -> layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE  [float32 [3]]
  layer-1 -> (node 2)
  root -> (node 0)
EOF
run "graph variant" 0 graph "$FIX/variant" &&
  has "graph variant" "$OUT" '^    \.ATTRIBUTES/ITERATOR -> iterator/\.ATTRIBUTES/ITERATOR  \[not in the bundle; stored as iterator/\.ATTRIBUTES/ITERATOR_STATE variant \[[0-9]+\]\]$'
run "graph TF1" 0 graph "$FIX/tf1_saver" && has "graph TF1" "$OUT" 'TF1 name-based checkpoint'
run "graph --json TF1" 0 graph --json "$FIX/tf1_saver"
pycheck "graph --json TF1" "$OUT" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("ok" if j["nodes"] == [] and j["name_based"] is True and j["ok"] is True else "FAIL %r" % j)
EOF
if [ $have_corpus -eq 1 ]; then
  A="$CORPUS/tf2_keras_savedmodel_adam_slots"
  run "graph adam_slots" 0 graph "$A"
  has "graph adam_slots" "$OUT" '^\(root\) \(node 0\)$'
  has "graph adam_slots" "$OUT" '^  layer-0 -> \(node 1\)$'
  has "graph adam_slots" "$OUT" '^  optimizer \(node 4\)$'
  has "graph adam_slots" "$OUT" '^      \.ATTRIBUTES/VARIABLE_VALUE -> optimizer/iter/\.ATTRIBUTES/VARIABLE_VALUE  \[int64 \[\]\]$'
  has "graph adam_slots" "$OUT" '^    slot m of node 10 -> node 64$'
  has "graph adam_slots" "$OUT" '^      \.ATTRIBUTES/VARIABLE_VALUE -> layer_with_weights-0/kernel/\.OPTIMIZER_SLOT/optimizer/m/\.ATTRIBUTES/VARIABLE_VALUE  \[float32 \[5,5\]\]$'
  hasnt "graph adam_slots" "$OUT" 'unreachable|missing from the bundle'
  run "graph TF1 corpus" 0 graph "$CORPUS/tf1_saver_three_vars/model-three-variables.ckpt" && has "graph TF1 corpus" "$OUT" 'name-based'
fi
# Every TF2 checkpoint: graph --json is well formed, and the text tree defines each node once and
# mentions every node.
graph_paths=("$FIX"/*/)
[ $have_corpus -eq 1 ] && graph_paths+=("$CORPUS"/tf2_*/)
pycheck "graph consistency" "$CLI" "${graph_paths[@]}" <<'EOF'
import json, re, subprocess, sys
cli = sys.argv[1]
for p in sys.argv[2:]:
    j = subprocess.run([cli, "graph", "--json", p], capture_output=True, text=True)
    t = subprocess.run([cli, "graph", p], capture_output=True, text=True)
    if j.returncode or t.returncode:
        print("FAIL %s: exit %d/%d" % (p, j.returncode, t.returncode))
        continue
    g = json.loads(j.stdout)
    if g["name_based"]:
        print("ok" if g["nodes"] == [] else "FAIL %s: name_based with nodes" % p)
        continue
    nodes = g["nodes"]
    n = len(nodes)
    okj = all(x["id"] == i for i, x in enumerate(nodes)) and all(
        0 <= c["node_id"] < n for x in nodes for c in x["children"])
    print("ok" if okj else "FAIL %s: bad node ids in --json" % p)
    defined = []
    mentioned = set()
    for line in t.stdout.splitlines():
        m = re.search(r"\(node (\d+)\)(  \[.*\])?$", line)
        if m and " -> (node " not in line:
            defined.append(int(m.group(1)))
        mentioned.update(int(x) for x in re.findall(r"node (\d+)", line))
    slots = {s["slot_variable_node_id"] for x in nodes for s in x["slot_variables"]}
    ok_once = len(defined) == len(set(defined))
    ok_all = mentioned == set(range(n)) and set(range(n)) - slots <= set(defined) | {0}
    print("ok" if ok_once and ok_all else "FAIL %s: tree defines %d nodes (%d unique), mentions %d of %d" % (
        p, len(defined), len(set(defined)), len(mentioned), n))
EOF

# ---- latest -----------------------------------------------------------------------------------
run "latest manager" 0 latest "$FIX/manager" && has "latest manager" "$OUT" '/manager/ckpt-5$'
run "latest without state file" 1 latest "$FIX/strings" && has "latest without state file" "$ERR" 'strings/checkpoint'
run "latest on a file" 1 latest "$FIX/strings/ckpt.index" && has "latest on a file" "$ERR" 'not a directory'
run "latest missing dir" 1 latest "$TMP/none" && has "latest missing dir" "$ERR" 'none'
if [ $have_corpus -eq 1 ]; then
  run "latest corpus" 0 latest "$CORPUS/tf2_checkpointmanager_iterator_variant" &&
    has "latest corpus" "$OUT" '^.*/tf2_checkpointmanager_iterator_variant/ckpt-40$'
  run "latest prefix named checkpoint" 0 latest "$CORPUS/tf2_keras_weights_prefix_named_checkpoint" &&
    has "latest prefix named checkpoint" "$OUT" '/tf2_keras_weights_prefix_named_checkpoint/checkpoint$'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
