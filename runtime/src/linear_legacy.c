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

/* The 32 weight quants of a 5-bit block (without offset): nibble | bit << 4. */
static void unpack_q5(int q[32], const uint8_t qs[16], const uint8_t qh_bytes[4]) {
  const uint32_t qh = (uint32_t)qh_bytes[0] | ((uint32_t)qh_bytes[1] << 8) |
                      ((uint32_t)qh_bytes[2] << 16) | ((uint32_t)qh_bytes[3] << 24);
  for (int j = 0; j < 16; ++j) {
    q[j] = (qs[j] & 0xF) | (int)(((qh >> j) & 1u) << 4);
    q[j + 16] = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
  }
}

void gqcrt_linear_q4_0_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const blk_q8_0 *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q4_0 *b = (const blk_q4_0 *)w + (size_t)r * (size_t)nb;
    float sum = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      int32_t isum = 0;
      for (int j = 0; j < 16; ++j) {
        isum += ((b[i].qs[j] & 0xF) - 8) * a[i].qs[j];
        isum += ((b[i].qs[j] >> 4) - 8) * a[i].qs[j + 16];
      }
      sum += (float)isum * gqcrt_h2f(b[i].d) * gqcrt_h2f(a[i].d);
    }
    y[r] = sum;
  }
}

void gqcrt_linear_q4_1_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const blk_q8_1 *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q4_1 *b = (const blk_q4_1 *)w + (size_t)r * (size_t)nb;
    float sum = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      int32_t isum = 0;
      for (int j = 0; j < 16; ++j) {
        isum += (b[i].qs[j] & 0xF) * a[i].qs[j];
        isum += (b[i].qs[j] >> 4) * a[i].qs[j + 16];
      }
      sum += (gqcrt_h2f(b[i].d) * gqcrt_h2f(a[i].d)) * (float)isum +
             gqcrt_h2f(b[i].m) * gqcrt_h2f(a[i].s);
    }
    y[r] = sum;
  }
}

void gqcrt_linear_q5_0_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const blk_q8_0 *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q5_0 *b = (const blk_q5_0 *)w + (size_t)r * (size_t)nb;
    float sum = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      int q[32];
      unpack_q5(q, b[i].qs, b[i].qh);
      int32_t isum = 0;
      for (int j = 0; j < 32; ++j)
        isum += (q[j] - 16) * a[i].qs[j];
      sum += (gqcrt_h2f(b[i].d) * gqcrt_h2f(a[i].d)) * (float)isum;
    }
    y[r] = sum;
  }
}

void gqcrt_linear_q5_1_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const blk_q8_1 *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q5_1 *b = (const blk_q5_1 *)w + (size_t)r * (size_t)nb;
    float sum = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      int q[32];
      unpack_q5(q, b[i].qs, b[i].qh);
      int32_t isum = 0;
      for (int j = 0; j < 32; ++j)
        isum += q[j] * a[i].qs[j];
      sum += (gqcrt_h2f(b[i].d) * gqcrt_h2f(a[i].d)) * (float)isum +
             gqcrt_h2f(b[i].m) * gqcrt_h2f(a[i].s);
    }
    y[r] = sum;
  }
}

void gqcrt_linear_q8_0_scalar(float *y, const void *w, const void *x, int32_t n_in, int32_t n_out) {
  const int32_t nb = n_in / GQCRT_QK;
  const blk_q8_0 *a = x;
  for (int32_t r = 0; r < n_out; ++r) {
    const blk_q8_0 *b = (const blk_q8_0 *)w + (size_t)r * (size_t)nb;
    float sum = 0.0f;
    for (int32_t i = 0; i < nb; ++i) {
      int32_t isum = 0;
      for (int j = 0; j < 32; ++j)
        isum += b[i].qs[j] * a[i].qs[j];
      sum += (float)isum * (gqcrt_h2f(b[i].d) * gqcrt_h2f(a[i].d));
    }
    y[r] = sum;
  }
}
