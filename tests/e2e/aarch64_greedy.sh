#!/bin/sh
# aarch64_greedy.sh — greedy generation on the host and on AArch64 (under
# qemu) from the same model and prompt: do the two agree?
#
# Compiles MODEL for the host (default CPU: the AVX2 kernels when the host
# has them) and for aarch64-linux-gnu (Cortex-A55: NEON + dotprod kernels),
# links samples/generate.c with each, runs `generate -p PROMPT -n N --top5
# --logits` on both and compares the generated token ids.
#
#   usage: aarch64_greedy.sh MODEL.gguf N [MODE] [gqc options...]
#   MODE:  (none)          the host's and the aarch64 ids must be equal
#          --bitwise       that, and the aarch64 logits must be bit-identical
#                          to those of a host build with --cpu x86-64 (the
#                          scalar kernels): the NEON integer kernels are
#                          bit-identical to the scalar ones by design
#          --bitwise-only  only the bit-identity check; whether the default
#                          host build picks the same ids is reported, not
#                          checked
#   env:   GQC, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB_HOST (host libgqcrt.a),
#          GQC_RT_LIB_AARCH64, AARCH64_CC (default aarch64-linux-gnu-gcc),
#          GQC_RUNNER (default "qemu-aarch64 -cpu cortex-a76"),
#          PROMPT (default "Once upon a time")
set -eu
model=$1 n=$2
shift 2
mode=ids
case "${1:-}" in
--bitwise) mode=bitwise shift ;;
--bitwise-only) mode=bitwise-only shift ;;
esac
prompt=${PROMPT:-Once upon a time}
runner=${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gqc-greedy-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$model" .gguf)

# build DIR CC LIB LDFLAGS [gqc options...]
build() {
  dir=$tmp/$1 cc=$2 lib=$3 ldflags=$4
  shift 4
  mkdir -p "$dir"
  "$GQC" "$model" -o "$dir/model.o" "$@"
  $cc -O2 -std=c11 -I"$dir" -I"$GQC_RT_INCLUDE" "$GQC_SAMPLES/generate.c" "$dir/model.o" \
    "$lib" -lm $ldflags -o "$dir/generate"
}
# run DIR [RUNNER...]: text, top-5 lines, ids and logits of a greedy run
run() {
  dir=$tmp/$1
  shift
  "$@" "$dir/generate" -p "$prompt" -n "$n" > "$dir/text" 2> /dev/null
  "$@" "$dir/generate" -p "$prompt" -n "$n" --top5 --logits "$dir/logits.f32" \
    > "$dir/top5" 2> /dev/null
  # "step i pos p tok ID argmax ID top5 ...": the argmax of each step
  awk '{print $8}' "$dir/top5" > "$dir/ids"
}
# first_diff A B: the first differing step of two runs, with both top-5 lines
first_diff() {
  step=$(cmp "$tmp/$1/ids" "$tmp/$2/ids" | sed -n 's/.* line \([0-9]*\)$/\1/p')
  [ -n "$step" ] || step=1
  echo "  first difference at step $((step - 1)):"
  echo "    $1: $(sed -n "${step}p" "$tmp/$1/top5")"
  echo "    $2: $(sed -n "${step}p" "$tmp/$2/top5")"
}

build host "${CC_HOST:-cc}" "$GQC_RT_LIB_HOST" "" "$@"
build aarch64 "${AARCH64_CC:-aarch64-linux-gnu-gcc}" "$GQC_RT_LIB_AARCH64" -static \
  --target aarch64-linux-gnu "$@"
run host
run aarch64 $runner
echo "$name host:    $(cat "$tmp/host/text")"
echo "$name aarch64: $(cat "$tmp/aarch64/text")"

status=0
if cmp -s "$tmp/host/ids" "$tmp/aarch64/ids"; then
  echo "$name: host and aarch64 greedy ids agree ($(wc -l < "$tmp/host/ids") steps)"
elif [ "$mode" = bitwise-only ]; then
  echo "$name: host (default CPU) and aarch64 greedy ids differ (not checked):"
  first_diff host aarch64
else
  echo "FAIL $name: host and aarch64 greedy ids differ"
  first_diff host aarch64
  status=1
fi

if [ "$mode" != ids ]; then
  build scalar "${CC_HOST:-cc}" "$GQC_RT_LIB_HOST" "" --cpu x86-64 "$@"
  run scalar
  if cmp -s "$tmp/scalar/logits.f32" "$tmp/aarch64/logits.f32"; then
    echo "$name: aarch64 (NEON) logits bit-identical to the host's scalar kernels" \
      "($(wc -l < "$tmp/scalar/ids") steps)"
  else
    echo "FAIL $name: aarch64 (NEON) logits differ from the host's scalar kernels"
    first_diff scalar aarch64
    status=1
  fi
fi
exit $status
