/* model_spec.c — architectures, presets, shape checks and the tensor list
 * of a generated model (see model_spec.h). */
#include "tools/genmodel/model_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/gguf.h"

/* One row per architecture: what its GGUF holds as llama.cpp's loader reads
 * it (src/models/<name>.cpp), and a small default shape's specifics. */
static const gm_arch_info arch_table[GM_ARCH_COUNT] = {
    [GM_LLAMA] = {"llama", GM_VOCAB_SIZE_KEY, false, 2, 0, 0, 10000.0f, 1e-5f},
    [GM_GEMMA3] = {"gemma3",
                   GM_QK_NORM_HEAD | GM_POST_NORMS | GM_SWA | GM_GEMMA_VOCAB | GM_FINAL_SOFTCAP,
                   true, 1, 512, 6, 1000000.0f, 1e-6f},
    [GM_QWEN2] = {"qwen2", GM_QKV_BIAS, false, 2, 0, 0, 1000000.0f, 1e-6f},
    [GM_QWEN3] = {"qwen3", GM_QK_NORM_HEAD, true, 2, 0, 0, 1000000.0f, 1e-6f},
    [GM_GEMMA] = {"gemma", GM_ALWAYS_TIED | GM_GEMMA_VOCAB, true, 1, 0, 0, 10000.0f, 1e-6f},
    [GM_GEMMA2] = {"gemma2", GM_POST_NORMS | GM_SWA | GM_ALWAYS_TIED | GM_GEMMA_VOCAB | GM_SOFTCAPS,
                   true, 2, 4096, 2, 10000.0f, 1e-6f},
    [GM_PHI3] = {"phi3", GM_FUSED_QKV | GM_FUSED_UP | GM_ROPE_FACTORS, false, 2, 0, 0, 10000.0f,
                 1e-5f},
    [GM_GRANITE] = {"granite", GM_SCALES, true, 2, 0, 0, 10000.0f, 1e-5f},
    [GM_SMOLLM3] = {"smollm3", 0, true, 2, 0, 0, 10000.0f, 1e-6f},
    [GM_OLMO2] = {"olmo2",
                  GM_QK_NORM_FULL | GM_POST_NORMS | GM_NO_PRE_NORMS | GM_NEVER_TIED | GM_SWA, false,
                  2, 0, 4, 10000.0f, 1e-6f},
    [GM_STARCODER2] = {"starcoder2", GM_QKV_BIAS | GM_NO_GATE | GM_LAYER_NORM | GM_BIASES, true, 2,
                       0, 0, 10000.0f, 1e-5f},
    [GM_STABLELM] = {"stablelm", GM_QKV_BIAS | GM_LAYER_NORM | GM_NEVER_TIED, false, 2, 0, 0,
                     10000.0f, 1e-5f},
    [GM_LFM2] = {"lfm2", GM_CONV_LAYERS, true, 2, 0, 0, 1000000.0f, 1e-5f},
};

const gm_arch_info *gm_arch_get(gm_arch a) {
  return a < GM_ARCH_COUNT ? &arch_table[a] : NULL;
}

const char *gm_arch_name(gm_arch a) {
  return a < GM_ARCH_COUNT ? arch_table[a].name : "?";
}

bool gm_arch_parse(const char *s, gm_arch *out) {
  for (int a = 0; a < GM_ARCH_COUNT; a++)
    if (strcmp(s, arch_table[a].name) == 0) {
      *out = (gm_arch)a;
      return true;
    }
  return false;
}

const char *gm_arch_names(void) {
  static char names[256];
  if (!names[0])
    for (int a = 0; a < GM_ARCH_COUNT; a++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", a ? ", " : "",
               arch_table[a].name);
  return names;
}

