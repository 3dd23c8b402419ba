/* attention_common.h — what every attention kernel agrees on: which calls
 * are valid, which positions a query at `pos` sees, where a position lives
 * in the ring of cache rows, and how a batch's queries are numbered.
 *
 * The visible positions of a query at pos are first .. pos (first =
 * max(0, pos - cache_rows + 1, pos - window + 1)); position p lives in cache
 * row p % cache_rows, so a range of positions is at most two runs of
 * consecutive rows: up to the end of the cache, then from row 0 on (when the
 * ring has wrapped). The kernels walk runs instead of taking a modulo per
 * position. With a compiled prefix (gqcrt.h: n_prefix > 0) positions below
 * n_prefix are a third run, in the prefix tables (row p - prefix_first),
 * before the ring's; the queries themselves are all at n_prefix or later.
 */
#ifndef GQCRT_ATTENTION_COMMON_H
#define GQCRT_ATTENTION_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

/* The attention driver's functions (attention_driver.h) are forced inline
 * in optimised builds, where every constant block size and format becomes
 * its own straight-line code. Unoptimised (Debug) builds call them instead:
 * forced inlining of all those instances made one function so large that
 * gcc -O0 spent over 30 minutes and 4.5 GB on attention_neon.c. */
#if defined(__OPTIMIZE__)
#define GQCRT_ATTN_FORCE_INLINE __attribute__((always_inline))
#else
#define GQCRT_ATTN_FORCE_INLINE
#endif

/* The checks gqcrt_attention has always made (an invalid call does nothing). */
static inline int gqcrt_attention_valid(const gqcrt_attention_desc *d, int32_t pos) {
  return d && pos >= 0 && d->n_head_kv > 0 && d->n_head > 0 && d->n_head % d->n_head_kv == 0 &&
         d->cache_rows > 0 && d->head_dim > 0 && d->kv_type >= GQCRT_KV_F32 &&
         d->kv_type <= GQCRT_KV_Q8_0 &&
         (d->kv_type != GQCRT_KV_Q8_0 ||
          (d->head_dim % GQCRT_Q8_0_ELEMS == 0 && d->head_dim <= GQCRT_KV_Q8_0_MAX_HEAD_DIM)) &&
         (d->n_prefix <= 0 || (pos >= d->n_prefix && d->prefix_k && d->prefix_v &&
                               d->prefix_first >= 0 && d->prefix_first <= d->n_prefix));
}

/* The same for a kernel call on queries [t0, t1) of a batch of n_rows. */
static inline int gqcrt_attention_batch_valid(const gqcrt_attention_desc *d, int32_t pos,
                                              int32_t n_rows, int32_t t0, int32_t t1) {
  return gqcrt_attention_valid(d, pos) && n_rows > 0 && pos <= INT32_MAX - (n_rows - 1) &&
         (int64_t)n_rows * d->n_head <= INT32_MAX && t0 >= 0 && t0 <= t1 &&
         t1 <= n_rows * d->n_head;
}

/* The score transform after the dot product (gqcrt.h): soft-capping by
 * c * tanhf(s * (1/c)), as ggml_scale, ggml_tanh and ggml_scale compute it,
 * then the scale. The kernels apply the scale alone; with soft-capping they
 * are given scale 1 (exact) and the driver calls this on their sums. */
static inline float gqcrt_attention_score(const gqcrt_attention_desc *d, float dot) {
  if (d->softcap > 0.0f)
    dot = tanhf(dot * (1.0f / d->softcap)) * d->softcap;
  return dot * d->scale;
}

/* The element type of a cache, as a constant the kernels specialise on
 * (numbered as gqcrt.h's GQCRT_KV_*). */
enum gqcrt_kv_fmt { GQCRT_KV_FMT_F32, GQCRT_KV_FMT_F16, GQCRT_KV_FMT_Q8_0 };

/* Bytes of n elements of a cache row (n a multiple of 32 for q8_0). */
static inline size_t gqcrt_kv_bytes(enum gqcrt_kv_fmt f, size_t n) {
  if (f == GQCRT_KV_FMT_Q8_0)
    return n / GQCRT_Q8_0_ELEMS * GQCRT_Q8_0_BYTES;
  return n * (f == GQCRT_KV_FMT_F16 ? 2 : 4);
}

/* Element i of a q8_0 row, as f32 (d * q is exact in f32: what llama.cpp's
 * dequantize_row_q8_0 gives). */
static inline float gqcrt_kv_q8_0_at(const uint8_t *row, size_t i) {
  const blk_q8_0 *b = (const blk_q8_0 *)(const void *)row + i / GQCRT_Q8_0_ELEMS;
  return gqcrt_h2f(b->d) * (float)b->qs[i % GQCRT_Q8_0_ELEMS];
}

/* The score of a q8_0 query against a q8_0 key of nb blocks, before the
 * scale: ggml_vec_dot_q8_0_q8_0 as its portable version orders it, each
 * block's dot product exact in integers, then sum += isum * (dk * dq) in
 * block order. Every kernel calls this one function (the runtime is built
 * with -ffp-contract=off), so q8_0 scores are bit-identical across kernels. */
static inline float gqcrt_attention_dot_q8_0(const blk_q8_0 *k, const blk_q8_0 *q, int32_t nb) {
  float sum = 0.0f;
  for (int32_t b = 0; b < nb; b++) {
    int32_t isum = 0;
    for (int j = 0; j < GQCRT_Q8_0_ELEMS; j++)
      isum += (int32_t)k[b].qs[j] * (int32_t)q[b].qs[j];
    sum += (float)isum * (gqcrt_h2f(k[b].d) * gqcrt_h2f(q[b].d));
  }
  return sum;
}

/* Query heads per KV head. */
static inline int32_t gqcrt_attention_group(const gqcrt_attention_desc *d) {
  return d->n_head / d->n_head_kv;
}

/* The oldest position a query at pos sees. */
static inline int32_t gqcrt_attention_first(const gqcrt_attention_desc *d, int32_t pos) {
  int32_t first = pos - d->cache_rows + 1;
  if (d->window > 0 && pos - d->window + 1 > first)
    first = pos - d->window + 1;
  return first < 0 ? 0 : first;
}

/* Query t of a batch of n_rows (numbered as gqcrt.h says): its row, head and
 * KV head. */
typedef struct gqcrt_attention_query_id {
  int32_t row, head, kv_head;
} gqcrt_attention_query_id;

static inline gqcrt_attention_query_id gqcrt_attention_query(const gqcrt_attention_desc *d,
                                                             int32_t n_rows, int32_t t) {
  const int32_t group = gqcrt_attention_group(d);
  gqcrt_attention_query_id id;
  id.kv_head = t / (n_rows * group);
  const int32_t rest = t % (n_rows * group);
  id.row = rest / group;
  id.head = id.kv_head * group + rest % group;
  return id;
}

/* Positions a .. a + n - 1 (n > 0) as runs of cache rows: the first run
 * starts at row a % cache_rows and has n0 rows; the rest (n - n0) start at
 * row 0. */
static inline int32_t gqcrt_attention_run0(const gqcrt_attention_desc *d, int32_t a, int32_t n) {
  const int32_t left = d->cache_rows - a % d->cache_rows;
  return n < left ? n : left;
}

#endif
