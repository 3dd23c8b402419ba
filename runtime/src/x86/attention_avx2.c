/* attention_avx2.c — gqcrt_attention_avx2: the second half of attention
 * (gqcrt.h) with AVX2 and FMA, for f32, f16 (F16C) and q8_0 KV caches (q8_0
 * scores are the driver's, the same bits as every kernel's; v rows are
 * widened eight at a time, d * q exactly).
 *
 * The layout of arm/attention_neon.c in 8-lane vectors, fitted to the 16
 * YMM registers:
 *
 *  - Queries that share a KV head are attended together, up to four at a
 *    time (attention_driver.h), so each k and v element is loaded (and
 *    widened) once for all of them.
 *  - Scores: positions in blocks of 2 (three or four heads) or 4 (one or
 *    two heads), so at most 8 accumulators are live. Each accumulator is one
 *    (head, position) dot product: lane l sums q[i] * k[i] for i = l mod 8
 *    in increasing i with FMA; the two 128-bit halves are added and then
 *    the four lanes as (l0 + l1) + (l2 + l3) (two HADDPS, four
 *    accumulators at once); the head_dim % 8 leftover dimensions are added
 *    one by one and the sum multiplied by scale. Every position goes through
 *    the same per-accumulator arithmetic, whatever block it falls in.
 *  - Softmax: maximum, exp(s - max) eight at a time (avx2_exp.h, within an
 *    ulp of expf) summed in double, weights times (float)(1 / sum).
 *  - out = sum_j p_j v_j: 16 dimensions of every head of the block held in
 *    registers while the positions stream past (one broadcast weight per
 *    head and position, FMA), in position order.
 *
 * Compared with gqcrt_attention_scalar only the rounding differs (the dot
 * products' summation order, fused multiply-adds); a query's result does not
 * depend on the queries it is grouped with. The library is compiled for
 * baseline x86-64: every function here carries GQCRT_AVX2 (AVX2, FMA, F16C),
 * and the compiler selects this kernel only for targets that have them.
 */
#include "attention_common.h"
#include "avx2_exp.h"
#include "avx2_helpers.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

#define ATTN_INLINE GQCRT_AVX2 static inline GQCRT_ATTN_FORCE_INLINE
#define ATTN_OUT_OF_LINE GQCRT_AVX2 static __attribute__((noinline))

/* Elements i .. i+7 of a cache row, as f32. */
ATTN_INLINE __m256 load8(enum gqcrt_kv_fmt f, const uint8_t *row, size_t i) {
  if (f == GQCRT_KV_FMT_Q8_0) { /* d * q, exact: eight of one block (i % 8 == 0) */
    const blk_q8_0 *b = (const blk_q8_0 *)(const void *)row + i / GQCRT_Q8_0_ELEMS;
    const __m128i q8 = _mm_loadl_epi64((const __m128i *)(const void *)(b->qs + i % 32));
    return _mm256_mul_ps(_mm256_set1_ps(avx2_h2f(b->d)),
                         _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)));
  }
  if (f == GQCRT_KV_FMT_F16)
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(row + 2 * i)));
  return _mm256_loadu_ps((const float *)(const void *)row + i);
}

ATTN_INLINE float load1(enum gqcrt_kv_fmt f, const uint8_t *row, size_t i) {
  if (f == GQCRT_KV_FMT_Q8_0)
    return gqcrt_kv_q8_0_at(row, i);
  if (f == GQCRT_KV_FMT_F16)
    return avx2_h2f(((const uint16_t *)(const void *)row)[i]);
  return ((const float *)(const void *)row)[i];
}

/* Positions per score block for nh queries: at most 8 accumulators. */
ATTN_INLINE int keys_per_block(int nh) {
  return nh <= 2 ? 4 : 2;
}

/* The full sums of four accumulators: lane c = (t0 + t1) + (t2 + t3) with
 * t = low half + high half of a_c. */
ATTN_INLINE __m128 reduce4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(a0), _mm256_extractf128_ps(a0, 1));
  const __m128 t1 = _mm_add_ps(_mm256_castps256_ps128(a1), _mm256_extractf128_ps(a1, 1));
  const __m128 t2 = _mm_add_ps(_mm256_castps256_ps128(a2), _mm256_extractf128_ps(a2, 1));
  const __m128 t3 = _mm_add_ps(_mm256_castps256_ps128(a3), _mm256_extractf128_ps(a3, 1));
  return _mm_hadd_ps(_mm_hadd_ps(t0, t1), _mm_hadd_ps(t2, t3));
}

/* s[m][0 .. nk) = scores of the nk (1, 2 or 4) rows from `k` for nh
 * queries. */
