/* test_rt_gelu.c — the committed GELU table (runtime/src/gelu_table.c) is
 * exactly what its generator computes, entry by entry, and gqcrt_gelu_tanh
 * reads it with llama.cpp's range rules. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gqcrt.h"
#include "runtime/src/gelu.h"

static void test_table_matches_generator(void **state) {
  (void)state;
  int checked = 0;
  for (unsigned h = 0; h < 65536; h++) {
    uint16_t want = gqcrt_gelu_f16_value((uint16_t)h);
    if (gqcrt_gelu_f16_table[h] != want)
      fail_msg("entry 0x%04x: table 0x%04x, computed 0x%04x (regenerate with gen_gelu_table)", h,
               gqcrt_gelu_f16_table[h], want);
    checked += want != 0;
  }
  assert_true(checked > 30000); /* the (-10, 10) range is populated */
}

static void test_range_rules(void **state) {
  (void)state;
  const float x[] = {-20.0f, -10.0f, -9.99f, -1.0f, 0.0f, 0.5f, 3.0f, 9.99f, 10.0f, 123.0f};
  float y[10];
  gqcrt_gelu_tanh(y, x, 10);
  assert_true(y[0] == 0.0f && y[1] == 0.0f);
  assert_true(y[8] == 10.0f && y[9] == 123.0f);
  for (int i = 2; i < 8; i++) {
    float want = gqcrt_fp16_to_fp32(gqcrt_gelu_f16_value(gqcrt_fp32_to_fp16(x[i])));
    assert_true(y[i] == want);
  }
  assert_true(y[4] == 0.0f);
  assert_true(y[6] > 2.99f && y[6] < 3.0f); /* GELU(3) = 2.9964 */
  /* just inside +-10, f16 rounding lands on +-10: llama.cpp's table entry
   * there is GELU(10) = 10 (and GELU(-10) ~ -0), not a missing entry */
  const float edge[] = {9.998f, -9.998f, 9.995f};
  float ye[3];
  gqcrt_gelu_tanh(ye, edge, 3);
  assert_true(ye[0] == 10.0f);
  assert_true(fabsf(ye[1]) < 1e-6f);
  assert_true(ye[2] > 9.99f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_matches_generator),
      cmocka_unit_test(test_range_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
