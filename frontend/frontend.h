/* frontend.h — from a GGUF file and an architecture description to the IR.
 *
 * gqc_frontend_load() picks the description (the built-in one named by the
 * file's general.architecture, or opts->arch_file), parses it, evaluates its
 * hyperparameters against the GGUF metadata, binds and shape-checks its
 * weights against the GGUF tensors, and unrolls its decode graph into an
 * ir_module whose weights point into the (still mapped) gguf_file: the
 * function @decode, and with opts->batch the same graph once more on
 * batches of rows, @prefill.
 */
#ifndef GQC_FRONTEND_H
#define GQC_FRONTEND_H

#include "frontend/gguf.h"
#include "ir/ir.h"

typedef struct gqc_frontend_options {
  const char *arch_file;   /* NULL: built-in description for general.architecture */
  const char *module_name; /* IR module name (the --name prefix), e.g. "model" */
  int64_t n_ctx;           /* compiled context length; 0 = min(model's context_length, 2048) */
  ir_dtype kv_type;        /* IR_F32 (default, llama.cpp parity) or IR_F16 */
  int64_t batch;           /* > 0: also @prefill, for up to min(batch, n_ctx) tokens per
                            * step (the decode graph lowered on rows); 0: @decode only */
} gqc_frontend_options;

/* Returns NULL and fills d on any error. The module references f's mapping
 * (and its open file, the module's weight_file): keep f open while the
 * module is used. Module metadata always set:
 *   arch (str), n_vocab, n_ctx, n_layer, n_embd (int). */
ir_module *gqc_frontend_load(const gguf_file *f, const gqc_frontend_options *opts, gqc_diag *d);

/* Built-in descriptions (generated from frontend/archs/<name>.arch). */
const char *gqc_builtin_arch_text(const char *name); /* NULL when unknown */
/* Comma-separated list of built-in names, for messages. */
const char *gqc_builtin_arch_names(void);

#endif
