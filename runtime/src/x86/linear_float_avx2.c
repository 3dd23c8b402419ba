/* linear_float_avx2.c — AVX2/FMA matrix-vector kernels for f32, f16 and bf16
 * weights (the `_avx2` variants of linear_float.c).
 *
 * Each row follows llama.cpp's x86 AVX2 vec_dot for the type operation for
 * operation, so results match that build bit for bit (checked against ggml):
 *  - four 8-lane f32 accumulators take 32 elements per step with FMA (f16
 *    widened with F16C, bf16 by a 16-bit shift; f16*f16 and bf16*bf16
 *    products are exact in f32);
 *  - the accumulators are reduced (acc0+acc2)+(acc1+acc3) and then across
 *    lanes: with two hadds for f32/f16 (ggml's GGML_F32x8_REDUCE), with the
 *    movehl/movehdup sequence for bf16;
 *  - the last n_in % 32 elements are added one by one: f32 into the f32 sum
 *    with a fused multiply-add (ggml's contracted `sumf += x*y`), f16 and
 *    bf16 as f32 products into a double sum. (For f32 the compiler of a
 *    given ggml build may vectorise that tail differently, so f32 rows whose
 *    length is not a multiple of 32 can differ from it in the last bit; model
 *    dimensions are multiples of 32.)
 * The order depends only on n_in, so a row's result does not depend on how
 * rows are split across calls.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "fp16.h"
#include "gqcrt.h"

GQCRT_AVX2 static inline __m256 load_bf16x8(const uint16_t *p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

GQCRT_AVX2 static inline __m256 load_f16x8(const uint16_t *p) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

/* ggml's GGML_F32x8_REDUCE of four accumulators. */
GQCRT_AVX2 static inline float reduce4_hadd(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 t1 = _mm_hadd_ps(t0, t0);
  return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}

/* Four FMA accumulators over the first n_in & ~31 elements; LOAD widens 8. */
#define GQCRT_FOUR_ACC_LOOP(LOAD, row, a, np, acc0, acc1, acc2, acc3)                              \
  for (int32_t k = 0; k < (np); k += 32) {                                                         \
    acc0 = _mm256_fmadd_ps(LOAD((row) + k), LOAD((a) + k), acc0);                                  \
    acc1 = _mm256_fmadd_ps(LOAD((row) + k + 8), LOAD((a) + k + 8), acc1);                          \
    acc2 = _mm256_fmadd_ps(LOAD((row) + k + 16), LOAD((a) + k + 16), acc2);                        \
    acc3 = _mm256_fmadd_ps(LOAD((row) + k + 24), LOAD((a) + k + 24), acc3);                        \
  }

GQCRT_AVX2 void gqcrt_linear_f32_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                      int32_t n_out) {
  const float *a = x;
  const int32_t np = n_in & ~31;
  for (int32_t r = 0; r < n_out; ++r) {
    const float *row = (const float *)w + (size_t)r * (size_t)n_in;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    GQCRT_FOUR_ACC_LOOP(_mm256_loadu_ps, row, a, np, acc0, acc1, acc2, acc3)
    __m128 sum = _mm_set_ss(reduce4_hadd(acc0, acc1, acc2, acc3));
    for (int32_t k = np; k < n_in; ++k)
      sum = _mm_fmadd_ss(_mm_set_ss(row[k]), _mm_set_ss(a[k]), sum);
    y[r] = _mm_cvtss_f32(sum);
  }
}

GQCRT_AVX2 void gqcrt_linear_f16_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                      int32_t n_out) {
  const uint16_t *a = x;
  const int32_t np = n_in & ~31;
  for (int32_t r = 0; r < n_out; ++r) {
    const uint16_t *row = (const uint16_t *)w + (size_t)r * (size_t)n_in;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    GQCRT_FOUR_ACC_LOOP(load_f16x8, row, a, np, acc0, acc1, acc2, acc3)
    double sum = reduce4_hadd(acc0, acc1, acc2, acc3);
    for (int32_t k = np; k < n_in; ++k)
      sum += (double)(avx2_h2f(row[k]) * avx2_h2f(a[k]));
    y[r] = (float)sum;
  }
}

GQCRT_AVX2 void gqcrt_linear_bf16_avx2(float *y, const void *w, const void *x, int32_t n_in,
                                       int32_t n_out) {
  const uint16_t *a = x;
  const int32_t np = n_in & ~31;
  for (int32_t r = 0; r < n_out; ++r) {
    const uint16_t *row = (const uint16_t *)w + (size_t)r * (size_t)n_in;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    GQCRT_FOUR_ACC_LOOP(load_bf16x8, row, a, np, acc0, acc1, acc2, acc3)
    double sum = avx2_hsum_ps(_mm256_add_ps(_mm256_add_ps(acc0, acc2), _mm256_add_ps(acc1, acc3)));
    for (int32_t k = np; k < n_in; ++k)
      sum += (double)(gqcrt_bf2f(row[k]) * gqcrt_bf2f(a[k]));
    y[r] = (float)sum;
  }
}
