/* test_rt_quantize.c — libgqcrt's scalar conversions, activation quantisers
 * and weight dequantisers.
 *
 *  - f16/bf16 <-> f32: exhaustive round trips, round-to-nearest-even
 *    (including the f16 subnormal range and overflow to inf), NaN handling.
 *  - gqcrt_quantize_{f16,bf16,q8_0,q8_1,q8_k} against straightforward
 *    re-implementations written here from archspec §7.1 (exact equality), plus
 *    hand-made blocks whose quants land exactly on .5 to pin ties-to-even.
 *  - every dequantiser on hand-built blocks: literal values for the legacy
 *    formats and the Q4_K scale-unpack worked example of archspec §6.3, and a
 *    per-element re-implementation of the §6 formulas (byte offsets, not the
 *    runtime's structs) on random blocks.
 * Runtime-only: links libgqcrt alone, also runs under qemu-aarch64.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gqcrt.h"
#include "test_util.h"

/* ---- helpers ------------------------------------------------------------ */

/* Independent value of an f16 bit pattern (non-NaN), via ldexp. */
static double half_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double s = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 31)
    return s * INFINITY;
  if (e == 0)
    return s * ldexp(m, -24);
  return s * ldexp(1024 + m, e - 25);
}

/* ---- f16 ------------------------------------------------------------------ */

static void test_fp16_widen_exhaustive(void **state) {
  (void)state;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = gqcrt_fp16_to_fp32((uint16_t)h);
    const int e = (h >> 10) & 31, m = h & 1023;
    if (e == 31 && m != 0) {
      assert_true(isnan(f));
      assert_int_equal(qref_f32_bits(f) >> 31, h >> 15); /* sign kept */
      continue;
    }
    assert_true((double)f == half_value((uint16_t)h));
    assert_int_equal(qref_f32_bits(f) >> 31, h >> 15); /* -0 stays -0 */
    /* narrowing an f16 value gives it back */
    assert_int_equal(gqcrt_fp32_to_fp16(f), h);
  }
}

static void test_fp16_narrow_known(void **state) {
  (void)state;
  assert_int_equal(gqcrt_fp32_to_fp16(1.0f), 0x3C00);
  assert_int_equal(gqcrt_fp32_to_fp16(-2.0f), 0xC000);
  assert_int_equal(gqcrt_fp32_to_fp16(0.0f), 0x0000);
  assert_int_equal(gqcrt_fp32_to_fp16(-0.0f), 0x8000);
  assert_int_equal(gqcrt_fp32_to_fp16(65504.0f), 0x7BFF);
  assert_int_equal(gqcrt_fp32_to_fp16(65519.996f), 0x7BFF); /* just below the tie */
  assert_int_equal(gqcrt_fp32_to_fp16(65520.0f), 0x7C00);   /* tie to even = inf */
  assert_int_equal(gqcrt_fp32_to_fp16(1e10f), 0x7C00);
  assert_int_equal(gqcrt_fp32_to_fp16(-1e10f), 0xFC00);
  assert_int_equal(gqcrt_fp32_to_fp16(INFINITY), 0x7C00);
  assert_int_equal(gqcrt_fp32_to_fp16(-INFINITY), 0xFC00);
  /* ties in the normal range: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 */
  assert_int_equal(gqcrt_fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);
  assert_int_equal(gqcrt_fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);
  assert_int_equal(gqcrt_fp32_to_fp16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01);
  /* rounding up carries into the exponent */
  assert_int_equal(gqcrt_fp32_to_fp16(2.0f - 0x1p-12f), 0x4000);
  /* subnormals: unit 2^-24 */
  assert_int_equal(gqcrt_fp32_to_fp16(0x1p-24f), 0x0001);
  assert_int_equal(gqcrt_fp32_to_fp16(0x1p-25f), 0x0000);        /* tie -> even 0 */
  assert_int_equal(gqcrt_fp32_to_fp16(0x1.000002p-25f), 0x0001); /* just above the tie */
  assert_int_equal(gqcrt_fp32_to_fp16(3 * 0x1p-25f), 0x0002);    /* 1.5 units: tie -> 2 */
  assert_int_equal(gqcrt_fp32_to_fp16(5 * 0x1p-25f), 0x0002);    /* 2.5 units: tie -> 2 */
  assert_int_equal(gqcrt_fp32_to_fp16(-7 * 0x1p-25f), 0x8004);   /* -3.5 units -> -4 */
  assert_int_equal(gqcrt_fp32_to_fp16(1e-30f), 0x0000);
  assert_int_equal(gqcrt_fp32_to_fp16(-1e-30f), 0x8000);
  assert_int_equal(gqcrt_fp32_to_fp16(0x1p-14f), 0x0400);            /* smallest normal */
  assert_int_equal(gqcrt_fp32_to_fp16(0x1p-14f - 0x1p-26f), 0x0400); /* rounds up into it */
  assert_int_equal(gqcrt_fp32_to_fp16(0x1.ffcp-15f), 0x0400);        /* 1023.5 units: tie -> 1024 */
  assert_int_equal(gqcrt_fp32_to_fp16(0x1.ff4p-15f), 0x03FE);        /* 1022.5 units: tie -> 1022 */
  /* NaN stays NaN (exponent all ones, non-zero mantissa), quiet, sign kept */
  const uint16_t qn = gqcrt_fp32_to_fp16(NAN);
  assert_int_equal(qn & 0x7C00, 0x7C00);
  assert_true((qn & 0x03FF) != 0);
  assert_true((qn & 0x0200) != 0);
  const uint16_t sn = gqcrt_fp32_to_fp16(qref_bits_f32(0xFF800001u)); /* signalling, negative */
  assert_int_equal(sn & 0xFC00, 0xFC00);
  assert_true((sn & 0x0200) != 0);
}

