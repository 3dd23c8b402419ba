/* ir_verify.c — the IR verifier, run between every two passes.
 *
 * It checks what every later stage relies on, so that a pass bug shows up as
 * "after fold-transpose: %q.0 = linear ...: expected ..." instead of a wrong
 * number or a crash in generated code:
 *   - structure: operand counts, attributes against the op's schema, SSA
 *     (each operand defined earlier in the function), `return` last;
 *   - references: weight/cache indices in range, types matching the module's
 *     declarations;
 *   - types and shapes, op by op (the table in ir_ops.def), in every function;
 *   - row batching: [B, N] activations only in a function with `batch B rows
 *     %n`, whose row count is one of its i32 parameters and whose token
 *     parameter may be an i32[B] vector; operands of one function only;
 *   - memory: once plan-memory ran, every planned value lies in the arena;
 *   - weight layouts: a weight repacked at compile time (storage other than
 *     "gguf", e.g. "q8_0_r4") is read only as the weight of a linear whose
 *     kernel is gqcrt_linear_<storage>_<variant> (gqcrt_gemm_<storage>_<variant>
 *     when the linear's input is a batch of rows) or as the table of an embed
 *     whose kernel is gqcrt_embed_<storage> (a tied embedding packed for its
 *     lm_head), and a weight as stored only by linear kernels named
 *     gqcrt_linear_<encoding>_<variant> (or gqcrt_gemm_...) and by no
 *     gqcrt_embed_* kernel.
 */
#include "ir/ir.h"
#include "support/printf_format.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct verifier {
  const ir_module *m;
  const char *stage;
  gqc_diag *d;
  const ir_func *f; /* the function being checked */
} verifier;

static bool fail(verifier *v, const ir_inst *i, const char *fmt, ...) GQC_PRINTF(3, 4);

static bool fail(verifier *v, const ir_inst *i, const char *fmt, ...) {
  char msg[640];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char where[240] = "";
  size_t n = 0;
  if (v->f && v->m->n_funcs > 1)
    n = (size_t)snprintf(where, sizeof where, "in @%s: ", v->f->name);
  if (i) {
    const ir_op_info *oi = ir_op_get(i->op);
    if (i->name)
      snprintf(where + n, sizeof where - n, "%%%s = %s: ", i->name, oi ? oi->name : "?");
    else
      snprintf(where + n, sizeof where - n, "%s (instruction %d): ", oi ? oi->name : "?", i->id);
  }
  return gqc_error(v->d, "IR verifier%s%s: %s%s", v->stage ? " " : "", v->stage ? v->stage : "",
                   where, msg);
}

static const char *tstr(const ir_type *t, char *buf) {
  return ir_type_str(t, buf, 128);
}

/* Checks attributes against the op's schema "name:k,name:k?". */
static bool check_attrs(verifier *v, const ir_inst *i) {
  const char *schema = ir_op_get(i->op)->attrs;
  /* every attribute present must be in the schema with a compatible kind */
  for (int k = 0; k < i->n_attrs; k++) {
    const ir_attr *a = &i->attrs[k];
    const char *p = schema;
    bool found = false;
    while (*p) {
      const char *colon = strchr(p, ':');
      if (!colon)
        break;
      size_t len = (size_t)(colon - p);
      char kind = colon[1];
      if (strlen(a->key) == len && !strncmp(a->key, p, len)) {
        found = true;
        bool ok = (kind == 'i' && a->kind == IR_ATTR_INT) ||
                  (kind == 'f' && (a->kind == IR_ATTR_FLOAT || a->kind == IR_ATTR_INT)) ||
                  (kind == 's' && a->kind == IR_ATTR_STR);
        if (!ok)
          return fail(v, i, "attribute '%s' must be %s", a->key,
                      kind == 'i'   ? "an integer"
                      : kind == 'f' ? "a number"
                                    : "a string");
        break;
      }
      const char *comma = strchr(colon, ',');
      p = comma ? comma + 1 : colon + strlen(colon);
    }
    if (!found)
      return fail(v, i, "unknown attribute '%s' (allowed: %s)", a->key, *schema ? schema : "none");
  }
  /* every required attribute is present */
  const char *p = schema;
  while (*p) {
    const char *colon = strchr(p, ':');
    if (!colon)
      break;
    const char *comma = strchr(colon, ',');
    const char *end = comma ? comma : colon + strlen(colon);
    bool optional = end[-1] == '?';
    char key[64];
    size_t len = (size_t)(colon - p) < sizeof key - 1 ? (size_t)(colon - p) : sizeof key - 1;
    memcpy(key, p, len);
    key[len] = 0;
    if (!optional && !ir_attr_get(i, key))
      return fail(v, i, "missing attribute '%s'", key);
    p = comma ? comma + 1 : end;
  }
  return true;
}

