#!/bin/sh
# prefill.sh — model_prefill gives, bit for bit, the logits of feeding the
# same tokens one by one through model_decode.
#
# Compiles MODEL twice (--batch 4, and the default batch), links
# samples/generate.c, and feeds REF.ids (teacher forcing):
#   - token by token (model_decode): the reference, one logits row per id;
#   - all ids in one model_prefill call, with --batch 4 (so the call runs in
#     steps of 4 tokens) and with the default batch: the result must equal
#     the reference's last row;
#   - the same with the default batch on 3 threads (the runtime's POSIX
#     executor: large weights split over threads by gqcrt_gemm_parallel);
#   - model_prefill calls of 5 ids with --batch 4 (each call a step of 4 and
#     one of 1): each call's result must equal the reference row of its last
#     id.
# Everything is compared with cmp: the gemm kernels are per element the
# GEMV kernels, and a sliding-window layer's ring buffer must hold what
# decoding would have left there (tiny-gemma3's window of 8 is shorter than
# a 32-token batch).
#   usage: prefill.sh MODEL.gguf REF_PREFIX [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER, GQC_LDFLAGS
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ref=$2
shift 2
e2e_tmpdir prefill

# build DIR [gqc options...]
build() {
  host_generate "$@"
  grep -q '_BATCH ' "$tmp/$1/model.h" || fail "no MODEL_BATCH in model.h"
}
# run DIR OUT [generate options...]
run() {
  dir=$tmp/$1 out=$2
  shift 2
  ${GQC_RUNNER:-} "$dir/generate" --ids "$ref.ids" --logits "$tmp/$out" --quiet "$@" 2> /dev/null
}

build b4 --batch 4 "$@"
build b32 "$@"
run b4 decode.f32
n_ids=$(wc -w < "$ref.ids")
row=$(($(wc -c < "$tmp/decode.f32") / n_ids))
# rows P...: the reference rows at those positions, concatenated
rows() {
  for p in "$@"; do
    dd if="$tmp/decode.f32" bs="$row" skip="$p" count=1 2> /dev/null
  done
}

rows $((n_ids - 1)) > "$tmp/want_last.f32"
for b in b4 b32; do
  run $b whole_$b.f32 --chunk 0
  cmp "$tmp/want_last.f32" "$tmp/whole_$b.f32" ||
    fail "one prefill of $n_ids ids ($b) differs from decoding them"
done
# on 3 threads (gqcrt_gemm_parallel splits the large weights' rows)
run b32 whole_t3.f32 --chunk 0 -t 3
cmp "$tmp/want_last.f32" "$tmp/whole_t3.f32" ||
  fail "prefill on 3 threads differs from decoding"
run b32 decode32.f32
cmp "$tmp/decode.f32" "$tmp/decode32.f32" ||
  fail "decode differs between --batch 4 and the default batch"

run b4 chunks.f32 --chunk 5
positions=
p=4
while [ $p -lt $((n_ids - 1)) ]; do
  positions="$positions $p"
  p=$((p + 5))
done
rows $positions $((n_ids - 1)) > "$tmp/want_chunks.f32"
cmp "$tmp/want_chunks.f32" "$tmp/chunks.f32" ||
  fail "prefill in calls of 5 ids (--batch 4) differs from decoding them"
echo "$who: prefill of $n_ids ids (one call: --batch 4, default, 3 threads; calls of 5 with --batch 4): logits identical to decode"
