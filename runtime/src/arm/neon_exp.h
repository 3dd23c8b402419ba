/* neon_exp.h — exp(x) on four floats at once, for softmax-like loops.
 *
 * Cephes' expf (the classic range reduction and polynomial, accurate to
 * about one ulp for normal results): n = round(x * log2(e)); r = x - n * ln2
 * with ln2 split in two parts so the reduction is exact enough; exp(r) as
 * 1 + r + r^2 * P(r) with P of degree 5; then * 2^n built in the exponent
 * bits. Inputs below -87.33 (where the result would leave the normal range)
 * give 0, above 88.72 +inf (NaN inputs give no particular value). About a dozen instructions for
 * four values, where a libm call costs some twenty-five for one.
 *
 * The results are not bit-identical to a libm's expf (they differ in the
 * last bit now and then); callers that must match the portable kernels bit
 * for bit do not use it.
 */
#ifndef GQCRT_ARM_NEON_EXP_H
#define GQCRT_ARM_NEON_EXP_H

#include <arm_neon.h>

static inline __attribute__((always_inline)) float32x4_t neon_exp(float32x4_t x) {
  const float32x4_t lo = vdupq_n_f32(-87.33654f), hi = vdupq_n_f32(88.72283f);
  const uint32x4_t under = vcltq_f32(x, lo), over = vcgtq_f32(x, hi);
  x = vminq_f32(vmaxq_f32(x, lo), hi); /* (NaN stays NaN through FMIN/FMAX) */
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r));
  /* 2^n: n in [-126, 128]; at 128 split the scale in two halves */
  const int32x4_t ni = vcvtq_s32_f32(n);
  const int32x4_t h = vshrq_n_s32(ni, 1);
  const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(h, vdupq_n_s32(127)), 23));
  const float32x4_t s2 =
      vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vsubq_s32(ni, h), vdupq_n_s32(127)), 23));
  float32x4_t y = vmulq_f32(vmulq_f32(p, s1), s2);
  y = vbslq_f32(under, vdupq_n_f32(0.0f), y);
  return vbslq_f32(over, vdupq_n_f32(__builtin_inff()), y);
}

#endif
