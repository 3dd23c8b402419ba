#!/bin/sh
# make_family_models.sh — the tiny random-weight models of the families
# described in frontend/archs (beyond llama, gemma3, qwen2, qwen3) and
# llama.cpp's references for them: how tests/data/models/tiny-<family>-*.gguf
# and tests/data/reference/tiny-<family>-* were made.
#
#   usage: make_family_models.sh GQC MODELS_DIR REFERENCE_DIR
#   env:   LLAMAREF, LLAMA_TOKENIZE (see make_reference.sh)
#
# Every model: 2 layers (smollm3: 4, so that layer 3 has no RoPE), D=64, 4
# heads over 2 KV heads (gemma: 1) of 16, FFN 128, a 272-token synthetic
# vocabulary; F32 and two quantised encodings, the same underlying values.
# Family specifics: gemma2 a sliding window of 8 and caps that bend its
# scores and logits (0.1, 0.3); granite non-trivial multipliers; phi3 f32
# and Q4_0 with LongRoPE factors (f32's reference at context 2048 > the
# original 128: long factors; Q4_0's at 128, compiled with --ctx 128: short
# ones); olmo2 Q4_0 with a sliding window of 8; stablelm a quarter of each
# head rotated; lfm2 3 layers: convolution, attention, convolution.
set -eu
gqc=$1 models=$2 refs=$3
here=$(cd "$(dirname "$0")" && pwd)
shape="--layers 2 --embd 64 --heads 4 --kv-heads 2 --ff 128 --vocab 272 --ctx 2048"

# model FAMILY ENCODING CTX [gen-model options...]: one file and its reference
model() {
  family=$1 enc=$2 ctx=$3
  shift 3
  stem=tiny-$family-$enc
  "$gqc" gen-model --arch "$family" $shape --type "$enc" "$@" -o "$models/$stem.gguf" >/dev/null
  "$here/make_reference.sh" "$models/$stem.gguf" "$refs/$stem" "$ctx"
}

gemma2="--window 8 --attn-softcap 0.1 --softcap 0.3"
model gemma2 f32 "" $gemma2
model gemma2 Q8_0 "" $gemma2
model gemma2 Q4_0 "" $gemma2
model phi3 f32 2048 --rope-factors
model phi3 Q8_0 ""
model phi3 Q4_0 128 --rope-factors
granite="--embedding-scale 12 --residual-scale 0.22 --attention-scale 0.3 --logit-scale 8"
model granite f32 "" $granite
model granite Q8_0 "" $granite
model granite Q5_1 "" $granite
model gemma f32 "" --kv-heads 1
model gemma Q8_0 "" --kv-heads 1
model gemma Q4_1 "" --kv-heads 1
model smollm3 f32 "" --layers 4
model smollm3 Q8_0 "" --layers 4
model smollm3 Q5_0 "" --layers 4
model olmo2 f32 ""
model olmo2 Q8_0 ""
model olmo2 Q4_0 "" --window 8
model starcoder2 f32 ""
model starcoder2 Q8_0 ""
model starcoder2 Q5_1 ""
model stablelm f32 "" --rot 4
model stablelm Q8_0 "" --rot 4
model stablelm Q4_1 "" --rot 4
model lfm2 f32 "" --layers 3
model lfm2 Q8_0 "" --layers 3
model lfm2 Q4_0 "" --layers 3
