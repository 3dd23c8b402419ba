/* test_rt_ops.c — libgqcrt's non-linear ops: RMSNorm, LayerNorm, RoPE (also
 * with frequency factors and an attention factor), the short causal
 * convolution of LFM2, attention over a
 * KV cache (GQA, sliding window on a ring buffer, f16 cache), SiLU, tanh-GELU
 * with llama.cpp's f16-table semantics, softcap, softmax, and the aliasing
 * rules of add/mul/scale/copy.
 *
 * Each op is checked against an independent formula written here: exact
 * equality where the runtime promises llama.cpp's exact operation order
 * (RMSNorm, the RoPE theta chain and rotation, GELU, softcap; llama.cpp's
 * FMA-contracted expressions are written with libm's fmaf), otherwise a
 * tolerance against a double-precision computation.
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
#include "runtime/src/fused_mul_add.h" /* internal helper, tested directly */
#include "test_util.h"

#define assert_same_float(a, b) assert_int_equal(qref_f32_bits(a), qref_f32_bits(b))
#define assert_close(a, b, tol)                                                                    \
  do {                                                                                             \
    const double a_ = (a), b_ = (b);                                                               \
    if (!(fabs(a_ - b_) <= (tol)))                                                                 \
      fail_msg("%s = %.9g vs %s = %.9g (tol %.3g)", #a, a_, #b, b_, (double)(tol));                \
  } while (0)

/* ---- fused multiply-add emulation ------------------------------------------
 * The runtime reproduces llama.cpp's FMA-contracted expressions with a
 * portable correctly rounded a*b + c; it must agree with libm's fmaf,
 * including cancellation, results near rounding ties and tiny results. */

static float rnd_exp_float(int emin, int emax) {
  const uint32_t e = (uint32_t)emin + rnd32() % (uint32_t)(emax - emin);
  return qref_bits_f32((rnd32() & 0x80000000u) | (e << 23) | (rnd32() & 0x7FFFFFu));
}

static void test_fused_mul_add_matches_fmaf(void **state) {
  (void)state;
  for (int i = 0; i < 400000; ++i) {
    const int tiny = (i & 7) == 7;
    const float a = tiny ? rnd_exp_float(40, 90) : rnd_exp_float(100, 150);
    const float b = tiny ? rnd_exp_float(40, 90) : rnd_exp_float(100, 150);
    float c;
    switch (i % 4) {
    case 0:
      c = rnd_exp_float(tiny ? 1 : 60, tiny ? 60 : 190);
      break;
    case 1:
      c = -(a * b);
      break;  /* cancellation: the result is the product's rounding error */
    case 2: { /* a few ulps around -a*b */
      uint32_t u = qref_f32_bits(-(a * b));
      u += rnd32() % 5 - 2;
      c = qref_bits_f32(u);
      break;
    }
    default:
      c = rnd_exp_float(120, 132);
      break;
    }
    const float got = gqcrt_fused_mul_add(a, b, c), want = fmaf(a, b, c);
    if (qref_f32_bits(got) != qref_f32_bits(want))
      fail_msg("fma(%a, %a, %a) = %a, want %a", (double)a, (double)b, (double)c, (double)got,
               (double)want);
  }
  /* a classic double-rounding trap: a*b + c exactly halfway after a naive
   * double sum; 1 + 2^-24 + 2^-60 must round up to 1 + 2^-23 */
  assert_same_float(gqcrt_fused_mul_add(1.0f + 0x1p-23f, 0x1p-24f + 0x1p-47f, 1.0f),
                    fmaf(1.0f + 0x1p-23f, 0x1p-24f + 0x1p-47f, 1.0f));
}

/* ---- RMSNorm --------------------------------------------------------------- */

static void test_rms_norm(void **state) {
  (void)state;
  float x[3 * 64], w[64], y[3 * 64];
  fill_uniform(x, 3 * 64, 4.0f);
  fill_uniform(w, 64, 2.0f);
  const float eps = 1e-6f;
  gqcrt_rms_norm(y, x, w, 3 * 64, 64, eps); /* three groups (e.g. per-head norm) */
  for (int g = 0; g < 3; ++g) {
    double sum = 0.0;
    for (int i = 0; i < 64; ++i)
      sum += (double)(x[64 * g + i] * x[64 * g + i]);
    const float mean = (float)(sum / 64);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < 64; ++i)
      assert_same_float(y[64 * g + i], (x[64 * g + i] * scale) * w[i]);
    /* and the mathematical definition, loosely */
    const double rms = sqrt(sum / 64 + eps);
    for (int i = 0; i < 64; ++i)
      assert_close(y[64 * g + i], x[64 * g + i] / rms * w[i], 1e-5);
  }
  /* in place */
  float z[3 * 64];
  memcpy(z, x, sizeof x);
  gqcrt_rms_norm(z, z, w, 3 * 64, 64, eps);
  assert_memory_equal(z, y, sizeof y);
  /* eps matters for a zero row */
  float zero[8] = {0}, ones[8] = {1, 1, 1, 1, 1, 1, 1, 1}, out[8];
  gqcrt_rms_norm(out, zero, ones, 8, 8, 1e-5f);
  for (int i = 0; i < 8; ++i)
    assert_true(out[i] == 0.0f);
}

