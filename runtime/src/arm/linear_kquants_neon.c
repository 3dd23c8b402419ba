/* linear_kquants_neon.c — NEON + dot-product linear kernels for the k-quant
 * weight formats Q2_K, Q3_K, Q4_K, Q5_K and Q6_K against Q8_K activations
 * (archspec 6.3, 7.1, 7.2).
 *
 * How a super-block is computed
 *
 * A super-block holds 256 weights in sub-blocks of 16 (Q2_K, Q3_K, Q6_K) or
 * 32 (Q4_K, Q5_K) elements, each with its own small integer scale (and, for
 * Q2_K/Q4_K/Q5_K, an integer min). The dot product with a Q8_K block is
 *
 *   d_w * d_a * sum_s sc_s * (sum_{e in s} q_e * qa_e)  -  dmin_w * d_a * sum_s m_s * bsum_s
 *
 * where both sums over s are exact integers. The quants of one sub-block
 * are unpacked into int8x16 vectors and multiplied against the activation
 * with SDOT; the resulting four int32 lanes are multiplied by the
 * sub-block's scale (MLA by element, the scales widened to int32 lanes) into
 * one int32x4 accumulator, which is added up once per super-block. The min
 * term uses the activation's precomputed 16-element sums (bsums), so the
 * mins never touch the quants. For Q6_K the -32 offset of every quant is
 * handled the same way: sum_s sc_s * sum (q - 32) * qa =
 * sum_s sc_s * sum q * qa - 32 * sum_s sc_s * bsum_s.
 *
 * The integer sums are therefore exactly the scalar reference's, and the
 * f32 part uses the same operations in the same order as
 * runtime/src/linear_kquants.c: per super-block (dw * da) * isum
 * - (dmin * da) * summ, added to the row's sum super-block by super-block.
 * The results are bit-identical to the `_scalar` kernels.
 *
 * Lane numbers of the MLA-by-element must be constants, so each super-block
 * is written out with its sub-block -> lane mapping spelled out.
 */
#include "gqcrt.h"
#include "arm/neon_util.h"

#define Q8K_D 0
#define Q8K_QS 4
#define Q8K_BSUMS 260

/* Sixteen int8 scales as four int32x4 vectors. */
static inline void widen_scales16(int8x16_t s8, int32x4_t sc[4]) {
  const int16x8_t lo = vmovl_s8(vget_low_s8(s8)), hi = vmovl_high_s8(s8);
  sc[0] = vmovl_s16(vget_low_s16(lo));
  sc[1] = vmovl_high_s16(lo);
  sc[2] = vmovl_s16(vget_low_s16(hi));
  sc[3] = vmovl_high_s16(hi);
}

/* Eight uint8 scales (0..63) as two int32x4 vectors. */
static inline void widen_scales8(const uint8_t s[8], int32x4_t sc[2]) {
  const int16x8_t v = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(s)));
  sc[0] = vmovl_s16(vget_low_s16(v));
  sc[1] = vmovl_high_s16(v);
}

/* sum_{i<16} s16[i] * bsums[i] for sixteen int16 factors in two vectors. */
static inline int32_t dot_bsums16(int16x8_t f0, int16x8_t f1, const uint8_t *bsums) {
  const int16x8_t b0 = vld1q_s16((const int16_t *)(const void *)bsums);
  const int16x8_t b1 = vld1q_s16((const int16_t *)(const void *)bsums + 8);
  int32x4_t a = vmull_s16(vget_low_s16(f0), vget_low_s16(b0));
  a = vmlal_high_s16(a, f0, b0);
  a = vmlal_s16(a, vget_low_s16(f1), vget_low_s16(b1));
  a = vmlal_high_s16(a, f1, b1);
  return vaddvq_s32(a);
}

/* sum_{j<8} m[j] * (bsums[2j] + bsums[2j+1]): the Q4_K/Q5_K min term. */
static inline int32_t dot_bsums_pairs(const uint8_t m[8], const uint8_t *bsums) {
  const int16x8_t b0 = vld1q_s16((const int16_t *)(const void *)bsums);
  const int16x8_t b1 = vld1q_s16((const int16_t *)(const void *)bsums + 8);
  const int16x8_t pairs = vpaddq_s16(b0, b1);
  const int16x8_t mv = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(m)));
  const int32x4_t a = vmull_s16(vget_low_s16(mv), vget_low_s16(pairs));
  return vaddvq_s32(vmlal_high_s16(a, mv, pairs));
}