/* Random floats across the whole f16 range: the result must be the nearest
 * f16, ties to the even mantissa. */
static void test_fp16_narrow_is_nearest_even(void **state) {
  (void)state;
  for (int it = 0; it < 200000; ++it) {
    /* exponents from 2^-27 to 2^16, random mantissa and sign */
    const uint32_t e = 100 + rnd32() % 44;
    const uint32_t bits = (rnd32() & 0x80000000u) | (e << 23) | (rnd32() & 0x7FFFFFu);
    const float f = qref_bits_f32(bits);
    const uint16_t h = gqcrt_fp32_to_fp16(f);
    const double v = half_value(h), x = f;
    if (fabs(x) >= 65520.0) {
      assert_int_equal(h & 0x7FFF, 0x7C00);
      continue;
    }
    const uint16_t mag = h & 0x7FFF;
    const double err = fabs(v - x);
    /* the neighbours of h in magnitude */
    if (mag > 0) {
      const double lo = half_value((uint16_t)((h & 0x8000) | (mag - 1)));
      assert_true(err <= fabs(lo - x));
      if (err == fabs(lo - x))
        assert_int_equal(h & 1, 0);
    }
    if (mag < 0x7BFF) {
      const double hi = half_value((uint16_t)((h & 0x8000) | (mag + 1)));
      assert_true(err <= fabs(hi - x));
      if (err == fabs(hi - x))
        assert_int_equal(h & 1, 0);
    }
  }
}

/* Against the compiler's own _Float16 conversion (an independent RNE
 * implementation: libgcc or the FPU) where the compiler has the type. */
static void test_fp16_vs_compiler_float16(void **state) {
  (void)state;
#if defined(__FLT16_MAX__)
  for (uint32_t it = 0; it < 2000000; ++it) {
    /* a strided sweep of all bit patterns plus random ones */
    const uint32_t bits = (it & 1) ? it * 2147u : rnd32();
    const float f = qref_bits_f32(bits);
    if (isnan(f))
      continue;
    const _Float16 h = (_Float16)f;
    uint16_t hb;
    memcpy(&hb, &h, 2);
    assert_int_equal(gqcrt_fp32_to_fp16(f), hb);
  }
#else
  skip();
#endif
}

/* ---- bf16 ----------------------------------------------------------------- */

