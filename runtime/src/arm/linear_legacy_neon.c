/* linear_legacy_neon.c — NEON + dot-product linear kernels for the 32-element
 * ggml block formats: Q4_0, Q5_0 and Q8_0 against Q8_0 activations, Q4_1 and
 * Q5_1 against Q8_1 activations (archspec 6.2, 7.2).
 *
 * What is computed
 *
 * Every block contributes isum * (dw * da) (plus mw * s_a for the _1
 * formats), where isum = sum_j qw_j * qa_j is an exact integer. The weight
 * quants are unpacked into two int8x16 vectors (elements 0..15 and 16..31;
 * the low nibbles of a 4/5-bit block are its first 16 elements) and
 * multiplied against the activation quants with SDOT.
 *
 * Four rows in four lanes
 *
 * A matrix-vector product reads every activation block once per row; the
 * kernel walks four weight rows together so that each activation block is
 * loaded once for four rows (on the Cortex-A55, with a single load pipe,
 * loads are what limits these loops), and it keeps row i of the four in
 * lane i of every vector:
 *
 *  - each row has a running int32x4 SDOT accumulator run[i] that is never
 *    reset; after a block, two rounds of pairwise adds (ADDP) give the
 *    vector S of the four rows' running totals, and S minus the previous S
 *    is the vector of the four rows' exact block sums isum. (Wrap-around of
 *    the running totals is harmless: the difference is exact mod 2^32 and
 *    |isum| < 2^31.) This saves re-zeroing an accumulator per block;
 *  - the four rows' weight scales are gathered into one vector and the
 *    block's term is added to the four rows' f32 sums with the same
 *    operations, in the same order, as the scalar reference
 *    (runtime/src/linear_legacy.c): isum * (dw * da) for Q5_0/Q8_0,
 *    (isum * dw) * da for Q4_0, (dw * da) * isum + mw * s_a for Q4_1/Q5_1,
 *    with separate multiplies and adds (no FMA).
 *
 * So each row is accumulated block by block in block order with the scalar
 * reference's roundings: the results are bit-identical to the `_scalar`
 * kernels (as long as the compiler does not contract the reference's
 * multiply-adds: GCC in ISO C mode does not). There is no horizontal
 * reduction and no remainder loop;
 * n_out % 4 leftover rows run through the same code with the missing rows
 * replaced by a copy of the first one, whose lanes are not stored.
 *
 * Unpacking tricks: Q4_0's q - 8 comes from nibble ^ 8 read as a signed
 * 4-bit number, i.e. (v ^ 0x88) & 0xF0 is 16 (qh - 8) and (v ^ 0x88) << 4
 * is 16 (ql - 8), so the block sums come out times 16, which the int->f32
 * conversion divides out (SCVTF #4, exact). For Q5_0 and Q5_1 the 5th bit (bit j of the
 * 32-bit qh is element j) is expanded to byte masks of the clear bits with
 * table lookups and CMTST (q5_clear_masks); q - 16 is then the
 * nibble with 0xF0 or-ed in where the bit is clear, one BSL (low nibbles)
 * or SRI (high nibbles) per 16 quants. Q5_1 wants q itself and adds
 * 16 * sum(qa), computed once per block for the four rows, to the block
 * sums.
 *
 * The code is written once, as always-inline functions taking the format as
 * a constant; each public kernel instantiates it.
 */
#include "gqcrt.h"
#include "arm/neon_util.h"

enum legacy_fmt { FMT_Q4_0, FMT_Q4_1, FMT_Q5_0, FMT_Q5_1, FMT_Q8_0 };

/* Bytes per weight block. */
NEON_INLINE size_t w_block_bytes(enum legacy_fmt f) {
  switch (f) {
  case FMT_Q4_0:
    return GQCRT_Q4_0_BYTES;
  case FMT_Q4_1:
    return GQCRT_Q4_1_BYTES;
  case FMT_Q5_0:
    return GQCRT_Q5_0_BYTES;
  case FMT_Q5_1:
    return GQCRT_Q5_1_BYTES;
  default:
    return GQCRT_Q8_0_BYTES;
  }
}

