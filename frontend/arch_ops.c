/* arch_ops.c — a description's tensor operations, lowered to IR.
 *
 * Each built-in operation (embed, rms_norm, layer_norm, matmul, transpose,
 * add, mul, scale, rope, attention, causal_conv, silu, gelu, softcap,
 * softmax, slice) and
 * each operator on
 * tensors (+ * / and unary -) appends one IR instruction to the function
 * being built (@decode, or @prefill in batch mode), after
 * checking its operands' shapes the way ir_verify.c will — but reporting at
 * the description's line and column, in the description's terms. Weight
 * handles become `weight` instructions at each use.
 *
 * Batch mode (@prefill, arch_lower.c): the token parameter is an i32[B]
 * vector, so embed gives a [B, D] batch of rows, and every operation on it
 * gives rows of the length the vector form would (the IR's row-batched
 * forms, ir_ops.def). The description still speaks of vectors: shape checks
 * compare row lengths, and a vector operand of add/mul (a bias, a norm
 * weight) applies to every row.
 *
 * causal_conv() creates the layer's state buffer conv_state.<l>, [L - 1, n].
 * attention() also creates the layer's two cache buffers in the module:
 * [rows, n_head_kv * head_dim] of the requested KV type, rows = n_ctx, or
 * for a sliding-window layer min(window + batch - 1, n_ctx) (the runtime
 * stores position p in row p % rows; a prefill step stores its up to `batch`
 * rows before attending, so the ring keeps batch - 1 rows beyond the window).
 *
 * Naming: instructions are numbered (ir_inst.id) in creation order so that
 * an assignment can tell which values its right-hand side created; the set
 * of names in use keeps every value name unique.
 */
#include "frontend/arch_interp.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- instructions and names --------------------------------------------- */
ir_inst *arch_emit(arch_interp *in, ir_opcode op, ir_type type, int n, ir_inst *const *operands) {
  ir_inst *i = ir_build(in->m, in->f, op, type, n, operands);
  i->id = in->seq++;
  return i;
}

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static bool name_used(const arch_interp *in, const char *s) {
  if (!in->names_cap)
    return false;
  for (size_t k = hash_str(s) & (in->names_cap - 1);; k = (k + 1) & (in->names_cap - 1)) {
    if (!in->names[k])
      return false;
    if (!strcmp(in->names[k], s))
      return true;
  }
}

static void name_insert(arch_interp *in, const char *s) {
  if (2 * (in->n_names + 1) > in->names_cap) {
    size_t cap = in->names_cap ? in->names_cap * 2 : 256;
    const char **nt = calloc(cap, sizeof *nt);
    if (!nt) {
      fputs("gqc: out of memory\n", stderr);
      exit(70);
    }
    for (size_t k = 0; k < in->names_cap; k++) {
      if (!in->names[k])
        continue;
      size_t j = hash_str(in->names[k]) & (cap - 1);
      while (nt[j])
        j = (j + 1) & (cap - 1);
      nt[j] = in->names[k];
    }
    free(in->names);
    in->names = nt;
    in->names_cap = cap;
  }
  size_t j = hash_str(s) & (in->names_cap - 1);
  while (in->names[j])
    j = (j + 1) & (in->names_cap - 1);
  in->names[j] = s;
  in->n_names++;
}

const char *arch_unique_name(arch_interp *in, const char *base) {
  char buf[200];
  snprintf(buf, sizeof buf, "%s", base);
  for (int n = 2; name_used(in, buf); n++)
    snprintf(buf, sizeof buf, "%s_%d", base, n);
  const char *s = ir_strdup(in->m, buf);
  name_insert(in, s);
  return s;
}

void arch_loop_suffix(const arch_interp *in, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = 0;
  for (int k = 0; k < in->n_loops && n < size; k++)
    n += (size_t)snprintf(buf + n, size - n, ".%" PRId64, in->loop_idx[k]);
}

/* ---- operands ----------------------------------------------------------- */
bool arch_as_tensor(arch_interp *in, const arch_value *v, arch_loc loc, const char *what,
                    ir_inst **out) {
  if (v->kind == AV_TENSOR) {
    *out = v->t;
    return true;
  }
  if (v->kind == AV_WEIGHT)
    return arch_weight_inst(in, v, loc, out);
  char k[128];
  return arch_fail(in, loc, "%s needs a tensor, got %s", what, arch_value_kind_str(v, k, sizeof k));
}

