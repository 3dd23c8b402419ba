/* arch_eval.c — evaluation of expressions and statements of a description.
 *
 * Values are dynamically typed: int (64-bit), float (double), bool, str,
 * GGUF arrays, weight handles and tensors (IR values). Numbers mix the usual
 * way (int op float -> float; int / int truncates); integer overflow,
 * division by zero and mixed-type comparisons are errors at the operator's
 * position. `and`, `or` and `c ? a : b` evaluate lazily, so a guard like
 * `is_array(p) ? p[l] : l % p < p - 1` never indexes a number.
 *
 * Operators on tensors and weights become IR operations (arch_ops.c); calls
 * of built-in tensor operations go there as well. User functions run in a
 * frame of their own (parameters and locals, one flat scope), as does the
 * graph; only the graph's own assignments name IR values: `q = ...` in the
 * body of `for l` names its result %q.<l>.
 */
#include "frontend/arch_interp.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

/* The limits that keep a hostile or mistaken description from running for
 * hours or exhausting memory (docs/arch-language.md, "Limits"). One budget
 * of steps counts all the work: every expression evaluated (a call of an
 * expression-bodied function included), every statement, every loop
 * iteration (of an empty body too), every call, and string work by its
 * length. The built-in descriptions take under 1% of it (FunctionGemma's 18
 * layers, decode and prefill: 27 000 steps, 1.1 MiB). */
#define MAX_STEPS (INT64_C(1) << 22)
#define MAX_CALL_DEPTH 64 /* calls inside calls: recursion */
#define MAX_NESTING 512   /* expressions, statements and calls inside each other */
#define MAX_STRING_BYTES 65536
#define MAX_MEMORY_MIB 128 /* what the description's values and IR take */
#define MAX_LOOP_TRIPS (1 << 20)
#define MAX_INSTRUCTIONS (1 << 20)
#define STRING_BYTES_PER_STEP 64

bool arch_charge(arch_interp *in, arch_loc loc, int64_t cost) {
  in->steps += cost;
  if (in->steps > MAX_STEPS)
    return arch_fail(in, loc,
                     "the description ran more than %" PRId64
                     " evaluation steps (the step limit: every expression, statement, call and "
                     "loop iteration counts; a runaway loop or recursion?)",
                     MAX_STEPS);
  if (in->m->pool_bytes > ((uint64_t)MAX_MEMORY_MIB << 20))
    return arch_fail(in, loc,
                     "the description's strings and IR take more than %d MiB (the memory limit)",
                     MAX_MEMORY_MIB);
  return true;
}

/* One step, one level deeper; leave() undoes the level. */
static bool enter(arch_interp *in, arch_loc loc) {
  if (!arch_charge(in, loc, 1))
    return false;
  if (in->nesting >= MAX_NESTING)
    return arch_fail(in, loc,
                     "expressions, statements and calls nested more than %d deep (the nesting "
                     "limit)",
                     MAX_NESTING);
  in->nesting++;
  return true;
}

static bool leave(arch_interp *in, bool ok) {
  in->nesting--;
  return ok;
}

bool arch_fail(arch_interp *in, arch_loc loc, const char *fmt, ...) {
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return arch_error(in->p, loc, in->d, "%s", msg);
}

arch_value arch_int(int64_t v) {
  return (arch_value){.kind = AV_INT, .i = v};
}
arch_value arch_float(double v) {
  return (arch_value){.kind = AV_FLOAT, .f = v};
}
arch_value arch_bool(bool v) {
  return (arch_value){.kind = AV_BOOL, .b = v};
}
arch_value arch_tensor(ir_inst *t) {
  return (arch_value){.kind = AV_TENSOR, .t = t};
}

