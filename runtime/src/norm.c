/* norm.c — RMSNorm as llama.cpp's CPU computes it (archspec §4.2).
 *
 * Per group of `group` elements: each square is an f32 product accumulated in
 * double; the mean (double sum / group) is rounded to f32; scale =
 * 1/sqrtf(mean + eps) in f32; y = (x * scale) * w, two f32 multiplies. The
 * sum is taken before anything is written, so y may alias x.
 */
#include "gqcrt.h"
#include "rt_libc.h"

void gqcrt_rms_norm(float *y, const float *x, const float *w, int32_t n, int32_t group, float eps) {
  if (group <= 0)
    return;
  for (int32_t g0 = 0; g0 + group <= n; g0 += group) {
    double sum = 0.0;
    for (int32_t i = 0; i < group; ++i)
      sum += (double)(x[g0 + i] * x[g0 + i]);
    const float mean = (float)(sum / group);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int32_t i = 0; i < group; ++i)
      y[g0 + i] = (x[g0 + i] * scale) * w[i];
  }
}
