/* gqcrt_rng.h — the runtime's random number generator: xoshiro256**
 * (Blackman and Vigna), its four words seeded from one 64-bit seed by
 * splitmix64, as its authors recommend. Integer arithmetic only, so a seed
 * gives the same sequence on every target and compiler. The sampler
 * (gqcrt_sample.h) draws from it; `gqc gen-model` makes its random weights
 * with it. Header-only: nothing to link.
 *
 * Reference values: seed 0x5EED gives 0xef33f17055244b74,
 * 0xe1f591112fb5051b, 0xd8ab05640214863a, ... (tests/unit/test_rt_sample.c).
 */
#ifndef GQCRT_RNG_H
#define GQCRT_RNG_H

#include <stdint.h>

typedef struct gqcrt_rng {
  uint64_t s[4];
} gqcrt_rng;

static inline uint64_t gqcrt_splitmix64(uint64_t *x) {
  uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static inline void gqcrt_rng_seed(gqcrt_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = gqcrt_splitmix64(&seed);
}

static inline uint64_t gqcrt_rotl64(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t gqcrt_rng_next(gqcrt_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = gqcrt_rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = gqcrt_rotl64(s[3], 45);
  return result;
}

/* Uniform in [0, 1): the top 53 bits. */
static inline double gqcrt_rng_unit(gqcrt_rng *r) {
  return (double)(gqcrt_rng_next(r) >> 11) * 0x1p-53;
}

#endif
