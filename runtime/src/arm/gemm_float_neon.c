/* gemm_float_neon.c — NEON gemm kernels (batched prefill) for float weights:
 * gqcrt_gemm_f32_neon, gqcrt_gemm_f16_neon, gqcrt_gemm_bf16_neon.
 *
 * What must not change
 *
 * Each output must be bit for bit what the matrix-vector kernel
 * (linear_float_neon.c) gives for its activation row. Per output row that
 * kernel keeps two f32x4 FMA chains over the elements in steps of 16:
 *   a0 = fma(fma(a0, w[k..k+3], x[k..k+3]), w[k+8..k+11], x[k+8..k+11])
 *   a1 = fma(fma(a1, w[k+4..k+7], x[k+4..k+7]), w[k+12..k+15], x[k+12..k+15])
 * (f16 and bf16 widened to f32 first), then reduces a0 + a1 pairwise with
 * the other three rows of its group of four (FADDP twice) and adds the last
 * n_in % 16 products one by one in f32. That depends on the row alone, so
 * this kernel repeats it exactly for every (weight row, activation row).
 *
 * What is shared
 *
 * W = 4 weight rows (grouped as the matrix-vector kernel groups them) and
 * TILE = 2 activation rows are taken together, 16 elements at a time: each
 * weight row's elements are loaded and widened once for both activation
 * rows, each activation row's once for the four weight rows, and the 16
 * chains (4 rows x 2 activation rows x a0/a1) stay in registers. Per weight
 * element and token what is left is the FMA and half a widening, and
 * weights are read from memory once per two tokens. Weight rows beyond
 * n_out (n_out % 4) are replaced by a copy of the first row of the group,
 * as in the matrix-vector kernel, and not stored. Under qemu's instruction
 * count (benchmarks/bench_gemm_insns.sh, FunctionGemma shapes) per token
 * from 2 rows on: F32 1.16x fewer instructions than one matrix-vector call
 * per token, F16 1.34x, BF16 1.36x.
 */
#include "gemm_common.h"
#include "gqcrt.h"
#include "arm/neon_util.h"

enum { W = 4, TILE = 2 }; /* weight rows, activation rows */

enum float_fmt { FMT_F32, FMT_F16, FMT_BF16 };

NEON_INLINE size_t elem_bytes(enum float_fmt f) {
  return f == FMT_F32 ? 4 : 2;
}

/* Elements k .. k+15 at p, widened to four f32x4. (f32: four loads, which
 * GCC pairs into LDPs; one LD1 of four registers would need four
 * consecutive registers and cost MOVs.) */
NEON_INLINE void load16(enum float_fmt f, const uint8_t *p, float32x4_t v[4]) {
  if (f == FMT_F32) {
    const float *q = (const float *)(const void *)p;
    v[0] = vld1q_f32(q), v[1] = vld1q_f32(q + 4), v[2] = vld1q_f32(q + 8), v[3] = vld1q_f32(q + 12);
  } else if (f == FMT_F16) {
    const float16x8x2_t h = vld1q_f16_x2((const float16_t *)(const void *)p);
    v[0] = vcvt_f32_f16(vget_low_f16(h.val[0]));
    v[1] = vcvt_high_f32_f16(h.val[0]);
    v[2] = vcvt_f32_f16(vget_low_f16(h.val[1]));
    v[3] = vcvt_high_f32_f16(h.val[1]);
  } else {
    const uint16x8x2_t b = vld1q_u16_x2((const uint16_t *)(const void *)p);
    v[0] = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(b.val[0]), 16));
    v[1] = vreinterpretq_f32_u32(vshll_high_n_u16(b.val[0], 16));
    v[2] = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(b.val[1]), 16));
    v[3] = vreinterpretq_f32_u32(vshll_high_n_u16(b.val[1], 16));
  }
}

