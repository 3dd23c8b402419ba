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
 * (Qwen2.5-0.5B shapes, below), Q8_0 runs 4.6 instructions per 32 weights
 * instead of 10.3-10.6, Q4_0 6.4 instead of 12.0-12.4. Measure again when
 * changing this file.
 *
 * Exactness
 *
 * Each block is one SDOT chain from zero per row group; up to four row
 * groups (independent chains) share each activation block load (and its
 * scale, converted to f32 once per call). The float part repeats the scalar reference's
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

/* GCC's scheduling before register allocation hoists the tiles' loads and
 * nibble unpacking of all four row groups ahead of their SDOTs and spills
 * the result; without it the loop keeps its written order (measured with
 * one block per iteration: 6.9 -> 6.7 instructions per 32 weights for Q4_0,
 * 4.9 -> 4.7 for Q8_0). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif

enum packed_fmt { FMT_Q4_0, FMT_Q8_0 };

/* A zero vector materialised where it is used. GCC keeps vdupq_n_s32(0)
 * in one register and copies it into each block's SDOT accumulator, and with
 * the Q4_0 tiles' four consecutive registers (LD1 x4) that cost one more
 * MOV per block (Q4_0: 6.43 -> 6.33 instructions per 32 weights; Q8_0's loop
 * is better with the copy, 4.58 against 4.61). */
NEON_INLINE int32x4_t zero_s32(void) {
  int32x4_t z;
  __asm__ volatile("movi %0.4s, #0" : "=w"(z));
  return z;
}

/* The four rows' exact sums of one block (times 16 for Q4_0): tiles at *q
 * (advanced past them, so that the loads post-increment one pointer),
 * activation quants xl (elements 0..15) and xh (16..31). */
NEON_INLINE int32x4_t block_isum(enum packed_fmt f, const uint8_t **qp, int8x16_t xl,
                                 int8x16_t xh) {
  const uint8_t *q = *qp;
  int32x4_t s = vdupq_n_s32(0);
  if (f == FMT_Q4_0) /* a MOVI of its own (see zero_s32) */
    s = zero_s32();
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
 * four rows' scales, da the activation block's. */
NEON_INLINE float32x4_t block_term(enum packed_fmt f, float32x4_t acc, int32x4_t isum,
                                   float32x4_t dw, float da) {
  if (f == FMT_Q8_0)
    return vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(isum), vmulq_n_f32(dw, da)));
  return vaddq_f32(acc, vmulq_n_f32(vmulq_f32(vcvtq_n_f32_s32(isum, 4), dw), da));
}

/* The activation's scales are converted to f32 CHUNK blocks at a time (a
 * 1 KiB stack buffer); a long row is worked chunk by chunk, its partial sums
 * carried through y (an exact store and reload). */
enum { CHUNK = 256, MAX_GROUPS = 4 };

/* G row groups (1, 2 or 4) starting at `group` (group_bytes apart), blocks
 * [b0, b0 + nbc) of nb, against activation x whose scales are da[0 ..
 * nbc): acc[g] (lane r = row 4g + r) from y, or zero when b0 == 0, and back.
 * Each group's scales and tiles are read through their own pointers; the
 * activation block, loaded once, serves every group. With four groups each
 * activation load and scale serves sixteen rows; two blocks per iteration
 * bring each group's two scale sets in one 16-byte load, and the blocks are
 * taken one after the other so that the live registers (four accumulators
 * and scale vectors, one block's activation, one group's tiles) fit without
 * spilling. Under qemu, on Qwen2.5-0.5B's 896 x 4864, 4864 x 896 and
 * 896 x 904, this and the scheduling note above took Q4_0 from 7.5 to 6.4
 * instructions per 32 weights (the loop itself 6.35: 8 SDOTs, 8 unpacking
 * operations, the zeroing and 5.5 for the load, scale and f32 chain per
 * 4 x 32 weights) and Q8_0 from 5.0 to 4.6. */