static bool is_f32_vec(const ir_type *t) {
  return t->dtype == IR_F32 && t->rank == 1;
}
static bool is_i32_scalar(const ir_type *t) {
  return t->dtype == IR_I32 && t->rank == 0;
}

/* A batch of rows [B, N]: a rank-2 activation of a row-batched function. */
static bool is_rows(const verifier *v, const ir_inst *o) {
  return v->f->batch > 0 && o->type.rank == 2 && o->type.dims[0] == v->f->batch &&
         o->op != IR_OP_WEIGHT && o->op != IR_OP_CACHE;
}

/* An activation: a vector, or a batch of rows. */
static bool is_act(const verifier *v, const ir_inst *o) {
  return o->type.rank == 1 || is_rows(v, o);
}

static bool is_f32_act(const verifier *v, const ir_inst *o) {
  return o->type.dtype == IR_F32 && is_act(v, o);
}

static int64_t row_len(const ir_type *t) {
  return t->dims[t->rank - 1];
}

/* The type of a value shaped like activation `like` (a vector or a batch of
 * rows) with element type dt and rows of n elements. */
static ir_type shaped_like(const ir_type *like, ir_dtype dt, int64_t n) {
  return like->rank == 2 ? ir_type_mat(dt, like->dims[0], n) : ir_type_vec(dt, n);
}

static const char *act_desc(const verifier *v) {
  return v->f->batch > 0 ? "vector or [batch, n] matrix" : "vector";
}

static bool expect_result(verifier *v, const ir_inst *i, ir_type want) {
  char a[128], b[128];
  if (!ir_type_equal(&i->type, &want))
    return fail(v, i, "result type is %s, expected %s", tstr(&i->type, a), tstr(&want, b));
  return true;
}

