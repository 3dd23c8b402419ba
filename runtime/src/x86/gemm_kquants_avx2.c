/* gemm_kquants_avx2.c — AVX2 gemm kernels (batched prefill) for Q4_K and
 * Q6_K weights against Q8_K activations: gqcrt_gemm_q4_k_avx2 and
 * gqcrt_gemm_q6_k_avx2. (The other k-quants use the row-wise gemm,
 * gemm_rowwise_avx2.c.)
 *
 * What must not change
 *
 * Each output must be bit for bit what the matrix-vector kernel
 * (linear_kquants_avx2.c, which follows llama.cpp's AVX2 vec_dot) gives for
 * its activation row. Per super-block that kernel forms 8 exact int32 lanes
 * (sums of scale * (u8 x s8 pair sums) from maddubs/madd, lane j covering
 * the same products whatever the order they are added in) and adds
 *   acc = fma(broadcast(da * d), cvt(lanes), acc)
 * plus, for Q4_K, a 4-lane min term accm = fma(broadcast(-da * dmin),
 * cvt(min lanes), accm); at the end y = hsum(acc) (+ the movehl/movehdup sum
 * of accm). Q6_K's -32 offset is -32 * madd(bsums, scales) in the lanes.
 * This file repeats exactly those per-lane integers and f32 operations for
 * every (weight row, activation row).
 *
 * What is shared
 *
 * A weight row is taken against TILE activation rows at a time; what
 * depends on the weights alone is done once for the tile: the 6-bit (Q4_K)
 * or int8 (Q6_K) scales unpacked and widened, the quants unpacked to bytes
 * (nibbles; Q6_K's low four and high two bits), and the scale vectors
 * broadcast or shuffled for madd. Per activation row what is left is the
 * maddubs/madd/add of each 32 quants against its own, its min or offset
 * term from its bsums, and the f32 step. Weight rows are walked in chunks of
 * about CHUNK_BYTES that stay in the L1 cache while all activation tiles
 * pass over them.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "kquants_avx2.h"
#include "blocks.h"
#include "gemm_common.h"
#include "gqcrt.h"
#include "rt_libc.h"

enum { TILE = 4, CHUNK_BYTES = 16384 };

/* ---- Q4_K ------------------------------------------------------------------ */

/* 4 int32 lanes of the min term: lane k = m_2k (b_4k + b_4k+1) +
 * m_2k+1 (b_4k+2 + b_4k+3). */
INLINE_AVX2 __m128i k4_min_lanes(__m128i mins, const blk_q8_k *a) {
  const __m256i bs = load_bsums(a);
  const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
  return _mm_madd_epi16(mins, pairs);
}

/* Output rows [0, n_out) of a chunk (rows of nb super-blocks from w) for R
 * activation rows from x (x_row bytes apart). */
INLINE_AVX2 void q4_k_chunk(int R, float *y, size_t y_stride, const blk_q4_k *w, int32_t n_out,
                            const uint8_t *x, size_t x_row, int32_t nb) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int32_t o = 0; o < n_out; ++o) {
    const blk_q4_k *b = w + (size_t)o * (size_t)nb;
    __m256 acc[TILE];
    __m128 accm[TILE];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      acc[r] = _mm256_setzero_ps();
      accm[r] = _mm_setzero_ps();
    }
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i scales_mins = k4_scales_mins16(b[i].scales);
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      uint16_t sc[16];
      _mm256_storeu_si256((__m256i *)sc, scales_mins);
      const float dw = avx2_h2f(b[i].d), dminw = avx2_h2f(b[i].dmin);
      const blk_q8_k *a[TILE];
      __m256i sumi[TILE];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        a[r] = (const blk_q8_k *)(x + (size_t)r * x_row) + i;
        const __m128 dmin = _mm_set1_ps(-a[r]->d * dminw);
        accm[r] = _mm_fmadd_ps(dmin, _mm_cvtepi32_ps(k4_min_lanes(mins, a[r])), accm[r]);
        sumi[r] = _mm256_setzero_si256();
      }
      for (int c = 0; c < 4; ++c) { /* sub-blocks 2c (low nibbles) and 2c+1 (high) */
        const __m256i q = avx2_loadu(b[i].qs + 32 * c);
        const __m256i lo = _mm256_and_si256(q, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        const __m256i sc_lo = _mm256_set1_epi16((short)sc[2 * c]);
        const __m256i sc_hi = _mm256_set1_epi16((short)sc[2 * c + 1]);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const int8_t *aq = a[r]->qs + 64 * c;
          sumi[r] = _mm256_add_epi32(
              sumi[r], _mm256_madd_epi16(_mm256_maddubs_epi16(lo, avx2_loadu(aq)), sc_lo));
          sumi[r] = _mm256_add_epi32(
              sumi[r], _mm256_madd_epi16(_mm256_maddubs_epi16(hi, avx2_loadu(aq + 32)), sc_hi));
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(a[r]->d * dw), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      __m128 m = _mm_add_ps(accm[r], _mm_movehl_ps(accm[r], accm[r]));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      y[(size_t)r * y_stride + (size_t)o] = avx2_hsum_ps(acc[r]) + _mm_cvtss_f32(m);
    }
  }
}

