/* attach_prefix.c — a compiled prompt prefix joins a planned module
 * (passes.h: gqc_attach_prefix).
 *
 * The driver (driver/prefix.c) has run the model over the prefix and holds,
 * for every KV cache, the rows of positions 0 .. n_prefix - 1. Each cache's
 * rows become one more weight, "prefix.<cache>", appended to the planned
 * weight blob (read-only, in flash on a board, in the weight file with
 * --weights=file): the rows of positions prefix_first .. n_prefix - 1 only,
 * prefix_first being the oldest position a query at n_prefix or later can see
 * (0 for a full-attention layer; n_prefix - window + 1 for a sliding-window
 * layer, which so keeps window - 1 rows). Every attention op gets the
 * attributes
 *     n_prefix, prefix_first      (the runtime's gqcrt_attention_desc fields)
 *     prefix_k, prefix_v          (the two tables' weight indices)
 * which codegen/calls.c turns into the descriptor's counts and the
 * pointers gqcrt_attention_parallel receives. The arena is unchanged: the
 * caches keep their rows (the prefix positions' rows are simply never
 * written), so a prefix costs the arena nothing.
 */
#include <inttypes.h>
#include <stdio.h>

#include "passes/passes.h"

#define BLOB_ALIGN 64 /* plan-memory's weight alignment */

/* The oldest position a query at n_prefix (or later) sees: the runtime's
 * gqcrt_attention_first at pos = n_prefix. */
static int64_t prefix_first(int64_t n_prefix, int64_t cache_rows, int64_t window) {
  int64_t first = n_prefix - cache_rows + 1;
  if (window > 0 && n_prefix - window + 1 > first)
    first = n_prefix - window + 1;
  return first < 0 ? 0 : first;
}

/* The table weight of cache c (created on first use), or -1. */
static int table_of(ir_module *m, const gqc_prefix *p, int c, int64_t first, int *tables,
                    gqc_diag *d) {
  if (tables[c] >= 0) { /* one table per cache: every reader must see the same rows */
    if (m->weights[tables[c]].type.dims[0] == p->n_prefix - first)
      return tables[c];
    gqc_error(d, "prefix: cache @%s is read with different windows", m->caches[c].name);
    return -1;
  }
  const ir_cache *kc = &m->caches[c];
  ir_type row = ir_type_row(&kc->type);
  const int64_t row_bytes = ir_type_bytes(&row);
  if (!p->rows[c] || row_bytes <= 0 || row_bytes != p->row_bytes[c]) {
    gqc_error(d, "prefix: no rows computed for cache @%s", kc->name);
    return -1;
  }
  ir_type t = kc->type;
  t.dims[0] = p->n_prefix - first;
  char name[256];
  snprintf(name, sizeof name, "prefix.%s", kc->name);
  const uint64_t nbytes = (uint64_t)(t.dims[0] * row_bytes);
  const int w = ir_module_add_weight(m, name, t, p->rows[c] + first * row_bytes, nbytes);
  m->weights[w].offset = m->weight_bytes;
  m->weight_bytes =
      (m->weight_bytes + (int64_t)nbytes + BLOB_ALIGN - 1) & ~(int64_t)(BLOB_ALIGN - 1);
  ir_meta_set_int(m, "prefix_bytes", ir_meta_int(m, "prefix_bytes", 0) + (int64_t)nbytes);
  tables[c] = w;
  return w;
}

bool gqc_attach_prefix(ir_module *m, const gqc_prefix *p, gqc_diag *d) {
  if (m->weight_bytes < 0)
    return gqc_error(d, "prefix: the module has no memory plan (run plan-memory)");
  if (p->n_prefix < 1 || p->n_prefix >= ir_meta_int(m, "n_ctx", 0))
    return gqc_error(d,
                     "prefix: %" PRId64 " tokens do not leave a position in a context of %" PRId64
                     " (raise --ctx)",
                     p->n_prefix, ir_meta_int(m, "n_ctx", 0));
  if (p->n_caches != m->n_caches)
    return gqc_error(d, "prefix: rows for %d caches, the module has %d", p->n_caches, m->n_caches);
  int tables[512];
  if (m->n_caches > (int)(sizeof tables / sizeof tables[0]))
    return gqc_error(d, "prefix: too many KV caches (%d)", m->n_caches);
  for (int c = 0; c < m->n_caches; c++)
    tables[c] = -1;
  for (int k = 0; k < m->n_funcs; k++)
    ir_for_each_inst(m->funcs[k], i) {
      if (i->op != IR_OP_ATTENTION)
        continue;
      const ir_inst *kc = i->operands[3], *vc = i->operands[4];
      if (kc->op != IR_OP_CACHE || vc->op != IR_OP_CACHE)
        return gqc_error(d, "prefix: an attention whose caches are not KV caches");
      const int64_t first =
          prefix_first(p->n_prefix, kc->type.dims[0], ir_attr_int(i, "window", 0));
      if (first < p->first_available[kc->ref] || first < p->first_available[vc->ref])
        return gqc_error(d,
                         "prefix: the rows of cache @%s before position %" PRId64 " were not kept",
                         m->caches[kc->ref].name, first);
      const int wk = table_of(m, p, kc->ref, first, tables, d);
      const int wv = wk < 0 ? -1 : table_of(m, p, vc->ref, first, tables, d);
      if (wv < 0)
        return false;
      ir_attr_set_int(m, i, "n_prefix", p->n_prefix);
      ir_attr_set_int(m, i, "prefix_first", first);
      ir_attr_set_int(m, i, "prefix_k", wk);
      ir_attr_set_int(m, i, "prefix_v", wv);
    }
  ir_meta_set_int(m, "n_prefix", p->n_prefix);
  return true;
}
