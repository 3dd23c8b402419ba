/* dequantize_ref.c — ggml block -> float dequantisers (see quantize_ref.h).
 *
 * A direct, element-by-element transcription of archspec section 6 (the
 * formulas and their evaluation order), written independently of the
 * quantisers so the tests can check one against the other, and both against
 * files quantised by llama.cpp. Not fast; not meant to be.
 */
#include "tools/genmodel/quantize_ref.h"

#include <string.h>

#include "frontend/gguf.h"
#include "tools/genmodel/half.h"

static float f16_at(const uint8_t *p) {
  return qref_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

static uint32_t u32_at(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void dq_q4_0(const uint8_t *b, float *y) {
  float d = f16_at(b);
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; j++) {
    y[j] = (float)((qs[j] & 0xF) - 8) * d;
    y[j + 16] = (float)((qs[j] >> 4) - 8) * d;
  }
}

static void dq_q4_1(const uint8_t *b, float *y) {
  float d = f16_at(b), m = f16_at(b + 2);
  const uint8_t *qs = b + 4;
  for (int j = 0; j < 16; j++) {
    y[j] = (float)(qs[j] & 0xF) * d + m;
    y[j + 16] = (float)(qs[j] >> 4) * d + m;
  }
}

static void dq_q5_0(const uint8_t *b, float *y) {
  float d = f16_at(b);
  uint32_t qh = u32_at(b + 2);
  const uint8_t *qs = b + 6;
  for (int j = 0; j < 16; j++) {
    int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
    y[j] = (float)(lo - 16) * d;
    y[j + 16] = (float)(hi - 16) * d;
  }
}

static void dq_q5_1(const uint8_t *b, float *y) {
  float d = f16_at(b), m = f16_at(b + 2);
  uint32_t qh = u32_at(b + 4);
  const uint8_t *qs = b + 8;
  for (int j = 0; j < 16; j++) {
    int lo = (qs[j] & 0xF) | (int)(((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
    y[j] = (float)lo * d + m;
    y[j + 16] = (float)hi * d + m;
  }
}

static void dq_q8_0(const uint8_t *b, float *y) {
  float d = f16_at(b);
  for (int j = 0; j < 32; j++)
    y[j] = (float)(int8_t)b[2 + j] * d;
}

static void dq_q2_k(const uint8_t *b, float *y) {
  const uint8_t *scales = b, *qs = b + 16;
  float d = f16_at(b + 80), dmin = f16_at(b + 82);
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, j = r / 32, l = r % 32, s = e / 16;
    int q = (qs[32 * n + l] >> (2 * j)) & 3;
    y[e] = (d * (float)(scales[s] & 15)) * (float)q - (dmin * (float)(scales[s] >> 4));
  }
}

static void dq_q3_k(const uint8_t *b, float *y) {
  const uint8_t *hmask = b, *qs = b + 32, *sb = b + 96;
  float d = f16_at(b + 108);
  int sc[16];
  for (int i = 0; i < 16; i++) {
    int low4 = i < 8 ? (sb[i] & 0xF) : (sb[i - 8] >> 4);
    int high2 = (sb[8 + i % 4] >> (2 * (i / 4))) & 3;
    sc[i] = (low4 | (high2 << 4)) - 32;
  }
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, j = r / 32, l = r % 32;
    int q = ((qs[32 * n + l] >> (2 * j)) & 3) - (((hmask[l] >> (4 * n + j)) & 1) ? 0 : 4);
    y[e] = (d * (float)sc[e / 16]) * (float)q;
  }
}

static void k_scale_min(const uint8_t *p, int j, int *sc, int *m) {
  if (j < 4) {
    *sc = p[j] & 63;
    *m = p[j + 4] & 63;
  } else {
    *sc = (p[j + 4] & 0xF) | ((p[j - 4] >> 6) << 4);
    *m = (p[j + 4] >> 4) | ((p[j] >> 6) << 4);
  }
}

static void dq_q4_k(const uint8_t *b, float *y) {
  float d = f16_at(b), dmin = f16_at(b + 2);
  const uint8_t *qs = b + 16;
  for (int e = 0; e < 256; e++) {
    int c = e / 64, hi = (e % 64) / 32, l = e % 32, j = 2 * c + hi, sc, m;
    k_scale_min(b + 4, j, &sc, &m);
    int q = hi ? (qs[32 * c + l] >> 4) : (qs[32 * c + l] & 0xF);
    y[e] = (d * (float)sc) * (float)q - (dmin * (float)m);
  }
}

static void dq_q5_k(const uint8_t *b, float *y) {
  float d = f16_at(b), dmin = f16_at(b + 2);
  const uint8_t *qh = b + 16, *qs = b + 48;
  for (int e = 0; e < 256; e++) {
    int c = e / 64, hi = (e % 64) / 32, l = e % 32, j = 2 * c + hi, sc, m;
    k_scale_min(b + 4, j, &sc, &m);
    int q = hi ? (qs[32 * c + l] >> 4) : (qs[32 * c + l] & 0xF);
    q += ((qh[l] >> (2 * c + hi)) & 1) ? 16 : 0;
    y[e] = (d * (float)sc) * (float)q - (dmin * (float)m);
  }
}

static void dq_q6_k(const uint8_t *b, float *y) {
  const uint8_t *ql = b, *qh = b + 128;
  const int8_t *scales = (const int8_t *)(b + 192);
  float d = f16_at(b + 208);
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, k = r / 32, l = r % 32;
    /* quarter k: the low (k < 2) or high nibbles of ql's first (k even) or
     * second 32 bytes of the half */
    int low4 = (ql[64 * n + l + 32 * (k & 1)] >> (4 * (k >> 1))) & 0xF;
    int high2 = (qh[32 * n + l] >> (2 * k)) & 3;
    int q = (low4 | (high2 << 4)) - 32;
    y[e] = (d * (float)scales[e / 16]) * (float)q;
  }
}

bool qref_dequantize_row(uint32_t type, const void *in, float *y, uint64_t n) {
  const uint8_t *p = in;
  void (*block)(const uint8_t *, float *) = NULL;
  switch (type) {
  case GGML_F32:
    memcpy(y, in, n * 4);
    return true;
  case GGML_F16:
    for (uint64_t i = 0; i < n; i++)
      y[i] = f16_at(p + 2 * i);
    return true;
  case GGML_BF16:
    for (uint64_t i = 0; i < n; i++)
      y[i] = qref_bf16_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
    return true;
  case GGML_Q4_0:
    block = dq_q4_0;
    break;
  case GGML_Q4_1:
    block = dq_q4_1;
    break;
  case GGML_Q5_0:
    block = dq_q5_0;
    break;
  case GGML_Q5_1:
    block = dq_q5_1;
    break;
  case GGML_Q8_0:
    block = dq_q8_0;
    break;
  case GGML_Q2_K:
    block = dq_q2_k;
    break;
  case GGML_Q3_K:
    block = dq_q3_k;
    break;
  case GGML_Q4_K:
    block = dq_q4_k;
    break;
  case GGML_Q5_K:
    block = dq_q5_k;
    break;
  case GGML_Q6_K:
    block = dq_q6_k;
    break;
  default:
    return false;
  }
  uint32_t be, bb;
  if (!ggml_type_block(type, &be, &bb) || n % be != 0)
    return false;
  for (uint64_t i = 0; i < n / be; i++)
    block(p + i * bb, y + i * be);
  return true;
}
