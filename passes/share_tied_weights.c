/* share_tied_weights.c — one storage for weights that are the same bytes.
 *
 * A tied model (no output.weight) uses token_embd.weight twice: as the
 * embedding table (rowmajor, one row dequantised per token) and as the
 * lm_head (pretransposed, the packed linear kernel). The frontend already
 * refers to one module weight from both uses; this pass also catches weights
 * that were declared twice but point at the same bytes of the same tensor
 * (e.g. IR assembled by hand or by another frontend), so the object never
 * holds a weight twice. Module metadata `tied_weights` counts the merges.
 */
#include "passes/passes.h"

#include <string.h>

static bool same_storage(const ir_weight *a, const ir_weight *b) {
  return a->data && a->data == b->data && a->nbytes == b->nbytes &&
         a->type.dtype == b->type.dtype && ir_type_same_shape(&a->type, &b->type) &&
         !strcmp(a->storage, b->storage);
}

bool pass_share_tied_weights(ir_module *m, const gqc_pass_context *ctx) {
  (void)ctx;
  int merged = 0;
  for (int a = 0; a < m->n_weights; a++) {
    if (m->weights[a].dead)
      continue;
    for (int b = a + 1; b < m->n_weights; b++) {
      if (m->weights[b].dead || !same_storage(&m->weights[a], &m->weights[b]))
        continue;
      for (int f = 0; f < m->n_funcs; f++)
        ir_for_each_inst(m->funcs[f], i) if (i->op == IR_OP_WEIGHT && i->ref == b) i->ref = a;
      m->weights[b].dead = true;
      merged++;
    }
  }
  /* A weight used both as a table and as a linear operand is tied storage. */
  int tied = 0;
  for (int w = 0; w < m->n_weights; w++) {
    bool rowmajor = false, pretransposed = false;
    for (int f = 0; f < m->n_funcs; f++)
      ir_for_each_inst(m->funcs[f], i) if (i->op == IR_OP_WEIGHT && i->ref == w) {
        rowmajor |= i->type.layout == IR_LAYOUT_ROWMAJOR;
        pretransposed |= i->type.layout == IR_LAYOUT_PRETRANSPOSED;
      }
    tied += rowmajor && pretransposed;
  }
  ir_meta_set_int(m, "tied_weights", tied + merged);
  return true;
}
