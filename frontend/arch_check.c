/* arch_check.c — static checks on a parsed architecture description.
 *
 * Run after parsing and before any GGUF file is looked at, so that a typo in
 * a branch the current model never takes (a gemma3 27B special case, say) is
 * still caught, with its line and column:
 *   - the file starts with `arch NAME`, has exactly one `graph decode(tok,
 *     pos)`, and defines the names the compiler reads (n_layer, n_embd,
 *     n_ctx_train);
 *   - every name resolves: locals assigned earlier in the body, function
 *     and graph parameters, loop variables, top-level declarations (hparams
 *     and lets only after their definition when used at the top level),
 *     predefined names; an unknown name gets a "did you mean" suggestion;
 *   - calls: user functions get exactly their parameter count; built-ins
 *     get a valid number of positional arguments, only known keywords, all
 *     required keywords, each once;
 *   - weights: indexed with as many indices as declared, every index used in
 *     the tensor name, `_` only as a dimension, fallbacks name weights;
 *   - no redefinitions, no assignments to top-level names or loop variables,
 *     `return` only inside a body.
 * Types are dynamic and checked while the description runs (arch_eval.c).
 */
#include "frontend/arch_ast.h"
#include "frontend/arch_builtins.h"
#include "ir/ir.h"
#include "support/printf_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

typedef enum { SN_PARAM, SN_LOOP, SN_LOCAL, SN_INDEX } scope_kind;

typedef struct scope_name {
  const char *name;
  scope_kind kind;
  arch_loc loc;
} scope_name;

typedef struct checker {
  const arch_program *p;
  gqc_diag *d;
  /* Top-level expressions may only use hparams/lets declared before this. */
  const arch_decl *order_limit;
  bool in_body; /* a function block or the graph: `return` allowed */
  scope_name *names;
  int n_names, cap_names;
  gqc_name_map local_at; /* name -> its index in names[] */
  gqc_name_map metas;    /* meta name -> ordinal of its first declaration */
} checker;

static bool err(checker *c, arch_loc loc, const char *fmt, ...) GQC_PRINTF(3, 4);

static bool err(checker *c, arch_loc loc, const char *fmt, ...) {
  char msg[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return arch_error(c->p, loc, c->d, "%s", msg);
}

static void push_name(checker *c, const char *name, scope_kind kind, arch_loc loc) {
  c->names = gqc_xgrow(c->names, sizeof *c->names, &c->cap_names, c->n_names + 1, 32,
                       "the description checker's names");
  gqc_name_map_put(&c->local_at, name, c->n_names);
  c->names[c->n_names++] = (scope_name){name, kind, loc};
}

static scope_name *find_local(checker *c, const char *name) {
  int k = gqc_name_map_get(&c->local_at, name);
  return k >= 0 ? &c->names[k] : NULL;
}

/* Forgets name (a loop variable whose loop ended). */
static void drop_local(checker *c, int k) {
  gqc_name_map_remove(&c->local_at, c->names[k].name);
  c->names[k].name = NULL;
}

/* ---- suggestions -------------------------------------------------------- */
static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63)
    return 99;
  int row[64];
  for (size_t j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cur = row[j];
      int best = prev + (a[i - 1] != b[j - 1]);
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      prev = cur;
    }
  }
  return row[lb];
}

typedef struct suggestion {
  const char *best;
  int dist;
} suggestion;

static void consider(suggestion *s, const char *want, const char *cand) {
  if (!cand)
    return;
  int d = edit_distance(want, cand);
  if (d < s->dist) {
    s->dist = d;
    s->best = cand;
  }
}

/* " (did you mean 'x'?)" or "" */
static const char *suggest(checker *c, const char *want, bool functions, char *buf, size_t size) {
  suggestion s = {NULL, 99};
  if (functions) {
    const arch_builtin *b;
    for (int k = 0; (b = arch_builtin_at(k)); k++)
      consider(&s, want, b->name);
    for (const arch_decl *d = c->p->decls; d; d = d->next)
      if (d->kind == AD_FN)
        consider(&s, want, d->name);
  } else {
    for (int k = 0; k < c->n_names; k++)
      consider(&s, want, c->names[k].name);
    for (const arch_decl *d = c->p->decls; d; d = d->next)
      if (d->kind == AD_HPARAM || d->kind == AD_LET || d->kind == AD_WEIGHT)
        consider(&s, want, d->name);
    consider(&s, want, "arch");
    consider(&s, want, "vocab_size");
    consider(&s, want, "n_ctx");
  }
  int len = (int)strlen(want);
  int limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
  if (s.best && s.dist <= limit)
    snprintf(buf, size, " (did you mean '%s'?)", s.best);
  else
    buf[0] = 0;
  return buf;
}

