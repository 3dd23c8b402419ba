#!/bin/sh
# two_models.sh — two models compiled with different --name link into one
# program (tests/e2e/two_models.c) and both decode correctly.
#
#   usage: two_models.sh STORY.gguf STORY_REF STORY_TOL LLAMA.gguf LLAMA_REF LLAMA_TOL
#                        [gqc options...]
#   env:   GQC, COMPARE, CC, GQC_RT_INCLUDE, GQC_RT_LIB, GQC_RUNNER
set -eu
. "$(dirname "$0")/lib.sh"
story=$1 story_ref=$2 story_tol=$3 llama=$4 llama_ref=$5 llama_tol=$6
shift 6
e2e_tmpdir two-models
"$GQC" "$story" -o "$tmp/story.o" --name story "$@"
"$GQC" "$llama" -o "$tmp/llama.o" --name llama "$@"
${CC:-cc} -O2 -std=c11 -Wall -Werror -I"$tmp" -I"$GQC_RT_INCLUDE" "$here/two_models.c" \
  "$tmp/story.o" "$tmp/llama.o" "$GQC_RT_LIB" -lm ${GQC_LDFLAGS:-} -o "$tmp/two_models"
prompt="Once upon a time, there was a little girl named Lily. She loved to play outside."
${GQC_RUNNER:-} "$tmp/two_models" "$prompt" "$story_ref.ids" "$tmp/story.f32" \
  "$llama_ref.ids" "$tmp/llama.f32"
for m in story llama; do
  eval "ref=\$${m}_ref tol=\$${m}_tol"
  n_vocab=$(($(wc -c < "$ref.logits.f32") / 4 / $(wc -w < "$ref.ids")))
  printf '%s: ' "$m"
  "$COMPARE" "$ref.logits.f32" "$tmp/$m.f32" "$n_vocab" "$tol"
done
