/* ir_dot.c — the IR as a Graphviz graph: a picture of what is computed.
 *
 * A 270M model has ~500 instructions per function; drawn one box each, the
 * picture is a poster nobody reads. What a reader wants is one layer in full
 * (every op, the kernel each one calls, the weights with their encoding,
 * storage and bytes) and the shape of the rest. So the printer
 *
 *   1. assigns every instruction to a part of the function: the head (before
 *      the first layer: embedding, input scaling), layer L, or the tail (the
 *      final norm, the lm_head, ...). A weight or cache belongs to the layer
 *      its name gives ("blk.L.*", "kv.L.*"); an op belongs to the layer of the
 *      layered weights or caches it reads, else to the latest part among its
 *      operands; an op reading a layer-less weight after the layers (the
 *      output norm, the lm_head) starts the tail;
 *   2. writes a signature per layer: its instructions in order with their
 *      op, type, attributes (no arena offsets), weight encoding and storage,
 *      and which earlier instruction of the same layer each operand is;
 *   3. draws the head and the tail as they are, layer 0 (the first layer
 *      present) expanded as a cluster, and every run of consecutive layers
 *      with one signature as one box, "layers 1..17 ×17", saying whether
 *      they compute what layer 0 computes or where they differ (up to three
 *      places, e.g. attention window=0 in a global layer), with their op
 *      count and weight bytes. Edges between folded parts are drawn once.
 *
 * Each function of the module is a cluster of its own (@decode, @prefill).
 * The output is plain DOT text; `dot -Tsvg` lays it out (driver/graph_file.c).
 * Only the IR is read: the kernels are the instructions' `kernel` attributes,
 * the storage the weights' `storage` field, both set by passes when they ran.
 */
#include "ir/ir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "support/markup_text.h"
#include "support/strbuf.h"

#define PART_HEAD (-1)
#define PART_GLOBAL (-2) /* a weight or cache that names no layer */
#define PART_TAIL (1 << 30)

/* The layer a weight or cache name gives: "blk.12.attn_q.weight",
 * "kv.12.k" -> 12; PART_GLOBAL when it names none. */
static int layer_of_name(const char *name) {
  static const char *const prefixes[] = {"blk.", "kv."};
  for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
    size_t n = strlen(prefixes[k]);
    if (strncmp(name, prefixes[k], n) || name[n] < '0' || name[n] > '9')
      continue;
    long v = strtol(name + n, NULL, 10);
    return v < PART_TAIL ? (int)v : PART_GLOBAL;
  }
  return PART_GLOBAL;
}

static const char *inst_symbol(const ir_module *m, const ir_inst *i) {
  if (i->op == IR_OP_WEIGHT)
    return m->weights[i->ref].name;
  if (i->op == IR_OP_CACHE)
    return m->caches[i->ref].name;
  return NULL;
}

static void attr_value(const ir_attr *a, char *buf, size_t n) {
  if (a->kind == IR_ATTR_INT)
    snprintf(buf, n, "%" PRId64, a->i);
  else if (a->kind == IR_ATTR_FLOAT)
    snprintf(buf, n, "%g", a->f);
  else
    snprintf(buf, n, "%s", a->s);
}

/* Attributes that describe the computation (arena offsets do not). */
static bool attr_shown(const ir_attr *a) {
  return strcmp(a->key, "scores") != 0;
}

static const char *kernel_short(const ir_inst *i) {
  const char *k = ir_attr_str(i, "kernel", NULL);
  return k && !strncmp(k, "gqcrt_", 6) ? k + 6 : k;
}

/* One function being drawn. Instructions (params first, then the body) are
 * numbered through their scratch id. */
typedef struct drawing {
  const ir_module *m;
  const ir_func *f;
  int fn; /* function index, for node names */
  int n;  /* params + body */
  ir_inst **insts;
  int *part; /* per instruction: PART_* or a layer */
  int n_layers;
  int base;          /* the first layer with instructions ("layer 0"), drawn expanded */
  int *run_of_layer; /* per layer after base: its run; -1 for base and empty layers */
  int n_runs;
  int *run_first, *run_last;
  gqc_strbuf *sig; /* per layer */
} drawing;

