/* model_spec.h — what the generator builds: the hyper-parameters of a
 * model, the architectures it knows (one table row each: the tensors and
 * metadata keys that llama.cpp's loader reads for that family), the named
 * presets, and the list of tensors (names and shapes as llama.cpp expects
 * them, archspec section 3) with the encoding each one is stored in. */
#ifndef GQC_GENMODEL_MODEL_SPEC_H
#define GQC_GENMODEL_MODEL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gm_arch {
  GM_LLAMA,
  GM_GEMMA3,
  GM_QWEN2,
  GM_QWEN3,
  GM_GEMMA,
  GM_GEMMA2,
  GM_PHI3,
  GM_GRANITE,
  GM_SMOLLM3,
  GM_OLMO2,
  GM_STARCODER2,
  GM_STABLELM,
  GM_LFM2,
  GM_ARCH_COUNT
} gm_arch;

/* What an architecture's file holds beyond the llama layout (attn_norm,
 * attn_q/k/v/output, ffn_norm, ffn_gate/up/down, output_norm, output). */
enum {
  GM_QKV_BIAS = 1 << 0,        /* attn_{q,k,v}.bias */
  GM_QK_NORM_HEAD = 1 << 1,    /* attn_{q,k}_norm of head_dim (per head) */
  GM_QK_NORM_FULL = 1 << 2,    /* attn_q_norm [q_dim], attn_k_norm [kv_dim] */
  GM_POST_NORMS = 1 << 3,      /* post_attention_norm, post_ffw_norm */
  GM_NO_PRE_NORMS = 1 << 4,    /* no attn_norm, ffn_norm (olmo2: post-norms only) */
  GM_FUSED_QKV = 1 << 5,       /* attn_qkv [q_dim + 2 kv_dim] instead of q, k, v */
  GM_FUSED_UP = 1 << 6,        /* ffn_up [2 n_ff] (gate, then up), no ffn_gate */
  GM_NO_GATE = 1 << 7,         /* ffn_up and ffn_down only (a plain GELU MLP) */
  GM_LAYER_NORM = 1 << 8,      /* LayerNorm: every norm has a .bias, eps key layer_norm_epsilon */
  GM_BIASES = 1 << 9,          /* attn_output.bias, ffn_up.bias, ffn_down.bias */
  GM_SWA = 1 << 10,            /* sliding-window keys */
  GM_ALWAYS_TIED = 1 << 11,    /* the loader takes the output from token_embd: no output.weight */
  GM_NEVER_TIED = 1 << 12,     /* the loader requires output.weight */
  GM_GEMMA_VOCAB = 1 << 13,    /* gemma's special tokens */
  GM_SCALES = 1 << 14,         /* embedding/residual/attention/logit scale keys (granite) */
  GM_SOFTCAPS = 1 << 15,       /* attn_logit_softcapping and final_logit_softcapping keys */
  GM_FINAL_SOFTCAP = 1 << 16,  /* final_logit_softcapping when --softcap is given (gemma3) */
  GM_ROPE_FACTORS = 1 << 17,   /* LongRoPE rope_factors_long/short when --rope-factors */
  GM_VOCAB_SIZE_KEY = 1 << 18, /* {arch}.vocab_size; key_length only when needed */
  /* even layers are short-convolution blocks (shortconv.conv [L, D] f32,
   * in_proj [3 D], out_proj) instead of attention, head_count_kv is per
   * layer (0 for them), the attention layers have per-head q/k norms and
   * the output norm is token_embd_norm (lfm2) */
  GM_CONV_LAYERS = 1 << 19,
};

/* Taps of the generated short convolutions (shortconv.l_cache). */
#define GM_CONV_TAPS 3

typedef struct gm_arch_info {
  const char *name; /* general.architecture */
  unsigned flags;   /* GM_* above */
  bool tied;        /* the default for --tied / --untied */
  uint32_t n_head_kv, n_swa, swa_pattern;
  float rope_base, eps;
} gm_arch_info;

const gm_arch_info *gm_arch_get(gm_arch a);
const char *gm_arch_name(gm_arch a);
bool gm_arch_parse(const char *s, gm_arch *out);
/* "llama, gemma3, ...", for messages. */
const char *gm_arch_names(void);

typedef struct gm_params {
  gm_arch arch;
  uint32_t type;      /* ggml type of the weight matrices */
  uint32_t embd_type; /* ggml type of token_embd.weight */
  bool embd_pinned;   /* a preset fixes embd_type (else it follows type) */
  uint32_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx;
  uint32_t n_rot;              /* rope.dimension_count; 0: head_dim */
  uint32_t n_swa, swa_pattern; /* sliding window (gemma2/3) */
  bool tied, rope_factors;
  float rope_base, rope_base_swa, eps, softcap, attn_softcap;
  /* granite's multipliers (0: key not written) */
  float embd_scale, resid_scale, attn_scale, logit_scale;
  uint64_t seed;
  const char *name; /* general.name */
} gm_params;

/* Tensor roles: how its values are drawn. */
typedef enum gm_role { GM_MATRIX, GM_NORM, GM_BIAS, GM_FACTORS, GM_TAPS } gm_role;

typedef struct gm_tensor {
  char name[64];
  uint32_t n_dims;
  uint64_t ne[2];
  uint32_t type;
  gm_role role;
} gm_tensor;

/* Fills p with the architecture's defaults (a small model). */
void gm_params_defaults(gm_params *p, gm_arch arch);
/* Applies a named preset (architecture and shape); false if unknown. */
bool gm_preset_apply(const char *name, gm_params *p);
/* Comma-separated preset names, for the usage text. */
const char *gm_preset_names(void);

/* Checks the shape; false with a message if it cannot make a valid model. */
bool gm_params_check(const gm_params *p, char *err, size_t errlen);

/* llama.cpp's general.file_type (llama_ftype) for a weight type. */
uint32_t gm_file_type(uint32_t type);

/* The type a matrix with this ne[0] is stored in when `type`'s block does
 * not divide it (llama-quantize's fallbacks; q2_k/q3_k -> q4_0, whose own
 * fallback, like every 32-block type's, is f16). */
uint32_t gm_fallback_type(uint32_t type, uint64_t ne0);

/* The tensor list, in file order. *n receives the count; free() the array. */
gm_tensor *gm_tensor_plan(const gm_params *p, size_t *n);

#endif