const char *arch_value_kind_str(const arch_value *v, char *buf, size_t size) {
  switch (v->kind) {
  case AV_NONE:
    return "nothing";
  case AV_INT:
    return "int";
  case AV_FLOAT:
    return "float";
  case AV_BOOL:
    return "bool";
  case AV_STR:
    return "str";
  case AV_ARRAY:
    return "array";
  case AV_WEIGHT: {
    char w[96];
    snprintf(buf, size, "weight %s", arch_weight_str(v, w, sizeof w));
    return buf;
  }
  case AV_TENSOR: {
    char t[96];
    snprintf(buf, size, "tensor %s", ir_type_str(&v->t->type, t, sizeof t));
    return buf;
  }
  }
  return "?";
}

/* ---- frames ------------------------------------------------------------- */
/* A few variables are searched in order; past FRAME_SCAN_VARS they are
 * indexed by name, so that a body assigning 100 000 names is not quadratic. */
#define FRAME_SCAN_VARS 8

static arch_var *frame_find(arch_frame *fr, const char *name) {
  if (!fr)
    return NULL;
  if (fr->n_vars > FRAME_SCAN_VARS) {
    int k = gqc_name_map_get(&fr->var_at, name);
    return k >= 0 ? &fr->vars[k] : NULL;
  }
  for (int k = 0; k < fr->n_vars; k++)
    if (!strcmp(fr->vars[k].name, name))
      return &fr->vars[k];
  return NULL;
}

void arch_frame_set(arch_frame *fr, const char *name, arch_value v) {
  arch_var *var = frame_find(fr, name);
  if (!var) {
    fr->vars = gqc_xgrow(fr->vars, sizeof *fr->vars, &fr->cap_vars, fr->n_vars + 1, 16,
                         "the description's variables");
    var = &fr->vars[fr->n_vars++];
    var->name = name;
    if (fr->n_vars == FRAME_SCAN_VARS + 1) /* index the ones searched in order so far */
      for (int k = 0; k < FRAME_SCAN_VARS; k++)
        gqc_name_map_put(&fr->var_at, fr->vars[k].name, k);
    if (fr->n_vars > FRAME_SCAN_VARS)
      gqc_name_map_put(&fr->var_at, name, fr->n_vars - 1);
  }
  var->v = v;
  var->defined = true;
}

void arch_frame_free(arch_frame *fr) {
  gqc_name_map_free(&fr->var_at);
  free(fr->vars);
  fr->vars = NULL;
  fr->n_vars = fr->cap_vars = 0;
}

/* ---- names -------------------------------------------------------------- */
bool arch_global(arch_interp *in, const char *name, arch_loc loc, arch_value *out) {
  const arch_decl *d = arch_find_decl(in->p, name);
  if (d && (d->kind == AD_HPARAM || d->kind == AD_LET)) {
    if (!in->globals[d->ordinal].defined)
      return arch_fail(in, loc, "'%s' is used before its definition at line %d", name, d->loc.line);
    *out = in->globals[d->ordinal].v;
    return true;
  }
  if (d && d->kind == AD_WEIGHT && d->n_params == 0) {
    *out = (arch_value){.kind = AV_WEIGHT, .w = d};
    return true;
  }
  if (!strcmp(name, "arch")) {
    *out = (arch_value){.kind = AV_STR, .s = in->arch};
    return true;
  }
  if (!strcmp(name, "vocab_size")) {
    int64_t n;
    if (!arch_vocab_size(in, loc, &n))
      return false;
    *out = arch_int(n);
    return true;
  }
  if (!strcmp(name, "n_ctx")) {
    if (in->n_ctx <= 0)
      return arch_fail(in, loc, "n_ctx is known only once n_ctx_train is defined");
    *out = arch_int(in->n_ctx);
    return true;
  }
  return arch_fail(in, loc, "unknown name '%s'", name);
}

static bool lookup(arch_interp *in, arch_frame *fr, const char *name, arch_loc loc,
                   arch_value *out) {
  arch_var *v = frame_find(fr, name);
  if (v && v->defined) {
    *out = v->v;
    return true;
  }
  bool global = arch_find_decl(in->p, name) || arch_is_predefined_name(name);
  if (!global)
    return arch_fail(in, loc, "'%s' has no value here (it is assigned only on some paths)", name);
  return arch_global(in, name, loc, out);
}