static bool check_types(verifier *v, const ir_func *f, const ir_inst *i) {
  const ir_module *m = v->m;
  char a[128], b[128];
  const ir_inst *o0 = i->n_operands > 0 ? i->operands[0] : NULL;
  const ir_inst *o1 = i->n_operands > 1 ? i->operands[1] : NULL;
  const ir_type *t0 = o0 ? &o0->type : NULL;
  const ir_type *t1 = o1 ? &o1->type : NULL;
  switch (i->op) {
  case IR_OP_PARAM:
    return fail(v, i, "param inside the function body");
  case IR_OP_WEIGHT: {
    if (i->ref < 0 || i->ref >= m->n_weights)
      return fail(v, i, "weight index %d out of range", i->ref);
    const ir_weight *w = &m->weights[i->ref];
    if (w->dead)
      return fail(v, i, "uses weight @%s, which is marked dead", w->name);
    if (i->type.layout != IR_LAYOUT_ROWMAJOR && i->type.layout != IR_LAYOUT_PRETRANSPOSED)
      return fail(v, i, "a weight value needs a layout (rowmajor or pretransposed)");
    const int64_t row = ir_weight_first_row(i);
    if (!ir_attr_get(i, "first_row")) {
      if (i->type.dtype != w->type.dtype || !ir_type_same_shape(&i->type, &w->type))
        return fail(v, i, "type %s does not match weight @%s : %s", tstr(&i->type, a), w->name,
                    tstr(&w->type, b));
      return true;
    }
    /* a view of rows row .. row + rows - 1 (of a vector: elements) */
    ir_type rest = i->type;
    rest.dims[0] = w->type.dims[0];
    if (i->type.dtype != w->type.dtype || !ir_type_same_shape(&rest, &w->type) || row < 0 ||
        i->type.dims[0] <= 0 || i->type.dims[0] > w->type.dims[0] - row)
      return fail(v, i, "type %s from row %" PRId64 " is not a range of rows of weight @%s : %s",
                  tstr(&i->type, a), row, w->name, tstr(&w->type, b));
    if (i->type.rank == 1 && ir_dtype_is_quantized(w->type.dtype))
      return fail(v, i, "a view of some elements of %s weight @%s (blocks are not elements)",
                  ir_dtype_get(w->type.dtype)->name, w->name);
    return true;
  }
  case IR_OP_CACHE: {
    if (i->ref < 0 || i->ref >= m->n_caches)
      return fail(v, i, "cache index %d out of range", i->ref);
    const ir_cache *c = &m->caches[i->ref];
    if (!ir_type_equal(&i->type, &c->type))
      return fail(v, i, "type %s does not match cache @%s : %s", tstr(&i->type, a), c->name,
                  tstr(&c->type, b));
    return true;
  }
  case IR_OP_EMBED:
    if (t0->rank != 2 || t0->layout != IR_LAYOUT_ROWMAJOR)
      return fail(v, i, "the table must be a rowmajor matrix, not %s", tstr(t0, a));
    if (o0->op != IR_OP_WEIGHT || ir_attr_get(o0, "first_row"))
      return fail(v, i, "the table must be a whole weight (not a view of some of its rows)");
    if (is_i32_scalar(t1))
      return expect_result(v, i, ir_type_vec(IR_F32, t0->dims[1]));
    if (f->batch > 0 && t1->dtype == IR_I32 && t1->rank == 1 && t1->dims[0] == f->batch)
      return expect_result(v, i, ir_type_mat(IR_F32, f->batch, t0->dims[1]));
    if (f->batch > 0)
      return fail(v, i, "the token must be an i32 scalar or i32[%" PRId64 "], not %s", f->batch,
                  tstr(t1, a));
    return fail(v, i, "the token must be an i32 scalar, not %s", tstr(t1, a));
  case IR_OP_RMS_NORM: {
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    int64_t group = ir_attr_int(i, "group", t1 ? t1->dims[0] : row_len(t0));
    if (t1 && (!is_f32_vec(t1) || t1->dims[0] != group))
      return fail(v, i, "weight must be f32[%" PRId64 "], not %s", group, tstr(t1, a));
    if (group <= 0 || row_len(t0) % group)
      return fail(v, i, "group %" PRId64 " does not divide the length %" PRId64, group,
                  row_len(t0));
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  }
  case IR_OP_LAYER_NORM: {
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    int64_t group = ir_attr_int(i, "group", t1 ? t1->dims[0] : row_len(t0));
    for (int k = 1; k < i->n_operands; k++) {
      const ir_type *tk = &i->operands[k]->type;
      if (!is_f32_vec(tk) || tk->dims[0] != group)
        return fail(v, i, "%s must be f32[%" PRId64 "], not %s", k == 1 ? "weight" : "bias", group,
                    tstr(tk, a));
    }
    if (group <= 0 || row_len(t0) % group)
      return fail(v, i, "group %" PRId64 " does not divide the length %" PRId64, group,
                  row_len(t0));
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  }
  case IR_OP_MATMUL:
    if (!is_f32_act(v, o0))
      return fail(v, i, "left operand must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    if (t1->rank != 2 || t1->dims[0] != row_len(t0))
      return fail(v, i, "shapes do not agree: %s x %s", tstr(t0, a), tstr(t1, b));
    return expect_result(v, i, shaped_like(t0, IR_F32, t1->dims[1]));
  case IR_OP_TRANSPOSE: {
    if (t0->rank != 2)
      return fail(v, i, "transpose of a non-matrix %s", tstr(t0, a));
    ir_type want = ir_type_mat(t0->dtype, t0->dims[1], t0->dims[0]);
    want.layout = t0->layout;
    return expect_result(v, i, want);
  }
  case IR_OP_LINEAR: {
    if (t1->rank != 2 || t1->layout != IR_LAYOUT_PRETRANSPOSED)
      return fail(v, i, "the weight must be a pretransposed matrix, not %s", tstr(t1, a));
    if (o1->op != IR_OP_WEIGHT)
      return fail(v, i, "the weight operand must be a weight value");
    ir_dtype act = ir_dtype_vec_dot(t1->dtype);
    if (!is_act(v, o0) || (t0->dtype != IR_F32 && t0->dtype != act))
      return fail(v, i, "input %s: expected an f32 or %s %s for a %s weight", tstr(t0, a),
                  ir_dtype_get(act)->name, act_desc(v), ir_dtype_get(t1->dtype)->name);
    if (row_len(t0) != t1->dims[1])
      return fail(v, i, "input length %" PRId64 " does not match the weight's %s", row_len(t0),
                  tstr(t1, b));
    return expect_result(v, i, shaped_like(t0, IR_F32, t1->dims[0]));
  }
  case IR_OP_QUANTIZE: {
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    ir_dtype dt = i->type.dtype;
    if (!(dt == IR_F16 || dt == IR_BF16 || dt == IR_Q8_0 || dt == IR_Q8_1 || dt == IR_Q8_K))
      return fail(v, i, "cannot quantize activations to %s", ir_dtype_get(dt)->name);
    if (row_len(t0) % ir_dtype_get(dt)->block_elems)
      return fail(v, i, "length %" PRId64 " is not a multiple of the %s block (%d)", row_len(t0),
                  ir_dtype_get(dt)->name, ir_dtype_get(dt)->block_elems);
    return expect_result(v, i, shaped_like(t0, dt, row_len(t0)));
  }
  case IR_OP_ADD:
  case IR_OP_MUL:
    /* b has a's shape, or is one row added to (multiplied into) each of a's */
    if (!is_f32_act(v, o0) || !is_f32_act(v, o1) || row_len(t0) != row_len(t1) ||
        (t1->rank == 2 && t0->rank != 2))
      return fail(v, i, "operands must be f32 %ss of one length%s: %s, %s", act_desc(v),
                  f->batch > 0 ? " (b may be one row of a)" : "", tstr(t0, a), tstr(t1, b));
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  case IR_OP_SCALE:
  case IR_OP_SILU:
  case IR_OP_GELU:
  case IR_OP_SOFTCAP:
  case IR_OP_SOFTMAX:
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    if (i->op == IR_OP_SOFTCAP && !(ir_attr_float(i, "cap", 0) > 0))
      return fail(v, i, "cap must be positive");
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  case IR_OP_ROPE: {
    int64_t hd = ir_attr_int(i, "head_dim", 0), nrot = ir_attr_int(i, "n_rot", 0);
    int64_t mode = ir_attr_int(i, "mode", -1);
    if (!is_f32_act(v, o0) || !is_i32_scalar(t1))
      return fail(v, i, "operands must be an f32 %s and an i32 position", act_desc(v));
    if (hd <= 0 || row_len(t0) % hd)
      return fail(v, i, "head_dim %" PRId64 " does not divide the length %" PRId64, hd,
                  row_len(t0));
    if (nrot <= 0 || nrot > hd || nrot % 2)
      return fail(v, i, "n_rot %" PRId64 " must be even and within head_dim", nrot);
    if (mode != 0 && mode != 2)
      return fail(v, i, "mode must be 0 (normal) or 2 (neox)");
    if (i->n_operands > 2 &&
        !(is_f32_vec(&i->operands[2]->type) && i->operands[2]->type.dims[0] == nrot / 2))
      return fail(v, i, "frequency factors must be f32[%" PRId64 "] (n_rot / 2), not %s", nrot / 2,
                  tstr(&i->operands[2]->type, a));
    if (!(ir_attr_float(i, "attn_factor", 1) > 0))
      return fail(v, i, "attn_factor must be positive");
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  }
  case IR_OP_ATTENTION: {
    int64_t h = ir_attr_int(i, "n_head", 0), hkv = ir_attr_int(i, "n_head_kv", 0);
    int64_t hd = ir_attr_int(i, "head_dim", 0), win = ir_attr_int(i, "window", -1);
    if (h <= 0 || hkv <= 0 || hd <= 0 || h % hkv)
      return fail(v, i, "n_head %" PRId64 " must be a positive multiple of n_head_kv %" PRId64, h,
                  hkv);
    if (win < 0)
      return fail(v, i, "window must be >= 0");
    const double cap = ir_attr_float(i, "softcap", 0);
    if (!(cap >= 0) || cap > 3.4e38)
      return fail(v, i, "softcap must be a finite number >= 0 (0: none)");
    if (!is_f32_act(v, o0) || row_len(t0) != h * hd)
      return fail(v, i, "q must be f32[%" PRId64 "]%s, not %s", h * hd,
                  f->batch > 0 ? " or f32[batch, that]" : "", tstr(t0, a));
    for (int k = 1; k <= 2; k++) {
      const ir_inst *o = i->operands[k];
      if (!is_f32_act(v, o) || o->type.rank != t0->rank || row_len(&o->type) != hkv * hd)
        return fail(v, i, "%s must be f32[%" PRId64 "]%s, not %s", k == 1 ? "k" : "v", hkv * hd,
                    t0->rank == 2 ? " rows like q" : "", tstr(&o->type, a));
    }
    for (int k = 3; k <= 4; k++) {
      const ir_inst *c = i->operands[k];
      if (c->op != IR_OP_CACHE || c->type.rank != 2 || c->type.dims[1] != hkv * hd ||
          (c->type.dtype != IR_F32 && c->type.dtype != IR_F16 &&
           (c->type.dtype != IR_Q8_0 || hd % ir_dtype_get(IR_Q8_0)->block_elems != 0)))
        return fail(v, i,
                    "operand %d must be an f32/f16 cache [rows, %" PRId64
                    "] (or q8_0, head_dim a multiple of its block)",
                    k + 1, hkv * hd);
      if (win > 0 && c->type.dims[0] < win &&
          c->type.dims[0] < ir_meta_int(v->m, "n_ctx", INT64_MAX))
        return fail(v, i, "cache @%s has %" PRId64 " rows, fewer than the window %" PRId64,
                    v->m->caches[c->ref].name, c->type.dims[0], win);
    }
    if (!is_i32_scalar(&i->operands[5]->type))
      return fail(v, i, "the position must be an i32 scalar");
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(t0)));
  }
  case IR_OP_SLICE: {
    const int64_t start = ir_attr_int(i, "start", -1);
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    if (i->type.rank != t0->rank || i->type.rank < 1 || row_len(&i->type) <= 0 || start < 0 ||
        row_len(&i->type) > row_len(t0) - start)
      return fail(v, i, "elements %" PRId64 " .. +%" PRId64 " are not within %s", start,
                  i->type.rank ? row_len(&i->type) : 0, tstr(t0, a));
    return expect_result(v, i, shaped_like(t0, IR_F32, row_len(&i->type)));
  }
  case IR_OP_CAUSAL_CONV: {
    const ir_inst *w = i->operands[1], *st = i->operands[2];
    if (!is_f32_act(v, o0))
      return fail(v, i, "input must be an f32 %s, not %s", act_desc(v), tstr(t0, a));
    const int64_t d = row_len(t0);
    if (w->op != IR_OP_WEIGHT || w->type.dtype != IR_F32 || w->type.rank != 2 ||
        w->type.dims[0] != d || w->type.dims[1] < 2)
      return fail(v, i, "the taps must be an f32 weight [%" PRId64 ", L >= 2], not %s", d,
                  tstr(&w->type, a));
    if (st->op != IR_OP_CACHE || st->type.dtype != IR_F32 || st->type.rank != 2 ||
        st->type.dims[0] != w->type.dims[1] - 1 || st->type.dims[1] != d)
      return fail(v, i, "the state must be an f32 buffer [%" PRId64 ", %" PRId64 "], not %s",
                  w->type.dims[1] - 1, d, tstr(&st->type, a));
    if (!is_i32_scalar(&i->operands[3]->type))
      return fail(v, i, "the position must be an i32 scalar");
    return expect_result(v, i, shaped_like(t0, IR_F32, d));
  }
  case IR_OP_LAST_ROW: {
    if (f->batch <= 0)
      return fail(v, i, "last_row outside a row-batched function (no 'batch ... rows' in @%s)",
                  f->name);
    if (!is_rows(v, o0))
      return fail(v, i, "input must be a [%" PRId64 ", n] batch of rows, not %s", f->batch,
                  tstr(t0, a));
    return expect_result(v, i, ir_type_row(t0));
  }
  case IR_OP_RETURN:
    if (i->next)
      return fail(v, i, "return must be the last instruction");
    if (!ir_type_equal(t0, &f->result))
      return fail(v, i, "returns %s but the function returns %s", tstr(t0, a), tstr(&f->result, b));
    return true;
  case IR_OP_COUNT:
    break;
  }
  return fail(v, i, "unknown opcode %d", (int)i->op);
}

