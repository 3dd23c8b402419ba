/* gemm_kquants_packed_neon.c — NEON + dot-product gemm kernels (batched
 * prefill) for Q4_K and Q6_K weights in the r4 layouts
 * (runtime/src/pack_kquants.c), against Q8_K activations:
 * gqcrt_gemm_q4_k_r4_neon and gqcrt_gemm_q6_k_r4_neon.
 *
 * What must not change
 *
 * Each output must be bit for bit what the matrix-vector kernel
 * (linear_kquants_packed_neon.c) gives for its activation row. For a row
 * group (four weight rows in four lanes) and one activation row, that kernel
 * forms per super-block quad the four rows' exact integer sums and then, in
 * f32 without FMA,
 *   Q4_K: t = (cvt(d) * da) * cvt(isum) - (cvt(dmin) * da) * cvt(summ)
 *   Q6_K: t = (cvt(d) * da) * (cvt(4 isum) / 4)
 * and acc += t, quad after quad from acc = 0. Integer sums are exact in any
 * order, so this kernel forms them however sharing is cheapest, and repeats
 * exactly those f32 operations for every (row group, activation row) pair.
 *
 * What is shared
 *
 * The loops run row group by row group, quad by quad, and inside a quad over
 * all activation rows, TILE at a time. Everything that depends on the weights
 * alone is done once per quad for the whole batch and kept in a 1.3 KB
 * unpacked copy on the stack: the quant tiles as int8 vectors in the order
 * the SDOTs take them (Q4_K nibbles; Q6_K's three masked tiles and the
 * shift-inserted fourth), the sub-block scales widened to int32 lanes, the
 * Q4_K mins widened to int16 and d, dmin as f32. What is left per
 * activation row is what its result needs: per sub-block one SDOT chain
 * against its quants and one MLA by the four rows' scales, the Q4_K min term
 * from its bsums, and the f32 step. The accumulator of a (row group,
 * activation row) pair lives in its four y elements between quads (stored
 * and reloaded, which is exact), so no register is held across quads. A quad
 * is read from memory once per batch instead of once per token.
 *
 * Each activation super-block is read through one post-incremented pointer
 * per row, in its byte order: d, the 256 quants, the bsums.
 *
 * Unpacking a quad costs about as much as one row's work on it, so batches
 * of one or two rows go to the matrix-vector kernel instead. Under qemu's
 * instruction count (benchmarks/bench_gemm_insns.sh, shapes 768 x 2048,
 * 2048 x 640, 768 x 1024), per token against one matrix-vector call per
 * token: Q4_K 1.24x fewer instructions at 4 rows, 1.50x at 8, 1.62x at 16,
 * 1.69x at 32; Q6_K 1.34x, 1.59x, 1.75x, 1.83x.
 */
#include "gemm_common.h"
#include "gqcrt.h"
#include "arm/neon_packed_util.h"
#include "arm/neon_util.h"

enum { TILE = 8 };

#define Q8K_QS 4

#define S8(v) vreinterpretq_s8_u8(v)
#define S32(v) vreinterpretq_s32_u32(v)

/* Sum over k of SDOT-by-element of tile t[k] against lane k % 4 of x0 (k < 4)
 * or x1, from zero: the four rows' exact dot products with 32 activation
 * quants. */
NEON_INLINE int32x4_t tile_dot8(const int8x16_t *t, int8x16_t x0, int8x16_t x1) {
  int32x4_t s = vdupq_n_s32(0);
  s = vdotq_laneq_s32(s, t[0], x0, 0);
  s = vdotq_laneq_s32(s, t[1], x0, 1);
  s = vdotq_laneq_s32(s, t[2], x0, 2);
  s = vdotq_laneq_s32(s, t[3], x0, 3);
  s = vdotq_laneq_s32(s, t[4], x1, 0);
  s = vdotq_laneq_s32(s, t[5], x1, 1);
  s = vdotq_laneq_s32(s, t[6], x1, 2);
  s = vdotq_laneq_s32(s, t[7], x1, 3);
  return s;
}

/* Same with four tiles against x's four lanes (16 activation quants). */
NEON_INLINE int32x4_t tile_dot4(const int8x16_t *t, int8x16_t x) {
  int32x4_t s = vdupq_n_s32(0);
  s = vdotq_laneq_s32(s, t[0], x, 0);
  s = vdotq_laneq_s32(s, t[1], x, 1);
  s = vdotq_laneq_s32(s, t[2], x, 2);
  s = vdotq_laneq_s32(s, t[3], x, 3);
  return s;
}

