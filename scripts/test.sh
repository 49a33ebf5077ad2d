#!/usr/bin/env bash
# THE test command: runs every test in every supported configuration.
#
#   bash scripts/test.sh              all sections
#   bash scripts/test.sh gcc meson    only the named sections (deps always run first)
#
# Sections (in order; the run stops at the first failure):
#   gcc       CMake+Ninja, g++, Debug, -Werror: build everything (bench included), ctest
#   asan      CMake+Ninja, clang++, ASan+UBSan, -Werror: build, ctest without label `interop`
#   meson     Meson+Ninja, clang++, debug, werror: meson compile, meson test
#   noexcept  CMake+Ninja, g++, TFCKPT_NO_EXCEPTIONS=ON: build tfckpt_tests, run it
#   package   tests/consumers/run.sh: a program using tfckpt built and run through every
#             consumer route (find_package after cmake --install, add_subdirectory,
#             FetchContent from a local archive, Meson subproject, pkg-config), in build/pkg-*
#   headers   single_include/tfckpt/tfckpt.hpp is up to date and builds alone (g++, clang++,
#             with and without exceptions); every header under include/tfckpt compiles on its
#             own (g++; clang++ -fno-exceptions) and respects the layers (format/graph: no Boost);
#             the layering check itself fails on a planted upward include (tests/layering/self_test.sh)
#   fuzz      every libFuzzer target (clang, ASan+UBSan) for FUZZ_SECONDS (default 35) each,
#             two at a time, from the seeds and the regression inputs
#   crash     SIGKILL a saving process KILLS (default 200) times; the checkpoint the state
#             file names must verify after every kill. Then two processes save into one
#             directory for CONCURRENT_SECONDS (default 30) while a third verifies what the
#             state file names
#   mpi       tfckpt/mpi.hpp under mpirun --oversubscribe: examples/mpi_checkpoint saves with N
#             ranks and restores with M ranks for N, M in {1,2,3,4}; TensorFlow reads every
#             N-rank checkpoint (load_checkpoint, and a restore into a ShardedVariable of another
#             shard count with assert_consumed); C++ restores TF-written ShardedVariable
#             checkpoints; the collective error cases (tests/mpi/mpi_cases.cpp); MPI_KILLS
#             (default 20) SIGKILLs of one rank mid-save (tests/mpi/fault_test.sh)
# Build trees live under build/ (gitignored) and are reused between runs.
# Environment: FUZZ_SECONDS, KILLS, CONCURRENT_SECONDS, MPI_KILLS (see above), JOBS (build parallelism, default nproc), CTEST_PARALLEL_LEVEL (ctest's own),
# CI (set by CI: missing TensorFlow makes the interop tests fail instead of skip),
# TFCKPT_SKIP_DEPS=1 (do not run scripts/install-deps.sh; for offline work).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${JOBS:-$(nproc)}"
ALL_SECTIONS=(gcc asan meson noexcept package headers fuzz crash mpi)
if [ "$#" -gt 0 ]; then SECTIONS=("$@"); else SECTIONS=("${ALL_SECTIONS[@]}"); fi
for s in "${SECTIONS[@]}"; do
  case " ${ALL_SECTIONS[*]} " in *" $s "*) ;; *) echo "unknown section '$s' (known: ${ALL_SECTIONS[*]})" >&2; exit 2 ;; esac
done

T0=$SECONDS
SUMMARY=()
CURRENT=""
CURRENT_T0=0

banner() {
  printf '\n'
  printf '=%.0s' {1..78}; printf '\n'
  printf '== %s\n' "$*"
  printf '=%.0s' {1..78}; printf '\n'
}

print_summary() {
  local rc=$1
  printf '\n'
  printf '=%.0s' {1..78}; printf '\n'
  printf '== SUMMARY\n'
  local line
  for line in "${SUMMARY[@]}"; do printf '   %s\n' "$line"; done
  for line in "${WARNINGS[@]}"; do printf '   WARNING %s\n' "$line"; done
  if [ "$rc" -ne 0 ] && [ -n "$CURRENT" ]; then
    printf '   %-10s FAILED  (%ds)\n' "$CURRENT" $((SECONDS - CURRENT_T0))
  fi
  if [ "$rc" -eq 0 ]; then
    printf '== ALL PASSED in %ds\n' $((SECONDS - T0))
  else
    printf '== FAILED (exit %d) after %ds -- see the section above\n' "$rc" $((SECONDS - T0))
  fi
  printf '=%.0s' {1..78}; printf '\n'
}
trap 'print_summary $?' EXIT