/* The kernel name for the weight layout `storage` (a packed layout name, or
 * the encoding for GGUF storage) and a variant: <prefix><storage>_<v>, <v> a
 * non-empty name without '_'; the prefix is gqcrt_linear_ (matrix-vector)
 * or gqcrt_gemm_ (matrix-matrix, a linear on a batch of rows). */
static bool kernel_reads_storage(const char *kernel, const char *prefix, const char *storage) {
  const size_t p = strlen(prefix), n = strlen(storage);
  if (strncmp(kernel, prefix, p) || strncmp(kernel + p, storage, n) || kernel[p + n] != '_')
    return false;
  const char *variant = kernel + p + n + 1;
  return *variant && !strchr(variant, '_');
}

/* Whether kernel is gqcrt_embed_<storage>, the row reader of a packed
 * embedding table. */
static bool embed_reads_storage(const char *kernel, const char *storage) {
  return !strncmp(kernel, "gqcrt_embed_", 12) && !strcmp(kernel + 12, storage);
}

/* Operands that are weights in a packed layout, and linears' and embeds'
 * kernels against their weight's layout. */
static bool check_weight_layouts(verifier *v, const ir_inst *i) {
  const ir_module *m = v->m;
  for (int k = 0; k < i->n_operands; k++) {
    const ir_inst *o = i->operands[k];
    if (o->op != IR_OP_WEIGHT || o->ref < 0 || o->ref >= m->n_weights)
      continue;
    const ir_weight *w = &m->weights[o->ref];
    const bool packed = w->storage && strcmp(w->storage, "gguf");
    const char *kernel = ir_attr_str(i, "kernel", NULL);
    const bool is_linear_weight = i->op == IR_OP_LINEAR && k == 1;
    const char *prefix =
        i->op == IR_OP_LINEAR && i->operands[0]->type.rank == 2 ? "gqcrt_gemm_" : "gqcrt_linear_";
    const bool is_embed_table = i->op == IR_OP_EMBED && k == 0;
    if (packed && !is_linear_weight && !is_embed_table)
      return fail(v, i,
                  "operand %d is weight @%s, stored as %s, which only a linear or an embed can "
                  "read",
                  k + 1, w->name, w->storage);
    if (packed && is_embed_table && (!kernel || !embed_reads_storage(kernel, w->storage)))
      return fail(v, i,
                  "weight @%s is stored as %s; kernel %s%s%s cannot read it as a table (expected "
                  "gqcrt_embed_%s)",
                  w->name, w->storage, kernel ? "\"" : "(none)", kernel ? kernel : "",
                  kernel ? "\"" : "", w->storage);
    if (is_embed_table) {
      if (!packed && kernel && !strncmp(kernel, "gqcrt_embed_", 12))
        return fail(v, i,
                    "weight @%s is stored as in the GGUF file; kernel \"%s\" reads a packed "
                    "table (expected gqcrt_dequantize_%s)",
                    w->name, kernel, ir_dtype_get(w->type.dtype)->name);
      continue;
    }
    if (packed && (!kernel || !kernel_reads_storage(kernel, prefix, w->storage)))
      return fail(v, i,
                  "weight @%s is stored as %s; kernel %s%s%s cannot read it (expected "
                  "%s%s_<variant>)",
                  w->name, w->storage, kernel ? "\"" : "(none)", kernel ? kernel : "",
                  kernel ? "\"" : "", prefix, w->storage);
    if (!packed && is_linear_weight && kernel &&
        !kernel_reads_storage(kernel, prefix, ir_dtype_get(w->type.dtype)->name))
      return fail(v, i,
                  "weight @%s is stored as in the GGUF file; kernel \"%s\" is not a "
                  "%s%s_<variant> kernel",
                  w->name, kernel, prefix, ir_dtype_get(w->type.dtype)->name);
  }
  return true;
}

