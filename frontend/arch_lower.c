/* arch_lower.c — running an architecture description to build the IR.
 *
 * The description is a program that runs once, at compile time, against one
 * GGUF file:
 *
 *   1. The top-level declarations run in order. `hparam`s read GGUF keys
 *      (arch_hparams.c), `let`s compute, `assert`s stop with their message,
 *      `meta`s are remembered. When n_ctx_train gets its value, the compiled
 *      context is fixed: the caller's n_ctx, or min(n_ctx_train, 2048).
 *   2. `graph decode(tok, pos)` runs with its two parameters bound to the
 *      function's i32 params. Loops unroll, `if`s choose, and every tensor
 *      operation appends an instruction (arch_ops.c); weights are bound to
 *      GGUF tensors on first use (arch_weights.c). Assignments in the graph
 *      name their values after the variable and the loop indices (%q.3).
 *   3. The returned vector becomes the function's result; its length is
 *      n_vocab (checked against the vocabulary when the file has one).
 *   3b. With opts->batch (gqc --batch B), the graph runs a second time, in
 *      batch mode, into @prefill(tok : i32[B], pos, n_rows): the token is a
 *      vector of B ids, every activation a [B, n] matrix with one row per
 *      token (arch_ops.c generalises each operation to rows), the caches are
 *      @decode's (same names, so the same buffers), and the result is the
 *      last live row of the logits (last_row). The description is the same:
 *      batching is the compiler's business, not the architecture's.
 *   4. Module metadata — arch, n_vocab, n_ctx, n_layer, n_embd, then each
 *      `meta` — is set, and the module is verified.
 *
 * Every error stops the run with one message pointing into the description
 * (or naming the GGUF key or tensor it could not find).
 */
#include "frontend/arch_lower.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/arch_interp.h"
#include "support/xalloc.h"

#define DEFAULT_MAX_CTX 2048

typedef struct meta_value {
  const arch_decl *decl;
  arch_value v;
} meta_value;

/* Fixes the compiled context length once n_ctx_train is known. */
static bool set_n_ctx(arch_interp *in, const arch_decl *d, const arch_value *v) {
  if (v->kind != AV_INT || v->i <= 0)
    return arch_fail(in, d->loc, "n_ctx_train must be a positive int");
  int64_t n =
      in->opts->n_ctx > 0 ? in->opts->n_ctx : (v->i < DEFAULT_MAX_CTX ? v->i : DEFAULT_MAX_CTX);
  if (n > INT32_MAX)
    return arch_fail(in, d->loc, "context length %" PRId64 " is too large", n);
  in->n_ctx = n;
  return true;
}

static bool run_toplevel(arch_interp *in, meta_value *metas, int *n_metas) {
  for (const arch_decl *d = in->p->decls; d; d = d->next) {
    switch (d->kind) {
    case AD_HPARAM:
    case AD_LET: {
      int k = d->ordinal;
      arch_value v;
      if (d->kind == AD_HPARAM ? !arch_read_hparam(in, d, &v) : !arch_eval(in, NULL, d->e, &v))
        return false;
      in->globals[k].v = v;
      in->globals[k].defined = true;
      if (!strcmp(d->name, "n_ctx_train") && !set_n_ctx(in, d, &v))
        return false;
      break;
    }
    case AD_ASSERT: {
      arch_value c;
      if (!arch_eval(in, NULL, d->e, &c))
        return false;
      if (c.kind != AV_BOOL)
        return arch_fail(in, d->e->loc, "'assert' needs a bool");
      if (!c.b) {
        const char *msg;
        if (!arch_eval_string(in, NULL, d->message, &msg))
          return false;
        return arch_fail(in, d->loc, "%s", msg);
      }
      break;
    }
    case AD_META:
      metas[*n_metas].decl = d;
      if (!arch_eval(in, NULL, d->e, &metas[*n_metas].v))
        return false;
      (*n_metas)++;
      break;
    default:
      break;
    }
  }
  return true;
}

/* Clears the set of value names, for a function of its own. */
static void reset_names(arch_interp *in) {
  free(in->names);
  in->names = NULL;
  in->names_cap = in->n_names = 0;
}

/* Runs the graph into a new function. batch == 0: @decode(tok, pos), the
 * logits vector. batch > 0: @prefill(tok : i32[batch], pos, n_rows), every
 * activation a [batch, n] matrix of rows, returning the last live row of
 * the logits (the statements, names and caches are those of @decode). */