/* One element at p, widened. */
NEON_INLINE float load1(enum float_fmt f, const uint8_t *p) {
  if (f == FMT_F32)
    return neon_load_f32(p);
  if (f == FMT_F16)
    return neon_load_f16(p);
  const uint32_t bits = (uint32_t)(p[0] | (p[1] << 8)) << 16;
  float v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

/* Weight rows w[0..W) (missing ones aliasing the first) against R
 * activation rows x[0..R): row i's result for activation row r goes to
 * y[r * y_stride + i] for i < n_w. */
NEON_INLINE void rows_tile(enum float_fmt f, int R, float *y, size_t y_stride,
                           const uint8_t *const w[W], int n_w, const uint8_t *const x[TILE],
                           int32_t n_in) {
  const size_t E = elem_bytes(f);
  float32x4_t a0[TILE][W], a1[TILE][W];
#pragma GCC unroll 2
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int i = 0; i < W; i++)
      a0[r][i] = a1[r][i] = vdupq_n_f32(0);
  int32_t k = 0;
  for (; k + 16 <= n_in; k += 16) {
    const size_t o = (size_t)k * E;
    float32x4_t xv[TILE][4];
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
      load16(f, x[r] + o, xv[r]);
#pragma GCC unroll 4
    for (int i = 0; i < W; i++) {
      /* Row i's loads wait for row i - 1's last FMAs (through an empty asm
       * on its address): GCC would otherwise hoist all four rows' loads and
       * widenings and run out of registers (16 chains and 8 activation
       * vectors are live). */
      const uint8_t *p = w[i] + o;
      if (i > 0)
        __asm__("" : "+r"(p) : "w"(a0[R - 1][i - 1]), "w"(a1[R - 1][i - 1]));
      float32x4_t wv[4];
      load16(f, p, wv);
#pragma GCC unroll 2
      for (int r = 0; r < R; r++) {
        /* a0: elements k..k+3 then k+8..k+11; a1: k+4..k+7 then k+12..k+15 */
        a0[r][i] = vfmaq_f32(vfmaq_f32(a0[r][i], wv[0], xv[r][0]), wv[2], xv[r][2]);
        a1[r][i] = vfmaq_f32(vfmaq_f32(a1[r][i], wv[1], xv[r][1]), wv[3], xv[r][3]);
      }
    }
  }
#pragma GCC unroll 2
  for (int r = 0; r < R; r++) {
    /* lane i: (v0 + v1) + (v2 + v3) of row i, v = a0 + a1 */
    const float32x4_t s =
        vpaddq_f32(vpaddq_f32(vaddq_f32(a0[r][0], a1[r][0]), vaddq_f32(a0[r][1], a1[r][1])),
                   vpaddq_f32(vaddq_f32(a0[r][2], a1[r][2]), vaddq_f32(a0[r][3], a1[r][3])));
    float t[4];
    vst1q_f32(t, s);
    for (int i = 0; i < n_w; i++) {
      for (int32_t j = k; j < n_in; j++)
        t[i] += load1(f, w[i] + (size_t)j * E) * load1(f, x[r] + (size_t)j * E);
      y[(size_t)r * y_stride + (size_t)i] = t[i];
    }
  }
}

NEON_INLINE void gemm_float(enum float_fmt f, float *y, int32_t y_stride, const void *w,
                            const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const size_t row = (size_t)n_in * elem_bytes(f);
  for (int32_t o = 0; o < n_out; o += W) {
    const int n_w = n_out - o < W ? (int)(n_out - o) : W;
    const uint8_t *wr[W];
    for (int i = 0; i < W; i++)
      wr[i] = (const uint8_t *)w + (size_t)(o + (i < n_w ? i : 0)) * row;
    for (int32_t r = 0; r < n_rows; r += TILE) {
      const uint8_t *xr[TILE];
      for (int t = 0; t < TILE; t++)
        xr[t] = (const uint8_t *)x + (size_t)(r + t < n_rows ? r + t : r) * row;
      float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
      if (n_rows - r >= 2)
        rows_tile(f, 2, yt, (size_t)y_stride, wr, n_w, xr, n_in);
      else
        rows_tile(f, 1, yt, (size_t)y_stride, wr, n_w, xr, n_in);
    }
  }
}

GQCRT_DEFINE_GEMM(f32, neon, , gemm_float, FMT_F32)
GQCRT_DEFINE_GEMM(f16, neon, , gemm_float, FMT_F16)
GQCRT_DEFINE_GEMM(bf16, neon, , gemm_float, FMT_BF16)