static void sig_of(const drawing *g, const ir_inst *i, const int *local, gqc_strbuf *b) {
  char t[96], v[96];
  ir_type_str(&i->type, t, sizeof t);
  gqc_strbuf_printf(b, "%s:%s", ir_op_get(i->op)->name, t);
  if (i->op == IR_OP_WEIGHT)
    gqc_strbuf_printf(b, "/%s", g->m->weights[i->ref].storage ? g->m->weights[i->ref].storage : "");
  for (int k = 0; k < i->n_attrs; k++)
    if (attr_shown(&i->attrs[k])) {
      attr_value(&i->attrs[k], v, sizeof v);
      gqc_strbuf_printf(b, ",%s=%s", i->attrs[k].key, v);
    }
  for (int k = 0; k < i->n_operands; k++) {
    const ir_inst *o = i->operands[k];
    if (g->part[o->id] == g->part[i->id])
      gqc_strbuf_printf(b, " #%d", local[o->id]);
    else
      gqc_strbuf_printf(b, " ^");
  }
  gqc_strbuf_printf(b, ";");
}

/* Parts, signatures and runs. False when out of memory. */
static bool analyse(drawing *g) {
  const ir_func *f = g->f;
  int n = 0;
  for (int p = 0; p < f->n_params; p++)
    g->insts[n++] = f->params[p];
  ir_for_each_inst(f, i) g->insts[n++] = i;
  for (int k = 0; k < n; k++)
    g->insts[k]->id = k;
  g->n_layers = 0;
  for (int k = 0; k < n; k++) {
    const ir_inst *i = g->insts[k];
    const char *sym = inst_symbol(g->m, i);
    int part = PART_HEAD;
    if (sym) {
      part = layer_of_name(sym);
      if (part >= n) /* more layers than instructions: not a layer number */
        part = PART_GLOBAL;
    } else if (i->op != IR_OP_PARAM) {
      int from_ops = PART_HEAD, from_layered = -1;
      bool reads_global = false;
      for (int o = 0; o < i->n_operands; o++) {
        int po = g->part[i->operands[o]->id];
        if (inst_symbol(g->m, i->operands[o])) {
          if (po >= 0 && po > from_layered)
            from_layered = po;
          reads_global |= po == PART_GLOBAL;
        } else if (po > from_ops) {
          from_ops = po;
        }
      }
      part = from_layered >= 0               ? from_layered
             : reads_global && from_ops >= 0 ? PART_TAIL
                                             : from_ops;
    }
    g->part[k] = part;
    if (part >= 0 && part != PART_TAIL && part + 1 > g->n_layers)
      g->n_layers = part + 1;
  }
  g->sig = calloc((size_t)g->n_layers + 1, sizeof *g->sig);
  g->run_of_layer = calloc((size_t)g->n_layers + 1, sizeof *g->run_of_layer);
  g->run_first = calloc((size_t)g->n_layers + 1, sizeof *g->run_first);
  g->run_last = calloc((size_t)g->n_layers + 1, sizeof *g->run_last);
  int *count = calloc((size_t)g->n_layers + 1, sizeof *count);
  int *local = calloc((size_t)n + 1, sizeof *local);
  if (!g->sig || !g->run_of_layer || !g->run_first || !g->run_last || !count || !local) {
    free(count);
    free(local);
    return false;
  }
  bool ok = true;
  for (int k = 0; k < n; k++) {
    int p = g->part[k];
    if (p < 0 || p == PART_TAIL)
      continue;
    local[k] = count[p]++;
    sig_of(g, g->insts[k], local, &g->sig[p]);
    ok &= !g->sig[p].oom;
  }
  g->n_runs = 0;
  if (!ok) {
    free(count);
    free(local);
    return false;
  }
  g->base = 0;
  while (g->base < g->n_layers && !count[g->base])
    g->base++;
  for (int l = 0; l <= g->base && l < g->n_layers; l++)
    g->run_of_layer[l] = -1;
  for (int l = g->base + 1; l < g->n_layers; l++) {
    g->run_of_layer[l] = -1;
    if (!count[l]) /* a layer number nothing uses */
      continue;
    bool same = g->run_of_layer[l - 1] >= 0 && !strcmp(g->sig[l].s, g->sig[l - 1].s);
    if (!same)
      g->run_first[g->n_runs++] = l;
    g->run_of_layer[l] = g->n_runs - 1;
    g->run_last[g->n_runs - 1] = l;
  }
  free(count);
  free(local);
  return ok;
}

/* The node an instruction is drawn in: itself, or its folded run's box
 * (numbered after the instructions). */
static int drawn(const drawing *g, int k) {
  int p = g->part[k];
  if (p > g->base && p != PART_TAIL && p < g->n_layers)
    return g->n + g->run_of_layer[p];
  return k;
}

