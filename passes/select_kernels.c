/* select_kernels.c — a runtime kernel for every op that depends on an encoding.
 *
 * For each `linear`, the weight's encoding decides the activation encoding
 * its dot product wants (llama.cpp's vec_dot_type: q8_0 for q4_0/q5_0/q8_0,
 * q8_1 for q4_1/q5_1, q8_k for the k-quants, f16/bf16 for those floats, f32
 * for f32). The pass inserts `quantize` ops for that conversion — one per
 * (activation, encoding) pair, right after the activation is computed, so the
 * q, k and v projections of one normed input share a single conversion — and
 * then picks the kernel: the first line of runtime/include/gqcrt_kernels.def
 * for the encoding whose features the target has.
 *
 * A linear on a batch of rows (x[B, K], in @prefill) gets the matrix-matrix
 * kernel of the same line, gqcrt_gemm_<enc>_<variant> (the runtime has one
 * for every linear kernel, per element identical to it), and its quantize
 * converts every row.
 *
 * `embed` gets the row dequantiser of its table's encoding, `quantize` its
 * converter, `rms_norm`, `silu` and `gelu` their runtime functions, and `attention`
 * the first attention kernel of runtime/include/gqcrt_attention_kernels.def
 * the target can run; converters, norms, SiLU and GELU take the first SIMD variant
 * of runtime/include/gqcrt_op_kernels.def the target can run (bit for bit
 * the portable function), or the portable one. An encoding without a kernel is a compile error
 * naming the tensor; there is no silent fallback to a dequantised copy. A `matmul` left over (one
 * not of the form matmul(x, transpose(weight))) is an error too.
 */
#include "passes/passes.h"

#include <string.h>

typedef struct kernel_entry {
  const char *wenc, *aenc, *variant, *features;
} kernel_entry;

static const kernel_entry kernel_table[] = {
#define GQCRT_LINEAR_KERNEL(w, a, v, f) {#w, #a, #v, f},
#include "gqcrt_kernels.def"
#undef GQCRT_LINEAR_KERNEL
};

typedef struct attention_entry {
  const char *variant, *features;
} attention_entry;

static const attention_entry attention_table[] = {
#define GQCRT_ATTENTION_KERNEL(v, f) {#v, f},
#include "gqcrt_attention_kernels.def"
#undef GQCRT_ATTENTION_KERNEL
};

typedef struct op_entry {
  const char *op, *variant, *features;
} op_entry;

static const op_entry op_table[] = {
#define GQCRT_OP_KERNEL(o, v, f) {#o, #v, f},
#include "gqcrt_op_kernels.def"
#undef GQCRT_OP_KERNEL
};

/* The runtime function for element-wise op `op` (gqcrt_<op>) on the target:
 * its first SIMD variant the target can run, else the portable one. */
static const char *op_kernel(ir_module *m, const char *op, const gqc_target *t) {
  for (size_t k = 0; k < sizeof op_table / sizeof op_table[0]; k++)
    if (strlen(op_table[k].op) == strlen(op) && !memcmp(op_table[k].op, op, strlen(op)) &&
        gqc_target_has_all(t, op_table[k].features))
      return ir_strfmt(m, "gqcrt_%s_%s", op, op_table[k].variant);
  return ir_strfmt(m, "gqcrt_%s", op);
}

/* Encodings the runtime can dequantise a row of (gqcrt_dequantize_*). */
static const char *const dequant_encodings[] = {"f32",  "f16",  "bf16", "q4_0", "q4_1",
                                                "q5_0", "q5_1", "q8_0", "q2_k", "q3_k",
                                                "q4_k", "q5_k", "q6_k"};

static const kernel_entry *find_linear_kernel(ir_dtype wenc, const gqc_target *t) {
  const char *name = ir_dtype_get(wenc)->name;
  for (size_t k = 0; k < sizeof kernel_table / sizeof kernel_table[0]; k++)
    if (!strcmp(kernel_table[k].wenc, name) && gqc_target_has_all(t, kernel_table[k].features))
      return &kernel_table[k];
  return NULL;
}

static const attention_entry *find_attention_kernel(const gqc_target *t) {
  for (size_t k = 0; k < sizeof attention_table / sizeof attention_table[0]; k++)
    if (gqc_target_has_all(t, attention_table[k].features))
      return &attention_table[k];
  return NULL;
}

static bool can_dequantize(ir_dtype enc) {
  for (size_t k = 0; k < sizeof dequant_encodings / sizeof dequant_encodings[0]; k++)
    if (!strcmp(dequant_encodings[k], ir_dtype_get(enc)->name))
      return true;
  return false;
}

