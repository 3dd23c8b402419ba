/* test_rt_kernels.c — every linear (matrix-vector) kernel of libgqcrt, in
 * every variant this machine can run.
 *
 * The kernels under test come from gqcrt_kernels.def through a small table:
 * `_scalar` always, `_avx2` on x86-64 when the CPU has AVX2+FMA+F16C, `_neon`
 * on AArch64. Setting GQCRT_VARIANT=<name> in the environment restricts the
 * run to one variant (the scalar reference is still used for comparisons).
 *
 * For random weights (random bytes with sane f16 scales) and a random f32
 * activation converted with the runtime's quantiser, each kernel's y[r] is
 * compared with a reference that dequantises the weight row (gqcrt_dequantize_*)
 * and the activation (d*q, written here) and takes the dot product in double.
 * The error is measured against the magnitude M = sum_k |a_k| * (|scale part
 * of w_k| + |min part of w_k|), so cancellation cannot hide or fake errors:
 *     |y - ref| <= tol(encoding) * M   (+ the f16 rounding of q8_1's s term)
 * tol is 1e-5 for every encoding: integer inner sums are exact, and what is
 * left is a few dozen f32 roundings of scale products and partial sums (at
 * most ~2e-6 M for these sizes), while one wrong quant moves y by ~1e-3 M.
 * SIMD variants must also agree with `_scalar` to 2e-6 * M, and computing a
 * range of output rows separately (offset y and w) must give identical bits.
 * The AVX2 kernels reproduce llama.cpp's x86 AVX2 vec_dot bit for bit; golden
 * values computed by llama.cpp pin that down.
 * Shapes: 1, 7 and 12 blocks per row; 1, 3, 7 and 33 rows; for the float
 * encodings also row lengths that are not multiples of the vector width.
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
#include "tools/kernel_harness/encodings.h"
#include "tools/kernel_harness/linear_kernels.h"
#include "kernel_test_util.h"
#include "test_util.h"

/* ---- the kernel table (linear_kernels.h) ------------------------------------ */

static gqcrt_linear_fn scalar_kernel(const char *wenc) {
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i)
    if (!strcmp(kernels[i].wenc, wenc) && !strcmp(kernels[i].variant, "scalar"))
      return kernels[i].fn;
  return NULL;
}

/* ---- encodings --------------------------------------------------------------- */

/* Relative tolerance (times the magnitude M) against the double reference. */
static double tolerance(const char *wenc) {
  (void)wenc; /* the same bound holds for every encoding, see the file comment */
  return 1e-5;
}
static const double SIMD_VS_SCALAR_TOL = 2e-6;

/* ---- random data ------------------------------------------------------------- */

/* Random weight rows: random bytes with f16 scales in +-[0.001, 0.02] and
 * mins in +-0.05 for the block encodings, values in [-1, 1] for the floats. */
static void random_weights(const weight_encoding *e, uint8_t *w, int n_in, int n_out) {
  const size_t n_elems = (size_t)n_in * (size_t)n_out;
  if (!strcmp(e->name, "f32")) {
    for (size_t i = 0; i < n_elems; ++i) {
      const float v = rnd_uniform(-1.0f, 1.0f);
      memcpy(w + 4 * i, &v, 4);
    }
    return;
  }
  if (e->block_elems == 1) {
    const int is_bf16 = !strcmp(e->name, "bf16");
    for (size_t i = 0; i < n_elems; ++i) {
      const float v = rnd_uniform(-1.0f, 1.0f);
      wr16(w + 2 * i, is_bf16 ? gqcrt_fp32_to_bf16(v) : gqcrt_fp32_to_fp16(v));
    }
    return;
  }
  const size_t bytes = n_elems / (size_t)e->block_elems * (size_t)e->block_bytes;
  for (size_t i = 0; i < bytes; ++i)
    w[i] = (uint8_t)rnd32();
  random_block_scales(w, bytes, e->block_bytes, e->d_off, e->min_off);
}

/* ---- activations --------------------------------------------------------------- */

