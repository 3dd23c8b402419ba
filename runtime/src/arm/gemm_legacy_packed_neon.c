/* gemm_legacy_packed_neon.c — NEON + dot-product gemm kernels (batched
 * prefill) for Q8_0 and Q4_0 weights in the r4 layouts
 * (runtime/src/pack_legacy.c), against Q8_0 activations:
 * gqcrt_gemm_q8_0_r4_neon and gqcrt_gemm_q4_0_r4_neon.
 *
 * What must not change
 *
 * Every output must be bit for bit what the matrix-vector kernel
 * (linear_legacy_packed_neon.c) gives for that activation row. That kernel
 * keeps, for a row group, one f32x4 accumulator (lane r = weight row r) and
 * adds block after block, in block order and without FMA,
 *   Q8_0: acc += cvt(isum) * (dw * da)      Q4_0: acc += (cvt(16 isum) / 16 * dw) * da
 * where isum is the four rows' exact integer block sums (SDOT by element of
 * 4 x 4 weight tiles against the activation quants). Integer sums are exact
 * in any order, and the f32 operations are the same instructions on the
 * same values, so this kernel repeats exactly that chain for every
 * (row group, activation row) pair.
 *
 * What is shared
 *
 * A row group is taken against TILE activation rows at a time: each block's
 * weight tiles are loaded (and, for Q4_0, unpacked to int8) and its four
 * scales converted once for the TILE rows. The activation scales are
 * converted to f32 up front, CHUNK blocks of up to ROWS_PER_PASS rows at a
 * time (an 8 KiB stack buffer, laid out block by block so a tile's scales
 * are one or two vector loads), so that dw * da of a row is one multiply by
 * lane; a long row is worked chunk by chunk, its partial sums carried
 * through y (an exact store and reload). The row group's weights (8.7 KB at
 * n_in = 2048) stay in the L1 cache while the activation rows pass over
 * them, so each weight byte is read from memory once per pass instead of
 * once per token.
 *
 * What is left per activation row and block is what the result needs: 8
 * SDOTs, the zeroing of their accumulator, one post-incremented load of the
 * quants and the four f32 operations of the exact chain — 15.4 instructions
 * with the block's shared work at TILE = 8 (GCC 12, -O3), against 22 for
 * the matrix-vector kernel. (A TILE of 12 spills registers.) One activation
 * row goes to the matrix-vector kernel itself.
 */
#include "gemm_common.h"
#include "gqcrt.h"
#include "arm/neon_packed_util.h"
#include "arm/neon_util.h"

enum { TILE = 8 };

enum packed_fmt { FMT_Q4_0, FMT_Q8_0 };

/* A block's weight tiles as int8 vectors: Q8_0 the eight tiles (elements
 * 0..15 in t[0..3] against the activation's low 16 quants, 16..31 in t[4..7]),
 * Q4_0 the low nibbles shifted up (16 (q - 8), elements 4k..) in t[0..3] and
 * the high nibbles masked (elements 16 + 4k..) in t[4..7]. */
NEON_INLINE void load_tiles(enum packed_fmt f, const uint8_t *q, int8x16_t t[8]) {
  if (f == FMT_Q8_0) {
    const int8x16x4_t lo = vld1q_s8_x4((const int8_t *)q);
    const int8x16x4_t hi = vld1q_s8_x4((const int8_t *)q + 64);
    t[0] = lo.val[0], t[1] = lo.val[1], t[2] = lo.val[2], t[3] = lo.val[3];
    t[4] = hi.val[0], t[5] = hi.val[1], t[6] = hi.val[2], t[7] = hi.val[3];
  } else {
    const uint8x16x4_t v = vld1q_u8_x4(q);
    const uint8x16_t m = vdupq_n_u8(0xf0);
#pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
      t[k] = vreinterpretq_s8_u8(vshlq_n_u8(v.val[k], 4));
      t[4 + k] = vreinterpretq_s8_u8(vandq_u8(v.val[k], m));
    }
  }
}

/* The activation quants are read through one pointer per row,
 * post-incremented by a block (34 bytes: the f16 scale, then the 32 quants,
 * the next block's scale skipped since the scales come pre-converted). GCC
 * forms no post-increment by a register from intrinsics, hence the asm;
 * other compilers get the intrinsics. */
#if defined(__GNUC__) && !defined(__clang__)
#define GQCRT_GEMM_ASM_LOADS 1
#else
#define GQCRT_GEMM_ASM_LOADS 0
#endif