begin() { CURRENT="$1"; CURRENT_T0=$SECONDS; banner "[$1] $2"; }
end() { SUMMARY+=("$(printf '%-10s passed  (%ds)' "$CURRENT" $((SECONDS - CURRENT_T0)))"); CURRENT=""; }
run() { printf '+ %s\n' "$*"; "$@"; }

# Shared CMake configure: $1 = build dir, rest = extra -D flags.
cmake_configure() {
  local dir=$1; shift
  run cmake -S "$ROOT" -B "$dir" -G Ninja -DTFCKPT_WERROR=ON "$@"
}

CTEST_ARGS=(--output-on-failure --no-tests=error --timeout 300)
WARNINGS=()

# ctest, plus a loud summary warning for every skipped test (ctest prints no output for
# skipped tests, e.g. interop tests without TensorFlow outside CI).
run_ctest() {
  local dir=$1; shift
  local log="$dir/ctest-last.log"
  printf '+ ctest --test-dir %s %s\n' "$dir" "$*"
  ctest --test-dir "$dir" "$@" 2>&1 | tee "$log"
  local skipped
  skipped="$(sed -nE 's/^[[:space:]]+[0-9]+ - (.*) \(Skipped\)$/\1/p' "$log" | tr '\n' ' ')"
  if [ -n "$skipped" ]; then
    WARNINGS+=("[$CURRENT] SKIPPED tests: $skipped")
  fi
}

section_gcc() {
  begin gcc "CMake + Ninja, g++, Debug, -Werror: build all, ctest"
  cmake_configure build/gcc-debug -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DTFCKPT_BUILD_BENCH=ON
  run cmake --build build/gcc-debug -j "$JOBS"
  # Two at a time: the interop tests spend most of their time importing TensorFlow.
  run_ctest build/gcc-debug "${CTEST_ARGS[@]}" -j "${CTEST_PARALLEL_LEVEL:-2}"
  end
}

section_asan() {
  begin asan "CMake + Ninja, clang++, ASan+UBSan: build, ctest -LE interop"
  local san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake_configure build/clang-asan -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS=$san" "-DCMAKE_EXE_LINKER_FLAGS=$san"
  # Sanitizers must also be active in the post-build doctest test discovery run.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  run cmake --build build/clang-asan -j "$JOBS"
  # cli_struct_gen compiles generated headers with g++/clang++ (no sanitizer in them): run once, in gcc.
  run_ctest build/clang-asan "${CTEST_ARGS[@]}" -LE interop -E '^cli_struct_gen$'
  end
}

section_meson() {
  begin meson "Meson + Ninja, clang++, debug, werror: compile, test"
  local dir=build/meson-clang
  if [ -f "$dir/meson-private/coredata.dat" ]; then
    run meson setup --reconfigure "$dir"
  else
    rm -rf "$dir"
    CXX=clang++ run meson setup "$dir" --buildtype=debug
  fi
  run meson compile -C "$dir" -j "$JOBS"
  run meson test -C "$dir" --print-errorlogs
  end
}

section_noexcept() {
  begin noexcept "CMake + Ninja, g++, -fno-exceptions: build tfckpt_tests, run it"
  cmake_configure build/gcc-noexcept -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DTFCKPT_NO_EXCEPTIONS=ON -DTFCKPT_BUILD_TOOLS=OFF -DTFCKPT_BUILD_EXAMPLES=OFF
  run cmake --build build/gcc-noexcept -j "$JOBS" --target tfckpt_tests
  (cd build/gcc-noexcept && run ./tfckpt_tests)
  end
}

section_package() {
  begin package "consumers: find_package, add_subdirectory, FetchContent, Meson subproject, pkg-config"
  JOBS="$JOBS" run bash tests/consumers/run.sh build/pkg-consumers
  end
}