/* ---- RoPE ---------------------------------------------------------------------- */

/* theta of pair i by llama.cpp's chain, written out independently. */
static float chain_theta(int pos, int i, float base, int n_rot) {
  const float ts = powf(base, -2.0f / (float)n_rot);
  float t = (float)pos;
  for (int k = 0; k < i; ++k)
    t *= ts;
  return t;
}

/* ff: frequency factors (LongRoPE) or NULL; af: attn_factor (mscale). */
static void check_rope_ext(int mode, int n_head, int head_dim, int n_rot, int pos, float base,
                           float fs, const float *ff, float af) {
  float x[4 * 128], y[4 * 128];
  fill_uniform(x, n_head * head_dim, 2.0f);
  gqcrt_rope(y, x, pos, n_head, head_dim, n_rot, base, fs, mode, ff, af);
  for (int h = 0; h < n_head; ++h) {
    const float *xh = x + h * head_dim, *yh = y + h * head_dim;
    for (int i = 0; i < n_rot / 2; ++i) {
      const int ia = mode == GQCRT_ROPE_NEOX ? i : 2 * i;
      const int ib = mode == GQCRT_ROPE_NEOX ? i + n_rot / 2 : 2 * i + 1;
      /* exact: the chain, freq_scale, cosf/sinf, and the rotation as
       * llama.cpp's FMA-contracted build evaluates it */
      const float fi = ff ? ff[i] : 1.0f;
      const float t = fs * (chain_theta(pos, i, base, n_rot) / fi);
      const float c = cosf(t) * af, s = sinf(t) * af;
      assert_same_float(yh[ia], fmaf(xh[ia], c, -(xh[ib] * s)));
      assert_same_float(yh[ib], fmaf(xh[ia], s, xh[ib] * c));
      /* independent: theta = pos * base^(-2i/n_rot) / f_i in double */
      const double td = fs * pos * pow(base, -2.0 * i / n_rot) / fi;
      const double cd = af * cos(td), sd = af * sin(td);
      /* the f32 chain drifts by ~i ulp of theta, i.e. up to ~1e-7*i*|theta| */
      const double tol = 2e-6 + 4e-7 * (i + 1) * fabs(td) * 4.0;
      assert_close(yh[ia], xh[ia] * cd - xh[ib] * sd, tol);
      assert_close(yh[ib], xh[ia] * sd + xh[ib] * cd, tol);
    }
    for (int i = n_rot; i < head_dim; ++i)
      assert_same_float(yh[i], xh[i]);
  }
  /* in place gives the same bits */
  float z[4 * 128];
  memcpy(z, x, sizeof z);
  gqcrt_rope(z, z, pos, n_head, head_dim, n_rot, base, fs, mode, ff, af);
  assert_memory_equal(z, y, sizeof(float) * (size_t)(n_head * head_dim));
}

static void check_rope(int mode, int n_head, int head_dim, int n_rot, int pos, float base,
                       float fs) {
  check_rope_ext(mode, n_head, head_dim, n_rot, pos, base, fs, NULL, 1.0f);
}

