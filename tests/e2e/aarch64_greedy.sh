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
#          --bitwise       that, and against a host build with --cpu x86-64
#                          (the portable kernels): the NEON integer kernels
#                          are bit-identical to the portable ones by design,
#                          so the logits of a first token (at position 0,
#                          where attention is exact in every kernel: one
#                          visible position, weight 1) must be bit-identical;
#                          later steps differ by the attention kernels'
#                          rounding (f32 summation order, FMA), so the
#                          aarch64 logits, fed the portable run's tokens,
#                          must agree within TOL (default 2e-2 of the spread,
#                          the quantised parity bound) and pick the same
#                          argmax wherever the margin is clear
#          --bitwise-only  only the checks against the portable kernels;
#                          whether the default host build picks the same ids
#                          is reported, not checked
#   env:   GQC, COMPARE, GQC_RT_INCLUDE, GQC_SAMPLES, GQC_RT_LIB_HOST (host libgqcrt.a),
#          GQC_RT_LIB_AARCH64, AARCH64_CC (default aarch64-linux-gnu-gcc),
#          GQC_RUNNER (default "qemu-aarch64 -cpu cortex-a76"),
#          PROMPT (default "Once upon a time")
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 n=$2
shift 2
mode=ids
case "${1:-}" in
--bitwise) mode=bitwise shift ;;
--bitwise-only) mode=bitwise-only shift ;;
esac
prompt=${PROMPT:-Once upon a time}
runner=${GQC_RUNNER:-qemu-aarch64 -cpu cortex-a76}
e2e_tmpdir greedy

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

build_generate host "${CC_HOST:-cc}" "$GQC_RT_LIB_HOST" "" "$@"
build_generate aarch64 "${AARCH64_CC:-aarch64-linux-gnu-gcc}" "$GQC_RT_LIB_AARCH64" -static \
  --target aarch64-linux-gnu "$@"
run host
run aarch64 $runner
echo "$who host:    $(cat "$tmp/host/text")"
echo "$who aarch64: $(cat "$tmp/aarch64/text")"

status=0
if cmp -s "$tmp/host/ids" "$tmp/aarch64/ids"; then
  echo "$who: host and aarch64 greedy ids agree ($(wc -l < "$tmp/host/ids") steps)"
elif [ "$mode" = bitwise-only ]; then
  echo "$who: host (default CPU) and aarch64 greedy ids differ (not checked):"
  first_diff host aarch64
else
  echo "FAIL $who: host and aarch64 greedy ids differ"
  first_diff host aarch64
  status=1
fi

if [ "$mode" != ids ]; then
  build_generate scalar "${CC_HOST:-cc}" "$GQC_RT_LIB_HOST" "" --cpu x86-64 "$@"
  run scalar
  # the tokens each step was fed (column 6 of the top-5 lines), and the first
  awk '{print $6}' "$tmp/scalar/top5" > "$tmp/fed.ids"
  head -n 1 "$tmp/fed.ids" > "$tmp/first.ids"
  for d in scalar aarch64; do
    r=
    [ $d = aarch64 ] && r=$runner
    $r "$tmp/$d/generate" --ids "$tmp/first.ids" --logits "$tmp/$d/first.f32" --quiet 2> /dev/null
    $r "$tmp/$d/generate" --ids "$tmp/fed.ids" --logits "$tmp/$d/fed.f32" --quiet 2> /dev/null
  done
  if cmp -s "$tmp/scalar/first.f32" "$tmp/aarch64/first.f32"; then
    echo "$who: aarch64 (NEON) logits of the first token bit-identical to the portable kernels'"
  else
    echo "FAIL $who: aarch64 (NEON) logits of the first token differ from the portable kernels'"
    status=1
  fi
  n_vocab=$(($(wc -c < "$tmp/scalar/first.f32") / 4))
  if "$COMPARE" "$tmp/scalar/fed.f32" "$tmp/aarch64/fed.f32" "$n_vocab" "${TOL:-2e-2}"; then
    echo "$who: aarch64 logits within ${TOL:-2e-2} of the portable kernels' ($(wc -l < \
      "$tmp/fed.ids") steps)"
  else
    echo "FAIL $who: aarch64 logits, fed the same tokens, differ from the portable kernels'"
    status=1
  fi
fi
exit $status