/* The 32 activation quants at *p + 2 (*p advanced to the next block). */
NEON_INLINE int8x16x2_t load_quants(const uint8_t **p, size_t block_bytes) {
  int8x16x2_t x;
#if GQCRT_GEMM_ASM_LOADS
  /* %S0, %T0: the two registers of the pair */
  __asm__("ld1 {%S0.16b, %T0.16b}, [%1], %2"
          : "=w"(x), "+r"(*p)
          : "r"(block_bytes), "m"(*(const uint8_t(*)[32]) * p));
#else
  x = vld1q_s8_x2((const int8_t *)*p);
  *p += block_bytes;
#endif
  return x;
}

/* The four rows' exact sums of one block against the activation quants x
 * (times 16 for Q4_0), from zero as in the matrix-vector kernel. */
NEON_INLINE int32x4_t block_isum(const int8x16_t t[8], int8x16x2_t x) {
  int32x4_t s = vdupq_n_s32(0);
  s = vdotq_laneq_s32(s, t[0], x.val[0], 0);
  s = vdotq_laneq_s32(s, t[1], x.val[0], 1);
  s = vdotq_laneq_s32(s, t[2], x.val[0], 2);
  s = vdotq_laneq_s32(s, t[3], x.val[0], 3);
  s = vdotq_laneq_s32(s, t[4], x.val[1], 0);
  s = vdotq_laneq_s32(s, t[5], x.val[1], 1);
  s = vdotq_laneq_s32(s, t[6], x.val[1], 2);
  s = vdotq_laneq_s32(s, t[7], x.val[1], 3);
  return s;
}

/* v * lane `lane` of s (lane a constant once unrolled; Clang and GCC at -O0
 * want a literal, hence the switch). */
NEON_INLINE float32x4_t mul_lane(float32x4_t v, float32x4_t s, int lane) {
  switch (lane) {
  case 0:
    return vmulq_laneq_f32(v, s, 0);
  case 1:
    return vmulq_laneq_f32(v, s, 1);
  case 2:
    return vmulq_laneq_f32(v, s, 2);
  default:
    return vmulq_laneq_f32(v, s, 3);
  }
}

/* acc + the block's term for activation row `lane` of the tile, in the
 * matrix-vector kernel's order: dw the four weight rows' scales, lane r of
 * da4 row r's activation scale. */
NEON_INLINE float32x4_t block_term(enum packed_fmt f, float32x4_t acc, int32x4_t isum,
                                   float32x4_t dw, float32x4_t da4, int lane) {
  if (f == FMT_Q8_0)
    return vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(isum), mul_lane(dw, da4, lane)));
  return vaddq_f32(acc, mul_lane(vmulq_f32(vcvtq_n_f32_s32(isum, 4), dw), da4, lane));
}

/* Blocks are taken CHUNK at a time, the activation scales of a chunk
 * converted to f32 once for every row group (at most ROWS_PER_PASS rows at
 * a time: a bounded stack buffer, 8 KiB). */
enum { CHUNK = 64, ROWS_PER_PASS = 4 * TILE };

/* da[b][r] = the scale of block b0 + b of activation row r, for n_rows rows
 * (the rest zero: a tile's vector loads may read past its rows). */
static void convert_scales(float da[CHUNK][ROWS_PER_PASS], const uint8_t *x, size_t x_row,
                           int32_t n_rows, int32_t b0, int32_t nbc) {
  memset(da, 0, sizeof(float) * CHUNK * ROWS_PER_PASS);
  for (int32_t r = 0; r < n_rows; r++)
    for (int32_t b = 0; b < nbc; b++)
      da[b][r] = neon_load_f16(x + (size_t)r * x_row + (size_t)(b0 + b) * GQCRT_Q8_0_BYTES);
}

/* One row group (at `group`) against R activation rows starting at x, over
 * nbc blocks: the weight scales at ws, tiles at wq, the rows' f32 scales at
 * da (ROWS_PER_PASS apart per block); row r's four outputs go to y + r * y_stride, added to
 * what is there unless `first`. Every stream is read through its own
 * post-incremented pointer. */
NEON_INLINE void group_rows(enum packed_fmt f, int R, float *y, size_t y_stride,
                            const uint8_t *ws, const uint8_t *wq, const uint8_t *x, size_t x_row,
                            const float *da, int32_t nbc, int first) {
  const size_t QB = f == FMT_Q8_0 ? 128 : 64;
  const uint8_t *xs[TILE];
  float32x4_t acc[TILE];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    xs[r] = x + (size_t)r * x_row + 2;
    acc[r] = first ? vdupq_n_f32(0) : vld1q_f32(y + (size_t)r * y_stride);
  }
  for (int32_t b = 0; b < nbc; b++) {
    const float32x4_t dw =
        vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)ws)));
    NEON_STREAM_ADVANCE(ws, 8);
    float32x4_t das[2];
    das[0] = vld1q_f32(da);
    if (R > 4)
      das[1] = vld1q_f32(da + 4);
    NEON_STREAM_ADVANCE(da, ROWS_PER_PASS);
    int8x16_t t[8];
    load_tiles(f, wq, t);
    NEON_STREAM_ADVANCE(wq, QB);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
      acc[r] = block_term(f, acc[r], block_isum(t, load_quants(&xs[r], GQCRT_Q8_0_BYTES)), dw,
                          das[r / 4], r % 4);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
    vst1q_f32(y + (size_t)r * y_stride, acc[r]);
}

