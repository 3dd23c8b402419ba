/* fp16.h — inline f16/bf16 <-> f32 conversions shared by the runtime kernels.
 *
 * Pure integer bit manipulation, so the results are identical on every target
 * and need no hardware half-precision support:
 *  - widening (f16 -> f32, bf16 -> f32) is exact, subnormals included;
 *  - narrowing rounds to nearest, ties to even. f32 -> f16 overflows to +-inf
 *    (|x| >= 65520), underflows through the f16 subnormals to +-0, and turns a
 *    NaN into a quiet NaN keeping the sign and the top payload bits (what x86
 *    F16C and AArch64 FCVT do). f32 -> bf16 is ggml's rule: add 0x7FFF plus the
 *    lowest kept bit and truncate; NaN gets its quiet bit forced.
 * The public gqcrt_fp16_to_fp32() & co. in fp16.c wrap these.
 */
#ifndef GQCRT_FP16_H
#define GQCRT_FP16_H

#include <stdint.h>

#include "rt_libc.h"

static inline uint32_t gqcrt_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float gqcrt_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline float gqcrt_h2f(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t man = h & 0x3FFu;
  if (exp == 0x1F) /* inf or NaN: keep the payload */
    return gqcrt_bits_f32(sign | 0x7F800000u | (man << 13));
  if (exp == 0) { /* zero or subnormal: man * 2^-24, exact in f32 */
    const float mag = (float)man * 0x1p-24f;
    return gqcrt_bits_f32(sign | gqcrt_f32_bits(mag));
  }
  return gqcrt_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

static inline uint16_t gqcrt_f2h(float f) {
  const uint32_t x = gqcrt_f32_bits(f);
  const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) /* NaN: quiet, top payload bits kept */
    return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
  if (ax >= 0x477FF000u) /* >= 65520 (halfway past 65504, ties to even): inf */
    return (uint16_t)(sign | 0x7C00u);
  if (ax >= 0x38800000u) { /* normal f16 range: round at bit 13, rebias 127 -> 15 */
    const uint32_t r = ax + 0xFFFu + ((ax >> 13) & 1u);
    return (uint16_t)(sign | ((r - 0x38000000u) >> 13));
  }
  const uint32_t e = ax >> 23;
  if (e < 102) /* below 2^-25: rounds to zero */
    return sign;
  /* subnormal f16: value / 2^-24 = mant * 2^(e-126), shift in 14..24 */
  const uint32_t mant = (ax & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = 126u - e;
  uint32_t q = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u)))
    ++q; /* may carry into the smallest normal, which is the right encoding */
  return (uint16_t)(sign | q);
}

static inline float gqcrt_bf2f(uint16_t h) {
  return gqcrt_bits_f32((uint32_t)h << 16);
}

static inline uint16_t gqcrt_f2bf(float f) {
  const uint32_t x = gqcrt_f32_bits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) /* NaN: force quiet */
    return (uint16_t)((x >> 16) | 64u);
  return (uint16_t)((x + (0x7FFFu + ((x >> 16) & 1u))) >> 16);
}

#endif