bool arch_eval_string(arch_interp *in, arch_frame *fr, const arch_str *s, const char **out) {
  size_t cap = 128, len = 0;
  char *buf = gqc_xmalloc(cap, "a string of the description");
  buf[0] = 0;
  for (const arch_strpart *part = s->parts; part; part = part->next) {
    char tmp[64];
    const char *piece = part->text;
    if (part->is_ident) {
      arch_value v;
      if (!lookup(in, fr, part->text, part->loc, &v)) {
        free(buf);
        return false;
      }
      if (v.kind == AV_INT) {
        snprintf(tmp, sizeof tmp, "%" PRId64, v.i);
        piece = tmp;
      } else if (v.kind == AV_FLOAT) {
        snprintf(tmp, sizeof tmp, "%g", v.f);
        piece = tmp;
      } else if (v.kind == AV_BOOL)
        piece = v.b ? "true" : "false";
      else if (v.kind == AV_STR)
        piece = v.s;
      else {
        char k[128];
        free(buf);
        return arch_fail(in, part->loc, "cannot put %s '%s' into a string",
                         arch_value_kind_str(&v, k, sizeof k), part->text);
      }
    }
    size_t n = strlen(piece);
    if (n > MAX_STRING_BYTES - len) {
      free(buf);
      return arch_fail(in, part->loc, "a string of more than %d bytes (the string length limit)",
                       MAX_STRING_BYTES);
    }
    if (!arch_charge(in, part->loc, (int64_t)(n / STRING_BYTES_PER_STEP))) {
      free(buf);
      return false;
    }
    while (len + n + 1 > cap)
      buf = gqc_xrealloc(buf, cap *= 2, "a string of the description");
    memcpy(buf + len, piece, n + 1);
    len += n;
  }
  *out = ir_strdup(in->m, buf);
  free(buf);
  return true;
}

/* ---- numbers ------------------------------------------------------------ */
static bool is_num(const arch_value *v) {
  return v->kind == AV_INT || v->kind == AV_FLOAT;
}
static double num(const arch_value *v) {
  return v->kind == AV_INT ? (double)v->i : v->f;
}
static bool is_tensorish(const arch_value *v) {
  return v->kind == AV_TENSOR || v->kind == AV_WEIGHT;
}

static bool want_num(arch_interp *in, const arch_value *v, arch_loc loc, const char *what) {
  if (is_num(v))
    return true;
  char k[128];
  return arch_fail(in, loc, "%s needs a number, got %s", what, arch_value_kind_str(v, k, sizeof k));
}

static bool want_bool(arch_interp *in, const arch_value *v, arch_loc loc, const char *what) {
  if (v->kind == AV_BOOL)
    return true;
  char k[128];
  return arch_fail(in, loc, "%s needs a bool, got %s (compare explicitly, e.g. x != 0)", what,
                   arch_value_kind_str(v, k, sizeof k));
}

static bool float_result(arch_interp *in, double r, arch_loc loc, const char *what,
                         arch_value *out) {
  if (!isfinite(r))
    return arch_fail(in, loc, "%s is not a finite number", what);
  *out = arch_float(r);
  return true;
}

static bool int_of_float(arch_interp *in, double f, arch_loc loc, const char *what,
                         arch_value *out) {
  if (!(f >= -9.2e18 && f <= 9.2e18))
    return arch_fail(in, loc, "%s: %g does not fit in an int", what, f);
  *out = arch_int((int64_t)f);
  return true;
}