static inline int32x4_t sdot16(int8x16_t w, const int8_t *x) {
  return vdotq_s32(vdupq_n_s32(0), w, vld1q_s8(x));
}

static inline int32x4_t sdot32(int8x16_t w0, int8x16_t w1, const int8_t *x) {
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, vld1q_s8(x)), w1, vld1q_s8(x + 16));
}

#define S8(v) vreinterpretq_s8_u8(v)

/* ---- Q2_K ---------------------------------------------------------------
 * scales[16] @0 (low nibble scale, high nibble min), qs[64] @16, d @80,
 * dmin @82. Element 128n + 32j + l is (qs[32n + l] >> 2j) & 3. */

static inline float q2_k_block(const uint8_t *wb, const uint8_t *xb) {
  const uint8x16_t scv = vld1q_u8(wb);
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  int32x4_t sc[4];
  widen_scales16(S8(vandq_u8(scv, vdupq_n_u8(0x0f))), sc);
  const uint8x16_t mins = vshrq_n_u8(scv, 4);
  const int32_t summ = dot_bsums16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins))),
                                   vreinterpretq_s16_u16(vmovl_high_u8(mins)), xb + Q8K_BSUMS);
  const uint8x16_t three = vdupq_n_u8(3);
  int32x4_t acc = vdupq_n_s32(0);
  for (int n = 0; n < 2; n++) {
    const uint8x16_t q0 = vld1q_u8(wb + 16 + 32 * n), q1 = vld1q_u8(wb + 16 + 32 * n + 16);
    const int8_t *x = xq + 128 * n;
    int32x4_t a = vdupq_n_s32(0), b = vdupq_n_s32(0);
    /* a collects sub-blocks 8n + {0, 2, 4, 6}, b 8n + {1, 3, 5, 7}: scales
     * for those live in sc[2n] / sc[2n + 1] lanes {0,2} and {1,3}. */
    a = vmlaq_laneq_s32(a, sdot16(S8(vandq_u8(q0, three)), x), sc[2 * n], 0);
    b = vmlaq_laneq_s32(b, sdot16(S8(vandq_u8(q1, three)), x + 16), sc[2 * n], 1);
    a = vmlaq_laneq_s32(a, sdot16(S8(vandq_u8(vshrq_n_u8(q0, 2), three)), x + 32), sc[2 * n], 2);
    b = vmlaq_laneq_s32(b, sdot16(S8(vandq_u8(vshrq_n_u8(q1, 2), three)), x + 48), sc[2 * n], 3);
    a = vmlaq_laneq_s32(a, sdot16(S8(vandq_u8(vshrq_n_u8(q0, 4), three)), x + 64), sc[2 * n + 1],
                        0);
    b = vmlaq_laneq_s32(b, sdot16(S8(vandq_u8(vshrq_n_u8(q1, 4), three)), x + 80), sc[2 * n + 1],
                        1);
    a = vmlaq_laneq_s32(a, sdot16(S8(vshrq_n_u8(q0, 6)), x + 96), sc[2 * n + 1], 2);
    b = vmlaq_laneq_s32(b, sdot16(S8(vshrq_n_u8(q1, 6)), x + 112), sc[2 * n + 1], 3);
    acc = vaddq_s32(acc, vaddq_s32(a, b));
  }
  const int32_t isum = vaddvq_s32(acc);
  const float da = neon_load_f32(xb + Q8K_D);
  return (da * neon_load_f16(wb + 80)) * (float)isum - (da * neon_load_f16(wb + 82)) * (float)summ;
}

/* ---- Q3_K ---------------------------------------------------------------
 * hmask[32] @0, qs[64] @32, scales[12] @96 (16 signed 6-bit scales), d @108.
 * Element 128n + 32j + l is ((qs[32n + l] >> 2j) & 3) - 4 unless bit
 * 4n + j of hmask[l] is set. */

/* The 16 scales, sc_i = (low4 | high2 << 4) - 32, as int8 lanes. */
static inline int8x16_t q3_k_scales(const uint8_t *b) {
  const uint32_t w0 = neon_load_u32(b), w1 = neon_load_u32(b + 4), w2 = neon_load_u32(b + 8);
  const uint32_t s[4] = {
      (w0 & 0x0f0f0f0fu) | ((w2 & 0x03030303u) << 4),
      (w1 & 0x0f0f0f0fu) | (((w2 >> 2) & 0x03030303u) << 4),
      ((w0 >> 4) & 0x0f0f0f0fu) | (((w2 >> 4) & 0x03030303u) << 4),
      ((w1 >> 4) & 0x0f0f0f0fu) | (((w2 >> 6) & 0x03030303u) << 4),
  };
  return vsubq_s8(vreinterpretq_s8_u32(vld1q_u32(s)), vdupq_n_s8(32));
}

