/* attention_neon.c — gqcrt_attention_neon: the second half of attention
 * (gqcrt.h) with NEON, for f32, f16 and q8_0 KV caches (q8_0 scores are
 * the driver's, the same bits as every kernel's; v rows are widened from
 * int8, d * q exactly).
 *
 * The recipe is attention.c's, step for step; what changes is how the work
 * is laid out so that every load feeds several multiply-adds:
 *
 *  - Queries that share a KV head are attended together, up to four at a
 *    time (attention_driver.h: the heads of a token under GQA, and in a
 *    batch also the same head of consecutive tokens): each k and v element
 *    is loaded (and, for an f16 cache, widened with FCVTL) once for all of
 *    them. A Gemma-3 270M layer has four query heads on one KV head, so the
 *    cache is read once, not four times.
 *  - Scores: four positions at a time. For every 4 dimensions the block
 *    loads 4 k vectors and one q vector per head and issues heads x 4 FMAs
 *    into heads x 4 accumulators (16 for four heads: 26 of the 32 vector
 *    registers with the f16 loads). Each accumulator is one (head, position)
 *    dot product: lane l sums q[i] * k[i] for i = l mod 4 in increasing i
 *    with FMA; the lanes are added (l0 + l1) + (l2 + l3) (FADDP), the
 *    head_dim % 4 leftover dimensions are added one by one, and the sum is
 *    multiplied by scale. Positions outside a block of four (and a run's
 *    end) go through the same code with one accumulator per head, so a
 *    score does not depend on where its position falls in a block.
 *  - Softmax: the maximum, exp(s - max) four at a time (neon_exp.h, within
 *    an ulp of expf) summed in double, then every weight times
 *    (float)(1 / sum).
 *  - out = sum_j p_j v_j: 16 dimensions (one 64-byte line of an f32 row) at
 *    a time, held in registers for every head of the block while the
 *    positions stream past, four per step with FMA by lane (weights of four
 *    positions in one vector); then the next 16 dimensions. Each output
 *    element sums its terms in position order, like attention.c, but each
 *    term is fused (FMA) where attention.c rounds the product first.
 *  - The two loops above are out-of-line functions, one per cache format
 *    and block size (attention_driver.h), compiled without GCC's
 *    pre-allocation scheduling, so that their accumulators, k/v rows and
 *    query pointers stay in registers: for an f16 cache and four heads,
 *    57 instructions per 32 FMAs for the scores and 97 per 64 for the
 *    weights (88 and 121 inlined into the driver with the scheduler on).
 *
 * So the results differ from gqcrt_attention_scalar only in rounding
 * (tests/unit/test_rt_attention.c bounds it), and a query's result is the
 * same whichever queries it is grouped with. Compiled with -march=armv8.2-a+dotprod+fp16 like the
 * other NEON files, but it uses only base ARMv8 NEON (f32 arithmetic, FCVTL).
 */
#include "attention_common.h"
#include "arm/neon_exp.h"
#include "arm/neon_util.h"
#include "gqcrt.h"

#define ATTN_INLINE static inline GQCRT_ATTN_FORCE_INLINE
#define ATTN_OUT_OF_LINE static __attribute__((noinline))

/* GCC's scheduling before register allocation hoists every query and key
 * load of the score loop ahead of its FMAs and spills them (see above). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif

/* Elements i .. i+3 of a cache row, as f32. */
/* d * q of elements i .. i+7 of a q8_0 row (i % 8 == 0: one block). */
NEON_INLINE void load8_q8_0(const uint8_t *row, size_t i, float32x4_t *lo, float32x4_t *hi) {
  const blk_q8_0 *b = (const blk_q8_0 *)(const void *)row + i / GQCRT_Q8_0_ELEMS;
  const int16x8_t w = vmovl_s8(vld1_s8(b->qs + i % GQCRT_Q8_0_ELEMS));
  const float d = gqcrt_h2f(b->d);
  *lo = vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(w))), d);
  *hi = vmulq_n_f32(vcvtq_f32_s32(vmovl_high_s16(w)), d);
}