static size_t activation_bytes(const char *aenc, int n) {
  return harness_row_bytes(aenc, n);
}

/* The activation values the kernel really sees. For q8_1 also returns, per
 * 32-block, the f16 `s` and d*sum(q) so the test can bound the s rounding. */
static void dequantize_activation(const char *aenc, float *a, const uint8_t *src, int n) {
  if (!strcmp(aenc, "f32")) {
    memcpy(a, src, 4u * (size_t)n);
  } else if (!strcmp(aenc, "f16")) {
    gqcrt_dequantize_f16(a, src, n);
  } else if (!strcmp(aenc, "bf16")) {
    gqcrt_dequantize_bf16(a, src, n);
  } else if (!strcmp(aenc, "q8_0")) {
    gqcrt_dequantize_q8_0(a, src, n);
  } else if (!strcmp(aenc, "q8_1")) {
    for (int b = 0; b < n / 32; ++b) {
      const float d = gqcrt_fp16_to_fp32(rd16(src + 36 * b));
      for (int j = 0; j < 32; ++j)
        a[32 * b + j] = d * (float)(int8_t)src[36 * b + 4 + j];
    }
  } else {
    for (int b = 0; b < n / 256; ++b) {
      float d;
      memcpy(&d, src + 292 * b, 4);
      for (int j = 0; j < 256; ++j)
        a[256 * b + j] = d * (float)(int8_t)src[292 * b + 4 + j];
    }
  }
}

/* ---- the check ------------------------------------------------------------------ */

typedef struct {
  double ref;   /* dequantise-and-dot in double */
  double mag;   /* M: magnitude the error is measured against */
  double extra; /* extra allowance: f16 rounding of q8_1's s term */
} row_reference;

/* Weight row with the min field or the scale field zeroed: splits each
 * dequantised weight into its scale part and its min part. */
static void dequant_part(const weight_encoding *e, float *out, const uint8_t *row, int n_in,
                         int zero_off, uint8_t *tmp) {
  const size_t bytes = (size_t)n_in / (size_t)e->block_elems * (size_t)e->block_bytes;
  memcpy(tmp, row, bytes);
  if (zero_off >= 0)
    for (size_t b = 0; b < bytes; b += (size_t)e->block_bytes)
      wr16(tmp + b + zero_off, 0);
  e->dequant(out, tmp, n_in);
}

static void compute_reference(const weight_encoding *e, const char *aenc, const uint8_t *w,
                              const uint8_t *xq, int n_in, int n_out, row_reference *refs) {
  float *a = xalloc(4u * (size_t)n_in), *wd = xalloc(4u * (size_t)n_in);
  float *ws = xalloc(4u * (size_t)n_in), *wm = xalloc(4u * (size_t)n_in);
  const size_t row_bytes = (size_t)n_in / (size_t)e->block_elems * (size_t)e->block_bytes;
  uint8_t *tmp = xalloc(row_bytes);
  dequantize_activation(aenc, a, xq, n_in);
  for (int r = 0; r < n_out; ++r) {
    const uint8_t *row = w + (size_t)r * row_bytes;
    e->dequant(wd, row, n_in);
    if (e->min_off >= 0) {
      dequant_part(e, ws, row, n_in, e->min_off, tmp); /* scale part only */
      dequant_part(e, wm, row, n_in, e->d_off, tmp);   /* min part only */
    } else {
      memcpy(ws, wd, 4u * (size_t)n_in);
      memset(wm, 0, 4u * (size_t)n_in);
    }
    double ref = 0.0, mag = 0.0, extra = 0.0;
    for (int k = 0; k < n_in; ++k) {
      ref += (double)wd[k] * (double)a[k];
      mag += fabs((double)a[k]) * (fabs((double)ws[k]) + fabs((double)wm[k]));
    }
    if (!strcmp(aenc, "q8_1")) /* kernel uses m * f16(d*sum q): relative error 2^-11 */
      for (int b = 0; b < n_in / 32; ++b) {
        double s = 0.0;
        for (int j = 0; j < 32; ++j)
          s += a[32 * b + j];
        extra += fabs((double)wm[32 * b] * s) * 0x1p-10;
      }
    refs[r] = (row_reference){ref, mag, extra};
  }
  free(a);
  free(wd);
  free(ws);
  free(wm);
  free(tmp);
}

