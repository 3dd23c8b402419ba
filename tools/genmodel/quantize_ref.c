/* quantize_ref.c — float -> ggml block quantisers (see quantize_ref.h).
 *
 * Each block quantiser picks its scales from the block's range and rounds
 * every element to the nearest representable level:
 *
 *   q4_0 q5_0 q8_0   symmetric: d = (signed extreme) / -levels, so the
 *                    extreme lands exactly on the most negative level
 *   q4_1 q5_1        affine: d = (max - min) / levels, m = min
 *   q2_k q4_k q5_k   per sub-block affine scale and min (min clamped to <= 0,
 *                    stored as a non-negative "min"), then the sub-block
 *                    scales and mins are themselves quantised against a
 *                    super-block d and dmin
 *   q3_k q6_k        per sub-block symmetric scale, quantised to signed 6-
 *                    or 8-bit against a super-block d
 *
 * The scales written to f16 fields are rounded to f16 first and the
 * elements are quantised against the rounded values, so what the
 * dequantiser reconstructs is what was optimised for. The element layouts
 * (which nibble, which bit of qh/hmask) are those of archspec section 6.
 */
#include "tools/genmodel/quantize_ref.h"

#include <math.h>
#include <string.h>

#include "frontend/gguf.h"
#include "tools/genmodel/half.h"

static void put_f16(uint8_t *p, float f) {
  uint16_t h = qref_f32_to_f16(f);
  p[0] = (uint8_t)h;
  p[1] = (uint8_t)(h >> 8);
}

