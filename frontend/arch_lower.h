/* arch_lower.h — running a parsed, checked architecture description against
 * a GGUF file to produce the IR module (the heart of gqc_frontend_load). */
#ifndef GQC_ARCH_LOWER_H
#define GQC_ARCH_LOWER_H

#include "frontend/arch_ast.h"
#include "frontend/frontend.h"

/* Evaluates the description's hparams, lets and asserts in order, runs
 * `graph decode` (unrolling loops, binding weights on use, creating the KV
 * caches), sets the module metadata (arch, n_vocab, n_ctx, n_layer, n_embd
 * and every `meta`), and verifies the result. Returns NULL and fills d on any
 * error. The module points into f's mapping. */
ir_module *arch_lower(const arch_program *p, const gguf_file *f, const gqc_frontend_options *opts,
                      gqc_diag *d);

/* Parse + check + lower, for callers holding the description text. */
ir_module *arch_compile(const char *text, size_t len, const char *file, const gguf_file *f,
                        const gqc_frontend_options *opts, gqc_diag *d);

#endif