static int n_checked_kernels;

static void check_kernel_shape(const kernel_entry *k, int n_in, int n_out, float act_scale) {
  const weight_encoding *e = find_wenc(k->wenc);
  assert_non_null(e);
  const size_t row_bytes = (size_t)n_in / (size_t)e->block_elems * (size_t)e->block_bytes;
  uint8_t *w = xalloc(row_bytes * (size_t)n_out);
  float *x = xalloc(4u * (size_t)n_in);
  uint8_t *xq = xalloc(activation_bytes(k->aenc, n_in));
  float *y = xalloc(4u * (size_t)n_out), *ys = xalloc(4u * (size_t)n_out);
  float *y2 = xalloc(4u * (size_t)n_out);
  row_reference *refs = xalloc(sizeof(row_reference) * (size_t)n_out);

  random_weights(e, w, n_in, n_out);
  for (int i = 0; i < n_in; ++i)
    x[i] = act_scale * rnd_uniform(-1.0f, 1.0f);
  quantize_activation(k->aenc, xq, x, n_in);
  compute_reference(e, k->aenc, w, xq, n_in, n_out, refs);

  k->fn(y, w, xq, n_in, n_out);
  const int is_scalar = !strcmp(k->variant, "scalar");
  if (!is_scalar)
    scalar_kernel(k->wenc)(ys, w, xq, n_in, n_out);
  for (int r = 0; r < n_out; ++r) {
    const double err = fabs((double)y[r] - refs[r].ref);
    const double allowed = tolerance(k->wenc) * refs[r].mag + refs[r].extra + 1e-30;
    if (!(err <= allowed))
      fail_msg("%s_%s n_in=%d n_out=%d row %d: y=%.9g ref=%.9g |err|=%.3g > %.3g (M=%.3g)", k->wenc,
               k->variant, n_in, n_out, r, (double)y[r], refs[r].ref, err, allowed, refs[r].mag);
    if (!is_scalar) {
      const double d = fabs((double)y[r] - (double)ys[r]);
      if (!(d <= SIMD_VS_SCALAR_TOL * refs[r].mag + 1e-30))
        fail_msg("%s_%s vs scalar n_in=%d n_out=%d row %d: %.9g vs %.9g (M=%.3g)", k->wenc,
                 k->variant, n_in, n_out, r, (double)y[r], (double)ys[r], refs[r].mag);
    }
  }
  /* rows [0, split) and [split, n_out) computed separately give the same bits */
  const int split = n_out / 2;
  k->fn(y2, w, xq, n_in, split);
  k->fn(y2 + split, w + (size_t)split * row_bytes, xq, n_in, n_out - split);
  assert_memory_equal(y2, y, 4u * (size_t)n_out);

  free(w);
  free(x);
  free(xq);
  free(y);
  free(ys);
  free(y2);
  free(refs);
}

static void test_linear_kernels_vs_reference(void **state) {
  (void)state;
  static const int rows[] = {1, 3, 7, 33};
  for_each_runnable(kernel_entry, k, kernels) {
    const weight_encoding *e = find_wenc(k->wenc);
    assert_non_null(e);
    ++n_checked_kernels;
    int lengths[4];
    int n_lengths;
    if (e->block_elems == 1) { /* odd lengths exercise SIMD tails */
      lengths[0] = 1, lengths[1] = 13, lengths[2] = 67, lengths[3] = 300;
      n_lengths = 4;
    } else {
      lengths[0] = e->block_elems, lengths[1] = 7 * e->block_elems;
      lengths[2] = 12 * e->block_elems;
      n_lengths = 3;
    }
    for (int li = 0; li < n_lengths; ++li)
      for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ++ri)
        check_kernel_shape(k, lengths[li], rows[ri], 1.0f);
    /* large activations (q8 scales far from 1) */
    check_kernel_shape(k, 2 * e->block_elems * (e->block_elems == 1 ? 64 : 1), 5, 300.0f);
  }
  /* all 13 scalar kernels at least */
  assert_true(n_checked_kernels >= 13 || getenv("GQCRT_VARIANT") != NULL);
}

