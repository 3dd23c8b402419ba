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

/* A pass that works on one function at a time, run on each function of m
 * in order; false at the first that fails. */
typedef bool (*gqc_func_pass_fn)(ir_module *m, ir_func *f, const gqc_pass_context *ctx);
bool gqc_pass_each_func(ir_module *m, const gqc_pass_context *ctx, gqc_func_pass_fn fn);

/* The passes (passes.def): bool pass_<fn>(ir_module *, const gqc_pass_context *)
 * and their ids GQC_PASS_<fn>, in pipeline order. */
#define GQC_PASS(fn, name, summary) bool pass_##fn(ir_module *m, const gqc_pass_context *ctx);
#include "passes/passes.def"
#undef GQC_PASS

typedef enum gqc_pass_id {
#define GQC_PASS(fn, name, summary) GQC_PASS_##fn,
#include "passes/passes.def"
#undef GQC_PASS
  GQC_PASS_COUNT
} gqc_pass_id;

/* The packing a weight's storage names ("q8_0_r4"): its function and rows
 * per group, for a module read back from IR text. False if none. */
bool gqc_repack_for_storage(const char *storage, ir_repack_fn *fn, int *rows);

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

/* The registry, NULL-terminated, in pipeline order (indexed by gqc_pass_id). */
extern const gqc_pass_info gqc_passes[];
const gqc_pass_info *gqc_pass_find(const char *name);

#endif