/* Clears the numbering of every function's values: an operand counts as
 * defined only once the walk of its own function numbered it. */
static void unnumber_all(const ir_module *m) {
  for (int k = 0; k < m->n_funcs; k++) {
    const ir_func *g = m->funcs[k];
    for (int p = 0; p < g->n_params; p++)
      g->params[p]->id = -1;
    ir_for_each_inst(g, i) i->id = -1;
  }
}

static bool verify_func(verifier *v, const ir_func *f) {
  const ir_module *m = v->m;
  v->f = f;
  char a[128];
  unnumber_all(m);
  if (f->batch < 0 || (f->batch > 0) != (f->rows != NULL))
    return fail(v, NULL, "function @%s: 'batch' and 'rows' go together", f->name);
  /* Number params and instructions; an operand is valid when it was numbered
   * earlier in this walk. */
  int n = 0;
  bool rows_is_param = false;
  for (int p = 0; p < f->n_params; p++) {
    ir_inst *pi = f->params[p];
    pi->id = n++;
    rows_is_param |= pi == f->rows;
    const bool tokens = f->batch > 0 && pi->type.dtype == IR_I32 && pi->type.rank == 1 &&
                        pi->type.dims[0] == f->batch;
    if (!is_i32_scalar(&pi->type) && !tokens)
      return fail(v, pi, "parameters must be i32 scalars%s, not %s",
                  f->batch > 0 ? " or i32[batch] token vectors" : "", tstr(&pi->type, a));
  }
  if (f->rows && (!rows_is_param || !is_i32_scalar(&f->rows->type)))
    return fail(v, NULL, "function @%s: 'rows' must name an i32 scalar parameter", f->name);
  bool saw_return = false;
  ir_for_each_inst(f, i) {
    const ir_op_info *oi = ir_op_get(i->op);
    if (!oi)
      return fail(v, i, "unknown opcode %d", (int)i->op);
    if (i->n_operands < oi->min_operands || i->n_operands > oi->max_operands)
      return fail(v, i, "takes %d to %d operands, has %d", oi->min_operands, oi->max_operands,
                  i->n_operands);
    for (int k = 0; k < i->n_operands; k++) {
      const ir_inst *o = i->operands[k];
      if (!o || o->id < 0 || !o->has_result)
        return fail(v, i, "operand %d is not defined before its use", k + 1);
    }
    if (!check_attrs(v, i) || !check_types(v, f, i) || !check_weight_layouts(v, i))
      return false;
    if (i->offset >= 0 && m->arena_bytes >= 0) {
      int64_t bytes = ir_type_bytes(&i->type);
      if (bytes < 0 || i->offset + bytes > m->arena_bytes)
        return fail(v, i,
                    "arena range [%" PRId64 ", +%" PRId64 ") is outside the arena (%" PRId64
                    " bytes)",
                    i->offset, bytes, m->arena_bytes);
    }
    saw_return |= i->op == IR_OP_RETURN;
    i->id = n++;
  }
  if (!saw_return)
    return fail(v, NULL, "function @%s has no return", f->name);
  return true;
}