/* y[0..4) = (first ? 0 : y[0..4)) + t: the matrix-vector kernel's acc += t
 * with the accumulator kept in y between quads. */
NEON_INLINE void accumulate(float *y, int first, float32x4_t t) {
  const float32x4_t acc = first ? vdupq_n_f32(0) : vld1q_f32(y);
  vst1q_f32(y, vaddq_f32(acc, t));
}

/* ---- Q4_K ------------------------------------------------------------------ */

/* A quad's weights, unpacked once for all activation rows: t[8j + k] is
 * tile k of sub-block j (k < 4: elements 4k.. of the sub-block's first 16,
 * else its second 16), sc[j] sub-block j's scales of the four rows, m[i]
 * the mins of sub-blocks 2i and 2i + 1 in int16 lanes 0..3 and 4..7. */
typedef struct {
  int8x16_t t[64];
  int32x4_t sc[8];
  int16x8_t m[4];
  float32x4_t d, dmin;
} q4_k_unpacked;

static void q4_k_unpack(q4_k_unpacked *u, const uint8_t *wq) {
  /* Scales and mins as in the matrix-vector kernel: lane 4j + r of sc_lo /
   * m_lo is sub-block j (0..3) of row r, of sc_hi / m_hi sub-block 4 + j. */
  const uint8x16_t A = vld1q_u8(wq + 16), B = vld1q_u8(wq + 32), C = vld1q_u8(wq + 48);
  const uint8x16_t m63 = vdupq_n_u8(63), m4 = vdupq_n_u8(0x0f);
  const uint8x16_t sc_lo = vandq_u8(A, m63), m_lo = vandq_u8(B, m63);
  const uint8x16_t sc_hi = vsliq_n_u8(C, vshrq_n_u8(A, 6), 4);
  const uint8x16_t m_hi = vsliq_n_u8(vshrq_n_u8(C, 4), vshrq_n_u8(B, 6), 4);
  const uint16x8_t s16[4] = {vmovl_u8(vget_low_u8(sc_lo)), vmovl_high_u8(sc_lo),
                             vmovl_u8(vget_low_u8(sc_hi)), vmovl_high_u8(sc_hi)};
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    u->sc[2 * c] = S32(vmovl_u16(vget_low_u16(s16[c])));
    u->sc[2 * c + 1] = S32(vmovl_high_u16(s16[c]));
  }
  u->m[0] = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(m_lo)));
  u->m[1] = vreinterpretq_s16_u16(vmovl_high_u8(m_lo));
  u->m[2] = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(m_hi)));
  u->m[3] = vreinterpretq_s16_u16(vmovl_high_u8(m_hi));
  /* Chunk c's 16 tiles: low nibbles are sub-block 2c, high ones 2c + 1. */
#pragma GCC unroll 4
  for (int c = 0; c < 4; c++) {
    const uint8x16x4_t q0 = vld1q_u8_x4(wq + 64 + 128 * c);
    const uint8x16x4_t q1 = vld1q_u8_x4(wq + 64 + 128 * c + 64);
    int8x16_t *lo = u->t + 16 * c, *hi = lo + 8;
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      lo[k] = S8(vandq_u8(q0.val[k], m4));
      lo[4 + k] = S8(vandq_u8(q1.val[k], m4));
      hi[k] = S8(vshrq_n_u8(q0.val[k], 4));
      hi[4 + k] = S8(vshrq_n_u8(q1.val[k], 4));
    }
  }
  const float16x8_t dd = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)(const void *)wq));
  u->d = vcvt_f32_f16(vget_low_f16(dd));
  u->dmin = vcvt_high_f32_f16(dd);
}

/* The quad's term for R activation rows, super-blocks at xs[r], added to
 * y + r * y_stride. */
NEON_INLINE void q4_k_rows(int R, const q4_k_unpacked *u, const uint8_t *const x[TILE], float *y,
                           size_t y_stride, int first) {
  const uint8_t *xs[TILE];
  float da[TILE];
  int32x4_t isum[TILE];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    xs[r] = x[r];
    da[r] = neon_load_f32(xs[r]);
    NEON_STREAM_ADVANCE(xs[r], Q8K_QS);
    isum[r] = vdupq_n_s32(0);
  }