static const char *type_str(const ir_inst *t, char *buf) {
  return ir_type_str(&t->type, buf, 96);
}

/* Whether t is a batch of rows: in batch mode (@prefill), an activation
 * [batch, n] holding one row per token. Weights are never rows. */
static bool is_rows(const arch_interp *in, const ir_inst *t) {
  return in->batch > 0 && t->type.rank == 2 && t->type.dims[0] == in->batch &&
         t->op != IR_OP_WEIGHT && t->op != IR_OP_CACHE && t->op != IR_OP_TRANSPOSE;
}

/* The length of a vector, or of each row of a batch. */
static int64_t row_len(const ir_inst *t) {
  return t->type.dims[t->type.rank - 1];
}

/* An f32 activation of n elements shaped like `like`: a vector, or (batch
 * mode) a batch of rows of n elements. */
static ir_type shaped_like(const ir_inst *like, int64_t n) {
  return like->type.rank == 2 ? ir_type_mat(IR_F32, like->type.dims[0], n) : ir_type_vec(IR_F32, n);
}

/* The description's activations are vectors; in batch mode each is a batch
 * of rows of that vector's length, so shape errors still read in vectors. */
static bool want_vec(arch_interp *in, const ir_inst *t, arch_loc loc, const char *op,
                     const char *what) {
  if ((t->type.rank == 1 || is_rows(in, t)) && t->type.dtype == IR_F32)
    return true;
  char b[96];
  return arch_fail(in, loc, "%s: %s must be an f32 vector, got %s", op, what, type_str(t, b));
}

static bool want_index(arch_interp *in, const ir_inst *t, arch_loc loc, const char *op,
                       const char *what) {
  if (t->type.rank == 0 && t->type.dtype == IR_I32)
    return true;
  char b[96];
  return arch_fail(in, loc, "%s: %s must be an i32 scalar (a graph parameter), got %s", op, what,
                   type_str(t, b));
}

/* Location of a call's argument: positional k, or keyword `name`. */
static arch_loc arg_loc(const arch_expr *call, int k, const char *name) {
  int i = 0;
  for (const arch_arg *a = call->args; a; a = a->next) {
    if (name ? a->name && !strcmp(a->name, name) : !a->name && i++ == k)
      return a->loc;
  }
  return call->loc;
}

typedef struct op_args {
  arch_interp *in;
  const arch_builtin *b;
  const arch_expr *call;
  const arch_value *kw;
  const bool *kw_set;
} op_args;

static bool kw_present(const op_args *a, const char *name) {
  int k = arch_builtin_kwarg(a->b, name);
  return k >= 0 && a->kw_set[k];
}

static bool kw_num(const op_args *a, const char *name, double dflt, double *out) {
  int k = arch_builtin_kwarg(a->b, name);
  if (k < 0 || !a->kw_set[k]) {
    *out = dflt;
    return true;
  }
  const arch_value *v = &a->kw[k];
  if (v->kind == AV_INT)
    *out = (double)v->i;
  else if (v->kind == AV_FLOAT)
    *out = v->f;
  else {
    char kb[128];
    return arch_fail(a->in, arg_loc(a->call, 0, name), "%s(): '%s' must be a number, got %s",
                     a->b->name, name, arch_value_kind_str(v, kb, sizeof kb));
  }
  return true;
}

static bool kw_int(const op_args *a, const char *name, int64_t dflt, int64_t lo, int64_t *out) {
  int k = arch_builtin_kwarg(a->b, name);
  if (k < 0 || !a->kw_set[k]) {
    *out = dflt;
    return true;
  }
  const arch_value *v = &a->kw[k];
  char kb[128];
  if (v->kind != AV_INT)
    return arch_fail(a->in, arg_loc(a->call, 0, name), "%s(): '%s' must be an int, got %s",
                     a->b->name, name, arch_value_kind_str(v, kb, sizeof kb));
  if (v->i < lo || v->i > INT32_MAX)
    return arch_fail(a->in, arg_loc(a->call, 0, name),
                     "%s(): '%s' is %" PRId64 " (must be between %" PRId64 " and %d)", a->b->name,
                     name, v->i, lo, INT32_MAX);
  *out = v->i;
  return true;
}