NEON_INLINE float32x4_t load4(enum gqcrt_kv_fmt f, const uint8_t *row, size_t i) {
  if (f == GQCRT_KV_FMT_Q8_0) { /* four elements: no read past the block */
    float t[4];
    for (int j = 0; j < 4; j++)
      t[j] = gqcrt_kv_q8_0_at(row, i + (size_t)j);
    return vld1q_f32(t);
  }
  if (f == GQCRT_KV_FMT_F16)
    return vcvt_f32_f16(vld1_f16((const float16_t *)(const void *)row + i));
  return vld1q_f32((const float *)(const void *)row + i);
}

/* Elements i .. i+7, as two f32x4. */
NEON_INLINE void load8(enum gqcrt_kv_fmt f, const uint8_t *row, size_t i, float32x4_t *lo,
                       float32x4_t *hi) {
  if (f == GQCRT_KV_FMT_Q8_0) {
    load8_q8_0(row, i, lo, hi);
  } else if (f == GQCRT_KV_FMT_F16) {
    const float16x8_t h = vld1q_f16((const float16_t *)(const void *)row + i);
    *lo = vcvt_f32_f16(vget_low_f16(h));
    *hi = vcvt_high_f32_f16(h);
  } else {
    *lo = vld1q_f32((const float *)(const void *)row + i);
    *hi = vld1q_f32((const float *)(const void *)row + i + 4);
  }
}

NEON_INLINE float load1(enum gqcrt_kv_fmt f, const uint8_t *row, size_t i) {
  if (f == GQCRT_KV_FMT_Q8_0)
    return gqcrt_kv_q8_0_at(row, i);
  if (f == GQCRT_KV_FMT_F16)
    return (float)((const __fp16 *)(const void *)row)[i];
  return ((const float *)(const void *)row)[i];
}

/* (l0 + l1) + (l2 + l3): lane 0 of the vpaddq reduction of four
 * accumulators in score_rows. */
NEON_INLINE float hsum4(float32x4_t a) {
  const float32x4_t t = vpaddq_f32(a, a);
  return vgetq_lane_f32(vpaddq_f32(t, t), 0);
}

/* s[m][0 .. nk) = scores of the nk (1 or 4) rows from `k` for nh queries. */
NEON_INLINE void score_rows(enum gqcrt_kv_fmt f, int nh, int nk, const float *const *q,
                            float *const *s, const uint8_t *k, size_t stride, int32_t hd,
                            float scale) {
  float32x4_t acc[GQCRT_ATTENTION_BLOCK][4];
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
    for (int c = 0; c < nk; c++)
      acc[h][c] = vdupq_n_f32(0.0f);
  int32_t i = 0;
  if (f == GQCRT_KV_FMT_F16) {
    for (; i + 8 <= hd; i += 8) {
      float32x4_t klo[4], khi[4];
#pragma GCC unroll 4
      for (int c = 0; c < nk; c++)
        load8(f, k + (size_t)c * stride, (size_t)i, &klo[c], &khi[c]);
#pragma GCC unroll 4
      for (int h = 0; h < nh; h++) {
        const float32x4_t qlo = vld1q_f32(q[h] + i), qhi = vld1q_f32(q[h] + i + 4);
#pragma GCC unroll 4
        for (int c = 0; c < nk; c++)
          acc[h][c] = vfmaq_f32(vfmaq_f32(acc[h][c], qlo, klo[c]), qhi, khi[c]);
      }
    }
  }
  for (; i + 4 <= hd; i += 4) {
    float32x4_t kv[4];
#pragma GCC unroll 4
    for (int c = 0; c < nk; c++)
      kv[c] = load4(f, k + (size_t)c * stride, (size_t)i);
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++) {
      const float32x4_t qv = vld1q_f32(q[h] + i);
#pragma GCC unroll 4
      for (int c = 0; c < nk; c++)
        acc[h][c] = vfmaq_f32(acc[h][c], qv, kv[c]);
    }
  }
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++) {
    float *sh = s[h];
    if (nk == 4) {
      const float32x4_t sum =
          vpaddq_f32(vpaddq_f32(acc[h][0], acc[h][1]), vpaddq_f32(acc[h][2], acc[h][3]));
      if (i == hd) {
        vst1q_f32(sh, vmulq_n_f32(sum, scale));
        continue;
      }
      vst1q_f32(sh, sum);
    } else {
      sh[0] = hsum4(acc[h][0]);
    }
    for (int c = 0; c < nk; c++) {
      float t = sh[c];
      for (int32_t r = i; r < hd; r++)
        t += q[h][r] * load1(f, k + (size_t)c * stride, (size_t)r);
      sh[c] = t * scale;
    }
  }
}

