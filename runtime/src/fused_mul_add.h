/* fused_mul_add.h — a correctly rounded f32 fused multiply-add, a*b + c with
 * one rounding, without fmaf() or FMA hardware.
 *
 * Why: llama.cpp's CPU backend is compiled with floating-point contraction
 * (GCC's default for GNU C/C++, on FMA-capable builds), so a few expressions
 * the runtime must reproduce are really evaluated as fused multiply-adds:
 *   RoPE  x0*c - x1*s  ->  fma(x0, c, -(x1*s)),   x0*s + x1*c -> fma(x0, s, x1*c)
 *   GELU  1 + 0.044715*x*x  ->  fma(0.044715*x, x, 1)   (when its f16 table is built)
 * (checked bit for bit against a GCC AVX2/FMA build of ggml). The runtime
 * itself is compiled without contraction and may not call fmaf, hence this.
 *
 * How: the product of two floats is exact in double (24 + 24 < 53 bits). The
 * sum p + c is rounded to double and its exact error recovered with Knuth's
 * TwoSum; if the sum was inexact the double is replaced by its odd neighbour
 * on the error's side ("round to odd"). Rounding a round-to-odd value with at
 * least two extra bits to nearest-even gives the correctly rounded result
 * (Boldo & Melquiond, 2008), so the final (float) conversion is exact fma.
 * Valid for finite inputs whose result does not overflow f32.
 */
#ifndef GQCRT_FUSED_MUL_ADD_H
#define GQCRT_FUSED_MUL_ADD_H

#include <stdint.h>

#include "rt_libc.h"

static inline float gqcrt_fused_mul_add(float a, float b, float c) {
  const double p = (double)a * (double)b; /* exact */
  const double cd = (double)c;
  double s = p + cd;
  const double bv = s - p; /* TwoSum: p + c == s + e exactly */
  const double e = (p - (s - bv)) + (cd - bv);
  if (e != 0.0) {
    uint64_t bits;
    memcpy(&bits, &s, sizeof bits);
    if ((bits & 1u) == 0) /* even: take the neighbour on e's side, which is odd */
      bits = ((e > 0.0) == (s > 0.0)) ? bits + 1u : bits - 1u;
    memcpy(&s, &bits, sizeof s);
  }
  return (float)s;
}

#endif
