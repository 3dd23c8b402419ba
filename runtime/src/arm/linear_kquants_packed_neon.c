/* linear_kquants_packed_neon.c — NEON + dot-product linear kernels for Q4_K
 * and Q6_K weights in the r4 layouts (runtime/src/pack_kquants.c), against
 * Q8_K activations.
 *
 * How a super-block quad is computed
 *
 * The quad holds one super-block of four rows. Its quants come as 4 x 4
 * tiles (four quants of each row, row r in bytes 4r..4r+3), so one
 * SDOT-by-element against four activation quants adds row r's partial dot
 * product to lane r; the tiles of one sub-block give the four rows' exact
 * sub-block sums S_j in the four lanes of one vector. The layout stores the
 * sub-block scales transposed (byte 4j + r = scale j of row r), so after
 * widening, one int32x4 holds sub-block j's scale for the four rows, and
 *   isum += S_j * sc_j                   (MLA, four rows at once)
 * gives the rows' integer super-block sums with no reduction across lanes.
 * The plain NEON kernels (linear_kquants_neon.c) work one row at a time and
 * reduce every super-block; these execute about half the instructions per
 * weight: under qemu's instruction count (shapes 768 x 2048 and 2048 x 640),
 * Q4_K 7.2 instructions per 32 weights instead of 15.2-15.4, Q6_K 8.2
 * instead of 19.6-19.9. Measure again when changing this file: GCC's
 * register allocation is sensitive to how the loops are written (the Q4_K
 * chunk loop is kept rolled, which avoids spills).
 *
 * Q4_K: low nibbles of a tile are sub-block 2c, high nibbles sub-block 2c+1
 * (AND / USHR, one instruction per tile). The mins term
 *   summ_r = sum_j m_{r,j} * (bsums[2j] + bsums[2j+1])
 * is eight widening MLAs by element of the transposed mins against the
 * pairwise-added activation bsums.
 *
 * Q6_K: the layout stores each quant as u = (v - 32) in 6-bit two's
 * complement, three tiles in the top six bits of the bytes of vectors A, B,
 * C and the fourth tile spread over their low two bits. A & 0xFC etc. are
 * 4 (v - 32) as int8 (one AND per tile), the fourth tile is a SHL and two
 * SLIs; the -32 offset needs no bsums correction. The integer sums are four
 * times the true ones, still below 2^31, and SCVTF #2 divides the 4 out
 * exactly.
 *
 * Exactness: the integer sums equal the scalar reference's
 * (runtime/src/linear_kquants.c) and the f32 part repeats its operations in
 * its order, without FMA:
 *   Q4_K: sum += (d * da) * isum - (dmin * da) * summ
 *   Q6_K: sum += (d * da) * isum
 * so the results are bit-identical to the `_scalar` kernels.
 */
#include "gqcrt.h"
#include "arm/neon_packed_util.h"
#include "arm/neon_util.h"

#define Q8K_D 0
#define Q8K_QS 4
#define Q8K_BSUMS 260

#define S8(v) vreinterpretq_s8_u8(v)
#define S32(v) vreinterpretq_s32_u32(v)

/* The four groups of lanes 4j..4j+3 of v as int32x4 (j = 0..3). */
NEON_INLINE void widen_s8_to_s32(int8x16_t v, int32x4_t out[4]) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_high_s8(v);
  out[0] = vmovl_s16(vget_low_s16(lo));
  out[1] = vmovl_high_s16(lo);
  out[2] = vmovl_s16(vget_low_s16(hi));
  out[3] = vmovl_high_s16(hi);
}

/* ---- Q4_K ------------------------------------------------------------------ */

/* The quad's contribution (four rows) for activation block xb; *wq is the
 * quad, advanced past it. */