static const char *decl_kind_name(const arch_decl *d) {
  switch (d->kind) {
  case AD_HPARAM:
    return "hparam";
  case AD_LET:
    return "let";
  case AD_WEIGHT:
    return "weight";
  case AD_FN:
    return "function";
  default:
    return "declaration";
  }
}

/* True when top-level `d` comes before c->order_limit. */
static bool declared_before_limit(checker *c, const arch_decl *d) {
  return !c->order_limit || d->ordinal < c->order_limit->ordinal;
}

/* ---- expressions -------------------------------------------------------- */
static bool check_expr(checker *c, const arch_expr *e);

static bool check_ident(checker *c, const char *name, arch_loc loc, bool index_base) {
  if (find_local(c, name))
    return true;
  const arch_decl *d = arch_find_decl(c->p, name);
  if (d) {
    switch (d->kind) {
    case AD_HPARAM:
    case AD_LET:
      if (!declared_before_limit(c, d))
        return err(c, loc, "'%s' is used before its definition at line %d", name, d->loc.line);
      return true;
    case AD_WEIGHT:
      if (!index_base && d->n_params > 0)
        return err(c, loc, "weight '%s' is indexed by [%s%s]: write %s[...]", name, d->params->name,
                   d->n_params > 1 ? ", ..." : "", name);
      return true;
    case AD_FN:
      return err(c, loc, "'%s' is a function: call it as %s(...)", name, name);
    default:
      break;
    }
  }
  if (arch_is_predefined_name(name))
    return true;
  if (arch_builtin_find(name))
    return err(c, loc, "'%s' is a built-in function: call it as %s(...)", name, name);
  if (!strcmp(name, "_"))
    return err(c, loc, "'_' (any size) is only allowed as a dimension of a weight's shape");
  char hint[96];
  return err(c, loc, "unknown name '%s'%s", name, suggest(c, name, false, hint, sizeof hint));
}

static bool check_str(checker *c, const arch_str *s) {
  for (const arch_strpart *part = s->parts; part; part = part->next) {
    if (!part->is_ident)
      continue;
    if (!find_local(c, part->text)) {
      const arch_decl *d = arch_find_decl(c->p, part->text);
      if (d && d->kind == AD_WEIGHT)
        return err(c, part->loc, "cannot put weight '%s' into a string", part->text);
    }
    if (!check_ident(c, part->text, part->loc, false))
      return false;
  }
  return true;
}

static const arch_decl *weight_decl_named(checker *c, const arch_expr *e) {
  if (e->kind != AE_IDENT || find_local(c, e->name))
    return NULL;
  const arch_decl *d = arch_find_decl(c->p, e->name);
  return d && d->kind == AD_WEIGHT ? d : NULL;
}