static int clampi(int v, int lo, int hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

/* Nearest integer to x*scale, clamped to [lo, hi]; 0-scale gives `zero`. */
static int quant(float x, float inv, int lo, int hi) {
  float v = roundf(x * inv);
  if (!(v > (float)lo)) /* also catches NaN */
    return lo;
  if (v > (float)hi)
    return hi;
  return (int)v;
}

/* The element of largest magnitude, with its sign. */
static float signed_extreme(const float *x, int n) {
  float amax = 0, v = 0;
  for (int i = 0; i < n; i++)
    if (fabsf(x[i]) > amax) {
      amax = fabsf(x[i]);
      v = x[i];
    }
  return v;
}

static void min_max(const float *x, int n, float *mn, float *mx) {
  *mn = x[0];
  *mx = x[0];
  for (int i = 1; i < n; i++) {
    if (x[i] < *mn)
      *mn = x[i];
    if (x[i] > *mx)
      *mx = x[i];
  }
}

/* ---- legacy 32-element blocks ------------------------------------------ */

static void q4_0_block(const float *x, uint8_t *b) {
  float d = qref_round_f16(signed_extreme(x, 32) / -8.0f);
  float id = d != 0 ? 1.0f / d : 0;
  put_f16(b, d);
  for (int j = 0; j < 16; j++) {
    int lo = quant(x[j], id, -8, 7) + 8, hi = quant(x[j + 16], id, -8, 7) + 8;
    b[2 + j] = (uint8_t)(lo | (hi << 4));
  }
}

static void q4_1_block(const float *x, uint8_t *b) {
  float mn, mx;
  min_max(x, 32, &mn, &mx);
  float d = qref_round_f16((mx - mn) / 15.0f), m = qref_round_f16(mn);
  float id = d != 0 ? 1.0f / d : 0;
  put_f16(b, d);
  put_f16(b + 2, m);
  for (int j = 0; j < 16; j++) {
    int lo = quant(x[j] - m, id, 0, 15), hi = quant(x[j + 16] - m, id, 0, 15);
    b[4 + j] = (uint8_t)(lo | (hi << 4));
  }
}

/* Packs 32 five-bit values: low nibbles in qs (elements j and j+16 share a
 * byte), the fifth bits in the u32 qh (bit i for element i). */
static void pack5(const int *q, uint8_t *qh, uint8_t *qs) {
  uint32_t h = 0;
  for (int j = 0; j < 16; j++) {
    qs[j] = (uint8_t)((q[j] & 15) | ((q[j + 16] & 15) << 4));
    h |= (uint32_t)((q[j] >> 4) & 1) << j;
    h |= (uint32_t)((q[j + 16] >> 4) & 1) << (j + 16);
  }
  for (int i = 0; i < 4; i++)
    qh[i] = (uint8_t)(h >> (8 * i));
}

static void q5_0_block(const float *x, uint8_t *b) {
  float d = qref_round_f16(signed_extreme(x, 32) / -16.0f);
  float id = d != 0 ? 1.0f / d : 0;
  int q[32];
  for (int i = 0; i < 32; i++)
    q[i] = quant(x[i], id, -16, 15) + 16;
  put_f16(b, d);
  pack5(q, b + 2, b + 6);
}

static void q5_1_block(const float *x, uint8_t *b) {
  float mn, mx;
  min_max(x, 32, &mn, &mx);
  float d = qref_round_f16((mx - mn) / 31.0f), m = qref_round_f16(mn);
  float id = d != 0 ? 1.0f / d : 0;
  int q[32];
  for (int i = 0; i < 32; i++)
    q[i] = quant(x[i] - m, id, 0, 31);
  put_f16(b, d);
  put_f16(b + 2, m);
  pack5(q, b + 4, b + 8);
}

static void q8_0_block(const float *x, uint8_t *b) {
  float e = signed_extreme(x, 32);
  float d = qref_round_f16(fabsf(e) / 127.0f);
  float id = d != 0 ? 1.0f / d : 0;
  put_f16(b, d);
  for (int i = 0; i < 32; i++)
    b[2 + i] = (uint8_t)(int8_t)quant(x[i], id, -127, 127);
}

/* ---- K-quants (256-element super-blocks) --------------------------------- */

/* Affine sub-block quantisation shared by q2_k (16 x 16, 2-bit q, 4-bit
 * scales), q4_k and q5_k (8 x 32, 4/5-bit q, 6-bit scales): returns the
 * super-block d and dmin, the sub-block scale/min codes, and q per element. */
static void kquant_affine(const float *x, int n_sub, int sub_len, int qmax, int scale_max,
                          float *d_out, float *dmin_out, int *sc, int *mq, int *q) {
  float scale[16], mins[16], max_scale = 0, max_min = 0;
  for (int s = 0; s < n_sub; s++) {
    float mn, mx;
    min_max(x + s * sub_len, sub_len, &mn, &mx);
    if (mn > 0)
      mn = 0;
    scale[s] = (mx - mn) / (float)qmax;
    mins[s] = -mn;
    if (scale[s] > max_scale)
      max_scale = scale[s];
    if (mins[s] > max_min)
      max_min = mins[s];
  }
  float d = qref_round_f16(max_scale / (float)scale_max);
  float dmin = qref_round_f16(max_min / (float)scale_max);
  for (int s = 0; s < n_sub; s++) {
    sc[s] = d > 0 ? quant(scale[s], 1.0f / d, 0, scale_max) : 0;
    mq[s] = dmin > 0 ? quant(mins[s], 1.0f / dmin, 0, scale_max) : 0;
    /* A min that rounded to a larger offset than the range allows is fine:
     * the elements are clamped below. */
    float ds = d * (float)sc[s], dm = dmin * (float)mq[s];
    float inv = ds > 0 ? 1.0f / ds : 0;
    for (int i = 0; i < sub_len; i++)
      q[s * sub_len + i] = quant(x[s * sub_len + i] + dm, inv, 0, qmax);
  }
  *d_out = d;
  *dmin_out = dmin;
}

/* Symmetric sub-block quantisation shared by q3_k (q in -4..3, 6-bit signed
 * scales) and q6_k (q in -32..31, 8-bit signed scales): 16 sub-blocks of 16. */
static float kquant_symmetric(const float *x, int qneg, int scale_neg, int *sc, int *q) {
  float scale[16], max_scale = 0;
  for (int s = 0; s < 16; s++) {
    scale[s] = signed_extreme(x + 16 * s, 16) / (float)-qneg;
    if (fabsf(scale[s]) > fabsf(max_scale))
      max_scale = scale[s];
  }
  if (max_scale == 0) {
    memset(sc, 0, 16 * sizeof *sc);
    memset(q, 0, 256 * sizeof *q);
    return 0;
  }
  float iscale = (float)-scale_neg / max_scale;
  float d = qref_round_f16(1.0f / iscale);
  for (int s = 0; s < 16; s++) {
    sc[s] = quant(scale[s], iscale, -scale_neg, scale_neg - 1);
    float ds = d * (float)sc[s];
    float inv = ds != 0 ? 1.0f / ds : 0;
    for (int i = 0; i < 16; i++)
      q[16 * s + i] = quant(x[16 * s + i], inv, -qneg, qneg - 1);
  }
  return d;
}

static void q2_k_block(const float *x, uint8_t *b) {
  int sc[16], mq[16], q[256];
  float d, dmin;
  kquant_affine(x, 16, 16, 3, 15, &d, &dmin, sc, mq, q);
  memset(b, 0, 84);
  for (int s = 0; s < 16; s++)
    b[s] = (uint8_t)(sc[s] | (mq[s] << 4));
  uint8_t *qs = b + 16;
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, j = r / 32, l = r % 32;
    qs[32 * n + l] |= (uint8_t)(q[e] << (2 * j));
  }
  put_f16(b + 80, d);
  put_f16(b + 82, dmin);
}

static void q3_k_block(const float *x, uint8_t *b) {
  int sc[16], q[256];
  float d = kquant_symmetric(x, 4, 32, sc, q);
  memset(b, 0, 110);
  uint8_t *hmask = b, *qs = b + 32, *scales = b + 96;
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, j = r / 32, l = r % 32;
    int u = q[e] + 4; /* 0..7: low two bits in qs, the third in hmask */
    qs[32 * n + l] |= (uint8_t)((u & 3) << (2 * j));
    hmask[l] |= (uint8_t)((u >> 2) << (4 * n + j));
  }
  for (int s = 0; s < 16; s++) {
    int v = sc[s] + 32; /* 0..63 */
    scales[s % 8] |= (uint8_t)((v & 15) << (s < 8 ? 0 : 4));
    scales[8 + s % 4] |= (uint8_t)((v >> 4) << (2 * (s / 4)));
  }
  put_f16(b + 108, d);
}

