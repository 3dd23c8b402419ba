/* silu.h — SiLU, y = x / (1 + exp(-x)), with exp(-x) built from a fixed
 * sequence of f32 operations, so that the portable loop, its NEON form
 * (elementwise.c) and gqcrt_silu_avx2 (x86/elementwise_avx2.c) give the same
 * bits, and an x86-64 build and an AArch64 build of a model compute the
 * same activations. (The C library's expf differs between libms, and
 * costs 25-35 instructions per element on AArch64; the vector forms below
 * about 10 on NEON.)
 *
 * exp(v), v = -x, is Cephes' expf: v clamped to [SILU_EXP_LO, SILU_EXP_HI]
 * (outside, exp is 0 or +inf: y = x or -0); n = v log2(e) rounded to the
 * nearest integer by adding and subtracting 1.5 * 2^23 (ties to even, as
 * every IEEE f32 unit does it); r = v - n C1 - n C2 (C1 has nine significant
 * bits, so n C1 is exact); exp(r) = ((((P0 r + P1) r + P2) r + P3) r + P4)
 * r + P5) r^2 + (r + 1); times 2^n in two halves, 2^floor(n/2) then
 * 2^(n - floor(n/2)), so 2^128 never forms. Every step is one rounded f32
 * addition or multiplication (no FMA: the runtime builds with
 * -ffp-contract=off and the vector forms use separate instructions), in this
 * order. About one ulp against exp for normal results; SiLU's relative error
 * stays below 4e-7 (tests/unit/test_rt_ops.c). Defined for finite x; a NaN
 * gives no particular value.
 *
 * llama.cpp's SiLU also uses a polynomial exp of its own on AVX2 and NEON;
 * the parity tests bound the difference.
 */
#ifndef GQCRT_SILU_H
#define GQCRT_SILU_H

#include <stdint.h>

#include "rt_libc.h"

#define SILU_EXP_LO (-87.33654f) /* exp below is under 2^-126 */
#define SILU_EXP_HI 88.72283f    /* exp above overflows */
#define SILU_LOG2E 1.44269504088896341f
#define SILU_ROUND 12582912.0f /* 1.5 * 2^23 */
#define SILU_C1 0.693359375f
#define SILU_C2 (-2.12194440e-4f)
#define SILU_P0 1.9875691500e-4f
#define SILU_P1 1.3981999507e-3f
#define SILU_P2 8.3334519073e-3f
#define SILU_P3 4.1665795894e-2f
#define SILU_P4 1.6666665459e-1f
#define SILU_P5 5.0000001201e-1f

/* The f32 with exponent field e (1..254) and zero mantissa: 2^(e - 127). */
static inline float silu_pow2_bits(int32_t e) {
  const uint32_t bits = (uint32_t)e << 23;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static inline float gqcrt_silu_value(float x) {
  float v = -x;
  if (v < SILU_EXP_LO)
    return x; /* x / (1 + 0) */
  if (v > SILU_EXP_HI)
    return x / __builtin_inff(); /* -0 */
  const float n = (v * SILU_LOG2E + SILU_ROUND) - SILU_ROUND;
  float r = v - n * SILU_C1;
  r = r - n * SILU_C2;
  float p = SILU_P0;
  p = p * r + SILU_P1;
  p = p * r + SILU_P2;
  p = p * r + SILU_P3;
  p = p * r + SILU_P4;
  p = p * r + SILU_P5;
  float e = p * (r * r) + (r + 1.0f);
  /* n in [-126, 128]; floor(n / 2) by a shift of a non-negative value */
  const int32_t ni = (int32_t)n, h = ((ni + 256) >> 1) - 128;
  e = e * silu_pow2_bits(h + 127);
  e = e * silu_pow2_bits(ni - h + 127);
  return x / (1.0f + e);
}

#endif
