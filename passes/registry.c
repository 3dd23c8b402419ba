/* registry.c — the passes by name (passes.def), for --print-after and `gqc opt`. */
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
