/* ir_print.c — the IR's text form (the inverse of ir_parse.c).
 *
 *   module @model {
 *     meta n_vocab = 512
 *     weight @token_embd.weight : f32[512, 64] gguf          # 131072 bytes
 *     cache @kv.0.k : f32[512, 32]
 *     func @decode(%tok : i32, %pos : i32) -> f32[512] {
 *       %0 = weight @token_embd.weight : f32[512, 64] rowmajor
 *       %x = embed %0, %tok : f32[64]
 *       %h.0 = rms_norm %x, %1 {eps = 1e-05} : f32[64] arena 256
 *       ...
 *       return %logits
 *     }
 *     func @prefill(%tok : i32[32], %pos : i32, %n : i32) -> f32[512] batch 32 rows %n {
 *       ...
 *       %x = embed %0, %tok : f32[32, 64]
 *       ...
 *     }
 *   }
 *
 * Values print under their name when they have one (and it is unique), else
 * as sequential numbers. Floats print in the shortest form that reads back to
 * the same value (as a float when the value is a float). `offset N` on weights
 * and caches, and `arena N` on instructions, appear once plan-memory ran.
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "support/xalloc.h"

/* Formats v so that strtod gives it back (as a float when it is one). */
static void format_float(double v, char *buf, size_t size) {
  bool is_float = (double)(float)v == v;
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, v);
    double back = strtod(buf, NULL);
    if (is_float ? (float)back == (float)v : back == v)
      break;
  }
  if (!strpbrk(buf, ".eEn")) /* keep it a float literal: 2 -> 2.0, not inf/nan */
    strncat(buf, ".0", size - strlen(buf) - 1);
}

static bool is_plain_symbol(const char *s) {
  if (!*s)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '.' || *p == '-'))
      return false;
  return true;
}