static bool run_graph(arch_interp *in, const arch_decl *g, int64_t batch, int64_t *n_vocab) {
  reset_names(in);
  in->seq = 0;
  in->batch = batch;
  in->f = ir_func_new(in->m, batch > 0 ? "prefill" : "decode");
  if (!in->f)
    return arch_fail(in, g->loc, "internal error: cannot add a function to the module");
  arch_frame fr = {.names_values = true};
  int k = 0;
  for (const arch_ident *p = g->params; p; p = p->next, k++) {
    ir_type t = batch > 0 && k == 0 ? ir_type_vec(IR_I32, batch) : ir_type_scalar(IR_I32);
    ir_inst *param = ir_func_add_param(in->m, in->f, arch_unique_name(in, p->name), t);
    if (!param)
      return arch_fail(in, g->loc, "graph %s has too many parameters", g->name);
    arch_frame_set(&fr, p->name, arch_tensor(param));
  }
  if (batch > 0) {
    in->f->batch = batch;
    in->f->rows =
        ir_func_add_param(in->m, in->f, arch_unique_name(in, "n_rows"), ir_type_scalar(IR_I32));
    if (!in->f->rows)
      return arch_fail(in, g->loc, "graph %s has too many parameters", g->name);
  }
  bool returned = false;
  arch_value ret;
  bool ok = arch_exec(in, &fr, g->body, &returned, &ret);
  arch_frame_free(&fr);
  if (!ok)
    return false;
  if (!returned)
    return arch_fail(in, g->end_loc, "graph decode ended without 'return'");
  ir_inst *t;
  if (!arch_as_tensor(in, &ret, g->loc, "decode's result", &t))
    return false;
  const bool rows = batch > 0 && t->type.rank == 2 && t->type.dims[0] == batch;
  if ((t->type.rank != 1 && !rows) || t->type.dtype != IR_F32) {
    char b[96];
    return arch_fail(in, g->loc, "decode must return the f32 logits vector, not %s",
                     ir_type_str(&t->type, b, sizeof b));
  }
  if (batch > 0 && !rows)
    return arch_fail(in, g->loc,
                     "decode returns logits that do not depend on the token: nothing to "
                     "prefill (compile with --batch 0)");
  *n_vocab = t->type.dims[t->type.rank - 1];
  if (batch == 0 && gguf_find_kv(in->g, "tokenizer.ggml.tokens")) {
    int64_t v;
    if (!arch_vocab_size(in, g->loc, &v))
      return false;
    if (v != *n_vocab)
      return arch_fail(in, g->loc,
                       "decode returns %" PRId64 " logits, but the vocabulary has %" PRId64
                       " tokens",
                       *n_vocab, v);
  }
  if (rows) { /* the last token's logits */
    t = arch_emit(in, IR_OP_LAST_ROW, ir_type_row(&t->type), 1, &t);
    t->name = arch_unique_name(
        in, t->operands[0]->name ? ir_strfmt(in->m, "%s.last", t->operands[0]->name) : "last");
  }
  arch_emit(in, IR_OP_RETURN, ir_type_scalar(IR_F32), 1, &t);
  in->f->result = t->type;
  return true;
}

static bool global_int(arch_interp *in, const char *name, int64_t *out) {
  const arch_decl *d = arch_find_decl(in->p, name);
  int k = d && (d->kind == AD_HPARAM || d->kind == AD_LET) ? d->ordinal : -1;
  if (k < 0 || !in->globals[k].defined)
    return arch_fail(in, (arch_loc){0, 0}, "'%s' is not defined", name);
  const arch_value *v = &in->globals[k].v;
  if (v->kind != AV_INT || v->i <= 0)
    return arch_fail(in, d->loc, "'%s' must be a positive int", name);
  *out = v->i;
  return true;
}

