#!/bin/sh
# build-matrix.sh — the project must build warning-free (-Werror) in every
# build type a user or a script can pick, with gcc and with clang:
#
#             Release  RelWithDebInfo  Debug    MinSizeRel
#   gcc       test.sh  here            test.sh  here
#   clang     here     here            here     here
#   aarch64   here     gqc's own*      here     here    (cross gcc, runtime only)
#
# (test.sh builds gcc Release as its main build and gcc Debug with the
# sanitizers: at -O0 gcc runs none of the flow analyses behind its
# optimisation-dependent warnings. * the cross runtime every host build makes.)
#
# These builds only compile and link (no tests run), in build-matrix/<name>,
# so an -O3-only, -Os-only or clang-only warning fails the test command.
# Each configuration is a separate directory; a second run rebuilds only what
# changed. GQC_MATRIX (e.g. "clang:Release gcc:MinSizeRel") picks a subset.
set -eu
cd "$(dirname "$0")/.."
jobs=${GQC_JOBS:-$(nproc 2>/dev/null || echo 2)}
matrix=${GQC_MATRIX:-"gcc:RelWithDebInfo gcc:MinSizeRel clang:Release \
clang:RelWithDebInfo clang:Debug clang:MinSizeRel aarch64:Release aarch64:Debug aarch64:MinSizeRel"}

for entry in $matrix; do
  cc=${entry%%:*}
  type=${entry#*:}
  dir=build-matrix/$cc-$type
  case $cc in
  aarch64)
    set -- -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" -DGQC_RUNTIME_ONLY=ON
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || {
      echo "== $entry: skipped (no aarch64-linux-gnu-gcc)"
      continue
    }
    ;;
  *) set -- -DCMAKE_C_COMPILER="$cc" -DGQC_AARCH64_RUNTIME=OFF ;;
  esac
  echo "== build $entry"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  ninja -C "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || {
    grep -E -B2 -A8 'error|warning' "$dir/build.log" | head -60
    echo "build-matrix: $entry failed (full log: $dir/build.log)" >&2
    exit 1
  }
done
echo "== build matrix: every configuration builds warning-free"
