/* test_rt_cpu_features.c — gqcrt_cpu_features (runtime/src/cpu_features.c)
 * against what the compiler's own detection says about this CPU: x86-64
 * through __builtin_cpu_supports, AArch64 (run under qemu -cpu cortex-a76,
 * cmake/aarch64-linux-gnu.cmake) NEON, dot product and fp16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gqcrt.h"

static void test_matches_the_cpu(void **state) {
  const uint32_t f = gqcrt_cpu_features();
#if defined(__x86_64__)
  __builtin_cpu_init();
  assert_int_equal(!!(f & GQCRT_CPU_AVX2), !!__builtin_cpu_supports("avx2"));
  assert_int_equal(!!(f & GQCRT_CPU_FMA), !!__builtin_cpu_supports("fma"));
  assert_int_equal(f & (GQCRT_CPU_NEON | GQCRT_CPU_DOTPROD | GQCRT_CPU_FP16), 0);
#elif defined(__aarch64__)
  /* qemu's cortex-a76 (the test runner) has all three */
  assert_true(f & GQCRT_CPU_NEON);
  assert_true(f & GQCRT_CPU_DOTPROD);
  assert_true(f & GQCRT_CPU_FP16);
  assert_int_equal(f & (GQCRT_CPU_AVX2 | GQCRT_CPU_FMA | GQCRT_CPU_AVXVNNI), 0);
#endif
  assert_int_equal(f, gqcrt_cpu_features()); /* stable */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_matches_the_cpu)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