static bool compare(arch_interp *in, int op, const arch_value *a, const arch_value *b, arch_loc loc,
                    arch_value *out) {
  int c;
  if (is_num(a) && is_num(b)) {
    if (a->kind == AV_INT && b->kind == AV_INT)
      c = (a->i > b->i) - (a->i < b->i);
    else
      c = (num(a) > num(b)) - (num(a) < num(b));
  } else if (a->kind == AV_STR && b->kind == AV_STR && (op == AOP_EQ || op == AOP_NE)) {
    if (!arch_charge(in, loc, (int64_t)((strlen(a->s) + strlen(b->s)) / STRING_BYTES_PER_STEP)))
      return false;
    c = strcmp(a->s, b->s) != 0;
  } else if (a->kind == AV_BOOL && b->kind == AV_BOOL && (op == AOP_EQ || op == AOP_NE)) {
    c = a->b != b->b;
  } else {
    char ka[128], kb[128];
    return arch_fail(in, loc, "cannot compare %s with %s using '%s'",
                     arch_value_kind_str(a, ka, sizeof ka), arch_value_kind_str(b, kb, sizeof kb),
                     arch_op_str(op));
  }
  bool r = op == AOP_EQ   ? c == 0
           : op == AOP_NE ? c != 0
           : op == '<'    ? c < 0
           : op == AOP_LE ? c <= 0
           : op == '>'    ? c > 0
                          : c >= 0;
  *out = arch_bool(r);
  return true;
}

static bool arith(arch_interp *in, int op, const arch_value *a, const arch_value *b, arch_loc loc,
                  arch_value *out) {
  char ka[128], kb[128];
  if (!is_num(a) || !is_num(b))
    return arch_fail(in, loc, "cannot apply '%s' to %s and %s", arch_op_str(op),
                     arch_value_kind_str(a, ka, sizeof ka), arch_value_kind_str(b, kb, sizeof kb));
  if (a->kind == AV_INT && b->kind == AV_INT) {
    int64_t x = a->i, y = b->i, r = 0;
    bool overflow = false;
    switch (op) {
    case '+':
      overflow = __builtin_add_overflow(x, y, &r);
      break;
    case '-':
      overflow = __builtin_sub_overflow(x, y, &r);
      break;
    case '*':
      overflow = __builtin_mul_overflow(x, y, &r);
      break;
    case '/':
    case '%':
      if (y == 0)
        return arch_fail(in, loc, "division by zero (%" PRId64 " %s 0)", x, arch_op_str(op));
      if (x == INT64_MIN && y == -1)
        overflow = true;
      else
        r = op == '/' ? x / y : x % y;
      break;
    }
    if (overflow)
      return arch_fail(in, loc, "integer overflow in %" PRId64 " %s %" PRId64, x, arch_op_str(op),
                       y);
    *out = arch_int(r);
    return true;
  }
  double x = num(a), y = num(b), r = 0;
  switch (op) {
  case '+':
    r = x + y;
    break;
  case '-':
    r = x - y;
    break;
  case '*':
    r = x * y;
    break;
  case '/':
    if (y == 0)
      return arch_fail(in, loc, "division by zero (%g / 0)", x);
    r = x / y;
    break;
  case '%':
    return arch_fail(in, loc, "'%%' needs two ints, got %s and %s",
                     arch_value_kind_str(a, ka, sizeof ka), arch_value_kind_str(b, kb, sizeof kb));
  }
  return float_result(in, r, loc, "the result", out);
}

/* ---- calls -------------------------------------------------------------- */
static bool call_fn(arch_interp *in, const arch_decl *fn, arch_value *args, arch_loc loc,
                    arch_value *out) {
  if (in->depth >= MAX_CALL_DEPTH)
    return arch_fail(in, loc,
                     "calls nested more than %d deep (the recursion limit; recursion in '%s'?)",
                     MAX_CALL_DEPTH, fn->name);
  arch_frame fr = {0};
  int k = 0;
  for (const arch_ident *p = fn->params; p; p = p->next)
    arch_frame_set(&fr, p->name, args[k++]);
  in->depth++;
  bool ok;
  if (fn->e) {
    ok = arch_eval(in, &fr, fn->e, out);
  } else {
    bool returned = false;
    ok = arch_exec(in, &fr, fn->body, &returned, out);
    if (ok && !returned)
      ok = arch_fail(in, fn->end_loc, "function '%s' ended without 'return'", fn->name);
  }
  in->depth--;
  arch_frame_free(&fr);
  return ok;
}

