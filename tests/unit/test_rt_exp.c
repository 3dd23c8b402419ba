/* test_rt_exp.c — the vector exp of the SIMD softmax (arm/neon_exp.h,
 * x86/avx2_exp.h) against the C library's expf, on the CPU's own variant:
 * within 2 ulp (relative 2.4e-7) over the normal range, exactly 1 at 0 (a
 * first token's attention weight, which the aarch64 end-to-end tests
 * compare bit for bit), 0 below the normal range, +inf above it, and
 * monotonic on a fine grid around 0 (softmax weights keep their order). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tools/kernel_harness/cpu_variants.h"

#if defined(__aarch64__)
#include "runtime/src/arm/neon_exp.h"
static float vexp(float x) {
  return vgetq_lane_f32(neon_exp(vdupq_n_f32(x)), 0);
}
static int have_vexp(void) {
  return 1;
}
#elif defined(__x86_64__)
#include "runtime/src/x86/avx2_exp.h"
GQCRT_AVX2 static float vexp(float x) {
  return _mm256_cvtss_f32(avx2_exp(_mm256_set1_ps(x)));
}
static int have_vexp(void) {
  return variant_runs_on_this_cpu("avx2");
}
#else
static float vexp(float x) {
  return expf(x);
}
static int have_vexp(void) {
  return 0;
}
#endif

static void test_accuracy(void **state) {
  (void)state;
  if (!have_vexp())
    skip();
  double worst = 0.0;
  for (int i = 0; i <= 2000000; i++) {
    const float x = -87.3f + (float)i * (87.3f + 88.7f) / 2000000.0f;
    const double want = exp((double)x);
    const double rel = fabs((double)vexp(x) - want) / want;
    worst = rel > worst ? rel : worst;
  }
  print_message("vector exp: max relative error %.3g over [-87.3, 88.7]\n", worst);
  assert_true(worst <= 2.4e-7);
}

static void test_special_values(void **state) {
  (void)state;
  if (!have_vexp())
    skip();
  assert_true(vexp(0.0f) == 1.0f);
  assert_true(vexp(-0.0f) == 1.0f);
  assert_true(vexp(-88.0f) == 0.0f);
  assert_true(vexp(-1000.0f) == 0.0f);
  assert_true(vexp(-INFINITY) == 0.0f);
  assert_true(isinf(vexp(89.0f)) && vexp(89.0f) > 0);
  assert_true(vexp(88.7f) > 3.0e38f);
  float prev = 0.0f;
  for (int i = -20000; i <= 20000; i++) {
    const float e = vexp((float)i * 1e-4f);
    assert_true(e >= prev);
    prev = e;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accuracy),
      cmocka_unit_test(test_special_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
