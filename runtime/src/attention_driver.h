/* attention_driver.h — the part of every attention kernel that does not
 * depend on the instruction set: which queries are attended together, which
 * positions each one sees, and in which order the work is done. A kernel
 * file (attention.c, arm/attention_neon.c, x86/attention_avx2.c) defines
 *
 *   ATTN_INLINE       its always-inline function attributes (target ones too)
 *   ATTN_OUT_OF_LINE  the attributes of a static never-inlined function
 *   attn_scores(f, nh, q, s, k, stride, n, hd, scale)
 *                     s[m][c] = scale * dot(q[m], k row c), m < nh, c < n
 *                     (k rows `stride` bytes apart, elements of format f);
 *                     with soft-capping the driver passes scale 1 and
 *                     transforms the sums itself (gqcrt_attention_score)
 *   attn_weigh(f, nh, p, o, v, stride, n, hd)
 *                     o[m][i] += p[m][c] * v row c [i] for c = 0, 1, ..., n - 1
 *                     in that order, for every m < nh and i < hd
 *   attn_softmax(s, n)
 *                     the softmax of s[0 .. n) in place (n > 0)
 *
 * with nh <= GQCRT_ATTENTION_BLOCK a constant in every call the driver
 * makes (attn_scores only for f32 and f16: q8_0 scores are the driver's,
 * gqcrt_attention_dot_q8_0, the same bits in every kernel; attn_weigh reads
 * q8_0 rows too, each element d * q exactly), then includes this file and defines its exported
 * kernel with ATTN_DEFINE_KERNEL.
 *
 * attn_scores and attn_weigh are the inner loops. The driver makes one
 * out-of-line instance of each per cache format and block size and calls
 * those: inlined into the driver (one large function) GCC kept the loops'
 * query and row pointers on the stack and moved accumulators between
 * registers every few FMAs (NEON, f16 cache, four heads: 88 instructions
 * per 32 FMAs of scores and 121 per 64 of weights, against 57 and 97 out
 * of line; the AVX2 weight loop reloaded three pointers from the stack per
 * position).
 *
 * Why a query's result never depends on its company
 *
 * Up to GQCRT_ATTENTION_BLOCK consecutive queries (gqcrt.h numbers them KV
 * head first, so they share a KV head: the heads of one token, or in a batch
 * also the same head of consecutive tokens) form a block, and every k and v
 * row is loaded once for the whole block. Members of one token see the same
 * positions; members of different tokens do not: a later token sees more
 * positions at the end, and with a sliding window fewer at the start. The
 * block therefore works in three phases over position ranges: each member's
 * own leading positions (before the common range) alone, the common range
 * together, each member's own trailing positions alone. A score is one
 * query against one key, whatever the phase; a member's output accumulates
 * p * v over its positions in position order, starting from zero, carried
 * from phase to phase through `out` (an exact store and reload); softmax is
 * per member over its own scores. So a query gives the same bits alone
 * (a decode step), in any block, and in any split of the batch over threads:
 * batched prefill equals token-by-token decoding, bit for bit.
 */
#ifndef GQCRT_ATTENTION_DRIVER_H
#define GQCRT_ATTENTION_DRIVER_H

#include "attention_common.h"

typedef struct attn_member {
  const float *q;      /* the query */
  const blk_q8_0 *qq;  /* it rounded to q8_0 (q8_0 caches only) */
  float *o;            /* its output */
  float *s;            /* its scores: s[j] for position first + j */
  int32_t first, last; /* the positions it sees */
} attn_member;

/* The out-of-line instances: attn_scores for f32 and f16 (q8_0 scores are
 * the driver's), attn_weigh for every format, nh = 1 .. 4. */