/* (q >> 2j) & 3, minus 4 where the high bit (mask lane clear) is 0. */
static inline int8x16_t q3_quants(uint8x16_t q2, uint8x16_t h, uint8_t bit) {
  const uint8x16_t hi = vtstq_u8(h, vdupq_n_u8(bit));
  return S8(vsubq_u8(vandq_u8(q2, vdupq_n_u8(3)), vbicq_u8(vdupq_n_u8(4), hi)));
}

static inline float q3_k_block(const uint8_t *wb, const uint8_t *xb) {
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  int32x4_t sc[4];
  widen_scales16(q3_k_scales(wb + 96), sc);
  const uint8x16_t h0 = vld1q_u8(wb), h1 = vld1q_u8(wb + 16);
  int32x4_t acc = vdupq_n_s32(0);
  for (int n = 0; n < 2; n++) {
    const uint8x16_t q0 = vld1q_u8(wb + 32 + 32 * n), q1 = vld1q_u8(wb + 32 + 32 * n + 16);
    const int8_t *x = xq + 128 * n;
    const uint8_t bit = (uint8_t)(1u << (4 * n));
    int32x4_t a = vdupq_n_s32(0), b = vdupq_n_s32(0);
    a = vmlaq_laneq_s32(a, sdot16(q3_quants(q0, h0, bit), x), sc[2 * n], 0);
    b = vmlaq_laneq_s32(b, sdot16(q3_quants(q1, h1, bit), x + 16), sc[2 * n], 1);
    a = vmlaq_laneq_s32(a, sdot16(q3_quants(vshrq_n_u8(q0, 2), h0, bit << 1), x + 32), sc[2 * n],
                        2);
    b = vmlaq_laneq_s32(b, sdot16(q3_quants(vshrq_n_u8(q1, 2), h1, bit << 1), x + 48), sc[2 * n],
                        3);
    a = vmlaq_laneq_s32(a, sdot16(q3_quants(vshrq_n_u8(q0, 4), h0, bit << 2), x + 64),
                        sc[2 * n + 1], 0);
    b = vmlaq_laneq_s32(b, sdot16(q3_quants(vshrq_n_u8(q1, 4), h1, bit << 2), x + 80),
                        sc[2 * n + 1], 1);
    a = vmlaq_laneq_s32(a, sdot16(q3_quants(vshrq_n_u8(q0, 6), h0, bit << 3), x + 96),
                        sc[2 * n + 1], 2);
    b = vmlaq_laneq_s32(b, sdot16(q3_quants(vshrq_n_u8(q1, 6), h1, bit << 3), x + 112),
                        sc[2 * n + 1], 3);
    acc = vaddq_s32(acc, vaddq_s32(a, b));
  }
  return (neon_load_f16(wb + 108) * neon_load_f32(xb + Q8K_D)) * (float)vaddvq_s32(acc);
}

/* ---- Q4_K / Q5_K ----------------------------------------------------------
 * Q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16.
 * Q5_K: the same plus qh[32] @16, with qs[128] @48.
 * Element 64c + 32hi + l is the low (hi = 0) or high nibble of qs[32c + l],
 * in sub-block j = 2c + hi; Q5_K adds 16 when bit 2c + hi of qh[l] is set. */

static inline float q4_k_block(const uint8_t *wb, const uint8_t *xb) {
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  uint8_t s8[8], m8[8];
  neon_unpack_k4_scales(wb + 4, s8, m8);
  int32x4_t sc[2];
  widen_scales8(s8, sc);
  const int32_t summ = dot_bsums_pairs(m8, xb + Q8K_BSUMS);
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  int32x4_t a = vdupq_n_s32(0), b = vdupq_n_s32(0);
  for (int h = 0; h < 2; h++) { /* c = 2h and 2h + 1: sub-blocks 4h .. 4h + 3 */
    const uint8_t *q = wb + 16 + 64 * h;
    const int8_t *x = xq + 128 * h;
    const uint8x16_t q0 = vld1q_u8(q), q1 = vld1q_u8(q + 16);
    const uint8x16_t q2 = vld1q_u8(q + 32), q3 = vld1q_u8(q + 48);
    a = vmlaq_laneq_s32(a, sdot32(S8(vandq_u8(q0, m4)), S8(vandq_u8(q1, m4)), x), sc[h], 0);
    b = vmlaq_laneq_s32(b, sdot32(S8(vshrq_n_u8(q0, 4)), S8(vshrq_n_u8(q1, 4)), x + 32), sc[h], 1);
    a = vmlaq_laneq_s32(a, sdot32(S8(vandq_u8(q2, m4)), S8(vandq_u8(q3, m4)), x + 64), sc[h], 2);
    b = vmlaq_laneq_s32(b, sdot32(S8(vshrq_n_u8(q2, 4)), S8(vshrq_n_u8(q3, 4)), x + 96), sc[h], 3);
  }
  const float da = neon_load_f32(xb + Q8K_D);
  return (neon_load_f16(wb) * da) * (float)vaddvq_s32(vaddq_s32(a, b)) -
         (neon_load_f16(wb + 2) * da) * (float)summ;
}