/* Formats with a per-block min, which take Q8_1 activations. */
NEON_INLINE int has_min(enum legacy_fmt f) {
  return f == FMT_Q4_1 || f == FMT_Q5_1;
}

/* run + the integer partial sums of weight block wb against the activation
 * quants xl (elements 0..15) and xh (16..31): the four lanes of the added
 * part sum to isum (to 16 isum for Q4_0). For Q5_0/Q5_1, clear_lo/clear_hi
 * are the block's expanded clear-bit masks of qh (see q5_clear_masks). */
NEON_INLINE int32x4_t block_dot(enum legacy_fmt f, int32x4_t run, const uint8_t *wb, int8x16_t xl,
                                int8x16_t xh, uint8x16_t clear_lo, uint8x16_t clear_hi) {
  int8x16_t lo, hi;
  if (f == FMT_Q8_0) {
    lo = vld1q_s8((const int8_t *)wb + 2);
    hi = vld1q_s8((const int8_t *)wb + 18);
  } else if (f == FMT_Q4_0) {
    const uint8x16_t t = veorq_u8(vld1q_u8(wb + 2), vdupq_n_u8(0x88));
    lo = vreinterpretq_s8_u8(vshlq_n_u8(t, 4));
    hi = vreinterpretq_s8_u8(vandq_u8(t, vdupq_n_u8(0xf0)));
  } else if (f == FMT_Q4_1) {
    const uint8x16_t v = vld1q_u8(wb + 4);
    lo = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0f)));
    hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
  } else {
    /* Q5_0 and Q5_1 alike: q - 16 = nibble | (bit ? 0 : 0xF0) as int8. */
    const uint8x16_t v = vld1q_u8(wb + (f == FMT_Q5_0 ? 6 : 8));
    lo = vreinterpretq_s8_u8(vbslq_u8(vdupq_n_u8(0x0f), v, clear_lo));
    hi = vreinterpretq_s8_u8(vsriq_n_u8(clear_hi, v, 4));
  }
  return vdotq_s32(vdotq_s32(run, lo, xl), hi, xh);
}

/* Q5_0/Q5_1: the 32-bit qh of the four rows' current blocks, expanded into
 * byte masks of the clear bits: lane j of lo[i] is 0xFF when bit j of row
 * i's qh is 0, lane j of hi[i] when bit 16 + j is. One vector holds all
 * four qh words, so the load and the inversion are shared; EXT brings row
 * i's word to the bottom, a table lookup per 16 lanes spreads each byte
 * over 8 lanes, and CMTST picks its bits. */
NEON_INLINE void q5_clear_masks(const uint8_t *q0, const uint8_t *q1, const uint8_t *q2,
                                const uint8_t *q3, uint8x16_t lo[4], uint8x16_t hi[4]) {
  static const uint8_t idx_lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  static const uint8_t idx_hi[16] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  uint32x4_t v = vld1q_dup_u32((const uint32_t *)(const void *)q0);
  v = vld1q_lane_u32((const uint32_t *)(const void *)q1, v, 1);
  v = vld1q_lane_u32((const uint32_t *)(const void *)q2, v, 2);
  v = vld1q_lane_u32((const uint32_t *)(const void *)q3, v, 3);
  const uint8x16_t inv = vmvnq_u8(vreinterpretq_u8_u32(v)), bits = vld1q_u8(bit);
  const uint8x16_t il = vld1q_u8(idx_lo), ih = vld1q_u8(idx_hi);
  const uint8x16_t r[4] = {inv, vextq_u8(inv, inv, 4), vextq_u8(inv, inv, 8),
                           vextq_u8(inv, inv, 12)};
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    lo[i] = vtstq_u8(vqtbl1q_u8(r[i], il), bits);
    hi[i] = vtstq_u8(vqtbl1q_u8(r[i], ih), bits);
  }
}

