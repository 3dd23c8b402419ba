/* elementwise_avx2.c — AVX2 variants of element-wise ops
 * (gqcrt_op_kernels.def): RMSNorm, SiLU, GELU and the activation quantisers.
 *
 * Each gives bit for bit what its portable twin gives (norm.c,
 * elementwise.c, quantize_activations.c), eight lanes at a time:
 *  - RMSNorm: the squares are f32 products either way, and the double sum
 *    still adds them one by one in element order; the scaling is two f32
 *    multiplies per element.
 *  - SiLU: silu.h's f32 operations in its order, one instruction each.
 *  - GELU: VCVTPS2PH rounds to nearest even like gqcrt_f2h (F16C is what
 *    fp16.h was written to match), the table is looked up lane by lane, and
 *    |x| >= 10 selected in as the portable branches do.
 *  - Q8_0/Q8_1: the maximum of |x| is exact in any order, d and 1/d are the
 *    same scalar divisions, and VCVTPS2DQ rounds to nearest even (the
 *    default MXCSR) like the portable rule; Q8_1's sum is an exact integer
 *    sum. Q8_K: the same maximum, then the first element that has it (the
 *    portable loop's choice), and the same rounding and clamping.
 * Every function carries GQCRT_AVX2; the compiler picks one only for
 * targets with AVX2, FMA and F16C.
 */
#include <immintrin.h>

#include "avx2_helpers.h"
#include "blocks.h"
#include "fp16.h"
#include "gelu.h"
#include "gqcrt.h"
#include "rt_libc.h"
#include "silu.h"

GQCRT_AVX2 void gqcrt_rms_norm_avx2(float *y, const float *x, const float *w, int32_t n,
                                    int32_t group, float eps) {
  if (group <= 0)
    return;
  for (int32_t g0 = 0; g0 + group <= n; g0 += group) {
    const float *xg = x + g0;
    double sum = 0.0;
    int32_t i = 0;
    for (; i + 8 <= group; i += 8) {
      const __m256 v = _mm256_loadu_ps(xg + i);
      float sq[8];
      _mm256_storeu_ps(sq, _mm256_mul_ps(v, v));
      for (int j = 0; j < 8; j++)
        sum += (double)sq[j];
    }
    for (; i < group; ++i)
      sum += (double)(xg[i] * xg[i]);
    const float mean = (float)(sum / group);
    const float scale = 1.0f / sqrtf(mean + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    float *yg = y + g0;
    for (i = 0; i + 8 <= group; i += 8)
      _mm256_storeu_ps(yg + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(xg + i), sv),
                                             _mm256_loadu_ps(w + i)));
    for (; i < group; ++i)
      yg[i] = (xg[i] * scale) * w[i];
  }
}

GQCRT_AVX2 void gqcrt_gelu_tanh_avx2(float *y, const float *x, int32_t n) {
  const __m256 lo = _mm256_set1_ps(-10.0f), hi = _mm256_set1_ps(10.0f);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    /* clamped into the table's range, so every lookup is of a finite entry;
     * the selects below overwrite the clamped lanes */
    const __m128i h = _mm256_cvtps_ph(_mm256_min_ps(hi, _mm256_max_ps(lo, v)),
                                      _MM_FROUND_TO_NEAREST_INT); /* (NaN stays NaN) */
    uint16_t idx[8], g[8];
    _mm_storeu_si128((__m128i *)(void *)idx, h);
    for (int j = 0; j < 8; j++)
      g[j] = gqcrt_gelu_f16_table[idx[j]];
    __m256 r = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)g));
    r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(v, lo, _CMP_LE_OQ));
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, hi, _CMP_GE_OQ));
    _mm256_storeu_ps(y + i, r);
  }
  if (i < n)
    gqcrt_gelu_tanh(y + i, x + i, n - i);
}

/* SiLU (silu.h): the portable operations on eight lanes, the out-of-range
 * lanes selected in. */
GQCRT_AVX2 void gqcrt_silu_avx2(float *y, const float *x, int32_t n) {
  const __m256 lo = _mm256_set1_ps(SILU_EXP_LO), hi = _mm256_set1_ps(SILU_EXP_HI);
  const __m256 round = _mm256_set1_ps(SILU_ROUND), one = _mm256_set1_ps(1.0f);
  const __m256i bias = _mm256_set1_epi32(127);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 xv = _mm256_loadu_ps(x + i);
    const __m256 v = _mm256_xor_ps(xv, _mm256_set1_ps(-0.0f));
    const __m256 under = _mm256_cmp_ps(v, lo, _CMP_LT_OQ), over = _mm256_cmp_ps(v, hi, _CMP_GT_OQ);
    const __m256 vc = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    const __m256 nf =
        _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(vc, _mm256_set1_ps(SILU_LOG2E)), round), round);
    __m256 r = _mm256_sub_ps(vc, _mm256_mul_ps(nf, _mm256_set1_ps(SILU_C1)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(nf, _mm256_set1_ps(SILU_C2)));
    __m256 p = _mm256_set1_ps(SILU_P0);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SILU_P1));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SILU_P2));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SILU_P3));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SILU_P4));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(SILU_P5));
    __m256 e = _mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), _mm256_add_ps(r, one));
    const __m256i ni = _mm256_cvttps_epi32(nf), h = _mm256_srai_epi32(ni, 1);
    e = _mm256_mul_ps(e, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, bias), 23)));
    e = _mm256_mul_ps(e, _mm256_castsi256_ps(_mm256_slli_epi32(
                             _mm256_add_epi32(_mm256_sub_epi32(ni, h), bias), 23)));
    e = _mm256_blendv_ps(e, _mm256_setzero_ps(), under);
    e = _mm256_blendv_ps(e, _mm256_set1_ps(__builtin_inff()), over);
    _mm256_storeu_ps(y + i, _mm256_div_ps(xv, _mm256_add_ps(one, e)));
  }
  if (i < n)
    gqcrt_silu(y + i, x + i, n - i);
}