NEON_INLINE void attn_scores(enum gqcrt_kv_fmt f, int nh, const float *const *q, float *const *s,
                             const uint8_t *k, size_t stride, int32_t n, int32_t hd, float scale) {
  float *sc[GQCRT_ATTENTION_BLOCK];
  int32_t c = 0;
  for (; c + 4 <= n; c += 4) {
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
      sc[h] = s[h] + c;
    score_rows(f, nh, 4, q, sc, k + (size_t)c * stride, stride, hd, scale);
  }
  for (; c < n; c++) {
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
      sc[h] = s[h] + c;
    score_rows(f, nh, 1, q, sc, k + (size_t)c * stride, stride, hd, scale);
  }
}

/* o[h][i0 .. i0 + 4*nw) += sum over n rows from `v` of p_h[c] * v_c, the
 * accumulators held in registers. */
NEON_INLINE void weigh_dims(enum gqcrt_kv_fmt f, int nh, int nw, const float *const *p,
                            float *const *o, const uint8_t *v, size_t stride, int32_t n,
                            size_t i0) {
  float32x4_t acc[GQCRT_ATTENTION_BLOCK][4];
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
    for (int w = 0; w < nw; w++)
      acc[h][w] = vld1q_f32(o[h] + i0 + 4 * (size_t)w);
  int32_t c = 0;
  for (; c + 4 <= n; c += 4) {
    float32x4_t pv[GQCRT_ATTENTION_BLOCK];
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
      pv[h] = vld1q_f32(p[h] + c);
#define GQCRT_WEIGH_LANE(lane)                                                                     \
  do {                                                                                             \
    float32x4_t x[4];                                                                              \
    const uint8_t *row = v + (size_t)(c + (lane)) * stride;                                        \
    if (nw == 4 && f == GQCRT_KV_FMT_F16) { /* each half widened just before its FMAs */           \
      const float16x8_t r[2] = {vld1q_f16((const float16_t *)(const void *)row + i0),              \
                                vld1q_f16((const float16_t *)(const void *)row + i0 + 8)};         \
      _Pragma("GCC unroll 4") for (int w = 0; w < 4; w++) {                                        \
        const float32x4_t xw =                                                                     \
            w % 2 ? vcvt_high_f32_f16(r[w / 2]) : vcvt_f32_f16(vget_low_f16(r[w / 2]));            \
        _Pragma("GCC unroll 4") for (int h = 0; h < nh; h++) acc[h][w] =                           \
            vfmaq_laneq_f32(acc[h][w], xw, pv[h], (lane));                                         \
      }                                                                                            \
      break;                                                                                       \
    }                                                                                              \
    if (nw == 4) {                                                                                 \
      load8(f, row, i0, &x[0], &x[1]);                                                             \
      load8(f, row, i0 + 8, &x[2], &x[3]);                                                         \
    } else {                                                                                       \
      x[0] = load4(f, row, i0);                                                                    \
    }                                                                                              \
    _Pragma("GCC unroll 4") for (int w = 0; w < nw; w++)                                           \
        _Pragma("GCC unroll 4") for (int h = 0; h < nh; h++) acc[h][w] =                           \
            vfmaq_laneq_f32(acc[h][w], x[w], pv[h], (lane));                                       \
  } while (0)
    GQCRT_WEIGH_LANE(0);
    GQCRT_WEIGH_LANE(1);
    GQCRT_WEIGH_LANE(2);
    GQCRT_WEIGH_LANE(3);
#undef GQCRT_WEIGH_LANE
  }
  for (; c < n; c++) {
    float32x4_t x[4];
    const uint8_t *row = v + (size_t)c * stride;
    if (nw == 4) {
      load8(f, row, i0, &x[0], &x[1]);
      load8(f, row, i0 + 8, &x[2], &x[3]);
    } else {
      x[0] = load4(f, row, i0);
    }
#pragma GCC unroll 4
    for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
      for (int w = 0; w < nw; w++)
        acc[h][w] = vfmaq_n_f32(acc[h][w], x[w], p[h][c]);
  }
#pragma GCC unroll 4
  for (int h = 0; h < nh; h++)
#pragma GCC unroll 4
    for (int w = 0; w < nw; w++)
      vst1q_f32(o[h] + i0 + 4 * (size_t)w, acc[h][w]);
}

