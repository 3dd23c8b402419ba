/* linear_legacy_avx2.c — AVX2 matrix-vector kernels for the 32-element
 * encodings q4_0, q5_0, q8_0 (activation q8_0) and q4_1, q5_1 (activation
 * q8_1): the `_avx2` variants of linear_legacy.c.
 *
 * A block's 32 weight quants are expanded to 32 bytes (nibbles, plus the
 * fifth bit from qh as 0x10, minus the offset for the _0 formats) and
 * multiplied with the 32 activation quants by maddubs/madd into 8 exact int32
 * partial sums. Those are converted to f32 and accumulated with one FMA by
 * dw*da into 8 float lanes; the min term mw*sa of q4_1/q5_1 goes into a
 * scalar. y = hsum(lanes) + min term.
 *
 * Rows are independent and each is computed by the same sequence of
 * operations, so results do not depend on how rows are split across calls.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "blocks.h"
#include "gqcrt.h"
#include "rt_libc.h"

/* ---- weight block -> 8 int32 partial dot products with activation quants a */

INLINE_AVX2 __m256i dot_q8_0(const blk_q8_0 *b, __m256i a) {
  return avx2_dot_s8s8(avx2_loadu(b->qs), a);
}

INLINE_AVX2 __m256i dot_q4_0(const blk_q4_0 *b, __m256i a) {
  const __m256i q = _mm256_sub_epi8(avx2_nibbles_32(b->qs), _mm256_set1_epi8(8));
  return avx2_dot_s8s8(q, a);
}

INLINE_AVX2 __m256i fifth_bits(const uint8_t qh[4]) {
  uint32_t bits;
  memcpy(&bits, qh, 4);
  return _mm256_and_si256(avx2_bits_to_bytes(bits), _mm256_set1_epi8(0x10));
}

INLINE_AVX2 __m256i dot_q5_0(const blk_q5_0 *b, __m256i a) {
  const __m256i u = _mm256_or_si256(avx2_nibbles_32(b->qs), fifth_bits(b->qh));
  return avx2_dot_s8s8(_mm256_sub_epi8(u, _mm256_set1_epi8(16)), a);
}

INLINE_AVX2 __m256i dot_q4_1(const blk_q4_1 *b, __m256i a) {
  return avx2_dot_u8s8(avx2_nibbles_32(b->qs), a);
}

INLINE_AVX2 __m256i dot_q5_1(const blk_q5_1 *b, __m256i a) {
  return avx2_dot_u8s8(_mm256_or_si256(avx2_nibbles_32(b->qs), fifth_bits(b->qh)), a);
}

/* ---- one row -----------------------------------------------------------------
 * One 8-lane accumulator, blocks in order, then the horizontal sum: the same
 * float operations as llama.cpp's x86 AVX2 vec_dot for these formats, so a
 * row's result matches that build bit for bit (given the same activation
 * quants). Rows are processed one at a time: interleaving several rows was
 * measured to defeat the hardware prefetcher on DRAM-sized matrices (4 GB/s
 * instead of 17 for the 640 x 262144 logits matrix). */

#define DEFINE_ROW(name, wblk, ablk, DOT)                                                          \
  INLINE_AVX2 float name(const wblk *w, const ablk *a, int32_t nb) {                               \
    __m256 acc = _mm256_setzero_ps();                                                              \
    for (int32_t i = 0; i < nb; ++i) {                                                             \
      const __m256 d = _mm256_set1_ps(avx2_h2f(w[i].d) * avx2_h2f(a[i].d));                        \
      acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DOT(&w[i], avx2_loadu(a[i].qs))), acc);          \
    }                                                                                              \
    return avx2_hsum_ps(acc);                                                                      \
  }

/* q4_1/q5_1: plus sum of mw * sa in a scalar, added at the end. */
#define DEFINE_ROW_WITH_MIN(name, wblk, DOT)                                                       \
  DEFINE_ROW(name##_scaled, wblk, blk_q8_1, DOT)                                                   \
  INLINE_AVX2 float name(const wblk *w, const blk_q8_1 *a, int32_t nb) {                           \
    float mins = 0.0f;                                                                             \
    for (int32_t i = 0; i < nb; ++i)                                                               \
      mins += avx2_h2f(w[i].m) * avx2_h2f(a[i].s);                                                 \
    return name##_scaled(w, a, nb) + mins;                                                         \
  }

DEFINE_ROW(row_q4_0, blk_q4_0, blk_q8_0, dot_q4_0)
DEFINE_ROW(row_q5_0, blk_q5_0, blk_q8_0, dot_q5_0)
DEFINE_ROW(row_q8_0, blk_q8_0, blk_q8_0, dot_q8_0)
DEFINE_ROW_WITH_MIN(row_q4_1, blk_q4_1, dot_q4_1)
DEFINE_ROW_WITH_MIN(row_q5_1, blk_q5_1, dot_q5_1)

#define DEFINE_LINEAR(enc, wblk)                                                                   \
  GQCRT_AVX2 void gqcrt_linear_##enc##_avx2(float *y, const void *w, const void *x, int32_t n_in,  \
                                            int32_t n_out) {                                       \
    const int32_t nb = n_in / GQCRT_QK;                                                            \
    for (int32_t r = 0; r < n_out; ++r)                                                            \
      y[r] = row_##enc((const wblk *)w + (size_t)r * (size_t)nb, x, nb);                           \
  }

DEFINE_LINEAR(q4_0, blk_q4_0)
DEFINE_LINEAR(q4_1, blk_q4_1)
DEFINE_LINEAR(q5_0, blk_q5_0)
DEFINE_LINEAR(q5_1, blk_q5_1)
DEFINE_LINEAR(q8_0, blk_q8_0)
