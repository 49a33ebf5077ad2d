#!/usr/bin/env bash
# `tfckpt struct` end to end (issue #13): for every TF2 checkpoint in tests/fixtures and in the
# shared corpus (TFCKPT_CORPUS_DIR, default ../shared/corpus next to the source tree), generate a
# header (each into its own namespace; twice, to check the output is deterministic), compile ONE
# translation unit per compiler (-Wall -Wextra -Wpedantic -Werror) that restores each checkpoint
# into its generated struct with assert_consumed() and saves it back, then `tfckpt diff` the saved
# checkpoint against the source (every value equal; the object graph itself is not compared, its
# node numbering is the writer's). TF1 name-based checkpoints must get the clear error instead.
#
# usage: test_struct_gen.sh TFCKPT_BIN SOURCE_DIR [COMPILER...]   (default compilers: g++ clang++)
# Attributes other than VARIABLE_VALUE (Keras OBJECT_CONFIG_JSON strings, tf.data ITERATOR_STATE
# variants) are tfckpt::attribute fields: restored, consumed and compared like every other value.
# The generator must warn about nothing.
set -u
TFCKPT=$1
SRC=$2
shift 2
COMPILERS=("$@")
[ ${#COMPILERS[@]} -eq 0 ] && COMPILERS=(g++ clang++)
CORPUS=${TFCKPT_CORPUS_DIR:-$SRC/../shared/corpus}
INCLUDES=(-I"$SRC/include")
[ -n "${TFCKPT_EXTRA_INCLUDES:-}" ] && for d in $TFCKPT_EXTRA_INCLUDES; do INCLUDES+=(-I"$d"); done

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }

[ -d "$CORPUS" ] || { echo "FAIL: corpus directory $CORPUS missing (set TFCKPT_CORPUS_DIR)"; exit 1; }

cases=()
for d in "$SRC"/tests/fixtures/*/ "$CORPUS"/*/; do
  d=${d%/}
  json=$("$TFCKPT" graph --json "$d" 2>/dev/null) || continue  # not a checkpoint (legacy V1: tested elsewhere)
  if grep -q '"name_based": true' <<<"$json"; then
    # TF1: a clear error naming what to use instead, exit status 1, nothing on stdout.
    out=$("$TFCKPT" struct "$d" 2>"$work/err"); rc=$?
    if [ $rc -eq 1 ] && [ -z "$out" ] && grep -q "restore_by_names" "$work/err" && grep -q "bundle_reader" "$work/err"; then ok
    else fail "$d: TF1 checkpoint: want exit 1 naming restore_by_names/bundle_reader, got $rc: $(cat "$work/err")"; fi
    continue
  fi
  cases+=("$d")
done
[ ${#cases[@]} -ge 20 ] || fail "only ${#cases[@]} TF2 checkpoints found (fixtures + $CORPUS)"

# Generate: one namespace per case; twice for determinism.
driver="$work/driver.cpp"
{
  echo '#include <cstdio>'
  echo '#include <string>'
  echo '#include <tfckpt/tfckpt.hpp>'
} >"$driver"
body=""
i=0
for d in "${cases[@]}"; do
  ns="ck$i"
  fixed=()
  # --fixed on the small fixtures (inline storage; the driver allocates roots on the heap).
  case "$d" in */all_dtypes|*/strings|*/zero_elements|*/keras_sgd|*/variant) fixed=(--fixed) ;; esac
  if ! "$TFCKPT" struct "$d" --namespace "$ns" "${fixed[@]}" >"$work/$ns.hpp" 2>"$work/$ns.err"; then
    fail "$d: tfckpt struct failed: $(cat "$work/$ns.err")"
    i=$((i + 1)); continue
  fi
  "$TFCKPT" struct "$d" --namespace "$ns" "${fixed[@]}" >"$work/$ns.again" 2>/dev/null
  if cmp -s "$work/$ns.hpp" "$work/$ns.again"; then ok; else fail "$d: two runs gave different headers"; fi
  if [ -s "$work/$ns.err" ]; then fail "$d: tfckpt struct warned: $(cat "$work/$ns.err")"; fi
  # Keras fixtures: the optimizer must be the library's ready-made type (struct_gen_keras.hpp);
  # attribute holders: the attribute fields.
  want=""
  case "$d" in
    */fixtures/keras_adam) want="tfckpt::keras::adam<" ;;
    */fixtures/keras_sgd) want="tfckpt::keras::sgd<" ;;
    */fixtures/keras_rmsprop) want="tfckpt::keras::rmsprop<" ;;
    */fixtures/keras_adam_legacy) want="tfckpt::keras::legacy::adam optimizer;" ;;
    */fixtures/variant) want='tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor> iterator_state;' ;;
    */tf2_checkpointmanager_iterator_variant) want='tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor>' ;;
    */tf2_checkpoint_keras_config_json) want='tfckpt::attribute<"OBJECT_CONFIG_JSON", std::string> object_config_json;' ;;
  esac
  if [ -n "$want" ]; then
    if grep -qF "$want" "$work/$ns.hpp"; then ok; else fail "$d: the header does not use $want"; fi
  fi
  echo "#include \"$ns.hpp\"" >>"$driver"
  counter=false
  "$TFCKPT" ls "$d" | grep -q '^save_counter/' && counter=true
  body+="  rc |= run_case<$ns::checkpoint_state>(\"$d\", \"$work/out$i/ckpt\", $counter);"$'\n'
  i=$((i + 1))
