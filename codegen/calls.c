/* calls.c — lowering of planned IR functions to runtime calls (calls.h).
 *
 * The argument order of each call is the runtime's prototype in
 * runtime/include/gqcrt.h (and gqcrt_parallel.h); keep the two in step.
 *
 * A vector op becomes the runtime's vector call. The same op on a batch of
 * rows (@prefill) becomes:
 *   - for row-wise ops whose runtime form takes any length (rms_norm, add,
 *     mul, scale, silu, gelu, softcap, quantize): the same call on n * N
 *     elements, the rows being back to back; for add, mul, silu, gelu and
 *     quantize through gqcrt_{binary,unary,quantize}_parallel, which splits
 *     the rows over the executor's threads;
 *   - embed, rope: their _rows forms (gqcrt_embed_rows, ...); attention:
 *     gqcrt_attention_parallel with n_rows (1 for a vector); linear: the
 *     gemm kernel select-kernels chose (gqcrt_gemm_*), through
 *     gqcrt_gemm_parallel when the weight is large;
 *   - anything else (a vector added to every row, a per-row softmax, a
 *     slice of every row, copied): the vector call once per live row
 *     (per_row).
 * last_row is no call: its readers get a pointer to the batch's row n - 1.
 * Nor is a slice of a vector (a pointer into it) or a weight that views
 * some rows of a larger one (a pointer to its first row: for a packed
 * layout that row starts a row group, which repack-weights made sure of).
 */
#include "codegen/calls.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt_parallel.h"
#include "support/xalloc.h"

typedef struct builder {
  gqc_program *p;
  gqc_call_list *l;
  int cap, desc_cap;
  const ir_module *m;
  const ir_func *f;
  gqc_diag *d;
} builder;

static gqc_call *new_call(builder *b, const char *fn, const ir_inst *i) {
  gqc_call *calls = gqc_grow(b->l->calls, sizeof *calls, &b->cap, b->l->n_calls + 1, 256);
  if (!calls)
    return NULL;
  b->l->calls = calls;
  gqc_call *c = &b->l->calls[b->l->n_calls++];
  memset(c, 0, sizeof *c);
  c->fn = fn;
  c->inst = i;
  return c;
}

static void arg(gqc_call *c, gqc_arg a) {
  c->args[c->n_args++] = a;
}
static gqc_arg a_i32(int64_t v) {
  return (gqc_arg){.kind = GQC_ARG_I32, .i = v};
}
static gqc_arg a_i64(int64_t v) {
  return (gqc_arg){.kind = GQC_ARG_I64, .i = v};
}
static gqc_arg a_f32(double v) {
  return (gqc_arg){.kind = GQC_ARG_F32, .f = (float)v};
}
static gqc_arg a_fn(const char *sym) {
  return (gqc_arg){.kind = GQC_ARG_FN, .sym = sym};
}

static bool is_rows(const ir_inst *v) {
  return v->type.rank == 2;
}
static int64_t row_len(const ir_inst *v) {
  return v->type.dims[v->type.rank - 1];
}

/* Bytes of one row of a batch (or of a vector). */
static int64_t row_bytes(const ir_inst *v) {
  ir_type t = ir_type_row(&v->type);
  return ir_type_bytes(&t);
}

/* Bytes per row of a weight matrix as stored (packed layouts keep the GGUF
 * byte count, so a group of rows spans that many rows' bytes). */
static int64_t weight_row_bytes(const ir_weight *w) {
  return (int64_t)w->nbytes / w->type.dims[0];
}

/* Where a value lives. */
static gqc_arg a_value(builder *b, const ir_inst *v) {
  if (v->op == IR_OP_WEIGHT) {
    const ir_weight *w = &b->m->weights[v->ref];
    const int64_t row = ir_weight_first_row(v);
    return (gqc_arg){.kind = GQC_ARG_WEIGHT,
                     .offset = w->offset + (row ? row * weight_row_bytes(w) : 0)};
  }
  if (v->op == IR_OP_SLICE && !is_rows(v)) { /* a view into the vector */
    gqc_arg a = a_value(b, v->operands[0]);
    a.offset += ir_attr_int(v, "start", 0) * (int64_t)sizeof(float);
    return a;
  }
  if (v->op == IR_OP_CACHE)
    return (gqc_arg){.kind = GQC_ARG_ARENA, .offset = b->m->caches[v->ref].offset};
  if (v->op == IR_OP_LAST_ROW) /* a view: row n - 1 of the batch */
    return (gqc_arg){.kind = GQC_ARG_ARENA_LAST_ROW,
                     .offset = v->operands[0]->offset,
                     .row_bytes = row_bytes(v->operands[0])};
  return (gqc_arg){.kind = GQC_ARG_ARENA, .offset = v->offset};
}

