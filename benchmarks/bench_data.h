/* bench_data.h — what the kernel micro-benchmarks (bench_kernels.c,
 * bench_gemm.c) share: a fixed-seed xorshift64* generator, random weights
 * that look valid, and a monotonic clock. The figures depend on the sizes,
 * not on the values; the fixed seed keeps runs alike.
 */
#ifndef GQC_BENCH_DATA_H
#define GQC_BENCH_DATA_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "gqcrt.h"
#include "tools/kernel_harness/encodings.h"

static uint64_t bench_rng = 0x2545F4914F6CDD1Dull;

static inline uint32_t rnd32(void) {
  bench_rng ^= bench_rng >> 12;
  bench_rng ^= bench_rng << 25;
  bench_rng ^= bench_rng >> 27;
  return (uint32_t)((bench_rng * 2685821657736338717ull) >> 32);
}

/* Uniform in [-1, 1). */
static inline float rnd_float(void) {
  return (float)(rnd32() >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* n_elems weights of encoding enc at w: random values in [-1, 1) for the
 * float encodings; random bytes for the blocks, with f16 0.01 in every
 * block's scale and min fields (the encoding table's d_off, min_off). */
static inline void fill_weights(const char *enc, uint8_t *w, size_t n_elems) {
  const harness_encoding *e = harness_encoding_find(enc);
  if (e->block_elems == 1) {
    for (size_t i = 0; i < n_elems; ++i) {
      const float v = rnd_float();
      if (e->block_bytes == 4) {
        memcpy(w + 4 * i, &v, 4);
      } else {
        const uint16_t h = strcmp(enc, "bf16") ? gqcrt_fp32_to_fp16(v) : gqcrt_fp32_to_bf16(v);
        memcpy(w + 2 * i, &h, 2);
      }
    }
    return;
  }
  const size_t total = n_elems / (size_t)e->block_elems * (size_t)e->block_bytes;
  for (size_t i = 0; i < total; ++i)
    w[i] = (uint8_t)rnd32();
  const uint16_t small = gqcrt_fp32_to_fp16(0.01f);
  for (size_t b = 0; b < total; b += (size_t)e->block_bytes) {
    if (e->d_off >= 0)
      memcpy(w + b + e->d_off, &small, 2);
    if (e->min_off >= 0)
      memcpy(w + b + e->min_off, &small, 2);
  }
}

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