/* The quantize op converting `x` to `enc`, created after x on first use. */
static ir_inst *converted(ir_module *m, ir_func *f, ir_inst *x, ir_dtype enc,
                          const gqc_target *target) {
  for (ir_inst *i = x->next; i; i = i->next)
    if (i->op == IR_OP_QUANTIZE && i->operands[0] == x && i->type.dtype == enc)
      return i;
  /* a vector, or a batch of rows (every row converted) */
  ir_type t = x->type;
  t.dtype = enc;
  t.layout = IR_LAYOUT_NONE;
  ir_inst *q = ir_inst_new(m, IR_OP_QUANTIZE, t, 1, &x);
  if (x->name)
    q->name = ir_strfmt(m, "%s.%s", x->name, ir_dtype_get(enc)->name);
  ir_attr_set_str(m, q, "kernel",
                  op_kernel(m, ir_strfmt(m, "quantize_%s", ir_dtype_get(enc)->name), target));
  /* Right after x (params are not in the body: then at the top). */
  if (x->op == IR_OP_PARAM || !x->next)
    ir_inst_insert_before(f, f->first, q);
  else
    ir_inst_insert_before(f, x->next, q);
  return q;
}

static bool select_in(ir_module *m, ir_func *f, const gqc_pass_context *ctx) {
  ir_for_each_inst(f, i) {
    if (i->op == IR_OP_MATMUL)
      return gqc_error(ctx->d,
                       "select-kernels: matmul%s%s has no kernel: only matmul(x, transpose(W)) "
                       "with W a weight is supported",
                       i->name ? " %" : "", i->name ? i->name : "");
    if (i->op == IR_OP_EMBED) {
      ir_dtype enc = i->operands[0]->type.dtype;
      if (!can_dequantize(enc))
        return gqc_error(ctx->d, "select-kernels: no row dequantiser for %s (tensor '%s')",
                         ir_dtype_get(enc)->name, m->weights[i->operands[0]->ref].name);
      ir_attr_set_str(m, i, "kernel", ir_strfmt(m, "gqcrt_dequantize_%s", ir_dtype_get(enc)->name));
      continue;
    }
    if (i->op == IR_OP_RMS_NORM || i->op == IR_OP_GELU || i->op == IR_OP_SILU) {
      const char *op = i->op == IR_OP_RMS_NORM ? "rms_norm"
                       : i->op == IR_OP_GELU   ? "gelu_tanh"
                                               : "silu";
      ir_attr_set_str(m, i, "kernel", op_kernel(m, op, ctx->target));
      continue;
    }
    if (i->op == IR_OP_ATTENTION) {
      const attention_entry *k = find_attention_kernel(ctx->target);
      if (!k) /* the table ends with the portable kernel, so never */
        return gqc_error(ctx->d, "select-kernels: no attention kernel for target %s",
                         ctx->target->triple);
      ir_attr_set_str(m, i, "kernel", ir_strfmt(m, "gqcrt_attention_%s", k->variant));
      continue;
    }
    if (i->op != IR_OP_LINEAR)
      continue;
    ir_inst *w = i->operands[1];
    const char *tensor = m->weights[w->ref].name;
    const kernel_entry *k = find_linear_kernel(w->type.dtype, ctx->target);
    if (!k)
      return gqc_error(ctx->d,
                       "select-kernels: tensor '%s' is %s, which has no linear kernel for target "
                       "%s (cpu %s, features '%s')",
                       tensor, ir_dtype_get(w->type.dtype)->name, ctx->target->triple,
                       ctx->target->cpu, ctx->target->features);
    ir_dtype act = ir_dtype_vec_dot(w->type.dtype);
    if (strcmp(k->aenc, ir_dtype_get(act)->name))
      return gqc_error(ctx->d,
                       "select-kernels: kernel table and IR disagree on the activation "
                       "encoding of %s",
                       k->wenc);
    ir_inst *x = i->operands[0];
    if (x->type.dtype == IR_F32 && act != IR_F32)
      i->operands[0] = converted(m, f, x, act, ctx->target);
    ir_attr_set_str(
        m, i, "kernel",
        ir_strfmt(m, "gqcrt_%s_%s_%s", x->type.rank == 2 ? "gemm" : "linear", k->wenc, k->variant));
  }
  return true;
}

bool pass_select_kernels(ir_module *m, const gqc_pass_context *ctx) {
  return gqc_pass_each_func(m, ctx, select_in);
}
