/* linear_kquants_avx2.c — AVX2 matrix-vector kernels for q2_k .. q6_k against
 * a q8_k activation: the `_avx2` variants of linear_kquants.c.
 *
 * The quants of each 32-element run of a super-block are expanded to bytes
 * with shifts and masks, multiplied with the activation quants by maddubs
 * (unsigned weight bytes, signed activations) and weighted by the sub-block
 * scales with madd, giving 8 exact int32 lanes per super-block. The float
 * part follows llama.cpp's x86 AVX2 vec_dot kernels operation for operation:
 * the 8 integer lanes are converted and accumulated with one FMA by d*da into
 * 8 float lanes, min terms as ggml forms them (q2_k: an 8-lane FMA of its
 * madd'ed mins and bsums; q4_k: a 4-lane accumulator; q5_k: a scalar), then
 * one horizontal sum. Since the integer lanes hold the same values as ggml's
 * too (the q6_k offset is -32*(bsum*scale) per lane pair as in ggml, the q3_k
 * offset is applied per element), a row's result equals llama.cpp's x86 build
 * bit for bit (checked against ggml; test_rt_kernels keeps golden values).
 * llama.cpp repacks q4_k weights on AVX2 when the row count is a multiple of
 * 8, which changes its order; this kernel matches its plain vec_dot.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "kquants_avx2.h"
#include "blocks.h"
#include "gqcrt.h"
#include "rt_libc.h"

/* int32 lanes of sum over pairs of scale * (u*a pair sum), for 32 elements
 * and an int16 scale vector (per 16 or per 32 elements). */
GQCRT_AVX2 static inline __m256i scaled_dot32(__m256i u, const int8_t *a, __m256i scales) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, avx2_loadu(a)), scales);
}

/* acc += d * lanes, the per-super-block float step of every kernel here. */
GQCRT_AVX2 static inline __m256 fma_lanes(__m256 acc, float d, __m256i lanes) {
  return _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc);
}

GQCRT_AVX2 void gqcrt_linear_q2_k_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const blk_q8_k *a = x;
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m128i m4 = _mm_set1_epi8(0x0F);
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q2_k *b = (const blk_q2_k *)w + (size_t)r * (size_t)nb;
    __m256 acc = _mm256_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      const __m128i packed = _mm_loadu_si128((const __m128i *)b[i].scales);
      const __m256i sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(packed, m4));
      const __m256i min16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), m4));
      /* the min term first: -(da*dmin) * (min_s * bsum_s, paired into 8 lanes) */
      acc = fma_lanes(acc, -a[i].d * avx2_h2f(b[i].dmin),
                      _mm256_madd_epi16(min16, load_bsums(&a[i])));
      __m256i sumi = _mm256_setzero_si256();
      for (int n = 0; n < 2; ++n) {
        const __m256i q = avx2_loadu(b[i].qs + 32 * n);
        const __m256i half = avx2_half_scales(sc16, n);
        for (int j = 0; j < 4; ++j) { /* elements 128n + 32j .. +32 */
          const __m256i u = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
          sumi = _mm256_add_epi32(
              sumi, scaled_dot32(u, a[i].qs + 128 * n + 32 * j, avx2_scale_pair(half, j)));
        }
      }
      acc = fma_lanes(acc, a[i].d * avx2_h2f(b[i].d), sumi);
    }
    y[r] = avx2_hsum_ps(acc);
  }
}

/* The 16 signed q3_k scales as int16 lanes: gqcrt_q3_k_scales done four bytes
 * at a time (low 4 bits from the low or high nibble of b[0..7], high 2 bits
 * from b[8..11] at bit 2*(i/4)), little-endian words. */
GQCRT_AVX2 static inline __m256i q3_k_scales16(const uint8_t b[12]) {
  uint32_t u[3];
  memcpy(u, b, 12);
  const uint32_t lo = 0x0F0F0F0Fu, hi = 0x03030303u;
  const __m128i v = _mm_setr_epi32((int)((u[0] & lo) | ((u[2] & hi) << 4)),
                                   (int)((u[1] & lo) | (((u[2] >> 2) & hi) << 4)),
                                   (int)(((u[0] >> 4) & lo) | (((u[2] >> 4) & hi) << 4)),
                                   (int)(((u[1] >> 4) & lo) | (((u[2] >> 6) & hi) << 4)));
  return _mm256_cvtepi8_epi16(_mm_sub_epi8(v, _mm_set1_epi8(32)));
}

GQCRT_AVX2 void gqcrt_linear_q3_k_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const blk_q8_k *a = x;
  const __m256i m3 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q3_k *b = (const blk_q3_k *)w + (size_t)r * (size_t)nb;
    __m256 acc = _mm256_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i sc16 = q3_k_scales16(b[i].scales);
      const __m256i hm = avx2_loadu(b[i].hmask);
      __m256i sumi = _mm256_setzero_si256();
      for (int n = 0; n < 2; ++n) {
        const __m256i q = avx2_loadu(b[i].qs + 32 * n);
        const __m256i half = avx2_half_scales(sc16, n);
        for (int j = 0; j < 4; ++j) { /* elements 128n + 32j .. +32 */
          const int8_t *aq = a[i].qs + 128 * n + 32 * j;
          const __m256i low = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
          /* 4 where the high bit is clear: q = low - that */
          const __m256i high = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * n + j), one);
          const __m256i minus4 = _mm256_slli_epi16(_mm256_xor_si256(high, one), 2);
          const __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(low, avx2_loadu(aq)),
                                             _mm256_maddubs_epi16(minus4, avx2_loadu(aq)));
          sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, avx2_scale_pair(half, j)));
        }
      }
      acc = fma_lanes(acc, a[i].d * avx2_h2f(b[i].d), sumi);
    }
    y[r] = avx2_hsum_ps(acc);
  }
}