static void test_rope_normal_and_neox(void **state) {
  (void)state;
  check_rope(GQCRT_ROPE_NORMAL, 4, 64, 64, 7, 10000.0f, 1.0f);
  check_rope(GQCRT_ROPE_NEOX, 4, 64, 64, 7, 10000.0f, 1.0f);
  check_rope(GQCRT_ROPE_NEOX, 2, 128, 128, 1000, 1e6f, 1.0f);
  check_rope(GQCRT_ROPE_NORMAL, 3, 48, 48, 123, 10000.0f, 1.0f);
  check_rope(GQCRT_ROPE_NEOX, 1, 128, 128, 4095, 1e6f, 0.125f); /* linear scaling */
  check_rope(GQCRT_ROPE_NORMAL, 2, 64, 32, 5, 10000.0f, 1.0f);  /* partial rotation */
  check_rope(GQCRT_ROPE_NEOX, 2, 64, 32, 5, 10000.0f, 1.0f);
  /* LongRoPE: per-pair frequency factors and an attention factor (phi3) */
  float ff[64];
  for (int i = 0; i < 64; ++i)
    ff[i] = 1.0f + 0.37f * (float)i;
  check_rope_ext(GQCRT_ROPE_NEOX, 2, 128, 128, 300, 10000.0f, 1.0f, ff, 1.19f);
  check_rope_ext(GQCRT_ROPE_NORMAL, 2, 64, 32, 77, 10000.0f, 0.5f, ff, 1.0f);
}

/* ---- short causal convolution ---------------------------------------------------------- */

/* gqcrt_causal_conv against the formula (each channel's dot product of its
 * taps with the last `taps` inputs, zeros before position 0, the f32 sum in
 * tap order), one token at a time; then a batch of rows against its rows
 * one by one, from a state with history, bit for bit. */
static void test_causal_conv(void **state) {
  (void)state;
  enum { N = 12, TAPS = 4, STEPS = 9, ROWS = 5 };
  float w[N * TAPS], x[STEPS][N], y[N], st[(TAPS - 1) * N];
  fill_uniform(w, N * TAPS, 1.0f);
  memset(st, 0x7f, sizeof st); /* garbage: positions < 0 must not read it */
  for (int p = 0; p < STEPS; ++p) {
    fill_uniform(x[p], N, 2.0f);
    gqcrt_causal_conv(y, x[p], w, st, p, 1, N, TAPS);
    for (int c = 0; c < N; ++c) {
      float want = 0.0f;
      for (int i = 0; i < TAPS; ++i) {
        const int q = p - (TAPS - 1) + i;
        if (q >= 0)
          want += x[q][c] * w[c * TAPS + i];
      }
      assert_same_float(y[c], want);
    }
  }
  float xb[ROWS * N], yb[ROWS * N], y1[ROWS * N], st2[(TAPS - 1) * N];
  fill_uniform(xb, ROWS * N, 2.0f);
  memcpy(st2, st, sizeof st);
  gqcrt_causal_conv(yb, xb, w, st, STEPS, ROWS, N, TAPS);
  for (int r = 0; r < ROWS; ++r)
    gqcrt_causal_conv(y1 + r * N, xb + r * N, w, st2, STEPS + r, 1, N, TAPS);
  assert_memory_equal(yb, y1, sizeof yb);
  assert_memory_equal(st, st2, sizeof st);
}

/* ---- LayerNorm ----------------------------------------------------------------------- */

/* ggml_norm then * w then + b: against the formula in double, groups of 40
 * with and without weight and bias, in place too. */
static void test_layer_norm(void **state) {
  (void)state;
  enum { G = 40, N = 3 * G };
  float x[N], w[G], b[G], y[N], z[N];
  fill_uniform(x, N, 3.0f);
  for (int i = 0; i < N; ++i)
    x[i] += 1.5f; /* a mean far from 0 */
  fill_uniform(w, G, 1.0f);
  fill_uniform(b, G, 1.0f);
  const float eps = 1e-5f;
  for (int variant = 0; variant < 3; ++variant) {
    const float *wp = variant ? w : NULL, *bp = variant == 2 ? b : NULL;
    gqcrt_layer_norm(y, x, wp, bp, N, G, eps);
    for (int g = 0; g < N / G; ++g) {
      double mean = 0, var = 0;
      for (int i = 0; i < G; ++i)
        mean += x[g * G + i];
      mean /= G;
      for (int i = 0; i < G; ++i)
        var += (x[g * G + i] - mean) * (x[g * G + i] - mean);
      var /= G;
      for (int i = 0; i < G; ++i) {
        const double want =
            (x[g * G + i] - mean) / sqrt(var + eps) * (wp ? wp[i] : 1) + (bp ? bp[i] : 0);
        assert_close(y[g * G + i], want, 2e-6);
      }
    }
    memcpy(z, x, sizeof z);
    gqcrt_layer_norm(z, z, wp, bp, N, G, eps);
    assert_memory_equal(z, y, sizeof y);
  }
}

