#!/usr/bin/env bash
# Builds and runs tests/consumers/src/consumer.cpp through every way of consuming tfckpt:
#
#   find_package      cmake --install into a scratch prefix (then moved: must be relocatable),
#                     find_package(tfckpt 0.1) with CMAKE_PREFIX_PATH (and 0.2 rejected)
#   add_subdirectory  add_subdirectory(<repo>) with default options
#   fetchcontent      FetchContent_Declare(URL file://<archive of the working tree>)
#   meson_subproject  subprojects/tfckpt -> <repo>, dependency('tfckpt', fallback: 'tfckpt')
#   pkgconfig_cmake   g++ $(pkg-config --cflags tfckpt) against the CMake-installed prefix
#   pkgconfig_meson   the .pc file `meson install` writes resolves to its installed headers
#
# The source-tree routes also check that consuming tfckpt defines no target but the library
# and looks up none of the tests'/tools' dependencies (nlohmann_json, doctest, snappy).
#
#   bash tests/consumers/run.sh WORK_DIR        (WORK_DIR is wiped first)
# Environment: CXX (default g++), JOBS (build parallelism, default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/consumers"
[ "$#" -eq 1 ] || { echo "usage: $0 WORK_DIR" >&2; exit 2; }
WORK="$(realpath -m "$1")"
CXX="${CXX:-g++}"
JOBS="${JOBS:-$(nproc)}"
export CXX

run() { printf '+ %s\n' "$*"; "$@"; }

rm -rf "$WORK"
mkdir -p "$WORK"

# Runs the consumer program built in $1 in a fresh work directory.
run_consumer() {
  local exe=$1
  rm -rf "$exe.out"
  run "$exe" "$exe.out"
}

cmake_consumer() {  # $1 = route (directory under tests/consumers), rest = -D flags
  local route=$1; shift
  local b="$WORK/$route"
  run cmake -S "$HERE/$route" -B "$b" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" "$@"
  run cmake --build "$b" -j "$JOBS"
  run_consumer "$b/consumer"
}

# tfckpt installed into $WORK/stage, then moved to $WORK/prefix (shared by two routes).
install_tfckpt() {
  run cmake -S "$ROOT" -B "$WORK/tfckpt-build" -G Ninja -DCMAKE_CXX_COMPILER="$CXX" \
    -DTFCKPT_BUILD_TESTS=OFF -DTFCKPT_BUILD_TOOLS=OFF -DTFCKPT_BUILD_EXAMPLES=OFF
  run cmake --install "$WORK/tfckpt-build" --prefix "$WORK/stage"
  run mv "$WORK/stage" "$WORK/prefix"
  local f
  for f in include/tfckpt/tfckpt.hpp include/tfckpt/format/coding.hpp share/cmake/tfckpt/tfckptConfig.cmake \
           share/cmake/tfckpt/tfckptConfigVersion.cmake share/cmake/tfckpt/tfckptTargets.cmake \
           share/pkgconfig/tfckpt.pc; do
    [ -f "$WORK/prefix/$f" ] || { echo "not installed: $f" >&2; return 1; }
  done
  if grep -rl "$WORK/stage" "$WORK/prefix" >/dev/null; then
    echo "installed files name the install prefix (not relocatable):" >&2
    grep -rl "$WORK/stage" "$WORK/prefix" >&2
    return 1
  fi
}

route_find_package() {
  cmake_consumer find_package -DCMAKE_PREFIX_PATH="$WORK/prefix"
}

route_add_subdirectory() {
  cmake_consumer add_subdirectory -DTFCKPT_SOURCE_DIR="$ROOT"
}

route_fetchcontent() {
  # An archive of the working tree (tracked and new files, not ignored ones like build/).
  local archive="$WORK/tfckpt-src.tar.gz"
  (cd "$ROOT" &&
     if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$ROOT" ]; then
       git ls-files -z --cached --others --exclude-standard
     else
       find . -path ./build -prune -o -path ./.venv -prune -o -path ./.git -prune -o -type f -print0
     fi |
     while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - --transform 's,^\(\./\)\?,tfckpt/,' -czf "$archive")
  tar -tzf "$archive" tfckpt/CMakeLists.txt tfckpt/include/tfckpt/tfckpt.hpp >/dev/null
  local sha
  sha="$(sha256sum "$archive" | cut -d' ' -f1)"
  cmake_consumer fetchcontent -DTFCKPT_ARCHIVE="$archive" -DTFCKPT_ARCHIVE_SHA256="$sha"
}

