/* fold_transpose.c — matmul(x, transpose(W)) → linear(x, W) on a weight.
 *
 * Descriptions write projections the way the maths reads, y = x · Wᵀ, where
 * W is the GGUF tensor as stored: [out, in], one row per output. Computing
 * that literally would transpose (and, for packed encodings, dequantise) W at
 * run time. Instead the stored rows are exactly what a row-by-row dot-product
 * kernel wants, so the pair folds into one `linear` whose weight operand is
 * the same bytes marked `pretransposed`. Afterwards no transpose of a weight
 * may remain: one used anywhere else is an error (it would need a copy).
 * A batch of rows x[B, K] folds the same way (a linear on rows: one GEMM).
 */
#include "passes/passes.h"

static ir_inst *pretransposed_weight(ir_module *m, ir_func *f, ir_inst *w, ir_inst *before) {
  ir_inst *n = ir_inst_new(m, IR_OP_WEIGHT, w->type, 0, NULL);
  n->ref = w->ref;
  n->type.layout = IR_LAYOUT_PRETRANSPOSED;
  n->name = w->name;
  if (ir_attr_get(w, "first_row")) /* a view of some rows stays that view */
    ir_attr_set_int(m, n, "first_row", ir_weight_first_row(w));
  ir_inst_insert_before(f, before, n);
  return n;
}

static bool fold(ir_module *m, ir_func *f, const gqc_pass_context *ctx) {
  ir_for_each_inst(f, i) {
    if (i->op != IR_OP_MATMUL)
      continue;
    ir_inst *t = i->operands[1];
    if (t->op != IR_OP_TRANSPOSE || t->operands[0]->op != IR_OP_WEIGHT)
      continue;
    ir_inst *w = pretransposed_weight(m, f, t->operands[0], i);
    i->op = IR_OP_LINEAR;
    i->operands[1] = w;
  }
  ir_remove_dead(m, f);
  ir_for_each_inst(f, i) if (i->op == IR_OP_TRANSPOSE && i->operands[0]->op == IR_OP_WEIGHT) {
    return gqc_error(ctx->d,
                     "fold-transpose: transpose of weight @%s is used other than as the right "
                     "operand of matmul; that would need a transposed copy of the weight",
                     m->weights[i->operands[0]->ref].name);
  }
  return true;
}

bool pass_fold_transpose(ir_module *m, const gqc_pass_context *ctx) {
  return gqc_pass_each_func(m, ctx, fold);
}