/* ---- Q6_K ------------------------------------------------------------------ */

INLINE_AVX2 void q6_k_chunk(int R, float *y, size_t y_stride, const blk_q6_k *w, int32_t n_out,
                            const uint8_t *x, size_t x_row, int32_t nb) {
  for (int32_t o = 0; o < n_out; ++o) {
    const blk_q6_k *b = w + (size_t)o * (size_t)nb;
    __m256 acc[TILE];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      acc[r] = _mm256_setzero_ps();
    for (int32_t i = 0; i < nb; ++i) {
      const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b[i].scales));
      const float dw = avx2_h2f(b[i].d);
      const blk_q8_k *a[TILE];
      __m256i sumi[TILE];
      /* the -32 offsets: -32 * (bsum_s * sc_s, paired into 8 lanes) */
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        a[r] = (const blk_q8_k *)(x + (size_t)r * x_row) + i;
        sumi[r] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                   _mm256_slli_epi32(_mm256_madd_epi16(load_bsums(a[r]), sc16), 5));
      }
      for (int n = 0; n < 2; ++n) {
        const __m256i ql_a = avx2_loadu(b[i].ql + 64 * n);      /* k = 0 (low), 2 (high) */
        const __m256i ql_b = avx2_loadu(b[i].ql + 64 * n + 32); /* k = 1 (low), 3 (high) */
        const __m256i qh = avx2_loadu(b[i].qh + 32 * n);
        const __m256i half = avx2_half_scales(sc16, n);
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {                       /* elements 128n + 32k .. +32 */
          const __m256i u = q6_k_quants(ql_a, ql_b, qh, k); /* q + 32 */
          const __m256i scales = avx2_scale_pair(half, k);
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r)
            sumi[r] = _mm256_add_epi32(
                sumi[r],
                _mm256_madd_epi16(_mm256_maddubs_epi16(u, avx2_loadu(a[r]->qs + 128 * n + 32 * k)),
                                  scales));
        }
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(a[r]->d * dw), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      y[(size_t)r * y_stride + (size_t)o] = avx2_hsum_ps(acc[r]);
  }
}

/* ---- the loops ------------------------------------------------------------ */

enum kquant_fmt { FMT_Q4_K, FMT_Q6_K };

INLINE_AVX2 void chunk_tile(enum kquant_fmt f, int R, float *y, size_t y_stride, const void *w,
                            int32_t n_out, const uint8_t *x, size_t x_row, int32_t nb) {
  if (f == FMT_Q4_K)
    q4_k_chunk(R, y, y_stride, w, n_out, x, x_row, nb);
  else
    q6_k_chunk(R, y, y_stride, w, n_out, x, x_row, nb);
}

INLINE_AVX2 void gemm_kquant(enum kquant_fmt f, float *y, int32_t y_stride, const void *w,
                             const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const size_t w_row = (size_t)nb * (f == FMT_Q4_K ? GQCRT_Q4_K_BYTES : GQCRT_Q6_K_BYTES);
  const size_t x_row = (size_t)nb * GQCRT_Q8_K_BYTES;
  int32_t chunk = (int32_t)(CHUNK_BYTES / (w_row ? w_row : 1));
  chunk = chunk < 1 ? 1 : chunk;
  for (int32_t o = 0; o < n_out; o += chunk) {
    const int32_t n = n_out - o < chunk ? n_out - o : chunk;
    const uint8_t *wc = (const uint8_t *)w + (size_t)o * w_row;
    for (int32_t r = 0, R; r < n_rows; r += R) {
      R = gqcrt_gemm_next_tile(n_rows - r, TILE);
      float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
      const uint8_t *xt = (const uint8_t *)x + (size_t)r * x_row;
      switch (R) {
      case 1:
        chunk_tile(f, 1, yt, (size_t)y_stride, wc, n, xt, x_row, nb);
        break;
      case 2:
        chunk_tile(f, 2, yt, (size_t)y_stride, wc, n, xt, x_row, nb);
        break;
      case 3:
        chunk_tile(f, 3, yt, (size_t)y_stride, wc, n, xt, x_row, nb);
        break;
      default:
        chunk_tile(f, TILE, yt, (size_t)y_stride, wc, n, xt, x_row, nb);
        break;
      }
    }
  }
}

GQCRT_DEFINE_GEMM(q4_k, avx2, GQCRT_AVX2, gemm_kquant, FMT_Q4_K)
GQCRT_DEFINE_GEMM(q6_k, avx2, GQCRT_AVX2, gemm_kquant, FMT_Q6_K)