static bool set_metadata(arch_interp *in, int64_t n_vocab, const meta_value *metas, int n_metas) {
  int64_t n_layer, n_embd;
  if (!global_int(in, "n_layer", &n_layer) || !global_int(in, "n_embd", &n_embd))
    return false;
  ir_meta_set_str(in->m, "arch", in->arch);
  ir_meta_set_int(in->m, "n_vocab", n_vocab);
  ir_meta_set_int(in->m, "n_ctx", in->n_ctx);
  ir_meta_set_int(in->m, "n_layer", n_layer);
  ir_meta_set_int(in->m, "n_embd", n_embd);
  for (int k = 0; k < n_metas; k++) {
    const arch_value *v = &metas[k].v;
    const char *key = metas[k].decl->name;
    switch (v->kind) {
    case AV_INT:
    case AV_BOOL: /* a bool is the int 0 or 1 */
      ir_meta_set_int(in->m, key, v->kind == AV_INT ? v->i : v->b);
      break;
    case AV_FLOAT:
      ir_meta_set_float(in->m, key, v->f);
      break;
    case AV_STR:
      ir_meta_set_str(in->m, key, v->s);
      break;
    default: {
      char kb[128];
      return arch_fail(in, metas[k].decl->loc, "meta '%s' must be a number, bool or string, not %s",
                       key, arch_value_kind_str(v, kb, sizeof kb));
    }
    }
  }
  return true;
}

static const char *file_arch(const gguf_file *f, ir_module *m) {
  const gguf_kv *kv = gguf_find_kv(f, "general.architecture");
  if (!kv || kv->value.type != GGUF_STRING)
    return NULL;
  char *s = ir_alloc(m, kv->value.v.s.len + 1);
  memcpy(s, kv->value.v.s.ptr, kv->value.v.s.len);
  return s;
}

ir_module *arch_lower(const arch_program *p, const gguf_file *f, const gqc_frontend_options *opts,
                      gqc_diag *d) {
  static const gqc_frontend_options defaults = {0};
  if (!opts)
    opts = &defaults;
  if (opts->n_ctx < 0) {
    gqc_error(d, "the context length must be positive (got %" PRId64 ")", opts->n_ctx);
    return NULL;
  }
  arch_interp in = {.p = p, .g = f, .opts = opts, .d = d, .vocab_size = -1};
  in.gguf_name = f->path ? f->path : "the GGUF file";
  in.m = ir_module_new(opts->module_name ? opts->module_name : "model");
  in.arch = file_arch(f, in.m);
  if (!in.arch)
    in.arch = p->decls->name; /* the description's own name */

  int n_decls = 0, n_meta_decls = 0;
  const arch_decl *graph = NULL;
  for (const arch_decl *x = p->decls; x; x = x->next) {
    n_decls++;
    n_meta_decls += x->kind == AD_META;
    if (x->kind == AD_GRAPH)
      graph = x;
  }
  in.globals = gqc_xcalloc((size_t)n_decls, sizeof *in.globals, "the description's declarations");
  meta_value *metas =
      gqc_xcalloc((size_t)n_meta_decls + 1, sizeof *metas, "the description's declarations");
  for (const arch_decl *x = p->decls; x; x = x->next)
    in.globals[x->ordinal].name = x->name;

  int n_metas = 0;
  int64_t n_vocab = 0;
  bool ok = graph != NULL;
  if (!ok)
    arch_fail(&in, (arch_loc){0, 0}, "the description has no graph");
  ok = ok && run_toplevel(&in, metas, &n_metas);
  if (ok && in.n_ctx <= 0)
    ok = arch_fail(&in, (arch_loc){0, 0}, "n_ctx_train is never defined");
  ok = ok && run_graph(&in, graph, 0, &n_vocab);
  if (ok && opts->batch > 0) {
    int64_t n_vocab_rows = 0;
    ok = run_graph(&in, graph, opts->batch < in.n_ctx ? opts->batch : in.n_ctx, &n_vocab_rows);
    if (ok && n_vocab_rows != n_vocab)
      ok = arch_fail(&in, graph->loc,
                     "internal error: the batched graph returns %" PRId64 " logits, not %" PRId64,
                     n_vocab_rows, n_vocab);
  }
  ok = ok && set_metadata(&in, n_vocab, metas, n_metas);
  ok = ok && ir_verify(in.m, "after the frontend", d);

  free(metas);
  free(in.globals);
  free(in.bindings);
  gqc_name_map_free(&in.binding_at);
  free(in.names);
  if (!ok) {
    ir_module_free(in.m);
    return NULL;
  }
  return in.m;
}

ir_module *arch_compile(const char *text, size_t len, const char *file, const gguf_file *f,
                        const gqc_frontend_options *opts, gqc_diag *d) {
  arch_program *p = arch_parse(text, len, file, d);
  if (!p)
    return NULL;
  ir_module *m = arch_check(p, d) ? arch_lower(p, f, opts, d) : NULL;
  arch_program_free(p);
  return m;
}
