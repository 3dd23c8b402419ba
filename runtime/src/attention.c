/* attention.c — single-token multi-head attention over a KV cache.
 *
 * The numerics are llama.cpp's non-flash path with an F32 KV cache (the
 * configuration the reference logits were made with, archspec §8.3):
 *
 *   1. k and v of the new token are stored at cache row pos % cache_rows
 *      (rounded to f16 on store when kv_type is GQCRT_KV_F16; f16 rows are
 *      widened on read, the query stays f32).
 *   2. For query head h the KV head is h / (n_head / n_head_kv) (GQA).
 *   3. The visible positions p' are visited in increasing order: p' <= pos,
 *      pos - p' < window when window > 0, and never more than cache_rows back
 *      (older rows have been overwritten in the ring buffer).
 *   4. s_j = dot(q_h, k_j) summed in f32, then s_j * scale; softmax with max
 *      subtraction and expf, the sum accumulated in double, every weight
 *      multiplied by (float)(1/sum); out_h = sum_j p_j * v_j in f32, in
 *      position order.
 *
 * Head h of q is fully consumed before out_h is written, so out may alias q.
 */
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

static float load_kv(const void *cache, int32_t kv_type, size_t idx) {
  if (kv_type == GQCRT_KV_F16)
    return gqcrt_h2f(((const uint16_t *)cache)[idx]);
  return ((const float *)cache)[idx];
}

static void store_kv(void *cache, int32_t kv_type, size_t idx, float v) {
  if (kv_type == GQCRT_KV_F16)
    ((uint16_t *)cache)[idx] = gqcrt_f2h(v);
  else
    ((float *)cache)[idx] = v;
}

void gqcrt_attention(const gqcrt_attention_desc *d, float *out, const float *q, const float *k,
                     const float *v, void *k_cache, void *v_cache, float *scores, int32_t pos) {
  if (!d || pos < 0 || d->n_head_kv <= 0 || d->n_head % d->n_head_kv != 0 || d->cache_rows <= 0 ||
      d->head_dim <= 0)
    return;
  const int32_t hd = d->head_dim;
  const size_t row_len = (size_t)d->n_head_kv * (size_t)hd;
  const int32_t group = d->n_head / d->n_head_kv;

  const size_t row = (size_t)(pos % d->cache_rows) * row_len;
  for (size_t i = 0; i < row_len; ++i) {
    store_kv(k_cache, d->kv_type, row + i, k[i]);
    store_kv(v_cache, d->kv_type, row + i, v[i]);
  }

  int32_t first = pos - d->cache_rows + 1;
  if (d->window > 0 && pos - d->window + 1 > first)
    first = pos - d->window + 1;
  if (first < 0)
    first = 0;
  const int32_t n_vis = pos - first + 1;

  for (int32_t h = 0; h < d->n_head; ++h) {
    const float *qh = q + (size_t)h * (size_t)hd;
    const size_t kv_off = (size_t)(h / group) * (size_t)hd;

    float max = -INFINITY;
    for (int32_t j = 0; j < n_vis; ++j) {
      const size_t base = (size_t)((first + j) % d->cache_rows) * row_len + kv_off;
      float s = 0.0f;
      for (int32_t i = 0; i < hd; ++i)
        s += qh[i] * load_kv(k_cache, d->kv_type, base + (size_t)i);
      s *= d->scale;
      scores[j] = s;
      max = s > max ? s : max;
    }
    double sum = 0.0;
    for (int32_t j = 0; j < n_vis; ++j) {
      const float e = expf(scores[j] - max);
      scores[j] = e;
      sum += (double)e;
    }
    const float inv = (float)(1.0 / sum);
    for (int32_t j = 0; j < n_vis; ++j)
      scores[j] *= inv;

    float *oh = out + (size_t)h * (size_t)hd;
    for (int32_t i = 0; i < hd; ++i)
      oh[i] = 0.0f;
    for (int32_t j = 0; j < n_vis; ++j) {
      const size_t base = (size_t)((first + j) % d->cache_rows) * row_len + kv_off;
      for (int32_t i = 0; i < hd; ++i)
        oh[i] += scores[j] * load_kv(v_cache, d->kv_type, base + (size_t)i);
    }
  }
}
