/* rng.h — the generator's fixed-seed PRNG (the runtime's: gqcrt_rng.h,
 * xoshiro256** seeded with splitmix64) and a fast approximately-normal
 * variate, so generated models are identical on every machine and every run
 * for a given seed. */
#ifndef GQC_GENMODEL_RNG_H
#define GQC_GENMODEL_RNG_H

#include <stdint.h>

#include "gqcrt_rng.h"

typedef gqcrt_rng gm_rng;

static inline void gm_rng_seed(gm_rng *r, uint64_t seed) {
  gqcrt_rng_seed(r, seed);
}

static inline uint64_t gm_rng_next(gm_rng *r) {
  return gqcrt_rng_next(r);
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
  return gqcrt_rng_unit(r);
}

#endif