/* Nibbles plus 16 where the qh bit is set. */
static inline int8x16_t q5_quants(uint8x16_t nib, uint8x16_t h, uint8_t bit) {
  return S8(vorrq_u8(nib, vandq_u8(vtstq_u8(h, vdupq_n_u8(bit)), vdupq_n_u8(0x10))));
}

static inline float q5_k_block(const uint8_t *wb, const uint8_t *xb) {
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  uint8_t s8[8], m8[8];
  neon_unpack_k4_scales(wb + 4, s8, m8);
  int32x4_t sc[2];
  widen_scales8(s8, sc);
  const int32_t summ = dot_bsums_pairs(m8, xb + Q8K_BSUMS);
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  const uint8x16_t h0 = vld1q_u8(wb + 16), h1 = vld1q_u8(wb + 32);
  int32x4_t a = vdupq_n_s32(0), b = vdupq_n_s32(0);
  for (int h = 0; h < 2; h++) { /* c = 2h and 2h + 1: sub-blocks 4h .. 4h + 3 */
    const uint8_t *q = wb + 48 + 64 * h;
    const int8_t *x = xq + 128 * h;
    const uint8_t bit = (uint8_t)(1u << (4 * h)); /* bit 2c for c = 2h */
    const uint8x16_t q0 = vld1q_u8(q), q1 = vld1q_u8(q + 16);
    const uint8x16_t q2 = vld1q_u8(q + 32), q3 = vld1q_u8(q + 48);
    a = vmlaq_laneq_s32(
        a, sdot32(q5_quants(vandq_u8(q0, m4), h0, bit), q5_quants(vandq_u8(q1, m4), h1, bit), x),
        sc[h], 0);
    b = vmlaq_laneq_s32(b,
                        sdot32(q5_quants(vshrq_n_u8(q0, 4), h0, bit << 1),
                               q5_quants(vshrq_n_u8(q1, 4), h1, bit << 1), x + 32),
                        sc[h], 1);
    a = vmlaq_laneq_s32(a,
                        sdot32(q5_quants(vandq_u8(q2, m4), h0, bit << 2),
                               q5_quants(vandq_u8(q3, m4), h1, bit << 2), x + 64),
                        sc[h], 2);
    b = vmlaq_laneq_s32(b,
                        sdot32(q5_quants(vshrq_n_u8(q2, 4), h0, bit << 3),
                               q5_quants(vshrq_n_u8(q3, 4), h1, bit << 3), x + 96),
                        sc[h], 3);
  }
  const float da = neon_load_f32(xb + Q8K_D);
  return (neon_load_f16(wb) * da) * (float)vaddvq_s32(vaddq_s32(a, b)) -
         (neon_load_f16(wb + 2) * da) * (float)summ;
}

/* ---- Q6_K ---------------------------------------------------------------
 * ql[128] @0, qh[64] @128, scales:int8[16] @192, d @208. Element
 * 128n + 32k + l is (low4 | high2 << 4) - 32 with
 *   k=0: ql[64n+l] & 15, k=1: ql[64n+32+l] & 15, k=2: ql[64n+l] >> 4,
 *   k=3: ql[64n+32+l] >> 4, and high2 = (qh[32n+l] >> 2k) & 3.
 * The quants are used unsigned (0..63); the -32 goes through bsums. */