static bool call_scalar(arch_interp *in, const arch_builtin *b, const arch_expr *e,
                        arch_value *args, int n, arch_value *out) {
  arch_loc loc = e->loc;
  const arch_value *x = &args[0];
  char k[128];
  switch (b->id) {
  case ABI_SQRT:
    if (!want_num(in, x, loc, "sqrt"))
      return false;
    if (num(x) < 0)
      return arch_fail(in, loc, "sqrt of a negative number (%g)", num(x));
    return float_result(in, sqrt(num(x)), loc, "sqrt", out);
  case ABI_MIN:
  case ABI_MAX: {
    bool all_int = true;
    for (int i = 0; i < n; i++) {
      if (!want_num(in, &args[i], e->loc, b->name))
        return false;
      all_int &= args[i].kind == AV_INT;
    }
    arch_value best = args[0];
    for (int i = 1; i < n; i++) {
      bool less = num(&args[i]) < num(&best);
      if (all_int)
        less = args[i].i < best.i;
      if (b->id == ABI_MIN ? less : (all_int ? args[i].i > best.i : num(&args[i]) > num(&best)))
        best = args[i];
    }
    *out = all_int ? best : arch_float(num(&best));
    return true;
  }
  case ABI_ABS:
    if (!want_num(in, x, loc, "abs"))
      return false;
    if (x->kind == AV_INT) {
      if (x->i == INT64_MIN)
        return arch_fail(in, loc, "integer overflow in abs");
      *out = arch_int(x->i < 0 ? -x->i : x->i);
      return true;
    }
    *out = arch_float(fabs(x->f));
    return true;
  case ABI_FLOOR:
  case ABI_CEIL:
    if (!want_num(in, x, loc, b->name))
      return false;
    if (x->kind == AV_INT) {
      *out = *x;
      return true;
    }
    return int_of_float(in, b->id == ABI_FLOOR ? floor(x->f) : ceil(x->f), loc, b->name, out);
  case ABI_POW:
    if (!want_num(in, x, loc, "pow") || !want_num(in, &args[1], loc, "pow"))
      return false;
    return float_result(in, pow(num(x), num(&args[1])), loc, "pow", out);
  case ABI_EXP:
    if (!want_num(in, x, loc, "exp"))
      return false;
    return float_result(in, exp(num(x)), loc, "exp", out);
  case ABI_LOG:
    if (!want_num(in, x, loc, "log"))
      return false;
    if (num(x) <= 0)
      return arch_fail(in, loc, "log of a non-positive number (%g)", num(x));
    return float_result(in, log(num(x)), loc, "log", out);
  case ABI_INT:
    if (x->kind == AV_BOOL) {
      *out = arch_int(x->b);
      return true;
    }
    if (!want_num(in, x, loc, "int"))
      return false;
    if (x->kind == AV_INT) {
      *out = *x;
      return true;
    }
    return int_of_float(in, trunc(x->f), loc, "int", out);
  case ABI_FLOAT:
    if (!want_num(in, x, loc, "float"))
      return false;
    *out = arch_float(num(x));
    return true;
  case ABI_F32:
    if (!want_num(in, x, loc, "f32"))
      return false;
    *out = arch_float((double)(float)num(x));
    return true;
  case ABI_LEN:
    if (x->kind == AV_ARRAY) {
      *out = arch_int(arch_array_len(x));
      return true;
    }
    if (x->kind == AV_STR) {
      *out = arch_int((int64_t)strlen(x->s));
      return arch_charge(in, loc, out->i / STRING_BYTES_PER_STEP);
    }
    if (x->kind == AV_TENSOR || x->kind == AV_WEIGHT) {
      ir_inst *t;
      if (!arch_as_tensor(in, x, loc, "len", &t))
        return false;
      *out = arch_int(ir_type_elems(&t->type));
      return true;
    }
    return arch_fail(in, loc, "len needs an array, a string or a tensor, got %s",
                     arch_value_kind_str(x, k, sizeof k));
  case ABI_HAS: {
    if (x->kind != AV_WEIGHT)
      return arch_fail(in, loc, "has() needs a weight, got %s",
                       arch_value_kind_str(x, k, sizeof k));
    int index;
    if (!arch_weight_resolve(in, x, loc, &index))
      return false;
    *out = arch_bool(index >= 0);
    return true;
  }
  case ABI_IS_ARRAY:
    *out = arch_bool(x->kind == AV_ARRAY);
    return true;
  default:
    break;
  }
  return arch_fail(in, loc, "internal error: %s is not a compile-time function", b->name);
}

