/* hoist_last_row.c — compute only the last token's row where only it is used.
 *
 * @prefill processes a batch of tokens, one row per token, but returns the
 * logits of the last one only: the frontend ends the function with
 *
 *     %logits = linear %h, %output          : f32[B, n_vocab]   (a GEMM)
 *     %logits.last = last_row %logits       : f32[n_vocab]
 *
 * Computing B rows of logits to keep one would be the most expensive op of
 * the whole batch (the lm_head is the largest matrix of a small model, and a
 * [B, n_vocab] result the largest activation). This pass moves the
 * selection before every op that works row by row — each output row depends
 * only on the same row of its batched operands — so that op runs on the one
 * row as a vector op:
 *
 *     %h.last = last_row %h                 : f32[D]
 *     %logits = linear %h.last, %output     : f32[n_vocab]      (a GEMV)
 *
 * and repeats from there, as long as the op's result has no other use. Row-
 * wise ops: rms_norm, layer_norm, slice, matmul, linear, quantize, add, mul,
 * scale, silu, gelu, softcap, softmax. The walk stops at ops whose rows depend on other rows or
 * positions (attention, rope) or on the batch's tokens (embed), and at values
 * other batch ops still read. In a transformer that is the last layer's
 * attention: the final norm, lm_head and soft-cap, and also the last
 * layer's output projection, residual adds and feed-forward network, run on
 * one row. The numbers do not change: the runtime's GEMM kernels give per
 * element what its GEMV kernels give.
 *
 * A value two hoisted ops read gets one last_row, placed right after the
 * value's definition (where every later use can read it), so their shared
 * input is again used once and the hoisting can continue through it.
 */
#include "passes/passes.h"

static bool row_wise(ir_opcode op) {
  switch (op) {
  case IR_OP_RMS_NORM:
  case IR_OP_LAYER_NORM:
  case IR_OP_SLICE:
  case IR_OP_MATMUL:
  case IR_OP_LINEAR:
  case IR_OP_QUANTIZE:
  case IR_OP_ADD:
  case IR_OP_MUL:
  case IR_OP_SCALE:
  case IR_OP_SILU:
  case IR_OP_GELU:
  case IR_OP_SOFTCAP:
  case IR_OP_SOFTMAX:
    return true;
  default:
    return false;
  }
}

/* Whether operand k of row-wise instruction i is a batch of rows (the
 * weight of matmul and linear is a matrix, not rows). */
static bool is_rows_operand(const ir_func *f, const ir_inst *i, int k) {
  const ir_inst *o = i->operands[k];
  if ((i->op == IR_OP_MATMUL || i->op == IR_OP_LINEAR) && k != 0)
    return false;
  return o->type.rank == 2 && o->type.dims[0] == f->batch && o->op != IR_OP_WEIGHT &&
         o->op != IR_OP_CACHE && o->op != IR_OP_TRANSPOSE;
}

/* The last_row of x, placed right after x's definition: an existing one is
 * moved there, else one is made. */
static ir_inst *last_row_of(ir_module *m, ir_func *f, ir_inst *x) {
  ir_inst *sel = NULL;
  ir_for_each_inst(f, i) if (i->op == IR_OP_LAST_ROW && i->operands[0] == x) {
    sel = i;
    break;
  }
  if (sel) {
    ir_inst_remove(f, sel);
  } else {
    sel = ir_inst_new(m, IR_OP_LAST_ROW, ir_type_row(&x->type), 1, &x);
    if (x->name)
      sel->name = ir_strfmt(m, "%s.last", x->name);
  }
  if (x->next)
    ir_inst_insert_before(f, x->next, sel);
  else
    ir_inst_append(f, sel);
  return sel;
}

/* One hoisting step anywhere in f; false when there is none left. */
static bool hoist_once(ir_module *m, ir_func *f) {
  ir_for_each_inst(f, sel) {
    if (sel->op != IR_OP_LAST_ROW)
      continue;
    ir_inst *y = sel->operands[0];
    if (!row_wise(y->op) || ir_count_uses(f, y) != 1)
      continue;
    /* y works on one row: its batched operands become their last rows */
    for (int k = 0; k < y->n_operands; k++)
      if (is_rows_operand(f, y, k))
        y->operands[k] = last_row_of(m, f, y->operands[k]);
    y->type = ir_type_row(&y->type);
    ir_replace_all_uses(f, sel, y);
    ir_inst_remove(f, sel);
    return true;
  }
  return false;
}

bool pass_hoist_last_row(ir_module *m, const gqc_pass_context *ctx) {
  (void)ctx;
  for (int k = 0; k < m->n_funcs; k++) {
    ir_func *f = m->funcs[k];
    if (f->batch > 0)
      while (hoist_once(m, f)) {
      }
  }
  return true;
}