/* Which elements pair up: a unit vector in dimension 1 (NORMAL: partner of 0;
 * NEOX: pair 1's first element) and pos = 1 with theta_1 = theta_scale. */
static void test_rope_pairs_and_identity(void **state) {
  (void)state;
  float x[8] = {0, 1, 0, 0, 0, 0, 0, 0}, y[8];
  gqcrt_rope(y, x, 1, 1, 8, 8, 10000.0f, 1.0f, GQCRT_ROPE_NORMAL, NULL, 1.0f);
  /* pair 0 = (x0, x1) at theta 1: (0*c - 1*s, 0*s + 1*c) */
  assert_close(y[0], -sin(1.0), 1e-6);
  assert_close(y[1], cos(1.0), 1e-6);
  for (int i = 2; i < 8; ++i)
    assert_true(y[i] == 0.0f);
  gqcrt_rope(y, x, 1, 1, 8, 8, 10000.0f, 1.0f, GQCRT_ROPE_NEOX, NULL, 1.0f);
  /* pair 1 = (x1, x5) at theta = 10000^(-2/8) = 0.1 */
  assert_close(y[1], cos(0.1), 1e-6);
  assert_close(y[5], sin(0.1), 1e-6);
  assert_true(y[0] == 0.0f && y[4] == 0.0f);
  /* position 0 is the identity */
  float r[16], r_out[16];
  fill_uniform(r, 16, 1.0f);
  gqcrt_rope(r_out, r, 0, 2, 8, 8, 10000.0f, 1.0f, GQCRT_ROPE_NEOX, NULL, 1.0f);
  assert_memory_equal(r_out, r, sizeof r);
  /* archspec §4.4.1: theta_scale for (1e4, 256), (1e6, 256), (1e4, 64), (1e6, 128) */
  assert_close(powf(10000.0f, -2.0f / 256), 0.930572033, 1e-8);
  assert_close(powf(1e6f, -2.0f / 256), 0.897687137, 1e-8);
  assert_close(powf(10000.0f, -2.0f / 64), 0.749894202, 1e-8);
  assert_close(powf(1e6f, -2.0f / 128), 0.805842161, 1e-8);
}

/* ---- attention -------------------------------------------------------------------- */

/* Straightforward attention in double over an explicit list of positions. */
static void ref_attention(double *out, const float *q, const float *keys, const float *vals,
                          int n_pos, int n_head, int n_head_kv, int hd, float scale) {
  const int group = n_head / n_head_kv;
  for (int h = 0; h < n_head; ++h) {
    const int g = h / group;
    double s[64], max = -INFINITY, sum = 0.0;
    for (int j = 0; j < n_pos; ++j) {
      double dot = 0.0;
      for (int i = 0; i < hd; ++i)
        dot += (double)q[h * hd + i] * keys[(size_t)j * n_head_kv * hd + g * hd + i];
      s[j] = dot * scale;
      max = s[j] > max ? s[j] : max;
    }
    for (int j = 0; j < n_pos; ++j)
      sum += (s[j] = exp(s[j] - max));
    for (int i = 0; i < hd; ++i) {
      double o = 0.0;
      for (int j = 0; j < n_pos; ++j)
        o += s[j] / sum * vals[(size_t)j * n_head_kv * hd + g * hd + i];
      out[h * hd + i] = o;
    }
  }
}

static void test_attention_hand_computed(void **state) {
  (void)state;
  /* one head, head_dim 2, two positions. q = (1, 0), k0 = (0, 1), k1 = (ln 3, 0):
   * scores 0 and ln 3 -> softmax (1/4, 3/4); v0 = (4, 0), v1 = (0, 8) -> (1, 6). */
  gqcrt_attention_desc d = {1, 1, 2, 4, 0, GQCRT_KV_F32, 1.0f, 0.0f, 0, 0, NULL, NULL};
  float kc[8], vc[8], scores[4], out[2];
  const float q[2] = {1.0f, 0.0f};
  const float k0[2] = {0.0f, 1.0f}, v0[2] = {4.0f, 0.0f};
  const float k1[2] = {(float)log(3.0), 0.0f}, v1[2] = {0.0f, 8.0f};
  gqcrt_attention(&d, out, q, k0, v0, kc, vc, scores, 0);
  assert_close(out[0], 4.0, 1e-6); /* a single position: its value */
  assert_close(out[1], 0.0, 1e-6);
  gqcrt_attention(&d, out, q, k1, v1, kc, vc, scores, 1);
  assert_close(out[0], 1.0, 1e-6);
  assert_close(out[1], 6.0, 1e-6);
  /* the scale multiplies the score: scale 0 gives the plain mean (2, 4) */
  d.scale = 0.0f;
  gqcrt_attention(&d, out, q, k1, v1, kc, vc, scores, 1);
  assert_close(out[0], 2.0, 1e-6);
  assert_close(out[1], 4.0, 1e-6);
}

