/* kquants_avx2.h — AVX2 pieces shared by the k-quant kernels, linear
 * (linear_kquants_avx2.c) and gemm (gemm_kquants_avx2.c). */
#ifndef GQCRT_X86_KQUANTS_AVX2_H
#define GQCRT_X86_KQUANTS_AVX2_H

#include <string.h>

#include "avx2_helpers.h"
#include "blocks.h"

/* The 16 int16 sums of 16 activation quants of a q8_k block. */
INLINE_AVX2 __m256i load_bsums(const blk_q8_k *a) {
  return avx2_loadu(a->bsums);
}

/* All 8 scales and 8 mins of a q4_k/q5_k super-block at once (the rules of
 * gqcrt_k4_scale_min applied to four bytes per 32-bit word), as int16 lanes:
 * scales in lanes 0..7 of the low half, mins in the high half. */
INLINE_AVX2 __m256i k4_scales_mins16(const uint8_t b[12]) {
  uint32_t u[3];
  memcpy(u, b, 12);
  const uint32_t m6 = 0x3F3F3F3Fu, lo = 0x0F0F0F0Fu, hi = 0x03030303u;
  const __m128i v =
      _mm_setr_epi32((int)(u[0] & m6),                                       /* sc 0..3 */
                     (int)((u[2] & lo) | (((u[0] >> 6) & hi) << 4)),         /* sc 4..7 */
                     (int)(u[1] & m6),                                       /* m 0..3 */
                     (int)(((u[2] >> 4) & lo) | (((u[1] >> 6) & hi) << 4))); /* m 4..7 */
  return _mm256_cvtepu8_epi16(v);
}

/* The 32 quants of Q6_K elements 128n + 32k .. +32, plus 32 (0..63), from
 * the n-th half's ql bytes (ql_a: k = 0, 2; ql_b: k = 1, 3; low nibbles for
 * k < 2) and its qh bytes (2 bits at 2k). */
INLINE_AVX2 __m256i q6_k_quants(__m256i ql_a, __m256i ql_b, __m256i qh, int k) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
  const __m256i src = (k & 1) ? ql_b : ql_a;
  const __m256i low4 =
      k < 2 ? _mm256_and_si256(src, m4) : _mm256_and_si256(_mm256_srli_epi16(src, 4), m4);
  const __m256i high2 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), m3);
  return _mm256_or_si256(low4, _mm256_slli_epi16(high2, 4));
}

#endif