void gm_params_defaults(gm_params *p, gm_arch arch) {
  const gm_arch_info *ai = gm_arch_get(arch);
  memset(p, 0, sizeof *p);
  p->arch = arch;
  p->type = GGML_F32;
  p->embd_type = GGML_F32;
  p->n_layer = 2;
  p->n_embd = 256;
  p->n_head = 4;
  p->n_head_kv = ai->n_head_kv;
  p->head_dim = 64;
  p->n_ff = 512;
  p->n_vocab = 4096;
  p->n_ctx = 2048;
  p->rope_base = ai->rope_base;
  p->rope_base_swa = 10000.0f;
  p->eps = ai->eps;
  p->tied = ai->tied;
  p->n_swa = ai->n_swa;
  p->swa_pattern = ai->swa_pattern;
  if (ai->flags & GM_SOFTCAPS) { /* llama.cpp's defaults for gemma2 */
    p->softcap = 30.0f;
    p->attn_softcap = 50.0f;
  }
  if (ai->flags & GM_SCALES)
    p->logit_scale = 1.0f; /* required by the loader */
  p->seed = 42;
}

typedef struct preset {
  const char *name;
  gm_arch arch;
  uint32_t embd_type; /* 0 (f32): follows the weight type */
  uint32_t type, n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx;
  uint32_t n_swa, swa_pattern;
  bool tied;
  float rope_base, rope_base_swa, eps;
} preset;

/* archspec section 2.6. */
static const preset presets[] = {
    {"functiongemma-270m", GM_GEMMA3, GGML_Q8_0, GGML_Q8_0, 18, 640, 4, 1, 256, 2048, 262144, 32768,
     512, 6, true, 1e6f, 1e4f, 1e-6f},
    {"smollm-135m", GM_LLAMA, 0, GGML_Q8_0, 30, 576, 9, 3, 64, 1536, 49152, 2048, 0, 0, true, 1e4f,
     1e4f, 1e-5f},
    {"qwen2.5-0.5b", GM_QWEN2, 0, GGML_Q8_0, 24, 896, 14, 2, 64, 4864, 151936, 32768, 0, 0, true,
     1e6f, 1e4f, 1e-6f},
    {"qwen3-0.6b", GM_QWEN3, 0, GGML_Q8_0, 28, 1024, 16, 8, 128, 3072, 151936, 40960, 0, 0, true,
     1e6f, 1e4f, 1e-6f},
    {"stories15m", GM_LLAMA, 0, GGML_F32, 6, 288, 6, 6, 48, 768, 32000, 256, 0, 0, false, 1e4f,
     1e4f, 1e-5f},
};

bool gm_preset_apply(const char *name, gm_params *p) {
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    const preset *s = &presets[i];
    if (strcmp(name, s->name) != 0)
      continue;
    gm_params_defaults(p, s->arch);
    p->type = s->type;
    p->embd_pinned = s->embd_type != GGML_F32;
    p->embd_type = p->embd_pinned ? s->embd_type : s->type;
    p->n_layer = s->n_layer;
    p->n_embd = s->n_embd;
    p->n_head = s->n_head;
    p->n_head_kv = s->n_head_kv;
    p->head_dim = s->head_dim;
    p->n_ff = s->n_ff;
    p->n_vocab = s->n_vocab;
    p->n_ctx = s->n_ctx;
    p->n_swa = s->n_swa;
    p->swa_pattern = s->swa_pattern;
    p->tied = s->tied;
    p->rope_base = s->rope_base;
    p->rope_base_swa = s->rope_base_swa;
    p->eps = s->eps;
    p->name = s->name;
    return true;
  }
  return false;
}

const char *gm_preset_names(void) {
  return "functiongemma-270m, smollm-135m, qwen2.5-0.5b, qwen3-0.6b, stories15m";
}