enum { HD = 8, NH = 4, NKV = 2, NPOS = 10 };

static void make_tokens(float q[NPOS][NH * HD], float k[NPOS][NKV * HD], float v[NPOS][NKV * HD]) {
  for (int p = 0; p < NPOS; ++p) {
    fill_uniform(q[p], NH * HD, 1.5f);
    fill_uniform(k[p], NKV * HD, 1.5f);
    fill_uniform(v[p], NKV * HD, 3.0f);
  }
}

/* GQA: heads 0,1 use KV head 0 and heads 2,3 KV head 1; checked at every
 * position against the direct computation over all previous positions. */
static void test_attention_gqa_causal(void **state) {
  (void)state;
  float q[NPOS][NH * HD], k[NPOS][NKV * HD], v[NPOS][NKV * HD];
  make_tokens(q, k, v);
  const gqcrt_attention_desc d = {NH,          NKV,  HD, NPOS, 0,    GQCRT_KV_F32,
                                  0.35355339f, 0.0f, 0,  0,    NULL, NULL};
  float kc[NPOS * NKV * HD], vc[NPOS * NKV * HD], scores[NPOS], out[NH * HD];
  double ref[NH * HD];
  for (int p = 0; p < NPOS; ++p) {
    gqcrt_attention(&d, out, q[p], k[p], v[p], kc, vc, scores, p);
    ref_attention(ref, q[p], &k[0][0], &v[0][0], p + 1, NH, NKV, HD, d.scale);
    for (int i = 0; i < NH * HD; ++i)
      assert_close(out[i], ref[i], 2e-6 * 3.0);
  }
  /* the cache holds the stored rows verbatim */
  assert_memory_equal(kc, k, sizeof kc);
  assert_memory_equal(vc, v, sizeof vc);
  /* out may alias q */
  float qa[NH * HD];
  memcpy(qa, q[NPOS - 1], sizeof qa);
  gqcrt_attention(&d, qa, qa, k[NPOS - 1], v[NPOS - 1], kc, vc, scores, NPOS - 1);
  assert_memory_equal(qa, out, sizeof qa);
}

/* Sliding window 3 on a ring buffer of 3 rows over 10 positions: at each
 * position the result equals attention over the last (up to) 3 positions,
 * computed directly, and bit-equals the same window on a big cache. */
static void test_attention_sliding_window_ring(void **state) {
  (void)state;
  float q[NPOS][NH * HD], k[NPOS][NKV * HD], v[NPOS][NKV * HD];
  make_tokens(q, k, v);
  const gqcrt_attention_desc ring = {NH,          NKV,  HD, 3, 3,    GQCRT_KV_F32,
                                     0.35355339f, 0.0f, 0,  0, NULL, NULL};
  const gqcrt_attention_desc big = {NH,          NKV,  HD, 16, 3,    GQCRT_KV_F32,
                                    0.35355339f, 0.0f, 0,  0,  NULL, NULL};
  float kr[3 * NKV * HD], vr[3 * NKV * HD], kb[16 * NKV * HD], vb[16 * NKV * HD];
  float scores[16], out_r[NH * HD], out_b[NH * HD];
  double ref[NH * HD];
  for (int p = 0; p < NPOS; ++p) {
    gqcrt_attention(&ring, out_r, q[p], k[p], v[p], kr, vr, scores, p);
    gqcrt_attention(&big, out_b, q[p], k[p], v[p], kb, vb, scores, p);
    assert_memory_equal(out_r, out_b, sizeof out_r);
    const int first = p >= 2 ? p - 2 : 0;
    ref_attention(ref, q[p], &k[first][0], &v[first][0], p - first + 1, NH, NKV, HD, ring.scale);
    for (int i = 0; i < NH * HD; ++i)
      assert_close(out_r[i], ref[i], 6e-6);
  }
  /* position 9 lives in ring row 0, position 8 in row 2 */
  assert_memory_equal(kr, k[9], sizeof k[9]);
  assert_memory_equal(vr + 2 * NKV * HD, v[8], sizeof v[8]);
  /* a window of 3 really differs from full causal attention */
  const gqcrt_attention_desc full = {NH,          NKV,  HD, 16, 0,    GQCRT_KV_F32,
                                     0.35355339f, 0.0f, 0,  0,  NULL, NULL};
  float out_f[NH * HD];
  gqcrt_attention(&full, out_f, q[9], k[9], v[9], kb, vb, scores, 9);
  assert_true(memcmp(out_f, out_r, sizeof out_f) != 0);
}