section_headers() {
  begin headers "single header up to date and self-sufficient; every header standalone, layering"
  JOBS="$JOBS" run bash tests/single_include/check.sh build/pkg-single-include
  JOBS="$JOBS" run bash tests/layering/check_headers.sh build/pkg-headers
  run bash tests/layering/self_test.sh build/pkg-headers-self-test
  end
}

section_fuzz() {
  begin fuzz "libFuzzer targets, ASan+UBSan, ${FUZZ_SECONDS:-35}s each"
  export FUZZ_JOBS="${FUZZ_JOBS:-2}"
  run bash tests/fuzz/run_fuzzers.sh build/fuzz "${FUZZ_SECONDS:-35}"
  end
}

section_crash() {
  begin crash "crash safety: SIGKILL a saver ${KILLS:-200} times"
  mkdir -p build/crash
  run "$(command -v clang++-14 || command -v clang++)" -std=c++20 -O2 -Wall -Wextra -Wpedantic \
    -Werror -Iinclude tests/crash/saver_loop.cpp -o build/crash/saver_loop
  rm -rf build/crash/work
  run bash tests/crash/kill_test.sh build/crash/saver_loop "${KILLS:-200}" build/crash/work
  # Two processes saving into one directory while a third reads what the state file names.
  run "$(command -v clang++-14 || command -v clang++)" -std=c++20 -O2 -Wall -Wextra -Wpedantic \
    -Werror -Iinclude tests/crash/concurrent_savers.cpp -o build/crash/concurrent_savers
  run bash tests/crash/concurrent_test.sh build/crash/concurrent_savers "${CONCURRENT_SECONDS:-30}" build/crash/concurrent
  end
}

section_mpi() {
  begin mpi "collective save/restore over MPI: N, M in 1..4, TensorFlow both ways, ${MPI_KILLS:-20} SIGKILLs"
  cmake_configure build/mpi -DCMAKE_BUILD_TYPE=Release -DTFCKPT_BUILD_MPI=ON -DTFCKPT_BUILD_TESTS=OFF \
    -DTFCKPT_BUILD_TOOLS=OFF -DTFCKPT_BUILD_EXAMPLES=OFF
  run ninja -C build/mpi -j "${JOBS:-$(nproc)}" mpi_checkpoint mpi_cases mpi_fault_saver
  local mpirun=(mpirun --oversubscribe)
  [ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
  local w=build/mpi/work py=(bash tests/interop/run_py.sh tests/mpi/tf_sharded.py) n m checks=()
  rm -rf "$w"
  mkdir -p "$w"
  for n in 1 2 3 4; do
    run timeout 120 "${mpirun[@]}" -np "$n" build/mpi/mpi_checkpoint save "$w/n$n"
    for m in 1 2 3 4; do run timeout 120 "${mpirun[@]}" -np "$m" build/mpi/mpi_checkpoint restore "$w/n$n"; done
    checks+=("$w/n$n" $((n % 4 + 1)))  # TensorFlow restores into another shard count
  done
  run "${py[@]}" check "${checks[@]}"
  run "${py[@]}" write "$w/tf1" 1 "$w/tf3" 3 "$w/tf4" 4
  for n in 1 3 4; do
    for m in 1 2 3 4; do run timeout 120 "${mpirun[@]}" -np "$m" build/mpi/mpi_checkpoint restore "$w/tf$n"; done
  done
  for n in 2 3; do run timeout 120 "${mpirun[@]}" -np "$n" build/mpi/mpi_cases "$w/cases$n"; done
  run bash tests/mpi/fault_test.sh build/mpi/mpi_fault_saver "${MPI_KILLS:-20}" "$w/fault" 3
  end
}

begin deps "scripts/install-deps.sh"
if [ -n "${TFCKPT_SKIP_DEPS:-}" ]; then
  echo "TFCKPT_SKIP_DEPS is set: not checking/installing dependencies"
else
  run bash "$ROOT/scripts/install-deps.sh"
fi
end

for s in "${SECTIONS[@]}"; do "section_$s"; done
