/* attention.c — multi-head attention over a KV cache: the portable
 * reference (gqcrt_attention, one token), the portable kernel
 * (gqcrt_attention_scalar, any batch, through attention_driver.h) and the
 * store of k and v that every variant shares.
 *
 * The numerics are llama.cpp's non-flash path with an F32 KV cache (the
 * configuration the reference logits were made with, archspec §8.3):
 *
 *   1. k and v of the new token are stored at cache row pos % cache_rows
 *      (rounded to f16 on store when kv_type is GQCRT_KV_F16; f16 rows are
 *      widened on read, the query stays f32; quantised to q8_0 blocks by
 *      gqcrt_quantize_q8_0 when kv_type is GQCRT_KV_Q8_0, each element read
 *      as d * q).
 *   2. For query head h the KV head is h / (n_head / n_head_kv) (GQA).
 *   3. The visible positions p' are visited in increasing order: p' <= pos,
 *      pos - p' < window when window > 0, and never more than cache_rows back
 *      (older rows have been overwritten in the ring buffer).
 *   4. s_j = dot(q_h, k_j) summed in f32 (with a q8_0 cache: q_h rounded to
 *      q8_0 and gqcrt_attention_dot_q8_0, llama.cpp's flash-attention
 *      scores on a q8_0 K), then soft-capped when the
 *      descriptor says so and multiplied by scale (gqcrt_attention_score); softmax with max
 *      subtraction and expf, the sum accumulated in double, every weight
 *      multiplied by (float)(1/sum); out_h = sum_j p_j * v_j in f32, in
 *      position order.
 *
 * The SIMD kernels (arm/attention_neon.c, x86/attention_avx2.c) follow the
 * same steps with vector dot products; the store is this file's for all of
 * them, so a cache holds the same bits whichever kernel reads it.
 *
 * Head h of q is fully consumed before out_h is written, so out may alias q.
 * gqcrt_attention_scalar does the same arithmetic in the same order for each
 * query, so it gives the reference's bits.
 */
#include "attention_common.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"
#include "softmax.h"

static float load_kv(const void *cache, int32_t kv_type, size_t idx) {
  if (kv_type == GQCRT_KV_F16)
    return gqcrt_h2f(((const uint16_t *)cache)[idx]);
  if (kv_type == GQCRT_KV_Q8_0)
    return gqcrt_kv_q8_0_at(cache, idx);
  return ((const float *)cache)[idx];
}

/* Where position p is: its row in the cache, or with a compiled prefix
 * (p < n_prefix) in the prefix table, which then replaces *k / *v. */
static size_t kv_row(const gqcrt_attention_desc *d, int32_t p, const void **k, const void **v) {
  if (p >= d->n_prefix)
    return (size_t)(p % d->cache_rows);
  if (k)
    *k = d->prefix_k;
  if (v)
    *v = d->prefix_v;
  return (size_t)(p - d->prefix_first);
}

void gqcrt_attention_store(const gqcrt_attention_desc *d, const float *k, const float *v,
                           void *k_cache, void *v_cache, int32_t pos) {
  if (!gqcrt_attention_valid(d, pos))
    return;
  const size_t row_len = (size_t)d->n_head_kv * (size_t)d->head_dim;
  const size_t row = (size_t)(pos % d->cache_rows) * row_len;
  if (d->kv_type == GQCRT_KV_Q8_0) { /* llama.cpp's quantize_row_q8_0 */
    const size_t at = gqcrt_kv_bytes(GQCRT_KV_FMT_Q8_0, row);
    gqcrt_quantize_q8_0((uint8_t *)k_cache + at, k, (int32_t)row_len);
    gqcrt_quantize_q8_0((uint8_t *)v_cache + at, v, (int32_t)row_len);
  } else if (d->kv_type == GQCRT_KV_F16) { /* (gqcrt_quantize_f16: NEON where there is) */
    gqcrt_quantize_f16((uint16_t *)k_cache + row, k, (int32_t)row_len);
    gqcrt_quantize_f16((uint16_t *)v_cache + row, v, (int32_t)row_len);
  } else {
    memcpy((float *)k_cache + row, k, row_len * sizeof(float));
    memcpy((float *)v_cache + row, v, row_len * sizeof(float));
  }
}

