/* registry.c — the passes by name (passes.def), for --print-after and `gqc opt`,
 * and running a per-function pass over a module. */
#include "passes/passes.h"

#include <string.h>

const gqc_pass_info gqc_passes[] = {
#define GQC_PASS(fn, name, summary) [GQC_PASS_##fn] = {name, pass_##fn, summary},
#include "passes/passes.def"
#undef GQC_PASS
    [GQC_PASS_COUNT] = {NULL, NULL, NULL},
};

const gqc_pass_info *gqc_pass_find(const char *name) {
  for (const gqc_pass_info *p = gqc_passes; p->name; p++)
    if (!strcmp(p->name, name))
      return p;
  return NULL;
}

bool gqc_pass_each_func(ir_module *m, const gqc_pass_context *ctx, gqc_func_pass_fn fn) {
  for (int k = 0; k < m->n_funcs; k++)
    if (!fn(m, m->funcs[k], ctx))
      return false;
  return true;
}