bool gm_params_check(const gm_params *p, char *err, size_t errlen) {
  const gm_arch_info *ai = gm_arch_get(p->arch);
  const char *arch = ai->name;
  if (!p->n_layer || !p->n_embd || !p->n_head || !p->n_head_kv || !p->head_dim || !p->n_ff ||
      !p->n_vocab || !p->n_ctx) {
    snprintf(err, errlen, "every dimension must be at least 1");
    return false;
  }
  if (p->n_head % p->n_head_kv != 0) {
    snprintf(err, errlen, "--heads %u is not a multiple of --kv-heads %u", p->n_head, p->n_head_kv);
    return false;
  }
  if (p->head_dim % 2 != 0 || p->n_rot % 2 != 0 || p->n_rot > p->head_dim) {
    snprintf(err, errlen,
             "--head-dim %u and --rot %u must be even, --rot at most the head size "
             "(RoPE rotates pairs)",
             p->head_dim, p->n_rot);
    return false;
  }
  /* loaders that size attn_q / attn_output by n_embd */
  const unsigned square = GM_FUSED_QKV | GM_LAYER_NORM | GM_QK_NORM_FULL | GM_CONV_LAYERS;
  if ((p->arch == GM_QWEN2 || (ai->flags & square)) &&
      (uint64_t)p->n_head * p->head_dim != p->n_embd) {
    snprintf(err, errlen, "%s needs heads x head_dim = embd (%u x %u != %u)", arch, p->n_head,
             p->head_dim, p->n_embd);
    return false;
  }
  if ((uint64_t)p->n_head * p->head_dim > (1u << 24) || p->n_embd > (1u << 24) ||
      p->n_ff > (1u << 24) || p->n_vocab > (1u << 24) || p->n_layer > 4096) {
    snprintf(err, errlen, "%s: shape too large for a generated model", arch);
    return false;
  }
  if (!(ai->flags & GM_SWA) && (p->n_swa || p->swa_pattern || p->rope_base_swa != 10000.0f)) {
    snprintf(err, errlen,
             "--window, --swa-pattern and --rope-base-swa apply to gemma2, gemma3 "
             "and olmo2 only, not %s",
             arch);
    return false;
  }
  if ((p->softcap != 0 && !(ai->flags & (GM_SOFTCAPS | GM_FINAL_SOFTCAP))) ||
      (p->attn_softcap != 0 && !(ai->flags & GM_SOFTCAPS))) {
    snprintf(err, errlen,
             "--softcap applies to gemma2 and gemma3, --attn-softcap to gemma2, "
             "not %s",
             arch);
    return false;
  }
  if (!(ai->flags & GM_SCALES) &&
      (p->embd_scale != 0 || p->resid_scale != 0 || p->attn_scale != 0 || p->logit_scale != 0)) {
    snprintf(err, errlen, "the --*-scale options apply to granite only, not %s", arch);
    return false;
  }
  if (p->rope_factors && !(ai->flags & GM_ROPE_FACTORS)) {
    snprintf(err, errlen, "--rope-factors applies to phi3 only, not %s", arch);
    return false;
  }
  if ((ai->flags & GM_ALWAYS_TIED && !p->tied) || (ai->flags & GM_NEVER_TIED && p->tied)) {
    snprintf(err, errlen, "llama.cpp loads %s %s an output.weight: %s does not apply", arch,
             p->tied ? "with" : "without", p->tied ? "--tied" : "--untied");
    return false;
  }
  if (!(p->eps > 0) || !(p->rope_base > 0) || !(p->rope_base_swa > 0) || !(p->softcap >= 0) ||
      !(p->attn_softcap >= 0) || ((ai->flags & GM_SCALES) && !(p->logit_scale > 0))) {
    snprintf(err, errlen,
             "--eps, --rope-base, --rope-base-swa and --logit-scale must be "
             "positive, --softcap and --attn-softcap >= 0");
    return false;
  }
  return true;
}