NEON_INLINE void attn_weigh(enum gqcrt_kv_fmt f, int nh, const float *const *p, float *const *o,
                            const uint8_t *v, size_t stride, int32_t n, int32_t hd) {
  size_t i = 0;
  for (; i + 16 <= (size_t)hd; i += 16)
    weigh_dims(f, nh, 4, p, o, v, stride, n, i);
  for (; i + 4 <= (size_t)hd; i += 4)
    weigh_dims(f, nh, 1, p, o, v, stride, n, i);
  for (; i < (size_t)hd; i++) /* head_dim % 4: one element at a time */
    for (int h = 0; h < nh; h++) {
      float acc = o[h][i];
      for (int32_t c = 0; c < n; c++)
        acc += p[h][c] * load1(f, v + (size_t)c * stride, i);
      o[h][i] = acc;
    }
}

/* Softmax of n > 0 scores in place: the maximum, exp(s - max) four at a
 * time (neon_exp.h) summed in double, then every weight times
 * (float)(1 / sum). */
NEON_INLINE void attn_softmax(float *s, int32_t n) {
  int32_t j = 0;
  float32x4_t m4 = vdupq_n_f32(-INFINITY);
  for (; j + 4 <= n; j += 4)
    m4 = vmaxq_f32(m4, vld1q_f32(s + j));
  float max = vmaxvq_f32(m4);
  for (; j < n; j++)
    max = s[j] > max ? s[j] : max;
  const float32x4_t mv = vdupq_n_f32(max);
  float64x2_t sum2 = vdupq_n_f64(0.0);
  for (j = 0; j + 4 <= n; j += 4) {
    const float32x4_t e = neon_exp(vsubq_f32(vld1q_f32(s + j), mv));
    vst1q_f32(s + j, e);
    sum2 = vaddq_f64(sum2, vaddq_f64(vcvt_f64_f32(vget_low_f32(e)), vcvt_high_f64_f32(e)));
  }
  double sum = vaddvq_f64(sum2);
  for (; j < n; j++) {
    const float e = vgetq_lane_f32(neon_exp(vdupq_n_f32(s[j] - max)), 0);
    s[j] = e;
    sum += (double)e;
  }
  const float inv = (float)(1.0 / sum);
  for (j = 0; j + 4 <= n; j += 4)
    vst1q_f32(s + j, vmulq_n_f32(vld1q_f32(s + j), inv));
  for (; j < n; j++)
    s[j] *= inv;
}

#include "attention_driver.h"

ATTN_DEFINE_KERNEL(gqcrt_attention_neon, )
