/* test_rt_blob.c — gqcrt_blob.h: CRC-32C and the weight-blob check behind
 * <name>_init_weights / <name>_verify_weights (gqc --weights=file).
 *
 * CRC-32C is checked against published values (the "123456789" check value,
 * RFC 3720's iSCSI test vectors) and against a bitwise reference written
 * here, for every implementation the CPU has (the dispatcher, i.e. SSE4.2 or
 * ARMv8 CRC, and the portable table loop) at every length and misalignment
 * near the 8-byte word loop's edges. Then the quick/full ranges and each
 * reason gqcrt_weights_check() rejects a blob.
 * Runtime-only: links libgqcrt alone, also runs under qemu-aarch64.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gqcrt.h"
#include "gqcrt_blob.h"
#include "runtime/src/crc32c.h" /* internal: the portable implementation */

static uint32_t crc_bitwise(uint32_t crc, const unsigned char *p, size_t n) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c >> 1) ^ ((c & 1u) ? 0x82F63B78u : 0u);
  }
  return ~c;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static unsigned char rnd8(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned char)(rng >> 24);
}

static void test_known_values(void **state) {
  (void)state;
  assert_int_equal(gqcrt_crc32c(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(gqcrt_crc32c_portable(0, "123456789", 9), 0xE3069283u);
  assert_int_equal(gqcrt_crc32c(0, "", 0), 0u);
  unsigned char b[32];
  memset(b, 0, sizeof b); /* RFC 3720 B.4 */
  assert_int_equal(gqcrt_crc32c(0, b, 32), 0x8A9136AAu);
  memset(b, 0xFF, sizeof b);
  assert_int_equal(gqcrt_crc32c(0, b, 32), 0x62A8AB43u);
  for (int i = 0; i < 32; i++)
    b[i] = (unsigned char)i;
  assert_int_equal(gqcrt_crc32c(0, b, 32), 0x46DD794Eu);
  assert_int_equal(gqcrt_crc32c_portable(0, b, 32), 0x46DD794Eu);
}

static void test_implementations_agree(void **state) {
  (void)state;
  enum { N = 300 };
  unsigned char buf[N + 16];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = rnd8();
  for (size_t off = 0; off < 9; off++)
    for (size_t n = 0; n <= N; n += (n < 80 ? 1 : 37)) {
      uint32_t want = crc_bitwise(0x1234567u, buf + off, n);
      assert_int_equal(gqcrt_crc32c(0x1234567u, buf + off, n), want);
      assert_int_equal(gqcrt_crc32c_portable(0x1234567u, buf + off, n), want);
    }
}

static void test_chaining(void **state) {
  (void)state;
  unsigned char buf[1000];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = rnd8();
  uint32_t whole = gqcrt_crc32c(0, buf, sizeof buf);
  for (size_t cut = 0; cut <= sizeof buf; cut += 111)
    assert_int_equal(gqcrt_crc32c(gqcrt_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), whole);
}

/* A blob of `size` random bytes, GQCRT_WEIGHTS_ALIGN-aligned. */
static unsigned char *make_blob(size_t size) {
  unsigned char *p = aligned_alloc(GQCRT_WEIGHTS_ALIGN, (size + 63) / 64 * 64 + 64);
  assert_non_null(p);
  for (size_t i = 0; i < size; i++)
    p[i] = rnd8();
  return p;
}

static void test_quick_ranges(void **state) {
  (void)state;
  const uint64_t Q = GQCRT_WEIGHTS_QUICK_BYTES;
  assert_int_equal(gqcrt_weights_quick_head(100), 100);
  assert_int_equal(gqcrt_weights_quick_tail(100), 100);
  assert_int_equal(gqcrt_weights_quick_head(Q + 5), Q);
  assert_int_equal(gqcrt_weights_quick_tail(Q + 5), Q);
  assert_int_equal(gqcrt_weights_quick_tail(3 * Q), 2 * Q);

  /* small: quick == full */
  unsigned char *small = make_blob(5000);
  assert_int_equal(gqcrt_weights_crc32c(small, 5000, 0), gqcrt_weights_crc32c(small, 5000, 1));
  free(small);

  /* 3 MiB + 3: quick = head then tail; the middle is the full check's only */
  size_t size = (size_t)(3 * Q + 3);
  unsigned char *b = make_blob(size);
  uint32_t quick = gqcrt_weights_crc32c(b, size, 0), full = gqcrt_weights_crc32c(b, size, 1);
  assert_int_equal(quick, gqcrt_crc32c(gqcrt_crc32c(0, b, Q), b + size - Q, Q));
  assert_int_equal(full, gqcrt_crc32c(0, b, size));
  b[size / 2] ^= 0x10;
  assert_int_equal(gqcrt_weights_crc32c(b, size, 0), quick);
  assert_int_not_equal(gqcrt_weights_crc32c(b, size, 1), full);
  b[size / 2] ^= 0x10;
  b[size - 1] ^= 1;
  assert_int_not_equal(gqcrt_weights_crc32c(b, size, 0), quick);
  free(b);
}

static void test_weights_check(void **state) {
  (void)state;
  size_t size = 3000;
  unsigned char *b = make_blob(size + 1);
  uint32_t quick = gqcrt_weights_crc32c(b, size, 0), full = gqcrt_weights_crc32c(b, size, 1);
  assert_int_equal(gqcrt_weights_check(b, size, size, quick, 0), GQCRT_OK);
  assert_int_equal(gqcrt_weights_check(b, size, size, full, 1), GQCRT_OK);
  assert_int_equal(gqcrt_weights_check(NULL, size, size, quick, 0), GQCRT_ERR_NULL);
  assert_int_equal(gqcrt_weights_check(b, size - 1, size, quick, 0), GQCRT_ERR_BAD_BLOB);
  assert_int_equal(gqcrt_weights_check(b, size + 1, size, quick, 0), GQCRT_ERR_BAD_BLOB);
  assert_int_equal(gqcrt_weights_check(b, size, size, quick ^ 1, 0), GQCRT_ERR_BAD_BLOB);
  /* the same bytes one byte off the alignment */
  memmove(b + 1, b, size);
  assert_int_equal(gqcrt_weights_crc32c(b + 1, size, 0), quick);
  assert_int_equal(gqcrt_weights_check(b + 1, size, size, quick, 0), GQCRT_ERR_BAD_BLOB);
  memmove(b, b + 1, size);
  b[7] ^= 0x80;
  assert_int_equal(gqcrt_weights_check(b, size, size, quick, 0), GQCRT_ERR_BAD_BLOB);
  assert_int_equal(gqcrt_weights_check(b, size, size, full, 1), GQCRT_ERR_BAD_BLOB);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_values),  cmocka_unit_test(test_implementations_agree),
      cmocka_unit_test(test_chaining),      cmocka_unit_test(test_quick_ranges),
      cmocka_unit_test(test_weights_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
