#!/bin/sh
# weight_section.sh — the object's weights are the GGUF's packed bytes, once.
#
# Compiles MODEL to an object and checks that its .gqc.weights section is
# exactly <NAME>_WEIGHT_BYTES of the generated header, 64-byte aligned, and
# no bigger than the GGUF's tensor bytes plus 64-byte alignment padding per
# tensor (so no dequantised float copy and no second copy of a tied tensor).
#   usage: weight_section.sh MODEL.gguf [gqc options]     env: GQC
set -eu
. "$(dirname "$0")/lib.sh"
model=$1
shift
e2e_tmpdir ws
"$GQC" "$model" -o "$tmp/model.o" "$@" --stats > "$tmp/stats.txt"
want=$(sed -n 's/^#define MODEL_WEIGHT_BYTES \([0-9]*\)ULL.*/\1/p' "$tmp/model.h")
line=$(readelf -S -W "$tmp/model.o" | grep ' \.gqc\.weights ')
size=$((0x$(echo "$line" | awk '{for (i = 1; i <= NF; i++) if ($i == "PROGBITS") print $(i + 3)}')))
align=$(echo "$line" | awk '{print $NF}')
# tensor bytes per weight row of --stats, padded to 64
bound=$(awk '/^kv cache/ {exit} NR > 1 && NF >= 5 {b += int(($NF + 63) / 64) * 64} END {print b}' "$tmp/stats.txt")
echo "$(basename "$model"): .gqc.weights $size bytes (align $align), header $want, tensors+padding $bound"
[ "$size" -eq "$want" ] || { echo "section size differs from the header" >&2; exit 1; }
[ "$size" -le "$bound" ] || { echo "section larger than the tensors" >&2; exit 1; }
[ "$align" -ge 64 ] || { echo "section alignment below 64" >&2; exit 1; }