static void test_bf16_conversions(void **state) {
  (void)state;
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = gqcrt_bf16_to_fp32((uint16_t)h);
    assert_int_equal(qref_f32_bits(f), h << 16);
    if (!isnan(f))
      assert_int_equal(gqcrt_fp32_to_bf16(f), h);
  }
  assert_int_equal(gqcrt_fp32_to_bf16(1.0f), 0x3F80);
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x3F808000u)), 0x3F80); /* tie, even stays */
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x3F818000u)), 0x3F82); /* tie, odd rounds up */
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x3F808001u)), 0x3F81);
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x3F807FFFu)), 0x3F80);
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x7F7FFFFFu)), 0x7F80); /* max float -> inf */
  assert_int_equal(gqcrt_fp32_to_bf16(INFINITY), 0x7F80);
  assert_int_equal(gqcrt_fp32_to_bf16(-INFINITY), 0xFF80);
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x00008000u)),
                   0x0000); /* subnormal tie -> even */
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x00018000u)), 0x0002);
  /* NaN: quiet bit forced, stays NaN even if the payload sits in the low bits */
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0x7F800001u)), 0x7FC0);
  assert_int_equal(gqcrt_fp32_to_bf16(qref_bits_f32(0xFFC00000u)), 0xFFC0);
}

/* ---- activation quantisers --------------------------------------------------- */

static void test_quantize_f16_bf16(void **state) {
  (void)state;
  float x[96];
  fill_uniform(x, 96, 3.0f);
  x[5] = 1e6f;
  x[6] = 1e-7f;
  uint16_t h[96], b[96];
  gqcrt_quantize_f16(h, x, 96);
  gqcrt_quantize_bf16(b, x, 96);
  for (int i = 0; i < 96; ++i) {
    assert_int_equal(h[i], gqcrt_fp32_to_fp16(x[i]));
    assert_int_equal(b[i], gqcrt_fp32_to_bf16(x[i]));
  }
}

/* Reference q8_0/q8_1 block by the x86 AVX2 rule, written plainly. */
static void ref_q8_block(const float *x, float *d, int8_t *q, int *sum) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j)
    if (fabsf(x[j]) > amax)
      amax = fabsf(x[j]);
  *d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  *sum = 0;
  for (int j = 0; j < 32; ++j) {
    const float v = x[j] * id;
    q[j] = (int8_t)rintf(v); /* default rounding mode: nearest, ties to even */
    *sum += q[j];
  }
}

static void check_q8_0_row(const float *x, int n) {
  uint8_t out[34 * 16];
  gqcrt_quantize_q8_0(out, x, n);
  for (int b = 0; b < n / 32; ++b) {
    float d;
    int8_t q[32];
    int sum;
    ref_q8_block(x + 32 * b, &d, q, &sum);
    assert_int_equal(rd16(out + 34 * b), gqcrt_fp32_to_fp16(d));
    assert_memory_equal(out + 34 * b + 2, q, 32);
  }
}

static void test_quantize_q8_0(void **state) {
  (void)state;
  float x[32 * 16];
  for (int rep = 0; rep < 20; ++rep) {
    fill_uniform(x, 32 * 16, rep == 0 ? 1e-3f : (float)(rep * rep));
    check_q8_0_row(x, 32 * 16);
  }
  /* an all-zero block and a block with one non-zero value */
  memset(x, 0, sizeof x);
  x[40] = -3.0f;
  check_q8_0_row(x, 64);
  uint8_t out[68];
  gqcrt_quantize_q8_0(out, x, 64);
  assert_int_equal(rd16(out), 0);
  assert_int_equal((int8_t)out[34 + 2 + 8], -127);

  /* ties: amax = 127 makes id exactly 1, so x*id = x lands on .5 */
  float t[32] = {127.0f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.5f, -126.5f};
  gqcrt_quantize_q8_0(out, t, 32);
  const int8_t want[10] = {127, 2, 4, -2, -4, 0, 0, 2, 126, -126};
  assert_memory_equal(out + 2, want, 10);
  assert_int_equal(rd16(out), gqcrt_fp32_to_fp16(1.0f));
}

