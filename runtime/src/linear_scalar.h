/* linear_scalar.h — the one row loop of the portable linear kernels.
 *
 * GQCRT_SCALAR_LINEAR(wenc, aenc, qk) defines gqcrt_linear_<wenc>_scalar
 * around the encoding's block function
 *     static float block_dot_<wenc>(const blk_<wenc> *b, const blk_<aenc> *a)
 * (one weight block against one activation block): each output row is the
 * f32 sum of its block results in block order, as ggml's generic code adds
 * them. linear_legacy.c and linear_kquants.c hold only the block math.
 */
#ifndef GQCRT_LINEAR_SCALAR_H
#define GQCRT_LINEAR_SCALAR_H

#include "blocks.h"

#define GQCRT_SCALAR_LINEAR(wenc, aenc, qk)                                                        \
  void gqcrt_linear_##wenc##_scalar(float *y, const void *w, const void *x, int32_t n_in,          \
                                    int32_t n_out) {                                               \
    const int32_t nb = n_in / (qk);                                                                \
    const blk_##aenc *a = x;                                                                       \
    for (int32_t r = 0; r < n_out; ++r) {                                                          \
      const blk_##wenc *b = (const blk_##wenc *)w + (size_t)r * (size_t)nb;                        \
      float sum = 0.0f;                                                                            \
      for (int32_t i = 0; i < nb; ++i)                                                             \
        sum += block_dot_##wenc(&b[i], &a[i]);                                                     \
      y[r] = sum;                                                                                  \
    }                                                                                              \
  }

#endif