/* A value in a per_row call: its row r (a batch), or all of it (a vector or
 * a weight every row shares). */
static gqc_arg a_row_of(builder *b, const ir_inst *v) {
  gqc_arg a = a_value(b, v);
  if (is_rows(v) && a.kind == GQC_ARG_ARENA)
    a.row_bytes = row_bytes(v);
  return a;
}

/* The element count of a value: its length, or n * row length for a batch
 * (an error when B * row length does not fit in an int32_t). */
static bool a_count(builder *b, const ir_inst *v, gqc_arg *out) {
  int64_t n = row_len(v);
  if (!is_rows(v)) {
    *out = a_i32(n);
    return true;
  }
  if (n > INT32_MAX / v->type.dims[0])
    return gqc_error(b->d,
                     "codegen: a batch of %" PRId64 " rows of %" PRId64
                     " elements is too large for the runtime's int32_t counts",
                     v->type.dims[0], n);
  *out = (gqc_arg){.kind = GQC_ARG_ROWS, .i = n};
  return true;
}

/* The call of element-wise function fn on all of i: on a batch, through
 * `parallel` (gqcrt_{unary,binary,quantize}_parallel, gqcrt_parallel.h),
 * which splits it by rows over the executor's threads (the executor and fn
 * its first arguments; rows_args adds the row length, and a quantiser's row
 * bytes, after fn's own). */
static gqc_call *new_elementwise(builder *b, const char *fn, const char *parallel,
                                 const ir_inst *i) {
  if (!is_rows(i))
    return new_call(b, fn, i);
  gqc_call *c = new_call(b, parallel, i);
  if (c) {
    arg(c, (gqc_arg){.kind = GQC_ARG_EXECUTOR});
    arg(c, a_fn(fn));
  }
  return c;
}
static void rows_args(gqc_call *c, const ir_inst *i, int64_t out_row_bytes) {
  if (!is_rows(i))
    return;
  arg(c, a_i32(row_len(i->operands[0])));
  if (out_row_bytes)
    arg(c, a_i32(out_row_bytes));
}

static gqc_arg a_rows(void) {
  return (gqc_arg){.kind = GQC_ARG_ROWS, .i = 1};
}

/* A parameter operand as the step's argument: the first parameter is the
 * token (the batch's tokens), the second the position, and a batched
 * function's rows parameter its row count (check_signature's layout). */
static bool a_param(builder *b, const ir_inst *v, gqc_arg *out) {
  if (v->op == IR_OP_PARAM && v == b->f->rows)
    *out = a_rows();
  else if (v->op == IR_OP_PARAM && v == b->f->params[0])
    *out = (gqc_arg){.kind = v->type.rank == 1 ? GQC_ARG_TOKENS : GQC_ARG_TOKEN};
  else if (v->op == IR_OP_PARAM && v == b->f->params[1])
    *out = (gqc_arg){.kind = GQC_ARG_POS};
  else
    return gqc_error(b->d, "codegen: @%s: operand %%%s is not one of the function's parameters",
                     b->f->name, v->name ? v->name : "?");
  return true;
}

/* Rows per group of a weight's storage: 1 as in GGUF, else the packing's
 * (gqcrt_packed_kernels.def: storage "<enc>_<packing>"). */