/* The rows [0, n_rows) (n_rows <= ROWS_PER_PASS) against every row group,
 * blocks [b0, b0 + nbc). */
NEON_INLINE void gemm_pass(enum packed_fmt f, float *y, int32_t y_stride, const void *w,
                           const uint8_t *x, int32_t nb, int32_t n_out, int32_t n_rows,
                           int32_t b0, int32_t nbc, const float da[CHUNK][ROWS_PER_PASS]) {
  const size_t x_row = (size_t)nb * GQCRT_Q8_0_BYTES;
  const size_t block_bytes = 4 * (f == FMT_Q8_0 ? GQCRT_Q8_0_BYTES : GQCRT_Q4_0_BYTES);
  const size_t group_bytes = (size_t)nb * block_bytes;
  for (int32_t o = 0; o + 4 <= n_out; o += 4) {
    const uint8_t *group = (const uint8_t *)w + (size_t)(o / 4) * group_bytes;
    /* a row group: nb times four f16 scales, then the tiles */
    const uint8_t *ws = group + 8 * (size_t)b0;
    const uint8_t *wq = group + 8 * (size_t)nb + (block_bytes - 8) * (size_t)b0;
    for (int32_t r = 0, n; r < n_rows; r += n) {
      n = gqcrt_gemm_next_tile(n_rows - r, TILE);
      float *yt = y + (size_t)r * (size_t)y_stride + (size_t)o;
      const uint8_t *xt = x + (size_t)r * x_row + (size_t)b0 * GQCRT_Q8_0_BYTES;
      const float *dt = &da[0][r];
      switch (n) {
#define GROUP_CASE(n)                                                                              \
  case n:                                                                                          \
    group_rows(f, n, yt, (size_t)y_stride, ws, wq, xt, x_row, dt, nbc, b0 == 0);                   \
    break;
        GROUP_CASE(1)
        GROUP_CASE(2)
        GROUP_CASE(3)
        GROUP_CASE(4)
        GROUP_CASE(5)
        GROUP_CASE(6)
        GROUP_CASE(7)
      default:
        group_rows(f, TILE, yt, (size_t)y_stride, ws, wq, xt, x_row, dt, nbc, b0 == 0);
        break;
#undef GROUP_CASE
      }
    }
  }
}

NEON_INLINE void gemm_packed(enum packed_fmt f, float *y, int32_t y_stride, const void *w,
                             const void *x, int32_t n_in, int32_t n_out, int32_t n_rows) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t x_row = (size_t)nb * GQCRT_Q8_0_BYTES;
  float da[CHUNK][ROWS_PER_PASS];
  for (int32_t r = 0; r < n_rows; r += ROWS_PER_PASS) {
    const int32_t nr = n_rows - r < ROWS_PER_PASS ? n_rows - r : ROWS_PER_PASS;
    const uint8_t *xr = (const uint8_t *)x + (size_t)r * x_row;
    for (int32_t b0 = 0; b0 < nb; b0 += CHUNK) {
      const int32_t nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
      convert_scales(da, xr, x_row, nr, b0, nbc);
      gemm_pass(f, y + (size_t)r * (size_t)y_stride, y_stride, w, xr, nb, n_out, nr, b0, nbc,
                (const float(*)[ROWS_PER_PASS])da);
    }
  }
}

void gqcrt_gemm_q8_0_r4_neon(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,
                             int32_t n_out, int32_t n_rows) {
  if (n_rows == 1) { /* nothing to share: the matrix-vector kernel */
    gqcrt_linear_q8_0_r4_neon(y, w, x, n_in, n_out);
    return;
  }
  gemm_packed(FMT_Q8_0, y, y_stride, w, x, n_in, n_out, n_rows);
}

void gqcrt_gemm_q4_0_r4_neon(float *y, int32_t y_stride, const void *w, const void *x, int32_t n_in,
                             int32_t n_out, int32_t n_rows) {
  if (n_rows == 1) { /* nothing to share: the matrix-vector kernel */
    gqcrt_linear_q4_0_r4_neon(y, w, x, n_in, n_out);
    return;
  }
  gemm_packed(FMT_Q4_0, y, y_stride, w, x, n_in, n_out, n_rows);
}
