#!/bin/sh
# test-aarch64.sh — the aarch64 side of the test suite, run under qemu:
# the runtime's unit tests cross-built for the Cortex-A55 target.
set -eu
cd "$(dirname "$0")/.."
./scripts/test-aarch64-runtime.sh build-aarch64