uint32_t gm_file_type(uint32_t type) {
  switch (type) {
  case GGML_F32:
    return 0;
  case GGML_F16:
    return 1;
  case GGML_Q4_0:
    return 2;
  case GGML_Q4_1:
    return 3;
  case GGML_Q8_0:
    return 7;
  case GGML_Q5_0:
    return 8;
  case GGML_Q5_1:
    return 9;
  case GGML_Q2_K:
    return 10;
  case GGML_Q3_K:
    return 11; /* Q3_K_S: every matrix q3_k */
  case GGML_Q4_K:
    return 14; /* Q4_K_S */
  case GGML_Q5_K:
    return 16; /* Q5_K_S */
  case GGML_Q6_K:
    return 18;
  case GGML_BF16:
    return 32;
  default:
    return 0;
  }
}

uint32_t gm_fallback_type(uint32_t type, uint64_t ne0) {
  for (;;) {
    uint32_t be, bb;
    if (!ggml_type_block(type, &be, &bb) || ne0 % be == 0)
      return type;
    switch (type) {
    case GGML_Q2_K:
    case GGML_Q3_K:
      type = GGML_Q4_0;
      break;
    case GGML_Q4_K:
      type = GGML_Q5_0;
      break;
    case GGML_Q5_K:
      type = GGML_Q5_1;
      break;
    case GGML_Q6_K:
      type = GGML_Q8_0;
      break;
    default:
      type = GGML_F16;
      break;
    }
  }
}

typedef struct plan {
  gm_tensor *t;
  size_t n, cap;
  bool oom;
} plan;

static void add(plan *pl, gm_role role, uint32_t type, uint64_t ne0, uint64_t ne1, const char *fmt,
                int layer) {
  if (pl->oom)
    return;
  if (pl->n == pl->cap) {
    size_t cap = pl->cap ? 2 * pl->cap : 64;
    gm_tensor *t = realloc(pl->t, cap * sizeof *t);
    if (!t) {
      pl->oom = true;
      return;
    }
    pl->t = t;
    pl->cap = cap;
  }
  gm_tensor *t = &pl->t[pl->n++];
  memset(t, 0, sizeof *t);
  snprintf(t->name, sizeof t->name, fmt, layer);
  t->n_dims = ne1 ? 2 : 1;
  t->ne[0] = ne0;
  t->ne[1] = ne1 ? ne1 : 1;
  t->role = role;
  t->type = role == GM_MATRIX ? gm_fallback_type(type, ne0) : GGML_F32; /* as llama-quantize */
}