/* A call's evaluated arguments. They live on the heap: a call nested in a
 * call's arguments, MAX_NESTING deep, must not need kilobytes of stack a
 * level. */
#define MAX_ARGS 16
typedef struct call_args {
  arch_value pos[MAX_ARGS], kw[ARCH_MAX_KWARGS];
  bool kw_set[ARCH_MAX_KWARGS];
  int n_pos;
} call_args;

static bool eval_call_with(arch_interp *in, arch_frame *fr, const arch_expr *e, call_args *c,
                           arch_value *out) {
  const arch_decl *fn = arch_find_decl(in->p, e->name);
  if (fn && fn->kind == AD_FN) {
    if (fn->n_params > MAX_ARGS)
      return arch_fail(in, e->loc, "too many arguments");
    for (const arch_arg *a = e->args; a; a = a->next)
      if (!arch_eval(in, fr, a->value, &c->pos[c->n_pos++]))
        return false;
    return call_fn(in, fn, c->pos, e->loc, out);
  }
  const arch_builtin *b = arch_builtin_find(e->name);
  if (!b)
    return arch_fail(in, e->loc, "unknown function '%s'", e->name);
  for (const arch_arg *a = e->args; a; a = a->next) {
    arch_value v;
    if (!arch_eval(in, fr, a->value, &v))
      return false;
    if (a->name) {
      int k = arch_builtin_kwarg(b, a->name);
      if (k < 0)
        return arch_fail(in, a->loc, "%s() has no keyword argument '%s'", b->name, a->name);
      c->kw[k] = v;
      c->kw_set[k] = true;
    } else {
      if (c->n_pos >= MAX_ARGS)
        return arch_fail(in, a->loc, "too many arguments");
      c->pos[c->n_pos++] = v;
    }
  }
  if (!b->is_op)
    return call_scalar(in, b, e, c->pos, c->n_pos, out);
  if (!in->f)
    return arch_fail(in, e->loc, "tensor operation %s() is only allowed inside the graph", b->name);
  return arch_call_op(in, b, e, c->pos, c->n_pos, c->kw, c->kw_set, out);
}

static bool eval_call(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out) {
  call_args *c = gqc_xcalloc(1, sizeof *c, "a call's arguments");
  bool ok = eval_call_with(in, fr, e, c, out);
  free(c);
  return ok;
}

static bool eval_index(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out) {
  const arch_expr *base = e->a;
  if (base->kind == AE_IDENT && !frame_find(fr, base->name)) {
    const arch_decl *d = arch_find_decl(in->p, base->name);
    if (d && d->kind == AD_WEIGHT) {
      arch_value h = {.kind = AV_WEIGHT, .w = d};
      for (const arch_expr *i = e->index; i; i = i->next) {
        int64_t v;
        if (!arch_eval_int(in, fr, i, "a weight index", &v))
          return false;
        if (h.n_idx >= ARCH_MAX_INDEX)
          return arch_fail(in, i->loc, "too many indices");
        h.idx[h.n_idx++] = v;
      }
      *out = h;
      return true;
    }
  }
  arch_value a, i;
  if (!arch_eval(in, fr, base, &a) || !arch_eval(in, fr, e->index, &i))
    return false;
  char k[128];
  if (a.kind != AV_ARRAY)
    return arch_fail(in, e->loc, "cannot index %s", arch_value_kind_str(&a, k, sizeof k));
  if (i.kind != AV_INT)
    return arch_fail(in, e->index->loc, "an array index must be an int, got %s",
                     arch_value_kind_str(&i, k, sizeof k));
  return arch_array_get(in, &a, i.i, e->loc, out);
}

static bool eval_expr(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out);