static const char *dtype_color(ir_dtype t) {
  static const char *const palette[] = {"#fde2e4", "#e2ece9", "#fff1e6", "#dfe7fd",
                                        "#f0efeb", "#e9f5db", "#fad2e1", "#cddafd"};
  return palette[(unsigned)t % (sizeof palette / sizeof palette[0])];
}

static void draw_inst(FILE *out, const drawing *g, int k) {
  const ir_inst *i = g->insts[k];
  char t[96], hb[32];
  fprintf(out, "    f%d_%d [", g->fn, k);
  if (i->op == IR_OP_WEIGHT) {
    const ir_weight *w = &g->m->weights[i->ref];
    ir_type wt = w->type;
    wt.layout = IR_LAYOUT_NONE;
    ir_type_str(&wt, t, sizeof t);
    ir_bytes_str((int64_t)w->nbytes, hb, sizeof hb);
    fprintf(out, "shape=note, style=filled, fillcolor=\"%s\", label=<<B>",
            dtype_color(w->type.dtype));
    gqc_put_markup_text(out, w->name, false);
    fprintf(out, "</B><BR/>");
    gqc_put_markup_text(out, t, false);
    fprintf(out, "<BR/>%s", hb);
    if (w->storage && strcmp(w->storage, "gguf")) {
      fprintf(out, " · ");
      gqc_put_markup_text(out, w->storage, false);
    }
    fprintf(out, ">];\n");
    return;
  }
  if (i->op == IR_OP_CACHE) {
    const ir_cache *c = &g->m->caches[i->ref];
    ir_type_str(&c->type, t, sizeof t);
    ir_bytes_str(ir_type_bytes(&c->type), hb, sizeof hb);
    fprintf(out, "shape=cylinder, style=filled, fillcolor=\"#e8e8f8\", label=<<B>");
    gqc_put_markup_text(out, c->name, false);
    fprintf(out, "</B><BR/>");
    gqc_put_markup_text(out, t, false);
    fprintf(out, "<BR/>%s>];\n", hb);
    return;
  }
  if (i->op == IR_OP_PARAM) {
    ir_type_str(&i->type, t, sizeof t);
    fprintf(out, "shape=ellipse, label=<%%");
    gqc_put_markup_text(out, i->name ? i->name : "param", false);
    fprintf(out, " : ");
    gqc_put_markup_text(out, t, false);
    fprintf(out, ">];\n");
    return;
  }
  bool heavy = i->op == IR_OP_LINEAR || i->op == IR_OP_ATTENTION || i->op == IR_OP_MATMUL;
  fprintf(out, "shape=box, style=\"rounded,filled\", fillcolor=\"%s\", label=<<B>%s</B>",
          heavy ? "#cfe2f3" : "#ffffff", ir_op_get(i->op)->name);
  const char *kern = kernel_short(i);
  if (kern) {
    fprintf(out, "<BR/><FONT COLOR=\"#1f4e79\">");
    gqc_put_markup_text(out, kern, false);
    fprintf(out, "</FONT>");
  }
  int shown = 0;
  for (int a = 0; a < i->n_attrs && shown < 3; a++) {
    const ir_attr *at = &i->attrs[a];
    if (!attr_shown(at) || !strcmp(at->key, "kernel"))
      continue;
    char v[64];
    attr_value(at, v, sizeof v);
    fprintf(out, "%s", shown++ ? " " : "<BR/><FONT POINT-SIZE=\"9\">");
    gqc_put_markup_text(out, at->key, false);
    fputc('=', out);
    gqc_put_markup_text(out, v, false);
  }
  if (shown)
    fprintf(out, "</FONT>");
  if (i->has_result) {
    ir_type_str(&i->type, t, sizeof t);
    fprintf(out, "<BR/><FONT POINT-SIZE=\"9\">→ ");
    gqc_put_markup_text(out, t, false);
    fprintf(out, "</FONT>");
  }
  fprintf(out, ">];\n");
}

/* Appends one difference to buf unless it is there already; false once
 * buf holds as many as the box shows. */
static bool add_difference(char *buf, size_t size, const char *one) {
  if (!strstr(buf, one))
    snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", *buf ? "; " : "", one);
  return strchr(buf, ';') == NULL || strchr(strchr(buf, ';') + 1, ';') == NULL;
}

/* Where layer l differs from the expanded layer (g->base, usually 0), up to
 * three places, as "attention window=0 (layer 0: 512)"; "" when they compute
 * the same. */