static void print_string(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f)
      fprintf(out, "\\x%02x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

static void print_symbol(FILE *out, const char *s) {
  fputc('@', out);
  if (is_plain_symbol(s))
    fputs(s, out);
  else
    print_string(out, s);
}

static void print_attr_value(FILE *out, const ir_attr *a) {
  char buf[64];
  switch (a->kind) {
  case IR_ATTR_INT:
    fprintf(out, "%" PRId64, a->i);
    break;
  case IR_ATTR_FLOAT:
    format_float(a->f, buf, sizeof buf);
    fputs(buf, out);
    break;
  case IR_ATTR_STR:
    print_string(out, a->s);
    break;
  }
}

static void print_type(FILE *out, const ir_type *t) {
  char buf[128];
  fputs(ir_type_str(t, buf, sizeof buf), out);
}

/* Value names for one function: names chosen once, in order. */
typedef struct namer {
  const ir_inst **insts;
  char **names;
  int n, cap;
} namer;

static bool name_taken(const namer *nm, const char *s) {
  for (int i = 0; i < nm->n; i++)
    if (!strcmp(nm->names[i], s))
      return true;
  return false;
}

static void namer_add(namer *nm, const ir_inst *v, int *counter) {
  if (nm->n == nm->cap) {
    nm->cap = nm->cap ? nm->cap * 2 : 64;
    nm->insts = gqc_xrealloc(nm->insts, (size_t)nm->cap * sizeof *nm->insts, "printing the IR");
    nm->names = gqc_xrealloc(nm->names, (size_t)nm->cap * sizeof *nm->names, "printing the IR");
  }
  char buf[256];
  if (v->name && *v->name && !name_taken(nm, v->name) && is_plain_symbol(v->name)) {
    snprintf(buf, sizeof buf, "%s", v->name);
  } else {
    do
      snprintf(buf, sizeof buf, "%d", (*counter)++);
    while (name_taken(nm, buf));
  }
  size_t len = strlen(buf) + 1;
  nm->insts[nm->n] = v;
  nm->names[nm->n] = gqc_xmalloc(len, "printing the IR");
  memcpy(nm->names[nm->n], buf, len);
  nm->n++;
}

static const char *namer_get(const namer *nm, const ir_inst *v) {
  /* Instructions carry their index in `id` while printing (set below). */
  if (v->id >= 0 && v->id < nm->n && nm->insts[v->id] == v)
    return nm->names[v->id];
  return "<undefined>";
}

static void print_func(FILE *out, const ir_module *m, ir_func *f) {
  namer nm = {0};
  int counter = 0;
  /* Names are the printer's concern only; `id` is scratch by contract. */
  for (int p = 0; p < f->n_params; p++) {
    f->params[p]->id = nm.n;
    namer_add(&nm, f->params[p], &counter);
  }
  ir_for_each_inst(f, i) if (i->has_result) {
    i->id = nm.n;
    namer_add(&nm, i, &counter);
  }
  else i->id = -1;

  fprintf(out, "  func ");
  print_symbol(out, f->name);
  fputc('(', out);
  for (int p = 0; p < f->n_params; p++) {
    fprintf(out, "%s%%%s : ", p ? ", " : "", namer_get(&nm, f->params[p]));
    print_type(out, &f->params[p]->type);
  }
  fputs(") -> ", out);
  print_type(out, &f->result);
  if (f->batch > 0)
    fprintf(out, " batch %" PRId64 " rows %%%s", f->batch,
            f->rows ? namer_get(&nm, f->rows) : "<undefined>");
  fputs(" {\n", out);

  ir_for_each_inst(f, i) {
    const ir_op_info *oi = ir_op_get(i->op);
    fputs("    ", out);
    if (i->has_result)
      fprintf(out, "%%%s = ", namer_get(&nm, i));
    fputs(oi ? oi->name : "?", out);
    if (i->op == IR_OP_WEIGHT || i->op == IR_OP_CACHE) {
      const char *sym = "?";
      if (i->op == IR_OP_WEIGHT && i->ref >= 0 && i->ref < m->n_weights)
        sym = m->weights[i->ref].name;
      if (i->op == IR_OP_CACHE && i->ref >= 0 && i->ref < m->n_caches)
        sym = m->caches[i->ref].name;
      fputc(' ', out);
      print_symbol(out, sym);
    }
    for (int k = 0; k < i->n_operands; k++)
      fprintf(out, "%s%%%s", k ? ", " : " ", i->operands[k] ? namer_get(&nm, i->operands[k]) : "?");
    if (i->n_attrs) {
      fputs(" {", out);
      for (int k = 0; k < i->n_attrs; k++) {
        fprintf(out, "%s%s = ", k ? ", " : "", i->attrs[k].key);
        print_attr_value(out, &i->attrs[k]);
      }
      fputc('}', out);
    }
    if (i->has_result) {
      fputs(" : ", out);
      print_type(out, &i->type);
      if (i->offset >= 0)
        fprintf(out, " arena %" PRId64, i->offset);
    }
    fputc('\n', out);
  }
  fputs("  }\n", out);
  for (int k = 0; k < nm.n; k++)
    free(nm.names[k]);
  free(nm.names);
  free(nm.insts);
}

void ir_print_module(FILE *out, const ir_module *m) {
  fputs("module ", out);
  print_symbol(out, m->name);
  fputs(" {\n", out);
  for (int k = 0; k < m->n_meta; k++) {
    fprintf(out, "  meta %s = ", m->meta[k].key);
    print_attr_value(out, &m->meta[k]);
    fputc('\n', out);
  }
  if (m->arena_bytes >= 0)
    fprintf(out, "  arena_bytes %" PRId64 "\n", m->arena_bytes);
  if (m->weight_bytes >= 0)
    fprintf(out, "  weight_bytes %" PRId64 "\n", m->weight_bytes);
  for (int k = 0; k < m->n_weights; k++) {
    const ir_weight *w = &m->weights[k];
    if (w->dead)
      continue;
    ir_type t = w->type;
    t.layout = IR_LAYOUT_NONE;
    fputs("  weight ", out);
    print_symbol(out, w->name);
    fputs(" : ", out);
    print_type(out, &t);
    fprintf(out, " %s", w->storage ? w->storage : "gguf");
    if (w->offset >= 0)
      fprintf(out, " offset %" PRId64, w->offset);
    fprintf(out, "  # %" PRIu64 " bytes\n", w->nbytes);
  }
  for (int k = 0; k < m->n_caches; k++) {
    const ir_cache *c = &m->caches[k];
    fputs("  cache ", out);
    print_symbol(out, c->name);
    fputs(" : ", out);
    print_type(out, &c->type);
    if (c->offset >= 0)
      fprintf(out, " offset %" PRId64, c->offset);
    fputc('\n', out);
  }
  for (int k = 0; k < m->n_funcs; k++)
    print_func(out, m, m->funcs[k]);
  fputs("}\n", out);
}