static void test_quantize_q8_1(void **state) {
  (void)state;
  float x[32 * 8];
  uint8_t out[36 * 8];
  for (int rep = 0; rep < 20; ++rep) {
    fill_uniform(x, 32 * 8, 0.1f + (float)rep);
    if (rep == 3)
      memset(x + 64, 0, 32 * sizeof(float));
    gqcrt_quantize_q8_1(out, x, 32 * 8);
    for (int b = 0; b < 8; ++b) {
      float d;
      int8_t q[32];
      int sum;
      ref_q8_block(x + 32 * b, &d, q, &sum);
      assert_int_equal(rd16(out + 36 * b), gqcrt_fp32_to_fp16(d));
      assert_int_equal(rd16(out + 36 * b + 2), gqcrt_fp32_to_fp16(d * (float)sum));
      assert_memory_equal(out + 36 * b + 4, q, 32);
    }
  }
}

/* Reference q8_k super-block: signed max of the first largest |x|, iscale =
 * -127/max, q = min(127, nearest-even), f32 d = 1/iscale, 16-element bsums. */
static void check_q8_k_row(const float *x, int n) {
  uint8_t out[292 * 4];
  gqcrt_quantize_q8_k(out, x, n);
  for (int b = 0; b < n / 256; ++b) {
    const float *xb = x + 256 * b;
    const uint8_t *ob = out + 292 * b;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 256; ++j)
      if (fabsf(xb[j]) > amax) {
        amax = fabsf(xb[j]);
        max = xb[j];
      }
    float d;
    memcpy(&d, ob, 4);
    if (amax == 0.0f) {
      assert_true(d == 0.0f);
      for (int j = 0; j < 256; ++j)
        assert_int_equal((int8_t)ob[4 + j], 0);
      continue;
    }
    const float iscale = -127.0f / max;
    assert_int_equal(qref_f32_bits(d), qref_f32_bits(1.0f / iscale));
    int bs[16] = {0};
    for (int j = 0; j < 256; ++j) {
      long v = lrintf(iscale * xb[j]);
      if (v > 127)
        v = 127;
      assert_int_equal((int8_t)ob[4 + j], v);
      bs[j / 16] += (int)v;
    }
    for (int g = 0; g < 16; ++g) {
      int16_t got;
      memcpy(&got, ob + 260 + 2 * g, 2);
      assert_int_equal(got, bs[g]);
    }
  }
}

static void test_quantize_q8_k(void **state) {
  (void)state;
  float x[256 * 4];
  for (int rep = 0; rep < 20; ++rep) {
    fill_uniform(x, 256 * 4, 0.01f + (float)rep);
    if (rep == 1)
      memset(x + 256, 0, 256 * sizeof(float)); /* zero super-block */
    if (rep == 2) {
      x[17] = 50.0f; /* positive max: d negative, quants negated */
      x[300] = -50.0f;
      x[301] = 50.0f; /* tie in |x|: the first one (negative) wins */
    }
    check_q8_k_row(x, 256 * 4);
  }
  /* the sign trick, literally: max = +50 gives d = -50/127 and q = -127 there */
  memset(x, 0, sizeof x);
  x[3] = 50.0f;
  x[4] = -25.0f;
  uint8_t out[292];
  gqcrt_quantize_q8_k(out, x, 256);
  float d;
  memcpy(&d, out, 4);
  assert_true(d < 0.0f);
  assert_int_equal((int8_t)out[4 + 3], -127);
  assert_int_equal((int8_t)out[4 + 4], 64); /* 63.5 rounds to even 64 */
  int16_t bs0;
  memcpy(&bs0, out + 260, 2);
  assert_int_equal(bs0, -63);
}

/* ---- dequantisers: hand-built blocks -------------------------------------------- */

