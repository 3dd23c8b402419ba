/* dequantize.c — widen one row of any weight encoding to f32 (archspec §6).
 *
 * Used for embedding lookups (get_rows) and as the yardstick in tests. Each
 * function follows the evaluation order of ggml's reference dequantiser, e.g.
 * Q4_K computes (d*sc)*q - (dmin*m) as two f32 multiplies and a subtract, so an
 * embedding row matches llama.cpp bit for bit. n must be a multiple of the
 * block size and src must start on a block boundary.
 */
#include "blocks.h"
#include "fp16.h"
#include "gqcrt.h"
#include "rt_libc.h"

void gqcrt_dequantize_f32(float *y, const void *src, int32_t n) {
  memcpy(y, src, (size_t)n * sizeof(float));
}

void gqcrt_dequantize_f16(float *y, const void *src, int32_t n) {
  const uint16_t *h = src;
  for (int32_t i = 0; i < n; ++i)
    y[i] = gqcrt_h2f(h[i]);
}

void gqcrt_dequantize_bf16(float *y, const void *src, int32_t n) {
  const uint16_t *h = src;
  for (int32_t i = 0; i < n; ++i)
    y[i] = gqcrt_bf2f(h[i]);
}

void gqcrt_dequantize_q4_0(float *y, const void *src, int32_t n) {
  const blk_q4_0 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK) {
    const float d = gqcrt_h2f(b->d);
    for (int j = 0; j < 16; ++j) {
      y[j] = (float)((b->qs[j] & 0xF) - 8) * d;
      y[j + 16] = (float)((b->qs[j] >> 4) - 8) * d;
    }
  }
}

void gqcrt_dequantize_q4_1(float *y, const void *src, int32_t n) {
  const blk_q4_1 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK) {
    const float d = gqcrt_h2f(b->d), m = gqcrt_h2f(b->m);
    for (int j = 0; j < 16; ++j) {
      y[j] = (float)(b->qs[j] & 0xF) * d + m;
      y[j + 16] = (float)(b->qs[j] >> 4) * d + m;
    }
  }
}

static uint32_t load_u32le(const uint8_t p[4]) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void gqcrt_dequantize_q5_0(float *y, const void *src, int32_t n) {
  const blk_q5_0 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK) {
    const float d = gqcrt_h2f(b->d);
    const uint32_t qh = load_u32le(b->qh);
    for (int j = 0; j < 16; ++j) {
      const int lo = (b->qs[j] & 0xF) | (int)(((qh >> j) & 1u) << 4);
      const int hi = (b->qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
      y[j] = (float)(lo - 16) * d;
      y[j + 16] = (float)(hi - 16) * d;
    }
  }
}

void gqcrt_dequantize_q5_1(float *y, const void *src, int32_t n) {
  const blk_q5_1 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK) {
    const float d = gqcrt_h2f(b->d), m = gqcrt_h2f(b->m);
    const uint32_t qh = load_u32le(b->qh);
    for (int j = 0; j < 16; ++j) {
      const int lo = (b->qs[j] & 0xF) | (int)(((qh >> j) & 1u) << 4);
      const int hi = (b->qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
      y[j] = (float)lo * d + m;
      y[j + 16] = (float)hi * d + m;
    }
  }
}

/* 32 int8 quants times an f16 scale: q8_0, and q8_1 (whose sum field a
 * dequantiser does not need). */
static void dequantize_q8_32(float *y, uint16_t d16, const int8_t qs[GQCRT_QK]) {
  const float d = gqcrt_h2f(d16);
  for (int j = 0; j < GQCRT_QK; ++j)
    y[j] = (float)qs[j] * d;
}

void gqcrt_dequantize_q8_0(float *y, const void *src, int32_t n) {
  const blk_q8_0 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK)
    dequantize_q8_32(y, b->d, b->qs);
}

/* The activation encodings (tests read them back). */
void gqcrt_dequantize_q8_1(float *y, const void *src, int32_t n) {
  const blk_q8_1 *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK; ++ib, ++b, y += GQCRT_QK)
    dequantize_q8_32(y, b->d, b->qs);
}

void gqcrt_dequantize_q8_k(float *y, const void *src, int32_t n) {
  const blk_q8_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K)
    for (int j = 0; j < GQCRT_QK_K; ++j)
      y[j] = b->d * (float)b->qs[j];
}