/* ---- operations --------------------------------------------------------- */
static bool build_unary(arch_interp *in, ir_opcode op, const char *name, ir_inst *x, arch_loc loc,
                        ir_inst **out) {
  if (!want_vec(in, x, loc, name, "the operand"))
    return false;
  *out = arch_emit(in, op, x->type, 1, &x);
  return true;
}

static bool build_scale(arch_interp *in, ir_inst *x, double s, arch_loc loc, ir_inst **out) {
  if (!want_vec(in, x, loc, "scale", "the operand"))
    return false;
  if (!isfinite(s))
    return arch_fail(in, loc, "scale: the factor is not a finite number");
  ir_inst *i = arch_emit(in, IR_OP_SCALE, x->type, 1, &x);
  ir_attr_set_float(in->m, i, "s", s);
  *out = i;
  return true;
}

/* add/mul: two f32 vectors of one length; a weight goes second. In batch
 * mode a vector (a bias, a norm weight) meets a batch of rows: it goes
 * second too and applies to every row (both ops commute exactly). */
static bool build_elementwise(arch_interp *in, ir_opcode op, const arch_value *a,
                              const arch_value *b, arch_loc loc, arch_value *out) {
  const char *name = op == IR_OP_ADD ? "add" : "mul";
  if (a->kind == AV_WEIGHT && b->kind == AV_TENSOR) {
    const arch_value *t = a;
    a = b;
    b = t;
  }
  ir_inst *x, *y;
  if (!arch_as_tensor(in, a, loc, name, &x) || !arch_as_tensor(in, b, loc, name, &y))
    return false;
  if (x->type.rank == 1 && is_rows(in, y)) {
    ir_inst *t = x;
    x = y;
    y = t;
  }
  char bx[96], by[96];
  bool vx = x->type.rank == 1 || is_rows(in, x), vy = y->type.rank == 1 || is_rows(in, y);
  if (!vx || !vy || x->type.dtype != IR_F32 || y->type.dtype != IR_F32 || row_len(x) != row_len(y))
    return arch_fail(in, loc, "%s: operands must be f32 vectors of one length, got %s and %s", name,
                     type_str(x, bx), type_str(y, by));
  ir_inst *ops[2] = {x, y};
  *out = arch_tensor(arch_emit(in, op, shaped_like(x, row_len(x)), 2, ops));
  return true;
}

bool arch_tensor_binary(arch_interp *in, int op, const arch_value *a, const arch_value *b,
                        arch_loc loc, arch_value *out) {
  bool ta = a->kind == AV_TENSOR || a->kind == AV_WEIGHT;
  bool tb = b->kind == AV_TENSOR || b->kind == AV_WEIGHT;
  bool nb = b->kind == AV_INT || b->kind == AV_FLOAT;
  bool na = a->kind == AV_INT || a->kind == AV_FLOAT;
  double sb = b->kind == AV_INT ? (double)b->i : b->f;
  double sa = a->kind == AV_INT ? (double)a->i : a->f;
  char ka[128], kb[128];
  ir_inst *x, *r;
  switch (op) {
  case '+':
    if (ta && tb)
      return build_elementwise(in, IR_OP_ADD, a, b, loc, out);
    break;
  case '*':
    if (ta && tb)
      return build_elementwise(in, IR_OP_MUL, a, b, loc, out);
    if (ta && nb) {
      if (!arch_as_tensor(in, a, loc, "'*'", &x) || !build_scale(in, x, sb, loc, &r))
        return false;
      *out = arch_tensor(r);
      return true;
    }
    if (na && tb) {
      if (!arch_as_tensor(in, b, loc, "'*'", &x) || !build_scale(in, x, sa, loc, &r))
        return false;
      *out = arch_tensor(r);
      return true;
    }
    break;
  case '/':
    if (ta && nb) {
      if (sb == 0)
        return arch_fail(in, loc, "division of a tensor by zero");
      if (!arch_as_tensor(in, a, loc, "'/'", &x) || !build_scale(in, x, 1.0 / sb, loc, &r))
        return false;
      *out = arch_tensor(r);
      return true;
    }
    break;
  case '-':
    return arch_fail(in, loc,
                     "'-' on tensors has no IR operation (tensors support +, *, / by a number "
                     "and unary -)");
  default:
    break;
  }
  return arch_fail(in, loc, "'%s' between %s and %s has no IR operation", arch_op_str(op),
                   arch_value_kind_str(a, ka, sizeof ka), arch_value_kind_str(b, kb, sizeof kb));
}