gm_tensor *gm_tensor_plan(const gm_params *p, size_t *n) {
  plan pl = {0};
  const unsigned f = gm_arch_get(p->arch)->flags;
  const uint64_t D = p->n_embd, V = p->n_vocab, F = p->n_ff, hd = p->head_dim;
  const uint64_t Dq = p->n_head * hd, Dkv = p->n_head_kv * hd;
  const uint64_t n_rot = p->n_rot ? p->n_rot : hd;
  const bool layer_norm = f & GM_LAYER_NORM;
  add(&pl, GM_MATRIX, p->embd_type, D, V, "token_embd.weight", 0);
  if (p->rope_factors) { /* LongRoPE: one pair for every layer */
    add(&pl, GM_FACTORS, 0, n_rot / 2, 0, "rope_factors_long.weight", 0);
    add(&pl, GM_FACTORS, 0, n_rot / 2, 0, "rope_factors_short.weight", 0);
  }
  for (uint32_t il = 0; il < p->n_layer; il++) {
    int l = (int)il;
    if ((f & GM_CONV_LAYERS) && il % 2 == 0) { /* a short-convolution block */
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.attn_norm.weight", l);
      add(&pl, GM_TAPS, 0, GM_CONV_TAPS, D, "blk.%d.shortconv.conv.weight", l);
      add(&pl, GM_MATRIX, p->type, D, 3 * D, "blk.%d.shortconv.in_proj.weight", l);
      add(&pl, GM_MATRIX, p->type, D, D, "blk.%d.shortconv.out_proj.weight", l);
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.ffn_norm.weight", l);
      add(&pl, GM_MATRIX, p->type, D, F, "blk.%d.ffn_gate.weight", l);
      add(&pl, GM_MATRIX, p->type, D, F, "blk.%d.ffn_up.weight", l);
      add(&pl, GM_MATRIX, p->type, F, D, "blk.%d.ffn_down.weight", l);
      continue;
    }
    if (!(f & GM_NO_PRE_NORMS)) {
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.attn_norm.weight", l);
      if (layer_norm)
        add(&pl, GM_BIAS, 0, D, 0, "blk.%d.attn_norm.bias", l);
    }
    if (f & GM_FUSED_QKV) {
      add(&pl, GM_MATRIX, p->type, D, Dq + 2 * Dkv, "blk.%d.attn_qkv.weight", l);
    } else {
      add(&pl, GM_MATRIX, p->type, D, Dq, "blk.%d.attn_q.weight", l);
      add(&pl, GM_MATRIX, p->type, D, Dkv, "blk.%d.attn_k.weight", l);
      add(&pl, GM_MATRIX, p->type, D, Dkv, "blk.%d.attn_v.weight", l);
    }
    if (f & GM_QKV_BIAS) {
      add(&pl, GM_BIAS, 0, Dq, 0, "blk.%d.attn_q.bias", l);
      add(&pl, GM_BIAS, 0, Dkv, 0, "blk.%d.attn_k.bias", l);
      add(&pl, GM_BIAS, 0, Dkv, 0, "blk.%d.attn_v.bias", l);
    }
    if (f & (GM_QK_NORM_HEAD | GM_QK_NORM_FULL | GM_CONV_LAYERS)) {
      const bool full = f & GM_QK_NORM_FULL;
      add(&pl, GM_NORM, 0, full ? Dq : hd, 0, "blk.%d.attn_q_norm.weight", l);
      add(&pl, GM_NORM, 0, full ? Dkv : hd, 0, "blk.%d.attn_k_norm.weight", l);
    }
    add(&pl, GM_MATRIX, p->type, Dq, D, "blk.%d.attn_output.weight", l);
    if (f & GM_BIASES)
      add(&pl, GM_BIAS, 0, D, 0, "blk.%d.attn_output.bias", l);
    if (f & GM_POST_NORMS)
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.post_attention_norm.weight", l);
    if (!(f & GM_NO_PRE_NORMS)) {
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.ffn_norm.weight", l);
      if (layer_norm)
        add(&pl, GM_BIAS, 0, D, 0, "blk.%d.ffn_norm.bias", l);
    }
    if (!(f & (GM_FUSED_UP | GM_NO_GATE)))
      add(&pl, GM_MATRIX, p->type, D, F, "blk.%d.ffn_gate.weight", l);
    add(&pl, GM_MATRIX, p->type, D, f & GM_FUSED_UP ? 2 * F : F, "blk.%d.ffn_up.weight", l);
    if (f & GM_BIASES)
      add(&pl, GM_BIAS, 0, F, 0, "blk.%d.ffn_up.bias", l);
    add(&pl, GM_MATRIX, p->type, F, D, "blk.%d.ffn_down.weight", l);
    if (f & GM_BIASES)
      add(&pl, GM_BIAS, 0, D, 0, "blk.%d.ffn_down.bias", l);
    if (f & GM_POST_NORMS)
      add(&pl, GM_NORM, 0, D, 0, "blk.%d.post_ffw_norm.weight", l);
  }
  add(&pl, GM_NORM, 0, D, 0, f & GM_CONV_LAYERS ? "token_embd_norm.weight" : "output_norm.weight",
      0);
  if (layer_norm)
    add(&pl, GM_BIAS, 0, D, 0, "output_norm.bias", 0);
  if (!p->tied)
    add(&pl, GM_MATRIX, p->type, D, V, "output.weight", 0);
  if (pl.oom) {
    free(pl.t);
    *n = 0;
    return NULL;
  }
  *n = pl.n;
  return pl.t;
}
