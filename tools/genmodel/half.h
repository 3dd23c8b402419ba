/* half.h — IEEE binary16 and bfloat16 conversions (round to nearest even),
 * shared by the reference quantisers and dequantisers of the generator. */
#ifndef GQC_GENMODEL_HALF_H
#define GQC_GENMODEL_HALF_H

#include <stdint.h>
#include <string.h>

static inline uint32_t qref_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static inline float qref_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* f32 -> f16, round to nearest even; overflow to inf, NaN stays a (quiet) NaN. */
static inline uint16_t qref_f32_to_f16(float f) {
  uint32_t x = qref_f32_bits(f);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  uint32_t exp = (x >> 23) & 0xff, man = x & 0x7fffff;
  if (exp == 0xff) /* inf or NaN */
    return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 31)
    return (uint16_t)(sign | 0x7c00);
  if (e <= 0) { /* subnormal or zero */
    if (e < -10)
      return sign;
    man |= 0x800000;
    int shift = 14 - e; /* 14..24 */
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    half++; /* may carry into the exponent, up to inf: correct */
  return (uint16_t)(sign | half);
}

static inline float qref_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0x1f)
    return qref_bits_f32(sign | 0x7f800000 | (man << 13));
  if (exp == 0) {
    if (man == 0)
      return qref_bits_f32(sign);
    float v = (float)man * (1.0f / 16777216.0f); /* man * 2^-24 */
    return sign ? -v : v;
  }
  return qref_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

static inline uint16_t qref_f32_to_bf16(float f) {
  uint32_t x = qref_f32_bits(f);
  if ((x & 0x7fffffff) > 0x7f800000)
    return (uint16_t)((x >> 16) | 0x40);
  return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

static inline float qref_bf16_to_f32(uint16_t h) {
  return qref_bits_f32((uint32_t)h << 16);
}

/* The value an f16 field will hold for f (what the dequantiser will see). */
static inline float qref_round_f16(float f) {
  return qref_f16_to_f32(qref_f32_to_f16(f));
}

#endif