/* Q2_K: element e = 128n + 32j + l lives in qs[32n + l] at bits 2j; its
 * sub-block is e/16. */
void gqcrt_dequantize_q2_k(float *y, const void *src, int32_t n) {
  const blk_q2_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K) {
    const float d = gqcrt_h2f(b->d), dmin = gqcrt_h2f(b->dmin);
    for (int e = 0; e < GQCRT_QK_K; ++e) {
      const int half = e / 128, j = (e % 128) / 32, l = e % 32;
      const uint8_t sc = b->scales[e / 16];
      const int q = (b->qs[32 * half + l] >> (2 * j)) & 3;
      const float dl = d * (float)(sc & 0xF), ml = dmin * (float)(sc >> 4);
      y[e] = dl * (float)q - ml;
    }
  }
}

/* Q3_K: 2 low bits as Q2_K, the high bit in hmask[l] at bit 4n + j; a clear
 * high bit means -4. */
void gqcrt_dequantize_q3_k(float *y, const void *src, int32_t n) {
  const blk_q3_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K) {
    const float d = gqcrt_h2f(b->d);
    int8_t sc[16];
    gqcrt_q3_k_scales(b->scales, sc);
    for (int e = 0; e < GQCRT_QK_K; ++e) {
      const int half = e / 128, j = (e % 128) / 32, l = e % 32;
      const int low = (b->qs[32 * half + l] >> (2 * j)) & 3;
      const int q = low - (((b->hmask[l] >> (4 * half + j)) & 1) ? 0 : 4);
      const float dl = d * (float)sc[e / 16];
      y[e] = dl * (float)q;
    }
  }
}

/* One Q4_K or Q5_K super-block: element e = 64c + 32hi + l is the low (hi=0)
 * or high nibble of qs[32c + l]; sub-block j = 2c + hi. Q5_K (qh non-NULL)
 * adds a fifth bit in qh[l] at bit j. */
static void dequantize_k4_block(float *y, uint16_t d16, uint16_t dmin16, const uint8_t scales[12],
                                const uint8_t qs_all[128], const uint8_t *qh) {
  const float d = gqcrt_h2f(d16), dmin = gqcrt_h2f(dmin16);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    gqcrt_k4_scale_min(scales, j, &sc, &m);
    const float d1 = d * (float)sc, m1 = dmin * (float)m;
    const uint8_t *qs = qs_all + 32 * (j / 2);
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) {
      const int q = ((qs[l] >> shift) & 0xF) + ((qh && ((qh[l] >> j) & 1)) ? 16 : 0);
      y[32 * j + l] = d1 * (float)q - m1;
    }
  }
}

void gqcrt_dequantize_q4_k(float *y, const void *src, int32_t n) {
  const blk_q4_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K)
    dequantize_k4_block(y, b->d, b->dmin, b->scales, b->qs, NULL);
}

void gqcrt_dequantize_q5_k(float *y, const void *src, int32_t n) {
  const blk_q5_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K)
    dequantize_k4_block(y, b->d, b->dmin, b->scales, b->qs, b->qh);
}

/* Q6_K: element e = 128n + 32k + l: low 4 bits from ql[64n + l (+32 if k odd)]
 * (low nibble for k < 2), high 2 bits from qh[32n + l] at bit 2k. */
void gqcrt_dequantize_q6_k(float *y, const void *src, int32_t n) {
  const blk_q6_k *b = src;
  for (int32_t ib = 0; ib < n / GQCRT_QK_K; ++ib, ++b, y += GQCRT_QK_K) {
    const float d = gqcrt_h2f(b->d);
    for (int e = 0; e < GQCRT_QK_K; ++e) {
      const int half = e / 128, k = (e % 128) / 32, l = e % 32;
      const uint8_t lq = b->ql[64 * half + l + 32 * (k & 1)];
      const int low4 = (k < 2) ? (lq & 0xF) : (lq >> 4);
      const int high2 = (b->qh[32 * half + l] >> (2 * k)) & 3;
      const int q = (low4 | (high2 << 4)) - 32;
      y[e] = (d * (float)b->scales[e / 16]) * (float)q;
    }
  }
}
