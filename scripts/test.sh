#!/bin/sh
# test.sh — install what gqc needs, build, and run every test:
#   1. the normal build (Release, the build demo.sh makes, which it reuses):
#      unit (cmocka), golden IR and end-to-end parity tests;
#   2. the same tests built with AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. every libFuzzer target of fuzz/ for a short bounded time (scripts/fuzz.sh);
#   4. the aarch64 runtime tests and parity under qemu (when the cross tools exist);
#   5. compile-only builds in every other build type, gcc and clang
#      (scripts/build-matrix.sh), so no configuration's warning slips through.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build + tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== sanitizers (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DGQC_SANITIZE=ON >/dev/null
ninja -C build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzzing (clang, libFuzzer + ASan + UBSan; 24 s per target)"
GQC_FUZZ_JOBS="$jobs" ./scripts/fuzz.sh 24

if [ -x scripts/test-aarch64.sh ]; then
  echo "== aarch64 (cross-compiled, run under qemu)"
  ./scripts/test-aarch64.sh
fi
echo "== build matrix (compile only)"
GQC_JOBS="$jobs" ./scripts/build-matrix.sh

echo "== all tests passed"
