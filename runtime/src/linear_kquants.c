/* linear_kquants.c — portable matrix-vector kernels for the 256-element
 * k-quant encodings q2_k .. q6_k, all against a q8_k activation (archspec
 * §7.2). These `_scalar` kernels are the reference for the SIMD variants.
 *
 * Each super-block is first unpacked into 256 small signed integers q[e] and
 * its sub-block scales; then, all in exact integer arithmetic,
 *   isum  = sum over sub-blocks s of scale_s * sum_{e in s} q[e] * qa[e]
 *   summs = sum over 16-groups g of min_{g} * bsum_g      (q2_k, q4_k, q5_k)
 * and the float part is two products per super-block accumulated in f32:
 *   sum += (dw * da) * isum - (dminw * da) * summs.
 * (ggml's generic code spreads the first product over 8 float lanes; the
 * integer sums are the same, only the last-bit rounding differs.)
 */
#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "linear_scalar.h"

/* Integer dot of 16 weight quants with 16 activation quants. */
static int32_t dot16(const int8_t *q, const int8_t *a) {
  int32_t s = 0;
  for (int l = 0; l < 16; ++l)
    s += q[l] * a[l];
  return s;
}

static float block_dot_q2_k(const blk_q2_k *b, const blk_q8_k *a) {
  int8_t q[GQCRT_QK_K];
  for (int e = 0; e < GQCRT_QK_K; ++e) /* e = 128n + 32j + l */
    q[e] = (int8_t)((b->qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3);
  int32_t isum = 0, summs = 0;
  for (int s = 0; s < 16; ++s) {
    isum += (b->scales[s] & 0xF) * dot16(q + 16 * s, a->qs + 16 * s);
    summs += (b->scales[s] >> 4) * a->bsums[s];
  }
  const float dall = a->d * gqcrt_h2f(b->d);
  const float dmin = a->d * gqcrt_h2f(b->dmin);
  return dall * (float)isum - dmin * (float)summs;
}
GQCRT_SCALAR_LINEAR(q2_k, q8_k, GQCRT_QK_K)

static float block_dot_q3_k(const blk_q3_k *b, const blk_q8_k *a) {
  int8_t q[GQCRT_QK_K], sc[16];
  for (int e = 0; e < GQCRT_QK_K; ++e) { /* e = 128n + 32j + l */
    const int n = e / 128, j = (e % 128) / 32, l = e % 32;
    const int low = (b->qs[32 * n + l] >> (2 * j)) & 3;
    q[e] = (int8_t)(low - (((b->hmask[l] >> (4 * n + j)) & 1) ? 0 : 4));
  }
  gqcrt_q3_k_scales(b->scales, sc);
  int32_t isum = 0;
  for (int s = 0; s < 16; ++s)
    isum += sc[s] * dot16(q + 16 * s, a->qs + 16 * s);
  return (gqcrt_h2f(b->d) * a->d) * (float)isum;
}
GQCRT_SCALAR_LINEAR(q3_k, q8_k, GQCRT_QK_K)

/* Shared by q4_k and q5_k once the quants are unpacked. */
static float k4_block_dot(const int8_t q[GQCRT_QK_K], const uint8_t scales[12], uint16_t d,
                          uint16_t dmin, const blk_q8_k *a) {
  int32_t isum = 0, summs = 0;
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    gqcrt_k4_scale_min(scales, j, &sc, &m);
    isum += sc * (dot16(q + 32 * j, a->qs + 32 * j) + dot16(q + 32 * j + 16, a->qs + 32 * j + 16));
    summs += m * (a->bsums[2 * j] + a->bsums[2 * j + 1]);
  }
  return (gqcrt_h2f(d) * a->d) * (float)isum - (gqcrt_h2f(dmin) * a->d) * (float)summs;
}

static float block_dot_q4_k(const blk_q4_k *b, const blk_q8_k *a) {
  int8_t q[GQCRT_QK_K];
  for (int e = 0; e < GQCRT_QK_K; ++e) /* e = 64c + 32hi + l */
    q[e] = (int8_t)((b->qs[32 * (e / 64) + e % 32] >> (4 * ((e % 64) / 32))) & 0xF);
  return k4_block_dot(q, b->scales, b->d, b->dmin, a);
}
GQCRT_SCALAR_LINEAR(q4_k, q8_k, GQCRT_QK_K)

static float block_dot_q5_k(const blk_q5_k *b, const blk_q8_k *a) {
  int8_t q[GQCRT_QK_K];
  for (int e = 0; e < GQCRT_QK_K; ++e) { /* e = 64c + 32hi + l, fifth bit at 2c + hi */
    const int l = e % 32, sub = e / 32;
    const int nib = (b->qs[32 * (e / 64) + l] >> (4 * (sub % 2))) & 0xF;
    q[e] = (int8_t)(nib + (((b->qh[l] >> sub) & 1) ? 16 : 0));
  }
  return k4_block_dot(q, b->scales, b->d, b->dmin, a);
}
GQCRT_SCALAR_LINEAR(q5_k, q8_k, GQCRT_QK_K)

static float block_dot_q6_k(const blk_q6_k *b, const blk_q8_k *a) {
  int8_t q[GQCRT_QK_K];
  for (int e = 0; e < GQCRT_QK_K; ++e) { /* e = 128n + 32k + l */
    const int n = e / 128, k = (e % 128) / 32, l = e % 32;
    const uint8_t lq = b->ql[64 * n + l + 32 * (k & 1)];
    const int low4 = (k < 2) ? (lq & 0xF) : (lq >> 4);
    const int high2 = (b->qh[32 * n + l] >> (2 * k)) & 3;
    q[e] = (int8_t)((low4 | (high2 << 4)) - 32);
  }
  int32_t isum = 0;
  for (int s = 0; s < 16; ++s)
    isum += b->scales[s] * dot16(q + 16 * s, a->qs + 16 * s);
  return (gqcrt_h2f(b->d) * a->d) * (float)isum;
}
GQCRT_SCALAR_LINEAR(q6_k, q8_k, GQCRT_QK_K)
