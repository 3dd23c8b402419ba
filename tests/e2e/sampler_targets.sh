#!/bin/sh
# sampler_targets.sh — the runtime's sampler draws the same tokens on the
# host and on AArch64: tests/tools/sampler_trace.c (synthetic logits, eight
# parameter sets, up to 300 steps each, vocabularies up to 262144) built with the
# host's libgqcrt and cross-built with the AArch64 one, run under qemu; the
# two outputs must be identical, line for line.
#
#   usage: sampler_targets.sh SAMPLER_TRACE_SOURCE
#   env:   GQC_RT_INCLUDE, GQC_RT_LIB_HOST, GQC_RT_LIB_AARCH64,
#          AARCH64_CC (default aarch64-linux-gnu-gcc),
#          GQC_RUNNER (default "qemu-aarch64 -cpu cortex-a76")
set -eu
. "$(dirname "$0")/lib.sh"
src=$1
runner=${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76}
e2e_tmpdir sampler

${CC_HOST:-cc} -O2 -std=c11 -I"$GQC_RT_INCLUDE" "$src" "$GQC_RT_LIB_HOST" -lm -o "$tmp/host"
${AARCH64_CC:-aarch64-linux-gnu-gcc} -O2 -std=c11 -I"$GQC_RT_INCLUDE" "$src" \
  "$GQC_RT_LIB_AARCH64" -lm -static -o "$tmp/aarch64"
"$tmp/host" > "$tmp/host.txt"
$runner "$tmp/aarch64" > "$tmp/aarch64.txt"
lines=$(wc -l < "$tmp/host.txt")
[ "$lines" -gt 0 ] || { echo "FAIL: no output"; exit 1; }
if cmp -s "$tmp/host.txt" "$tmp/aarch64.txt"; then
  echo "sampler: host and aarch64 draw the same tokens ($lines parameter sets)"
else
  echo "FAIL sampler: host and aarch64 draws differ:"
  diff "$tmp/host.txt" "$tmp/aarch64.txt" | cut -c1-200 | head -8
  exit 1
fi