#pragma GCC unroll 1
  for (int j = 0; j < 8; j++) {
    const int8x16_t *t = u->t + 8 * j;
    const int32x4_t sc = u->sc[j];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const int8x16x2_t xv = vld1q_s8_x2((const int8_t *)xs[r]);
      NEON_STREAM_ADVANCE(xs[r], 32);
      isum[r] = vmlaq_s32(isum[r], tile_dot8(t, xv.val[0], xv.val[1]), sc);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    /* summ = sum_j m_j * (bsums[2j] + bsums[2j + 1]) */
    const int16x8x2_t b = vld1q_s16_x2((const int16_t *)(const void *)xs[r]);
    const int16x8_t pairs = vpaddq_s16(b.val[0], b.val[1]);
    int32x4_t summ = vmull_laneq_s16(vget_low_s16(u->m[0]), pairs, 0);
    summ = vmlal_high_laneq_s16(summ, u->m[0], pairs, 1);
    summ = vmlal_laneq_s16(summ, vget_low_s16(u->m[1]), pairs, 2);
    summ = vmlal_high_laneq_s16(summ, u->m[1], pairs, 3);
    summ = vmlal_laneq_s16(summ, vget_low_s16(u->m[2]), pairs, 4);
    summ = vmlal_high_laneq_s16(summ, u->m[2], pairs, 5);
    summ = vmlal_laneq_s16(summ, vget_low_s16(u->m[3]), pairs, 6);
    summ = vmlal_high_laneq_s16(summ, u->m[3], pairs, 7);
    const float32x4_t d = vmulq_n_f32(u->d, da[r]), dmin = vmulq_n_f32(u->dmin, da[r]);
    accumulate(
        y + (size_t)r * y_stride, first,
        vsubq_f32(vmulq_f32(d, vcvtq_f32_s32(isum[r])), vmulq_f32(dmin, vcvtq_f32_s32(summ))));
  }
}

/* ---- Q6_K ------------------------------------------------------------------ */

/* A quad's weights, unpacked once for all activation rows: t[4s + k] is tile
 * k of sub-block s as 4 (v - 32) (k = 3 the shift-inserted one), sc[s]
 * sub-block s's scales of the four rows. */
typedef struct {
  int8x16_t t[64];
  int32x4_t sc[16];
  float32x4_t d;
} q6_k_unpacked;

static void q6_k_unpack(q6_k_unpacked *u, const uint8_t *wq) {
  const int8x16x4_t s8 = vld1q_s8_x4((const int8_t *)(wq + 8));
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    const int16x8_t lo = vmovl_s8(vget_low_s8(s8.val[g])), hi = vmovl_high_s8(s8.val[g]);
    u->sc[4 * g] = vmovl_s16(vget_low_s16(lo));
    u->sc[4 * g + 1] = vmovl_high_s16(lo);
    u->sc[4 * g + 2] = vmovl_s16(vget_low_s16(hi));
    u->sc[4 * g + 3] = vmovl_high_s16(hi);
  }
  const uint8x16_t mfc = vdupq_n_u8(0xfc);
#pragma GCC unroll 16
  for (int s = 0; s < 16; s++) {
    const uint8x16x3_t abc = vld1q_u8_x3(wq + 72 + 48 * s);
    const uint8x16_t A = abc.val[0], B = abc.val[1], C = abc.val[2];
    u->t[4 * s] = S8(vandq_u8(A, mfc));
    u->t[4 * s + 1] = S8(vandq_u8(B, mfc));
    u->t[4 * s + 2] = S8(vandq_u8(C, mfc));
    u->t[4 * s + 3] = S8(vsliq_n_u8(vsliq_n_u8(vshlq_n_u8(C, 2), B, 4), A, 6));
  }
  u->d = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)wq)));
}

NEON_INLINE void q6_k_rows(int R, const q6_k_unpacked *u, const uint8_t *const x[TILE], float *y,
                           size_t y_stride, int first) {
  const uint8_t *xs[TILE];
  float da[TILE];
  int32x4_t isum4[TILE]; /* 4 * the integer super-block sums */
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    xs[r] = x[r];
    da[r] = neon_load_f32(xs[r]);
    NEON_STREAM_ADVANCE(xs[r], Q8K_QS);
    isum4[r] = vdupq_n_s32(0);
  }
  /* Two sub-blocks per step: one 32-byte load of each row's quants. */