ATTN_INLINE void score_rows(enum gqcrt_kv_fmt f, int nh, int nk, const float *const *q,
                            float *const *s, const uint8_t *k, size_t stride, int32_t hd,
                            float scale) {
  __m256 acc[GQCRT_ATTENTION_BLOCK][4];
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
    for (int c = 0; c < nk; c++)
      acc[h][c] = _mm256_setzero_ps();
  int32_t i = 0;
  for (; i + 8 <= hd; i += 8) {
    __m256 kv[4];
#pragma GCC unroll 4
    for (int c = 0; c < nk; c++)
      kv[c] = load8(f, k + (size_t)c * stride, (size_t)i);
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++) {
      const __m256 qv = _mm256_loadu_ps(q[h] + i);
#pragma GCC unroll 4
      for (int c = 0; c < nk; c++)
        acc[h][c] = _mm256_fmadd_ps(qv, kv[c], acc[h][c]);
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++) {
    float t[4];
    _mm_storeu_ps(t, reduce4(acc[h][0], acc[h][nk > 1 ? 1 : 0], acc[h][nk > 2 ? 2 : 0],
                             acc[h][nk > 3 ? 3 : 0]));
    for (int c = 0; c < nk; c++) {
      float sum = t[c];
      for (int32_t r = i; r < hd; r++)
        sum += q[h][r] * load1(f, k + (size_t)c * stride, (size_t)r);
      s[h][c] = sum * scale;
    }
  }
}

ATTN_INLINE void attn_scores(enum gqcrt_kv_fmt f, int nh, const float *const *q, float *const *s,
                             const uint8_t *k, size_t stride, int32_t n, int32_t hd, float scale) {
  const int kb = keys_per_block(nh);
  float *sc[GQCRT_ATTENTION_BLOCK];
  int32_t c = 0;
  for (; c + kb <= n; c += kb) {
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
      sc[h] = s[h] + c;
    score_rows(f, nh, kb, q, sc, k + (size_t)c * stride, stride, hd, scale);
  }
  for (; c < n; c++) {
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
      sc[h] = s[h] + c;
    score_rows(f, nh, 1, q, sc, k + (size_t)c * stride, stride, hd, scale);
  }
}

/* o[h][i0 .. i0 + 8*nw) += sum over n rows from `v` of p_h[c] * v_c, the
 * accumulators held in registers. */
ATTN_INLINE void weigh_dims(enum gqcrt_kv_fmt f, int nh, int nw, const float *const *p,
                            float *const *o, const uint8_t *v, size_t stride, int32_t n,
                            size_t i0) {
  __m256 acc[GQCRT_ATTENTION_BLOCK][2];
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 2
    for (int w = 0; w < nw; w++)
      acc[h][w] = _mm256_loadu_ps(o[h] + i0 + 8 * (size_t)w);
  for (int32_t c = 0; c < n; c++) {
    const uint8_t *row = v + (size_t)c * stride;
    __m256 x[2];
#pragma GCC unroll 2
    for (int w = 0; w < nw; w++)
      x[w] = load8(f, row, i0 + 8 * (size_t)w);
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++) {
      const __m256 pv = _mm256_broadcast_ss(p[h] + c);
#pragma GCC unroll 2
      for (int w = 0; w < nw; w++)
        acc[h][w] = _mm256_fmadd_ps(x[w], pv, acc[h][w]);
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 2
    for (int w = 0; w < nw; w++)
      _mm256_storeu_ps(o[h] + i0 + 8 * (size_t)w, acc[h][w]);
}

ATTN_INLINE void attn_weigh(enum gqcrt_kv_fmt f, int nh, const float *const *p, float *const *o,
                            const uint8_t *v, size_t stride, int32_t n, int32_t hd) {
  size_t i = 0;
  for (; i + 16 <= (size_t)hd; i += 16)
    weigh_dims(f, nh, 2, p, o, v, stride, n, i);
  for (; i + 8 <= (size_t)hd; i += 8)
    weigh_dims(f, nh, 1, p, o, v, stride, n, i);
  for (; i < (size_t)hd; i++) /* head_dim % 8: one element at a time */
    for (int h = 0; h < nh; h++) {
      float acc = o[h][i];
      for (int32_t c = 0; c < n; c++)
        acc += p[h][c] * load1(f, v + (size_t)c * stride, i);
      o[h][i] = acc;
    }
}

/* Softmax of n > 0 scores in place: the maximum, exp(s - max) eight at a
 * time (avx2_exp.h) summed in double, then every weight times
 * (float)(1 / sum). */
ATTN_INLINE void attn_softmax(float *s, int32_t n) {
  int32_t j = 0;
  __m256 m8 = _mm256_set1_ps(-INFINITY);
  for (; j + 8 <= n; j += 8)
    m8 = _mm256_max_ps(m8, _mm256_loadu_ps(s + j));
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
  float max = _mm_cvtss_f32(m4);
  for (; j < n; j++)
    max = s[j] > max ? s[j] : max;
  const __m256 mv = _mm256_set1_ps(max);
  __m256d sum4 = _mm256_setzero_pd();
  for (j = 0; j + 8 <= n; j += 8) {
    const __m256 e = avx2_exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), mv));
    _mm256_storeu_ps(s + j, e);
    sum4 = _mm256_add_pd(sum4, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                                             _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1))));
  }
  const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(sum4), _mm256_extractf128_pd(sum4, 1));
  double sum = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
  for (; j < n; j++) {
    const float e = _mm256_cvtss_f32(avx2_exp(_mm256_set1_ps(s[j] - max)));
    s[j] = e;
    sum += (double)e;
  }
  const float inv = (float)(1.0 / sum);
  const __m256 inv8 = _mm256_set1_ps(inv);
  for (j = 0; j + 8 <= n; j += 8)
    _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), inv8));
  for (; j < n; j++)
    s[j] *= inv;
}

#include "attention_driver.h"

ATTN_DEFINE_KERNEL(gqcrt_attention_avx2, GQCRT_AVX2)