static inline float q6_k_block(const uint8_t *wb, const uint8_t *xb) {
  const int8_t *xq = (const int8_t *)(xb + Q8K_QS);
  const int8x16_t s8 = vld1q_s8((const int8_t *)(wb + 192));
  int32x4_t sc[4];
  widen_scales16(s8, sc);
  const int32_t corr = dot_bsums16(vmovl_s8(vget_low_s8(s8)), vmovl_high_s8(s8), xb + Q8K_BSUMS);
  const uint8x16_t three = vdupq_n_u8(3), m30 = vdupq_n_u8(0x30);
  int32x4_t acc = vdupq_n_s32(0);
  for (int n = 0; n < 2; n++) {
    const uint8_t *ql = wb + 64 * n, *qh = wb + 128 + 32 * n;
    const int8_t *x = xq + 128 * n;
    const uint8x16_t a0 = vld1q_u8(ql), a1 = vld1q_u8(ql + 16);
    const uint8x16_t b0 = vld1q_u8(ql + 32), b1 = vld1q_u8(ql + 48);
    const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
    const uint8x16_t g0 = vshrq_n_u8(h0, 2), g1 = vshrq_n_u8(h1, 2);
    int32x4_t a = vdupq_n_s32(0), b = vdupq_n_s32(0);
    /* k = 0: (a & 15) | (h & 3) << 4 */
    a = vmlaq_laneq_s32(a, sdot16(S8(vsliq_n_u8(a0, vandq_u8(h0, three), 4)), x), sc[2 * n], 0);
    b = vmlaq_laneq_s32(b, sdot16(S8(vsliq_n_u8(a1, vandq_u8(h1, three), 4)), x + 16), sc[2 * n],
                        1);
    /* k = 1: (b & 15) | ((h >> 2) & 3) << 4 */
    a = vmlaq_laneq_s32(a, sdot16(S8(vsliq_n_u8(b0, vandq_u8(g0, three), 4)), x + 32), sc[2 * n],
                        2);
    b = vmlaq_laneq_s32(b, sdot16(S8(vsliq_n_u8(b1, vandq_u8(g1, three), 4)), x + 48), sc[2 * n],
                        3);
    /* k = 2: (a >> 4) | (h & 0x30) */
    a = vmlaq_laneq_s32(a, sdot16(S8(vsriq_n_u8(vandq_u8(h0, m30), a0, 4)), x + 64), sc[2 * n + 1],
                        0);
    b = vmlaq_laneq_s32(b, sdot16(S8(vsriq_n_u8(vandq_u8(h1, m30), a1, 4)), x + 80), sc[2 * n + 1],
                        1);
    /* k = 3: (b >> 4) | ((h >> 2) & 0x30) */
    a = vmlaq_laneq_s32(a, sdot16(S8(vsriq_n_u8(vandq_u8(g0, m30), b0, 4)), x + 96), sc[2 * n + 1],
                        2);
    b = vmlaq_laneq_s32(b, sdot16(S8(vsriq_n_u8(vandq_u8(g1, m30), b1, 4)), x + 112), sc[2 * n + 1],
                        3);
    acc = vaddq_s32(acc, vaddq_s32(a, b));
  }
  const int32_t isum = vaddvq_s32(acc) - 32 * corr;
  return (neon_load_f16(wb + 208) * neon_load_f32(xb + Q8K_D)) * (float)isum;
}

/* ---- row loops ------------------------------------------------------------ */

#define DEFINE_LINEAR_K(enc, WB)                                                                   \
  void gqcrt_linear_##enc##_neon(float *y, const void *w, const void *x, int32_t n_in,             \
                                 int32_t n_out) {                                                  \
    const int32_t nb = n_in / GQCRT_QK_K;                                                          \
    const uint8_t *xr = x;                                                                         \
    for (int32_t r = 0; r < n_out; r++) {                                                          \
      const uint8_t *wr = (const uint8_t *)w + (size_t)r * (size_t)nb * WB;                        \
      float s = 0;                                                                                 \
      for (int32_t b = 0; b < nb; b++) {                                                           \
        s += enc##_block(wr + (size_t)b * WB, xr + (size_t)b * GQCRT_Q8_K_BYTES);                  \
      }                                                                                            \
      y[r] = s;                                                                                    \
    }                                                                                              \
  }

DEFINE_LINEAR_K(q2_k, GQCRT_Q2_K_BYTES)
DEFINE_LINEAR_K(q3_k, GQCRT_Q3_K_BYTES)
DEFINE_LINEAR_K(q4_k, GQCRT_Q4_K_BYTES)
DEFINE_LINEAR_K(q5_k, GQCRT_Q5_K_BYTES)
DEFINE_LINEAR_K(q6_k, GQCRT_Q6_K_BYTES)