/* An all-zero activation gives exactly zero (q8_k: d = 0 and zero bsums). */
static void test_linear_zero_activation(void **state) {
  (void)state;
  for_each_runnable(kernel_entry, k, kernels) {
    const weight_encoding *e = find_wenc(k->wenc);
    const int n_in = blocks_elems(e, 2), n_out = 3;
    const size_t row_bytes = (size_t)n_in / (size_t)e->block_elems * (size_t)e->block_bytes;
    uint8_t *w = xalloc(row_bytes * n_out);
    float *x = xalloc(4u * (size_t)n_in), y[3];
    uint8_t *xq = xalloc(activation_bytes(k->aenc, n_in));
    random_weights(e, w, n_in, n_out);
    memset(x, 0, 4u * (size_t)n_in);
    quantize_activation(k->aenc, xq, x, n_in);
    k->fn(y, w, xq, n_in, n_out);
    for (int r = 0; r < n_out; ++r)
      if (y[r] != 0.0f)
        fail_msg("%s_%s: zero activation gave %g", k->wenc, k->variant, (double)y[r]);
    free(w);
    free(x);
    free(xq);
  }
}

/* ---- golden values from llama.cpp ------------------------------------------
 * For each encoding: GOLDEN_ROWS rows of GOLDEN_N_IN elements made by
 * random_weights() from a fixed seed, and the activation x[k] =
 * rnd_uniform(-2, 2) converted with the runtime's quantiser (byte-identical to
 * ggml's from_float). `y` holds llama.cpp's ggml_vec_dot_<type> results for
 * those rows as f32 bit patterns, computed by ggml's x86 AVX2+FMA build (the
 * llama.cpp of node-llama-cpp 3.22.1, GCC 12, GGML_AVX2=ON). The `_avx2`
 * kernels must reproduce them exactly; every variant must be within the usual
 * tolerance of them. */
enum { GOLDEN_N_IN = 512, GOLDEN_ROWS = 4 };
typedef struct {
  const char *wenc;
  uint32_t y[GOLDEN_ROWS];
} golden_rows;
static const golden_rows golden[] = {
    {"f32", {0xC1969824u, 0x41ADB3C2u, 0xC0E94B7Fu, 0x41615FFEu}},
    {"f16", {0x41E4885Cu, 0xC092EF4Fu, 0xC00DBDDCu, 0x3EFCB3E0u}},
    {"bf16", {0x41567474u, 0x418D83DEu, 0xC18D6D96u, 0xC19154FCu}},
    {"q4_0", {0xBFD4B15Cu, 0xBFB5DB0Eu, 0xBFCE3068u, 0x400EC42Cu}},
    {"q4_1", {0xBFB7CBDEu, 0x3F481C65u, 0xC0769BB4u, 0x3F0FEB1Du}},
    {"q5_0", {0x3F8DE388u, 0xBF1CDAABu, 0xC0E72520u, 0x40565179u}},
    {"q5_1", {0x405EBCF7u, 0xBF483B10u, 0xC06256AFu, 0x4031EDC4u}},
    {"q8_0", {0x4172A938u, 0xC264EE9Fu, 0x415EF0FAu, 0x41B181A4u}},
    {"q2_k", {0x3FB79BE3u, 0xC10F7F38u, 0xC10F8840u, 0x4047160Eu}},
    {"q3_k", {0xC14DD4A3u, 0x40CE0010u, 0x40675B5Eu, 0xC1935FCEu}},
    {"q4_k", {0x4169128Au, 0x42B17FAEu, 0xC0A2FFB0u, 0xC2130630u}},
    {"q5_k", {0x43746A2Cu, 0xC3536770u, 0x43D90805u, 0xC28A7F0Cu}},
    {"q6_k", {0xC3B63EF4u, 0x4407F05Cu, 0xC2199098u, 0x4317E656u}},
};

