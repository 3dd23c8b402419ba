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
 * portable implementation; its loops are simple enough to auto-vectorise.
 */
#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

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
  for (int32_t i = 0; i < n; ++i)
    h[i] = gqcrt_f2h(x[i]);
}

void gqcrt_quantize_bf16(void *dst, const float *x, int32_t n) {
  uint16_t *h = dst;
  for (int32_t i = 0; i < n; ++i)
    h[i] = gqcrt_f2bf(x[i]);
}

/* One 32-element block by the x86 rule; returns sum(q) and the f32 d. */
static int32_t quantize_block_q8(int8_t q[32], float *d_out, const float *x) {
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
    for (int j = 0; j < GQCRT_QK_K; ++j) {
      const float ax = abs_f32(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      b->d = 0.0f;
      memset(b->qs, 0, sizeof b->qs);
      memset(b->bsums, 0, sizeof b->bsums);
      continue;
    }
    const float iscale = -127.0f / max;
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
    b->d = 1.0f / iscale;
  }
}