/* f16 cache: values are rounded on store; equals the f32 path fed with
 * f16-rounded k and v. */
static void test_attention_f16_cache(void **state) {
  (void)state;
  float q[NPOS][NH * HD], k[NPOS][NKV * HD], v[NPOS][NKV * HD];
  make_tokens(q, k, v);
  float kr[NPOS][NKV * HD], vr[NPOS][NKV * HD];
  for (int p = 0; p < NPOS; ++p)
    for (int i = 0; i < NKV * HD; ++i) {
      kr[p][i] = gqcrt_fp16_to_fp32(gqcrt_fp32_to_fp16(k[p][i]));
      vr[p][i] = gqcrt_fp16_to_fp32(gqcrt_fp32_to_fp16(v[p][i]));
    }
  const gqcrt_attention_desc d16 = {NH,          NKV,  HD, NPOS, 4,    GQCRT_KV_F16,
                                    0.35355339f, 0.0f, 0,  0,    NULL, NULL};
  const gqcrt_attention_desc d32 = {NH,          NKV,  HD, NPOS, 4,    GQCRT_KV_F32,
                                    0.35355339f, 0.0f, 0,  0,    NULL, NULL};
  uint16_t kc16[NPOS * NKV * HD], vc16[NPOS * NKV * HD];
  float kc32[NPOS * NKV * HD], vc32[NPOS * NKV * HD], scores[NPOS];
  float o16[NH * HD], o32[NH * HD];
  for (int p = 0; p < NPOS; ++p) {
    gqcrt_attention(&d16, o16, q[p], k[p], v[p], kc16, vc16, scores, p);
    gqcrt_attention(&d32, o32, q[p], kr[p], vr[p], kc32, vc32, scores, p);
    assert_memory_equal(o16, o32, sizeof o16);
  }
  assert_int_equal(kc16[5], gqcrt_fp32_to_fp16(k[0][5]));
}

/* ---- activations ------------------------------------------------------------------- */

/* SiLU against the exact value (double exp) within a few ulp over the whole
 * range, its edges (exp's clamps, where the result is x or -0), and the
 * vector path (blocks of four on AArch64) against the scalar one (single
 * elements) bit for bit. */
static void test_silu(void **state) {
  (void)state;
  enum { N = 4099 };
  static float x[N], y[N];
  fill_uniform(x, N, 30.0f);
  const float edges[] = {0.0f,      -0.0f,      -100.0f, 100.0f, 87.33654f, -87.33654f,
                         88.72283f, -88.72283f, 87.4f,   -88.8f, 1e-30f,    -1e-30f,
                         1e-3f,     0.5f,       -0.5f,   20.0f};
  memcpy(x, edges, sizeof edges);
  for (int i = 0; i < 64; i++) /* the rounding of n at its ties, x = -k ln2 / 2 */
    x[32 + i] = (float)(i - 32) * 0.34657359f;
  gqcrt_silu(y, x, N);
  assert_true(y[0] == 0.0f);
  assert_true(y[2] == 0.0f && signbit(y[2]));
  assert_true(y[3] == 100.0f);
  for (int i = 0; i < N; ++i) {
    const double want = x[i] / (1.0 + exp(-(double)x[i]));
    /* (for x < -88.72 exp(-x) overflows, as libm's expf does: -0 for what
     * would be under 1e-36 in magnitude) */
    if (fabs(y[i] - want) > 4e-7 * fabs(want) + 1e-36)
      fail_msg("silu(%.9g) = %.9g, want %.9g", x[i], y[i], want);
    float one;
    gqcrt_silu(&one, &x[i], 1);
    assert_same_float(one, y[i]);
  }
  gqcrt_silu(x, x, N); /* in place */
  assert_memory_equal(x, y, sizeof y);
}

