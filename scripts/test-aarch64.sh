#!/bin/sh
# test-aarch64.sh — the aarch64 side of the test suite, run under qemu:
# the runtime's unit tests, cross-built for the Cortex-A55 target
# (scripts/test-aarch64-runtime.sh, in build-aarch64).
#
# The end-to-end aarch64 tests (cross parity for every reference model with
# both backends, host/aarch64 greedy agreement, `gqc run --target
# aarch64-linux-gnu`, the firmware sample) are ctest tests of the main build
# (tests/e2e/aarch64.cmake, label "aarch64"), so scripts/test.sh runs them
# with everything else. To run only those from here, name the main build:
#
#   scripts/test-aarch64.sh                 runtime unit tests
#   scripts/test-aarch64.sh --e2e [BUILD]   and `ctest -L aarch64` in BUILD
#                                           (default: build), building it first
set -eu
cd "$(dirname "$0")/.."
jobs=${GQC_JOBS:-2}
./scripts/test-aarch64-runtime.sh build-aarch64
if [ "${1:-}" = --e2e ]; then
  build=${2:-build}
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -G Ninja > /dev/null
  ninja -C "$build" -j "$jobs"
  ctest --test-dir "$build" -L aarch64 --output-on-failure -j "$jobs"
fi
