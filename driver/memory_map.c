/* memory_map.c — `--memory-map FILE.svg|.html`: a picture of the arena plan.
 *
 * The arena (passes/plan_memory.c) is one static buffer: the KV caches at
 * the bottom, persistent, then one activation region that every function
 * (@decode, @prefill) plans for itself, since they never run at once. The
 * picture has one panel per part, each self-explanatory:
 *
 *   - "KV cache": the region [0, kv bytes), one bar per cache buffer at its
 *     offset (height ∝ bytes), labelled with its name and size — a sliding-
 *     window layer's cache is visibly smaller than a global layer's;
 *   - "@decode", "@prefill": x is the instruction index (time), y the offset
 *     in the activation region; each activation is a bar from the instruction
 *     that defines it to its last use, at its offset, as tall as its block;
 *     an attention op's score scratch is a bar one instruction wide. The
 *     panel's height is its function's activation bytes, so the highest bar
 *     touches the top exactly when the planner found no better packing.
 *
 * Above the panels, the totals --stats prints (arena = KV cache + the
 * largest function's activations, each function's activations, weights).
 * Every bar has a tooltip (<title>) naming the value, op, type, offset,
 * size and lifetime.
 *
 * The file is self-contained (no scripts, no fonts or styles fetched) and is
 * well-formed XML in both forms: .svg is the drawing alone, .html wraps the
 * same drawing in an XHTML page with a legend. For tools and tests, every
 * buffer is one <rect class="buf KIND" data-func data-name data-offset
 * data-bytes data-first data-last> and every total one
 * <text class="total" data-key data-bytes> (keys: arena, kv, activations,
 * FUNC_activations, weights).
 */
#include "driver/pictures.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "driver/outputs.h"
#include "support/markup_text.h"
#include "passes/arena_plan.h"

#define WIDTH 1200.0 /* drawing width, px */
#define LEFT 90.0    /* room for the offset axis */
#define RIGHT 20.0
#define PLOT (WIDTH - LEFT - RIGHT)

static const char *color_of(const gqc_arena_buffer *b) {
  if (b->kind == GQC_ARENA_CACHE)
    return b->cache % 2 ? "#9ecae1" : "#6baed6";
  if (b->kind == GQC_ARENA_SCRATCH)
    return "#e377c2";
  switch (b->inst->op) {
  case IR_OP_LINEAR:
  case IR_OP_MATMUL:
    return "#3182bd";
  case IR_OP_ATTENTION:
    return "#fd8d3c";
  case IR_OP_QUANTIZE:
    return "#31a354";
  case IR_OP_RMS_NORM:
    return "#756bb1";
  case IR_OP_EMBED:
    return "#de2d26";
  default:
    return "#969696";
  }
}

/* A value's name as the IR printer shows it when it has one. */
static void value_name(const ir_inst *i, char *buf, size_t n) {
  if (i->name)
    snprintf(buf, n, "%%%s", i->name);
  else
    snprintf(buf, n, "#%d", i->id); /* unnamed: its instruction index */
}

static void total(FILE *out, double x, double y, const char *key, const char *label, int64_t bytes,
                  bool bold) {
  char hb[32];
  ir_bytes_str(bytes, hb, sizeof hb);
  fprintf(out,
          "<text class=\"total\" data-key=\"%s\" data-bytes=\"%" PRId64 "\" x=\"%.1f\" y=\"%.1f\""
          "%s>",
          key, bytes, x, y, bold ? " font-weight=\"bold\"" : "");
  gqc_put_markup_text(out, label, true);
  fprintf(out, " %" PRId64 " B (%s)</text>\n", bytes, hb);
}

static void buffer_rect(FILE *out, const ir_module *m, const gqc_arena_buffer *b, double x,
                        double y, double w, double h) {
  char name[160], type[96] = "", hb[32];
  const char *func = b->func >= 0 ? m->funcs[b->func]->name : "";
  if (b->kind == GQC_ARENA_CACHE) {
    snprintf(name, sizeof name, "@%s", m->caches[b->cache].name);
    ir_type_str(&m->caches[b->cache].type, type, sizeof type);
  } else {
    value_name(b->inst, name, sizeof name);
    if (b->kind == GQC_ARENA_SCRATCH)
      strncat(name, ".scores", sizeof name - strlen(name) - 1);
    else
      ir_type_str(&b->inst->type, type, sizeof type);
  }
  static const char *const kinds[] = {"cache", "value", "scratch"};
  ir_bytes_str(b->bytes, hb, sizeof hb);
  fprintf(out, "<rect class=\"buf %s\" data-func=\"%s\" data-name=\"", kinds[b->kind], func);
  gqc_put_markup_text(out, name, true);
  fprintf(out,
          "\" data-offset=\"%" PRId64 "\" data-bytes=\"%" PRId64 "\" data-first=\"%d\" "
          "data-last=\"%d\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
          "stroke=\"#ffffff\" stroke-width=\"0.3\"><title>",
          b->offset, b->bytes, b->first, b->last, x, y, w, h, color_of(b));
  gqc_put_markup_text(out, name, true);
  if (b->kind != GQC_ARENA_CACHE)
    fprintf(out, " = %s",
            b->kind == GQC_ARENA_SCRATCH ? "attention scores" : ir_op_get(b->inst->op)->name);
  if (*type) {
    fprintf(out, " : ");
    gqc_put_markup_text(out, type, true);
  }
  fprintf(out, "\noffset %" PRId64 ", %s", b->offset, hb);
  if (b->kind == GQC_ARENA_CACHE)
    fprintf(out, ", persistent");
  else
    fprintf(out, ", live at instructions %d..%d of @%s", b->first, b->last, func);
  fprintf(out, "</title></rect>\n");
}