/* The f16 at offset `at` of the current block of each of the four rows. */
NEON_INLINE float32x4_t gather_f16(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2,
                                   const uint8_t *w3, size_t at) {
  uint16x4_t h = vld1_dup_u16((const uint16_t *)(const void *)(w0 + at));
  h = vld1_lane_u16((const uint16_t *)(const void *)(w1 + at), h, 1);
  h = vld1_lane_u16((const uint16_t *)(const void *)(w2 + at), h, 2);
  h = vld1_lane_u16((const uint16_t *)(const void *)(w3 + at), h, 3);
  return vcvt_f32_f16(vreinterpret_f16_u16(h));
}

/* The running state of four rows: per-row SDOT accumulators, the previous
 * vector of running totals, and the four f32 sums. */
typedef struct {
  int32x4_t run0, run1, run2, run3, prev;
  int32x4_t runx; /* Q5_1: running SDOT sums of the activation quants */
  float32x4_t acc;
} rows4_state;

/* The four rows' f16 pair (d, m) at the start of their current blocks, as
 * *d = (d0, d1, d2, d3) and *m = (m0, m1, m2, m3). */
NEON_INLINE void gather_f16_pairs(const uint8_t *w0, const uint8_t *w1, const uint8_t *w2,
                                  const uint8_t *w3, float32x4_t *d, float32x4_t *m) {
  uint32x4_t v = vld1q_dup_u32((const uint32_t *)(const void *)w0);
  v = vld1q_lane_u32((const uint32_t *)(const void *)w1, v, 1);
  v = vld1q_lane_u32((const uint32_t *)(const void *)w2, v, 2);
  v = vld1q_lane_u32((const uint32_t *)(const void *)w3, v, 3);
  const float16x8_t h = vreinterpretq_f16_u32(v);
  const float32x4_t lo = vcvt_f32_f16(vget_low_f16(h)), hi = vcvt_high_f32_f16(h);
  *d = vuzp1q_f32(lo, hi);
  *m = vuzp2q_f32(lo, hi);
}

/* Adds one block, at byte offset `at` of each row pointer and activation
 * block xb, to the four rows' sums. */
NEON_INLINE void rows4_block(enum legacy_fmt f, rows4_state *st, const uint8_t *w0,
                             const uint8_t *w1, const uint8_t *w2, const uint8_t *w3, size_t at,
                             const uint8_t *xb) {
  const size_t XQ = has_min(f) ? 4 : 2; /* offset of the activation quants */
  const int8x16_t xl = vld1q_s8((const int8_t *)(xb + XQ));
  const int8x16_t xh = vld1q_s8((const int8_t *)(xb + XQ + 16));
  uint8x16_t clo[4], chi[4];
  if (f == FMT_Q5_0 || f == FMT_Q5_1) {
    const size_t qh_at = at + (f == FMT_Q5_0 ? 2 : 4);
    q5_clear_masks(w0 + qh_at, w1 + qh_at, w2 + qh_at, w3 + qh_at, clo, chi);
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
      clo[i] = chi[i] = vdupq_n_u8(0);
    }
  }
  st->run0 = block_dot(f, st->run0, w0 + at, xl, xh, clo[0], chi[0]);
  st->run1 = block_dot(f, st->run1, w1 + at, xl, xh, clo[1], chi[1]);
  st->run2 = block_dot(f, st->run2, w2 + at, xl, xh, clo[2], chi[2]);
  st->run3 = block_dot(f, st->run3, w3 + at, xl, xh, clo[3], chi[3]);
  int32x4_t s = neon_block_sums4(st->run0, st->run1, st->run2, st->run3);
  if (f == FMT_Q5_1) {
    /* Running totals of sum (q - 16) * qa + 16 * sum qa = sum q * qa. */
    const int8x16_t ones = vdupq_n_s8(1);
    st->runx = vdotq_s32(vdotq_s32(st->runx, ones, xl), ones, xh);
    s = vmlaq_s32(s, vdupq_n_s32(vaddvq_s32(st->runx)), vdupq_n_s32(16));
  }
  const int32x4_t isum = vsubq_s32(s, st->prev);
  st->prev = s;
  /* The f32 part, in the scalar reference's order of operations (see the
   * top of the file); Q4_0's sums are 16 isum, which SCVTF #4 divides out. */
  if (has_min(f)) {
    /* (da, sa) of the activation block, (dw, mw) of the four rows. */
    const float32x4_t a =
        vcvt_f32_f16(vreinterpret_f16_u32(vld1_dup_u32((const uint32_t *)(const void *)xb)));
    float32x4_t dw, mw;
    gather_f16_pairs(w0 + at, w1 + at, w2 + at, w3 + at, &dw, &mw);
    const float32x4_t t = vmulq_f32(vmulq_laneq_f32(dw, a, 0), vcvtq_f32_s32(isum));
    st->acc = vaddq_f32(st->acc, vaddq_f32(t, vmulq_laneq_f32(mw, a, 1)));
  } else {
    const float da = neon_load_f16(xb);
    const float32x4_t dw = gather_f16(w0 + at, w1 + at, w2 + at, w3 + at, 0);
    if (f == FMT_Q4_0) {
      const float32x4_t t = vmulq_f32(vcvtq_n_f32_s32(isum, 4), dw);
      st->acc = vaddq_f32(st->acc, vmulq_n_f32(t, da));
    } else {
      st->acc = vaddq_f32(st->acc, vmulq_f32(vcvtq_f32_s32(isum), vmulq_n_f32(dw, da)));
    }
  }
}

