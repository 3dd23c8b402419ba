/* calls.c — lowering of planned IR instructions to runtime calls (calls.h).
 *
 * The argument order of each call is the runtime's prototype in
 * runtime/include/gqcrt.h; keep the two in step.
 */
#include "codegen/calls.h"

#include <stdlib.h>
#include <string.h>

#include "gqcrt_parallel.h"

typedef struct builder {
  gqc_call_list *l;
  int cap, desc_cap;
  const ir_module *m;
  gqc_diag *d;
} builder;

static gqc_call *new_call(builder *b, const char *fn, const ir_inst *i) {
  if (b->l->n_calls == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    gqc_call *n = realloc(b->l->calls, (size_t)b->cap * sizeof *n);
    if (!n)
      return NULL;
    b->l->calls = n;
  }
  gqc_call *c = &b->l->calls[b->l->n_calls++];
  memset(c, 0, sizeof *c);
  c->fn = fn;
  c->inst = i;
  return c;
}

static void arg(gqc_call *c, gqc_arg a) { c->args[c->n_args++] = a; }
static gqc_arg a_i32(int64_t v) { return (gqc_arg){.kind = GQC_ARG_I32, .i = v}; }
static gqc_arg a_f32(double v) { return (gqc_arg){.kind = GQC_ARG_F32, .f = (float)v}; }
static gqc_arg a_pos(void) { return (gqc_arg){.kind = GQC_ARG_POS}; }
static gqc_arg a_token(void) { return (gqc_arg){.kind = GQC_ARG_TOKEN}; }

/* Where a value lives. */
static gqc_arg a_value(builder *b, const ir_inst *v) {
  if (v->op == IR_OP_WEIGHT)
    return (gqc_arg){.kind = GQC_ARG_WEIGHT, .offset = b->m->weights[v->ref].offset};
  if (v->op == IR_OP_CACHE)
    return (gqc_arg){.kind = GQC_ARG_ARENA, .offset = b->m->caches[v->ref].offset};
  return (gqc_arg){.kind = GQC_ARG_ARENA, .offset = v->offset};
}

static int64_t len(const ir_inst *v) { return v->type.dims[0]; }

/* Rows per group of a weight's storage: 1 as in GGUF, else the packing's
 * (gqcrt_packed_kernels.def: storage "<enc>_<packing>"). */