static void difference(const drawing *g, int l, char *buf, size_t size) {
  buf[0] = 0;
  int b0 = g->base;
  if (g->sig[l].s && g->sig[b0].s && !strcmp(g->sig[l].s, g->sig[b0].s))
    return;
  char one[256];
  for (int ka = 0, kb = 0;; ka++, kb++) { /* both layers in step */
    while (ka < g->n && g->part[ka] != l)
      ka++;
    while (kb < g->n && g->part[kb] != b0)
      kb++;
    if (ka >= g->n || kb >= g->n) {
      int ca = 0, cb = 0;
      for (int k = 0; k < g->n; k++)
        ca += g->part[k] == l, cb += g->part[k] == b0;
      if (ca != cb) {
        snprintf(one, sizeof one, "%d instructions (layer %d: %d)", ca, b0, cb);
        add_difference(buf, size, one);
      } else if (!*buf) {
        add_difference(buf, size, "operands or weight storage");
      }
      return;
    }
    const ir_inst *a = g->insts[ka], *b = g->insts[kb];
    char ta[96], tb[96];
    ir_type_str(&a->type, ta, sizeof ta);
    ir_type_str(&b->type, tb, sizeof tb);
    if (a->op != b->op || strcmp(ta, tb)) {
      snprintf(one, sizeof one, "%s %s (layer %d: %s %s)", ir_op_get(a->op)->name, ta, b0,
               ir_op_get(b->op)->name, tb);
      if (!add_difference(buf, size, one) || a->op != b->op) /* different ops: apart */
        return;
    }
    for (int x = 0; x < a->n_attrs; x++) {
      const ir_attr *at = &a->attrs[x], *bt = ir_attr_get(b, at->key);
      char va[64], vb[64] = "none";
      if (!attr_shown(at))
        continue;
      attr_value(at, va, sizeof va);
      if (bt)
        attr_value(bt, vb, sizeof vb);
      if (strcmp(va, vb)) {
        snprintf(one, sizeof one, "%s %s=%s (layer %d: %s)", ir_op_get(a->op)->name, at->key, va,
                 b0, vb);
        if (!add_difference(buf, size, one))
          return;
      }
    }
  }
}

static void draw_run(FILE *out, const drawing *g, int r) {
  int first = g->run_first[r], last = g->run_last[r], count = last - first + 1;
  int ops = 0;
  int64_t wbytes = 0;
  for (int k = 0; k < g->n; k++) {
    if (g->part[k] != first)
      continue;
    const ir_inst *i = g->insts[k];
    if (i->op == IR_OP_WEIGHT)
      wbytes += (int64_t)g->m->weights[i->ref].nbytes;
    else if (i->op != IR_OP_CACHE)
      ops++;
  }
  char diff[800], hb[32], ht[32];
  difference(g, first, diff, sizeof diff);
  ir_bytes_str(wbytes, hb, sizeof hb);
  ir_bytes_str(wbytes * count, ht, sizeof ht);
  fprintf(out,
          "    f%d_%d [shape=box, style=\"filled,dashed\", fillcolor=\"#eeeeee\", "
          "label=<<B>",
          g->fn, g->n + r);
  if (count > 1)
    fprintf(out, "layers %d..%d ×%d", first, last, count);
  else
    fprintf(out, "layer %d", first);
  fprintf(out, "</B><BR/>");
  if (*diff) {
    fprintf(out, "differs from layer %d: ", g->base);
    for (const char *p = diff; *p;) { /* one difference a line */
      const char *semi = strstr(p, "; ");
      char part[256];
      snprintf(part, sizeof part, "%.*s", (int)(semi ? semi - p : (long)strlen(p)), p);
      gqc_put_markup_text(out, part, false);
      if (semi)
        fprintf(out, "<BR/>");
      p = semi ? semi + 2 : p + strlen(p);
    }
  } else {
    fprintf(out, "each as layer %d", g->base);
  }
  fprintf(out, "<BR/>%d ops, weights %s per layer", ops, hb);
  if (count > 1)
    fprintf(out, " (%s in all)", ht);
  fprintf(out, ">];\n");
}

/* Edges between drawn nodes, each once (open addressing on the pair). */
typedef struct edge_set {
  uint64_t *keys;
  size_t cap;
} edge_set;