done
cat >>"$driver" <<'CPP'

// Restore with assert_consumed(), save back (with the source's save_counter when it has one);
// prints the written prefix for the diff.
template <class Root>
int run_case(const char* src, const std::string& out, bool save_counter) {
  auto r = std::make_unique<Root>();
  tfckpt::checkpoint<Root> ck(*r);
  if (!save_counter) {  // a Keras save_weights / SavedModel / Checkpoint.write(): read and write
    auto st = ck.read(src);
    if (!st) {
      std::printf("FAIL %s: restore: %s\n", src, st.error().to_string().c_str());
      return 1;
    }
    if (auto ok = st->assert_consumed(); !ok) {
      std::printf("FAIL %s: %s\n", src, ok.error().to_string().c_str());
      return 1;
    }
    auto w = ck.write(out);
    if (!w) {
      std::printf("FAIL %s: write: %s\n", src, w.error().to_string().c_str());
      return 1;
    }
    std::printf("SAVED %s %s\n", src, w->c_str());
    return 0;
  }
  auto st = ck.restore(src);
  if (!st) {
    std::printf("FAIL %s: restore: %s\n", src, st.error().to_string().c_str());
    return 1;
  }
  if (auto ok = st->assert_consumed(); !ok) {
    std::printf("FAIL %s: %s\n", src, ok.error().to_string().c_str());
    return 1;
  }
  ck.set_save_counter(ck.save_counter() - 1);  // save() increments it
  auto w = ck.save(out);
  if (!w) {
    std::printf("FAIL %s: save: %s\n", src, w.error().to_string().c_str());
    return 1;
  }
  std::printf("SAVED %s %s\n", src, w->c_str());
  return 0;
}

int main() {
  int rc = 0;
CPP
printf '%s' "$body" >>"$driver"
echo '  return rc;' >>"$driver"
echo '}' >>"$driver"
sed -i 's|#include <tfckpt/tfckpt.hpp>|#include <memory>\n#include <tfckpt/tfckpt.hpp>|' "$driver"

# The first compiler builds and runs the driver (-O0: instantiating save and restore for every
# root is what costs; optimizing it took minutes of CPU per compiler); the others check that the
# headers compile warning-free (-fsyntax-only: the same diagnostics, without code generation).
first=1
for cxx in "${COMPILERS[@]}"; do
  command -v "$cxx" >/dev/null || { fail "compiler $cxx not found"; continue; }
  bin="$work/driver_$(basename "$cxx")"
  if [ $first -eq 0 ]; then
    if "$cxx" -std=c++20 -Wall -Wextra -Wpedantic -Werror -fsyntax-only "${INCLUDES[@]}" -I"$work" "$driver" 2>"$work/cc.err"; then
      ok; echo "$cxx: the generated headers compile warning-free (syntax and semantics)"
    else
      fail "$cxx: the generated headers do not compile:"; head -40 "$work/cc.err"
    fi
    continue
  fi
  first=0
  if ! "$cxx" -std=c++20 -Wall -Wextra -Wpedantic -Werror -O0 -g0 "${INCLUDES[@]}" -I"$work" "$driver" -o "$bin" 2>"$work/cc.err"; then
    fail "$cxx: the generated headers do not compile:"; head -40 "$work/cc.err"; continue
  fi
  ok
  rm -rf "$work"/out*; [ -n "${KEEP:-}" ] && cp "$driver" /tmp/f_driver.cpp
  "$bin" >"$work/run.out"; rc=$?
  grep -A12 '^FAIL' "$work/run.out"
  fails=$((fails + $(grep -c '^FAIL' "$work/run.out")))
  [ $rc -eq 0 ] || [ "$(grep -c '^FAIL' "$work/run.out")" -gt 0 ] || fail "$cxx driver exit $rc"
  while read -r _ src saved; do
    filter='^(?!_CHECKPOINTABLE_OBJECT_GRAPH$)'
    if "$TFCKPT" diff "$src" "$saved" --filter "$filter" >"$work/diff.out" 2>&1; then ok
    else fail "$cxx: $src: saved copy differs:"; head -20 "$work/diff.out"; fi
  done < <(grep '^SAVED' "$work/run.out")
  echo "$cxx: $(grep -c '^SAVED' "$work/run.out") of ${#cases[@]} checkpoints restored and saved back"
done

echo "test_struct_gen: ${#cases[@]} TF2 checkpoints, $checks checks passed, $fails failed"
[ $fails -eq 0 ]