bool arch_eval(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out) {
  return enter(in, e->loc) && leave(in, eval_expr(in, fr, e, out));
}

bool arch_eval_int(arch_interp *in, arch_frame *fr, const arch_expr *e, const char *what,
                   int64_t *out) {
  arch_value v;
  if (!arch_eval(in, fr, e, &v))
    return false;
  if (v.kind != AV_INT) {
    char k[128];
    return arch_fail(in, e->loc, "%s must be an int, got %s", what,
                     arch_value_kind_str(&v, k, sizeof k));
  }
  *out = v.i;
  return true;
}

static bool eval_expr(arch_interp *in, arch_frame *fr, const arch_expr *e, arch_value *out) {
  char k[128];
  switch (e->kind) {
  case AE_INT:
    *out = arch_int(e->i);
    return true;
  case AE_FLOAT:
    *out = arch_float(e->f);
    return true;
  case AE_BOOL:
    *out = arch_bool(e->b);
    return true;
  case AE_STR: {
    const char *s;
    if (!arch_eval_string(in, fr, e->str, &s))
      return false;
    *out = (arch_value){.kind = AV_STR, .s = s};
    return true;
  }
  case AE_IDENT:
    return lookup(in, fr, e->name, e->loc, out);
  case AE_WILDCARD:
    return arch_fail(in, e->loc, "'_' has no value");
  case AE_UNARY: {
    arch_value a;
    if (!arch_eval(in, fr, e->a, &a))
      return false;
    if (e->op == AOP_NOT) {
      if (!want_bool(in, &a, e->loc, "'not'"))
        return false;
      *out = arch_bool(!a.b);
      return true;
    }
    if (is_tensorish(&a))
      return arch_tensor_negate(in, &a, e->loc, out);
    if (a.kind == AV_INT) {
      if (a.i == INT64_MIN)
        return arch_fail(in, e->loc, "integer overflow in negation");
      *out = arch_int(-a.i);
      return true;
    }
    if (a.kind == AV_FLOAT) {
      *out = arch_float(-a.f);
      return true;
    }
    return arch_fail(in, e->loc, "cannot negate %s", arch_value_kind_str(&a, k, sizeof k));
  }
  case AE_BINARY: {
    arch_value a, b;
    if (e->op == AOP_AND || e->op == AOP_OR) {
      const char *what = e->op == AOP_AND ? "'and'" : "'or'";
      if (!arch_eval(in, fr, e->a, &a) || !want_bool(in, &a, e->a->loc, what))
        return false;
      if (a.b == (e->op == AOP_OR)) {
        *out = a;
        return true;
      }
      if (!arch_eval(in, fr, e->b2, &b) || !want_bool(in, &b, e->b2->loc, what))
        return false;
      *out = b;
      return true;
    }
    if (!arch_eval(in, fr, e->a, &a) || !arch_eval(in, fr, e->b2, &b))
      return false;
    switch (e->op) {
    case AOP_EQ:
    case AOP_NE:
    case '<':
    case '>':
    case AOP_LE:
    case AOP_GE:
      return compare(in, e->op, &a, &b, e->loc, out);
    default:
      if (is_tensorish(&a) || is_tensorish(&b))
        return arch_tensor_binary(in, e->op, &a, &b, e->loc, out);
      return arith(in, e->op, &a, &b, e->loc, out);
    }
  }
  case AE_COND: {
    arch_value c;
    if (!arch_eval(in, fr, e->a, &c) || !want_bool(in, &c, e->a->loc, "the condition of '?:'"))
      return false;
    return arch_eval(in, fr, c.b ? e->b2 : e->c, out);
  }
  case AE_CALL:
    return eval_call(in, fr, e, out);
  case AE_INDEX:
    return eval_index(in, fr, e, out);
  }
  return arch_fail(in, e->loc, "internal error: unknown expression kind %d", (int)e->kind);
}