bool arch_tensor_negate(arch_interp *in, const arch_value *a, arch_loc loc, arch_value *out) {
  ir_inst *x, *r;
  if (!arch_as_tensor(in, a, loc, "'-'", &x) || !build_scale(in, x, -1.0, loc, &r))
    return false;
  *out = arch_tensor(r);
  return true;
}

static bool op_embed(op_args *a, ir_inst *table, ir_inst *tok, ir_inst **out) {
  arch_interp *in = a->in;
  char b[96];
  if (table->type.rank != 2 || table->type.layout != IR_LAYOUT_ROWMAJOR ||
      table->op != IR_OP_WEIGHT || ir_attr_get(table, "first_row"))
    return arch_fail(in, arg_loc(a->call, 0, NULL),
                     "embed: the table must be a whole weight matrix [n_vocab, n_embd], got %s%s",
                     type_str(table, b), ir_attr_get(table, "first_row") ? ", a slice" : "");
  /* batch mode: the token parameter is the batch's i32[batch] ids */
  bool tokens = in->batch > 0 && tok->op == IR_OP_PARAM && tok->type.dtype == IR_I32 &&
                tok->type.rank == 1 && tok->type.dims[0] == in->batch;
  if (!tokens && !want_index(in, tok, arg_loc(a->call, 1, NULL), "embed", "the token"))
    return false;
  ir_inst *ops[2] = {table, tok};
  ir_type t = tokens ? ir_type_mat(IR_F32, in->batch, table->type.dims[1])
                     : ir_type_vec(IR_F32, table->type.dims[1]);
  *out = arch_emit(in, IR_OP_EMBED, t, 2, ops);
  return true;
}

/* rms_norm(x, w) and layer_norm(x, w, b): x and n_params optional f32
 * vectors of the group's length (the weight, then the bias). */
static bool op_norm(op_args *a, ir_opcode op, ir_inst *x, ir_inst *const *params, int n_params,
                    ir_inst **out) {
  arch_interp *in = a->in;
  const char *name = a->b->name;
  static const char *const what[2] = {"weight", "bias"};
  char b[96];
  if (!want_vec(in, x, arg_loc(a->call, 0, NULL), name, "the input"))
    return false;
  for (int k = 0; k < n_params; k++)
    if (params[k]->type.rank != 1 || params[k]->type.dtype != IR_F32)
      return arch_fail(in, arg_loc(a->call, k + 1, NULL), "%s: the %s must be f32[n], got %s", name,
                       what[k], type_str(params[k], b));
  double eps;
  int64_t n = row_len(x), group;
  if (!kw_num(a, "eps", 0, &eps) ||
      !kw_int(a, "group", n_params ? params[0]->type.dims[0] : n, 1, &group))
    return false;
  if (!(eps >= 0) || !isfinite(eps))
    return arch_fail(in, arg_loc(a->call, 0, "eps"), "%s: eps must be a non-negative number", name);
  if (n % group)
    return arch_fail(in, a->call->loc,
                     "%s: the group size %" PRId64 " does not divide the length %" PRId64, name,
                     group, n);
  for (int k = 0; k < n_params; k++)
    if (params[k]->type.dims[0] != group)
      return arch_fail(in, arg_loc(a->call, k + 1, NULL),
                       "%s: the %s has %" PRId64 " elements, but the %s is %" PRId64, name, what[k],
                       params[k]->type.dims[0], kw_present(a, "group") ? "group" : "input", group);
  ir_inst *ops[3] = {x, n_params > 0 ? params[0] : NULL, n_params > 1 ? params[1] : NULL};
  ir_inst *i = arch_emit(in, op, x->type, 1 + n_params, ops);
  ir_attr_set_float(in->m, i, "eps", eps);
  if (group != n)
    ir_attr_set_int(in->m, i, "group", group);
  *out = i;
  return true;
}

