/* pipeline.c — gqc's pass pipeline.
 *
 * The pipeline is deliberately a literal list (gqc_run_pipeline): reading it
 * tells you what the compiler does, in order. Between any two passes the
 * verifier runs, so a pass that breaks an invariant is named at once; after
 * any pass the IR can be printed (--print-after=NAME, --print-after-all).
 */
#include "driver/pipeline.h"

#include <string.h>

typedef struct pipeline {
  ir_module *m;
  gqc_pass_context ctx;
  const gqc_pipeline_options *o;
} pipeline;

static bool wants_print(const gqc_pipeline_options *o, const char *name) {
  if (o->print_after_all)
    return true;
  if (!o->print_after)
    return false;
  size_t len = strlen(name);
  for (const char *p = o->print_after; *p;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    if (l == len && !strncmp(p, name, len))
      return true;
    p = comma ? comma + 1 : p + l;
  }
  return false;
}

static bool after(pipeline *p, const char *name) {
  char stage[96];
  snprintf(stage, sizeof stage, "after %s", name);
  if (!ir_verify(p->m, stage, p->ctx.d))
    return false;
  if (wants_print(p->o, name)) {
    FILE *out = p->o->print_to ? p->o->print_to : stderr;
    fprintf(out, "# IR after %s\n", name);
    ir_print_module(out, p->m);
  }
  return true;
}

static bool run(pipeline *p, const char *name) {
  const gqc_pass_info *pi = gqc_pass_find(name);
  if (!pi)
    return gqc_error(p->ctx.d, "unknown pass '%s'", name);
  return pi->run(p->m, &p->ctx) && after(p, name);
}

bool gqc_pipeline_check_options(const gqc_pipeline_options *o, gqc_diag *d) {
  for (const char *p = o->print_after ? o->print_after : ""; *p;) {
    const char *comma = strchr(p, ',');
    size_t l = comma ? (size_t)(comma - p) : strlen(p);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(l < 63 ? l : 63), p);
    if (strcmp(name, "frontend") && !gqc_pass_find(name)) {
      char list[512] = "frontend";
      for (const gqc_pass_info *pi = gqc_passes; pi->name; pi++)
        snprintf(list + strlen(list), sizeof list - strlen(list), ", %s", pi->name);
      return gqc_error(d, "--print-after: unknown pass '%s' (passes: %s)", name, list);
    }
    p = comma ? comma + 1 : p + l;
  }
  return true;
}

bool gqc_run_pipeline(ir_module *m, const gqc_target *t, const gqc_pipeline_options *o,
                      gqc_diag *d) {
  pipeline p = {m, {t, d}, o};
  return after(&p, "frontend")            /* verify what the frontend built */
         && run(&p, "fold-transpose")     /* matmul(x, transpose(W)) -> linear(x, W) */
         && run(&p, "hoist-last-row")     /* @prefill: only the last row where only it counts */
         && run(&p, "share-tied-weights") /* one storage per distinct tensor */
         && run(&p, "select-kernels")     /* kernels + shared activation quantisation */
         && run(&p, "repack-weights")     /* weights in the packed kernels' layouts */
         && run(&p, "defer-logits")       /* @prefill: the logits' own work last */
         && run(&p, "plan-memory");       /* the static arena and the weight blob */
}

bool gqc_run_passes(ir_module *m, const char *passes, const gqc_target *t,
                    const gqc_pipeline_options *o, gqc_diag *d) {
  pipeline p = {m, {t, d}, o};
  if (!after(&p, "input"))
    return false;
  for (const char *s = passes ? passes : ""; *s;) {
    const char *comma = strchr(s, ',');
    size_t l = comma ? (size_t)(comma - s) : strlen(s);
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(l < 63 ? l : 63), s);
    if (l && !run(&p, name))
      return false;
    s = comma ? comma + 1 : s + l;
  }
  return true;
}