static void test_dequant_legacy_literal(void **state) {
  (void)state;
  float y[64];
  /* Q4_0: d = 0.5, qs[j] = j | (15-j) << 4 */
  uint8_t q40[18];
  wr16(q40, 0x3800);
  for (int j = 0; j < 16; ++j)
    q40[2 + j] = (uint8_t)(j | ((15 - j) << 4));
  gqcrt_dequantize_q4_0(y, q40, 32);
  for (int j = 0; j < 16; ++j) {
    assert_true(y[j] == (float)(j - 8) * 0.5f);
    assert_true(y[j + 16] == (float)(7 - j) * 0.5f);
  }
  /* Q4_1: d = 0.25, m = -1 */
  uint8_t q41[20];
  wr16(q41, 0x3400);
  wr16(q41 + 2, 0xBC00);
  for (int j = 0; j < 16; ++j)
    q41[4 + j] = (uint8_t)(j | ((15 - j) << 4));
  gqcrt_dequantize_q4_1(y, q41, 32);
  for (int j = 0; j < 16; ++j) {
    assert_true(y[j] == (float)j * 0.25f - 1.0f);
    assert_true(y[j + 16] == (float)(15 - j) * 0.25f - 1.0f);
  }
  /* Q5_0: d = 2, nibble j & 15, fifth bit set for odd elements */
  uint8_t q50[22];
  wr16(q50, 0x4000);
  const uint32_t qh = 0xAAAAAAAAu; /* bits 1,3,5,... */
  memcpy(q50 + 2, &qh, 4);         /* little-endian host assumed by tests (x86, aarch64) */
  for (int j = 0; j < 16; ++j)
    q50[6 + j] = (uint8_t)(j | (j << 4));
  gqcrt_dequantize_q5_0(y, q50, 32);
  for (int j = 0; j < 16; ++j) {
    const int hb = (j & 1) ? 16 : 0;
    assert_true(y[j] == (float)(j + hb - 16) * 2.0f);
    assert_true(y[j + 16] == (float)(j + hb - 16) * 2.0f);
  }
  /* Q5_1: d = 0.5, m = 3, fifth bit only on element 31 and 0 */
  uint8_t q51[24];
  wr16(q51, 0x3800);
  wr16(q51 + 2, 0x4200);
  const uint32_t qh1 = 0x80000001u;
  memcpy(q51 + 4, &qh1, 4);
  for (int j = 0; j < 16; ++j)
    q51[8 + j] = (uint8_t)(15 | (j << 4));
  gqcrt_dequantize_q5_1(y, q51, 32);
  assert_true(y[0] == 31 * 0.5f + 3.0f);
  assert_true(y[1] == 15 * 0.5f + 3.0f);
  assert_true(y[16] == 0 * 0.5f + 3.0f);
  assert_true(y[31] == 31 * 0.5f + 3.0f);
  assert_true(y[30] == 14 * 0.5f + 3.0f);
  /* Q8_0: d = -0.125, two blocks */
  uint8_t q80[68];
  for (int b = 0; b < 2; ++b) {
    wr16(q80 + 34 * b, b ? 0x3C00 : 0xB000);
    for (int j = 0; j < 32; ++j)
      q80[34 * b + 2 + j] = (uint8_t)(int8_t)(j * 8 - 128);
  }
  gqcrt_dequantize_q8_0(y, q80, 64);
  for (int j = 0; j < 32; ++j) {
    assert_true(y[j] == (float)(j * 8 - 128) * -0.125f);
    assert_true(y[32 + j] == (float)(j * 8 - 128));
  }
}

/* archspec §6.3 worked example: b[0]=0xC5, b[4]=0x41, b[8]=0x27 give sc_0 = 5,
 * m_0 = 1, sc_4 = 55, m_4 = 18. With d = dmin = 1 and every quant 0 except a
 * marked one, the dequantised values expose the unpacked scales and mins. */
static void test_dequant_q4_k_worked_example(void **state) {
  (void)state;
  uint8_t blk[144] = {0};
  wr16(blk, 0x3C00);     /* d = 1 */
  wr16(blk + 2, 0x3C00); /* dmin = 1 */
  uint8_t *b = blk + 4;
  b[0] = 0xC5;
  b[4] = 0x41;
  b[8] = 0x27;
  uint8_t *qs = blk + 16;
  qs[0] = 0x01;          /* element 0 (sub-block 0, low nibble) = 1 */
  qs[32 * 2 + 5] = 0x02; /* element 128 + 5 (sub-block 4, low nibble) = 2 */
  float y[256];
  gqcrt_dequantize_q4_k(y, blk, 256);
  assert_true(y[0] == 5.0f * 1 - 1.0f);     /* sc_0 * q - m_0 */
  assert_true(y[1] == -1.0f);               /* q = 0 */
  assert_true(y[133] == 55.0f * 2 - 18.0f); /* sc_4 * q - m_4 */
  assert_true(y[130] == -18.0f);
  /* sub-block 1 (high nibbles of qs[0..32)): sc_1 = b[1]&63 = 0, m_1 = b[5]&63 = 0 */
  assert_true(y[32] == 0.0f);
  /* sub-block 5: sc_5 = (b[9]&15) | (b[1]>>6)<<4 = 0 */
  assert_true(y[160] == 0.0f);
}

