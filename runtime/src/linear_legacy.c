/* linear_legacy.c — portable matrix-vector kernels for the 32-element ggml
 * encodings: q4_0, q5_0, q8_0 (activation q8_0) and q4_1, q5_1 (activation
 * q8_1). These `_scalar` kernels are the reference every SIMD variant is
 * tested against.
 *
 * Per block the weight quants and activation quants are multiplied and summed
 * exactly in integers (archspec §7.2); the float work is one scale product per
 * block, accumulated in f32 in block order, with the same operation order as
 * ggml's generic code:
 *   q4_0  sum += isum * dw * da          q5_0, q8_0  sum += isum * (dw * da)
 *   q4_1, q5_1  sum += (dw * da) * isum + mw * sa
 * where sa is the activation block's f16 s = d * sum(qa).
 */
#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "linear_scalar.h"

/* The 32 weight quants of a 5-bit block (without offset): nibble | bit << 4. */
static void unpack_q5(int q[32], const uint8_t qs[16], const uint8_t qh_bytes[4]) {
  const uint32_t qh = (uint32_t)qh_bytes[0] | ((uint32_t)qh_bytes[1] << 8) |
                      ((uint32_t)qh_bytes[2] << 16) | ((uint32_t)qh_bytes[3] << 24);
  for (int j = 0; j < 16; ++j) {
    q[j] = (qs[j] & 0xF) | (int)(((qh >> j) & 1u) << 4);
    q[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
  }
}

static float block_dot_q4_0(const blk_q4_0 *b, const blk_q8_0 *a) {
  int32_t isum = 0;
  for (int j = 0; j < 16; ++j) {
    isum += ((b->qs[j] & 0xF) - 8) * a->qs[j];
    isum += ((b->qs[j] >> 4) - 8) * a->qs[j + 16];
  }
  return (float)isum * gqcrt_h2f(b->d) * gqcrt_h2f(a->d);
}
GQCRT_SCALAR_LINEAR(q4_0, q8_0, GQCRT_QK)

static float block_dot_q4_1(const blk_q4_1 *b, const blk_q8_1 *a) {
  int32_t isum = 0;
  for (int j = 0; j < 16; ++j) {
    isum += (b->qs[j] & 0xF) * a->qs[j];
    isum += (b->qs[j] >> 4) * a->qs[j + 16];
  }
  return (gqcrt_h2f(b->d) * gqcrt_h2f(a->d)) * (float)isum + gqcrt_h2f(b->m) * gqcrt_h2f(a->s);
}
GQCRT_SCALAR_LINEAR(q4_1, q8_1, GQCRT_QK)

/* The integer dot product of a 5-bit block's quants, less `offset`, with
 * 32 activation quants. */
static int32_t q5_isum(const uint8_t qs[16], const uint8_t qh[4], const int8_t a[32], int offset) {
  int q[32];
  unpack_q5(q, qs, qh);
  int32_t isum = 0;
  for (int j = 0; j < 32; ++j)
    isum += (q[j] - offset) * a[j];
  return isum;
}

static float block_dot_q5_0(const blk_q5_0 *b, const blk_q8_0 *a) {
  return (gqcrt_h2f(b->d) * gqcrt_h2f(a->d)) * (float)q5_isum(b->qs, b->qh, a->qs, 16);
}
GQCRT_SCALAR_LINEAR(q5_0, q8_0, GQCRT_QK)

static float block_dot_q5_1(const blk_q5_1 *b, const blk_q8_1 *a) {
  return (gqcrt_h2f(b->d) * gqcrt_h2f(a->d)) * (float)q5_isum(b->qs, b->qh, a->qs, 0) +
         gqcrt_h2f(b->m) * gqcrt_h2f(a->s);
}
GQCRT_SCALAR_LINEAR(q5_1, q8_1, GQCRT_QK)

static float block_dot_q8_0(const blk_q8_0 *b, const blk_q8_0 *a) {
  int32_t isum = 0;
  for (int j = 0; j < 32; ++j)
    isum += b->qs[j] * a->qs[j];
  return (float)isum * (gqcrt_h2f(b->d) * gqcrt_h2f(a->d));
}
GQCRT_SCALAR_LINEAR(q8_0, q8_0, GQCRT_QK)