static bool op_matmul(op_args *a, ir_inst *x, ir_inst *m, ir_inst **out) {
  arch_interp *in = a->in;
  char bx[96], bm[96];
  if (!want_vec(in, x, arg_loc(a->call, 0, NULL), "matmul", "the left operand"))
    return false;
  if (m->type.rank != 2)
    return arch_fail(in, arg_loc(a->call, 1, NULL),
                     "matmul: the right operand must be a matrix, got %s", type_str(m, bm));
  if (m->type.dims[0] != row_len(x)) {
    bool hint = m->type.dims[1] == row_len(x);
    return arch_fail(in, a->call->loc, "matmul: %s times %s: the matrix needs %" PRId64 " rows%s",
                     type_str(x, bx), type_str(m, bm), row_len(x),
                     hint ? " (a weight [out, in] is used as matmul(x, transpose(w)))" : "");
  }
  ir_inst *ops[2] = {x, m};
  *out = arch_emit(in, IR_OP_MATMUL, shaped_like(x, m->type.dims[1]), 2, ops);
  return true;
}

static bool op_transpose(op_args *a, ir_inst *w, ir_inst **out) {
  char b[96];
  if (w->type.rank != 2)
    return arch_fail(a->in, arg_loc(a->call, 0, NULL), "transpose: needs a matrix, got %s",
                     type_str(w, b));
  ir_type t = ir_type_mat(w->type.dtype, w->type.dims[1], w->type.dims[0]);
  t.layout = w->type.layout;
  *out = arch_emit(a->in, IR_OP_TRANSPOSE, t, 1, &w);
  return true;
}

static bool op_rope(op_args *a, ir_inst *x, ir_inst *pos, ir_inst **out) {
  arch_interp *in = a->in;
  if (!want_vec(in, x, arg_loc(a->call, 0, NULL), "rope", "the input") ||
      !want_index(in, pos, arg_loc(a->call, 1, NULL), "rope", "the position"))
    return false;
  int mode_k = arch_builtin_kwarg(a->b, "mode");
  const arch_value *mv = &a->kw[mode_k];
  int64_t mode;
  if (mv->kind == AV_STR && !strcmp(mv->s, "normal"))
    mode = 0;
  else if (mv->kind == AV_STR && !strcmp(mv->s, "neox"))
    mode = 2;
  else
    return arch_fail(in, arg_loc(a->call, 0, "mode"),
                     "rope: mode must be \"normal\" (pairs 2i, 2i+1) or \"neox\" (pairs i, "
                     "i + n_rot/2)");
  int64_t hd, n_rot;
  double base, freq_scale;
  if (!kw_int(a, "head_dim", 0, 1, &hd) || !kw_num(a, "base", 0, &base) ||
      !kw_num(a, "freq_scale", 1.0, &freq_scale))
    return false;
  if (!kw_int(a, "n_rot", hd, 1, &n_rot))
    return false;
  int64_t n = row_len(x);
  if (n % hd)
    return arch_fail(in, arg_loc(a->call, 0, "head_dim"),
                     "rope: head_dim %" PRId64 " does not divide the input length %" PRId64, hd, n);
  if (n_rot > hd || n_rot % 2)
    return arch_fail(in, kw_present(a, "n_rot") ? arg_loc(a->call, 0, "n_rot") : a->call->loc,
                     "rope: n_rot %" PRId64 " must be even and at most head_dim %" PRId64, n_rot,
                     hd);
  if (!(base > 0) || !isfinite(base))
    return arch_fail(in, arg_loc(a->call, 0, "base"), "rope: base must be positive");
  if (!(freq_scale > 0) || !isfinite(freq_scale))
    return arch_fail(in, arg_loc(a->call, 0, "freq_scale"), "rope: freq_scale must be positive");
  double attn_factor;
  if (!kw_num(a, "attn_factor", 1.0, &attn_factor))
    return false;
  if (!(attn_factor > 0) || !isfinite(attn_factor))
    return arch_fail(in, arg_loc(a->call, 0, "attn_factor"), "rope: attn_factor must be positive");
  ir_inst *ops[3] = {x, pos, NULL};
  if (kw_present(a, "freq_factors")) {
    char b[96];
    const arch_loc floc = arg_loc(a->call, 0, "freq_factors");
    if (!arch_as_tensor(in, &a->kw[arch_builtin_kwarg(a->b, "freq_factors")], floc,
                        "rope's freq_factors", &ops[2]))
      return false;
    if (ops[2]->type.rank != 1 || ops[2]->type.dtype != IR_F32 || ops[2]->type.dims[0] != n_rot / 2)
      return arch_fail(in, floc, "rope: freq_factors must be f32[%" PRId64 "] (n_rot / 2), got %s",
                       n_rot / 2, type_str(ops[2], b));
  }
  ir_inst *i = arch_emit(in, IR_OP_ROPE, x->type, ops[2] ? 3 : 2, ops);
  ir_attr_set_int(in->m, i, "mode", mode);
  ir_attr_set_int(in->m, i, "head_dim", hd);
  ir_attr_set_int(in->m, i, "n_rot", n_rot);
  ir_attr_set_float(in->m, i, "base", base);
  ir_attr_set_float(in->m, i, "freq_scale", freq_scale);
  if (attn_factor != 1.0)
    ir_attr_set_float(in->m, i, "attn_factor", attn_factor);
  *out = i;
  return true;
}

