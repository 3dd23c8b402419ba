/* arena_plan.c — which values take arena blocks, how long they live, and
 * the plan plan-memory made of them (see arena_plan.h). */
#include "passes/arena_plan.h"

#include <stdlib.h>

#include "gqcrt_parallel.h" /* GQCRT_ATTENTION_SCRATCH_FLOATS */

/* A view: a value that is part of another's block (last_row of a batch, a
 * slice of a vector); a slice of a batch's rows is a copy. */
static bool is_view(const ir_inst *i) {
  return i->op == IR_OP_LAST_ROW || (i->op == IR_OP_SLICE && i->type.rank == 1);
}

bool gqc_arena_needs_block(const ir_inst *i) {
  return i->has_result && i->op != IR_OP_WEIGHT && i->op != IR_OP_CACHE &&
         i->op != IR_OP_TRANSPOSE && i->op != IR_OP_PARAM && !is_view(i);
}

const ir_inst *gqc_arena_storage_of(const ir_inst *v) {
  while (is_view(v))
    v = v->operands[0];
  return v;
}

int64_t gqc_arena_block_bytes(const ir_inst *i) {
  int64_t bytes = ir_type_bytes(&i->type);
  return bytes < 0 ? -1 : gqc_arena_align_up(bytes);
}

int64_t gqc_arena_scratch_bytes(const ir_inst *attention) {
  const ir_inst *kc = attention->operands[3];
  return gqc_arena_align_up(GQCRT_ATTENTION_SCRATCH_FLOATS(kc->type.dims[0]) *
                            (int64_t)sizeof(float));
}

int *gqc_arena_last_uses(const ir_func *f) {
  int n = 0;
  ir_for_each_inst(f, i) i->id = n++;
  int *last = calloc((size_t)n + 1, sizeof *last);
  if (!last)
    return NULL;
  ir_for_each_inst(f, i) {
    last[i->id] = i->id;
    for (int k = 0; k < i->n_operands; k++) {
      const ir_inst *o = gqc_arena_storage_of(i->operands[k]);
      if (o->op != IR_OP_PARAM)
        last[o->id] = i->id;
    }
  }
  return last;
}

gqc_arena_buffer *gqc_arena_buffers(const ir_module *m, int *n) {
  *n = 0;
  if (m->arena_bytes < 0)
    return NULL;
  size_t cap = (size_t)m->n_caches;
  for (int k = 0; k < m->n_funcs; k++)
    cap += 2 * (size_t)ir_func_length(m->funcs[k]); /* a value and a scratch each, at most */
  gqc_arena_buffer *b = malloc((cap + 1) * sizeof *b);
  if (!b)
    return NULL;
  for (int c = 0; c < m->n_caches; c++)
    b[(*n)++] = (gqc_arena_buffer){GQC_ARENA_CACHE,
                                   -1,
                                   c,
                                   NULL,
                                   m->caches[c].offset,
                                   gqc_arena_align_up(ir_type_bytes(&m->caches[c].type)),
                                   0,
                                   0};
  for (int k = 0; k < m->n_funcs; k++) {
    const ir_func *f = m->funcs[k];
    int *last = gqc_arena_last_uses(f);
    if (!last) {
      free(b);
      *n = 0;
      return NULL;
    }
    ir_for_each_inst(f, i) {
      if (gqc_arena_needs_block(i) && i->offset >= 0)
        b[(*n)++] = (gqc_arena_buffer){GQC_ARENA_VALUE,          k,     -1,         i, i->offset,
                                       gqc_arena_block_bytes(i), i->id, last[i->id]};
      if (i->op == IR_OP_ATTENTION && ir_attr_get(i, "scores"))
        b[(*n)++] = (gqc_arena_buffer){
            GQC_ARENA_SCRATCH,          k,     -1,   i, ir_attr_int(i, "scores", 0),
            gqc_arena_scratch_bytes(i), i->id, i->id};
    }
    free(last);
  }
  return b;
}