#pragma GCC unroll 1
  for (int s = 0; s < 16; s += 2) {
    const int8x16_t *t = u->t + 4 * s;
    const int32x4_t sc0 = u->sc[s], sc1 = u->sc[s + 1];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const int8x16x2_t xv = vld1q_s8_x2((const int8_t *)xs[r]);
      NEON_STREAM_ADVANCE(xs[r], 32);
      isum4[r] = vmlaq_s32(isum4[r], tile_dot4(t, xv.val[0]), sc0);
      isum4[r] = vmlaq_s32(isum4[r], tile_dot4(t + 4, xv.val[1]), sc1);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    accumulate(y + (size_t)r * y_stride, first,
               vmulq_f32(vmulq_n_f32(u->d, da[r]), vcvtq_n_f32_s32(isum4[r], 2)));
}

/* ---- the loops ------------------------------------------------------------ */

enum kquant_fmt { FMT_Q4_K, FMT_Q6_K };

/* Quad b of every R-row tile of activation rows: row r of the tile is
 * activation row r0 + r, its super-block b at x + (r0 + r) x_row + b * 292. */
NEON_INLINE void quad_tile(enum kquant_fmt f, int R, const void *u, float *y, size_t y_stride,
                           const uint8_t *x, size_t x_row, int first) {
  const uint8_t *xr[TILE];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    xr[r] = x + (size_t)r * x_row;
  if (f == FMT_Q4_K)
    q4_k_rows(R, u, xr, y, y_stride, first);
  else
    q6_k_rows(R, u, xr, y, y_stride, first);
}

NEON_INLINE void gemm_kquant(enum kquant_fmt f, float *y, int32_t y_stride, const void *w,
                             const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const int32_t nb = n_in / GQCRT_QK_K;
  const size_t x_row = (size_t)nb * GQCRT_Q8_K_BYTES;
  const size_t quad = 4 * (size_t)(f == FMT_Q4_K ? GQCRT_Q4_K_BYTES : GQCRT_Q6_K_BYTES);
  union {
    q4_k_unpacked q4;
    q6_k_unpacked q6;
  } u;
  const uint8_t *wq = w;
  for (int32_t o = 0; o + 4 <= n_out; o += 4) {
    for (int32_t b = 0; b < nb; b++, wq += quad) {
      if (f == FMT_Q4_K)
        q4_k_unpack(&u.q4, wq);
      else
        q6_k_unpack(&u.q6, wq);
      const uint8_t *xb = (const uint8_t *)x + (size_t)b * GQCRT_Q8_K_BYTES;
      for (int32_t r = 0, n; r < n_rows; r += n) {
        n = gqcrt_gemm_next_tile(n_rows - r, TILE);
        float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
        const uint8_t *xt = xb + (size_t)r * x_row;
        switch (n) {
#define TILE_CASE(n)                                                                               \
  case n:                                                                                          \
    quad_tile(f, n, &u, yt, (size_t)y_stride, xt, x_row, b == 0);                                  \
    break;
          TILE_CASE(1)
          TILE_CASE(2)
          TILE_CASE(3)
          TILE_CASE(4)
          TILE_CASE(5)
          TILE_CASE(6)
          TILE_CASE(7)
        default:
          quad_tile(f, TILE, &u, yt, (size_t)y_stride, xt, x_row, b == 0);
          break;
#undef TILE_CASE
        }
      }
    }
  }
}

void gqcrt_gemm_q4_k_r4_neon(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,
                             int32_t n_out, int32_t n_rows) {
  if (n_rows <= 2) { /* too few rows to pay for unpacking: the matrix-vector kernel */
    gqcrt_gemm_rowwise(gqcrt_linear_q4_k_r4_neon, y, y_stride, w, x, n_in, n_out, n_rows,
                       GQCRT_WEIGHT_ROW_BYTES(q4_k, n_in), GQCRT_ACT_ROW_BYTES(q8_k, n_in), 4);
    return;
  }
  gemm_kquant(FMT_Q4_K, y, y_stride, w, x, n_in, n_out, n_rows);
}

void gqcrt_gemm_q6_k_r4_neon(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,
                             int32_t n_out, int32_t n_rows) {
  if (n_rows <= 2) { /* too few rows to pay for unpacking: the matrix-vector kernel */
    gqcrt_gemm_rowwise(gqcrt_linear_q6_k_r4_neon, y, y_stride, w, x, n_in, n_out, n_rows,
                       GQCRT_WEIGHT_ROW_BYTES(q6_k, n_in), GQCRT_ACT_ROW_BYTES(q8_k, n_in), 4);
    return;
  }
  gemm_kquant(FMT_Q6_K, y, y_stride, w, x, n_in, n_out, n_rows);
}