static bool check_call(checker *c, const arch_expr *e) {
  int n_pos = 0, n_kw = 0;
  for (const arch_arg *a = e->args; a; a = a->next) {
    if (a->name) {
      n_kw++;
    } else {
      if (n_kw)
        return err(c, a->loc, "positional argument after a keyword argument");
      n_pos++;
    }
    if (!check_expr(c, a->value))
      return false;
  }
  scope_name *local = find_local(c, e->name);
  const arch_decl *d = local ? NULL : arch_find_decl(c->p, e->name);
  if (local || (d && d->kind != AD_FN))
    return err(c, e->loc, "'%s' is not a function", e->name);
  if (d) {
    if (n_kw)
      for (const arch_arg *a = e->args; a; a = a->next)
        if (a->name)
          return err(c, a->loc, "function '%s' takes no keyword arguments", e->name);
    if (n_pos != d->n_params)
      return err(c, e->loc, "function '%s' takes %d argument%s, got %d (defined at line %d)",
                 e->name, d->n_params, d->n_params == 1 ? "" : "s", n_pos, d->loc.line);
    return true;
  }
  const arch_builtin *b = arch_builtin_find(e->name);
  if (!b) {
    char hint[96];
    return err(c, e->loc, "unknown function '%s'%s", e->name,
               suggest(c, e->name, true, hint, sizeof hint));
  }
  if (n_pos < b->min_args || (b->max_args >= 0 && n_pos > b->max_args)) {
    char range[48];
    if (b->max_args < 0)
      snprintf(range, sizeof range, "at least %d", b->min_args);
    else if (b->min_args == b->max_args)
      snprintf(range, sizeof range, "%d", b->min_args);
    else
      snprintf(range, sizeof range, "%d to %d", b->min_args, b->max_args);
    return err(c, e->loc, "%s() takes %s positional argument%s, got %d (usage: %s)", b->name, range,
               b->max_args == 1 && b->min_args == 1 ? "" : "s", n_pos, b->usage);
  }
  bool seen[ARCH_MAX_KWARGS] = {0};
  for (const arch_arg *a = e->args; a; a = a->next) {
    if (!a->name)
      continue;
    int k = arch_builtin_kwarg(b, a->name);
    if (k < 0) {
      if (!b->kwargs[0])
        return err(c, a->loc, "%s() takes no keyword arguments (usage: %s)", b->name, b->usage);
      suggestion s = {NULL, 99};
      char names[ARCH_MAX_KWARGS][32];
      for (int j = 0; j < ARCH_MAX_KWARGS && b->kwargs[j]; j++)
        consider(&s, a->name, arch_builtin_kwarg_name(b, j, names[j], (int)sizeof names[j]));
      char hint[96] = "";
      if (s.best && s.dist <= 2)
        snprintf(hint, sizeof hint, " (did you mean '%s'?)", s.best);
      return err(c, a->loc, "%s() has no keyword argument '%s'%s (usage: %s)", b->name, a->name,
                 hint, b->usage);
    }
    if (seen[k])
      return err(c, a->loc, "keyword argument '%s' given twice", a->name);
    seen[k] = true;
  }
  for (int k = 0; k < ARCH_MAX_KWARGS && b->kwargs[k]; k++)
    if (arch_builtin_kwarg_required(b, k) && !seen[k]) {
      char name[32];
      return err(c, e->loc, "%s() needs the keyword argument '%s' (usage: %s)", b->name,
                 arch_builtin_kwarg_name(b, k, name, sizeof name), b->usage);
    }
  return true;
}

static bool check_expr(checker *c, const arch_expr *e) {
  switch (e->kind) {
  case AE_INT:
  case AE_FLOAT:
  case AE_BOOL:
    return true;
  case AE_STR:
    return check_str(c, e->str);
  case AE_IDENT:
    return check_ident(c, e->name, e->loc, false);
  case AE_WILDCARD:
    return err(c, e->loc, "'_' (any size) is only allowed as a dimension of a weight's shape");
  case AE_UNARY:
    return check_expr(c, e->a);
  case AE_BINARY:
    return check_expr(c, e->a) && check_expr(c, e->b2);
  case AE_COND:
    return check_expr(c, e->a) && check_expr(c, e->b2) && check_expr(c, e->c);
  case AE_CALL:
    return check_call(c, e);
  case AE_INDEX: {
    int n = 0;
    for (const arch_expr *i = e->index; i; i = i->next) {
      if (!check_expr(c, i))
        return false;
      n++;
    }
    const arch_decl *w = weight_decl_named(c, e->a);
    if (w) {
      if (w->n_params == 0)
        return err(c, e->loc, "weight '%s' takes no index", w->name);
      if (n != w->n_params)
        return err(c, e->loc, "weight '%s' takes %d ind%s, got %d", w->name, w->n_params,
                   w->n_params == 1 ? "ex" : "ices", n);
      return true;
    }
    if (!check_expr(c, e->a))
      return false;
    if (n != 1)
      return err(c, e->loc, "an array takes one index, got %d", n);
    return true;
  }
  }
  return err(c, e->loc, "internal error: unknown expression kind %d", (int)e->kind);
}

/* ---- statements --------------------------------------------------------- */
static bool check_block(checker *c, const arch_stmt *s);

static bool check_target(checker *c, const char *name, arch_loc loc) {
  const arch_decl *d = arch_find_decl(c->p, name);
  if (d && !find_local(c, name))
    return err(c, loc, "cannot assign to '%s': it is the %s defined at line %d", name,
               decl_kind_name(d), d->loc.line);
  if (arch_is_predefined_name(name))
    return err(c, loc, "cannot assign to the predefined name '%s'", name);
  if (arch_builtin_find(name))
    return err(c, loc, "cannot assign to '%s': it is a built-in function", name);
  if (!strcmp(name, "_"))
    return err(c, loc, "'_' cannot be assigned");
  return true;
}

