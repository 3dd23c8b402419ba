/* gqcrt_model.h — the API of a compiled model, written once, in the runtime.
 *
 * gqc compiles a model into data (weights, vocabulary, the arena, attention
 * descriptors), its step functions (one token through every layer; a batch
 * of tokens, for prefill) and a constant descriptor, a gqcrt_model, that
 * points at all of them and at the model's decoder state. Everything the
 * API does beyond running a step — checking arguments and positions,
 * keeping the decoder state, tokenizing, checking blobs — is the runtime's
 * gqcrt_model_* functions below, the same for every model and both backends;
 * the model's own <name>_* functions (its header) are one-line wrappers
 * passing its descriptor. The lists behind this header:
 * gqcrt_model_layout.def (the two structs) and gqcrt_model_api.def (the
 * functions, with the documentation the generated header carries).
 *
 * A descriptor records the GQCRT_ABI_VERSION it was compiled for; an object
 * linked with a runtime of another version fails <name>_init with
 * GQCRT_ERR_ABI instead of misreading the descriptor.
 */
#ifndef GQCRT_MODEL_H
#define GQCRT_MODEL_H

#include <stdint.h>

#include "gqcrt.h"

#ifdef __cplusplus
extern "C" {
#endif

struct gqcrt_executor;

/* The decoder state: in the model's .bss, written by the API functions. */
typedef struct gqcrt_model_state {
#define GQCRT_STATE_FIELD(c_type, name) c_type name;
#include "gqcrt_model_layout.def"
#undef GQCRT_STATE_FIELD
} gqcrt_model_state;

/* The step functions a model compiles to. A prefill step feeds tokens[0..n)
 * at positions pos .. pos+n-1 (1 <= n <= batch) and computes their logits
 * (of the last token) only when `logits` is not 0: the steps before a
 * prompt's last only fill the KV cache. A decode step with `logits` 0
 * stops before the lm_head (when the descriptor has lm_head_kernel), so
 * the runtime can compute the rows of the tokens a grammar allows only. */
typedef void (*gqcrt_step_fn)(int32_t token, int32_t pos, int32_t logits);
typedef void (*gqcrt_prefill_step_fn)(const int32_t *tokens, int32_t pos, int32_t n,
                                      int32_t logits);

/* The descriptor: constant, one per model. */
typedef struct gqcrt_model {
#define GQCRT_MODEL_FIELD(c_type, name) c_type name;
#include "gqcrt_model_layout.def"
#undef GQCRT_MODEL_FIELD
} gqcrt_model;

/* The API (gqcrt_model_api.def): gqcrt_model_<name>(m, params...). */
#define GQCRT_API_REST(...) __VA_ARGS__
#define GQCRT_MODEL_API(ret, name, params, args, when, doc)                                       \
  ret gqcrt_model_##name(const gqcrt_model *m GQCRT_API_REST params);
#include "gqcrt_model_api.def"
#undef GQCRT_MODEL_API

#ifdef __cplusplus
}
#endif
#endif
