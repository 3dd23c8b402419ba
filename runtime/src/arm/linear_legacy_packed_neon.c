/* linear_legacy_packed_neon.c — NEON + dot-product linear kernels for Q8_0
 * and Q4_0 weights in the r4 layouts (runtime/src/pack_legacy.c), against
 * Q8_0 activations.
 *
 * What the layout buys
 *
 * A row group (four rows) is its blocks' scales, 8 bytes per block, followed
 * by its blocks' quants as 4 x 4 tiles: tile t is four quants of each row,
 * row r in bytes 4r..4r+3. SDOT by element,
 *   vdotq_laneq_s32(acc, tile, xv, lane),
 * adds to lane r the dot product of row r's four quants with the four
 * activation quants in `lane` of xv, so after a block's tiles lane r of the
 * accumulator is row r's exact block sum: no reduction across lanes, and one
 * 16-byte load brings two blocks' scales for the four rows, where the plain
 * kernel (linear_legacy_neon.c) inserts scales lane by lane and reduces four
 * accumulators per block. Both streams are read with post-incremented loads
 * (neon_packed_util.h). Per weight, under qemu's instruction count
 * (FunctionGemma shapes 640 x 2048 and 2048 x 640), Q8_0 runs 5.6-5.7
 * instructions per 32 weights instead of 10.3-10.6, Q4_0 7.3-7.4 instead of
 * 12.0-12.4. Measure again when changing this file.
 *
 * Exactness
 *
 * Each block is one SDOT chain from zero; two blocks per iteration give two
 * independent chains. The float part repeats the scalar reference's
 * operations in its order, with no FMA (runtime/src/linear_legacy.c):
 *   Q8_0: sum += isum * (dw * da)        Q4_0: sum += (isum * dw) * da
 * Q4_0 tiles are stored as nibble ^ 8 (pack_legacy.c): shifting the low
 * nibble up by 4, or masking the high one, gives 16 (q - 8) as int8, and the
 * int -> f32 conversion divides the factor 16 out exactly (SCVTF #4). So the
 * results are bit-identical to the `_scalar` kernels.
 */
#include "gqcrt.h"
#include "arm/neon_packed_util.h"
#include "arm/neon_util.h"

enum packed_fmt { FMT_Q4_0, FMT_Q8_0 };

/* The four rows' exact sums of one block (times 16 for Q4_0): tiles at *q
 * (advanced past them, so that the loads post-increment one pointer),
 * activation block xb. */
NEON_INLINE int32x4_t block_isum(enum packed_fmt f, const uint8_t **qp, const uint8_t *xb) {
  const uint8_t *q = *qp;
  const int8x16_t xl = vld1q_s8((const int8_t *)(xb + 2));
  const int8x16_t xh = vld1q_s8((const int8_t *)(xb + 18));
  int32x4_t s = vdupq_n_s32(0);
  if (f == FMT_Q8_0) {
    const int8x16x4_t lo = vld1q_s8_x4((const int8_t *)q);
    NEON_STREAM_ADVANCE(q, 64);
    const int8x16x4_t hi = vld1q_s8_x4((const int8_t *)q);
    NEON_STREAM_ADVANCE(q, 64);
    s = vdotq_laneq_s32(s, lo.val[0], xl, 0);
    s = vdotq_laneq_s32(s, lo.val[1], xl, 1);
    s = vdotq_laneq_s32(s, lo.val[2], xl, 2);
    s = vdotq_laneq_s32(s, lo.val[3], xl, 3);
    s = vdotq_laneq_s32(s, hi.val[0], xh, 0);
    s = vdotq_laneq_s32(s, hi.val[1], xh, 1);
    s = vdotq_laneq_s32(s, hi.val[2], xh, 2);
    s = vdotq_laneq_s32(s, hi.val[3], xh, 3);
  } else {
    const uint8x16x4_t t = vld1q_u8_x4(q);
    NEON_STREAM_ADVANCE(q, 64);
    const uint8x16_t m = vdupq_n_u8(0xf0);
    /* (Lane numbers must be literal constants for Clang.) */
#define Q4_0_TILE(k)                                                                               \
  s = vdotq_laneq_s32(s, vreinterpretq_s8_u8(vshlq_n_u8(t.val[k], 4)), xl, k);                     \
  s = vdotq_laneq_s32(s, vreinterpretq_s8_u8(vandq_u8(t.val[k], m)), xh, k)
    Q4_0_TILE(0);
    Q4_0_TILE(1);
    Q4_0_TILE(2);
    Q4_0_TILE(3);
#undef Q4_0_TILE
  }
  *qp = q;
  return s;
}

/* acc + the block's term, in the scalar reference's order: dw holds the
 * four rows' scales, xb is the activation block. */
NEON_INLINE float32x4_t block_term(enum packed_fmt f, float32x4_t acc, int32x4_t isum,
                                   float32x4_t dw, const uint8_t *xb) {
  const float da = neon_load_f16(xb);
  if (f == FMT_Q8_0)
    return vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(isum), vmulq_n_f32(dw, da)));
  return vaddq_f32(acc, vmulq_n_f32(vmulq_f32(vcvtq_n_f32_s32(isum, 4), dw), da));
}

NEON_INLINE void linear_packed(enum packed_fmt f, float *y, const void *w, const void *x,
                               int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t XB = GQCRT_Q8_0_BYTES;
  const uint8_t *group = w;
  for (int32_t r = 0; r + 4 <= n_out; r += 4) {
    const uint8_t *ws = group, *wq = group + 8 * (size_t)nb, *xb = x;
    float32x4_t acc = vdupq_n_f32(0);
    /* Two blocks per iteration: one 16-byte load of their scales, two
     * independent SDOT chains. */
    for (const uint8_t *end = ws + 16 * (size_t)(nb / 2); ws != end; ws += 16) {
      const float16x8_t d = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)(const void *)ws));
      const int32x4_t i0 = block_isum(f, &wq, xb), i1 = block_isum(f, &wq, xb + XB);
      acc = block_term(f, acc, i0, vcvt_f32_f16(vget_low_f16(d)), xb);
      acc = block_term(f, acc, i1, vcvt_high_f32_f16(d), xb + XB);
      xb += 2 * XB;
    }
    if (nb % 2) {
      const float16x4_t d = vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)ws));
      acc = block_term(f, acc, block_isum(f, &wq, xb), vcvt_f32_f16(d), xb);
    }
    vst1q_f32(y + r, acc);
    group = wq;
  }
}

void gqcrt_linear_q8_0_r4_neon(float *y, const void *w, const void *x, int32_t n_in,
                               int32_t n_out) {
  linear_packed(FMT_Q8_0, y, w, x, n_in, n_out);
}

void gqcrt_linear_q4_0_r4_neon(float *y, const void *w, const void *x, int32_t n_in,
                               int32_t n_out) {
  linear_packed(FMT_Q4_0, y, w, x, n_in, n_out);
}
