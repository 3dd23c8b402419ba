/* exp_portable.h — exp(x) in double precision from additions and
 * multiplications alone, so that it gives the same bits on every IEEE
 * target (the C library's exp differs between x86-64 and AArch64 builds of
 * glibc, and firmware brings its own). The sampler's probabilities use it
 * (sample.c).
 *
 * x = k ln2 + r with k the nearest integer to x / ln2 and ln2 split in two
 * (Cody–Waite: k * LN2_HI is exact), |r| <= 0.35; exp(r) by its Taylor
 * polynomial to degree 13 (truncation error below 5e-18), evaluated by
 * Horner; times 2^k built from the exponent bits. Relative error a few
 * ulp. Defined for x <= 709; 0 for x <= -700 (and NaN), so no result is
 * subnormal and flush-to-zero modes cannot change it. Needs the runtime's
 * -ffp-contract=off (an FMA would round differently).
 */
#ifndef GQCRT_EXP_PORTABLE_H
#define GQCRT_EXP_PORTABLE_H

#include <stdint.h>

#include "rt_libc.h"

static inline double gqcrt_exp_portable(double x) {
  if (!(x > -700.0))
    return 0.0;
  const double inv_ln2 = 0x1.71547652b82fep+0;
  const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
  const double t = x * inv_ln2;
  const int32_t k = (int32_t)(t < 0.0 ? t - 0.5 : t + 0.5); /* conversion truncates */
  const double r = (x - (double)k * ln2_hi) - (double)k * ln2_lo;
  /* 1/n!, n = 2..13, correctly rounded */
  double p = 0x1.6124613a86d09p-33;
  p = 0x1.1eed8eff8d898p-29 + r * p;
  p = 0x1.ae64567f544e4p-26 + r * p;
  p = 0x1.27e4fb7789f5cp-22 + r * p;
  p = 0x1.71de3a556c734p-19 + r * p;
  p = 0x1.a01a01a01a01ap-16 + r * p;
  p = 0x1.a01a01a01a01ap-13 + r * p;
  p = 0x1.6c16c16c16c17p-10 + r * p;
  p = 0x1.1111111111111p-7 + r * p;
  p = 0x1.5555555555555p-5 + r * p;
  p = 0x1.5555555555555p-3 + r * p;
  p = 0x1.0000000000000p-1 + r * p;
  p = 1.0 + r * p;
  p = 1.0 + r * p;
  const uint64_t bits = (uint64_t)(k + 1023) << 52;
  double scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

#endif
