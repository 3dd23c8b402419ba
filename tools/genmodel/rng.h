/* rng.h — the generator's own fixed-seed PRNG (xoshiro256**, seeded with
 * splitmix64) and a fast approximately-normal variate, so generated models
 * are identical on every machine and every run for a given seed. */
#ifndef GQC_GENMODEL_RNG_H
#define GQC_GENMODEL_RNG_H

#include <stdint.h>

typedef struct gm_rng {
  uint64_t s[4];
} gm_rng;

static inline uint64_t gm_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static inline void gm_rng_seed(gm_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++)
    r->s[i] = gm_splitmix64(&seed);
}

static inline uint64_t gm_rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t gm_rng_next(gm_rng *r) {
  uint64_t *s = r->s, result = gm_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = gm_rotl(s[3], 45);
  return result;
}

/* Mean 0, standard deviation 1, approximately normal: the sum of the four
 * 16-bit uniforms in one 64-bit draw (Irwin-Hall, bounded at +-3.46). Fast
 * enough for hundreds of millions of weights. */
static inline float gm_rng_normal(gm_rng *r) {
  uint64_t v = gm_rng_next(r);
  uint32_t sum = (uint32_t)(v & 0xffff) + (uint32_t)((v >> 16) & 0xffff) +
                 (uint32_t)((v >> 32) & 0xffff) + (uint32_t)(v >> 48);
  return ((float)sum - 131070.0f) * (1.0f / 37837.23f);
}

/* Uniform in [0, 1). */
static inline double gm_rng_uniform(gm_rng *r) {
  return (double)(gm_rng_next(r) >> 11) * 0x1p-53;
}

#endif
