#!/bin/sh
# aarch64_insncount.sh — guest instructions per decode step of a model on
# AArch64, counted by qemu's insncount TCG plugin (scripts/qemu-insncount.sh).
# A measurement helper, not a test: instruction counts are repeatable where
# times on a shared machine are not, so they compare kernels (NEON against
# scalar: gqc options --cpu cortex-a53, --features=-neon, ...).
#
# Compiles MODEL for aarch64-linux-gnu, links samples/generate.c statically
# and runs it twice, feeding ids 1..A and 1..B one per step (--ids);
# (count(B) - count(A)) / (B - A) is the cost of one decode step at
# positions A..B-1, without start-up.
#
#   usage: aarch64_insncount.sh MODEL.gguf A B [gqc options...]
#   env:   GQC, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB_AARCH64, AARCH64_CC,
#          INSNCOUNT_PLUGIN (the plugin .so or its source directory; default
#          /work/shared/tools/qemu-insncount), SYMS=N (also print the N
#          hottest symbols of the B run)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 a=$2 b=$3
shift 3
root=$(cd "$(dirname "$0")/../.." && pwd)
plugin=${INSNCOUNT_PLUGIN:-/work/shared/tools/qemu-insncount}
e2e_tmpdir insncount
"$GQC" "$model" -o "$tmp/model.o" --target aarch64-linux-gnu --no-tokenizer "$@"
${AARCH64_CC:-aarch64-linux-gnu-gcc} -O2 -std=c11 -I"$tmp" -I"$GQC_RT_INCLUDE" \
  "$GQC_SAMPLES/generate.c" "$tmp/model.o" "$GQC_RT_LIB_AARCH64" -lm -static -o "$tmp/generate"
seq 1 "$a" > "$tmp/a.ids"
seq 1 "$b" > "$tmp/b.ids"
# count IDS [PLUGIN_OPTS]
count() {
  INSNCOUNT_OPTS=${2:-} "$root/scripts/qemu-insncount.sh" "$plugin" "$tmp/generate" --ids "$1" --quiet 2>&1 |
    tee "$tmp/report" | sed -n 's/^insncount: insns \([0-9]*\).*/\1/p'
}
ca=$(count "$tmp/a.ids")
cb=$(count "$tmp/b.ids" "${SYMS:+sym=$SYMS}")
[ -n "$ca" ] && [ -n "$cb" ] || {
  cat "$tmp/report"
  exit 1
}
echo "$(basename "$model") $*: $(((cb - ca) / (b - a))) instructions per decode step" \
  "(positions $a..$((b - 1)); $ca for $a steps, $cb for $b)"
if [ -n "${SYMS:-}" ]; then
  grep -v '^insncount: insns\|^generate:' "$tmp/report" || true
fi
