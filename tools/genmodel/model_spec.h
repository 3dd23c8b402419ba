/* model_spec.h — what the generator builds: the hyper-parameters of a
 * llama / gemma3 / qwen2 / qwen3 model, the named presets, and the list of
 * tensors (names and shapes as llama.cpp expects them, archspec section 3)
 * with the encoding each one is stored in. */
#ifndef GQC_GENMODEL_MODEL_SPEC_H
#define GQC_GENMODEL_MODEL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gm_arch { GM_LLAMA, GM_GEMMA3, GM_QWEN2, GM_QWEN3, GM_ARCH_COUNT } gm_arch;

typedef struct gm_params {
  gm_arch arch;
  uint32_t type;      /* ggml type of the weight matrices */
  uint32_t embd_type; /* ggml type of token_embd.weight */
  bool embd_pinned;   /* a preset fixes embd_type (else it follows type) */
  uint32_t n_layer, n_embd, n_head, n_head_kv, head_dim, n_ff, n_vocab, n_ctx;
  uint32_t n_swa, swa_pattern; /* gemma3 */
  bool tied;
  float rope_base, rope_base_swa, eps, softcap;
  uint64_t seed;
  const char *name; /* general.name */
} gm_params;

/* Tensor roles: how its values are drawn. */
typedef enum gm_role { GM_MATRIX, GM_NORM, GM_BIAS } gm_role;

typedef struct gm_tensor {
  char name[64];
  uint32_t n_dims;
  uint64_t ne[2];
  uint32_t type;
  gm_role role;
} gm_tensor;

const char *gm_arch_name(gm_arch a);
bool gm_arch_parse(const char *s, gm_arch *out);

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