#define ATTN_SCORES_INSTANCE(fmt, nh)                                                              \
  ATTN_OUT_OF_LINE void attn_scores_##fmt##_##nh(const float *const *q, float *const *s,           \
                                                 const uint8_t *k, size_t stride, int32_t n,       \
                                                 int32_t hd, float scale) {                        \
    attn_scores(GQCRT_KV_FMT_##fmt, nh, q, s, k, stride, n, hd, scale);                            \
  }
#define ATTN_WEIGH_INSTANCE(fmt, nh)                                                               \
  ATTN_OUT_OF_LINE void attn_weigh_##fmt##_##nh(const float *const *p, float *const *o,            \
                                                const uint8_t *v, size_t stride, int32_t n,        \
                                                int32_t hd) {                                      \
    attn_weigh(GQCRT_KV_FMT_##fmt, nh, p, o, v, stride, n, hd);                                    \
  }
#define ATTN_INSTANCES_NH(instance, fmt)                                                           \
  instance(fmt, 1) instance(fmt, 2) instance(fmt, 3) instance(fmt, 4)
ATTN_INSTANCES_NH(ATTN_SCORES_INSTANCE, F32)
ATTN_INSTANCES_NH(ATTN_SCORES_INSTANCE, F16)
ATTN_INSTANCES_NH(ATTN_WEIGH_INSTANCE, F32)
ATTN_INSTANCES_NH(ATTN_WEIGH_INSTANCE, F16)
ATTN_INSTANCES_NH(ATTN_WEIGH_INSTANCE, Q8_0)
#undef ATTN_INSTANCES_NH
#undef ATTN_WEIGH_INSTANCE
#undef ATTN_SCORES_INSTANCE

/* The instance fn_<fmt>_<nh> (nh = 1 .. 4) of format fmt. */
#define ATTN_BY_NH(fn, fmt, nh, ...)                                                               \
  ((nh) == 1   ? fn##_##fmt##_1(__VA_ARGS__)                                                       \
   : (nh) == 2 ? fn##_##fmt##_2(__VA_ARGS__)                                                       \
   : (nh) == 3 ? fn##_##fmt##_3(__VA_ARGS__)                                                       \
               : fn##_##fmt##_4(__VA_ARGS__))

/* attn_scores / attn_weigh through their instances (f and nh are constants
 * wherever the driver calls these). */
ATTN_INLINE void attn_scores_nh(enum gqcrt_kv_fmt f, int nh, const float *const *q, float *const *s,
                                const uint8_t *k, size_t stride, int32_t n, int32_t hd,
                                float scale) {
  if (f == GQCRT_KV_FMT_F16)
    ATTN_BY_NH(attn_scores, F16, nh, q, s, k, stride, n, hd, scale);
  else
    ATTN_BY_NH(attn_scores, F32, nh, q, s, k, stride, n, hd, scale);
}

ATTN_INLINE void attn_weigh_nh(enum gqcrt_kv_fmt f, int nh, const float *const *p, float *const *o,
                               const uint8_t *v, size_t stride, int32_t n, int32_t hd) {
  if (f == GQCRT_KV_FMT_F16)
    ATTN_BY_NH(attn_weigh, F16, nh, p, o, v, stride, n, hd);
  else if (f == GQCRT_KV_FMT_Q8_0)
    ATTN_BY_NH(attn_weigh, Q8_0, nh, p, o, v, stride, n, hd);
  else
    ATTN_BY_NH(attn_weigh, F32, nh, p, o, v, stride, n, hd);
}

/* q8_0 scores: s[m][c] = scale * dot(q[m], k row c), llama.cpp's
 * quantised dot product (attention_common.h). */
ATTN_INLINE void attn_scores_q8_0(int nh, attn_member *const *m, float *const *s, const uint8_t *k,
                                  size_t stride, int32_t n, int32_t hd, float scale) {
  for (int i = 0; i < nh; i++)
    for (int32_t c = 0; c < n; c++)
      s[i][c] = gqcrt_attention_dot_q8_0((const blk_q8_0 *)(const void *)(k + (size_t)c * stride),
                                         m[i]->qq, hd / GQCRT_Q8_0_ELEMS) *
                scale;
}

/* The cache rows of one KV head: row r at base + r * stride; with a
 * compiled prefix also its table rows (pk, pv: row j holds position
 * prefix_first + j). */
typedef struct attn_cache {
  const uint8_t *k, *v;
  const uint8_t *pk, *pv;
  size_t stride;
} attn_cache;

/* Phase work on n consecutive rows (k at k, v at v, stride apart): scores
 * (weigh = 0, soft-capped when the descriptor says so) or p * v (weigh = 1). */
ATTN_INLINE void attn_rows(enum gqcrt_kv_fmt f, int weigh, const gqcrt_attention_desc *d, int nh,
                           attn_member *const *m, const float *const *q, float *const *s,
                           float *const *o, const uint8_t *k, const uint8_t *v, size_t stride,
                           int32_t n) {
  if (weigh) {
    attn_weigh_nh(f, nh, (const float *const *)s, o, v, stride, n, d->head_dim);
    return;
  }
  const int capped = d->softcap > 0.0f;
  if (f == GQCRT_KV_FMT_Q8_0)
    attn_scores_q8_0(nh, m, s, k, stride, n, d->head_dim, capped ? 1.0f : d->scale);
  else
    attn_scores_nh(f, nh, q, s, k, stride, n, d->head_dim, capped ? 1.0f : d->scale);
  if (capped)
    for (int i = 0; i < nh; i++)
      for (int32_t j = 0; j < n; j++)
        s[i][j] = gqcrt_attention_score(d, s[i][j]);
}

/* Phase work on positions a .. a + n - 1 for the nh members in m: scores
 * (weigh = 0) or p * v (weigh = 1), walking the ring in at most two runs. */
ATTN_INLINE void attn_range(enum gqcrt_kv_fmt f, int weigh, const gqcrt_attention_desc *d,
                            const attn_cache *c, attn_member *const *m, int nh, int32_t a,
                            int32_t n) {
  if (n <= 0)
    return;
  const float *q[GQCRT_ATTENTION_BLOCK];
  float *s[GQCRT_ATTENTION_BLOCK], *o[GQCRT_ATTENTION_BLOCK];
  for (int i = 0; i < nh; i++) {
    q[i] = m[i]->q;
    s[i] = m[i]->s + (a - m[i]->first);
    o[i] = m[i]->o;
  }
  int32_t done = 0;
  if (a < d->n_prefix) { /* the prefix's positions: one run of table rows */
    const int32_t run = n < d->n_prefix - a ? n : d->n_prefix - a;
    const size_t off = (size_t)(a - d->prefix_first) * c->stride;
    attn_rows(f, weigh, d, nh, m, q, s, o, c->pk + off, c->pv + off, c->stride, run);
    for (int i = 0; i < nh; i++)
      s[i] += run;
    done = run;
  }
  if (done == n)
    return;
  int32_t row = (a + done) % d->cache_rows, run = gqcrt_attention_run0(d, a + done, n - done);
  while (done < n) {
    const size_t off = (size_t)row * c->stride;
    attn_rows(f, weigh, d, nh, m, q, s, o, c->k + off, c->v + off, c->stride, run);
    for (int i = 0; i < nh; i++)
      s[i] += run;
    done += run;
    row = 0;
    run = n - done;
  }
}

/* One phase (scores or weights) of a block, in the order the essay above
 * gives. */
ATTN_INLINE void attn_phase(enum gqcrt_kv_fmt f, int weigh, const gqcrt_attention_desc *d,
                            const attn_cache *c, attn_member *m, int nb) {
  int32_t lo = m[0].first, hi = m[0].last;
  for (int i = 1; i < nb; i++) {
    lo = m[i].first > lo ? m[i].first : lo;
    hi = m[i].last < hi ? m[i].last : hi;
  }
  attn_member *all[GQCRT_ATTENTION_BLOCK];
  for (int i = 0; i < nb; i++)
    all[i] = &m[i];
  if (lo > hi) { /* no common positions: each member alone */
    for (int i = 0; i < nb; i++)
      attn_range(f, weigh, d, c, &all[i], 1, m[i].first, m[i].last - m[i].first + 1);
    return;
  }
  for (int i = 0; i < nb; i++)
    attn_range(f, weigh, d, c, &all[i], 1, m[i].first, lo - m[i].first);
  attn_range(f, weigh, d, c, all, nb, lo, hi - lo + 1);
  for (int i = 0; i < nb; i++)
    attn_range(f, weigh, d, c, &all[i], 1, hi + 1, m[i].last - hi);
}

ATTN_INLINE void attn_block_phases(enum gqcrt_kv_fmt f, const gqcrt_attention_desc *d,
                                   const attn_cache *c, attn_member *m, int nb) {
  attn_phase(f, 0, d, c, m, nb);
  for (int i = 0; i < nb; i++) {
    attn_softmax(m[i].s, m[i].last - m[i].first + 1);
    for (int32_t e = 0; e < d->head_dim; e++)
      m[i].o[e] = 0.0f;
  }
  attn_phase(f, 1, d, c, m, nb);
}

/* With a q8_0 cache the queries are rounded to q8_0 first, as llama.cpp's
 * flash attention converts Q to K's vec_dot_type (before out, which may
 * alias q, is written). */
ATTN_INLINE void attn_block(enum gqcrt_kv_fmt f, const gqcrt_attention_desc *d, const attn_cache *c,
                            attn_member *m, int nb) {
  if (f == GQCRT_KV_FMT_Q8_0) {
    blk_q8_0 qq[GQCRT_ATTENTION_BLOCK][GQCRT_KV_Q8_0_MAX_HEAD_DIM / GQCRT_Q8_0_ELEMS];
    for (int i = 0; i < nb; i++) {
      gqcrt_quantize_q8_0(qq[i], m[i].q, d->head_dim);
      m[i].qq = qq[i];
    }
    attn_block_phases(f, d, c, m, nb);
  } else {
    attn_block_phases(f, d, c, m, nb);
  }
}

/* Queries [t0, t1) of the batch (gqcrt.h), block by block. */
ATTN_INLINE void attn_run(enum gqcrt_kv_fmt f, const gqcrt_attention_desc *d, float *out,
                          const float *q, const void *k_cache, const void *v_cache, float *scratch,
                          int32_t pos, int32_t n_rows, int32_t t0, int32_t t1) {
  const size_t hd = (size_t)d->head_dim, q_row = (size_t)d->n_head * hd;
  const int32_t per_kv = n_rows * gqcrt_attention_group(d);
  for (int32_t t = t0; t < t1;) {
    const int32_t kv_end = (t / per_kv + 1) * per_kv;
    int32_t nb = (t1 < kv_end ? t1 : kv_end) - t;
    if (nb > GQCRT_ATTENTION_BLOCK)
      nb = GQCRT_ATTENTION_BLOCK;
    attn_member m[GQCRT_ATTENTION_BLOCK] = {{0}};
    gqcrt_attention_query_id id = gqcrt_attention_query(d, n_rows, t);
    for (int i = 0; i < nb; i++) {
      id = gqcrt_attention_query(d, n_rows, t + i);
      m[i].q = q + (size_t)id.row * q_row + (size_t)id.head * hd;
      m[i].o = out + (size_t)id.row * q_row + (size_t)id.head * hd;
      m[i].s = scratch + (size_t)i * (size_t)d->cache_rows;
      m[i].last = pos + id.row;
      m[i].first = gqcrt_attention_first(d, m[i].last);
    }
    const size_t kv_off = (size_t)id.kv_head * gqcrt_kv_bytes(f, hd);
    const attn_cache c = {(const uint8_t *)k_cache + kv_off, (const uint8_t *)v_cache + kv_off,
                          d->n_prefix > 0 ? (const uint8_t *)d->prefix_k + kv_off : NULL,
                          d->n_prefix > 0 ? (const uint8_t *)d->prefix_v + kv_off : NULL,
                          gqcrt_kv_bytes(f, (size_t)d->n_head_kv * hd)};
    attn_block(f, d, &c, m, nb);
    t += nb;
  }
}

/* The exported kernel `name` (gqcrt.h: gqcrt_attention_fn) with extra
 * function attributes `attrs`: checks, then the cache format as a constant. */
#define ATTN_DEFINE_KERNEL(name, attrs)                                                            \
  attrs void name(const gqcrt_attention_desc *d, float *out, const float *q, const void *k_cache,  \
                  const void *v_cache, float *scratch, int32_t pos, int32_t n_rows, int32_t t0,    \
                  int32_t t1) {                                                                    \
    if (!gqcrt_attention_batch_valid(d, pos, n_rows, t0, t1))                                      \
      return;                                                                                      \
    if (d->kv_type == GQCRT_KV_F16)                                                                \
      attn_run(GQCRT_KV_FMT_F16, d, out, q, k_cache, v_cache, scratch, pos, n_rows, t0, t1);       \
    else if (d->kv_type == GQCRT_KV_Q8_0)                                                          \
      attn_run(GQCRT_KV_FMT_Q8_0, d, out, q, k_cache, v_cache, scratch, pos, n_rows, t0, t1);      \
    else                                                                                           \
      attn_run(GQCRT_KV_FMT_F32, d, out, q, k_cache, v_cache, scratch, pos, n_rows, t0, t1);       \
  }

#endif