/* Per-element re-implementation of archspec §6.3 from byte offsets. */
static float h2f(const uint8_t *p) {
  return gqcrt_fp16_to_fp32(rd16(p));
}

static void ref_dequant_kquant(const char *enc, const uint8_t *blk, float *y) {
  for (int e = 0; e < 256; ++e) {
    const int n = e / 128, r = e % 128, j = r / 32, l = r % 32, s = e / 16;
    if (!strcmp(enc, "q2_k")) {
      const uint8_t sc = blk[s];
      const int q = (blk[16 + 32 * n + l] >> (2 * j)) & 3;
      y[e] = (h2f(blk + 80) * (float)(sc & 15)) * (float)q - (h2f(blk + 82) * (float)(sc >> 4));
    } else if (!strcmp(enc, "q3_k")) {
      const uint8_t *b = blk + 96;
      const int low4 = s < 8 ? (b[s] & 0xF) : (b[s - 8] >> 4);
      const int high2 = (b[8 + s % 4] >> (2 * (s / 4))) & 3;
      const int sc = (low4 | high2 << 4) - 32;
      const int q =
          ((blk[32 + 32 * n + l] >> (2 * j)) & 3) - (((blk[l] >> (4 * n + j)) & 1) ? 0 : 4);
      y[e] = (h2f(blk + 108) * (float)sc) * (float)q;
    } else if (!strcmp(enc, "q4_k") || !strcmp(enc, "q5_k")) {
      const int c = e / 64, hi = (e % 64) / 32, jj = 2 * c + hi;
      const uint8_t *b = blk + 4;
      int sc, m;
      if (jj < 4) {
        sc = b[jj] & 63;
        m = b[jj + 4] & 63;
      } else {
        sc = (b[jj + 4] & 0xF) | ((b[jj - 4] >> 6) << 4);
        m = (b[jj + 4] >> 4) | ((b[jj] >> 6) << 4);
      }
      const int is5 = !strcmp(enc, "q5_k");
      const uint8_t *qs = blk + (is5 ? 48 : 16);
      int q = hi ? (qs[32 * c + l] >> 4) : (qs[32 * c + l] & 0xF);
      if (is5)
        q += ((blk[16 + l] >> (2 * c + hi)) & 1) ? 16 : 0;
      y[e] = (h2f(blk) * (float)sc) * (float)q - (h2f(blk + 2) * (float)m);
    } else { /* q6_k */
      const int k = j;
      int low4;
      switch (k) {
      case 0:
        low4 = blk[64 * n + l] & 0xF;
        break;
      case 1:
        low4 = blk[64 * n + l + 32] & 0xF;
        break;
      case 2:
        low4 = blk[64 * n + l] >> 4;
        break;
      default:
        low4 = blk[64 * n + l + 32] >> 4;
        break;
      }
      const int high2 = (blk[128 + 32 * n + l] >> (2 * k)) & 3;
      const int q = (low4 | high2 << 4) - 32;
      y[e] = (h2f(blk + 208) * (float)(int8_t)blk[192 + s]) * (float)q;
    }
  }
}

static void test_dequant_kquants_random(void **state) {
  (void)state;
  static const struct {
    const char *enc;
    int bytes, d_off, dmin_off;
    void (*fn)(float *, const void *, int32_t);
  } K[] = {
      {"q2_k", 84, 80, 82, gqcrt_dequantize_q2_k},   {"q3_k", 110, 108, -1, gqcrt_dequantize_q3_k},
      {"q4_k", 144, 0, 2, gqcrt_dequantize_q4_k},    {"q5_k", 176, 0, 2, gqcrt_dequantize_q5_k},
      {"q6_k", 210, 208, -1, gqcrt_dequantize_q6_k},
  };
  for (size_t t = 0; t < sizeof K / sizeof K[0]; ++t) {
    _Alignas(16) uint8_t row[3 * 210];
    float got[768], want[256];
    for (int rep = 0; rep < 10; ++rep) {
      for (int i = 0; i < 3 * K[t].bytes; ++i)
        row[i] = (uint8_t)rnd32();
      for (int b = 0; b < 3; ++b) {
        wr16(row + b * K[t].bytes + K[t].d_off, gqcrt_fp32_to_fp16(rnd_uniform(-0.1f, 0.1f)));
        if (K[t].dmin_off >= 0)
          wr16(row + b * K[t].bytes + K[t].dmin_off, gqcrt_fp32_to_fp16(rnd_uniform(-0.1f, 0.1f)));
      }
      K[t].fn(got, row, 768);
      for (int b = 0; b < 3; ++b) {
        ref_dequant_kquant(K[t].enc, row + b * K[t].bytes, want);
        for (int e = 0; e < 256; ++e)
          assert_int_equal(qref_f32_bits(got[256 * b + e]), qref_f32_bits(want[e]));
      }
    }
  }
}

