/* arch_weights.c — binding a description's weights to GGUF tensors.
 *
 * A weight declaration is a pattern, not a tensor:
 *   weight wq[l] = "blk.{l}.attn_q.weight" : [n_head * head_dim, n_embd]
 * `wq[3]` evaluates to a handle; the handle is bound when first used (by an
 * operation or by has()). Binding substitutes the indices into the name,
 * finds the tensor, maps its ggml type to an IR dtype, reverses GGUF's ne
 * order into the IR's [rows, cols], checks that shape against the declared
 * one (and the encoding, when one is declared), and adds one module weight.
 * Later uses of the same tensor reuse that module weight, so a tied
 * embedding is one weight with two `weight` instructions.
 *
 * A missing tensor takes the `or` fallback when there is one (`output` falls
 * back to `tok_embd`), is "absent" for an `optional` weight (has() is false;
 * any other use is an error), and is an error otherwise. Every error names
 * the tensor and the declaration's line.
 */
#include "frontend/arch_interp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

const char *arch_weight_str(const arch_value *w, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "%s", w->w->name);
  for (int k = 0; k < w->n_idx && n < size; k++)
    n += (size_t)snprintf(buf + n, size - n, "%s%" PRId64 "%s", k ? ", " : "[", w->idx[k],
                          k == w->n_idx - 1 ? "]" : "");
  return buf;
}

static void shape_str(const int64_t *dims, int rank, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (int k = 0; k < rank && n < size; k++) {
    if (dims[k] < 0)
      n += (size_t)snprintf(buf + n, size - n, "%s_", k ? ", " : "");
    else
      n += (size_t)snprintf(buf + n, size - n, "%s%" PRId64, k ? ", " : "", dims[k]);
  }
  if (n < size)
    snprintf(buf + n, size - n, "]");
}

#define BINDING_STEPS 64

/* "7:3:0": the handle's declaration (ordinal) and indices, the key of its
 * binding. */
static void binding_key(const arch_value *h, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "%d", h->w->ordinal);
  for (int k = 0; k < h->n_idx && n < size; k++)
    n += (size_t)snprintf(buf + n, size - n, ":%" PRId64, h->idx[k]);
}

static arch_binding *find_binding(arch_interp *in, const arch_value *h) {
  char key[128];
  binding_key(h, key, sizeof key);
  int k = gqc_name_map_get(&in->binding_at, key);
  return k >= 0 ? &in->bindings[k] : NULL;
}

static void add_binding(arch_interp *in, const arch_value *h, int weight) {
  in->bindings = gqc_xgrow(in->bindings, sizeof *in->bindings, &in->cap_bindings,
                           in->n_bindings + 1, 64, "the description's weight bindings");
  arch_binding *b = &in->bindings[in->n_bindings];
  b->decl = h->w;
  b->n_idx = h->n_idx;
  memcpy(b->idx, h->idx, sizeof b->idx);
  b->weight = weight;
  char key[128];
  binding_key(h, key, sizeof key);
  gqc_name_map_put(&in->binding_at, ir_strdup(in->m, key), in->n_bindings++);
}

/* The frame a declaration's pattern, shape and fallback are evaluated in:
 * its index names bound to the handle's indices. */
static void index_frame(const arch_value *h, arch_frame *fr) {
  int k = 0;
  for (const arch_ident *p = h->w->params; p && k < h->n_idx; p = p->next)
    arch_frame_set(fr, p->name, arch_int(h->idx[k++]));
}

