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

/* The four rows' exact sums of one block (times 16 for Q4_0): tiles at *q
 * (advanced past them, so that the loads post-increment one pointer),
 * activation quants xl (elements 0..15) and xh (16..31). */
NEON_INLINE int32x4_t block_isum(enum packed_fmt f, const uint8_t **qp, int8x16_t xl,
                                 int8x16_t xh) {
  const uint8_t *q = *qp;
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
 * four rows' scales, da the activation block's. */
NEON_INLINE float32x4_t block_term(enum packed_fmt f, float32x4_t acc, int32x4_t isum,
                                   float32x4_t dw, float da) {
  if (f == FMT_Q8_0)
    return vaddq_f32(acc, vmulq_f32(vcvtq_f32_s32(isum), vmulq_n_f32(dw, da)));
  return vaddq_f32(acc, vmulq_n_f32(vmulq_f32(vcvtq_n_f32_s32(isum, 4), dw), da));
}

/* Q4_0, four row groups, n >= 1 iterations of two blocks: the loop of
 * groups() below written out in assembly, the same instructions on the same
 * values in the same order per row group (so the same bits), without what
 * GCC adds around them (a copy of every block's zeroed accumulator, the two
 * activation scales loaded separately and one duplicated, three induction
 * variables): 196 instructions per iteration against 200, 6.13 per 32
 * weights. Registers: v16-v19 the groups' scales of both blocks (f16), v20/
 * v21 the activation block's quants 0-15/16-31, v22 both blocks' activation
 * scales, v23 a group's four row scales (f32), v24 the block's integer sums,
 * v25-v28 its tiles, v29 a tile's low nibbles. */
// clang-format off
#define Q4_0_ASM_TILE(k, t)                                                                        \
  "shl v29.16b, " t ".16b, #4\n"                                                                   \
  "and " t ".16b, " t ".16b, %[m].16b\n"                                                           \
  "sdot v24.4s, v29.16b, v20.4b[" k "]\n"                                                          \
  "sdot v24.4s, " t ".16b, v21.4b[" k "]\n"
#define Q4_0_ASM_GROUP_BLOCK(acc, wq, cvt_scales, lane)                                            \
  cvt_scales                                                                                       \
  "movi v24.4s, #0\n"                                                                              \
  "ld1 {v25.16b, v26.16b, v27.16b, v28.16b}, [%[" wq "]], #64\n"                                   \
  Q4_0_ASM_TILE("0", "v25") Q4_0_ASM_TILE("1", "v26")                                              \
  Q4_0_ASM_TILE("2", "v27") Q4_0_ASM_TILE("3", "v28")                                              \
  "scvtf v24.4s, v24.4s, #4\n"                                                                     \
  "fmul v24.4s, v24.4s, v23.4s\n"                                                                  \
  "fmul v24.4s, v24.4s, v22.s[" lane "]\n"                                                         \
  "fadd %[" acc "].4s, %[" acc "].4s, v24.4s\n"
/* One block of the four groups: their scales widened by cvt (FCVTL for the
 * first block of the two, FCVTL2 for the second) from lanes `half`. */
#define Q4_0_ASM_BLOCK(cvt, half, lane)                                                            \
  Q4_0_ASM_GROUP_BLOCK("a0", "w0", cvt " v23.4s, v16." half "\n", lane)                            \
  Q4_0_ASM_GROUP_BLOCK("a1", "w1", cvt " v23.4s, v17." half "\n", lane)                            \
  Q4_0_ASM_GROUP_BLOCK("a2", "w2", cvt " v23.4s, v18." half "\n", lane)                            \
  Q4_0_ASM_GROUP_BLOCK("a3", "w3", cvt " v23.4s, v19." half "\n", lane)
// clang-format on
NEON_INLINE void q4_0_groups4_asm(float32x4_t acc[4], const uint8_t *ws[4], const uint8_t *wq[4],
                                  const uint8_t **xb, const float **da, int32_t n) {
  float32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  /* the groups' scales are group_bytes apart: two pointers, each loading
   * its group and the next one at +gb (an asm takes at most 30 operands) */
  const uint8_t *s0 = ws[0], *s2 = ws[2];
  const int64_t gb = ws[1] - ws[0];
  const uint8_t *w0 = wq[0], *w1 = wq[1], *w2 = wq[2], *w3 = wq[3];
  const uint8_t *x = *xb;
  const float *d = *da;
  const uint8x16_t m = vdupq_n_u8(0xf0);
  // clang-format off
  __asm__ volatile(
      "1:\n"
      "ldr q17, [%[s0], %[gb]]\n"
      "ldr q16, [%[s0]], #16\n"
      "ldr q19, [%[s2], %[gb]]\n"
      "ldr q18, [%[s2]], #16\n"
      "ldr d22, [%[d]], #8\n"
      "ldur q20, [%[x], #2]\n"
      "ldur q21, [%[x], #18]\n"
      Q4_0_ASM_BLOCK("fcvtl", "4h", "0")
      "ldur q20, [%[x], #36]\n"
      "ldur q21, [%[x], #52]\n"
      "add %[x], %[x], #68\n"
      Q4_0_ASM_BLOCK("fcvtl2", "8h", "1")
      "subs %w[n], %w[n], #1\n"
      "b.ne 1b\n"
      : [a0] "+w"(a0), [a1] "+w"(a1), [a2] "+w"(a2), [a3] "+w"(a3), [s0] "+r"(s0), [s2] "+r"(s2),
        [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [x] "+r"(x), [d] "+r"(d),
        [n] "+r"(n)
      : [m] "w"(m), [gb] "r"(gb)
      : "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",
        "v29", "cc", "memory");
  // clang-format on
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
  ws[0] = s0, ws[1] = s0 + gb, ws[2] = s2, ws[3] = s2 + gb;
  wq[0] = w0, wq[1] = w1, wq[2] = w2, wq[3] = w3;
  *xb = x;
  *da = d;
}
#undef Q4_0_ASM_BLOCK
#undef Q4_0_ASM_GROUP_BLOCK
#undef Q4_0_ASM_TILE

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
 * 4 x 32 weights) and Q8_0 from 5.0 to 4.6; Q4_0 with four groups runs
 * the same loop as q4_0_groups4_asm above: 6.15-6.24 (the loop 6.13). */
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
  if (f == FMT_Q4_0 && G == 4 && nbc >= 2) {
    const float *dp = da;
    q4_0_groups4_asm(acc, ws, wq, &xb, &dp, nbc / 2);
    b = nbc / 2 * 2;
  }
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