static bool edge_new(edge_set *s, int from, int to) {
  uint64_t key = ((uint64_t)(uint32_t)from << 32 | (uint32_t)to) + 1;
  size_t h = (size_t)(key * 0x9e3779b97f4a7c15ull) & (s->cap - 1);
  while (s->keys[h]) {
    if (s->keys[h] == key)
      return false;
    h = (h + 1) & (s->cap - 1);
  }
  s->keys[h] = key;
  return true;
}

static bool draw_func(FILE *out, const ir_module *m, const ir_func *f, int fn) {
  drawing g = {.m = m, .f = f, .fn = fn};
  g.n = f->n_params + ir_func_length(f);
  g.insts = calloc((size_t)g.n + 1, sizeof *g.insts);
  g.part = calloc((size_t)g.n + 1, sizeof *g.part);
  edge_set es = {0};
  es.cap = 64;
  while (es.cap < (size_t)g.n * 16)
    es.cap *= 2;
  es.keys = calloc(es.cap, sizeof *es.keys);
  bool ok = g.insts && g.part && es.keys && analyse(&g);
  if (ok) {
    fprintf(out, "  subgraph cluster_f%d {\n    label=<<B>@", fn);
    gqc_put_markup_text(out, f->name, false);
    fprintf(out, "</B>");
    if (f->batch > 0)
      fprintf(out, " (batch %" PRId64 ")", f->batch);
    fprintf(out, ">;\n    style=rounded;\n");
    if (g.base < g.n_layers) {
      fprintf(out,
              "    subgraph cluster_f%d_layer%d {\n    label=<<B>layer %d</B>&#160;(expanded)>;\n"
              "    style=\"rounded,filled\"; fillcolor=\"#f7fbff\";\n",
              fn, g.base, g.base);
      for (int k = 0; k < g.n; k++)
        if (g.part[k] == g.base)
          draw_inst(out, &g, k);
      fprintf(out, "    }\n");
    }
    for (int k = 0; k < g.n; k++)
      if (drawn(&g, k) == k && g.part[k] != g.base)
        draw_inst(out, &g, k);
    for (int r = 0; r < g.n_runs; r++)
      draw_run(out, &g, r);
    for (int k = 0; k < g.n; k++) {
      const ir_inst *i = g.insts[k];
      int to = drawn(&g, k);
      for (int o = 0; o < i->n_operands; o++) {
        int from = drawn(&g, i->operands[o]->id);
        if (from != to && edge_new(&es, from, to))
          fprintf(out, "    f%d_%d -> f%d_%d%s;\n", fn, from, fn, to,
                  i->operands[o]->op == IR_OP_PARAM ? " [style=dotted, color=\"#999999\"]" : "");
      }
    }
    fprintf(out, "  }\n");
  }
  for (int l = 0; g.sig && l < g.n_layers; l++)
    free(g.sig[l].s);
  free(g.sig);
  free(g.run_of_layer);
  free(g.run_first);
  free(g.run_last);
  free(g.insts);
  free(g.part);
  free(es.keys);
  return ok;
}

bool ir_print_dot(FILE *out, const ir_module *m, const char *stage) {
  char wb[32], ab[32];
  fprintf(out, "digraph gqc {\n  rankdir=TB; newrank=true; ranksep=0.25; nodesep=0.2;\n"
               "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.08,0.03\"];\n"
               "  edge [color=\"#555555\", arrowsize=0.6];\n"
               "  graph [fontname=\"Helvetica\", fontsize=12, labelloc=t, label=<<B>@");
  gqc_put_markup_text(out, m->name ? m->name : "module", false);
  fprintf(out, "</B>");
  if (stage && *stage) {
    fprintf(out, "&#160;— ");
    gqc_put_markup_text(out, stage, false);
  }
  const ir_attr *arch = ir_meta_get(m, "arch");
  if (arch && arch->kind == IR_ATTR_STR) {
    fprintf(out, "&#160;— ");
    gqc_put_markup_text(out, arch->s, false);
  }
  if (m->weight_bytes >= 0 && m->arena_bytes >= 0) {
    ir_bytes_str(m->weight_bytes, wb, sizeof wb);
    ir_bytes_str(m->arena_bytes, ab, sizeof ab);
    fprintf(out, "<BR/>weights %s, arena %s", wb, ab);
  }
  fprintf(out, ">];\n");
  bool ok = true;
  for (int k = 0; k < m->n_funcs && ok; k++)
    ok = draw_func(out, m, m->funcs[k], k);
  fprintf(out, "}\n");
  return ok;
}