/* Checks tensor t against declaration d and adds it to the module. */
static bool bind_tensor(arch_interp *in, const arch_value *h, arch_frame *fr, const gguf_tensor *t,
                        arch_loc use, int *index) {
  const arch_decl *d = h->w;
  char wname[96];
  arch_weight_str(h, wname, sizeof wname);
  ir_dtype dt;
  const char *gname = ggml_type_name(t->type);
  if (!ir_dtype_from_ggml((int)t->type, &dt) || dt == IR_Q8_1 || dt == IR_Q8_K) {
    if (gname)
      return arch_fail(in, d->loc,
                       "tensor '%s' in %s is %s, which gqc does not support as a weight encoding",
                       t->name, in->gguf_name, gname);
    return arch_fail(in, d->loc, "tensor '%s' in %s has ggml type %u, which gqc does not support",
                     t->name, in->gguf_name, t->type);
  }
  if (d->dtype) {
    ir_dtype want;
    if (ir_dtype_from_name(d->dtype, &want) && want != dt)
      return arch_fail(in, d->loc, "tensor '%s' in %s is %s, but weight '%s' is declared %s",
                       t->name, in->gguf_name, ir_dtype_get(dt)->name, wname, d->dtype);
  }
  /* GGUF ne is innermost first; the IR lists rows first. */
  int rank = (int)t->n_dims;
  if (rank < 1 || rank > IR_MAX_RANK)
    return arch_fail(in, d->loc, "tensor '%s' in %s has %d dimensions", t->name, in->gguf_name,
                     rank);
  int64_t have[IR_MAX_RANK];
  for (int k = 0; k < rank; k++) {
    if (t->ne[rank - 1 - k] > (uint64_t)INT64_MAX)
      return arch_fail(in, d->loc, "tensor '%s' in %s is too large", t->name, in->gguf_name);
    have[k] = (int64_t)t->ne[rank - 1 - k];
  }
  int64_t want[IR_MAX_RANK];
  int want_rank = 0;
  bool match = true;
  for (const arch_expr *dim = d->dims; dim; dim = dim->next, want_rank++) {
    if (dim->kind == AE_WILDCARD) {
      want[want_rank] = -1;
      continue;
    }
    int64_t v;
    if (!arch_eval_int(in, fr, dim, "a dimension", &v))
      return false;
    if (v <= 0)
      return arch_fail(in, dim->loc,
                       "dimension %d of weight '%s' is %" PRId64 " (must be positive)",
                       want_rank + 1, wname, v);
    want[want_rank] = v;
  }
  if (want_rank != rank)
    match = false;
  for (int k = 0; match && k < rank; k++)
    if (want[k] >= 0 && want[k] != have[k])
      match = false;
  if (!match) {
    char hs[96], ws[96];
    shape_str(have, rank, hs, sizeof hs);
    shape_str(want, want_rank, ws, sizeof ws);
    return arch_fail(in, d->loc,
                     "tensor '%s' in %s has shape %s, but weight '%s' expects %s (shapes are "
                     "[rows, cols], GGUF's ne reversed)",
                     t->name, in->gguf_name, hs, wname, ws);
  }
  ir_type type = {.dtype = dt, .rank = rank, .layout = IR_LAYOUT_ROWMAJOR};
  memcpy(type.dims, have, sizeof have);
  int64_t bytes = ir_type_bytes(&type);
  if (bytes < 0)
    return arch_fail(in, d->loc,
                     "tensor '%s' in %s: rows of %" PRId64
                     " elements are not a whole number of %s blocks (%d)",
                     t->name, in->gguf_name, have[rank - 1], ir_dtype_get(dt)->name,
                     ir_dtype_get(dt)->block_elems);
  if ((uint64_t)bytes != t->nbytes) {
    char hs[96];
    shape_str(have, rank, hs, sizeof hs);
    return arch_fail(in, d->loc,
                     "tensor '%s' in %s holds %" PRIu64 " bytes, but %s%s needs %" PRId64, t->name,
                     in->gguf_name, t->nbytes, ir_dtype_get(dt)->name, hs, bytes);
  }
  if (!arch_charge(in, use, in->m->n_weights / 64)) /* a linear search */
    return false;
  *index = ir_module_add_weight(in->m, t->name, type, t->data, t->nbytes);
  return true;
}