/* Inputs of golden case `idx` (encoding e): deterministic, independent of the
 * other tests' use of the generator. */
static void golden_inputs(const weight_encoding *e, size_t idx, uint8_t *w, float *x) {
  const uint64_t saved = test_rng_state;
  test_rng_seed(0x9E3779B97F4A7C15ull * (idx + 1));
  random_weights(e, w, GOLDEN_N_IN, GOLDEN_ROWS);
  for (int i = 0; i < GOLDEN_N_IN; ++i)
    x[i] = rnd_uniform(-2.0f, 2.0f);
  test_rng_seed(saved);
}

static void test_linear_golden_llama_cpp(void **state) {
  (void)state;
  for (size_t g = 0; g < sizeof golden / sizeof golden[0]; ++g) {
    const weight_encoding *e = find_wenc(golden[g].wenc);
    assert_non_null(e);
    const size_t row_bytes = (size_t)GOLDEN_N_IN / (size_t)e->block_elems * (size_t)e->block_bytes;
    uint8_t *w = xalloc(row_bytes * GOLDEN_ROWS), *xq = xalloc(4u * GOLDEN_N_IN);
    float x[GOLDEN_N_IN], y[GOLDEN_ROWS];
    row_reference refs[GOLDEN_ROWS];
    golden_inputs(e, g, w, x);
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
      const kernel_entry *k = &kernels[i];
      if (strcmp(k->wenc, golden[g].wenc) || !variant_runs_here(k->variant))
        continue;
      quantize_activation(k->aenc, xq, x, GOLDEN_N_IN);
      compute_reference(e, k->aenc, w, xq, GOLDEN_N_IN, GOLDEN_ROWS, refs);
      k->fn(y, w, xq, GOLDEN_N_IN, GOLDEN_ROWS);
      for (int r = 0; r < GOLDEN_ROWS; ++r) {
        float want;
        memcpy(&want, &golden[g].y[r], 4);
        uint32_t got_bits;
        memcpy(&got_bits, &y[r], 4);
        if (!strcmp(k->variant, "avx2") && got_bits != golden[g].y[r])
          fail_msg("%s_avx2 row %d: %a, llama.cpp %a", k->wenc, r, (double)y[r], (double)want);
        if (!(fabs((double)y[r] - want) <= tolerance(k->wenc) * refs[r].mag + refs[r].extra))
          fail_msg("%s_%s row %d: %.9g, llama.cpp %.9g", k->wenc, k->variant, r, (double)y[r],
                   (double)want);
      }
    }
    free(w);
    free(xq);
  }
}

/* One hand-checked value per family: a Q8_0 row of two blocks. */
static void test_linear_q8_0_literal(void **state) {
  (void)state;
  uint8_t w[68], a[68];
  for (int b = 0; b < 2; ++b) {
    wr16(w + 34 * b, gqcrt_fp32_to_fp16(b ? 0.5f : 0.25f));
    wr16(a + 34 * b, gqcrt_fp32_to_fp16(2.0f));
    for (int j = 0; j < 32; ++j) {
      w[34 * b + 2 + j] = (uint8_t)(int8_t)(j - 16);
      a[34 * b + 2 + j] = (uint8_t)(int8_t)(b ? -1 : 1);
    }
  }
  /* sum_j (j-16) = -16; block 0: -16 * 0.25 * 2 = -8; block 1: 16 * 0.5 * 2 = 16 */
  for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
    if (strcmp(kernels[i].wenc, "q8_0") || !variant_runs_here(kernels[i].variant))
      continue;
    float y = 0.0f;
    kernels[i].fn(&y, w, a, 64, 1);
    assert_true(y == 8.0f);
  }
}

int main(void) {
  test_rng_seed(0x243F6A8885A308D3ull);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear_kernels_vs_reference),
      cmocka_unit_test(test_linear_zero_activation),
      cmocka_unit_test(test_linear_q8_0_literal),
      cmocka_unit_test(test_linear_golden_llama_cpp),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
