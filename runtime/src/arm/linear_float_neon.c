/* linear_float_neon.c — NEON linear kernels for float weights: F32, F16, BF16.
 *
 * y[r] = sum_k f32(W[r][k]) * f32(x[k]), with x already in the weight's own
 * encoding (archspec 7: F16 weights take F16 activations, BF16 take BF16).
 * Products and sums are f32 throughout (fp16 arithmetic would lose far more
 * than llama.cpp's vec_dot does): halves are widened with FCVTL, bf16 by a
 * 16-bit left shift (SHLL).
 *
 * Four rows are computed together, so each group of 16 activations is
 * loaded and widened once for four rows; every row keeps two f32x4 FMA
 * chains (hiding FMA latency on in-order cores such as the Cortex-A55).
 * At the end the two chains are added and pairwise adds (FADDP) reduce the
 * four rows to one vector of four sums; a tail of fewer than 16 elements is
 * then added in scalar order. n_out % 4 leftover rows run through the same
 * code with the missing rows replaced by the first one (lanes not stored).
 * The summation order differs from the `_scalar` kernels (16 partial sums
 * per row instead of one), so results agree to rounding, not bit for bit.
 */
#include "gqcrt.h"
#include "arm/neon_util.h"

enum float_fmt { FMT_F32, FMT_F16, FMT_BF16 };

NEON_INLINE size_t elem_bytes(enum float_fmt f) {
  return f == FMT_F32 ? 4 : 2;
}

/* Elements k .. k+7 of p, widened to two f32x4. */
NEON_INLINE void load8(enum float_fmt f, const uint8_t *p, float32x4_t *lo, float32x4_t *hi) {
  if (f == FMT_F32) {
    *lo = vld1q_f32((const float *)(const void *)p);
    *hi = vld1q_f32((const float *)(const void *)p + 4);
  } else if (f == FMT_F16) {
    const float16x8_t h = vld1q_f16((const float16_t *)(const void *)p);
    *lo = vcvt_f32_f16(vget_low_f16(h));
    *hi = vcvt_high_f32_f16(h);
  } else {
    const uint16x8_t b = vld1q_u16((const uint16_t *)(const void *)p);
    *lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(b), 16));
    *hi = vreinterpretq_f32_u32(vshll_high_n_u16(b, 16));
  }
}

/* One element at p, widened. */
NEON_INLINE float load1(enum float_fmt f, const uint8_t *p) {
  if (f == FMT_F32) {
    return neon_load_f32(p);
  }
  if (f == FMT_F16) {
    return neon_load_f16(p);
  }
  const uint32_t bits = (uint32_t)(p[0] | (p[1] << 8)) << 16;
  float v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* Two FMA chains of one row over elements k .. k+15 of x (xa..xd). */
#define ROW_STEP(f, a0, a1, wp, xa, xb, xc, xd)                                                    \
  do {                                                                                             \
    float32x4_t w_a, w_b, w_c, w_d;                                                                \
    load8(f, (wp), &w_a, &w_b);                                                                    \
    load8(f, (wp) + 8 * elem_bytes(f), &w_c, &w_d);                                                \
    a0 = vfmaq_f32(vfmaq_f32(a0, w_a, xa), w_c, xc);                                               \
    a1 = vfmaq_f32(vfmaq_f32(a1, w_b, xb), w_d, xd);                                               \
  } while (0)

/* y[0..n_rows) for n_rows (1..4) consecutive rows starting at w. */
NEON_INLINE void float_rows4(enum float_fmt f, float *y, const uint8_t *w, size_t row,
                             const uint8_t *x, int32_t n_in, int n_rows) {
  const size_t E = elem_bytes(f);
  const uint8_t *w0 = w, *w1 = w + (n_rows > 1 ? row : 0);
  const uint8_t *w2 = w + (n_rows > 2 ? 2 * row : 0), *w3 = w + (n_rows > 3 ? 3 * row : 0);
  float32x4_t a00 = vdupq_n_f32(0), a01 = a00, a10 = a00, a11 = a00;
  float32x4_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  int32_t k = 0;
  for (; k + 16 <= n_in; k += 16) {
    const size_t o = (size_t)k * E;
    float32x4_t xa, xb, xc, xd;
    load8(f, x + o, &xa, &xb);
    load8(f, x + o + 8 * E, &xc, &xd);
    ROW_STEP(f, a00, a01, w0 + o, xa, xb, xc, xd);
    ROW_STEP(f, a10, a11, w1 + o, xa, xb, xc, xd);
    ROW_STEP(f, a20, a21, w2 + o, xa, xb, xc, xd);
    ROW_STEP(f, a30, a31, w3 + o, xa, xb, xc, xd);
  }
  const float32x4_t s = vpaddq_f32(vpaddq_f32(vaddq_f32(a00, a01), vaddq_f32(a10, a11)),
                                   vpaddq_f32(vaddq_f32(a20, a21), vaddq_f32(a30, a31)));
  float t[4];
  vst1q_f32(t, s);
  const uint8_t *wr[4] = {w0, w1, w2, w3};
  for (int i = 0; i < n_rows; i++) {
    for (int32_t j = k; j < n_in; j++) {
      t[i] += load1(f, wr[i] + (size_t)j * E) * load1(f, x + (size_t)j * E);
    }
    y[i] = t[i];
  }
}

NEON_INLINE void linear_float(enum float_fmt f, float *y, const void *w, const void *x,
                              int32_t n_in, int32_t n_out) {
  const size_t row = (size_t)n_in * elem_bytes(f);
  for (int32_t r = 0; r < n_out; r += 4) {
    const int n_rows = n_out - r < 4 ? (int)(n_out - r) : 4;
    float_rows4(f, y + r, (const uint8_t *)w + (size_t)r * row, row, x, n_in, n_rows);
  }
}

void gqcrt_linear_f32_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_float(FMT_F32, y, w, x, n_in, n_out);
}

void gqcrt_linear_f16_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_float(FMT_F16, y, w, x, n_in, n_out);
}

void gqcrt_linear_bf16_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_float(FMT_BF16, y, w, x, n_in, n_out);
}