/* llama.cpp's GELU table entry for an f16 bit pattern: tanh-GELU of the f16
 * value computed in f32 (1 + 0.044715*f*f fused, as its FMA build contracts
 * it), rounded to f16. */
static float gelu_table_entry(uint16_t h) {
  const float f = gqcrt_fp16_to_fp32(h);
  const float inner = fmaf(0.044715f * f, f, 1.0f);
  const float g = 0.5f * f * (1.0f + tanhf(0.79788456080286535587989211986876f * f * inner));
  return gqcrt_fp16_to_fp32(gqcrt_fp32_to_fp16(g));
}

static void test_gelu_table_semantics(void **state) {
  (void)state;
  const float x[] = {-11.0f, -10.0f,  -9.99f, -3.0f, -0.5f, 0.0f,  0.1234567f,
                     1.0f,   1.0001f, 2.5f,   9.99f, 10.0f, 12.5f, 100.0f};
  const int n = (int)(sizeof x / sizeof x[0]);
  float y[sizeof x / sizeof x[0]];
  gqcrt_gelu_tanh(y, x, n);
  for (int i = 0; i < n; ++i) {
    float want;
    if (x[i] <= -10.0f)
      want = 0.0f;
    else if (x[i] >= 10.0f)
      want = x[i];
    else
      want = gelu_table_entry(gqcrt_fp32_to_fp16(x[i]));
    assert_same_float(y[i], want);
    /* close to the exact GELU (f16 carries ~3 decimal digits) */
    const double xd = x[i];
    const double exact =
        0.5 * xd *
        (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (xd + 0.044715 * xd * xd * xd)));
    assert_close(y[i], exact, 2e-3 * (1.0 + fabs(exact)));
  }
  assert_true(y[0] == 0.0f && y[1] == 0.0f);
  assert_true(y[11] == 10.0f && y[12] == 12.5f);
  /* the input is rounded to f16 first: 1.0 and 1.0001 share a table entry */
  assert_same_float(y[7], y[8]);
  assert_same_float(y[7], gqcrt_fp16_to_fp32(gqcrt_fp32_to_fp16(0.841192f))); /* gelu(1) */
  /* the one f16 input whose entry the fused inner term changes (ggml's table
   * value, read from an AVX2/FMA build) */
  const float x_fused = -1.9990234375f;
  float g_fused;
  gqcrt_gelu_tanh(&g_fused, &x_fused, 1);
  assert_same_float(g_fused, -0x1.74cp-5f);
  /* every f16 input in (-10, 10) gives its table entry */
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = gqcrt_fp16_to_fp32((uint16_t)h);
    if (!(f > -10.0f && f < 10.0f))
      continue;
    float g;
    gqcrt_gelu_tanh(&g, &f, 1);
    assert_same_float(g, gelu_table_entry((uint16_t)h));
  }
}

static void test_softcap(void **state) {
  (void)state;
  float x[32], y[32];
  fill_uniform(x, 32, 100.0f);
  x[0] = 1e6f;
  const float cap = 30.0f;
  gqcrt_softcap(y, x, cap, 32);
  for (int i = 0; i < 32; ++i) {
    assert_same_float(y[i], tanhf(x[i] * (1.0f / cap)) * cap);
    assert_true(fabsf(y[i]) <= cap);
    assert_close(y[i], cap * tanh(x[i] / (double)cap), 1e-5 * cap);
  }
  assert_true(y[0] == cap);
}

static void test_softmax(void **state) {
  (void)state;
  const float x[2] = {0.0f, (float)log(2.0)};
  float y[2];
  gqcrt_softmax(y, x, 2);
  assert_close(y[0], 1.0 / 3, 1e-7);
  assert_close(y[1], 2.0 / 3, 1e-7);
  float big[100], out[100];
  fill_uniform(big, 100, 50.0f);
  big[7] = 1000.0f; /* max subtraction keeps this finite */
  gqcrt_softmax(out, big, 100);
  double sum = 0.0;
  for (int i = 0; i < 100; ++i)
    sum += out[i];
  assert_close(sum, 1.0, 1e-6);
  assert_close(out[7], 1.0, 1e-6);
  fill_uniform(big, 100, 5.0f);
  gqcrt_softmax(out, big, 100);
  double ref_sum = 0.0;
  for (int i = 0; i < 100; ++i)
    ref_sum += exp((double)big[i]);
  for (int i = 0; i < 100; ++i)
    assert_close(out[i], exp((double)big[i]) / ref_sum, 1e-6 * out[i] + 1e-9);
  gqcrt_softmax(big, big, 100); /* in place */
  assert_memory_equal(big, out, sizeof out);
}