/* y[0..n_rows) for n_rows (1..4) consecutive weight rows starting at w.
 * Two blocks per iteration, to spend fewer instructions on the loop. */
NEON_INLINE void linear_rows4(enum legacy_fmt f, float *y, const uint8_t *w, size_t row,
                              const uint8_t *x, int32_t nb, int n_rows) {
  const size_t WB = w_block_bytes(f), XB = has_min(f) ? GQCRT_Q8_1_BYTES : GQCRT_Q8_0_BYTES;
  const uint8_t *w0 = w, *w1 = w + (n_rows > 1 ? row : 0);
  const uint8_t *w2 = w + (n_rows > 2 ? 2 * row : 0), *w3 = w + (n_rows > 3 ? 3 * row : 0);
  rows4_state st;
  st.run0 = st.run1 = st.run2 = st.run3 = st.prev = st.runx = vdupq_n_s32(0);
  st.acc = vdupq_n_f32(0);
  const uint8_t *xb = x;
  int32_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    rows4_block(f, &st, w0, w1, w2, w3, 0, xb);
    rows4_block(f, &st, w0, w1, w2, w3, WB, xb + XB);
    w0 += 2 * WB;
    w1 += 2 * WB;
    w2 += 2 * WB;
    w3 += 2 * WB;
    xb += 2 * XB;
  }
  if (b < nb) {
    rows4_block(f, &st, w0, w1, w2, w3, 0, xb);
  }
  if (n_rows == 4) {
    vst1q_f32(y, st.acc);
  } else {
    float t[4];
    vst1q_f32(t, st.acc);
    for (int i = 0; i < n_rows; i++) {
      y[i] = t[i];
    }
  }
}

NEON_INLINE void linear_legacy(enum legacy_fmt f, float *y, const void *w, const void *x,
                               int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const size_t row = (size_t)nb * w_block_bytes(f);
  for (int32_t r = 0; r < n_out; r += 4) {
    const int32_t n_rows = n_out - r < 4 ? n_out - r : 4;
    linear_rows4(f, y + r, (const uint8_t *)w + (size_t)r * row, row, x, nb, n_rows);
  }
}
void gqcrt_linear_q4_0_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_legacy(FMT_Q4_0, y, w, x, n_in, n_out);
}

void gqcrt_linear_q4_1_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_legacy(FMT_Q4_1, y, w, x, n_in, n_out);
}

void gqcrt_linear_q5_0_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_legacy(FMT_Q5_0, y, w, x, n_in, n_out);
}

void gqcrt_linear_q5_1_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_legacy(FMT_Q5_1, y, w, x, n_in, n_out);
}

void gqcrt_linear_q8_0_neon(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  linear_legacy(FMT_Q8_0, y, w, x, n_in, n_out);
}