/* A `cache` instruction for this layer's persistent buffer <base><loop
 * indices><part> (kv.3.k, conv.3), added to the module on first use.
 * @prefill runs the statements @decode ran, so it names the same buffers:
 * the state both functions fill and read. */
static bool layer_buffer(arch_interp *in, const char *base, const char *part, ir_type type,
                         arch_loc loc, ir_inst **out) {
  char suffix[96], name[160];
  arch_loop_suffix(in, suffix, sizeof suffix);
  snprintf(name, sizeof name, "%s%s%s", base, suffix, part);
  const char *cname = arch_unique_name(in, name);
  int ci = ir_module_find_cache(in->m, cname);
  if (in->batch > 0 && (ci < 0 || !ir_type_equal(&in->m->caches[ci].type, &type)))
    return arch_fail(in, loc, "internal error: the batched graph has no buffer @%s like @decode's",
                     cname);
  if (ci < 0)
    ci = ir_module_add_cache(in->m, cname, type);
  ir_inst *c = arch_emit(in, IR_OP_CACHE, type, 0, NULL);
  c->ref = ci;
  c->name = cname;
  *out = c;
  return true;
}

/* causal_conv(x, w, pos): LFM2's short convolution over the positions, taps
 * w [n, L] per channel; creates the layer's state buffer conv_state.<l>. */
static bool op_causal_conv(op_args *a, ir_inst *x, ir_inst *w, ir_inst *pos, ir_inst **out) {
  arch_interp *in = a->in;
  char b[96];
  if (!want_vec(in, x, arg_loc(a->call, 0, NULL), "causal_conv", "the input") ||
      !want_index(in, pos, arg_loc(a->call, 2, NULL), "causal_conv", "the position"))
    return false;
  if (w->op != IR_OP_WEIGHT || w->type.dtype != IR_F32 || w->type.rank != 2 ||
      w->type.dims[0] != row_len(x) || w->type.dims[1] < 2)
    return arch_fail(in, arg_loc(a->call, 1, NULL),
                     "causal_conv: the taps must be an f32 weight [%" PRId64
                     " channels, L >= 2 taps], got %s",
                     row_len(x), type_str(w, b));
  ir_inst *ops[4] = {x, w, NULL, pos};
  if (!layer_buffer(in, "conv_state", "", ir_type_mat(IR_F32, w->type.dims[1] - 1, row_len(x)),
                    a->call->loc, &ops[2]))
    return false;
  *out = arch_emit(in, IR_OP_CAUSAL_CONV, x->type, 4, ops);
  return true;
}

