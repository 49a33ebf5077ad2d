#!/usr/bin/env bash
# Separate compilation cannot mix silently (format/config.hpp, TFCKPT_MODE_NAMESPACE).
# usage: check_mixed_modes.sh SEPARATE_LIB HEADER_ONLY_LIB CORE_LIB -- LINK_COMMAND...
#   SEPARATE_LIB     mix_separate.cpp compiled with TFCKPT_SEPARATE_COMPILATION (static library)
#   HEADER_ONLY_LIB  mix_header_only.cpp compiled without it
#   CORE_LIB         core.cpp (the core unit) compiled with it
#   LINK_COMMAND     builds the program of the first two units only (no core unit); must FAIL
# Checks: (1) the mangled names of core_io.hpp's functions differ between the modes: the
# separate unit needs `tfckpt::core::separate_compilation::...`, which only the core unit
# defines; the header-only unit defines `tfckpt::core::header_only::...`; no core function has
# the same mangled name in both; (2) the link fails, and fails because the core unit is missing.
set -u
sep="${1:?usage}"; ho="${2:?usage}"; core="${3:?usage}"
shift 3
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "check_mixed_modes: no link command"; exit 2; }
nm_bin="${NM:-nm}"
fail=0
pass=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

for f in "$sep" "$ho" "$core"; do
  [[ -f "$f" ]] || { echo "FAIL missing input $f"; exit 1; }
done
# Mangled names: `tfckpt::core::` is _ZN6tfckpt4core; the mode namespaces are
# 20separate_compilation and 11header_only.
sep_undef="$("$nm_bin" -u "$sep" | grep -o '_ZN6tfckpt4core[0-9A-Za-z_]*' | sort -u)"
ho_def="$("$nm_bin" --defined-only "$ho" | grep -o '_ZN6tfckpt4core[0-9A-Za-z_]*' | sort -u)"
core_def="$("$nm_bin" --defined-only "$core" | grep -o '_ZN6tfckpt4core[0-9A-Za-z_]*' | sort -u)"
if grep -q '_ZN6tfckpt4core20separate_compilation16write_checkpoint' <<<"$sep_undef"; then
  ok "the separate unit needs tfckpt::core::separate_compilation::write_checkpoint"
else
  bad "the separate unit does not refer to tfckpt::core::separate_compilation::write_checkpoint"
fi
if grep -q '_ZN6tfckpt4core20separate_compilation.*core_impl_hpp_must_be_compiled_in_one_unit' <<<"$sep_undef"; then
  ok "the separate unit needs the core unit's mark"
else
  bad "the separate unit does not refer to the core unit's mark"
fi
if grep -q '_ZN6tfckpt4core11header_only16write_checkpoint' <<<"$ho_def" &&
   ! grep -q '_ZN6tfckpt4core20separate_compilation' <<<"$ho_def"; then
  ok "the header-only unit defines tfckpt::core::header_only:: functions only"
else
  bad "the header-only unit's core functions are not (only) in tfckpt::core::header_only"
fi
if grep -q '_ZN6tfckpt4core20separate_compilation16write_checkpoint' <<<"$core_def" &&
   grep -q '_ZN6tfckpt4core20separate_compilation.*core_impl_hpp_must_be_compiled_in_one_unit' <<<"$core_def"; then
  ok "the core unit defines the separate_compilation functions and the mark"
else
  bad "the core unit does not define the separate_compilation functions and the mark"
fi
shared="$(comm -12 <(sort -u <<<"$sep_undef") <(sort -u <<<"$ho_def"))"
if [[ -z "$shared" && -n "$sep_undef" ]]; then
  ok "no core function has the same mangled name in both modes"
else
  bad "mangled names shared between the modes: ${shared:-<separate unit refers to none>}"
fi

out="$("$@" 2>&1)"
rc=$?
if [[ $rc -eq 0 ]]; then
  bad "a separate-mode unit linked with a header-only unit and no core unit LINKED"
elif grep -q 'core_impl_hpp_must_be_compiled_in_one_unit' <<<"$out"; then
  ok "the mixed link fails: $(grep -o '[^ ]*core_impl_hpp_must_be_compiled_in_one_unit[^ ]*' <<<"$out" | head -1)"
else
  bad "the mixed link failed, but not for the missing core unit:"
  echo "$out" | tail -20
fi
echo "$pass passed, $fail failed"
[[ $fail -eq 0 && $pass -eq 6 ]]
