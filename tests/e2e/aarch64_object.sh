#!/bin/sh
# aarch64_object.sh — `--target aarch64-linux-gnu`: the LLVM backend writes an
# ELF64 AArch64 relocatable whose .gqc.weights section is 64-byte aligned.
# When an aarch64 runtime library exists (GQC_RT_LIB_AARCH64), the object is
# also linked with samples/generate.c and run under qemu against llama.cpp's
# reference logits.
#
#   usage: aarch64_object.sh MODEL.gguf REF_PREFIX TOL [gqc options...]
#   env:   GQC, COMPARE, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB_AARCH64,
#          AARCH64_CC (default aarch64-linux-gnu-gcc), READELF (default readelf)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ref=$2 tol=$3
shift 3
e2e_tmpdir aarch64
"$GQC" "$model" -o "$tmp/model.o" --target aarch64-linux-gnu "$@"
readelf=${READELF:-readelf}
"$readelf" -h "$tmp/model.o" > "$tmp/header"
grep -q 'Class:[[:space:]]*ELF64' "$tmp/header" || fail "not ELF64"
grep -q 'Type:[[:space:]]*REL' "$tmp/header" || fail "not a relocatable object"
grep -q 'Machine:[[:space:]]*AArch64' "$tmp/header" || fail "not AArch64"
# [Nr] Name Type Address Off Size ES Flg Lk Inf Al
line=$("$readelf" -S -W "$tmp/model.o" | sed 's/^ *\[ *[0-9]*\] *//' | grep '^\.gqc\.weights ') ||
  fail "no .gqc.weights section"
align=$(echo "$line" | awk '{print $NF}')
flags=$(echo "$line" | awk '{print $(NF-3)}')
[ "$align" -ge 64 ] && [ $((align % 64)) -eq 0 ] || fail ".gqc.weights aligned to $align"
[ "$flags" = A ] || fail ".gqc.weights has flags '$flags' (want A: allocated, read-only)"
echo "$(basename "$model"): AArch64 ELF64 relocatable, .gqc.weights align $align"

lib=${GQC_RT_LIB_AARCH64:-}
if [ -z "$lib" ] || [ ! -f "$lib" ] || ! command -v qemu-aarch64 > /dev/null; then
  echo "no aarch64 runtime library or qemu-aarch64: not running the object"
  exit 0
fi
${AARCH64_CC:-aarch64-linux-gnu-gcc} -O2 -std=c11 -I"$tmp" -I"$GQC_RT_INCLUDE" \
  "$GQC_SAMPLES/generate.c" "$tmp/model.o" "$lib" -lm -static -o "$tmp/generate"
qemu-aarch64 -cpu cortex-a76 "$tmp/generate" --ids "$ref.ids" --logits "$tmp/got.f32" --quiet
n_ids=$(wc -w < "$ref.ids")
n_vocab=$(($(wc -c < "$ref.logits.f32") / 4 / n_ids))
printf '%s under qemu: ' "$(basename "$model")"
"$COMPARE" "$ref.logits.f32" "$tmp/got.f32" "$n_vocab" "$tol"