/* max |x[0..n)| as the portable loop finds it: from 0, NaNs passed over
 * (MAXPS returns its second operand, the running maximum, on a NaN). */
INLINE_AVX2 float amax_of(const float *x, int n) {
  const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 m = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8)
    m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + j), abs), m);
  return avx2_hmax_ps(m);
}

/* The 32 quants of x * id, rounded to nearest even, into q; returns their
 * sum. */
INLINE_AVX2 int32_t quants32(int8_t *q, const float *x, float id) {
  const __m256 mul = _mm256_set1_ps(id);
  __m256i v[4];
  for (int k = 0; k < 4; k++)
    v[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), mul));
  const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(v[0], v[1]), _mm256_add_epi32(v[2], v[3]));
  /* pack 32 -> 16 -> 8 bits (exact: |q| <= 127), then undo the lane
   * interleaving of the packs */
  const __m256i p16a = _mm256_packs_epi32(v[0], v[1]), p16b = _mm256_packs_epi32(v[2], v[3]);
  const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  _mm256_storeu_si256((__m256i *)(void *)q, _mm256_permutevar8x32_epi32(p8, order));
  return avx2_hsum_epi32(sum);
}

/* One 32-element block by the x86 rule (quantize_activations.c). */
INLINE_AVX2 int32_t block_q8(int8_t *q, float *d, const float *x) {
  const float amax = amax_of(x, 32);
  *d = amax / 127.0f;
  return quants32(q, x, amax != 0.0f ? 127.0f / amax : 0.0f);
}

GQCRT_AVX2 void gqcrt_quantize_q8_0_avx2(void *dst, const float *x, int32_t n) {
  blk_q8_0 *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, x += GQCRT_QK) {
    float d;
    block_q8(b->qs, &d, x);
    b->d = gqcrt_f2h(d);
  }
}

GQCRT_AVX2 void gqcrt_quantize_q8_1_avx2(void *dst, const float *x, int32_t n) {
  blk_q8_1 *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, x += GQCRT_QK) {
    float d;
    const int32_t sum = block_q8(b->qs, &d, x);
    b->d = gqcrt_f2h(d);
    b->s = gqcrt_f2h(d * (float)sum);
  }
}

GQCRT_AVX2 void gqcrt_quantize_q8_k_avx2(void *dst, const float *x, int32_t n) {
  blk_q8_k *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, x += GQCRT_QK_K) {
    const float amax = amax_of(x, GQCRT_QK_K);
    if (amax == 0.0f) {
      gqcrt_q8_k_zero(b);
      continue;
    }
    float max = 0.0f; /* the first element with the largest |x| */
    for (int j = 0; j < GQCRT_QK_K; ++j)
      if (gqcrt_bits_f32(gqcrt_f32_bits(x[j]) & 0x7FFFFFFFu) == amax) {
        max = x[j];
        break;
      }
    const float iscale = -127.0f / max;
    const __m256 mul = _mm256_set1_ps(iscale);
    const __m256i cap = _mm256_set1_epi32(127);
    for (int g = 0; g < GQCRT_QK_K / 16; ++g) {
      const __m256i a = _mm256_min_epi32(
          _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16 * g), mul)), cap);
      const __m256i c = _mm256_min_epi32(
          _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16 * g + 8), mul)), cap);
      /* 16 quants: pack to 16 bits (lanes a0..3 c0..3 a4..7 c4..7), to 8 */
      const __m256i p16 = _mm256_packs_epi32(a, c);
      const __m128i q8 =
          _mm_packs_epi16(_mm256_castsi256_si128(p16), _mm256_extracti128_si256(p16, 1));
      /* q8 holds a0..3 c0..3 a4..7 c4..7: back to element order */
      const __m128i ordered = _mm_shuffle_epi32(q8, _MM_SHUFFLE(3, 1, 2, 0));
      _mm_storeu_si128((__m128i *)(void *)(b->qs + 16 * g), ordered);
      b->bsums[g] = (int16_t)avx2_hsum_epi32(_mm256_add_epi32(a, c));
    }
    b->d = 1.0f / iscale;
  }
}