/* Offset axis: ticks at 0, 1/4, ... of `bytes` from y0 (top) to y0 + h,
 * labelled as offsets into the region (a "+" when it does not start at 0). */
static void axis(FILE *out, double y0, double h, bool relative, int64_t bytes) {
  for (int t = 0; t <= 4; t++) {
    double y = y0 + h - h * t / 4.0;
    char hb[32], label[40];
    ir_bytes_str(bytes * t / 4, hb, sizeof hb);
    snprintf(label, sizeof label, "%s%s", relative ? "+" : "", hb);
    fprintf(out,
            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#bbbbbb\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%s</text>\n",
            LEFT - 4, LEFT + PLOT, y, y, LEFT - 6, y + 3, label);
  }
}

/* Draws the picture into out (measure: draws nothing); returns its height. */
static double draw(FILE *out, const ir_module *m, const gqc_arena_buffer *b, int n, bool measure) {
  FILE *o = measure ? NULL : out;
  int64_t kv = ir_meta_int(m, "kv_bytes", 0);
  double y = 0;
  char label[160];
  /* title and totals */
  if (o) {
    fprintf(o, "<text x=\"%.1f\" y=\"22\" font-size=\"16\" font-weight=\"bold\">", LEFT);
    gqc_put_markup_text(o, m->name ? m->name : "model", true);
    fprintf(o, ": arena plan (n_ctx %" PRId64 ")</text>\n", ir_meta_int(m, "n_ctx", 0));
    total(o, LEFT, 42, "arena", "arena", m->arena_bytes, true);
    total(o, LEFT + 20, 58, "kv", "= KV cache", kv, false);
    total(o, LEFT + 20, 74, "activations", "+ activations (the largest function's)",
          ir_meta_int(m, "activation_bytes", 0), false);
    for (int k = 0; k < m->n_funcs; k++) {
      char key[96];
      snprintf(key, sizeof key, "%s_activations", m->funcs[k]->name);
      snprintf(label, sizeof label, "@%s activations", m->funcs[k]->name);
      char mk[96];
      snprintf(mk, sizeof mk, "%s_activation_bytes", m->funcs[k]->name);
      total(o, LEFT + 40, 90 + 16.0 * k, key, label, ir_meta_int(m, mk, 0), false);
    }
    total(o, LEFT + 600, 42, "weights", "weights (not in the arena)", m->weight_bytes, false);
  }
  y = 90 + 16.0 * m->n_funcs + 20;

  /* KV cache panel: one bar per cache, full width, at its offset */
  int n_caches = 0;
  for (int k = 0; k < n; k++)
    n_caches += b[k].kind == GQC_ARENA_CACHE;
  if (n_caches) {
    double h = n_caches * 12.0;
    h = h < 160 ? 160 : h > 480 ? 480 : h;
    if (o) {
      fprintf(o,
              "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">KV cache "
              "(persistent: offsets 0..%" PRId64 ")</text>\n",
              LEFT, y + 12, kv);
      axis(o, y + 20, h, false, kv);
      for (int k = 0; k < n; k++) {
        if (b[k].kind != GQC_ARENA_CACHE)
          continue;
        double bh = kv ? h * (double)b[k].bytes / (double)kv : 0;
        double by = y + 20 + h - h * (double)(b[k].offset + b[k].bytes) / (double)(kv ? kv : 1);
        buffer_rect(o, m, &b[k], LEFT, by, PLOT, bh);
        if (bh >= 8) {
          char hb[32];
          ir_bytes_str(b[k].bytes, hb, sizeof hb);
          fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"#08306b\">@", LEFT + 4,
                  by + bh / 2 + 3, bh >= 11 ? 9.0 : 7.0);
          gqc_put_markup_text(o, m->caches[b[k].cache].name, true);
          fprintf(o, " %s</text>\n", hb);
        }
      }
    }
    y += 20 + h + 30;
  }

  /* one panel per function: lifetime (x) against offset (y) */
  for (int f = 0; f < m->n_funcs; f++) {
    const ir_func *fn = m->funcs[f];
    char key[96];
    snprintf(key, sizeof key, "%s_activation_bytes", fn->name);
    int64_t act = ir_meta_int(m, key, 0);
    int len = ir_func_length(fn);
    double h = 360, sx = PLOT / (len > 0 ? len : 1);
    if (o) {
      char hb[32];
      ir_bytes_str(act, hb, sizeof hb);
      fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\" font-weight=\"bold\">@", LEFT,
              y + 12);
      gqc_put_markup_text(o, fn->name, true);
      fprintf(o,
              " activations: %s at offsets %" PRId64 "..%" PRId64
              ", %d instructions (x: instruction index, y: offset from %" PRId64 ")</text>\n",
              hb, kv, kv + act, len, kv);
      axis(o, y + 20, h, true, act);
      for (int t = 0; t <= 10; t++) {
        double x = LEFT + PLOT * t / 10.0;
        fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%d</text>\n",
                x, y + 20 + h + 12, len * t / 10);
      }
      for (int k = 0; k < n; k++) {
        if (b[k].func != f)
          continue;
        double bh = act ? h * (double)b[k].bytes / (double)act : 0;
        double by =
            y + 20 + h - h * (double)(b[k].offset - kv + b[k].bytes) / (double)(act ? act : 1);
        buffer_rect(o, m, &b[k], LEFT + sx * b[k].first, by, sx * (b[k].last - b[k].first + 1),
                    bh < 0.5 ? 0.5 : bh);
      }
    }
    y += 20 + h + 40;
  }
  return y;
}