route_meson_subproject() {
  local src="$WORK/meson_subproject-src" b="$WORK/meson_subproject"
  mkdir -p "$src/subprojects"
  cp "$HERE/meson_subproject/meson.build" "$HERE/src/consumer.cpp" "$src/"
  ln -s "$ROOT" "$src/subprojects/tfckpt"
  # --force-fallback-for: use the subproject even if a tfckpt.pc is installed somewhere.
  run meson setup "$b" "$src" --force-fallback-for=tfckpt
  run meson compile -C "$b" -j "$JOBS"
  run_consumer "$b/consumer"
  # Only the consumer is built: no tests, tools or examples of the subproject.
  local targets
  targets="$(meson introspect --targets "$b" | python3 -c 'import json,sys; print(" ".join(sorted(t["name"] for t in json.load(sys.stdin))))')"
  echo "meson targets: $targets"
  [ "$targets" = "consumer" ] || { echo "expected only the target 'consumer'" >&2; return 1; }
  if grep -Eq 'dependency (nlohmann_json|doctest|snappy)' "$b/meson-logs/meson-log.txt"; then
    echo "the tfckpt subproject looked up a test/tool dependency:" >&2
    grep -E 'dependency (nlohmann_json|doctest|snappy)' "$b/meson-logs/meson-log.txt" >&2
    return 1
  fi
}

route_pkgconfig_cmake() {
  # Compiled in a scratch directory with nothing but the installed prefix on the include path.
  local d="$WORK/pkgconfig_cmake" cflags libs
  mkdir -p "$d"
  cflags="$(PKG_CONFIG_PATH="$WORK/prefix/share/pkgconfig" pkg-config --cflags tfckpt)"
  libs="$(PKG_CONFIG_PATH="$WORK/prefix/share/pkgconfig" pkg-config --libs tfckpt)"
  echo "pkg-config --cflags tfckpt: $cflags; --libs: $libs"
  case "$cflags" in *"$WORK/prefix/"*) ;; *) echo "cflags do not point into $WORK/prefix" >&2; return 1 ;; esac
  # The threaded paths start POSIX threads: the .pc file must say how to link them.
  case " $libs " in *" -pthread "*) ;; *) echo "libs lack -pthread" >&2; return 1 ;; esac
  # shellcheck disable=SC2086  # $cflags and $libs are lists of flags
  (cd "$d" && run "$CXX" -std=c++20 -Wall -Wextra -Wpedantic -Werror $cflags "$HERE/src/consumer.cpp" $libs -o consumer)
  run_consumer "$d/consumer"
}

route_pkgconfig_meson() {
  local b="$WORK/meson-install" p="$WORK/meson-prefix"
  run meson setup "$b" "$ROOT" --prefix="$p" -Dtests=disabled -Dtools=disabled -Dexamples=disabled
  run meson install -C "$b" --quiet
  local pc="$p/share/pkgconfig" inc ver
  inc="$(PKG_CONFIG_PATH="$pc" pkg-config --variable=includedir tfckpt)"
  ver="$(PKG_CONFIG_PATH="$pc" pkg-config --modversion tfckpt)"
  echo "meson's tfckpt.pc: version $ver, includedir $inc, cflags $(PKG_CONFIG_PATH="$pc" pkg-config --cflags tfckpt), libs $(PKG_CONFIG_PATH="$pc" pkg-config --libs tfckpt)"
  case " $(PKG_CONFIG_PATH="$pc" pkg-config --libs tfckpt) " in *" -pthread "*) ;; *) echo "meson's tfckpt.pc lacks -pthread" >&2; return 1 ;; esac
  [ "$inc" = "$p/include" ] || { echo "includedir should be $p/include" >&2; return 1; }
  [ -f "$inc/tfckpt/tfckpt.hpp" ] && [ -f "$inc/tfckpt/format/coding.hpp" ] || { echo "headers not installed" >&2; return 1; }
  local want
  want="$(sed -nE 's/^project\(tfckpt VERSION ([0-9.]+).*/\1/p' "$ROOT/CMakeLists.txt")"
  [ "$ver" = "$want" ] || { echo "version $ver, CMakeLists.txt says $want" >&2; return 1; }
}

PASSED=()
FAILED=()
step() {  # $1 = name; runs route_$1 (or $2) with errexit in a subshell, records the outcome
  local name=$1 fn=${2:-route_$1} t0=$SECONDS rc
  printf '\n--- consumer route: %s\n' "$name"
  set +e
  ( set -euo pipefail; "$fn" )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then PASSED+=("$name ($((SECONDS - t0))s)"); else FAILED+=("$name (exit $rc)"); fi
  return 0
}

step install install_tfckpt
if [ "${#FAILED[@]}" -eq 0 ]; then
  step find_package
  step pkgconfig_cmake
else
  FAILED+=("find_package (not run: install failed)" "pkgconfig_cmake (not run: install failed)")
fi
step add_subdirectory
step fetchcontent
step meson_subproject
step pkgconfig_meson

printf '\nconsumers: %d passed, %d failed\n' "${#PASSED[@]}" "${#FAILED[@]}"
for s in "${PASSED[@]}"; do printf '  PASS %s\n' "$s"; done
for s in "${FAILED[@]}"; do printf '  FAIL %s\n' "$s"; done
[ "${#FAILED[@]}" -eq 0 ]
