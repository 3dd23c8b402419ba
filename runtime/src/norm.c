/* norm.c — RMSNorm and LayerNorm as llama.cpp's CPU computes them
 * (archspec §4.2; ggml_rms_norm, ggml_norm).
 *
 * Per group of `group` elements: each square is an f32 product accumulated in
 * double; the mean (double sum / group) is rounded to f32; scale =
 * 1/sqrtf(mean + eps) in f32; y = (x * scale) * w, two f32 multiplies. The
 * sum is taken before anything is written, so y may alias x.
 *
 * On AArch64 the squares and the scaling are NEON multiplies; the double sum
 * still adds the squares one by one in element order, so the result is the
 * portable loop's to the bit.
 *
 * LayerNorm, per group: mean = (float)(double sum of x) / group in f32; the
 * deviations d = x - mean in f32; variance = (float)(double sum of d*d /
 * group); y = d * (1/sqrtf(variance + eps)), then * w, then + b, each an f32
 * operation of its own (ggml_norm followed by ggml_mul and ggml_add). ggml's
 * SIMD builds add 8 or 16 squares in f32 before each double addition; here
 * every square is added on its own, which differs from that by f32 rounding
 * of the variance only.
 */
#include "gqcrt.h"
#include "rt_libc.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/* sum of (double)(x[i] * x[i]) for i < n, in order. */
static double sum_squares(const float *x, int32_t n) {
  double sum = 0.0;
  int32_t i = 0;
#if defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    const float32x4_t sq = vmulq_f32(v, v);
    const float64x2_t lo = vcvt_f64_f32(vget_low_f32(sq)), hi = vcvt_high_f64_f32(sq);
    sum += vgetq_lane_f64(lo, 0);
    sum += vgetq_lane_f64(lo, 1);
    sum += vgetq_lane_f64(hi, 0);
    sum += vgetq_lane_f64(hi, 1);
  }
#endif
  for (; i < n; ++i)
    sum += (double)(x[i] * x[i]);
  return sum;
}

/* y = (x * scale) * w, two f32 multiplies per element. */
static void scale_by(float *y, const float *x, float scale, const float *w, int32_t n) {
  int32_t i = 0;
#if defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4)
    vst1q_f32(y + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i)));
#endif
  for (; i < n; ++i)
    y[i] = (x[i] * scale) * w[i];
}

void gqcrt_rms_norm(float *y, const float *x, const float *w, int32_t n, int32_t group, float eps) {
  if (group <= 0)
    return;
  for (int32_t g0 = 0; g0 + group <= n; g0 += group) {
    const float mean = (float)(sum_squares(x + g0, group) / group);
    const float scale = 1.0f / sqrtf(mean + eps);
    scale_by(y + g0, x + g0, scale, w, group);
  }
}

void gqcrt_layer_norm(float *y, const float *x, const float *w, const float *b, int32_t n,
                      int32_t group, float eps) {
  if (group <= 0)
    return;
  for (int32_t g0 = 0; g0 + group <= n; g0 += group) {
    const float *xg = x + g0;
    float *yg = y + g0;
    double sum = 0.0;
    for (int32_t i = 0; i < group; ++i)
      sum += (double)xg[i];
    const float mean = (float)sum / (float)group;
    double sq = 0.0;
    for (int32_t i = 0; i < group; ++i) {
      const float d = xg[i] - mean;
      yg[i] = d;
      sq += (double)(d * d);
    }
    const float variance = (float)(sq / group);
    const float scale = 1.0f / sqrtf(variance + eps);
    for (int32_t i = 0; i < group; ++i)
      yg[i] *= scale;
    if (w)
      for (int32_t i = 0; i < group; ++i)
        yg[i] *= w[i];
    if (b)
      for (int32_t i = 0; i < group; ++i)
        yg[i] += b[i];
  }
}
