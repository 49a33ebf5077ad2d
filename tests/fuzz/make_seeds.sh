#!/usr/bin/env bash
# Rebuilds the fuzz seed corpora tests/fuzz/corpus/<target>/ from the fixtures and the shared
# corpus (read-only). Seeds are capped at 32 KiB each; the whole corpus stays well under 1 MB.
#   bash tests/fuzz/make_seeds.sh [CORPUS_DIR]    (default: ../shared/corpus next to the repo)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CORPUS="${1:-$ROOT/../shared/corpus}"
CXX="${CXX:-clang++}"
OUT="$ROOT/tests/fuzz/corpus"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$CXX" -std=c++20 -O1 -I"$ROOT/include" "$ROOT/tests/fuzz/seed_tool.cpp" -lsnappy -o "$TMP/seed_tool"
rm -rf "$OUT"
mkdir -p "$OUT"
DIRS=("$ROOT/tests/fixtures")
[ -d "$CORPUS" ] && DIRS+=("$CORPUS")
"$TMP/seed_tool" "$OUT" "${DIRS[@]}"
for d in "$OUT"/*/; do
  printf '%-22s %4d seeds %8d bytes\n' "$(basename "$d")" "$(ls "$d" | wc -l)" "$(cat "$d"/* | wc -c)"
done
echo "total: $(du -sb "$OUT" | cut -f1) bytes"