static bool check_stmt(checker *c, const arch_stmt *s) {
  switch (s->kind) {
  case AS_ASSIGN: {
    if (!check_expr(c, s->e) || !check_target(c, s->name, s->name_loc))
      return false;
    scope_name *n = find_local(c, s->name);
    if (n && n->kind == SN_LOOP)
      return err(c, s->name_loc, "cannot assign to the loop variable '%s'", s->name);
    if (!n)
      push_name(c, s->name, SN_LOCAL, s->name_loc);
    return true;
  }
  case AS_FOR: {
    if (!check_expr(c, s->e) || !check_expr(c, s->e2) || !check_target(c, s->name, s->name_loc))
      return false;
    scope_name *n = find_local(c, s->name);
    if (n)
      return err(c, s->name_loc, "loop variable '%s' hides the %s defined at line %d", s->name,
                 n->kind == SN_LOOP    ? "loop variable"
                 : n->kind == SN_PARAM ? "parameter"
                                       : "variable",
                 n->loc.line);
    push_name(c, s->name, SN_LOOP, s->name_loc);
    int slot = c->n_names - 1;
    if (!check_block(c, s->body))
      return false;
    drop_local(c, slot); /* the loop variable ends with the loop */
    return true;
  }
  case AS_IF:
    return check_expr(c, s->e) && check_block(c, s->body) && check_block(c, s->else_body);
  case AS_RETURN:
    if (!c->in_body)
      return err(c, s->loc, "'return' outside a function or graph body");
    return check_expr(c, s->e);
  case AS_ASSERT:
    return check_expr(c, s->e) && check_str(c, s->message);
  }
  return err(c, s->loc, "internal error: unknown statement kind %d", (int)s->kind);
}

static bool check_block(checker *c, const arch_stmt *s) {
  for (; s; s = s->next)
    if (!check_stmt(c, s))
      return false;
  return true;
}

/* ---- declarations ------------------------------------------------------- */
static bool check_params(checker *c, const arch_decl *d, scope_kind kind) {
  for (const arch_ident *a = d->params; a; a = a->next) {
    for (const arch_ident *b = d->params; b != a; b = b->next)
      if (!strcmp(a->name, b->name))
        return err(c, a->loc, "parameter '%s' appears twice", a->name);
    const arch_decl *g = arch_find_decl(c->p, a->name);
    if (g)
      return err(c, a->loc, "parameter '%s' hides the %s defined at line %d", a->name,
                 decl_kind_name(g), g->loc.line);
    if (arch_is_predefined_name(a->name) || arch_builtin_find(a->name))
      return err(c, a->loc, "parameter '%s' hides a predefined name", a->name);
    push_name(c, a->name, kind, a->loc);
  }
  return true;
}

static bool check_weight(checker *c, const arch_decl *d) {
  if (!check_params(c, d, SN_INDEX) || !check_str(c, d->pattern))
    return false;
  for (const arch_ident *a = d->params; a; a = a->next) {
    bool used = false;
    for (const arch_strpart *part = d->pattern->parts; part; part = part->next)
      used |= part->is_ident && !strcmp(part->text, a->name);
    if (!used)
      return err(c, a->loc, "index '%s' does not appear in the tensor name \"%s\"", a->name,
                 d->pattern->raw);
  }
  if (d->dtype) {
    ir_dtype dt;
    if (!ir_dtype_from_name(d->dtype, &dt) || dt == IR_I32 || dt == IR_Q8_1 || dt == IR_Q8_K)
      return err(c, d->dtype_loc,
                 "unknown weight encoding '%s' (f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, "
                 "q2_k, q3_k, q4_k, q5_k, q6_k)",
                 d->dtype);
  }
  int rank = 0;
  for (const arch_expr *dim = d->dims; dim; dim = dim->next) {
    if (++rank > IR_MAX_RANK)
      return err(c, dim->loc, "a weight has at most %d dimensions", IR_MAX_RANK);
    if (dim->kind != AE_WILDCARD && !check_expr(c, dim))
      return false;
  }
  if (d->fallback) {
    const arch_expr *f = d->fallback;
    const arch_expr *base = f->kind == AE_INDEX ? f->a : f;
    const arch_decl *w = weight_decl_named(c, base);
    if (!w)
      return err(c, f->loc, "the fallback after 'or' must be another weight");
    if (w == d)
      return err(c, f->loc, "weight '%s' cannot fall back to itself", d->name);
    if (!check_expr(c, f))
      return false;
  }
  return true;
}

