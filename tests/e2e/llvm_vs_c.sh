#!/bin/sh
# llvm_vs_c.sh — the LLVM backend and the C backend give bit-identical logits.
#
# Compiles MODEL twice (--backend llvm, --backend c) into objects, links each
# with samples/generate.c and the runtime, feeds the same token ids (teacher
# forcing), and requires the two --logits files to be byte-for-byte equal.
#
#   usage: llvm_vs_c.sh MODEL.gguf IDS_FILE [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ids=$2
shift 2
e2e_tmpdir llvm-vs-c
for backend in llvm c; do
  host_generate "$backend" --backend "$backend" "$@"
  ${GQC_RUNNER:-} "$tmp/$backend/generate" --ids "$ids" --logits "$tmp/$backend/logits.f32" \
    --quiet
done
cmp "$tmp/llvm/logits.f32" "$tmp/c/logits.f32"
cmp "$tmp/llvm/model.h" "$tmp/c/model.h"
echo "$(basename "$model"): LLVM and C backends agree bit for bit" \
  "($(wc -c < "$tmp/llvm/logits.f32") bytes of logits)"
