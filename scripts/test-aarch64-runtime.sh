#!/bin/sh
# test-aarch64-runtime.sh — cross-builds the runtime and its runtime-only
# tests (tests/unit/test_rt_*.c) for AArch64 and runs them under qemu-aarch64
# (-cpu cortex-a76: NEON + dotprod + fp16, like the Cortex-A55 board), so the
# _neon kernels are checked against the _scalar ones.
#
#   scripts/test-aarch64-runtime.sh [BUILD_DIR]     (default: build-aarch64)
#
# Needs scripts/install-cross-deps.sh to have run. Exits non-zero when the
# build or any test fails.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-aarch64}
JOBS=${GQC_JOBS:-2}

for tool in aarch64-linux-gnu-gcc qemu-aarch64 cmake ninja ctest; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "test-aarch64-runtime: $tool not found; run scripts/install-cross-deps.sh" >&2
    exit 1
  }
done

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DGQC_RUNTIME_ONLY=ON \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" >/dev/null
ninja -C "$BUILD" -j "$JOBS"
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
