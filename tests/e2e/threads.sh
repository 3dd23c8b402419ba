#!/bin/sh
# threads.sh — decoding on several threads gives bit-identical logits.
#
# Compiles MODEL, links samples/generate.c, feeds REF.ids with -t 1, -t 2 and
# -t 3 (the runtime's POSIX executor) and requires the logit files to be
# byte-for-byte equal: rows split over threads are computed by the same
# kernel either way.
#   usage: threads.sh MODEL.gguf REF_PREFIX [gqc options...]
#   env:   GQC, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_SAMPLES, GQC_RUNNER, GQC_LDFLAGS
set -eu
. "$(dirname "$0")/lib.sh"
model=$1 ref=$2
shift 2
e2e_tmpdir threads
host_generate model "$@"
for t in 1 2 3; do
  ${GQC_RUNNER:-} "$tmp/model/generate" --ids "$ref.ids" --logits "$tmp/t$t.f32" --quiet -t $t
done
cmp "$tmp/t1.f32" "$tmp/t2.f32"
cmp "$tmp/t1.f32" "$tmp/t3.f32"
echo "$(basename "$model"): logits with 1, 2 and 3 threads are identical"
