/* elementwise.c — the f32 element-wise ops of the forward pass: add, mul,
 * scale, copy, SiLU, tanh-GELU, softcap and softmax, with llama.cpp's CPU
 * numerics (archspec §8.4, §4.7). Outputs may alias inputs exactly (y == x).
 *
 * GELU: llama.cpp looks the activation up in a 65536-entry f16 table; so do
 * we (gelu.h: the table is generated source, checked entry by entry against
 * the on-the-fly computation by tests/unit/test_rt_gelu.c).
 *
 * Softmax: max subtraction, expf, the sum accumulated in double, then every
 * element multiplied by the f32 value of 1/sum (ggml's soft_max).
 */
#include "fp16.h"
#include "gelu.h"
#include "gqcrt.h"
#include "rt_libc.h"
#include "silu.h"
#include "softmax.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#endif

void gqcrt_add(float *y, const float *a, const float *b, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = a[i] + b[i];
}

void gqcrt_mul(float *y, const float *a, const float *b, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = a[i] * b[i];
}

void gqcrt_scale(float *y, const float *x, float s, int32_t n) {
  for (int32_t i = 0; i < n; ++i)
    y[i] = x[i] * s;
}

void gqcrt_copy(float *y, const float *x, int32_t n) {
  if (y != x && n > 0)
    memcpy(y, x, (size_t)n * sizeof(float));
}

/* SiLU (silu.h); on AArch64 four at a time, the same operations in the same
 * order, the out-of-range lanes selected in. */
void gqcrt_silu(float *y, const float *x, int32_t n) {
  int32_t i = 0;
#if defined(__ARM_NEON)
  const float32x4_t lo = vdupq_n_f32(SILU_EXP_LO), hi = vdupq_n_f32(SILU_EXP_HI);
  const float32x4_t round = vdupq_n_f32(SILU_ROUND), one = vdupq_n_f32(1.0f);
  const int32x4_t bias = vdupq_n_s32(127);
  for (; i + 4 <= n; i += 4) {
    const float32x4_t xv = vld1q_f32(x + i), v = vnegq_f32(xv);
    const uint32x4_t under = vcltq_f32(v, lo), over = vcgtq_f32(v, hi);
    const float32x4_t vc = vminq_f32(vmaxq_f32(v, lo), hi);
    const float32x4_t nf = vsubq_f32(vaddq_f32(vmulq_n_f32(vc, SILU_LOG2E), round), round);
    float32x4_t r = vsubq_f32(vc, vmulq_n_f32(nf, SILU_C1));
    r = vsubq_f32(r, vmulq_n_f32(nf, SILU_C2));
    float32x4_t p = vdupq_n_f32(SILU_P0);
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(SILU_P1));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(SILU_P2));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(SILU_P3));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(SILU_P4));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(SILU_P5));
    float32x4_t e = vaddq_f32(vmulq_f32(p, vmulq_f32(r, r)), vaddq_f32(r, one));
    const int32x4_t ni = vcvtq_s32_f32(nf), h = vshrq_n_s32(ni, 1);
    e = vmulq_f32(e, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h, bias), 23)));
    e = vmulq_f32(e, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, h), bias), 23)));
    e = vbslq_f32(under, vdupq_n_f32(0.0f), e);
    e = vbslq_f32(over, vdupq_n_f32(__builtin_inff()), e);
    vst1q_f32(y + i, vdivq_f32(xv, vaddq_f32(one, e)));
  }
#endif
  for (; i < n; ++i)
    y[i] = gqcrt_silu_value(x[i]);
}

/* GELU through the f16 table llama.cpp uses (gelu.h): the same values,
 * precomputed at build time instead of at start-up. On AArch64 four at a
 * time: FCVT to f16 (gqcrt_f2h's rounding), four table loads, FCVT back, and
 * the |x| >= 10 cases selected in. */
void gqcrt_gelu_tanh(float *y, const float *x, int32_t n) {
  int32_t i = 0;
#if defined(__ARM_NEON)
  const float32x4_t lo = vdupq_n_f32(-10.0f), hi = vdupq_n_f32(10.0f);
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    /* clamped into the table's range first, so every index is a lookup of
     * some finite entry; the selects below overwrite the clamped lanes */
    const uint16x4_t h = vreinterpret_u16_f16(vcvt_f16_f32(vminq_f32(vmaxq_f32(v, lo), hi)));
    uint16x4_t g = vdup_n_u16(0);
    g = vset_lane_u16(gqcrt_gelu_f16_table[vget_lane_u16(h, 0)], g, 0);
    g = vset_lane_u16(gqcrt_gelu_f16_table[vget_lane_u16(h, 1)], g, 1);
    g = vset_lane_u16(gqcrt_gelu_f16_table[vget_lane_u16(h, 2)], g, 2);
    g = vset_lane_u16(gqcrt_gelu_f16_table[vget_lane_u16(h, 3)], g, 3);
    float32x4_t r = vcvt_f32_f16(vreinterpret_f16_u16(g));
    r = vbslq_f32(vcleq_f32(v, lo), vdupq_n_f32(0.0f), r);
    r = vbslq_f32(vcgeq_f32(v, hi), v, r);
    vst1q_f32(y + i, r);
  }
#endif
  for (; i < n; ++i) {
    const float v = x[i];
    if (v <= -10.0f)
      y[i] = 0.0f;
    else if (v >= 10.0f)
      y[i] = v;
    else
      y[i] = gqcrt_h2f(gqcrt_gelu_f16_table[gqcrt_f2h(v)]);
  }
}

void gqcrt_softcap(float *y, const float *x, float cap, int32_t n) {
  const float inv = 1.0f / cap;
  for (int32_t i = 0; i < n; ++i)
    y[i] = tanhf(x[i] * inv) * cap;
}

void gqcrt_softmax(float *y, const float *x, int32_t n) {
  if (n <= 0)
    return;
  float max = x[0];
  for (int32_t i = 1; i < n; ++i)
    max = x[i] > max ? x[i] : max;
  gqcrt_softmax_from_max(y, x, n, max);
}

void gqcrt_softmax_from_max(float *y, const float *x, int32_t n, float max) {
  double sum = 0.0;
  for (int32_t i = 0; i < n; ++i) {
    const float e = expf(x[i] - max);
    y[i] = e;
    sum += (double)e;
  }
  const float inv = (float)(1.0 / sum);
  for (int32_t i = 0; i < n; ++i)
    y[i] *= inv;
}