NEON_INLINE void groups(enum packed_fmt f, int G, float *y, const uint8_t *group,
                        size_t group_bytes, const uint8_t *x, const float *da, int32_t nb,
                        int32_t b0, int32_t nbc) {
  const size_t tile_bytes = f == FMT_Q8_0 ? 128 : 64;
  const uint8_t *ws[MAX_GROUPS], *wq[MAX_GROUPS];
  float32x4_t acc[MAX_GROUPS];
  for (int g = 0; g < G; g++) {
    const uint8_t *grp = group + (size_t)g * group_bytes;
    ws[g] = grp + 8 * (size_t)b0;
    wq[g] = grp + 8 * (size_t)nb + tile_bytes * (size_t)b0;
    acc[g] = b0 ? vld1q_f32(y + 4 * g) : vdupq_n_f32(0);
  }
  const uint8_t *xb = x + (size_t)b0 * GQCRT_Q8_0_BYTES;
  int32_t b = 0;
  for (; b + 2 <= nbc; b += 2, xb += 2 * GQCRT_Q8_0_BYTES) {
    /* two blocks' scales of each group in one 16-byte load */
    float16x8_t d[MAX_GROUPS];
    for (int g = 0; g < G; g++) {
      d[g] = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)(const void *)ws[g]));
      NEON_STREAM_ADVANCE(ws[g], 16);
    }
    const int8x16_t x0l = vld1q_s8((const int8_t *)(xb + 2));
    const int8x16_t x0h = vld1q_s8((const int8_t *)(xb + 18));
    for (int g = 0; g < G; g++)
      acc[g] = block_term(f, acc[g], block_isum(f, &wq[g], x0l, x0h),
                          vcvt_f32_f16(vget_low_f16(d[g])), da[b]);
    const int8x16_t x1l = vld1q_s8((const int8_t *)(xb + GQCRT_Q8_0_BYTES + 2));
    const int8x16_t x1h = vld1q_s8((const int8_t *)(xb + GQCRT_Q8_0_BYTES + 18));
    for (int g = 0; g < G; g++)
      acc[g] = block_term(f, acc[g], block_isum(f, &wq[g], x1l, x1h), vcvt_high_f32_f16(d[g]),
                          da[b + 1]);
  }
  for (; b < nbc; b++, xb += GQCRT_Q8_0_BYTES) {
    const int8x16_t xl = vld1q_s8((const int8_t *)(xb + 2));
    const int8x16_t xh = vld1q_s8((const int8_t *)(xb + 18));
    for (int g = 0; g < G; g++) {
      const float16x4_t d = vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)ws[g]));
      NEON_STREAM_ADVANCE(ws[g], 8);
      acc[g] = block_term(f, acc[g], block_isum(f, &wq[g], xl, xh), vcvt_f32_f16(d), da[b]);
    }
  }
  for (int g = 0; g < G; g++)
    vst1q_f32(y + 4 * g, acc[g]);
}

NEON_INLINE void linear_packed(enum packed_fmt f, float *y, const void *w, const void *x,
                               int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t group_bytes = 4 * (size_t)nb * (f == FMT_Q8_0 ? GQCRT_Q8_0_BYTES : GQCRT_Q4_0_BYTES);
  float da[CHUNK];
  for (int32_t b0 = 0; b0 < nb; b0 += CHUNK) {
    const int32_t nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
    for (int32_t b = 0; b < nbc; b++)
      da[b] = neon_load_f16((const uint8_t *)x + (size_t)(b0 + b) * GQCRT_Q8_0_BYTES);
    int32_t r = 0;
    for (; r + 16 <= n_out; r += 16)
      groups(f, 4, y + r, (const uint8_t *)w + (size_t)(r / 4) * group_bytes, group_bytes, x, da,
             nb, b0, nbc);
    for (; r + 8 <= n_out; r += 8)
      groups(f, 2, y + r, (const uint8_t *)w + (size_t)(r / 4) * group_bytes, group_bytes, x, da,
             nb, b0, nbc);
    if (r + 4 <= n_out)
      groups(f, 1, y + r, (const uint8_t *)w + (size_t)(r / 4) * group_bytes, group_bytes, x, da,
             nb, b0, nbc);
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