NEON_INLINE float32x4_t q4_k_quad(const uint8_t **wqp, const uint8_t *xb) {
  const uint8_t *wq = *wqp;
  /* Scales and mins: the 6-bit unpacking of archspec 6.3 on the transposed
   * bytes; lane 4j + r of sc_lo/m_lo is sub-block j (0..3) of row r, of
   * sc_hi/m_hi sub-block 4 + j. */
  const uint8x16_t A = vld1q_u8(wq + 16), B = vld1q_u8(wq + 32), C = vld1q_u8(wq + 48);
  const uint8x16_t m63 = vdupq_n_u8(63);
  const uint8x16_t sc_lo = vandq_u8(A, m63), m_lo = vandq_u8(B, m63);
  const uint8x16_t sc_hi = vsliq_n_u8(C, vshrq_n_u8(A, 6), 4);
  const uint8x16_t m_hi = vsliq_n_u8(vshrq_n_u8(C, 4), vshrq_n_u8(B, 6), 4);

  /* summ: pairs[j] = bsums[2j] + bsums[2j+1]; the mins widened to int16
   * hold sub-blocks (j, j+1) of the four rows in lanes 0..3 and 4..7. */
  const int16x8_t b0 = vld1q_s16((const int16_t *)(const void *)(xb + Q8K_BSUMS));
  const int16x8_t b1 = vld1q_s16((const int16_t *)(const void *)(xb + Q8K_BSUMS + 16));
  const int16x8_t pairs = vpaddq_s16(b0, b1);
  const int16x8_t m01 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(m_lo)));
  const int16x8_t m23 = vreinterpretq_s16_u16(vmovl_high_u8(m_lo));
  const int16x8_t m45 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(m_hi)));
  const int16x8_t m67 = vreinterpretq_s16_u16(vmovl_high_u8(m_hi));
  int32x4_t summ = vmull_laneq_s16(vget_low_s16(m01), pairs, 0);
  summ = vmlal_high_laneq_s16(summ, m01, pairs, 1);
  summ = vmlal_laneq_s16(summ, vget_low_s16(m23), pairs, 2);
  summ = vmlal_high_laneq_s16(summ, m23, pairs, 3);
  summ = vmlal_laneq_s16(summ, vget_low_s16(m45), pairs, 4);
  summ = vmlal_high_laneq_s16(summ, m45, pairs, 5);
  summ = vmlal_laneq_s16(summ, vget_low_s16(m67), pairs, 6);
  summ = vmlal_high_laneq_s16(summ, m67, pairs, 7);

  /* Quants: chunk c holds sub-blocks 2c (low nibbles) and 2c + 1 (high);
   * one SDOT chain per sub-block. */
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  const uint8_t *q = wq + 64;
  int32x4_t isum = vdupq_n_s32(0);
  uint16x8_t scales[4] = {vmovl_u8(vget_low_u8(sc_lo)), vmovl_high_u8(sc_lo),
                          vmovl_u8(vget_low_u8(sc_hi)), vmovl_high_u8(sc_hi)};
#pragma GCC unroll 1
  for (int c = 0; c < 4; c++) {
    /* Sub-blocks 2c and 2c + 1's scales of the four rows. */
    const uint16x8_t s8 = scales[c];
    const int32x4_t sc_a = S32(vmovl_u16(vget_low_u16(s8))), sc_b = S32(vmovl_high_u16(s8));
    const int8x16x4_t xv = vld1q_s8_x4(xq + 64 * c);
    const uint8x16x4_t q0 = vld1q_u8_x4(q);
    NEON_STREAM_ADVANCE(q, 64);
    const uint8x16x4_t q1 = vld1q_u8_x4(q);
    NEON_STREAM_ADVANCE(q, 64);
    int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
    /* Tile k of q0 / q1: elements 4k.. of the first / second 16 of each
     * sub-block. (Lane numbers must be literal constants for Clang.) */
#define Q4_K_TILES(k)                                                                              \
  lo = vdotq_laneq_s32(lo, S8(vandq_u8(q0.val[k], m4)), xv.val[0], k);                             \
  hi = vdotq_laneq_s32(hi, S8(vshrq_n_u8(q0.val[k], 4)), xv.val[2], k);                            \
  lo = vdotq_laneq_s32(lo, S8(vandq_u8(q1.val[k], m4)), xv.val[1], k);                             \
  hi = vdotq_laneq_s32(hi, S8(vshrq_n_u8(q1.val[k], 4)), xv.val[3], k)
    Q4_K_TILES(0);
    Q4_K_TILES(1);
    Q4_K_TILES(2);
    Q4_K_TILES(3);
#undef Q4_K_TILES
    isum = vmlaq_s32(isum, lo, sc_a);
    isum = vmlaq_s32(isum, hi, sc_b);
  }
  *wqp = q;

  const float16x8_t dd = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)(const void *)wq));
  const float da = neon_load_f32(xb + Q8K_D);
  const float32x4_t d = vmulq_n_f32(vcvt_f32_f16(vget_low_f16(dd)), da);
  const float32x4_t dmin = vmulq_n_f32(vcvt_high_f32_f16(dd), da);
  return vsubq_f32(vmulq_f32(d, vcvtq_f32_s32(isum)), vmulq_f32(dmin, vcvtq_f32_s32(summ)));
}