static bool op_attention(op_args *a, ir_inst *q, ir_inst *k, ir_inst *v, ir_inst *pos,
                         ir_inst **out) {
  arch_interp *in = a->in;
  char b[96];
  const char *names[3] = {"q", "k", "v"};
  ir_inst *qkv[3] = {q, k, v};
  for (int j = 0; j < 3; j++)
    if (!want_vec(in, qkv[j], arg_loc(a->call, j, NULL), "attention", names[j]))
      return false;
  if (!want_index(in, pos, arg_loc(a->call, 3, NULL), "attention", "the position"))
    return false;
  int64_t h, hkv, hd, window;
  double scale;
  if (!kw_int(a, "n_head", 0, 1, &h) || !kw_int(a, "n_head_kv", 0, 1, &hkv) ||
      !kw_int(a, "head_dim", 0, 1, &hd) || !kw_num(a, "scale", 0, &scale) ||
      !kw_int(a, "window", 0, 0, &window))
    return false;
  if (h % hkv)
    return arch_fail(in, arg_loc(a->call, 0, "n_head_kv"),
                     "attention: n_head %" PRId64 " is not a multiple of n_head_kv %" PRId64, h,
                     hkv);
  if (!isfinite(scale) || scale <= 0)
    return arch_fail(in, arg_loc(a->call, 0, "scale"), "attention: scale must be positive");
  double softcap;
  if (!kw_num(a, "softcap", 0, &softcap))
    return false;
  if (!(softcap >= 0) || !isfinite((float)softcap))
    return arch_fail(in, arg_loc(a->call, 0, "softcap"),
                     "attention: softcap must be a finite number >= 0 (0: no soft-capping)");
  if (row_len(q) != h * hd)
    return arch_fail(in, arg_loc(a->call, 0, NULL),
                     "attention: q is %s, but n_head * head_dim = %" PRId64, type_str(q, b),
                     h * hd);
  for (int j = 1; j < 3; j++)
    if (row_len(qkv[j]) != hkv * hd)
      return arch_fail(in, arg_loc(a->call, j, NULL),
                       "attention: %s is %s, but n_head_kv * head_dim = %" PRId64, names[j],
                       type_str(qkv[j], b), hkv * hd);
  /* batch mode: k and v of every token are stored, so all three are rows */
  for (int j = 1; j < 3; j++)
    if (qkv[j]->type.rank != q->type.rank)
      return arch_fail(in, arg_loc(a->call, j, NULL),
                       "attention: %s is %s but q is %s: in a batch of tokens (@prefill) q, k "
                       "and v must all depend on the token",
                       names[j], type_str(qkv[j], b), type_str(q, b));
  ir_dtype kv = in->opts->kv_type;
  if (kv != IR_F32 && kv != IR_F16)
    return arch_fail(in, a->call->loc, "attention: the KV cache type must be f32 or f16, not %s",
                     ir_dtype_get(kv)->name);
  const int64_t batch = in->opts->batch > 1 ? in->opts->batch : 1;
  int64_t rows = window > 0 && window + batch - 1 < in->n_ctx ? window + batch - 1 : in->n_ctx;
  ir_type ct = ir_type_mat(kv, rows, hkv * hd);
  ir_inst *caches[2];
  if (!layer_buffer(in, "kv", ".k", ct, a->call->loc, &caches[0]) ||
      !layer_buffer(in, "kv", ".v", ct, a->call->loc, &caches[1]))
    return false;
  ir_inst *ops[6] = {q, k, v, caches[0], caches[1], pos};
  ir_inst *i = arch_emit(in, IR_OP_ATTENTION, q->type, 6, ops);
  ir_attr_set_int(in->m, i, "n_head", h);
  ir_attr_set_int(in->m, i, "n_head_kv", hkv);
  ir_attr_set_int(in->m, i, "head_dim", hd);
  ir_attr_set_float(in->m, i, "scale", scale);
  ir_attr_set_int(in->m, i, "window", window);
  if (softcap > 0)
    ir_attr_set_float(in->m, i, "softcap", softcap);
  *out = i;
  return true;
}

/* slice(x, start, length): elements start .. start + length - 1 of a vector
 * (a view; in batch mode those of every row), or that range of rows of a
 * weight (of elements of a weight vector): a view of the same bytes, a
 * fused weight used as its parts (ir_ops.def). */
static bool op_slice(arch_interp *in, const arch_expr *call, const arch_value *pos, ir_inst **out) {
  int64_t range[2];
  for (int k = 0; k < 2; k++) {
    char kb[128];
    if (pos[k + 1].kind != AV_INT)
      return arch_fail(in, arg_loc(call, k + 1, NULL), "slice: the %s must be an int, got %s",
                       k ? "length" : "start", arch_value_kind_str(&pos[k + 1], kb, sizeof kb));
    range[k] = pos[k + 1].i;
  }
  const int64_t start = range[0], len = range[1];
  if (pos[0].kind == AV_WEIGHT)
    return arch_weight_rows(in, &pos[0], call->loc, start, len, out);
  ir_inst *x;
  if (!arch_as_tensor(in, &pos[0], arg_loc(call, 0, NULL), "slice", &x))
    return false;
  char b[96];
  if (x->op == IR_OP_WEIGHT) { /* a view of a view */
    const int64_t base = ir_weight_first_row(x);
    if (start < 0 || len < 1 || start > x->type.dims[0] - len)
      return arch_fail(
          in, call->loc, "slice: %s %" PRId64 " .. %" PRId64 " are not all in the weight %s",
          x->type.rank == 1 ? "elements" : "rows", start, start + len - 1, type_str(x, b));
    ir_type t = x->type;
    t.dims[0] = len;
    ir_inst *v = arch_emit(in, IR_OP_WEIGHT, t, 0, NULL);
    v->ref = x->ref;
    v->name = arch_unique_name(in, x->name ? x->name : "w");
    ir_attr_set_int(in->m, v, "first_row", base + start);
    *out = v;
    return true;
  }
  if (!want_vec(in, x, arg_loc(call, 0, NULL), "slice", "the input"))
    return false;
  if (start < 0 || len < 1 || start > row_len(x) - len)
    return arch_fail(in, call->loc,
                     "slice: elements %" PRId64 " .. %" PRId64
                     " are not all in %s (a vector of %" PRId64 ")",
                     start, start + len - 1, type_str(x, b), row_len(x));
  ir_inst *i = arch_emit(in, IR_OP_SLICE, shaped_like(x, len), 1, &x);
  ir_attr_set_int(in->m, i, "start", start);
  *out = i;
  return true;
}