/* 4 int32 lanes of m_j * (bsum pairs): lane k = m_2k * (b_4k + b_4k+1) +
 * m_2k+1 * (b_4k+2 + b_4k+3), as ggml forms the q4_k/q5_k min term. */
GQCRT_AVX2 static inline __m128i k4_min_lanes(__m256i scales_mins, const blk_q8_k *a) {
  const __m256i bs = load_bsums(a);
  const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
  return _mm_madd_epi16(_mm256_extracti128_si256(scales_mins, 1), pairs);
}

GQCRT_AVX2 void gqcrt_linear_q4_k_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const blk_q8_k *a = x;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q4_k *b = (const blk_q4_k *)w + (size_t)r * (size_t)nb;
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i scales_mins = k4_scales_mins16(b[i].scales);
      const __m128 dmin = _mm_set1_ps(-a[i].d * avx2_h2f(b[i].dmin));
      acc_m = _mm_fmadd_ps(dmin, _mm_cvtepi32_ps(k4_min_lanes(scales_mins, &a[i])), acc_m);
      uint16_t sc[16];
      _mm256_storeu_si256((__m256i *)sc, scales_mins);
      __m256i sumi = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) { /* sub-blocks 2c (low nibbles) and 2c+1 (high) */
        const __m256i q = avx2_loadu(b[i].qs + 32 * c);
        const __m256i lo = _mm256_and_si256(q, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        sumi = _mm256_add_epi32(
            sumi, scaled_dot32(lo, a[i].qs + 64 * c, _mm256_set1_epi16((short)sc[2 * c])));
        sumi = _mm256_add_epi32(
            sumi, scaled_dot32(hi, a[i].qs + 64 * c + 32, _mm256_set1_epi16((short)sc[2 * c + 1])));
      }
      acc = fma_lanes(acc, a[i].d * avx2_h2f(b[i].d), sumi);
    }
    acc_m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
    acc_m = _mm_add_ss(acc_m, _mm_movehdup_ps(acc_m));
    y[r] = avx2_hsum_ps(acc) + _mm_cvtss_f32(acc_m);
  }
}

GQCRT_AVX2 void gqcrt_linear_q5_k_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const blk_q8_k *a = x;
  const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q5_k *b = (const blk_q5_k *)w + (size_t)r * (size_t)nb;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i scales_mins = k4_scales_mins16(b[i].scales);
      const __m128i m_lanes = k4_min_lanes(scales_mins, &a[i]);
      const __m128i m2 = _mm_add_epi32(m_lanes, _mm_unpackhi_epi64(m_lanes, m_lanes));
      const int32_t mins = _mm_cvtsi128_si32(_mm_add_epi32(m2, _mm_srli_si128(m2, 4)));
      /* summs += dmin * mins, fused as in ggml's FMA-contracted build */
      const __m128 dmin = _mm_set_ss(-a[i].d * avx2_h2f(b[i].dmin));
      summs = _mm_cvtss_f32(_mm_fmadd_ss(dmin, _mm_set_ss((float)mins), _mm_set_ss(summs)));
      uint16_t sc[16];
      _mm256_storeu_si256((__m256i *)sc, scales_mins);
      const __m256i qh = avx2_loadu(b[i].qh);
      __m256i sumi = _mm256_setzero_si256();
      for (int c = 0; c < 4; ++c) { /* fifth bits: bit 2c (low nibbles), 2c+1 (high) */
        const __m256i q = avx2_loadu(b[i].qs + 32 * c);
        const __m256i h_lo = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one);
        const __m256i h_hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one);
        const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4), _mm256_slli_epi16(h_lo, 4));
        const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4),
                                           _mm256_slli_epi16(h_hi, 4));
        sumi = _mm256_add_epi32(
            sumi, scaled_dot32(lo, a[i].qs + 64 * c, _mm256_set1_epi16((short)sc[2 * c])));
        sumi = _mm256_add_epi32(
            sumi, scaled_dot32(hi, a[i].qs + 64 * c + 32, _mm256_set1_epi16((short)sc[2 * c + 1])));
      }
      acc = fma_lanes(acc, a[i].d * avx2_h2f(b[i].d), sumi);
    }
    y[r] = avx2_hsum_ps(acc) + summs;
  }
}

GQCRT_AVX2 void gqcrt_linear_q6_k_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const blk_q8_k *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q6_k *b = (const blk_q6_k *)w + (size_t)r * (size_t)nb;
    __m256 acc = _mm256_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b[i].scales));
      /* the -32 offsets: -32 * (bsum_s * sc_s, paired into 8 lanes) */
      __m256i sumi = _mm256_sub_epi32(
          _mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(load_bsums(&a[i]), sc16), 5));
      for (int n = 0; n < 2; ++n) {
        const __m256i ql_a = avx2_loadu(b[i].ql + 64 * n);      /* k = 0 (low), 2 (high) */
        const __m256i ql_b = avx2_loadu(b[i].ql + 64 * n + 32); /* k = 1 (low), 3 (high) */
        const __m256i qh = avx2_loadu(b[i].qh + 32 * n);
        const __m256i half = avx2_half_scales(sc16, n);
        for (int k = 0; k < 4; ++k) {                       /* elements 128n + 32k .. +32 */
          const __m256i u = q6_k_quants(ql_a, ql_b, qh, k); /* q + 32 */
          sumi = _mm256_add_epi32(
              sumi, scaled_dot32(u, a[i].qs + 128 * n + 32 * k, avx2_scale_pair(half, k)));
        }
      }
      acc = fma_lanes(acc, a[i].d * avx2_h2f(b[i].d), sumi);
    }
    y[r] = avx2_hsum_ps(acc);
  }
}