/* ---- Q6_K ------------------------------------------------------------------ */

NEON_INLINE float32x4_t q6_k_quad(const uint8_t **wqp, const uint8_t *xb) {
  const uint8_t *wq = *wqp;
  const float32x4_t d =
      vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)(const void *)wq)));
  const int8x16x4_t s8 = vld1q_s8_x4((const int8_t *)(wq + 8));
  int32x4_t sc[16];
  widen_s8_to_s32(s8.val[0], sc);
  widen_s8_to_s32(s8.val[1], sc + 4);
  widen_s8_to_s32(s8.val[2], sc + 8);
  widen_s8_to_s32(s8.val[3], sc + 12);
  const uint8x16_t mfc = vdupq_n_u8(0xfc);
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  const uint8_t *q = wq + 72;
  int32x4_t isum4 = vdupq_n_s32(0); /* 4 * the integer super-block sums */
#pragma GCC unroll 4
  for (int s4 = 0; s4 < 16; s4 += 4) {
    const int8x16x4_t xv = vld1q_s8_x4(xq + 16 * s4);
#pragma GCC unroll 4
    for (int s = 0; s < 4; s++) {
      const uint8x16x3_t abc = vld1q_u8_x3(q);
      NEON_STREAM_ADVANCE(q, 48);
      const uint8x16_t A = abc.val[0], B = abc.val[1], C = abc.val[2];
      const uint8x16_t t3 = vsliq_n_u8(vsliq_n_u8(vshlq_n_u8(C, 2), B, 4), A, 6);
      int32x4_t S = vdotq_laneq_s32(vdupq_n_s32(0), S8(vandq_u8(A, mfc)), xv.val[s], 0);
      S = vdotq_laneq_s32(S, S8(vandq_u8(B, mfc)), xv.val[s], 1);
      S = vdotq_laneq_s32(S, S8(vandq_u8(C, mfc)), xv.val[s], 2);
      S = vdotq_laneq_s32(S, S8(t3), xv.val[s], 3);
      isum4 = vmlaq_s32(isum4, S, sc[s4 + s]);
    }
  }
  *wqp = q;
  return vmulq_f32(vmulq_n_f32(d, neon_load_f32(xb + Q8K_D)), vcvtq_n_f32_s32(isum4, 2));
}

/* ---- row loops ------------------------------------------------------------ */

#define DEFINE_LINEAR_K_R4(enc)                                                                    \
  void gqcrt_linear_##enc##_r4_neon(float *y, const void *w, const void *x, int32_t n_in,          \
                                    int32_t n_out) {                                               \
    const int32_t nb = n_in / GQCRT_QK_K;                                                          \
    const uint8_t *wq = w;                                                                         \
    for (int32_t r = 0; r + 4 <= n_out; r += 4) {                                                  \
      const uint8_t *xb = x;                                                                       \
      float32x4_t acc = vdupq_n_f32(0);                                                            \
      for (int32_t b = 0; b < nb; b++) {                                                           \
        acc = vaddq_f32(acc, enc##_quad(&wq, xb));                                                 \
        xb += GQCRT_Q8_K_BYTES;                                                                    \
      }                                                                                            \
      vst1q_f32(y + r, acc);                                                                       \
    }                                                                                              \
  }

DEFINE_LINEAR_K_R4(q4_k)
DEFINE_LINEAR_K_R4(q6_k)
