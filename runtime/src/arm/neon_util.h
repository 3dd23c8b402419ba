/* neon_util.h — small helpers shared by the AArch64 NEON kernels.
 *
 * Only included by the .c files beside it, which CMake compiles with
 * -march=armv8.2-a+dotprod+fp16 on AArch64. Everything here is static inline:
 * unaligned scalar loads of the fp16/f32 fields inside ggml blocks, the
 * ADDP reduction of four SDOT accumulators, and the Q4_K/Q5_K 6-bit scale
 * unpack.
 */
#ifndef GQCRT_ARM_NEON_UTIL_H
#define GQCRT_ARM_NEON_UTIL_H

#include <arm_neon.h>
#include <stdint.h>

#include "rt_libc.h"

/* Kernels are written once as generic inline functions taking the block
 * format and row count as constants; this makes sure each instantiation is
 * specialised (GCC and Clang). */
#define NEON_INLINE static inline __attribute__((always_inline))

/* An IEEE half at p (any alignment), widened to f32 (exact). */
static inline float neon_load_f16(const uint8_t *p) {
  __fp16 h;
  memcpy(&h, p, sizeof h);
  return (float)h;
}

static inline float neon_load_f32(const uint8_t *p) {
  float f;
  memcpy(&f, p, sizeof f);
  return f;
}

static inline uint32_t neon_load_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Lane i of the result is the sum of the four lanes of p_i (exact integer
 * block or row totals from SDOT partial sums). */
static inline int32x4_t neon_block_sums4(int32x4_t p0, int32x4_t p1, int32x4_t p2, int32x4_t p3) {
  return vpaddq_s32(vpaddq_s32(p0, p1), vpaddq_s32(p2, p3));
}

/* Q4_K / Q5_K: the eight 6-bit scales and eight 6-bit mins packed in 12
 * bytes (archspec 6.3), unpacked to sc[0..8) and m[0..8). */
static inline void neon_unpack_k4_scales(const uint8_t *b, uint8_t sc[8], uint8_t m[8]) {
  const uint32_t w0 = neon_load_u32(b), w1 = neon_load_u32(b + 4), w2 = neon_load_u32(b + 8);
  const uint32_t s_lo = w0 & 0x3f3f3f3fu;
  const uint32_t m_lo = w1 & 0x3f3f3f3fu;
  const uint32_t s_hi = (w2 & 0x0f0f0f0fu) | (((w0 >> 6) & 0x03030303u) << 4);
  const uint32_t m_hi = ((w2 >> 4) & 0x0f0f0f0fu) | (((w1 >> 6) & 0x03030303u) << 4);
  memcpy(sc, &s_lo, 4);
  memcpy(sc + 4, &s_hi, 4);
  memcpy(m, &m_lo, 4);
  memcpy(m + 4, &m_hi, 4);
}

#endif
