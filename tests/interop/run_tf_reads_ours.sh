#!/usr/bin/env bash
# ctest `interop_tf_reads_ours`: tfckpt writes bundles, TensorFlow must read them back.
#   run_tf_reads_ours.sh <write_cases-exe> <outdir> [tf_reads_ours.py]
# 1. check TensorFlow is importable (skip 77 / fail under CI, see run_py.sh);
# 2. <write_cases-exe> <outdir> writes the bundles and <outdir>/manifest.json;
# 3. tf_reads_ours.py <outdir>/manifest.json compares TF's view with the manifest.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ "$#" -ge 2 ] || { echo "usage: run_tf_reads_ours.sh <write_cases-exe> <outdir> [script]" >&2; exit 2; }
WRITER="$1"
OUT="$2"
SCRIPT="${3:-$HERE/tf_reads_ours.py}"

bash "$HERE/run_py.sh" --check   # exits 77 or 1 itself when TF is missing

rm -rf "$OUT"
mkdir -p "$OUT"
echo "== $WRITER $OUT"
"$WRITER" "$OUT"
[ -f "$OUT/manifest.json" ] || { echo "error: $WRITER did not write $OUT/manifest.json" >&2; exit 1; }
echo "== tf_reads_ours.py $OUT/manifest.json"
exec bash "$HERE/run_py.sh" "$SCRIPT" "$OUT/manifest.json"
