/* quantize_activations.c — convert an f32 activation row into the encoding a
 * linear kernel consumes (llama.cpp's vec_dot_type, archspec §7.1).
 *
 *  f16, bf16  round to nearest even, element by element.
 *  q8_0       per 32 elements: amax = max|x|, d = amax/127 stored as f16,
 *             id = amax ? 127/amax : 0, q = x*id rounded half to even. This is
 *             the rule of llama.cpp's x86 AVX2 build (the one that made the
 *             reference logits); note the quants use the unrounded id while
 *             dot products use the f16-rounded d.
 *  q8_1       q8_0 plus s = f16(d * sum(q)) with the unrounded f32 d.
 *  q8_k       ggml's reference on every platform: per 256 elements take the
 *             signed value `max` of the first element with the largest |x|,
 *             iscale = -127/max, q = min(127, nearest_even(iscale*x)), an f32
 *             d = 1/iscale (negative when max > 0, which flips the quants'
 *             sign back), and bsums = sums of each 16 quants.
 * Every variant of every linear kernel reads the same bytes, so there is one
 * implementation; on AArch64 (where NEON is part of the base ISA) its block
 * loops use NEON with the same operations, so the bytes are the same:
 * maxima are exact in any order, FCVTNS rounds to nearest even like the
 * portable rule, FCVT to f16 rounds like gqcrt_f2h, and integer sums are
 * exact. Elsewhere the loops are simple enough to auto-vectorise.
 */
#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

#if defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/* Round to nearest, ties to even, for |v| < 2^22: adding 1.5*2^23 leaves the
 * rounded integer in the low mantissa bits (ggml's nearest_int). */
/* |x| by clearing the sign bit (no libm call). */
static inline float abs_f32(float x) {
  return gqcrt_bits_f32(gqcrt_f32_bits(x) & 0x7FFFFFFFu);
}

static inline int32_t round_half_even(float v) {
  const float t = v + 12582912.0f;
  return (int32_t)(gqcrt_f32_bits(t) & 0x007FFFFFu) - 0x00400000;
}

void gqcrt_quantize_f16(void *dst, const float *x, int32_t n) {
  uint16_t *h = dst;
  int32_t i = 0;
#if defined(__ARM_NEON)
  for (; i + 4 <= n; i += 4)
    vst1_u16(h + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x + i))));
#endif
  for (; i < n; ++i)
    h[i] = gqcrt_f2h(x[i]);
}

void gqcrt_quantize_bf16(void *dst, const float *x, int32_t n) {
  uint16_t *h = dst;
  for (int32_t i = 0; i < n; ++i)
    h[i] = gqcrt_f2bf(x[i]);
}

/* One 32-element block by the x86 rule; returns sum(q) and the f32 d. */
static int32_t quantize_block_q8(int8_t q[32], float *d_out, const float *x) {
#if defined(__ARM_NEON)
  float32x4_t v[8], m = vdupq_n_f32(0.0f);
  for (int j = 0; j < 8; ++j) {
    v[j] = vld1q_f32(x + 4 * j);
    m = vmaxq_f32(m, vabsq_f32(v[j]));
  }
  const float amax = vmaxvq_f32(m);
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int32x4_t sum = vdupq_n_s32(0);
  for (int j = 0; j < 8; j += 2) {
    const int32x4_t a = vcvtnq_s32_f32(vmulq_n_f32(v[j], id));
    const int32x4_t b = vcvtnq_s32_f32(vmulq_n_f32(v[j + 1], id));
    sum = vaddq_s32(sum, vaddq_s32(a, b));
    const int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
    vst1_s8(q + 4 * j, vmovn_s16(ab));
  }
  *d_out = d;
  return vaddvq_s32(sum);
#else
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) {
    const float ax = abs_f32(x[j]);
    amax = ax > amax ? ax : amax;
  }
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  int32_t sum = 0;
  for (int j = 0; j < 32; ++j) {
    const int32_t v = round_half_even(x[j] * id);
    q[j] = (int8_t)v;
    sum += v;
  }
  *d_out = d;
  return sum;
#endif
}

void gqcrt_quantize_q8_0(void *dst, const float *x, int32_t n) {
  blk_q8_0 *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, x += GQCRT_QK) {
    float d;
    quantize_block_q8(b->qs, &d, x);
    b->d = gqcrt_f2h(d);
  }
}

void gqcrt_quantize_q8_1(void *dst, const float *x, int32_t n) {
  blk_q8_1 *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, x += GQCRT_QK) {
    float d;
    const int32_t sum = quantize_block_q8(b->qs, &d, x);
    b->d = gqcrt_f2h(d);
    b->s = gqcrt_f2h(d * (float)sum);
  }
}

void gqcrt_quantize_q8_k(void *dst, const float *x, int32_t n) {
  blk_q8_k *b = dst;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, x += GQCRT_QK_K) {
    float amax = 0.0f, max = 0.0f;
#if defined(__ARM_NEON)
    /* the largest |x|, then the first element that has it */
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int j = 0; j < GQCRT_QK_K; j += 4)
      m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + j)));
    amax = vmaxvq_f32(m);
    for (int j = 0; j < GQCRT_QK_K; ++j)
      if (abs_f32(x[j]) == amax) {
        max = x[j];
        break;
      }
#else
    for (int j = 0; j < GQCRT_QK_K; ++j) {
      const float ax = abs_f32(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
#endif
    if (amax == 0.0f) {
      gqcrt_q8_k_zero(b);
      continue;
    }
    const float iscale = -127.0f / max;
#if defined(__ARM_NEON)
    for (int g = 0; g < GQCRT_QK_K / 16; ++g) {
      int16x8_t h[2];
      for (int k = 0; k < 2; ++k) {
        const float *xg = x + 16 * g + 8 * k;
        const int32x4_t a = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xg), iscale)),
                                      vdupq_n_s32(127));
        const int32x4_t c = vminq_s32(vcvtnq_s32_f32(vmulq_n_f32(vld1q_f32(xg + 4), iscale)),
                                      vdupq_n_s32(127));
        h[k] = vcombine_s16(vmovn_s32(a), vmovn_s32(c));
      }
      vst1q_s8(b->qs + 16 * g, vcombine_s8(vmovn_s16(h[0]), vmovn_s16(h[1])));
      b->bsums[g] = (int16_t)vaddvq_s16(vaddq_s16(h[0], h[1]));
    }
#else
    for (int j = 0; j < GQCRT_QK_K; ++j) {
      const int32_t v = round_half_even(iscale * x[j]);
      b->qs[j] = (int8_t)(v < 127 ? v : 127);
    }
    for (int g = 0; g < GQCRT_QK_K / 16; ++g) {
      int32_t s = 0;
      for (int l = 0; l < 16; ++l)
        s += b->qs[16 * g + l];
      b->bsums[g] = (int16_t)s;
    }
#endif
    b->d = 1.0f / iscale;
  }
}
