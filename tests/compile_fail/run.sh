#!/usr/bin/env bash
# Compile-fail tests for the compile-time schema (tfckpt/schema.hpp, memory_restore.hpp).
# usage: tests/compile_fail/run.sh CXX [extra flags...]
# Each case here must fail to compile, and the compiler output must match the case's expected
# pattern (grep -E): `// expect-gcc:` / `// expect-clang:` for the compiler at hand, else
# `// expect:`. ok_*.cpp must compile. Prints `N passed, M failed` last; exit 1 if any failed.
set -u
cxx="${1:?usage: run.sh CXX [flags...]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
flags=(-std=c++20 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$root/include" "$@")
if "$cxx" --version 2>/dev/null | grep -qi clang; then kind=clang; else kind=gcc; fi
pass=0
fail=0
for src in "$here"/*.cpp; do
  name="$(basename "$src")"
  out="$("$cxx" "${flags[@]}" "$src" 2>&1)"
  rc=$?
  if [[ "$name" == ok_* ]]; then
    if [[ $rc -eq 0 ]]; then pass=$((pass + 1)); echo "PASS $name (compiles)"
    else fail=$((fail + 1)); echo "FAIL $name: expected to compile"; echo "$out" | head -20; fi
    continue
  fi
  pattern="$(sed -n "s|^// expect-$kind: ||p" "$src" | head -1)"
  [[ -z "$pattern" ]] && pattern="$(sed -n 's|^// expect: ||p' "$src" | head -1)"
  if [[ $rc -eq 0 ]]; then
    fail=$((fail + 1)); echo "FAIL $name: compiled, expected an error"
  elif [[ -z "$pattern" ]]; then
    fail=$((fail + 1)); echo "FAIL $name: no // expect: line"
  elif grep -qE -- "$pattern" <<<"$out"; then
    pass=$((pass + 1)); echo "PASS $name: $(grep -oE -- "$pattern" <<<"$out" | head -1 | cut -c1-150)"
  else
    fail=$((fail + 1)); echo "FAIL $name: output does not match: $pattern"; echo "$out" | grep -v '^ ' | head -20
  fi
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 && $pass -gt 0 ]]
