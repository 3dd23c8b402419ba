/* gemm_float_avx2.c — AVX2/FMA gemm kernels (batched prefill) for float
 * weights: gqcrt_gemm_f32_avx2, gqcrt_gemm_f16_avx2, gqcrt_gemm_bf16_avx2.
 *
 * What must not change
 *
 * Each output must be bit for bit what the matrix-vector kernel
 * (linear_float_avx2.c, which follows llama.cpp's AVX2 vec_dot) gives for
 * its activation row: four 8-lane FMA accumulators over 32-element steps
 * (accumulator j takes elements k + 8j .. k + 8j + 7), reduced as
 * (acc0 + acc2) + (acc1 + acc3) and then across lanes (two HADDs for f32 and
 * f16, the movehl/movehdup sequence for bf16), then the last n_in % 32
 * products one by one: f32 by scalar FMA into the f32 sum, f16 and bf16 as
 * f32 products into a double sum. The same instructions on the same values,
 * for every (weight row, activation row), is what this file does.
 *
 * What is shared
 *
 * One weight row against TILE = 3 activation rows: 12 accumulators, so with
 * AVX2's 16 registers the weight vector (widened once, f16 and bf16) is
 * shared by the three rows and the activation comes from memory as the FMA
 * operand (f32) or is widened into the one register left. Per weight
 * element and token what is left is the FMA (and the activation widening
 * for f16/bf16). Weight rows are walked in chunks that stay in the L1 cache
 * while all activation tiles pass over them.
 */
#include <stddef.h>

#include "avx2_helpers.h"
#include "fp16.h"
#include "gemm_common.h"
#include "gqcrt.h"

/* Activation rows per tile; weight rows are walked in chunks of about
 * CHUNK_BYTES, every activation tile passing over a chunk, so that a chunk
 * and a tile are in the L1 cache together. */
enum { TILE = 3, CHUNK_BYTES = 16384 };

enum float_fmt { FMT_F32, FMT_F16, FMT_BF16 };

/* Elements p[0..8) widened to f32. */
INLINE_AVX2 __m256 load8(enum float_fmt f, const void *p) {
  if (f == FMT_F32)
    return _mm256_loadu_ps(p);
  if (f == FMT_F16)
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* ggml's GGML_F32x8_REDUCE of four accumulators (as linear_float_avx2.c). */
INLINE_AVX2 float reduce4_hadd(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  const __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));
  const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  const __m128 t1 = _mm_hadd_ps(t0, t0);
  return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}

/* The matrix-vector kernel's result from its accumulators and the tail. */
INLINE_AVX2 float finish(enum float_fmt f, const __m256 acc[4], const void *wrow, const void *xrow,
                         int32_t np, int32_t n_in) {
  if (f == FMT_F32) {
    const float *w = wrow, *x = xrow;
    __m128 sum = _mm_set_ss(reduce4_hadd(acc[0], acc[1], acc[2], acc[3]));
    for (int32_t k = np; k < n_in; ++k)
      sum = _mm_fmadd_ss(_mm_set_ss(w[k]), _mm_set_ss(x[k]), sum);
    return _mm_cvtss_f32(sum);
  }
  const uint16_t *w = wrow, *x = xrow;
  if (f == FMT_F16) {
    double sum = reduce4_hadd(acc[0], acc[1], acc[2], acc[3]);
    for (int32_t k = np; k < n_in; ++k)
      sum += (double)(avx2_h2f(w[k]) * avx2_h2f(x[k]));
    return (float)sum;
  }
  double sum =
      avx2_hsum_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3])));
  for (int32_t k = np; k < n_in; ++k)
    sum += (double)(gqcrt_bf2f(w[k]) * gqcrt_bf2f(x[k]));
  return (float)sum;
}

/* Weight row w against R activation rows x + r * x_row; results to
 * y[r * y_stride]. */
INLINE_AVX2 void row_tile(enum float_fmt f, int R, float *y, size_t y_stride, const uint8_t *w,
                          const uint8_t *x, size_t x_row, int32_t n_in) {
  const size_t E = f == FMT_F32 ? 4 : 2;
  const int32_t np = n_in & ~31;
  __m256 acc[TILE][4];
#pragma GCC unroll 3
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
      acc[r][j] = _mm256_setzero_ps();
  for (int32_t k = 0; k < np; k += 32) {
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const size_t o = (size_t)(k + 8 * j) * E;
      const __m256 wv = load8(f, w + o);
#pragma GCC unroll 3
      for (int r = 0; r < R; ++r)
        acc[r][j] = _mm256_fmadd_ps(wv, load8(f, x + (size_t)r * x_row + o), acc[r][j]);
    }
  }
#pragma GCC unroll 3
  for (int r = 0; r < R; ++r)
    y[(size_t)r * y_stride] = finish(f, acc[r], w, x + (size_t)r * x_row, np, n_in);
}

INLINE_AVX2 void gemm_float(enum float_fmt f, float *y, int32_t y_stride, const void *w,
                            const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const size_t row = (size_t)n_in * (f == FMT_F32 ? 4 : 2);
  int32_t chunk = (int32_t)(CHUNK_BYTES / (row ? row : 1));
  chunk = chunk < 1 ? 1 : chunk;
  for (int32_t o0 = 0; o0 < n_out; o0 += chunk) {
    const int32_t o1 = n_out - o0 < chunk ? n_out : o0 + chunk;
    for (int32_t r = 0, R; r < n_rows; r += R) {
      R = gqcrt_gemm_next_tile(n_rows - r, TILE);
      const uint8_t *xt = (const uint8_t *)x + (size_t)r * row;
      for (int32_t o = o0; o < o1; ++o) {
        const uint8_t *wr = (const uint8_t *)w + (size_t)o * row;
        float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
        if (R == 3)
          row_tile(f, 3, yt, (size_t)y_stride, wr, xt, row, n_in);
        else if (R == 2)
          row_tile(f, 2, yt, (size_t)y_stride, wr, xt, row, n_in);
        else
          row_tile(f, 1, yt, (size_t)y_stride, wr, xt, row, n_in);
      }
    }
  }
}

GQCRT_DEFINE_GEMM(f32, avx2, GQCRT_AVX2, gemm_float, FMT_F32)
GQCRT_DEFINE_GEMM(f16, avx2, GQCRT_AVX2, gemm_float, FMT_F16)
GQCRT_DEFINE_GEMM(bf16, avx2, GQCRT_AVX2, gemm_float, FMT_BF16)