/* The 12-byte 6-bit scale/min packing of q4_k and q5_k. */
static void pack_k_scales(const int *sc, const int *mq, uint8_t *p) {
  memset(p, 0, 12);
  for (int j = 0; j < 8; j++) {
    if (j < 4) {
      p[j] |= (uint8_t)sc[j];
      p[j + 4] |= (uint8_t)mq[j];
    } else {
      p[j + 4] = (uint8_t)((sc[j] & 15) | ((mq[j] & 15) << 4));
      p[j - 4] |= (uint8_t)((sc[j] >> 4) << 6);
      p[j] |= (uint8_t)((mq[j] >> 4) << 6);
    }
  }
}

/* q4_k (bits 4) and q5_k (bits 5): d, dmin, the packed scales, for q5_k the
 * fifth bits (qh, 32 bytes), then the low four bits (qs, 128 bytes). */
static void q45_k_block(const float *x, uint8_t *b, int bits) {
  int sc[8], mq[8], q[256];
  float d, dmin;
  kquant_affine(x, 8, 32, (1 << bits) - 1, 63, &d, &dmin, sc, mq, q);
  memset(b, 0, bits == 4 ? 144 : 176);
  put_f16(b, d);
  put_f16(b + 2, dmin);
  pack_k_scales(sc, mq, b + 4);
  uint8_t *qh = b + 16, *qs = bits == 4 ? b + 16 : b + 48;
  for (int e = 0; e < 256; e++) {
    int c = e / 64, hi = (e % 64) / 32, l = e % 32;
    qs[32 * c + l] |= (uint8_t)((q[e] & 15) << (4 * hi));
    if (bits == 5)
      qh[l] |= (uint8_t)((q[e] >> 4) << (2 * c + hi));
  }
}

static void q4_k_block(const float *x, uint8_t *b) {
  q45_k_block(x, b, 4);
}

static void q5_k_block(const float *x, uint8_t *b) {
  q45_k_block(x, b, 5);
}

static void q6_k_block(const float *x, uint8_t *b) {
  int sc[16], q[256];
  float d = kquant_symmetric(x, 32, 128, sc, q);
  memset(b, 0, 210);
  uint8_t *ql = b, *qh = b + 128;
  for (int e = 0; e < 256; e++) {
    int n = e / 128, r = e % 128, k = r / 32, l = r % 32;
    int u = q[e] + 32; /* 0..63 */
    int at = 64 * n + l + (k & 1) * 32;
    ql[at] |= (uint8_t)((u & 15) << (k >= 2 ? 4 : 0));
    qh[32 * n + l] |= (uint8_t)((u >> 4) << (2 * k));
  }
  for (int s = 0; s < 16; s++)
    b[192 + s] = (uint8_t)(int8_t)clampi(sc[s], -128, 127);
  put_f16(b + 208, d);
}

/* ---- dispatch ------------------------------------------------------------ */

uint64_t qref_row_bytes(uint32_t type, uint64_t n) {
  uint32_t be, bb;
  if (!ggml_type_block(type, &be, &bb) || n % be != 0)
    return 0;
  return n / be * bb;
}

bool qref_quantize_row(uint32_t type, const float *x, void *out, uint64_t n) {
  uint8_t *o = out;
  void (*block)(const float *, uint8_t *) = NULL;
  uint32_t be = 0, bb = 0;
  switch (type) {
  case GGML_F32:
    memcpy(out, x, n * 4);
    return true;
  case GGML_F16:
  case GGML_BF16:
    for (uint64_t i = 0; i < n; i++) {
      uint16_t h = type == GGML_F16 ? qref_f32_to_f16(x[i]) : qref_f32_to_bf16(x[i]);
      o[2 * i] = (uint8_t)h;
      o[2 * i + 1] = (uint8_t)(h >> 8);
    }
    return true;
  case GGML_Q4_0:
    block = q4_0_block;
    break;
  case GGML_Q4_1:
    block = q4_1_block;
    break;
  case GGML_Q5_0:
    block = q5_0_block;
    break;
  case GGML_Q5_1:
    block = q5_1_block;
    break;
  case GGML_Q8_0:
    block = q8_0_block;
    break;
  case GGML_Q2_K:
    block = q2_k_block;
    break;
  case GGML_Q3_K:
    block = q3_k_block;
    break;
  case GGML_Q4_K:
    block = q4_k_block;
    break;
  case GGML_Q5_K:
    block = q5_k_block;
    break;
  case GGML_Q6_K:
    block = q6_k_block;
    break;
  default:
    return false;
  }
  if (!ggml_type_block(type, &be, &bb) || n % be != 0)
    return false;
  for (uint64_t i = 0; i < n / be; i++)
    block(x + i * be, o + i * bb);
  return true;
}