void gqcrt_attention(const gqcrt_attention_desc *d, float *out, const float *q, const float *k,
                     const float *v, void *k_cache, void *v_cache, float *scores, int32_t pos) {
  if (!gqcrt_attention_valid(d, pos))
    return;
  gqcrt_attention_store(d, k, v, k_cache, v_cache, pos);
  const int32_t hd = d->head_dim;
  const size_t row_len = (size_t)d->n_head_kv * (size_t)hd;
  const int32_t group = gqcrt_attention_group(d);
  const int32_t first = gqcrt_attention_first(d, pos), n_vis = pos - first + 1;

  blk_q8_0 qq[GQCRT_KV_Q8_0_MAX_HEAD_DIM / GQCRT_Q8_0_ELEMS];
  for (int32_t h = 0; h < d->n_head; ++h) {
    const float *qh = q + (size_t)h * (size_t)hd;
    const size_t kv_off = (size_t)(h / group) * (size_t)hd;
    if (d->kv_type == GQCRT_KV_Q8_0)
      gqcrt_quantize_q8_0(qq, qh, hd);

    float max = -INFINITY;
    for (int32_t j = 0; j < n_vis; ++j) {
      const void *kc = k_cache;
      const size_t base = kv_row(d, first + j, &kc, NULL) * row_len + kv_off;
      float s = 0.0f;
      if (d->kv_type == GQCRT_KV_Q8_0)
        s = gqcrt_attention_dot_q8_0((const blk_q8_0 *)kc + base / GQCRT_Q8_0_ELEMS, qq,
                                     hd / GQCRT_Q8_0_ELEMS);
      else
        for (int32_t i = 0; i < hd; ++i)
          s += qh[i] * load_kv(kc, d->kv_type, base + (size_t)i);
      s = gqcrt_attention_score(d, s);
      scores[j] = s;
      max = s > max ? s : max;
    }
    gqcrt_softmax_from_max(scores, scores, n_vis, max);

    float *oh = out + (size_t)h * (size_t)hd;
    for (int32_t i = 0; i < hd; ++i)
      oh[i] = 0.0f;
    for (int32_t j = 0; j < n_vis; ++j) {
      const void *vc = v_cache;
      const size_t base = kv_row(d, first + j, NULL, &vc) * row_len + kv_off;
      for (int32_t i = 0; i < hd; ++i)
        oh[i] += scores[j] * load_kv(vc, d->kv_type, base + (size_t)i);
    }
  }
}

/* ---- gqcrt_attention_scalar: the same arithmetic through the driver -------- */

#define ATTN_INLINE static inline GQCRT_ATTN_FORCE_INLINE
#define ATTN_OUT_OF_LINE static __attribute__((noinline))

ATTN_INLINE float attn_load(enum gqcrt_kv_fmt f, const uint8_t *row, int32_t i) {
  if (f == GQCRT_KV_FMT_Q8_0)
    return gqcrt_kv_q8_0_at(row, (size_t)i);
  if (f == GQCRT_KV_FMT_F16)
    return gqcrt_h2f(((const uint16_t *)(const void *)row)[i]);
  return ((const float *)(const void *)row)[i];
}

ATTN_INLINE void attn_scores(enum gqcrt_kv_fmt f, int nh, const float *const *q, float *const *s,
                             const uint8_t *k, size_t stride, int32_t n, int32_t hd, float scale) {
  for (int m = 0; m < nh; m++)
    for (int32_t c = 0; c < n; c++) {
      const uint8_t *row = k + (size_t)c * stride;
      float acc = 0.0f;
      for (int32_t i = 0; i < hd; ++i)
        acc += q[m][i] * attn_load(f, row, i);
      s[m][c] = acc * scale;
    }
}

ATTN_INLINE void attn_weigh(enum gqcrt_kv_fmt f, int nh, const float *const *p, float *const *o,
                            const uint8_t *v, size_t stride, int32_t n, int32_t hd) {
  for (int m = 0; m < nh; m++)
    for (int32_t c = 0; c < n; c++) {
      const uint8_t *row = v + (size_t)c * stride;
      for (int32_t i = 0; i < hd; ++i)
        o[m][i] += p[m][c] * attn_load(f, row, i);
    }
}

ATTN_INLINE void attn_softmax(float *s, int32_t n) {
  gqcrt_softmax(s, s, n);
}

#include "attention_driver.h"

ATTN_DEFINE_KERNEL(gqcrt_attention_scalar, )