bool arch_call_op(arch_interp *in, const arch_builtin *b, const arch_expr *call, arch_value *pos,
                  int n_pos, const arch_value *kw, const bool *kw_set, arch_value *out) {
  op_args a = {in, b, call, kw, kw_set};
  /* add/mul keep weights as the second operand; handle them before
   * converting operands. */
  if (b->id == ABI_ADD || b->id == ABI_MUL)
    return build_elementwise(in, b->id == ABI_ADD ? IR_OP_ADD : IR_OP_MUL, &pos[0], &pos[1],
                             call->loc, out);
  ir_inst *r = NULL;
  if (b->id == ABI_SLICE) { /* numbers after the tensor; a weight stays a view */
    if (!op_slice(in, call, pos, &r))
      return false;
    *out = arch_tensor(r);
    return true;
  }
  ir_inst *t[4] = {0};
  for (int k = 0; k < n_pos && k < 4; k++)
    if (!arch_as_tensor(in, &pos[k], arg_loc(call, k, NULL), b->name, &t[k]))
      return false;
  bool ok;
  switch (b->id) {
  case ABI_EMBED:
    ok = op_embed(&a, t[0], t[1], &r);
    break;
  case ABI_RMS_NORM:
  case ABI_LAYER_NORM:
    ok = op_norm(&a, b->id == ABI_RMS_NORM ? IR_OP_RMS_NORM : IR_OP_LAYER_NORM, t[0], t + 1,
                 n_pos - 1, &r);
    break;
  case ABI_MATMUL:
    ok = op_matmul(&a, t[0], t[1], &r);
    break;
  case ABI_TRANSPOSE:
    ok = op_transpose(&a, t[0], &r);
    break;
  case ABI_SCALE: {
    double s;
    ok = kw_num(&a, "s", 1.0, &s) && build_scale(in, t[0], s, call->loc, &r);
    break;
  }
  case ABI_ROPE:
    ok = op_rope(&a, t[0], t[1], &r);
    break;
  case ABI_ATTENTION:
    ok = op_attention(&a, t[0], t[1], t[2], t[3], &r);
    break;
  case ABI_CAUSAL_CONV:
    ok = op_causal_conv(&a, t[0], t[1], t[2], &r);
    break;
  case ABI_SILU:
    ok = build_unary(in, IR_OP_SILU, "silu", t[0], call->loc, &r);
    break;
  case ABI_GELU:
    ok = build_unary(in, IR_OP_GELU, "gelu", t[0], call->loc, &r);
    break;
  case ABI_SOFTMAX:
    ok = build_unary(in, IR_OP_SOFTMAX, "softmax", t[0], call->loc, &r);
    break;
  case ABI_SOFTCAP: {
    double cap;
    ok = kw_num(&a, "cap", 0, &cap);
    if (ok && (!(cap > 0) || !isfinite(cap)))
      ok = arch_fail(in, arg_loc(call, 0, "cap"), "softcap: cap must be positive (got %g)", cap);
    if (ok && (ok = build_unary(in, IR_OP_SOFTCAP, "softcap", t[0], call->loc, &r)))
      ir_attr_set_float(in->m, r, "cap", cap);
    break;
  }
  default:
    ok = arch_fail(in, call->loc, "internal error: %s is not a tensor operation", b->name);
  }
  if (!ok)
    return false;
  *out = arch_tensor(r);
  return true;
}