static void test_add_mul_scale_copy_aliasing(void **state) {
  (void)state;
  float a[37], b[37], y[37], z[37];
  fill_uniform(a, 37, 3.0f);
  fill_uniform(b, 37, 3.0f);
  gqcrt_add(y, a, b, 37);
  for (int i = 0; i < 37; ++i)
    assert_same_float(y[i], a[i] + b[i]);
  memcpy(z, a, sizeof z);
  gqcrt_add(z, z, b, 37); /* y == a */
  assert_memory_equal(z, y, sizeof y);
  memcpy(z, b, sizeof z);
  gqcrt_add(z, a, z, 37); /* y == b */
  assert_memory_equal(z, y, sizeof y);

  gqcrt_mul(y, a, b, 37);
  for (int i = 0; i < 37; ++i)
    assert_same_float(y[i], a[i] * b[i]);
  memcpy(z, a, sizeof z);
  gqcrt_mul(z, z, b, 37);
  assert_memory_equal(z, y, sizeof y);
  memcpy(z, a, sizeof z);
  gqcrt_mul(z, z, z, 37); /* square in place */
  for (int i = 0; i < 37; ++i)
    assert_same_float(z[i], a[i] * a[i]);

  gqcrt_scale(y, a, 0.0625f, 37);
  for (int i = 0; i < 37; ++i)
    assert_same_float(y[i], a[i] * 0.0625f);
  memcpy(z, a, sizeof z);
  gqcrt_scale(z, z, 0.0625f, 37);
  assert_memory_equal(z, y, sizeof y);

  gqcrt_copy(y, a, 37);
  assert_memory_equal(y, a, sizeof a);
  gqcrt_copy(y, y, 37); /* y == x is allowed */
  assert_memory_equal(y, a, sizeof a);
}

/* gqcrt_argmax is the obvious loop's answer: first index of the maximum,
 * NaNs never chosen (0 if x[0] is NaN), -0 == +0. */
static int32_t argmax_ref(const float *x, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

static void test_argmax(void **state) {
  (void)state;
  enum { N = 1000 };
  static float x[N];
  for (int trial = 0; trial < 400; trial++) {
    const int32_t n = 1 + (int32_t)(rnd32() % N);
    for (int32_t i = 0; i < n; i++) /* few distinct values: many ties */
      x[i] = (float)(int)(rnd32() % 7) - 3.0f;
    if (trial % 3 == 1) /* NaNs sprinkled in (not at 0) */
      for (int k = 0; k < 5; k++)
        x[1 + rnd32() % (uint32_t)(n > 1 ? n - 1 : 1) % (uint32_t)n] = NAN;
    if (trial % 5 == 2) /* signed zeros as the maximum */
      for (int32_t i = 0; i < n; i++)
        x[i] = x[i] > 0 ? -1.0f : (rnd32() & 1 ? 0.0f : -0.0f);
    if (trial % 7 == 3) /* the maximum in the tail */
      x[n - 1] = 100.0f;
    assert_int_equal(gqcrt_argmax(x, n), argmax_ref(x, n));
  }
  x[0] = NAN;
  x[1] = 5.0f;
  assert_int_equal(gqcrt_argmax(x, 2), 0);
  assert_int_equal(gqcrt_argmax(x, 0), 0);
  assert_int_equal(gqcrt_argmax(NULL, 5), 0);
}

int main(void) {
  test_rng_seed(0x13198A2E03707344ull);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fused_mul_add_matches_fmaf),
      cmocka_unit_test(test_rms_norm),
      cmocka_unit_test(test_layer_norm),
      cmocka_unit_test(test_causal_conv),
      cmocka_unit_test(test_rope_normal_and_neox),
      cmocka_unit_test(test_rope_pairs_and_identity),
      cmocka_unit_test(test_attention_hand_computed),
      cmocka_unit_test(test_attention_gqa_causal),
      cmocka_unit_test(test_attention_sliding_window_ring),
      cmocka_unit_test(test_attention_f16_cache),
      cmocka_unit_test(test_silu),
      cmocka_unit_test(test_gelu_table_semantics),
      cmocka_unit_test(test_softcap),
      cmocka_unit_test(test_softmax),
      cmocka_unit_test(test_add_mul_scale_copy_aliasing),
      cmocka_unit_test(test_argmax),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
