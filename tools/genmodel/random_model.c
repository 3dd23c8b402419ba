/* random_model.c — random model shapes and encodings from a seed
 * (random_model.h). */
#include "tools/genmodel/random_model.h"

#include <string.h>

#include "frontend/gguf.h"
#include "support/name_map.h"
#include "tools/genmodel/rng.h"
#include "tools/genmodel/vocab.h"

static uint32_t pick(gm_rng *r, uint32_t n) {
  return (uint32_t)(gm_rng_next(r) % n);
}

#define PICK(r, arr) (arr)[pick((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))]

static const uint32_t all_types[] = {GGML_F32,  GGML_F16,  GGML_BF16, GGML_Q4_0, GGML_Q4_1,
                                     GGML_Q5_0, GGML_Q5_1, GGML_Q8_0, GGML_Q2_K, GGML_Q3_K,
                                     GGML_Q4_K, GGML_Q5_K, GGML_Q6_K};

void gm_random_model(uint64_t seed, gm_params *p, gm_mix *mix) {
  gm_rng r;
  gm_rng_seed(&r, seed * 0x9e3779b97f4a7c15u + 1);
  gm_arch arch = (gm_arch)pick(&r, GM_ARCH_COUNT);
  gm_params_defaults(p, arch);
  p->seed = seed;
  p->n_layer = 1 + pick(&r, 3);
  /* heads and head size; the families whose loader needs it keep D = H * hd, llama mostly */
  static const uint32_t heads[] = {1, 2, 3, 4, 5, 6};
  static const uint32_t head_dims[] = {8, 12, 16, 20, 24, 32, 40, 48, 64};
  p->n_head = PICK(&r, heads);
  do
    p->n_head_kv = 1 + pick(&r, p->n_head);
  while (p->n_head % p->n_head_kv);
  p->head_dim = PICK(&r, head_dims);
  /* D: a multiple of 32, mostly an odd one; sometimes of 256 (k-quants) */
  static const uint32_t embds[] = {32, 96, 160, 224, 288, 352, 64, 128, 256, 512};
  if (gm_arch_needs_square_heads(arch) || (arch == GM_LLAMA && pick(&r, 4) != 0)) {
    static const uint32_t hd_for[] = {32, 64, 96, 160}; /* D = H * hd, a multiple of 32 */
    p->head_dim = PICK(&r, hd_for);
    p->n_embd = p->n_head * p->head_dim;
  } else {
    p->n_embd = PICK(&r, embds);
  }
  static const uint32_t ffs[] = {32, 96, 160, 224, 256, 288, 512, 768};
  p->n_ff = PICK(&r, ffs);
  p->n_vocab = gm_vocab_min_synthetic(arch == GM_GEMMA3) + 2 * pick(&r, 150) + 1;
  if (p->n_vocab % 2 == 0)
    p->n_vocab++;
  p->n_ctx = 256;
  p->tied = pick(&r, 2) == 0;
  const unsigned flags = gm_arch_get(arch)->flags;
  if (flags & (GM_ALWAYS_TIED | GM_NEVER_TIED))
    p->tied = flags & GM_ALWAYS_TIED; /* the loader allows one way only */
  if (arch == GM_GEMMA3) {
    p->n_swa = 3 + pick(&r, 10);
    p->swa_pattern = 2 + pick(&r, 3);
    if (pick(&r, 3) == 0)
      p->softcap = 30.0f;
  }
  /* encodings */
  p->type = PICK(&r, all_types);
  p->embd_type = pick(&r, 3) == 0 ? p->type : PICK(&r, all_types);
  p->embd_pinned = true;
  memset(mix, 0, sizeof *mix);
  if (pick(&r, 2) == 0) {
    mix->seed = gm_rng_next(&r);
    mix->n_pool = 2 + (int)pick(&r, 4);
    for (int k = 0; k < mix->n_pool; k++)
      mix->pool[k] = PICK(&r, all_types);
  }
}

void gm_apply_mix(gm_tensor *t, size_t n, const gm_mix *mix) {
  if (mix->n_pool <= 0)
    return;
  for (size_t i = 0; i < n; i++) {
    if (t[i].role != GM_MATRIX)
      continue;
    gm_rng r;
    gm_rng_seed(&r, mix->seed ^ gqc_name_hash(t[i].name));
    t[i].type = gm_fallback_type(mix->pool[pick(&r, (uint32_t)mix->n_pool)], t[i].ne[0]);
  }
}