static bool resolve(arch_interp *in, const arch_value *h, arch_loc use, bool probe, int *index) {
  const arch_decl *d = h->w;
  char wname[96];
  arch_weight_str(h, wname, sizeof wname);
  arch_binding *b = find_binding(in, h);
  const char *tname = NULL;
  if (b) {
    *index = b->weight;
  } else {
    /* A first lookup does real work (the name, the tensor, a binding): it
     * costs BINDING_STEPS of the budget, which bounds the bindings too. */
    if (!arch_charge(in, use, BINDING_STEPS))
      return false;
    for (int k = 0; k < in->n_binding_stack; k++)
      if (in->binding_stack[k] == d)
        return arch_fail(in, d->loc, "weight '%s' falls back to itself", d->name);
    if (in->n_binding_stack >= (int)(sizeof in->binding_stack / sizeof in->binding_stack[0]))
      return arch_fail(in, d->loc, "fallbacks nested too deeply");
    arch_frame fr = {0};
    index_frame(h, &fr);
    bool ok = arch_eval_string(in, &fr, d->pattern, &tname);
    const gguf_tensor *t = ok ? gguf_find_tensor(in->g, tname) : NULL;
    *index = -1;
    if (ok && t) {
      ok = bind_tensor(in, h, &fr, t, use, index);
    } else if (ok && d->fallback) {
      arch_value fb;
      ok = arch_eval(in, &fr, d->fallback, &fb);
      if (ok && fb.kind != AV_WEIGHT)
        ok = arch_fail(in, d->fallback->loc, "the fallback of '%s' is not a weight", d->name);
      if (ok) {
        in->binding_stack[in->n_binding_stack++] = d;
        ok = resolve(in, &fb, use, probe || d->optional, index);
        in->n_binding_stack--;
      }
    }
    arch_frame_free(&fr);
    if (!ok)
      return false;
    add_binding(in, h, *index);
  }
  if (*index < 0 && !probe && !d->optional) {
    if (!tname) {
      arch_frame fr = {0};
      index_frame(h, &fr);
      bool ok = arch_eval_string(in, &fr, d->pattern, &tname);
      arch_frame_free(&fr);
      if (!ok)
        return false;
    }
    return arch_fail(in, d->loc, "tensor '%s' (weight '%s', used at line %d) is not in %s", tname,
                     wname, use.line, in->gguf_name);
  }
  return true;
}

bool arch_weight_resolve(arch_interp *in, const arch_value *w, arch_loc use, int *index) {
  return resolve(in, w, use, true, index);
}

bool arch_weight_inst(arch_interp *in, const arch_value *w, arch_loc use, ir_inst **out) {
  return arch_weight_rows(in, w, use, 0, -1, out);
}

bool arch_weight_rows(arch_interp *in, const arch_value *w, arch_loc use, int64_t first,
                      int64_t rows, ir_inst **out) {
  int index;
  if (!resolve(in, w, use, false, &index))
    return false;
  char wname[96];
  arch_weight_str(w, wname, sizeof wname);
  if (index < 0) {
    arch_frame fr = {0};
    index_frame(w, &fr);
    const char *tname = "?";
    bool ok = arch_eval_string(in, &fr, w->w->pattern, &tname);
    arch_frame_free(&fr);
    if (!ok)
      return false;
    return arch_fail(in, use,
                     "optional weight '%s' (tensor '%s') is not in %s: guard its use with "
                     "has(%s)",
                     wname, tname, in->gguf_name, wname);
  }
  ir_type type = in->m->weights[index].type;
  if (rows >= 0) {
    char ts[96];
    if (first < 0 || rows < 1 || first > type.dims[0] - rows)
      return arch_fail(in, use,
                       "slice: %s %" PRId64 " .. %" PRId64 " of weight '%s' (%s) are not all in it",
                       type.rank == 1 ? "elements" : "rows", first, first + rows - 1, wname,
                       ir_type_str(&type, ts, sizeof ts));
    type.dims[0] = rows;
  }
  ir_inst *i = arch_emit(in, IR_OP_WEIGHT, type, 0, NULL);
  i->ref = index;
  char name[128];
  size_t n = (size_t)snprintf(name, sizeof name, "%s", w->w->name);
  for (int k = 0; k < w->n_idx && n < sizeof name; k++)
    n += (size_t)snprintf(name + n, sizeof name - n, ".%" PRId64, w->idx[k]);
  if (rows >= 0 && n < sizeof name) {
    snprintf(name + n, sizeof name - n, ".r%" PRId64, first);
    ir_attr_set_int(in->m, i, "first_row", first);
  }
  i->name = arch_unique_name(in, name);
  *out = i;
  return true;
}