static bool check_decl(checker *c, const arch_decl *d) {
  for (int k = 0; k < c->n_names; k++)
    if (c->names[k].name)
      drop_local(c, k);
  c->n_names = 0;
  c->order_limit = NULL;
  c->in_body = false;
  switch (d->kind) {
  case AD_ARCH:
    return true;
  case AD_HPARAM:
    c->order_limit = d;
    for (const arch_keylist *k = d->keys; k; k = k->next)
      if (!check_str(c, k->key))
        return false;
    return !d->dflt || check_expr(c, d->dflt);
  case AD_LET:
  case AD_META:
    c->order_limit = d;
    return check_expr(c, d->e);
  case AD_ASSERT:
    c->order_limit = d;
    return check_expr(c, d->e) && check_str(c, d->message);
  case AD_WEIGHT:
    return check_weight(c, d);
  case AD_FN:
    if (!check_params(c, d, SN_PARAM))
      return false;
    if (d->e)
      return check_expr(c, d->e);
    c->in_body = true;
    return check_block(c, d->body);
  case AD_GRAPH:
    if (!check_params(c, d, SN_PARAM))
      return false;
    c->in_body = true;
    return check_block(c, d->body);
  }
  return err(c, d->loc, "internal error: unknown declaration kind %d", (int)d->kind);
}

static bool check_structure(checker *c) {
  const arch_program *p = c->p;
  if (!p->decls || p->decls->kind != AD_ARCH)
    return err(c, p->decls ? p->decls->loc : (arch_loc){1, 1},
               "a description must start with 'arch NAME'");
  const arch_decl *graph = NULL;
  for (const arch_decl *d = p->decls; d; d = d->next) {
    if (d->kind == AD_ARCH && d != p->decls)
      return err(c, d->loc, "'arch' appears twice (first at line %d)", p->decls->loc.line);
    if (d->kind == AD_GRAPH) {
      if (graph)
        return err(c, d->loc, "a second graph (the first is at line %d)", graph->loc.line);
      if (strcmp(d->name, "decode"))
        return err(c, d->name_loc, "the graph must be named 'decode', not '%s'", d->name);
      if (d->n_params != 2)
        return err(c, d->name_loc,
                   "graph decode takes 2 parameters (the token and the position), not %d",
                   d->n_params);
      graph = d;
    }
    if (d->kind == AD_META) {
      static const char *reserved[] = {"arch", "n_vocab", "n_ctx", "n_layer", "n_embd"};
      for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
        if (!strcmp(d->name, reserved[k]))
          return err(c, d->name_loc, "meta '%s' is set by the compiler", d->name);
      int first = gqc_name_map_get(&c->metas, d->name);
      if (first >= 0)
        return err(c, d->name_loc, "meta '%s' is set twice (first at line %d)", d->name,
                   p->decl_at[first]->loc.line);
      gqc_name_map_put(&c->metas, d->name, d->ordinal);
    }
    if (d->kind == AD_HPARAM || d->kind == AD_LET || d->kind == AD_WEIGHT || d->kind == AD_FN) {
      const arch_decl *first = arch_find_decl(p, d->name);
      if (first != d)
        return err(c, d->name_loc, "'%s' is already defined at line %d", d->name, first->loc.line);
      if (arch_is_predefined_name(d->name))
        return err(c, d->name_loc, "'%s' is predefined and cannot be redefined", d->name);
      if (arch_builtin_find(d->name))
        return err(c, d->name_loc, "'%s' is a built-in function and cannot be redefined", d->name);
      if (!strcmp(d->name, "_"))
        return err(c, d->name_loc, "'_' cannot be defined");
    }
  }
  return true;
}

/* What must exist once every declaration checked out. */
static bool check_required(checker *c) {
  const arch_program *p = c->p;
  bool graph = false;
  for (const arch_decl *d = p->decls; d; d = d->next)
    graph |= d->kind == AD_GRAPH;
  if (!graph)
    return err(c, (arch_loc){0, 0}, "the description has no 'graph decode(tok, pos) { ... }'");
  static const char *required[] = {"n_layer", "n_embd", "n_ctx_train"};
  for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
    const arch_decl *d = arch_find_decl(p, required[k]);
    if (!d || (d->kind != AD_HPARAM && d->kind != AD_LET))
      return err(c, p->decls->loc,
                 "the description must define '%s' (an hparam or let): the compiler records "
                 "n_layer and n_embd in the module and derives n_ctx from n_ctx_train",
                 required[k]);
  }
  return true;
}

bool arch_check(const arch_program *p, gqc_diag *d) {
  checker c = {.p = p, .d = d};
  bool ok = check_structure(&c);
  for (const arch_decl *x = p->decls; ok && x; x = x->next)
    ok = check_decl(&c, x);
  ok = ok && check_required(&c);
  free(c.names);
  gqc_name_map_free(&c.local_at);
  gqc_name_map_free(&c.metas);
  return ok;
}
