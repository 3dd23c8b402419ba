#!/bin/sh
# parity.sh — end-to-end parity of one model against llama.cpp's reference.
#
# Compiles MODEL with gqc into an object file, links samples/generate.c and the
# runtime with the C compiler, feeds the reference token ids one per step
# (teacher forcing), and compares every step's logits with the reference
# (tests/tools/compare_logits.c: max |diff| <= TOL x the step's logit spread,
# same argmax wherever the reference's top-1/top-2 margin is clear).
#
#   usage: parity.sh MODEL.gguf REF_PREFIX TOL [gqc options...]
#   env:   GQC, COMPARE, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES,
#          GQC_RUNNER (e.g. "qemu-aarch64 -cpu cortex-a76" for cross runs)
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ref=$2 tol=$3
shift 3
e2e_tmpdir parity
host_generate model "$@"
${GQC_RUNNER:-} "$tmp/model/generate" --ids "$ref.ids" --logits "$tmp/got.f32" --quiet
n_ids=$(wc -w < "$ref.ids")
bytes=$(wc -c < "$ref.logits.f32")
n_vocab=$((bytes / 4 / n_ids))
printf '%s: ' "$(basename "$model")"
"$COMPARE" "$ref.logits.f32" "$tmp/got.f32" "$n_vocab" "$tol"
