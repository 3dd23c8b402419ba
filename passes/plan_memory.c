/* plan_memory.c — every byte a decode step touches, placed at compile time.
 *
 * The arena is one static buffer laid out as
 *
 *     [ KV caches (persistent, one region per layer and K/V) | activations ]
 *
 * Each function (@decode, @prefill) plans its activations separately in the
 * same region: they never run at the same time, so the region is as large
 * as the largest function's working set, on top of the shared KV caches.
 *
 * Activations are planned by liveness over the straight-line function: a
 * value is live from the instruction that defines it to its last use. Walking
 * the instructions in order, each result (and an attention op's score
 * scratch) gets the best-fitting free block, or extends the high-water mark;
 * a value's block is released after its last use. Outputs never share memory
 * with their own inputs, so every kernel may assume y does not alias x.
 * Every block is 64-byte aligned (cache lines, and the widest SIMD loads).
 *
 * The weights get offsets in the weight blob, in module order, 64-byte
 * aligned, skipping dead (merged or unused) ones.
 *
 * A last_row of a batch and a slice of a vector are views: they take no
 * block of their own (codegen points into the value they are part of), and
 * their uses keep that value alive.
 *
 * An attention op's scratch is what the runtime's gqcrt_attention_parallel
 * asks for (GQCRT_ATTENTION_SCRATCH_FLOATS of its cache rows).
 *
 * Results: inst->offset, the `scores` attribute of attention ops,
 * cache->offset, weight->offset, m->arena_bytes, m->weight_bytes, and module
 * metadata kv_bytes, activation_bytes (the region: the largest function's)
 * and <function>_activation_bytes for each function.
 */
#include "passes/passes.h"

#include <stdlib.h>
#include <string.h>

#include "passes/arena_plan.h" /* which values take blocks, lifetimes, sizes */
#include "support/xalloc.h"

typedef struct block {
  int64_t offset, size;
} block;

typedef struct allocator {
  block *free;
  int n_free, cap;
  int64_t top; /* high-water mark, relative to the activation region */
} allocator;

static bool alloc_block(allocator *a, int64_t size, int64_t *out) {
  int best = -1;
  for (int k = 0; k < a->n_free; k++)
    if (a->free[k].size >= size && (best < 0 || a->free[k].size < a->free[best].size))
      best = k;
  if (best >= 0) {
    *out = a->free[best].offset;
    a->free[best].offset += size;
    a->free[best].size -= size;
    if (!a->free[best].size)
      a->free[best] = a->free[--a->n_free];
    return true;
  }
  /* Grow the top; absorb a free block that ends at the top. */
  for (int k = 0; k < a->n_free; k++)
    if (a->free[k].offset + a->free[k].size == a->top) {
      *out = a->free[k].offset;
      a->top = a->free[k].offset + size;
      a->free[k] = a->free[--a->n_free];
      return true;
    }
  *out = a->top;
  a->top += size;
  return true;
}

static bool free_block(allocator *a, int64_t offset, int64_t size) {
  /* coalesce with neighbours */
  for (int k = 0; k < a->n_free; k++) {
    if (a->free[k].offset + a->free[k].size == offset) {
      offset = a->free[k].offset;
      size += a->free[k].size;
      a->free[k--] = a->free[--a->n_free];
    } else if (offset + size == a->free[k].offset) {
      size += a->free[k].size;
      a->free[k--] = a->free[--a->n_free];
    }
  }
  block *nb = gqc_grow(a->free, sizeof *nb, &a->cap, a->n_free + 1, 32);
  if (!nb)
    return false;
  a->free = nb;
  a->free[a->n_free++] = (block){offset, size};
  return true;
}

/* Plans one function's activations above the KV region (kv bytes); returns
 * the size of its activation region, or -1 after reporting an error. */
static int64_t plan_function(ir_module *m, ir_func *f, int64_t kv, const gqc_pass_context *ctx) {
  /* liveness: last use index per instruction (a view's uses are uses of
   * the batch it reads) */
  int *last = gqc_arena_last_uses(f);
  if (!last) {
    gqc_error(ctx->d, "plan-memory: out of memory");
    return -1;
  }

  allocator a = {0};
  bool ok = true;
  ir_for_each_inst(f, i) {
    int64_t scratch_off = -1, scratch_size = 0;
    i->offset = -1;
    if (gqc_arena_needs_block(i)) {
      int64_t bytes = gqc_arena_block_bytes(i);
      if (bytes < 0) {
        ok = gqc_error(ctx->d, "plan-memory: a value has an invalid size");
        break;
      }
      int64_t off;
      alloc_block(&a, bytes, &off);
      i->offset = kv + off;
    }
    if (i->op == IR_OP_ATTENTION) {
      scratch_size = gqc_arena_scratch_bytes(i);
      alloc_block(&a, scratch_size, &scratch_off);
      ir_attr_set_int(m, i, "scores", kv + scratch_off);
    }
    /* release what dies here */
    if (scratch_off >= 0)
      ok &= free_block(&a, scratch_off, scratch_size);
    for (int k = 0; k < i->n_operands; k++) {
      const ir_inst *o = gqc_arena_storage_of(i->operands[k]);
      bool first = true; /* a block may be read twice: free once */
      for (int j = 0; j < k; j++)
        first &= gqc_arena_storage_of(i->operands[j]) != o;
      if (first && gqc_arena_needs_block(o) && last[o->id] == i->id)
        ok &= free_block(&a, o->offset - kv, gqc_arena_block_bytes(o));
    }
    if (!ok) {
      gqc_error(ctx->d, "plan-memory: out of memory");
      break;
    }
  }
  free(last);
  free(a.free);
  return ok ? gqc_arena_align_up(a.top) : -1;
}

bool pass_plan_memory(ir_module *m, const gqc_pass_context *ctx) {
  /* weights */
  int64_t woff = 0;
  for (int k = 0; k < m->n_weights; k++) {
    ir_weight *w = &m->weights[k];
    w->offset = -1;
    if (w->dead)
      continue;
    w->offset = woff;
    woff = gqc_arena_align_up(woff + (int64_t)w->nbytes);
  }
  m->weight_bytes = woff;

  /* KV caches */
  int64_t kv = 0;
  for (int k = 0; k < m->n_caches; k++) {
    int64_t bytes = ir_type_bytes(&m->caches[k].type);
    if (bytes < 0)
      return gqc_error(ctx->d, "plan-memory: cache @%s has an invalid size", m->caches[k].name);
    m->caches[k].offset = kv;
    kv = gqc_arena_align_up(kv + bytes);
  }

  /* each function's activations, all starting right after the KV caches */
  int64_t peak = 0;
  for (int k = 0; k < m->n_funcs; k++) {
    ir_func *f = m->funcs[k];
    int64_t bytes = plan_function(m, f, kv, ctx);
    if (bytes < 0)
      return false;
    ir_meta_set_int(m, ir_strfmt(m, "%s_activation_bytes", f->name), bytes);
    if (bytes > peak)
      peak = bytes;
  }
  m->arena_bytes = kv + peak;
  ir_meta_set_int(m, "kv_bytes", kv);
  ir_meta_set_int(m, "activation_bytes", peak);
  return true;
}