static void legend(FILE *out, double y) {
  static const struct {
    const char *color, *what;
  } items[] = {{"#6baed6", "KV cache"},         {"#de2d26", "embed"},    {"#756bb1", "rms_norm"},
               {"#31a354", "quantize"},         {"#3182bd", "linear"},   {"#fd8d3c", "attention"},
               {"#e377c2", "attention scores"}, {"#969696", "other ops"}};
  double x = LEFT;
  for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
    fprintf(out,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
            "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n",
            x, y, items[k].color, x + 16, y + 10, items[k].what);
    x += 30 + 7.0 * (double)strlen(items[k].what);
  }
}

static bool write_map(FILE *out, const ir_module *m, bool html) {
  int n;
  gqc_arena_buffer *b = gqc_arena_buffers(m, &n);
  if (!b)
    return false;
  double height = draw(NULL, m, b, n, true) + 30;
  if (html) {
    fprintf(out, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n"
                 "<meta charset=\"utf-8\"/>\n<title>");
    gqc_put_markup_text(out, m->name ? m->name : "model", true);
    fprintf(out, " arena plan</title>\n<style>body{font-family:sans-serif;margin:16px}"
                 "rect.buf:hover{stroke:#000;stroke-width:1}</style>\n</head>\n<body>\n"
                 "<p>Hover a bar for the buffer's name, type, offset, size and lifetime. "
                 "Drawn by <code>gqc --memory-map</code>.</p>\n");
  } else {
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  }
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
          "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n"
          "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
          WIDTH, height, WIDTH, height, WIDTH, height);
  draw(out, m, b, n, false);
  legend(out, height - 24);
  fprintf(out, "</svg>\n");
  if (html)
    fprintf(out, "</body>\n</html>\n");
  free(b);
  return true;
}

bool gqc_write_memory_map(const ir_module *m, const char *path, gqc_diag *d) {
  const char *dot = strrchr(path, '.');
  bool html = dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm"));
  if (!html && !(dot && !strcmp(dot, ".svg")))
    return gqc_error(d, "--memory-map %s: the file must end in .svg or .html", path);
  if (m->arena_bytes < 0)
    return gqc_error(d, "--memory-map: the module has no arena plan (run plan-memory)");
  gqc_outputs outs;
  char staged[8192];
  if (!gqc_outputs_begin_for(&outs, path, staged, sizeof staged, d))
    return false;
  FILE *f = fopen(staged, "w");
  bool ok = f && write_map(f, m, html);
  ok = f && !ferror(f) && ok;
  if (f)
    ok = fclose(f) == 0 && ok;
  if (!ok) {
    gqc_outputs_abort(&outs);
    return gqc_error(d, "cannot write %s: %s", path, errno ? strerror(errno) : "out of memory");
  }
  return gqc_outputs_commit(&outs, d);
}
