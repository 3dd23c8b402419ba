/* stats.c — `--stats`: what the compiled model is made of.
 *
 * One row per weight (name, encoding, shape, the kernels that read it,
 * bytes), one per KV-cache buffer, and the totals a firmware integrator
 * budgets with: weight bytes (flash/rodata), arena bytes (RAM: KV cache +
 * activations — the larger of @decode's and @prefill's working sets, each
 * listed), vocabulary bytes.
 */
#include "driver/driver.h"

#include <inttypes.h>
#include <string.h>

#include "support/escape.h"

/* Kernels reading weight w in function f, appended comma-separated
 * (duplicates removed). */
static void kernels_in(const ir_func *f, int w, char *buf, size_t n) {
  ir_for_each_inst(f, i) {
    if (i->op != IR_OP_WEIGHT || i->ref != w)
      continue;
    ir_for_each_inst(f, u) {
      for (int k = 0; k < u->n_operands; k++) {
        if (u->operands[k] != i)
          continue;
        const char *name = ir_attr_str(u, "kernel", NULL);
        char one[128];
        snprintf(one, sizeof one, "%s", name ? name : ir_op_get(u->op)->name);
        if (!strncmp(one, "gqcrt_", 6))
          memmove(one, one + 6, strlen(one + 6) + 1);
        if (!strstr(buf, one))
          snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", *buf ? "," : "", one);
      }
    }
  }
}

/* Kernels reading weight w in every function (@decode's first). */
static void kernels_of(const ir_module *m, int w, char *buf, size_t n) {
  buf[0] = 0;
  for (int k = 0; k < m->n_funcs; k++)
    kernels_in(m->funcs[k], w, buf, n);
}

void gqc_print_stats(FILE *out, const ir_module *m) {
  char shape[64], kern[256], hb[32];
  int64_t by_enc[IR_DTYPE_COUNT] = {0};
  int n_live = 0;
  fprintf(out, "%-34s %-6s %-14s %-34s %12s\n", "weight", "enc", "shape", "kernel", "bytes");
  for (int w = 0; w < m->n_weights; w++) {
    const ir_weight *wt = &m->weights[w];
    if (wt->dead)
      continue;
    n_live++;
    ir_type t = wt->type;
    t.layout = IR_LAYOUT_NONE;
    ir_type_str(&t, shape, sizeof shape);
    char *br = strchr(shape, '[');
    kernels_of(m, w, kern, sizeof kern);
    char name[256]; /* a tensor name from the file: escaped */
    fprintf(out, "%-34s %-6s %-14s %-34s %12" PRIu64 "\n",
            gqc_escape_str(name, sizeof name, wt->name), ir_dtype_get(wt->type.dtype)->name,
            br ? br : "[]", kern, wt->nbytes);
    by_enc[wt->type.dtype] += (int64_t)wt->nbytes;
  }
  fprintf(out, "\n%-34s %-6s %-14s %12s\n", "kv cache", "enc", "shape", "bytes");
  for (int c = 0; c < m->n_caches; c++) {
    const ir_cache *kc = &m->caches[c];
    ir_type_str(&kc->type, shape, sizeof shape);
    char *br = strchr(shape, '[');
    fprintf(out, "%-34s %-6s %-14s %12" PRId64 "\n", kc->name, ir_dtype_get(kc->type.dtype)->name,
            br ? br : "[]", ir_type_bytes(&kc->type));
  }
  fprintf(out, "\ntotals\n");
  ir_bytes_str(m->weight_bytes, hb, sizeof hb);
  fprintf(out, "  weight bytes      %12" PRId64 "  (%s, %d tensors, %" PRId64 " tied)\n",
          m->weight_bytes, hb, n_live, ir_meta_int(m, "tied_weights", 0));
  for (int e = 0; e < IR_DTYPE_COUNT; e++)
    if (by_enc[e])
      fprintf(out, "    %-6s          %12" PRId64 "\n", ir_dtype_get((ir_dtype)e)->name, by_enc[e]);
  if (ir_meta_int(m, "n_prefix", 0)) /* among the weight bytes: read-only */
    fprintf(out, "    prefix kv       %12" PRId64 "  (compiled prefix of %" PRId64 " positions)\n",
            ir_meta_int(m, "prefix_bytes", 0), ir_meta_int(m, "n_prefix", 0));
  ir_bytes_str(m->arena_bytes, hb, sizeof hb);
  fprintf(out, "  arena bytes       %12" PRId64 "  (%s)\n", m->arena_bytes, hb);
  fprintf(out, "    kv cache        %12" PRId64 "  (n_ctx %" PRId64 ")\n",
          ir_meta_int(m, "kv_bytes", 0), ir_meta_int(m, "n_ctx", 0));
  fprintf(out, "    activations     %12" PRId64 "\n", ir_meta_int(m, "activation_bytes", 0));
  /* per function when there are several: the region is the largest */
  for (int k = 0; m->n_funcs > 1 && k < m->n_funcs; k++) {
    const ir_func *f = m->funcs[k];
    char key[96], label[64];
    snprintf(key, sizeof key, "%s_activation_bytes", f->name);
    if (f->batch > 0)
      snprintf(label, sizeof label, "%s (batch %" PRId64 ")", f->name, f->batch);
    else
      snprintf(label, sizeof label, "%s", f->name);
    fprintf(out, "      %-28s %12" PRId64 "\n", label, ir_meta_int(m, key, 0));
  }
  fprintf(out, "  vocab bytes       %12" PRIu64 "\n", m->vocab_bytes);
}
