/* random_model.h — a random model drawn from one seed, for differential
 * testing of the generated code (scripts/difftest.sh): `gqc gen-model
 * --random SEED` makes the same file from the same seed on every machine.
 *
 * What is drawn (every choice valid for gqc and llama.cpp):
 *   - the architecture: llama, gemma3, qwen2 or qwen3;
 *   - the shape: 1-3 layers; an embedding size a multiple of 32 (the legacy
 *     blocks) that is mostly an odd multiple, so SIMD loops meet tails and
 *     odd block counts, sometimes a multiple of 256 (k-quants); odd head
 *     counts and head sizes (8..64, not always a power of two); a GQA ratio
 *     that divides the heads; a feed-forward size an odd multiple of 32 or
 *     of 256; a vocabulary of an odd number of tokens; tied or untied;
 *     gemma3: a sliding window of 3..12 and a pattern of 2..4;
 *   - the encodings: one type for every matrix, or a per-tensor mix drawn
 *     from a pool (f32, f16, bf16, every legacy quant, every k-quant), the
 *     embedding's own; a type whose block does not divide a tensor's rows
 *     falls back as llama-quantize does (gm_fallback_type).
 */
#ifndef GQC_GENMODEL_RANDOM_MODEL_H
#define GQC_GENMODEL_RANDOM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "tools/genmodel/model_spec.h"

#define GM_MIX_MAX 16

/* A per-tensor mix: each matrix gets one of the pool's types, drawn from
 * seed and the tensor's name. */
typedef struct gm_mix {
  uint32_t pool[GM_MIX_MAX];
  int n_pool; /* 0: no mix */
  uint64_t seed;
} gm_mix;

/* Draws the parameters (and a mix, n_pool 0 if none) of model `seed`. */
void gm_random_model(uint64_t seed, gm_params *p, gm_mix *mix);
/* Re-draws the type of every matrix of the plan from the mix. */
void gm_apply_mix(gm_tensor *t, size_t n, const gm_mix *mix);

#endif