/* A Q6_K block with literal values: scale of group s is s+1 with alternating
 * sign, quants all -32 (zero bits) except two hand-placed ones. */
static void test_dequant_q6_k_literal(void **state) {
  (void)state;
  uint8_t blk[210] = {0};
  wr16(blk + 208, 0x3C00); /* d = 1 */
  for (int s = 0; s < 16; ++s)
    blk[192 + s] = (uint8_t)(int8_t)((s & 1) ? -(s + 1) : (s + 1));
  /* element 0 (n=0,k=0,l=0): q = 63 - 32 = 31: low4 = 15, high2 = 3 */
  blk[0] = 0x0F;
  blk[128] = 0x03;
  /* element 200 = 128 + 64 + 8 (n=1, k=2, l=8): low4 from ql[64+8] high nibble,
   * high2 from qh[32+8] bits 4..5 -> q = (5 | 2<<4) - 32 = 5 */
  blk[64 + 8] = 0x50;
  blk[128 + 32 + 8] = 0x20;
  float y[256];
  gqcrt_dequantize_q6_k(y, blk, 256);
  assert_true(y[0] == 31.0f);        /* group 0: scale 1, q = 31 */
  assert_true(y[200] == 13.0f * 5);  /* group 12: scale 13, q = 5 */
  assert_true(y[1] == -32.0f);       /* group 0, q = -32 */
  assert_true(y[16] == 64.0f);       /* group 1: scale -2, q = -32 */
  assert_true(y[136] == 9.0f * -32); /* group 8 shares ql[72]'s low nibble: 0 */
}

static void test_dequant_float(void **state) {
  (void)state;
  const float x[4] = {1.5f, -2.25f, 65504.0f, 1e-6f};
  uint16_t h[4], b[4];
  float y[4];
  for (int i = 0; i < 4; ++i) {
    h[i] = gqcrt_fp32_to_fp16(x[i]);
    b[i] = gqcrt_fp32_to_bf16(x[i]);
  }
  gqcrt_dequantize_f16(y, h, 4);
  for (int i = 0; i < 4; ++i)
    assert_true(y[i] == gqcrt_fp16_to_fp32(h[i]));
  gqcrt_dequantize_bf16(y, b, 4);
  for (int i = 0; i < 4; ++i)
    assert_true(y[i] == gqcrt_bf16_to_fp32(b[i]));
  gqcrt_dequantize_f32(y, x, 4);
  assert_memory_equal(y, x, sizeof x);
}

int main(void) {
  test_rng_seed(0x9E3779B97F4A7C15ull);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fp16_widen_exhaustive),
      cmocka_unit_test(test_fp16_narrow_known),
      cmocka_unit_test(test_fp16_narrow_is_nearest_even),
      cmocka_unit_test(test_fp16_vs_compiler_float16),
      cmocka_unit_test(test_bf16_conversions),
      cmocka_unit_test(test_quantize_f16_bf16),
      cmocka_unit_test(test_quantize_q8_0),
      cmocka_unit_test(test_quantize_q8_1),
      cmocka_unit_test(test_quantize_q8_k),
      cmocka_unit_test(test_dequant_legacy_literal),
      cmocka_unit_test(test_dequant_q4_k_worked_example),
      cmocka_unit_test(test_dequant_kquants_random),
      cmocka_unit_test(test_dequant_q6_k_literal),
      cmocka_unit_test(test_dequant_float),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
