/* pipeline.c — gqc's pass pipeline.
 *
 * The pipeline is deliberately a literal list (gqc_run_pipeline): reading it
 * tells you what the compiler does, in order. Between any two passes the
 * verifier runs, so a pass that breaks an invariant is named at once; after
 * any pass the IR can be printed (--print-after=NAME, --print-after-all) or
 * drawn (--graph FILE --graph-after=NAME); at the end, the graph (without
 * --graph-after) and the arena plan (--memory-map) are drawn. The passes and
 * their names are passes/passes.def.
 */
#include "driver/pipeline.h"

#include <string.h>

#include "driver/pictures.h"

typedef struct pipeline {
  ir_module *m;
  gqc_pass_context ctx;
  const gqc_pipeline_options *o;
} pipeline;

/* Walks a comma-separated list of names ("a,b,,c"): each call copies the
 * next name (truncated to size - 1 bytes) into name and advances *list;
 * false at the end. Empty names are returned as "". */
static bool next_name(const char **list, char *name, size_t size) {
  const char *p = *list;
  if (!p || !*p)
    return false;
  const char *comma = strchr(p, ',');
  size_t l = comma ? (size_t)(comma - p) : strlen(p);
  snprintf(name, size, "%.*s", (int)(l < size - 1 ? l : size - 1), p);
  *list = comma ? comma + 1 : p + l;
  return true;
}

/* Whether the comma-separated list names `name`. */
static bool listed(const char *list, const char *name) {
  char n[64];
  for (const char *p = list; next_name(&p, n, sizeof n);)
    if (!strcmp(n, name))
      return true;
  return false;
}

static bool wants_print(const gqc_pipeline_options *o, const char *name) {
  return o->print_after_all || listed(o->print_after, name);
}

static bool draw_graph(pipeline *p, const char *name) {
  char stage[96];
  snprintf(stage, sizeof stage, "after %s", name);
  return gqc_write_graph(p->m, stage, p->o->graph, p->ctx.d);
}

/* The pictures drawn once the last pass (`name`) has run. */
static bool finish(pipeline *p, const char *name) {
  if (p->o->graph && !p->o->graph_after && !draw_graph(p, name))
    return false;
  return !p->o->memory_map || gqc_write_memory_map(p->m, p->o->memory_map, p->ctx.d);
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
  if (p->o->graph && listed(p->o->graph_after, name) && !draw_graph(p, name))
    return false;
  return true;
}

static bool run(pipeline *p, const gqc_pass_info *pi) {
  return pi->run(p->m, &p->ctx) && after(p, pi->name);
}

/* Every name in `list` (of option `opt`) is a pass or "frontend". */
static bool check_pass_list(const char *opt, const char *list, gqc_diag *d) {
  char name[64];
  for (const char *p = list; next_name(&p, name, sizeof name);)
    if (strcmp(name, "frontend") && !gqc_pass_find(name)) {
      char passes[512] = "frontend";
      for (const gqc_pass_info *pi = gqc_passes; pi->name; pi++)
        snprintf(passes + strlen(passes), sizeof passes - strlen(passes), ", %s", pi->name);
      return gqc_error(d, "%s: unknown pass '%s' (passes: %s)", opt, name, passes);
    }
  return true;
}

bool gqc_pipeline_check_options(const gqc_pipeline_options *o, gqc_diag *d) {
  if (o->graph_after && !o->graph)
    return gqc_error(d, "--graph-after needs --graph FILE.dot|.svg");
  return check_pass_list("--print-after", o->print_after, d) &&
         check_pass_list("--graph-after", o->graph_after, d);
}

#define PASS(fn) (&gqc_passes[GQC_PASS_##fn])

bool gqc_run_pipeline(ir_module *m, const gqc_target *t, const gqc_pipeline_options *o,
                      gqc_diag *d) {
  pipeline p = {m, {t, d}, o};
  return after(&p, "frontend")                /* verify what the frontend built */
         && run(&p, PASS(fold_transpose))     /* matmul(x, transpose(W)) -> linear(x, W) */
         && run(&p, PASS(hoist_last_row))     /* @prefill: only the last row where only it counts */
         && run(&p, PASS(share_tied_weights)) /* one storage per distinct tensor */
         && run(&p, PASS(select_kernels))     /* kernels + shared activation quantisation */
         && run(&p, PASS(repack_weights))     /* weights in the packed kernels' layouts */
         && run(&p, PASS(defer_logits))       /* @prefill: the logits' own work last */
         && run(&p, PASS(plan_memory))        /* the static arena and the weight blob */
         && finish(&p, PASS(plan_memory)->name);
}

bool gqc_run_passes(ir_module *m, const char *passes, const gqc_target *t,
                    const gqc_pipeline_options *o, gqc_diag *d) {
  pipeline p = {m, {t, d}, o};
  if (!after(&p, "input"))
    return false;
  const char *last = "input";
  char name[64];
  for (const char *s = passes; next_name(&s, name, sizeof name);) {
    if (!*name)
      continue;
    const gqc_pass_info *pi = gqc_pass_find(name);
    if (!pi)
      return gqc_error(d, "unknown pass '%s'", name);
    if (!run(&p, pi))
      return false;
    last = pi->name;
  }
  return finish(&p, last);
}