static int32_t storage_rows(const ir_weight *w) {
#define GQCRT_PACKING(wenc, packing, rows)                                                         \
  if (!strcmp(w->storage, #wenc "_" #packing))                                                    \
    return rows;
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
  return 1;
}

/* A linear big enough to be worth splitting over the executor's threads
 * becomes gqcrt_linear_parallel(executor, kernel, y, w, x, n_in, n_out,
 * row_bytes, row_align); smaller ones call the kernel directly. */
static bool lower_linear(builder *b, const ir_inst *i, const char *kernel) {
  const ir_inst *w = i->operands[1];
  const ir_weight *wt = &b->m->weights[w->ref];
  int64_t n_out = w->type.dims[0], n_in = w->type.dims[1];
  bool parallel = (int64_t)wt->nbytes >= GQCRT_PARALLEL_MIN_BYTES;
  gqc_call *c = new_call(b, parallel ? "gqcrt_linear_parallel" : kernel, i);
  if (!c)
    return false;
  if (parallel) {
    arg(c, (gqc_arg){.kind = GQC_ARG_EXECUTOR});
    arg(c, (gqc_arg){.kind = GQC_ARG_FN, .sym = kernel});
  }
  arg(c, a_value(b, i));
  arg(c, a_value(b, w));
  arg(c, a_value(b, i->operands[0]));
  arg(c, a_i32(n_in));
  arg(c, a_i32(n_out));
  if (parallel) {
    arg(c, a_i32((int64_t)wt->nbytes / n_out));
    arg(c, a_i32(storage_rows(wt)));
  }
  return true;
}

static bool lower_inst(builder *b, const ir_inst *i) {
  const char *kernel = ir_attr_str(i, "kernel", NULL);
  gqc_call *c = NULL;
  switch (i->op) {
  case IR_OP_PARAM:
  case IR_OP_WEIGHT:
  case IR_OP_CACHE:
  case IR_OP_TRANSPOSE:
    return true;
  case IR_OP_RETURN:
    b->l->result_offset = i->operands[0]->offset;
    b->l->n_vocab = len(i->operands[0]);
    return true;
  case IR_OP_MATMUL:
    return gqc_error(b->d, "codegen: matmul reached codegen (run fold-transpose first)");
  case IR_OP_EMBED: {
    if (!kernel)
      return gqc_error(b->d, "codegen: embed without a kernel (run select-kernels first)");
    const ir_inst *w = i->operands[0];
    const ir_weight *table = &b->m->weights[w->ref];
    int64_t row_bytes = ir_type_bytes(&w->type) / w->type.dims[0];
    if (!b->l->embed_rows || w->type.dims[0] < b->l->embed_rows)
      b->l->embed_rows = w->type.dims[0];
    if (table->storage && strcmp(table->storage, "gguf")) {
      /* A packed table (repack-weights): its rows are not contiguous, so
       * the kernel (gqcrt_embed_<storage>) gets the table and the token. */
      if (strncmp(kernel, "gqcrt_embed_", 12) || strcmp(kernel + 12, table->storage))
        return gqc_error(b->d,
                         "codegen: embed of weight @%s, stored as %s, has kernel %s (expected "
                         "gqcrt_embed_%s)",
                         table->name, table->storage, kernel, table->storage);
      if (!(c = new_call(b, kernel, i)))
        break;
      arg(c, a_value(b, i));
      arg(c, a_value(b, w));
      arg(c, a_token());
      arg(c, a_i32(w->type.dims[1]));
      return true;
    }
    if (!(c = new_call(b, kernel, i)))
      break;
    arg(c, a_value(b, i));
    arg(c, (gqc_arg){.kind = GQC_ARG_WEIGHT_ROW, .offset = table->offset, .row_bytes = row_bytes});
    arg(c, a_i32(w->type.dims[1]));
    return true;
  }
  case IR_OP_RMS_NORM:
    if (!(c = new_call(b, "gqcrt_rms_norm", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, i->n_operands > 1 ? a_value(b, i->operands[1]) : (gqc_arg){.kind = GQC_ARG_NULL});
    arg(c, a_i32(len(i)));
    arg(c, a_i32(ir_attr_int(i, "group", i->n_operands > 1 ? len(i->operands[1]) : len(i))));
    arg(c, a_f32(ir_attr_float(i, "eps", 0)));
    return true;
  case IR_OP_LINEAR:
  case IR_OP_QUANTIZE:
    if (!kernel)
      return gqc_error(b->d, "codegen: %s without a kernel (run select-kernels first)",
                       ir_op_get(i->op)->name);
    if (i->op == IR_OP_LINEAR) {
      if (!lower_linear(b, i, kernel))
        break;
      return true;
    }
    if (!(c = new_call(b, kernel, i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_i32(len(i)));
    return true;
  case IR_OP_ADD:
  case IR_OP_MUL:
    if (!(c = new_call(b, i->op == IR_OP_ADD ? "gqcrt_add" : "gqcrt_mul", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_value(b, i->operands[1]));
    arg(c, a_i32(len(i)));
    return true;
  case IR_OP_SCALE:
  case IR_OP_SOFTCAP:
    if (!(c = new_call(b, i->op == IR_OP_SCALE ? "gqcrt_scale" : "gqcrt_softcap", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_f32(ir_attr_float(i, i->op == IR_OP_SCALE ? "s" : "cap", 0)));
    arg(c, a_i32(len(i)));
    return true;
  case IR_OP_SILU:
  case IR_OP_GELU:
  case IR_OP_SOFTMAX: {
    const char *fn = i->op == IR_OP_SILU   ? "gqcrt_silu"
                     : i->op == IR_OP_GELU ? "gqcrt_gelu_tanh"
                                           : "gqcrt_softmax";
    if (!(c = new_call(b, fn, i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_i32(len(i)));
    return true;
  }
  case IR_OP_ROPE:
    if (!(c = new_call(b, "gqcrt_rope", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_pos());
    arg(c, a_i32(len(i) / ir_attr_int(i, "head_dim", 1)));
    arg(c, a_i32(ir_attr_int(i, "head_dim", 0)));
    arg(c, a_i32(ir_attr_int(i, "n_rot", 0)));
    arg(c, a_f32(ir_attr_float(i, "base", 10000)));
    arg(c, a_f32(ir_attr_float(i, "freq_scale", 1)));
    arg(c, a_i32(ir_attr_int(i, "mode", 0)));
    return true;
  case IR_OP_ATTENTION: {
    if (b->l->n_descs == b->desc_cap) {
      b->desc_cap = b->desc_cap ? b->desc_cap * 2 : 32;
      gqc_attn_desc *n = realloc(b->l->descs, (size_t)b->desc_cap * sizeof *n);
      if (!n)
        break;
      b->l->descs = n;
    }
    const ir_inst *kc = i->operands[3];
    if (ir_attr_int(i, "scores", -1) < 0)
      return gqc_error(b->d, "codegen: attention without score scratch (run plan-memory)");
    gqc_attn_desc *ad = &b->l->descs[b->l->n_descs];
    ad->n_head = (int32_t)ir_attr_int(i, "n_head", 0);
    ad->n_head_kv = (int32_t)ir_attr_int(i, "n_head_kv", 0);
    ad->head_dim = (int32_t)ir_attr_int(i, "head_dim", 0);
    ad->cache_rows = (int32_t)kc->type.dims[0];
    ad->window = (int32_t)ir_attr_int(i, "window", 0);
    ad->kv_type = kc->type.dtype == IR_F16 ? 1 : 0;
    ad->scale = (float)ir_attr_float(i, "scale", 1);
    if (ad->cache_rows < ir_meta_int(b->m, "n_ctx", INT32_MAX) &&
        (!b->l->ring_rows || ad->cache_rows < b->l->ring_rows))
      b->l->ring_rows = ad->cache_rows;
    if (!(c = new_call(b, "gqcrt_attention", i)))
      break;
    arg(c, (gqc_arg){.kind = GQC_ARG_ATTN_DESC, .i = b->l->n_descs++});
    arg(c, a_value(b, i));
    for (int k = 0; k < 5; k++)
      arg(c, a_value(b, i->operands[k]));
    arg(c, (gqc_arg){.kind = GQC_ARG_ARENA, .offset = ir_attr_int(i, "scores", 0)});
    arg(c, a_pos());
    return true;
  }
  case IR_OP_COUNT:
    break;
  }
  return gqc_error(b->d, "codegen: cannot lower %s", ir_op_get(i->op) ? ir_op_get(i->op)->name : "?");
}

bool gqc_lower_calls(const ir_module *m, gqc_call_list *out, gqc_diag *d) {
  memset(out, 0, sizeof *out);
  out->result_offset = -1;
  if (m->arena_bytes < 0 || m->weight_bytes < 0)
    return gqc_error(d, "codegen: the module has no memory plan (run plan-memory)");
  builder b = {.l = out, .m = m, .d = d};
  ir_for_each_inst(m->decode, i) if (!lower_inst(&b, i)) {
    if (!d->failed)
      gqc_error(d, "codegen: out of memory");
    gqc_call_list_free(out);
    return false;
  }
  if (out->result_offset < 0)
    return gqc_error(d, "codegen: the function returns no planned value");
  return true;
}

void gqc_call_list_free(gqc_call_list *l) {
  free(l->calls);
  free(l->descs);
  memset(l, 0, sizeof *l);
}