/* ---- statements --------------------------------------------------------- */
static bool exec_for(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
                     arch_value *ret) {
  arch_value lo, hi;
  char k[128];
  if (!arch_eval(in, fr, s->e, &lo) || !arch_eval(in, fr, s->e2, &hi))
    return false;
  if (lo.kind != AV_INT || hi.kind != AV_INT)
    return arch_fail(in, lo.kind != AV_INT ? s->e->loc : s->e2->loc,
                     "a loop bound must be an int, got %s",
                     arch_value_kind_str(lo.kind != AV_INT ? &lo : &hi, k, sizeof k));
  if (hi.i > lo.i && (uint64_t)hi.i - (uint64_t)lo.i > MAX_LOOP_TRIPS)
    return arch_fail(in, s->loc, "loop of %" PRIu64 " iterations (more than %d, the loop limit)",
                     (uint64_t)hi.i - (uint64_t)lo.i, MAX_LOOP_TRIPS);
  bool naming = fr->names_values;
  if (naming && in->n_loops >= (int)(sizeof in->loop_idx / sizeof in->loop_idx[0]))
    return arch_fail(in, s->loc, "loops nested too deeply");
  if (naming)
    in->n_loops++;
  bool ok = true;
  for (int64_t i = lo.i; ok && i < hi.i && !*returned; i++) {
    if (!(ok = arch_charge(in, s->loc, 1))) /* an iteration, even of an empty body */
      break;
    if (naming)
      in->loop_idx[in->n_loops - 1] = i;
    arch_frame_set(fr, s->name, arch_int(i));
    ok = arch_exec(in, fr, s->body, returned, ret);
  }
  if (naming)
    in->n_loops--;
  arch_var *v = frame_find(fr, s->name);
  if (v)
    v->defined = false;
  return ok;
}

static bool run_stmt(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
                     arch_value *ret);

static bool exec_stmt(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
                      arch_value *ret) {
  if (in->seq > MAX_INSTRUCTIONS)
    return arch_fail(in, s->loc,
                     "the graph has more than %d instructions (the instruction limit; a runaway "
                     "loop?)",
                     MAX_INSTRUCTIONS);
  return enter(in, s->loc) && leave(in, run_stmt(in, fr, s, returned, ret));
}

static bool run_stmt(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
                     arch_value *ret) {
  switch (s->kind) {
  case AS_ASSIGN: {
    int mark = in->seq;
    arch_value v;
    if (!arch_eval(in, fr, s->e, &v))
      return false;
    if (fr->names_values && v.kind == AV_TENSOR && v.t->id >= mark && v.t->op != IR_OP_WEIGHT &&
        v.t->op != IR_OP_CACHE && v.t->op != IR_OP_PARAM) {
      char name[160], suffix[96];
      arch_loop_suffix(in, suffix, sizeof suffix);
      snprintf(name, sizeof name, "%s%s", s->name, suffix);
      v.t->name = arch_unique_name(in, name);
    }
    arch_frame_set(fr, s->name, v);
    return true;
  }
  case AS_FOR:
    return exec_for(in, fr, s, returned, ret);
  case AS_IF: {
    arch_value c;
    if (!arch_eval(in, fr, s->e, &c) || !want_bool(in, &c, s->e->loc, "'if'"))
      return false;
    return arch_exec(in, fr, c.b ? s->body : s->else_body, returned, ret);
  }
  case AS_RETURN:
    if (!arch_eval(in, fr, s->e, ret))
      return false;
    *returned = true;
    return true;
  case AS_ASSERT: {
    arch_value c;
    if (!arch_eval(in, fr, s->e, &c) || !want_bool(in, &c, s->e->loc, "'assert'"))
      return false;
    if (c.b)
      return true;
    const char *msg;
    if (!arch_eval_string(in, fr, s->message, &msg))
      return false;
    return arch_fail(in, s->loc, "%s", msg);
  }
  }
  return arch_fail(in, s->loc, "internal error: unknown statement kind %d", (int)s->kind);
}

bool arch_exec(arch_interp *in, arch_frame *fr, const arch_stmt *s, bool *returned,
               arch_value *ret) {
  for (; s && !*returned; s = s->next)
    if (!exec_stmt(in, fr, s, returned, ret))
      return false;
  return true;
}