static int32_t storage_rows(const ir_weight *w) {
#define GQCRT_PACKING(wenc, packing, rows)                                                         \
  if (!strcmp(w->storage, #wenc "_" #packing))                                                     \
    return rows;
#include "gqcrt_packed_kernels.def"
#undef GQCRT_PACKING
  return 1;
}

/* A linear big enough to be worth splitting over the executor's threads
 * becomes gqcrt_linear_parallel(executor, kernel, y, w, x, n_in, n_out,
 * row_bytes, row_align); smaller ones call the kernel directly. On a batch
 * of rows the same with the gemm kernel: gqcrt_gemm_parallel(executor,
 * kernel, y, y_stride, w, x, n_in, n_out, n_rows, row_bytes, row_align) or
 * kernel(y, y_stride, w, x, n_in, n_out, n_rows). */
static bool lower_linear(builder *b, const ir_inst *i, const char *kernel) {
  const ir_inst *w = i->operands[1];
  const ir_weight *wt = &b->m->weights[w->ref];
  int64_t n_out = w->type.dims[0], n_in = w->type.dims[1];
  const bool rows = is_rows(i);
  const char *expect = rows ? "gqcrt_gemm_" : "gqcrt_linear_";
  if (strncmp(kernel, expect, strlen(expect)))
    return gqc_error(b->d, "codegen: linear %s%s has kernel %s (expected a %s* kernel)",
                     i->name ? "%" : "", i->name ? i->name : "", kernel, expect);
  const int64_t row_bytes = weight_row_bytes(wt);
  bool parallel = n_out * row_bytes >= GQCRT_PARALLEL_MIN_BYTES;
  const char *fn = parallel ? (rows ? "gqcrt_gemm_parallel" : "gqcrt_linear_parallel") : kernel;
  gqc_call *c = new_call(b, fn, i);
  if (!c)
    return false;
  if (parallel) {
    arg(c, (gqc_arg){.kind = GQC_ARG_EXECUTOR});
    arg(c, a_fn(kernel));
  }
  arg(c, a_value(b, i));
  if (rows)
    arg(c, a_i32(n_out)); /* y_stride: the rows of y are back to back */
  arg(c, a_value(b, w));
  arg(c, a_value(b, i->operands[0]));
  arg(c, a_i32(n_in));
  arg(c, a_i32(n_out));
  if (rows)
    arg(c, a_rows());
  if (parallel) {
    arg(c, a_i32(row_bytes));
    arg(c, a_i32(storage_rows(wt)));
  }
  return true;
}

static bool lower_embed(builder *b, const ir_inst *i, const char *kernel) {
  if (!kernel)
    return gqc_error(b->d, "codegen: embed without a kernel (run select-kernels first)");
  const ir_inst *w = i->operands[0];
  const ir_weight *table = &b->m->weights[w->ref];
  int64_t row = ir_type_bytes(&w->type) / w->type.dims[0];
  const bool rows = is_rows(i);
  gqc_call *c;
  gqc_arg tok;
  if (!a_param(b, i->operands[1], &tok))
    return false;
  if (tok.kind != (rows ? GQC_ARG_TOKENS : GQC_ARG_TOKEN))
    return gqc_error(b->d, "codegen: @%s: embed must read the token parameter", b->f->name);
  if (!b->p->embed_rows || w->type.dims[0] < b->p->embed_rows)
    b->p->embed_rows = w->type.dims[0];
  /* A packed table (repack-weights): its rows are not contiguous, so the
   * kernel (gqcrt_embed_<storage>) gets the table and the token. */
  const bool packed = table->storage && strcmp(table->storage, "gguf");
  if (packed && (strncmp(kernel, "gqcrt_embed_", 12) || strcmp(kernel + 12, table->storage)))
    return gqc_error(b->d,
                     "codegen: embed of weight @%s, stored as %s, has kernel %s (expected "
                     "gqcrt_embed_%s)",
                     table->name, table->storage, kernel, table->storage);
  if (rows) {
    /* gqcrt_embed_rows_packed(kernel, y, table, tokens, n, n_in) or
     * gqcrt_embed_rows(dequantize, y, table, row_bytes, tokens, n, n_in) */
    if (!(c = new_call(b, packed ? "gqcrt_embed_rows_packed" : "gqcrt_embed_rows", i)))
      return false;
    arg(c, a_fn(kernel));
    arg(c, a_value(b, i));
    arg(c, a_value(b, w));
    if (!packed)
      arg(c, a_i64(row));
    arg(c, tok);
    arg(c, a_rows());
    arg(c, a_i32(w->type.dims[1]));
    return true;
  }
  /* kernel(y, table, token, n_in) packed, else kernel(y, the token's row, n_in) */
  if (!(c = new_call(b, kernel, i)))
    return false;
  arg(c, a_value(b, i));
  if (packed) {
    arg(c, a_value(b, w));
    arg(c, tok);
  } else {
    arg(c, (gqc_arg){.kind = GQC_ARG_WEIGHT_ROW, .offset = table->offset, .row_bytes = row});
  }
  arg(c, a_i32(w->type.dims[1]));
  return true;
}

/* A ring buffer of `rows` positions whose reader at pos needs positions
 * pos - window + 1 .. pos - 1 from it: decode may rewind only as far as
 * those are still there. The program keeps the ring allowing the shortest
 * rewind (rows - window + 1 positions; then the fewer rows). */
static void note_ring(builder *b, int64_t rows, int64_t window) {
  gqc_program *p = b->p;
  const int64_t depth = rows - window + 1, have = p->ring_rows - p->ring_window + 1;
  if (!p->ring_rows || depth < have || (depth == have && rows < p->ring_rows)) {
    p->ring_rows = rows;
    p->ring_window = window;
  }
}

/* The attention descriptor's index in the program's shared table. */
static bool attention_desc(builder *b, const ir_inst *i, int64_t *index) {
  const ir_inst *kc = i->operands[3];
  gqc_attn_desc ad = {0};
  ad.n_head = (int32_t)ir_attr_int(i, "n_head", 0);
  ad.n_head_kv = (int32_t)ir_attr_int(i, "n_head_kv", 0);
  ad.head_dim = (int32_t)ir_attr_int(i, "head_dim", 0);
  ad.cache_rows = (int32_t)kc->type.dims[0];
  ad.window = (int32_t)ir_attr_int(i, "window", 0);
  ad.kv_type = kc->type.dtype == IR_F16    ? GQCRT_KV_F16
               : kc->type.dtype == IR_Q8_0 ? GQCRT_KV_Q8_0
                                           : GQCRT_KV_F32;
  ad.scale = (float)ir_attr_float(i, "scale", 1);
  ad.softcap = (float)ir_attr_float(i, "softcap", 0);
  ad.n_prefix = (int32_t)ir_attr_int(i, "n_prefix", 0);
  ad.prefix_first = (int32_t)ir_attr_int(i, "prefix_first", 0);
  if (ad.cache_rows < ir_meta_int(b->m, "n_ctx", INT32_MAX))
    note_ring(b, ad.cache_rows,
              ad.window > 0 && ad.window < ad.cache_rows ? ad.window : ad.cache_rows);
  for (int k = 0; k < b->p->n_descs; k++)
    if (!memcmp(&b->p->descs[k], &ad, sizeof ad)) {
      *index = k;
      return true;
    }
  gqc_attn_desc *descs = gqc_grow(b->p->descs, sizeof *descs, &b->desc_cap, b->p->n_descs + 1, 32);
  if (!descs)
    return false;
  b->p->descs = descs;
  b->p->descs[b->p->n_descs] = ad;
  *index = b->p->n_descs++;
  return true;
}

/* The compiled prefix's K and V tables of an attention (its attributes
 * prefix_k / prefix_v name them as weights, see passes' attach-prefix), or
 * two NULLs. */
static bool prefix_tables(builder *b, const ir_inst *i, gqc_call *c) {
  if (ir_attr_int(i, "n_prefix", 0) <= 0) {
    arg(c, (gqc_arg){.kind = GQC_ARG_NULL});
    arg(c, (gqc_arg){.kind = GQC_ARG_NULL});
    return true;
  }
  static const char *const names[2] = {"prefix_k", "prefix_v"};
  for (int k = 0; k < 2; k++) {
    const int64_t w = ir_attr_int(i, names[k], -1);
    if (w < 0 || w >= b->m->n_weights || b->m->weights[w].offset < 0)
      return gqc_error(b->d, "codegen: attention with a prefix but no planned %s table", names[k]);
    arg(c, (gqc_arg){.kind = GQC_ARG_WEIGHT, .offset = b->m->weights[w].offset});
  }
  return true;
}

static bool lower_inst(builder *b, const ir_inst *i) {
  const char *kernel = ir_attr_str(i, "kernel", NULL);
  gqc_call *c = NULL;
  gqc_arg count = {0}; /* set by a_count before any use */
  switch (i->op) {
  case IR_OP_PARAM:
  case IR_OP_WEIGHT:
  case IR_OP_CACHE:
  case IR_OP_TRANSPOSE:
  case IR_OP_LAST_ROW: /* a view: see a_value */
    return true;
  case IR_OP_RETURN:
    b->l->result = a_value(b, i->operands[0]);
    b->l->n_vocab = row_len(i->operands[0]);
    return true;
  case IR_OP_MATMUL:
    return gqc_error(b->d, "codegen: matmul reached codegen (run fold-transpose first)");
  case IR_OP_EMBED:
    return lower_embed(b, i, kernel);
  case IR_OP_RMS_NORM:
  case IR_OP_LAYER_NORM: {
    const bool layer = i->op == IR_OP_LAYER_NORM;
    const char *fn = kernel ? kernel : layer ? "gqcrt_layer_norm" : "gqcrt_rms_norm";
    if (!a_count(b, i, &count) || !(c = new_call(b, fn, i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    for (int k = 1; k <= (layer ? 2 : 1); k++) /* weight (and bias); NULL when absent */
      arg(c, i->n_operands > k ? a_value(b, i->operands[k]) : (gqc_arg){.kind = GQC_ARG_NULL});
    arg(c, count); /* whole groups: a row is a multiple of the group */
    arg(c,
        a_i32(ir_attr_int(i, "group", i->n_operands > 1 ? row_len(i->operands[1]) : row_len(i))));
    arg(c, a_f32(ir_attr_float(i, "eps", 0)));
    return true;
  }
  case IR_OP_SLICE: /* a vector's is a view (a_value); each row's a copy */
    if (!is_rows(i))
      return true;
    if (!(c = new_call(b, "gqcrt_copy", i)))
      break;
    c->per_row = true;
    arg(c, a_row_of(b, i));
    arg(c, a_row_of(b, i->operands[0]));
    c->args[1].offset += ir_attr_int(i, "start", 0) * (int64_t)sizeof(float);
    arg(c, a_i32(row_len(i)));
    return true;
  case IR_OP_LINEAR:
  case IR_OP_QUANTIZE:
    if (!kernel)
      return gqc_error(b->d, "codegen: %s without a kernel (run select-kernels first)",
                       ir_op_get(i->op)->name);
    if (i->op == IR_OP_LINEAR)
      return lower_linear(b, i, kernel);
    if (!a_count(b, i, &count) || !(c = new_elementwise(b, kernel, "gqcrt_quantize_parallel", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, count);
    rows_args(c, i, row_bytes(i));
    return true;
  case IR_OP_ADD:
  case IR_OP_MUL: {
    const char *fn = i->op == IR_OP_ADD ? "gqcrt_add" : "gqcrt_mul";
    if (is_rows(i) && !is_rows(i->operands[1])) {
      /* one vector for every row: y[r] = a[r] + b, row by row */
      if (!(c = new_call(b, fn, i)))
        break;
      c->per_row = true;
      arg(c, a_row_of(b, i));
      arg(c, a_row_of(b, i->operands[0]));
      arg(c, a_row_of(b, i->operands[1]));
      arg(c, a_i32(row_len(i)));
      return true;
    }
    if (!a_count(b, i, &count) || !(c = new_elementwise(b, fn, "gqcrt_binary_parallel", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_value(b, i->operands[1]));
    arg(c, count);
    rows_args(c, i, 0);
    return true;
  }
  case IR_OP_SCALE:
  case IR_OP_SOFTCAP:
    if (!a_count(b, i, &count) ||
        !(c = new_call(b, i->op == IR_OP_SCALE ? "gqcrt_scale" : "gqcrt_softcap", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, a_f32(ir_attr_float(i, i->op == IR_OP_SCALE ? "s" : "cap", 0)));
    arg(c, count);
    return true;
  case IR_OP_SILU:
  case IR_OP_GELU:
    if (!a_count(b, i, &count) || !(c = new_elementwise(b,
                                                        kernel                ? kernel
                                                        : i->op == IR_OP_SILU ? "gqcrt_silu"
                                                                              : "gqcrt_gelu_tanh",
                                                        "gqcrt_unary_parallel", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, count);
    rows_args(c, i, 0);
    return true;
  case IR_OP_SOFTMAX: /* over each row on its own */
    if (!(c = new_call(b, "gqcrt_softmax", i)))
      break;
    c->per_row = is_rows(i);
    arg(c, a_row_of(b, i));
    arg(c, a_row_of(b, i->operands[0]));
    arg(c, a_i32(row_len(i)));
    return true;
  case IR_OP_ROPE: {
    const bool rows = is_rows(i);
    gqc_arg pos;
    if (!a_param(b, i->operands[1], &pos) ||
        !(c = new_call(b, rows ? "gqcrt_rope_rows" : "gqcrt_rope", i)))
      break;
    arg(c, a_value(b, i));
    arg(c, a_value(b, i->operands[0]));
    arg(c, pos);
    if (rows)
      arg(c, a_rows());
    arg(c, a_i32(row_len(i) / ir_attr_int(i, "head_dim", 1)));
    arg(c, a_i32(ir_attr_int(i, "head_dim", 0)));
    arg(c, a_i32(ir_attr_int(i, "n_rot", 0)));
    arg(c, a_f32(ir_attr_float(i, "base", 10000)));
    arg(c, a_f32(ir_attr_float(i, "freq_scale", 1)));
    arg(c, a_i32(ir_attr_int(i, "mode", 0)));
    arg(c, i->n_operands > 2 ? a_value(b, i->operands[2]) : (gqc_arg){.kind = GQC_ARG_NULL});
    arg(c, a_f32(ir_attr_float(i, "attn_factor", 1)));
    return true;
  }
  case IR_OP_ATTENTION: {
    /* gqcrt_attention_parallel(ex, kernel, desc, out, q, k, v, kc, vc,
     * prefix_k, prefix_v, scratch, pos, n_rows) */
    if (ir_attr_int(i, "scores", -1) < 0)
      return gqc_error(b->d, "codegen: attention without score scratch (run plan-memory)");
    if (!kernel || strncmp(kernel, "gqcrt_attention_", 16))
      return gqc_error(b->d, "codegen: attention without a kernel (run select-kernels first)");
    int64_t desc;
    gqc_arg pos;
    if (!a_param(b, i->operands[5], &pos) || !attention_desc(b, i, &desc) ||
        !(c = new_call(b, "gqcrt_attention_parallel", i)))
      break;
    arg(c, (gqc_arg){.kind = GQC_ARG_EXECUTOR});
    arg(c, a_fn(kernel));
    arg(c, (gqc_arg){.kind = GQC_ARG_ATTN_DESC, .i = desc});
    arg(c, a_value(b, i));
    for (int k = 0; k < 5; k++)
      arg(c, a_value(b, i->operands[k]));
    if (!prefix_tables(b, i, c))
      break;
    arg(c, (gqc_arg){.kind = GQC_ARG_ARENA, .offset = ir_attr_int(i, "scores", 0)});
    arg(c, pos);
    arg(c, is_rows(i) ? a_rows() : a_i32(1));
    return true;
  }
  case IR_OP_CAUSAL_CONV: {
    /* gqcrt_causal_conv(y, x, w, state, pos, n_rows, n, taps) */
    const ir_inst *w = i->operands[1];
    gqc_arg pos;
    if (!a_param(b, i->operands[3], &pos) || !(c = new_call(b, "gqcrt_causal_conv", i)))
      break;
    for (int k = -1; k < 3; k++)
      arg(c, a_value(b, k < 0 ? i : i->operands[k]));
    arg(c, pos);
    arg(c, is_rows(i) ? a_rows() : a_i32(1));
    arg(c, a_i32(row_len(i)));
    arg(c, a_i32(w->type.dims[1]));
    /* the state is a ring of taps - 1 positions read back taps - 1 */
    note_ring(b, w->type.dims[1] - 1, w->type.dims[1]);
    return true;
  }
  case IR_OP_COUNT:
    break;
  }
  if (b->d->failed || i->op != IR_OP_COUNT)
    return false; /* reported, or out of memory (reported by the caller) */
  return gqc_error(b->d, "codegen: cannot lower %s",
                   ir_op_get(i->op) ? ir_op_get(i->op)->name : "?");
}

/* Checks the signature codegen's API relies on: @decode(i32 tok, i32 pos),
 * @prefill(i32[B] tok, i32 pos, i32 n) batch B rows %n; f32[n_vocab] result. */
static bool check_signature(const ir_module *m, const ir_func *f, bool batched, gqc_diag *d) {
  const ir_type *r = &f->result;
  bool ok = r->dtype == IR_F32 && r->rank == 1 && r->dims[0] == ir_meta_int(m, "n_vocab", -1);
  if (!batched)
    ok = ok && f->batch == 0 && f->n_params == 2 && f->params[0]->type.rank == 0 &&
         f->params[1]->type.rank == 0;
  else
    ok = ok && f->batch > 0 && f->batch <= INT32_MAX && f->n_params == 3 &&
         f->params[0]->type.rank == 1 && f->params[1]->type.rank == 0 && f->rows == f->params[2];
  if (!ok)
    return gqc_error(d, "codegen: function @%s must be %s and return the f32[n_vocab] logits",
                     f->name,
                     batched ? "@prefill(%tok : i32[B], %pos : i32, %n : i32) batch B rows %n"
                             : "@decode(%tok : i32, %pos : i32)");
  return true;
}

static bool lower_function(builder *b, const ir_func *f, gqc_call_list *l) {
  b->f = f;
  b->l = l;
  b->cap = 0;
  l->func = f;
  l->batch = f->batch;
  l->result = (gqc_arg){.kind = GQC_ARG_NULL};
  ir_for_each_inst(f, i) {
    if (!lower_inst(b, i)) {
      if (!b->d->failed)
        gqc_error(b->d, "codegen: out of memory");
      return false;
    }
  }
  if (l->result.kind == GQC_ARG_NULL || l->result.offset < 0)
    return gqc_error(b->d, "codegen: function @%s returns no planned value", f->name);
  /* the trailing calls that feed no state write (KV cache, convolution state) */
  const int n = ir_func_length(f);
  bool *feeds = malloc((size_t)(n > 0 ? n : 1) * sizeof *feeds);
  if (!feeds)
    return gqc_error(b->d, "codegen: out of memory");
  ir_mark_state_inputs(f, feeds, n);
  l->n_state_calls = l->n_calls;
  while (l->n_state_calls > 0 && !feeds[l->calls[l->n_state_calls - 1].inst->id])
    l->n_state_calls--;
  free(feeds);
  /* the lm_head: a one-row linear writing the logits, last */
  const gqc_call *last = l->n_calls ? &l->calls[l->n_calls - 1] : NULL;
  l->lm_head_call = -1;
  if (!f->batch && last && !strcmp(last->fn, "gqcrt_linear_parallel") && last->n_args == 9 &&
      last->args[1].kind == GQC_ARG_FN && last->args[2].kind == GQC_ARG_ARENA &&
      last->args[2].offset == l->result.offset && last->args[3].kind == GQC_ARG_WEIGHT &&
      last->args[4].kind == GQC_ARG_ARENA && last->args[6].i == l->n_vocab &&
      l->n_state_calls < l->n_calls)
    l->lm_head_call = l->n_calls - 1;
  return true;
}

bool gqc_lower_program(const ir_module *m, gqc_program *out, gqc_diag *d) {
  memset(out, 0, sizeof *out);
  if (m->arena_bytes < 0 || m->weight_bytes < 0)
    return gqc_error(d, "codegen: the module has no memory plan (run plan-memory)");
  if (!m->decode)
    return gqc_error(d, "codegen: the module has no function @decode");
  for (int k = 0; k < m->n_funcs; k++)
    if (strcmp(m->funcs[k]->name, "decode") && strcmp(m->funcs[k]->name, "prefill"))
      return gqc_error(d, "codegen: unknown function @%s (the API has @decode and @prefill)",
                       m->funcs[k]->name);
  const ir_func *prefill = ir_module_find_func(m, "prefill");
  if (!check_signature(m, m->decode, false, d) ||
      (prefill && !check_signature(m, prefill, true, d)))
    return false;
  builder b = {.p = out, .m = m, .d = d};
  bool ok = lower_function(&b, m->decode, &out->decode) &&
            (!prefill || lower_function(&b, prefill, &out->prefill));
  if (!ok)
    gqc_program_free(out);
  return ok;
}

void gqc_program_free(gqc_program *p) {
  free(p->decode.calls);
  free(p->prefill.calls);
  free(p->descs);
  memset(p, 0, sizeof *p);
}