bool ir_verify(const ir_module *m, const char *stage, gqc_diag *d) {
  verifier v = {m, stage, d, NULL};
  if (!m->n_funcs)
    return fail(&v, NULL, "the module has no function");
  for (int k = 0; k < m->n_weights; k++) {
    const ir_weight *w = &m->weights[k];
    int64_t bytes = ir_type_bytes(&w->type);
    if (bytes < 0 || (uint64_t)bytes != w->nbytes)
      return fail(&v, NULL, "weight @%s: %" PRIu64 " bytes do not match its type", w->name,
                  w->nbytes);
    /* A packed layout is one of its own encoding: "<encoding>_<packing>". */
    const char *enc = ir_dtype_get(w->type.dtype)->name;
    if (w->storage && strcmp(w->storage, "gguf") &&
        (strncmp(w->storage, enc, strlen(enc)) || w->storage[strlen(enc)] != '_' ||
         !w->storage[strlen(enc) + 1]))
      return fail(&v, NULL,
                  "weight @%s: storage %s is not a layout of its encoding %s (expected "
                  "gguf or %s_<packing>)",
                  w->name, w->storage, enc, enc);
  }
  for (int k = 0; k < m->n_funcs; k++)
    if (!verify_func(&v, m->funcs[k]))
      return false;
  return true;
}
