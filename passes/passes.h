/* passes.h — the IR-to-IR passes and their registry.
 *
 * Each pass lives in its own file and has one entry point taking the module
 * and a context (target, diagnostics, options). A pass returns false after
 * reporting an error into ctx->d. The driver's pipeline (driver/pipeline.c)
 * calls them in a literal list with the verifier between them; the registry
 * below gives them names for --print-after=NAME and `gqc opt --passes=`.
 */
#ifndef GQC_PASSES_H
#define GQC_PASSES_H

#include "ir/ir.h"
#include "ir/target.h"

typedef struct gqc_pass_context {
  const gqc_target *target;
  gqc_diag *d;
} gqc_pass_context;

typedef bool (*gqc_pass_fn)(ir_module *m, const gqc_pass_context *ctx);

/* matmul(x, transpose(W)) on a weight W becomes linear(x, W) with W marked
 * pretransposed; no transpose of a weight survives. */
bool pass_fold_transpose(ir_module *m, const gqc_pass_context *ctx);
/* In row-batched functions, last_row (the last token's row) moves before
 * every row-wise op whose result only it reads, so those ops (the final
 * norm, the lm_head, ...) run on one row: a GEMV instead of a GEMM. */
bool pass_hoist_last_row(ir_module *m, const gqc_pass_context *ctx);
/* Weights with the same bytes (the tied embedding and lm_head) become one. */
bool pass_share_tied_weights(ir_module *m, const gqc_pass_context *ctx);
/* Picks each linear's kernel for its encoding and the target, inserting one
 * activation conversion per (activation, encoding), shared by all readers. */
bool pass_select_kernels(ir_module *m, const gqc_pass_context *ctx);
/* Weights whose linears all have a packed kernel variant for the target
 * (gqcrt_packed_kernels.def) are repacked into that kernel's layout at
 * compile time; their storage names the layout and the linears get the
 * packed kernel. A tied embedding table is packed too: its embeds switch to
 * the packed row reader gqcrt_embed_<enc>_<packing>. */
bool pass_repack_weights(ir_module *m, const gqc_pass_context *ctx);
/* In row-batched functions, everything no KV-cache write needs (the logits'
 * own work) moves to the end, so a prefill step that is not the prompt's
 * last can stop before it (codegen's n_state_calls). */
bool pass_defer_logits(ir_module *m, const gqc_pass_context *ctx);
/* Liveness-based offsets for every activation and the KV cache in one
 * static arena; offsets of the weights in the weight blob. */
bool pass_plan_memory(ir_module *m, const gqc_pass_context *ctx);

/* A compiled prompt prefix (gqc --prefix): for every KV cache c of the
 * module, the rows of positions 0 .. n_prefix - 1, row p at rows[c] + p *
 * row_bytes[c] (only rows from first_available[c] on are meaningful: a
 * ring keeps the last ones). */
typedef struct gqc_prefix {
  int64_t n_prefix;
  int n_caches;
  const unsigned char *const *rows;
  const int64_t *row_bytes;
  const int64_t *first_available;
} gqc_prefix;
/* Not a pipeline pass (it needs the rows the driver computed, driver/prefix.c):
 * after plan-memory, appends each cache's prefix rows to the weight blob as a
 * weight (the bytes stay the caller's until the outputs are written) and
 * gives every attention op their place (passes/attach_prefix.c). */
bool gqc_attach_prefix(ir_module *m, const gqc_prefix *p, gqc_diag *d);

typedef struct gqc_pass_info {
  const char *name;
  gqc_pass_fn run;
  const char *summary;
} gqc_pass_info;

/* The registry, NULL-terminated, in pipeline order. */
extern const gqc_pass_info gqc_passes[];
const gqc_pass_info *gqc_pass_find(const char *name);

#endif
