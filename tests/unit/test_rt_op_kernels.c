/* test_rt_op_kernels.c — every SIMD variant of gqcrt_op_kernels.def that
 * this CPU runs gives, bit for bit, what its portable function gives: on
 * random data of many lengths (tails of every size), on values around the
 * rules' edges (SiLU's exp clamps, GELU's +-10, zero blocks for the quantisers, ties between
 * the largest |x| of a Q8_K block), with GELU's NaN (whose result the
 * portable function defines), and with the output aliasing the input. The
 * quantisers are compared on finite inputs: a NaN activation has no defined
 * quant. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tools/kernel_harness/cpu_variants.h"
#include "gqcrt.h"
#include "test_util.h"

typedef void (*vec_fn)(float *y, const float *x, int32_t n);
typedef void (*quant_fn)(void *dst, const float *x, int32_t n);
typedef void (*norm_fn)(float *y, const float *x, const float *w, int32_t n, int32_t group,
                        float eps);

typedef struct op_variant {
  const char *op, *variant;
  void (*fn)(void);
} op_variant;

#if defined(__x86_64__)
#define VARIANT_avx2(op) {#op, "avx2", (void (*)(void))gqcrt_##op##_avx2},
#else
#define VARIANT_avx2(op)
#endif
#define GQCRT_OP_KERNEL(op, variant, features) VARIANT_##variant(op)
static const op_variant variants[] = {
#include "gqcrt_op_kernels.def"
    {NULL, NULL, NULL}};
#undef GQCRT_OP_KERNEL

enum { MAXN = 4096 };
static float x[MAXN], w[MAXN], y1[MAXN], y2[MAXN];
static uint8_t q1[MAXN * 2], q2[MAXN * 2];

static void random_x(int32_t n, float scale) {
  for (int32_t i = 0; i < n; i++)
    x[i] = rnd_uniform(-scale, scale);
}

static void check_norm(const op_variant *v) {
  const norm_fn fn = (norm_fn)v->fn;
  static const int32_t shapes[][2] = {{64, 64}, {640, 640}, {1024, 256}, {12, 12},
                                      {7, 7},   {300, 100}, {17, 17}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
    const int32_t n = shapes[s][0], g = shapes[s][1];
    random_x(n, 3.0f);
    for (int32_t i = 0; i < g; i++)
      w[i] = rnd_uniform(-2, 2);
    gqcrt_rms_norm(y1, x, w, n, g, 1e-6f);
    fn(y2, x, w, n, g, 1e-6f);
    if (memcmp(y1, y2, (size_t)n * 4))
      fail_msg("rms_norm_%s n %d group %d differs", v->variant, n, g);
    memcpy(y2, x, (size_t)n * 4); /* in place */
    fn(y2, y2, w, n, g, 1e-6f);
    assert_memory_equal(y1, y2, (size_t)n * 4);
  }
}

static void check_silu(const op_variant *v) {
  const vec_fn fn = (vec_fn)v->fn;
  for (int32_t n = 1; n < 600; n += n < 70 ? 1 : 97) {
    random_x(n, n % 2 ? 100.0f : 8.0f);
    if (n > 8) { /* exp's clamps */
      x[0] = -87.33654f, x[1] = -87.34f, x[2] = 88.72283f, x[3] = 88.73f;
      x[4] = 0.0f, x[5] = -0.0f, x[6] = 1e-30f, x[7] = -200.0f;
    }
    gqcrt_silu(y1, x, n);
    fn(y2, x, n);
    if (memcmp(y1, y2, (size_t)n * 4))
      fail_msg("silu_%s n %d differs", v->variant, n);
    fn(x, x, n); /* in place */
    assert_memory_equal(y1, x, (size_t)n * 4);
  }
}

static void check_gelu(const op_variant *v) {
  const vec_fn fn = (vec_fn)v->fn;
  for (int32_t n = 1; n < 70; n++) {
    random_x(n, 14.0f);
    if (n > 5) { /* the edges: around +-10, and a NaN */
      x[0] = 10.0f, x[1] = -10.0f, x[2] = 9.998f, x[3] = -9.998f, x[4] = NAN, x[5] = INFINITY;
    }
    gqcrt_gelu_tanh(y1, x, n);
    fn(y2, x, n);
    if (memcmp(y1, y2, (size_t)n * 4))
      fail_msg("gelu_tanh_%s n %d differs", v->variant, n);
    fn(x, x, n); /* in place */
    assert_memory_equal(y1, x, (size_t)n * 4);
  }
}

static void check_quant(const op_variant *v) {
  const quant_fn fn = (quant_fn)v->fn;
  const int k = !strcmp(v->op, "quantize_q8_k");
  const quant_fn ref = !strcmp(v->op, "quantize_q8_0")   ? gqcrt_quantize_q8_0
                       : !strcmp(v->op, "quantize_q8_1") ? gqcrt_quantize_q8_1
                                                         : gqcrt_quantize_q8_k;
  const int32_t block = k ? 256 : 32, bytes = k                                 ? GQCRT_Q8_K_BYTES
                                              : !strcmp(v->op, "quantize_q8_1") ? 36
                                                                                : 34;
  for (int32_t nb = 1; nb <= 12; nb++) {
    const int32_t n = nb * block;
    for (int trial = 0; trial < 6; trial++) {
      random_x(n, trial == 5 ? 1e-3f : 4.0f);
      if (trial == 1) /* a zero block */
        memset(x, 0, (size_t)block * 4);
      if (trial == 2) /* ties for the largest |x|: the first one's sign wins */
        for (int32_t i = 0; i < n; i += 7)
          x[i] = (i / 7) % 2 ? -4.0f : 4.0f;
      if (trial == 3) /* values whose quants fall on .5 */
        for (int32_t i = 0; i < n; i++)
          x[i] = (float)((int)(rnd32() % 255) - 127) * 0.5f;
      if (trial == 4) /* one element far larger than the rest */
        x[3] = 1e6f;
      memset(q1, 0x55, sizeof q1);
      memset(q2, 0x55, sizeof q2);
      ref(q1, x, n);
      fn(q2, x, n);
      if (memcmp(q1, q2, (size_t)(nb * bytes)))
        fail_msg("%s_%s: %d blocks, trial %d: bytes differ", v->op, v->variant, nb, trial);
      assert_memory_equal(q1 + nb * bytes, q2 + nb * bytes, 16); /* nothing past the end */
    }
  }
}

static void test_variants_match_portable(void **state) {
  (void)state;
  int tested = 0;
  for (const op_variant *v = variants; v->op; v++) {
    if (!variant_runs_on_this_cpu(v->variant))
      continue;
    if (!strcmp(v->op, "rms_norm"))
      check_norm(v);
    else if (!strcmp(v->op, "silu"))
      check_silu(v);
    else if (!strcmp(v->op, "gelu_tanh"))
      check_gelu(v);
    else if (!strncmp(v->op, "quantize_", 9))
      check_quant(v);
    else
      fail_msg("no test for op %s", v->op);
    tested++;
  }
  if (!tested)
    skip();
}

int main(void) {
  test_rng_seed(0x6f70735f6b65726eULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_variants_match_portable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
