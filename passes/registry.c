/* registry.c — names of the passes, for --print-after and `gqc opt`. */
#include "passes/passes.h"

#include <string.h>

const gqc_pass_info gqc_passes[] = {
    {"fold-transpose", pass_fold_transpose,
     "matmul(x, transpose(W)) -> linear(x, W pretransposed)"},
    {"hoist-last-row", pass_hoist_last_row,
     "the last token's row selected before row-wise ops (lm_head as a GEMV)"},
    {"share-tied-weights", pass_share_tied_weights, "one storage for weights with the same bytes"},
    {"select-kernels", pass_select_kernels,
     "kernel per weight encoding; shared activation quantisation"},
    {"repack-weights", pass_repack_weights, "weights in packed kernels' layouts, at compile time"},
    {"defer-logits", pass_defer_logits,
     "@prefill: the logits' own work last, skipped by all steps but the final one"},
    {"plan-memory", pass_plan_memory, "static arena offsets for activations and the KV cache"},
    {NULL, NULL, NULL},
};

const gqc_pass_info *gqc_pass_find(const char *name) {
  for (const gqc_pass_info *p = gqc_passes; p->name; p++)
    if (!strcmp(p->name, name))
      return p;
  return NULL;
}
