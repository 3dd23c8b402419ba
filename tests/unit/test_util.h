/* test_util.h — small helpers the unit tests share: deterministic random
 * test data, float bit patterns, little-endian 16-bit fields of packed
 * blocks, and reading a whole file. Header-only; include it after
 * <cmocka.h> (failures are cmocka assertions).
 *
 * Random data comes from one xorshift64* generator per test program. Each
 * program seeds it with test_rng_seed() at the start of main(), so the data
 * its tests see (and the golden values some of them pin) are the same on
 * every run and every machine.
 */
#ifndef GQC_TESTS_TEST_UTIL_H
#define GQC_TESTS_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gqcrt.h"
#include "tools/genmodel/half.h"

/* ---- random numbers ------------------------------------------------------- */

static uint64_t test_rng_state;

static inline void test_rng_seed(uint64_t seed) {
  test_rng_state = seed;
}

static inline uint32_t rnd32(void) { /* xorshift64* */
  test_rng_state ^= test_rng_state >> 12;
  test_rng_state ^= test_rng_state << 25;
  test_rng_state ^= test_rng_state >> 27;
  return (uint32_t)((test_rng_state * 2685821657736338717ull) >> 32);
}

/* Uniform in [lo, hi), from 24 random bits. */
static inline float rnd_uniform(float lo, float hi) {
  return lo + (hi - lo) * (float)((rnd32() >> 8) * (1.0 / 16777216.0));
}

/* x[0..n) uniform in [-s, s). */
static inline void fill_uniform(float *x, int n, float s) {
  for (int i = 0; i < n; ++i)
    x[i] = rnd_uniform(-s, s);
}

/* ---- bits ------------------------------------------------------------------- */

/* A float's bits and back: qref_f32_bits, qref_bits_f32 (tools/genmodel/half.h). */

static inline uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static inline void wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

/* ---- quantised blocks --------------------------------------------------------- */

/* Gives every block_bytes-byte block of w[0..bytes) a sane f16 scale at
 * d_off, +-[0.001, 0.02], and (min_off >= 0) an f16 min in +-0.05 at
 * min_off, so that random quant bytes make a well-scaled weight row. */
static inline void random_block_scales(uint8_t *w, size_t bytes, int block_bytes, int d_off,
                                       int min_off) {
  for (size_t b = 0; b < bytes; b += (size_t)block_bytes) {
    uint8_t *blk = w + b;
    const float d = rnd_uniform(0.001f, 0.02f) * ((rnd32() & 1) ? -1.0f : 1.0f);
    wr16(blk + d_off, gqcrt_fp32_to_fp16(d));
    if (min_off >= 0)
      wr16(blk + min_off, gqcrt_fp32_to_fp16(rnd_uniform(-0.05f, 0.05f)));
  }
}

/* ---- files -------------------------------------------------------------------- */

/* The whole file at path, NUL-terminated (so text can be parsed in place),
 * its size in *size unless size is NULL; NULL (and size 0) when the file
 * cannot be opened. A failed allocation or short read fails the test. */
static inline char *test_read_file_if_present(const char *path, size_t *size) {
  if (size)
    *size = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = 0;
  fclose(f);
  if (size)
    *size = (size_t)n;
  return buf;
}

/* The same for a file that must exist: one that cannot be opened fails the
 * test. */
static inline char *test_read_file(const char *path, size_t *size) {
  char *buf = test_read_file_if_present(path, size);
  if (!buf)
    fail_msg("cannot open %s", path);
  return buf;
}

#endif
